#include "benchmarks/experiment/experiment_config.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/training/train_config_validation.h"
#include "util/file_util.h"
#include "util/sha256.h"
#include "util/status_macros.h"
#include "util/text_proto.h"

namespace lasnn {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;

// Validation errors are FieldViolations (lasnn/training/train_config_validation.h): the field
// path ("train.optimizer.lr", "eval.cost_timesteps[1]") and what is wrong with it.
absl::Status ToStatus(const FieldViolation& e) {
  return absl::InvalidArgumentError(absl::StrCat(e.path, " ", e.message));
}

// The text position of `path` in a parsed message: the deepest field along the path that the
// text sets. Empty when nothing along it was written in the text.
std::string Locate(const TextFormat::ParseInfoTree* tree, const Descriptor* descriptor,
                   const std::string& path) {
  std::string best;
  for (absl::string_view segment : absl::StrSplit(path, '.')) {
    if (tree == nullptr || descriptor == nullptr) break;
    int index = -1;
    std::string name(segment);
    const size_t bracket = name.find('[');
    if (bracket != std::string::npos) {
      if (!absl::SimpleAtoi(name.substr(bracket + 1, name.size() - bracket - 2), &index)) break;
      name = name.substr(0, bracket);
    }
    const FieldDescriptor* field = descriptor->FindFieldByName(name);
    if (field == nullptr) break;
    if (field->is_repeated() && index < 0) index = 0;
    if (!field->is_repeated()) index = -1;
    const TextFormat::ParseLocation loc = tree->GetLocation(field, index);
    if (loc.line < 0) break;
    best = absl::StrCat(loc.line + 1, ":", loc.column + 1);
    if (field->type() != FieldDescriptor::TYPE_MESSAGE) break;
    tree = tree->GetTreeForNested(field, index);
    descriptor = field->message_type();
  }
  return best;
}

std::optional<FieldViolation> RequireRange(const std::string& path, double value, double lo,
                                           double hi) {
  if (!std::isfinite(value) || value < lo || value > hi) {
    return FieldViolation{path, absl::StrCat("must be in [", lo, ", ", hi, "], got ", value)};
  }
  return std::nullopt;
}

// Sets train.distill.method (and LaSNN's paradigm) as trained method `m` runs.
void SetDistillMethod(Method m, DistillConfig* d) {
  switch (m) {
    case LASNN_JOINT:
      d->set_method(DistillConfig::LASNN);
      d->set_paradigm(DistillConfig::JOINT);
      break;
    case LASNN_CURRICULUM:
      d->set_method(DistillConfig::LASNN);
      d->set_paradigm(DistillConfig::CURRICULUM);
      break;
    case LASNN_STAGE_BY_STAGE:
      d->set_method(DistillConfig::LASNN);
      d->set_paradigm(DistillConfig::STAGE_BY_STAGE);
      break;
    case LOGIT_KD: d->set_method(DistillConfig::LOGIT_KD); break;
    case FEATURE_KD: d->set_method(DistillConfig::FEATURE_KD); break;
    default: d->set_method(DistillConfig::DIRECT); break;
  }
}

std::optional<FieldViolation> FindReferenceViolation(const ReferenceWeights& r,
                                                     const std::string& field) {
  if (r.file().empty()) return FieldViolation{absl::StrCat(field, ".file"), "must be set"};
  const std::string& h = r.sha256();
  const bool hex = h.size() == 64 && std::all_of(h.begin(), h.end(), [](char ch) {
                     return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
                   });
  if (!hex) {
    return FieldViolation{absl::StrCat(field, ".sha256"),
                          absl::StrCat("must be the file's SHA-256, 64 lowercase hex digits, got '",
                                       h, "'")};
  }
  return std::nullopt;
}

std::optional<FieldViolation> Validate(const ExperimentConfig& c) {
  if (c.data().kind() == datasets::DATASET_KIND_UNSPECIFIED) {
    return FieldViolation{"data.kind", "must be set (DATASET_KIND_FASHION_MNIST, ...)"};
  }
  if (c.method() == METHOD_UNSPECIFIED) return FieldViolation{"method", "must be set"};
  const bool trained = IsTrainedMethod(c.method());
  if (trained) {
    if (!c.has_student()) {
      return FieldViolation{"student",
                            absl::StrCat("must be set for method ", MethodKey(c.method()))};
    }
    const absl::Status s = ValidateModelSpec(c.student());
    if (!s.ok()) return ViolationUnder("student", s);
    TrainConfig train = c.train();  // with the distillation method and paradigm it will run with
    SetDistillMethod(c.method(), train.mutable_distill());
    if (auto e = FindTrainConfigViolation(train, "train")) return e;
    if (c.teacher().has_model() && ValidateModelSpec(c.teacher().model()).ok()) {
      if (auto e = FindAttentionPairViolation(train, "train", c.student(), c.teacher().model())) {
        return e;
      }
    }
  }
  if (NeedsTeacher(c.method())) {
    const TeacherConfig& t = c.teacher();
    if (t.has_reference()) {
      if (!t.has_train()) {
        return FieldViolation{"teacher.reference",
                              "needs teacher.train (the training that produced the weights, "
                              "which --from_scratch runs instead)"};
      }
      if (auto e = FindReferenceViolation(t.reference(), "teacher.reference")) return e;
    }
    const int sources = (t.has_train() ? 1 : 0) + (t.has_weights_file() ? 1 : 0) +
                        (t.has_torchscript_file() ? 1 : 0);
    if (sources != 1) {
      return FieldViolation{"teacher",
                            "needs exactly one of train (with model), weights_file (with "
                            "model) or torchscript_file"};
    }
    if (!t.has_torchscript_file()) {
      if (!t.has_model()) return FieldViolation{"teacher.model", "must be set"};
      const absl::Status s = ValidateModelSpec(t.model());
      if (!s.ok()) return ViolationUnder("teacher.model", s);
    }
    if (t.has_train()) {
      if (auto e = FindTrainConfigViolation(t.train(), "teacher.train")) return e;
    }
    if (c.method() == QCFS && t.has_torchscript_file() && !c.conversion().has_qcfs_train()) {
      return FieldViolation{"conversion.qcfs_train",
                            "must be set for QCFS with an imported teacher"};
    }
  }
  const ConversionConfig& v = c.conversion();
  if (!trained) {
    // MaxNorm's and Spike-Norm's report labels state their input ("analog input"); until the
    // labels follow the record's input_encoding, a coded input would contradict them.
    const Method m = c.method();
    if (v.encoder().kind() != EncoderSpec::DIRECT &&
        (m == CONVERSION_MAX || m == CONVERSION_MAX_AS_PUBLISHED || m == SPIKE_NORM ||
         m == SPIKE_NORM_AS_PUBLISHED)) {
      return FieldViolation{"conversion.encoder",
                            absl::StrCat("must be DIRECT for method ", MethodKey(m),
                                         " (its report label states analog input); RobustNorm "
                                         "and QCFS conversions take POISSON or LATENCY")};
    }
    const ConversionVariant want = ConversionVariantOf(c.method());
    const std::string why = absl::StrCat(
        "is fixed by method ", MethodKey(c.method()),
        " (the report names a conversion by its method; choose the method of the variant)");
    if (v.has_reset_by_subtraction() && v.reset_by_subtraction() != want.reset_by_subtraction) {
      return FieldViolation{"conversion.reset_by_subtraction",
                            absl::StrCat(why, ": must be ",
                                         want.reset_by_subtraction ? "true" : "false")};
    }
    if (v.has_init_membrane() && v.init_membrane() != want.init_membrane) {
      return FieldViolation{"conversion.init_membrane",
                            absl::StrCat(why, ": must be ", want.init_membrane)};
    }
    if (v.has_percentile_of() &&
        want.percentile_of != ConversionConfig::PERCENTILE_OF_UNSPECIFIED &&
        v.percentile_of() != want.percentile_of) {
      return FieldViolation{"conversion.percentile_of",
                            absl::StrCat(why, ": must be ",
                                         ConversionConfig::PercentileOf_Name(want.percentile_of))};
    }
  }
  if (auto e = RequireRange("conversion.calibration_size", v.calibration_size(), 1, 1e7)) return e;
  if (!(v.percentile() > 0 && v.percentile() <= 100)) {
    return FieldViolation{"conversion.percentile",
                          absl::StrCat("must be in (0, 100], got ", v.percentile())};
  }
  if (auto e = RequireRange("conversion.spike_norm_timesteps", v.spike_norm_timesteps(), 1, 4096)) {
    return e;
  }
  if (auto e = RequireRange("conversion.qcfs_levels", v.qcfs_levels(), 1, 1024)) return e;
  if (v.has_qcfs_train()) {
    if (auto e = FindTrainConfigViolation(v.qcfs_train(), "conversion.qcfs_train")) return e;
  }
  if (v.has_qcfs_reference()) {
    if (auto e = FindReferenceViolation(v.qcfs_reference(), "conversion.qcfs_reference")) {
      return e;
    }
    if (!v.has_qcfs_train() && !c.teacher().has_train()) {
      return FieldViolation{"conversion.qcfs_reference",
                            "needs conversion.qcfs_train or teacher.train (the training that "
                            "produced the weights, which --from_scratch runs instead)"};
    }
  }
  const EvalConfig& ev = c.eval();
  if (auto e = RequireRange("eval.t_max", ev.t_max(), 0, 4096)) return e;
  // A latency code depends on its length: the student is evaluated on its own T-step code only.
  if (IsTrainedMethod(c.method()) && c.student().encoder().kind() == EncoderSpec::LATENCY) {
    const int T = c.train().timesteps();
    if (ev.t_max() != 0 && ev.t_max() != T) {
      return FieldViolation{"eval.t_max",
                            absl::StrCat("must be 0 or train.timesteps (", T, ") for a "
                                         "latency-coded student (its code depends on T), got ",
                                         ev.t_max())};
    }
    for (int i = 0; i < ev.cost_timesteps_size(); ++i) {
      if (ev.cost_timesteps(i) != T) {
        return FieldViolation{absl::StrCat("eval.cost_timesteps[", i, "]"),
                              absl::StrCat("must be train.timesteps (", T, ") for a "
                                           "latency-coded student, got ", ev.cost_timesteps(i))};
      }
    }
  }
  if (auto e = RequireRange("eval.test_subset", ev.test_subset(), 0, 1e8)) return e;
  for (int i = 0; i < ev.cost_timesteps_size(); ++i) {
    if (auto e = RequireRange(absl::StrCat("eval.cost_timesteps[", i, "]"), ev.cost_timesteps(i), 1,
                              4096)) {
      return e;
    }
  }
  if (auto e = RequireRange("eval.throughput_batch", ev.throughput_batch(), 1, 65536)) return e;
  if (auto e = RequireRange("eval.latency_repeats", ev.latency_repeats(), 1, 10000)) return e;
  if (auto e = RequireRange("eval.firing_rate_images", ev.firing_rate_images(), 1, 1e8)) return e;
  if (auto e = RequireRange("energy.pj_per_ac", c.energy().pj_per_ac(), 1e-6, 1e6)) return e;
  if (auto e = RequireRange("energy.pj_per_mac", c.energy().pj_per_mac(), 1e-6, 1e6)) return e;
  const std::string& dev = c.device();
  if (dev != "cpu" && dev != "cuda" && dev.rfind("cuda:", 0) != 0 && dev != "lazy") {
    return FieldViolation{"device",
                          absl::StrCat("must be cpu, cuda, cuda:N or lazy, got '", dev, "'")};
  }
  if (auto e = RequireRange("threads", c.threads(), 1, kMaxThreads)) return e;
  return std::nullopt;
}

absl::Status LocatedError(absl::string_view source, const TextFormat::ParseInfoTree& tree,
                          const Descriptor* descriptor, const FieldViolation& e) {
  const std::string where = Locate(&tree, descriptor, e.path);
  return absl::InvalidArgumentError(
      absl::StrCat(source, ":", where.empty() ? "" : absl::StrCat(where, ": "), e.path, " ",
                   e.message));
}

std::string DatasetKey(const datasets::DatasetSpec& d) {
  std::string name = datasets::DatasetKind_Name(d.kind());
  const std::string prefix = "DATASET_KIND_";
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(name);
}

std::string Deterministic(const google::protobuf::Message& m) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

}  // namespace

