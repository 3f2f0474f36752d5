#include "reports/doc.h"

#include <string>

#include "gtest/gtest.h"

namespace lasnn {
namespace report_internal {
namespace {

Doc Example() {
  Doc doc;
  doc.Heading(1, "Title | with <pipe>");
  doc.Paragraph("A & B < C");
  doc.List({"one", "two"});
  doc.List({});
  Table t;
  t.header = {"Method", "Accuracy (%)"};
  t.text_columns = 1;
  t.rows = {{"a|b", "92.80"}, {"line\nbreak", "-"}};
  doc.AddTable(t);
  doc.Chart("<svg></svg>", "See report.html.");
  doc.Chart("<svg><g/></svg>", "");
  doc.Code("run ``` this");
  return doc;
}

TEST(DocTest, BuildsBlocksInOrder) {
  const Doc doc = Example();
  ASSERT_EQ(doc.blocks().size(), 7u);  // the empty list adds nothing
  EXPECT_EQ(doc.blocks()[0].kind, Block::kHeading);
  EXPECT_EQ(doc.blocks()[0].level, 1);
  EXPECT_EQ(doc.blocks()[2].kind, Block::kList);
  EXPECT_EQ(doc.blocks()[3].kind, Block::kTable);
  EXPECT_EQ(doc.blocks()[4].kind, Block::kChart);
  EXPECT_EQ(doc.blocks()[4].alt, "See report.html.");
  EXPECT_EQ(doc.blocks()[6].kind, Block::kCode);
}

TEST(DocTest, Markdown) {
  EXPECT_EQ(RenderMarkdown(Example()),
            "# Title \\| with <pipe>\n\n"
            "A & B < C\n\n"
            "- one\n- two\n\n"
            "| Method | Accuracy (%) |\n"
            "| :--- | ---: |\n"
            "| a\\|b | 92.80 |\n"
            "| line break | - |\n\n"
            "_See report.html._\n\n"
            "````\nrun ``` this\n````\n\n");
}

TEST(DocTest, HtmlEscapesTextButNotCharts) {
  const std::string html = RenderHtml(Example(), "Title & co");
  const size_t style_end = html.find("</style>\n");
  ASSERT_NE(style_end, std::string::npos) << html;
  EXPECT_EQ(html.substr(0, html.find("<style>\n")),
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>Title &amp; co</title>\n");
  EXPECT_EQ(html.substr(style_end),
            "</style>\n</head>\n<body>\n"
            "<h1>Title | with &lt;pipe&gt;</h1>\n"
            "<p>A &amp; B &lt; C</p>\n"
            "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
            "<table>\n<thead><tr><th class=\"l\">Method</th><th>Accuracy (%)</th></tr>"
            "</thead>\n<tbody>\n"
            "<tr><td class=\"l\">a|b</td><td>92.80</td></tr>\n"
            "<tr><td class=\"l\">line\nbreak</td><td>-</td></tr>\n"
            "</tbody>\n</table>\n"
            "<figure>\n<svg></svg>\n</figure>\n"
            "<figure>\n<svg><g/></svg>\n</figure>\n"
            "<pre><code>run ``` this</code></pre>\n"
            "</body>\n</html>\n");
}

}  // namespace
}  // namespace report_internal
}  // namespace lasnn
