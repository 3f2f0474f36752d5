// The accuracy sections of one dataset in the reports (reports/report.h), appended to a Doc
// (doc.h) from a grouped Dataset (grouping.h):
//   TeacherSection     the ANN teacher (model, test accuracy, parameters, weights hash);
//   ComparisonSection  "Comparison": the LaSNN paper's table (method, student, T, accuracy, gap to
//                      the ANN; mean ± sample std over seeds), conversions at their row t and the
//                      first t within 1 point of their ANN;
//   ChartSection       "Accuracy vs timesteps": the chart (chart.h), a zoom on the trained SNNs'
//                      band when the first compresses it, the conversion curves at powers of two;
//   MatchSection       "Timesteps to match LaSNN": the LaSNN reference and, for every other method,
//                      the fewest timesteps reaching its accuracy and the ratio to LaSNN's T;
//   DepthSection       "Depth": accuracy by student architecture x method x T.
// Every number comes from the dataset's records; the output depends only on their set.
#ifndef LASNN_REPORTS_ACCURACY_SECTIONS_H_
#define LASNN_REPORTS_ACCURACY_SECTIONS_H_

#include "reports/doc.h"
#include "reports/grouping.h"

namespace lasnn {
namespace report_internal {

// A paragraph on the teacher (and any other teacher in the records), or that there is none.
void TeacherSection(const Dataset& d, Doc& doc);

void ComparisonSection(const Dataset& d, Doc& doc);

// Nothing when the dataset has neither a conversion nor a trained group.
void ChartSection(const Dataset& d, Doc& doc);

// The reference is the LaSNN (joint or stagewise) group with the smallest T whose mean accuracy
// is within 1 point of its ANN (ties: the more accurate), else the most accurate (ties: the
// smaller T); states that there is none when the dataset has no LaSNN result.
void MatchSection(const Dataset& d, Doc& doc);

// Nothing when the dataset has no trained SNN.
void DepthSection(const Dataset& d, Doc& doc);

}  // namespace report_internal
}  // namespace lasnn

#endif  // LASNN_REPORTS_ACCURACY_SECTIONS_H_
