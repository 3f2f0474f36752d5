// The LaSNN result that "Timesteps to match LaSNN" and the paired differences of a report
// (reports/report.h) are measured against, chosen without the test set:
//   1. fixed in the records' config: the LaSNN group at T = eval.reference_timesteps
//      (benchmarks/experiment/experiment.proto), the value most of the dataset's records carry;
//   2. else the LaSNN group with the largest T trained.
// LaSNN fed the images directly is preferred to LaSNN fed a Poisson or latency code.
// Among several LaSNN groups at that T: the first in the grouping order (grouping.h: method enum
// order, so joint first, then the smaller student). Run records carry no held-out accuracy of the student and its ANN,
// so no rule can use one; test accuracy never enters the choice.
#ifndef LASNN_REPORTS_REFERENCE_H_
#define LASNN_REPORTS_REFERENCE_H_

#include <string>

#include "reports/grouping.h"

namespace lasnn {
namespace report_internal {

struct Reference {
  const TrainedGroup* group = nullptr;  // null when the dataset has no LaSNN group
  // How it was chosen, to follow "chosen without the test set: " in a sentence, e.g. "fixed by
  // the records' config (eval.reference_timesteps = 4)".
  std::string rule;
  // Anything the reader should know about the choice (disagreeing records, a fixed T without a
  // LaSNN result); empty or a full sentence.
  std::string note;
};

// Points into `d`, which must outlive the result.
Reference ChooseReference(const Dataset& d);

}  // namespace report_internal
}  // namespace lasnn

#endif  // LASNN_REPORTS_REFERENCE_H_
