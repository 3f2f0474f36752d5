#include "reports/doc.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "reports/format.h"

namespace lasnn {
namespace report_internal {
namespace {

// Text for a Markdown table cell or heading: "|" escaped, line breaks as spaces.
std::string MdCell(const std::string& s) {
  return absl::StrReplaceAll(s, {{"|", "\\|"}, {"\r", " "}, {"\n", " "}});
}

// A fence longer than any run of backticks in the text.
std::string Fence(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

constexpr char kCss[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1180px;"
    "margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\n"
    "h1{font-size:1.7em}h2{margin-top:2em;border-bottom:1px solid #ccc;padding-bottom:.2em}\n"
    "table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:13px}\n"
    "th,td{border:1px solid #d0d0d0;padding:3px 8px;text-align:right;vertical-align:top}\n"
    "th{background:#f0f0f0}\n"
    "th.l,td.l{text-align:left}\n"
    "tbody tr:nth-child(even) td{background:#fafafa}\n"
    "pre{background:#f4f4f4;padding:.6em .8em;overflow-x:auto}\n"
    "figure{margin:1em 0}\n"
    "svg{max-width:100%;height:auto}\n";

}  // namespace

void Doc::Heading(int level, std::string text) {
  Block b;
  b.kind = Block::kHeading;
  b.level = level;
  b.text = std::move(text);
  blocks_.push_back(std::move(b));
}

void Doc::Paragraph(std::string text) { Add(Block::kParagraph, std::move(text)); }

void Doc::Code(std::string text) { Add(Block::kCode, std::move(text)); }

void Doc::List(std::vector<std::string> items) {
  if (items.empty()) return;
  Block b;
  b.kind = Block::kList;
  b.items = std::move(items);
  blocks_.push_back(std::move(b));
}

void Doc::AddTable(Table table) {
  Block b;
  b.kind = Block::kTable;
  b.table = std::move(table);
  blocks_.push_back(std::move(b));
}

void Doc::Chart(std::string svg, std::string alt) {
  Block b;
  b.kind = Block::kChart;
  b.text = std::move(svg);
  b.alt = std::move(alt);
  blocks_.push_back(std::move(b));
}

void Doc::Add(Block::Kind kind, std::string text) {
  Block b;
  b.kind = kind;
  b.text = std::move(text);
  blocks_.push_back(std::move(b));
}

std::string RenderMarkdown(const Doc& doc) {
  std::string s;
  for (const Block& b : doc.blocks()) {
    switch (b.kind) {
      case Block::kHeading:
        absl::StrAppend(&s, std::string(b.level, '#'), " ", MdCell(b.text), "\n\n");
        break;
      case Block::kParagraph:
        absl::StrAppend(&s, b.text, "\n\n");
        break;
      case Block::kList:
        for (const std::string& item : b.items) absl::StrAppend(&s, "- ", item, "\n");
        s += "\n";
        break;
      case Block::kCode: {
        const std::string fence = Fence(b.text);
        absl::StrAppend(&s, fence, "\n", b.text, "\n", fence, "\n\n");
        break;
      }
      case Block::kChart:
        if (!b.alt.empty()) absl::StrAppend(&s, "_", b.alt, "_\n\n");
        break;
      case Block::kTable: {
        const Table& t = b.table;
        std::vector<std::string> cells;
        for (const std::string& c : t.header) cells.push_back(MdCell(c));
        absl::StrAppend(&s, "| ", absl::StrJoin(cells, " | "), " |\n|");
        for (size_t i = 0; i < t.header.size(); ++i) {
          s += static_cast<int>(i) < t.text_columns ? " :--- |" : " ---: |";
        }
        s += "\n";
        for (const auto& row : t.rows) {
          cells.clear();
          for (const std::string& c : row) cells.push_back(MdCell(c));
          absl::StrAppend(&s, "| ", absl::StrJoin(cells, " | "), " |\n");
        }
        s += "\n";
        break;
      }
    }
  }
  return s;
}

std::string RenderHtml(const Doc& doc, const std::string& title) {
  std::string s = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
      HtmlEscape(title), "</title>\n<style>\n", kCss, "</style>\n</head>\n<body>\n");
  for (const Block& b : doc.blocks()) {
    switch (b.kind) {
      case Block::kHeading:
        absl::StrAppend(&s, "<h", b.level, ">", HtmlEscape(b.text), "</h", b.level, ">\n");
        break;
      case Block::kParagraph:
        absl::StrAppend(&s, "<p>", HtmlEscape(b.text), "</p>\n");
        break;
      case Block::kList:
        s += "<ul>\n";
        for (const std::string& item : b.items) absl::StrAppend(&s, "<li>", HtmlEscape(item), "</li>\n");
        s += "</ul>\n";
        break;
      case Block::kCode:
        absl::StrAppend(&s, "<pre><code>", HtmlEscape(b.text), "</code></pre>\n");
        break;
      case Block::kChart:
        absl::StrAppend(&s, "<figure>\n", b.text, "\n</figure>\n");
        break;
      case Block::kTable: {
        const Table& t = b.table;
        auto cls = [&](size_t i) { return static_cast<int>(i) < t.text_columns ? " class=\"l\"" : ""; };
        s += "<table>\n<thead><tr>";
        for (size_t i = 0; i < t.header.size(); ++i) {
          absl::StrAppend(&s, "<th", cls(i), ">", HtmlEscape(t.header[i]), "</th>");
        }
        s += "</tr></thead>\n<tbody>\n";
        for (const auto& row : t.rows) {
          s += "<tr>";
          for (size_t i = 0; i < row.size(); ++i) {
            absl::StrAppend(&s, "<td", cls(i), ">", HtmlEscape(row[i]), "</td>");
          }
          s += "</tr>\n";
        }
        s += "</tbody>\n</table>\n";
        break;
      }
    }
  }
  s += "</body>\n</html>\n";
  return s;
}

}  // namespace report_internal
}  // namespace lasnn
