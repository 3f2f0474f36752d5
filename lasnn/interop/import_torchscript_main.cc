// Imports an ANN trained in Python PyTorch and saved as TorchScript
// (torch.jit.save(torch.jit.script(model), "teacher.pt"); an nn.Sequential, see
// lasnn/interop/torchscript_import.h) into a ModelSpec text file and our weights file, checks that both
// give the same logits, and prints the layers mapped:
//
//   bazel run //lasnn:import_torchscript -- --torchscript=$PWD/teacher.pt --input=1x28x28
//       --out_spec=$PWD/teacher.textproto --out_weights=$PWD/teacher_weights.pt
//
// The outputs feed conversion and distillation like a teacher trained here:
//   bazel run //baselines/conversion:convert -- --model=$PWD/teacher.textproto
//       --weights=$PWD/teacher_weights.pt
//   bazel run //lasnn:train -- --teacher_model=$PWD/teacher.textproto
//       --teacher_weights=$PWD/teacher_weights.pt ...
// The teacher must have been trained on inputs normalised as our dataset loaders normalise them.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lasnn/training/checkpoint.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/interop/torchscript_import.h"
#include "util/file_util.h"
#include "util/status_macros.h"

ABSL_FLAG(std::string, torchscript, "", "TorchScript file of the ANN (torch.jit.save)");
ABSL_FLAG(std::string, input, "1x28x28", "per-sample input shape CxHxW");
ABSL_FLAG(std::string, name, "", "ModelSpec name (default: the TorchScript file's name)");
ABSL_FLAG(std::string, out_spec, "", "ModelSpec text file to write (.textproto)");
ABSL_FLAG(std::string, out_weights, "", "weights file to write (lasnn/training/checkpoint.h SaveWeights)");
ABSL_FLAG(double, tolerance, 1e-4, "logits check: max difference relative to max(1, |logits|)");

namespace lasnn {
namespace {

absl::Status Run() {
  const std::string path = absl::GetFlag(FLAGS_torchscript);
  const std::string out_spec = absl::GetFlag(FLAGS_out_spec);
  const std::string out_weights = absl::GetFlag(FLAGS_out_weights);
  if (path.empty()) return absl::InvalidArgumentError("--torchscript is required");
  if (out_spec.empty()) return absl::InvalidArgumentError("--out_spec is required");
  if (out_weights.empty()) return absl::InvalidArgumentError("--out_weights is required");
  ImportOptions options;
  LASNN_ASSIGN_OR_RETURN(options.input_shape, ParseInputShape(absl::GetFlag(FLAGS_input)));
  options.name = absl::GetFlag(FLAGS_name);
  options.tolerance = absl::GetFlag(FLAGS_tolerance);
  LASNN_ASSIGN_OR_RETURN(ImportedModel imported, ImportTorchScript(path, options));

  for (const std::string& note : imported.notes) std::printf("%s\n", note.c_str());
  LASNN_ASSIGN_OR_RETURN(ModelPlan plan, PlanModel(imported.spec));
  std::printf("\n%s", DescribePlan(plan).c_str());
  LASNN_RETURN_IF_ERROR(WriteFileAtomically(
      out_spec, absl::StrCat("# Imported from ", path, " by //lasnn:import_torchscript.\n",
                             ModelSpecToText(imported.spec))));
  LASNN_RETURN_IF_ERROR(SaveWeights(out_weights, *imported.model));
  std::printf("\nwrote %s and %s\n", out_spec.c_str(), out_weights.c_str());
  return absl::OkStatus();
}

}  // namespace
}  // namespace lasnn

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Imports a TorchScript nn.Sequential ANN into a ModelSpec text file and LaSNN weights.");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = lasnn::Run();
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