bool IsTrainedMethod(Method m) {
  return m == LASNN_JOINT || m == LASNN_CURRICULUM || m == LASNN_STAGE_BY_STAGE ||
         m == LOGIT_KD || m == FEATURE_KD ||
         m == DIRECT;
}

bool NeedsTeacher(Method m) { return m != DIRECT && m != METHOD_UNSPECIFIED; }

ConversionVariant ConversionVariantOf(Method m) {
  ConversionVariant v;
  switch (m) {
    case CONVERSION_MAX_AS_PUBLISHED:
    case SPIKE_NORM_AS_PUBLISHED:
      v.reset_by_subtraction = false;
      break;
    case CONVERSION_ROBUST:
    case CONVERSION_ROBUST_PER_CHANNEL:
      v.percentile_of = ConversionConfig::ALL_ACTIVATIONS;
      break;
    case CONVERSION_ROBUST_AS_PUBLISHED:
      v.percentile_of = ConversionConfig::NONZERO_ACTIVATIONS;
      break;
    case QCFS:
      v.init_membrane = 0.5;
      break;
    default:
      break;
  }
  return v;
}

// The input code's part of an experiment name: "" for direct input, else "poisson/" or
// "latency/".
std::string InputKey(const EncoderSpec& encoder) {
  if (encoder.kind() == EncoderSpec::DIRECT) return "";
  return absl::StrCat(absl::AsciiStrToLower(EncoderSpec::Kind_Name(encoder.kind())), "/");
}

