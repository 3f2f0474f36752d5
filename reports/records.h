// What the reports (reports/report.h) read from one run record
// (benchmarks/experiment/run_record.proto): the kind of method, display names, the student and
// its T, whether the record can be tabulated, the fixed order of records, and the accuracies it
// is compared with. Pure functions of the record; no I/O.
#ifndef LASNN_REPORTS_RECORDS_H_
#define LASNN_REPORTS_RECORDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "benchmarks/experiment/experiment.pb.h"
#include "benchmarks/experiment/run_record.pb.h"

namespace lasnn {

// "LaSNN (joint)", "MaxNorm conversion", ...; "unknown method" for METHOD_UNSPECIFIED. The public
// declaration is reports/report.h's; it is defined here so that the sections can name methods.
std::string MethodDisplayName(Method method);

namespace report_internal {

// Trained SNNs: LaSNN (joint, curriculum, stage by stage), logit KD, feature KD, direct training.
bool IsTrained(Method m);
// LASNN_JOINT, LASNN_CURRICULUM (formerly LASNN_STAGEWISE) or LASNN_STAGE_BY_STAGE.
bool IsLasnn(Method m);
// Every method that is neither trained nor METHOD_UNSPECIFIED (ANN-to-SNN conversions).
bool IsConversion(Method m);

// "Fashion-MNIST", "CIFAR-10", ... for a datasets::DatasetKind; "Unknown dataset" otherwise.
std::string DatasetName(int kind);

// The status's enum name ("OK", "DIVERGED"), or "status N" for a value the schema lacks.
std::string StatusName(const RunRecord& r);

// The architecture a record evaluates: student_name, else config.student.name, else for a
// conversion the teacher model's name (or its QCFS variant's); "-" when none is known. An SNN fed
// a Poisson or latency code (input_encoding) is named with it, "fmnist_student (Poisson input)",
// so that its runs group and print as their own rows.
std::string StudentOf(const RunRecord& r);

// The T a trained SNN was trained with (train_timesteps, else config.train.timesteps); 0 for a
// conversion without train_timesteps.
int TrainT(const RunRecord& r);

// config.seed.
uint64_t SeedOf(const RunRecord& r);

// Empty if the record can be tabulated (status OK, a method, and an accuracy at its train T for
// a trained SNN or an accuracy curve for a conversion), else why not (for a record that is not
// OK: its status_message, or "-").
std::string ExclusionReason(const RunRecord& r);

// A strict weak order of records independent of the input order: method, student parameters,
// student, T, seed, config hash, config name.
bool RecordLess(const RunRecord* a, const RunRecord* b);

// The distinct eval_samples of `runs`, ascending: "10000", or "1000 / 2000".
std::string SamplesOf(const std::vector<const RunRecord*>& runs);

// The ANN accuracy `r` is compared with: ann_accuracy, else its teacher's test accuracy, else
// `teacher`'s (may be null; on the images `r` evaluated when both carry per-image outcomes); NaN
// when none is known.
double AnnOf(const RunRecord& r, const TeacherResult* teacher);

// First t (1-based) with accuracy within 1 point of `ann`: the record's timesteps_within_1pt
// when set, else computed from accuracy_at_t as the harness does; -1 if never or `ann` is NaN.
int WithinOnePoint(const RunRecord& r, double ann);

}  // namespace report_internal
}  // namespace lasnn

#endif  // LASNN_REPORTS_RECORDS_H_
