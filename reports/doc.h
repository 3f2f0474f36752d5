// The document model of the reports (reports/report.h): a report is built once as a list of
// blocks (headings, paragraphs, lists, tables, charts, code) and rendered either as Markdown
// (CommonMark with GitHub tables; a chart becomes its text stand-in) or as a self-contained HTML5
// page (inline CSS, charts as inline SVG, no scripts). Renderers escape all text except a chart's
// SVG, which is inserted as it is.
#ifndef LASNN_REPORTS_DOC_H_
#define LASNN_REPORTS_DOC_H_

#include <string>
#include <vector>

namespace lasnn {
namespace report_internal {

struct Table {
  std::vector<std::string> header;
  int text_columns = 1;  // the first columns hold text (left-aligned); the rest numbers
  std::vector<std::vector<std::string>> rows;
};

struct Block {
  enum Kind { kHeading, kParagraph, kList, kTable, kChart, kCode };
  Kind kind = kParagraph;
  int level = 0;                   // kHeading
  std::string text;                // heading, paragraph, code, chart SVG
  std::string alt;                 // kChart: the Markdown stand-in
  std::vector<std::string> items;  // kList
  Table table;
};

class Doc {
 public:
  // A heading of `level` 1 (the title) to 4.
  void Heading(int level, std::string text);
  void Paragraph(std::string text);
  // Preformatted text (a command).
  void Code(std::string text);
  // A bulleted list; nothing when `items` is empty.
  void List(std::vector<std::string> items);
  void AddTable(Table table);
  // `svg`: an <svg> element (chart.h); `alt`: the Markdown report's stand-in, omitted if empty.
  void Chart(std::string svg, std::string alt);

  const std::vector<Block>& blocks() const { return blocks_; }

 private:
  void Add(Block::Kind kind, std::string text);

  std::vector<Block> blocks_;
};

// Markdown: "|" in headings and table cells escaped, line breaks in cells as spaces; code fenced
// with more backticks than any run in it.
std::string RenderMarkdown(const Doc& doc);

// An HTML5 page titled `title`, with the blocks in order and every text escaped (format.h:
// HtmlEscape).
std::string RenderHtml(const Doc& doc, const std::string& title);

}  // namespace report_internal
}  // namespace lasnn

#endif  // LASNN_REPORTS_DOC_H_