std::string MethodKey(Method m) { return absl::AsciiStrToLower(Method_Name(m)); }

absl::StatusOr<Method> ParseMethodKey(absl::string_view key) {
  Method m;
  if (!Method_Parse(absl::AsciiStrToUpper(key), &m) || m == METHOD_UNSPECIFIED) {
    std::vector<std::string> names;
    for (int i = 1; i <= Method_MAX; ++i) {
      if (Method_IsValid(i)) names.push_back(MethodKey(static_cast<Method>(i)));
    }
    return absl::InvalidArgumentError(absl::StrCat("unknown method '", key, "'; known: ",
                                                   absl::StrJoin(names, ", ")));
  }
  return m;
}

absl::Status ValidateExperiment(const ExperimentConfig& config) {
  if (auto e = Validate(config)) return ToStatus(*e);
  return absl::OkStatus();
}

absl::StatusOr<ExperimentConfig> ParseExperimentText(absl::string_view text,
                                                     absl::string_view source) {
  TextFormat::ParseInfoTree tree;
  LASNN_ASSIGN_OR_RETURN(ExperimentConfig c, ParseTextProto<ExperimentConfig>(text, source, &tree));
  WarnAboutDeprecatedNames(text, source, ExperimentConfig::descriptor());
  if (auto e = Validate(c)) return LocatedError(source, tree, ExperimentConfig::descriptor(), *e);
  return c;
}

