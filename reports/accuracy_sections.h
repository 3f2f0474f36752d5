// The accuracy sections of one dataset in the reports (reports/report.h), appended to a Doc
// (doc.h) from a grouped Dataset (grouping.h):
//   TeacherSection      the ANN teacher (model, test accuracy, parameters, weights hash);
//   ComparisonSection   "Comparison": the LaSNN paper's table (method, student, T, accuracy with
//                       its 95% interval, gap to the ANN), conversions at their row t and the
//                       first t within 1 point of their ANN;
//   DifferencesSection  "Paired differences": each result against the LaSNN reference and its
//                       ANN on the images both evaluated, with 95% intervals (intervals.h);
//   ChartSection        "Accuracy vs timesteps": the chart (chart.h), a zoom on the trained SNNs'
//                       band when the first compresses it, the conversion curves at powers of two;
//   MatchSection        "Timesteps to match LaSNN": the LaSNN reference (reference.h) and, for
//                       every other method, the fewest timesteps reaching its accuracy, the ratio
//                       to LaSNN's T and that ratio's 95% interval;
//   DepthSection        "Depth": accuracy by student architecture x method x T.
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

// Nothing when no record of the dataset has per-image outcomes.
void DifferencesSection(const Dataset& d, Doc& doc);

// The reference is reference.h's ChooseReference, never chosen by test accuracy; the sentence
// "LaSNN needs N x fewer timesteps than X" appears only when the ratio's 95% interval excludes 1
// (else the section says the budget does not resolve it, or, without per-image outcomes, states
// the records' ratio with no interval and no claim); states that there is no reference when the
// dataset has no LaSNN result.
void MatchSection(const Dataset& d, Doc& doc);

// Nothing when the dataset has no trained SNN.
void DepthSection(const Dataset& d, Doc& doc);

}  // namespace report_internal
}  // namespace lasnn

#endif  // LASNN_REPORTS_ACCURACY_SECTIONS_H_