absl::StatusOr<ExperimentConfig> LoadExperimentFile(const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
  return ParseExperimentText(text, path);
}

absl::StatusOr<SuiteConfig> ParseSuiteText(absl::string_view text, absl::string_view source) {
  TextFormat::ParseInfoTree tree;
  LASNN_ASSIGN_OR_RETURN(SuiteConfig s, ParseTextProto<SuiteConfig>(text, source, &tree));
  WarnAboutDeprecatedNames(text, source, SuiteConfig::descriptor());
  // The name becomes a directory name (results/<name>): letters, digits, '_' and '-' only.
  if (s.name().empty() || s.name().size() > 64 ||
      !std::all_of(s.name().begin(), s.name().end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '_' || c == '-';
      })) {
    return LocatedError(source, tree, SuiteConfig::descriptor(),
                        {"name", absl::StrCat("must be 1-64 letters, digits, '_' or '-' (it names "
                                              "the results directory), got '", s.name(), "'")});
  }
  for (int g = 0; g < s.grids_size(); ++g) {
    const SuiteGrid& grid = s.grids(g);
    for (int i = 0; i < grid.timesteps_size(); ++i) {
      if (auto e = RequireRange(absl::StrCat("grids[", g, "].timesteps[", i, "]"),
                                grid.timesteps(i), 1, kMaxTrainTimesteps)) {
        return LocatedError(source, tree, SuiteConfig::descriptor(), *e);
      }
    }
    for (int i = 0; i < grid.students_size(); ++i) {
      const absl::Status st = ValidateModelSpec(grid.students(i));
      if (!st.ok()) {
        return LocatedError(source, tree, SuiteConfig::descriptor(),
                            ViolationUnder(absl::StrCat("grids[", g, "].students[", i, "]"), st));
      }
    }
    for (int i = 0; i < grid.methods_size(); ++i) {
      if (grid.methods(i) == METHOD_UNSPECIFIED) {
        return LocatedError(source, tree, SuiteConfig::descriptor(),
                            {absl::StrCat("grids[", g, "].methods[", i, "]"), "must be set"});
      }
    }
  }
  // Every expanded experiment must be valid; report errors at the base (the only place a grid
  // point's other fields come from).
  absl::StatusOr<std::vector<ExperimentConfig>> expanded = ExpandSuite(s);
  if (!expanded.ok()) {
    const std::string message(expanded.status().message());
    // "<name>: <path> <message>" from ExpandSuite; locate <path> under base.
    const size_t colon = message.find(": ");
    if (colon != std::string::npos) {
      const std::string rest = message.substr(colon + 2);
      const size_t space = rest.find(' ');
      const std::string path = rest.substr(0, space);
      const std::string where = Locate(&tree, SuiteConfig::descriptor(), "base." + path);
      if (!where.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ":", where, ": ", message.substr(0, colon), ": ", rest));
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", message));
  }
  return s;
}

absl::StatusOr<SuiteConfig> LoadSuiteFile(const std::string& path) {
  LASNN_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
  return ParseSuiteText(text, path);
}

ExperimentConfig ResolveExperiment(const ExperimentConfig& config) {
  ExperimentConfig c = config;
  const Method m = c.method();
  c.set_device(c.device());
  c.set_threads(c.threads());
  c.set_seed(c.seed());
  EvalConfig* ev = c.mutable_eval();
  if (IsTrainedMethod(m)) {
    TrainConfig* t = c.mutable_train();
    t->set_seed(c.seed());
    t->set_threads(c.threads());
    t->set_timesteps(t->timesteps());
    t->set_epochs(t->epochs());
    DistillConfig* d = t->mutable_distill();
    SetDistillMethod(m, d);
    if (d->method() == DistillConfig::LASNN) {
      // Written out, so that a record states them and its hash changes with their defaults.
      d->set_beta(d->beta());
      d->set_attention_p(d->attention_p());
      d->set_attention_normalization(d->attention_normalization());
      d->set_attention_min_size(d->attention_min_size());
      if (d->paradigm() == DistillConfig::CURRICULUM) d->set_stage_epochs(d->stage_epochs());
    }
    if (m == DIRECT) c.clear_teacher();
    c.clear_conversion();
    if (ev->t_max() == 0) ev->set_t_max(t->timesteps());
    if (ev->cost_timesteps_size() == 0) ev->add_cost_timesteps(t->timesteps());
  } else {
    c.clear_student();
    c.clear_train();
    ConversionConfig* v = c.mutable_conversion();
    const ConversionVariant variant = ConversionVariantOf(m);
    v->set_calibration_size(v->calibration_size());
    v->set_calibration_seed(v->calibration_seed());
    v->set_reset_by_subtraction(variant.reset_by_subtraction);
    v->set_init_membrane(variant.init_membrane);
    if (variant.percentile_of != ConversionConfig::PERCENTILE_OF_UNSPECIFIED) {
      v->set_percentile(v->percentile());
      v->set_percentile_of(variant.percentile_of);
    } else {
      v->clear_percentile();
      v->clear_percentile_of();
    }
    if (m == SPIKE_NORM || m == SPIKE_NORM_AS_PUBLISHED) {
      v->set_spike_norm_timesteps(v->spike_norm_timesteps());
    } else {
      v->clear_spike_norm_timesteps();
    }
    if (m == QCFS) {
      v->set_qcfs_levels(v->qcfs_levels());
      if (!v->has_qcfs_train()) *v->mutable_qcfs_train() = c.teacher().train();
      v->mutable_qcfs_train()->set_threads(c.threads());
      v->clear_calibration_size();
      v->clear_calibration_seed();
    } else {
      v->clear_qcfs_levels();
      v->clear_qcfs_train();
      v->clear_qcfs_reference();
    }
    if (ev->t_max() == 0) ev->set_t_max(m == QCFS ? 64 : 256);
    if (ev->cost_timesteps_size() == 0) {
      for (int t : {4, 16, 64, 256}) {
        if (t <= ev->t_max()) ev->add_cost_timesteps(t);
      }
    }
  }
  ev->set_test_subset(ev->test_subset());
  ev->set_throughput_batch(ev->throughput_batch());
  ev->set_latency_repeats(ev->latency_repeats());
  ev->set_firing_rate_images(ev->firing_rate_images());
  c.mutable_energy()->set_pj_per_ac(c.energy().pj_per_ac());
  c.mutable_energy()->set_pj_per_mac(c.energy().pj_per_mac());
  if (c.has_teacher() && c.teacher().has_train()) {
    c.mutable_teacher()->mutable_train()->set_threads(c.threads());
  }
  return c;
}

std::string ConfigHash(const ExperimentConfig& resolved) {
  ExperimentConfig c = resolved;
  c.clear_name();
  c.mutable_data()->clear_path();  // where the files are does not change the experiment
  c.mutable_data()->clear_decode_threads();
  return Sha256Hex(Deterministic(c)).substr(0, 16);
}

void DropReferenceWeights(SuiteConfig& suite) {
  auto drop = [](ExperimentConfig* c) {
    c->mutable_teacher()->clear_reference();
    c->mutable_conversion()->clear_qcfs_reference();
    if (c->teacher().ByteSizeLong() == 0) c->clear_teacher();
    if (c->conversion().ByteSizeLong() == 0) c->clear_conversion();
  };
  drop(suite.mutable_base());
  for (SuiteGrid& g : *suite.mutable_grids()) {
    if (g.has_overrides()) drop(g.mutable_overrides());
  }
}

std::string TeacherCacheKey(const ExperimentConfig& resolved) {
  TeacherConfig t = resolved.teacher();
  datasets::DatasetSpec d = resolved.data();
  d.clear_path();
  d.clear_decode_threads();
  return Sha256Hex(absl::StrCat(Deterministic(t), "|", Deterministic(d))).substr(0, 16);
}

absl::StatusOr<std::vector<ExperimentConfig>> ExpandSuite(const SuiteConfig& suite) {
  std::vector<ExperimentConfig> out;
  std::set<std::string> seen;
  auto add = [&](ExperimentConfig c) -> absl::Status {
    if (auto e = Validate(c)) {
      return absl::InvalidArgumentError(absl::StrCat(c.name(), ": ", e->path, " ", e->message));
    }
    ExperimentConfig r = ResolveExperiment(c);
    if (seen.insert(ConfigHash(r)).second) out.push_back(std::move(r));
    return absl::OkStatus();
  };
  if (suite.grids_size() == 0) {
    return absl::InvalidArgumentError("grids: a suite needs at least one grid");
  }
  double planned = 0;
  for (int g = 0; g < suite.grids_size(); ++g) {
    const SuiteGrid& grid = suite.grids(g);
    ExperimentConfig base = suite.base();
    // A grid's teacher model replaces the base's whole (merging would append its layers).
    if (grid.overrides().teacher().has_model()) base.mutable_teacher()->clear_model();
    base.MergeFrom(grid.overrides());
    std::vector<datasets::DatasetSpec> data(grid.datasets().begin(), grid.datasets().end());
    if (data.empty()) data.push_back(base.data());
    std::vector<Method> methods;
    for (int m : grid.methods()) methods.push_back(static_cast<Method>(m));
    if (methods.empty()) methods.push_back(base.method());
    std::vector<ModelSpec> students(grid.students().begin(), grid.students().end());
    if (students.empty()) students.push_back(base.student());
    std::vector<int> timesteps(grid.timesteps().begin(), grid.timesteps().end());
    if (timesteps.empty()) timesteps.push_back(base.train().timesteps());
    std::vector<uint64_t> seeds(grid.seeds().begin(), grid.seeds().end());
    if (seeds.empty()) seeds.push_back(base.seed());
    // Bound the expansion before building anything: each factor is at most the input's size, so
    // these products of doubles are exact enough to compare with the limit.
    const double trained_per_method = static_cast<double>(students.size()) * timesteps.size();
    double count = 0;
    for (Method m : methods) count += IsTrainedMethod(m) ? trained_per_method : 1.0;
    count *= static_cast<double>(data.size()) * seeds.size();
    planned += count;
    if (planned > kMaxSuiteExperiments) {
      return absl::InvalidArgumentError(absl::StrCat(
          "grids[", g, "]: the suite expands to more than ", kMaxSuiteExperiments,
          " experiments (", count, " in this grid); split it into several suites"));
    }
    for (const datasets::DatasetSpec& d : data) {
      for (Method m : methods) {
        for (uint64_t seed : seeds) {
          ExperimentConfig c = base;
          *c.mutable_data() = d;
          c.set_method(m);
          c.set_seed(seed);
          if (!IsTrainedMethod(m)) {
            // A grid with its own teacher names it, beside the base teacher's conversions.
            const std::string teacher = grid.overrides().teacher().has_model()
                                            ? absl::StrCat(base.teacher().model().name(), "/")
                                            : "";
            c.set_name(absl::StrCat(suite.name(), "/", DatasetKey(d), "/", MethodKey(m), "/",
                                    teacher, InputKey(c.conversion().encoder()), "seed", seed));
            LASNN_RETURN_IF_ERROR(add(c));
            continue;
          }
          for (const ModelSpec& s : students) {
            for (int t : timesteps) {
              ExperimentConfig e = c;
              *e.mutable_student() = s;
              e.mutable_train()->set_timesteps(t);
              e.set_name(absl::StrCat(suite.name(), "/", DatasetKey(d), "/", MethodKey(m), "/",
                                      s.name(), "/", InputKey(s.encoder()), "T", t, "/seed",
                                      seed));
              LASNN_RETURN_IF_ERROR(add(e));
            }
          }
        }
      }
    }
  }
  return out;
}

absl::StatusOr<std::pair<int, int>> ParseShard(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  int i = 0, n = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &i) || !absl::SimpleAtoi(parts[1], &n) ||
      n < 1 || i < 0 || i >= n) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shard must be i/n with 0 <= i < n, got '", text, "'"));
  }
  return std::make_pair(i, n);
}

std::vector<ExperimentConfig> SelectShard(const std::vector<ExperimentConfig>& experiments,
                                          int index, int count) {
  std::vector<ExperimentConfig> out;
  for (size_t p = 0; p < experiments.size(); ++p) {
    if (static_cast<int>(p % count) == index) out.push_back(experiments[p]);
  }
  return out;
}

}  // namespace lasnn
