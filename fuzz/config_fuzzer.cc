// Fuzzes the experiment and suite text-format configs: parsing with line:column errors,
// validation, resolution, hashing and grid expansion. The input is tried as both. A config that
// parses must resolve to one that still validates and hashes the same twice, and every error
// must name its source.
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "benchmarks/experiment/experiment_config.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string source = "fuzz.textproto";
  auto experiment = lasnn::ParseExperimentText(text, source);
  if (experiment.ok()) {
    const lasnn::ExperimentConfig resolved = lasnn::ResolveExperiment(*experiment);
    const absl::Status valid = lasnn::ValidateExperiment(resolved);
    if (!valid.ok()) {
      std::fprintf(stderr, "resolved config no longer validates: %s\n", valid.ToString().c_str());
      LASNN_FUZZ_CHECK(valid.ok());
    }
    const std::string hash = lasnn::ConfigHash(resolved);
    LASNN_FUZZ_CHECK(hash.size() == 16 && hash == lasnn::ConfigHash(resolved));
    LASNN_FUZZ_CHECK(!lasnn::TeacherCacheKey(resolved).empty());
  } else {
    LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(experiment.status(), source));
  }
  auto suite = lasnn::ParseSuiteText(text, source);
  if (suite.ok()) {
    auto expanded = lasnn::ExpandSuite(*suite);
    if (expanded.ok()) {
      LASNN_FUZZ_CHECK(!expanded->empty());
      LASNN_FUZZ_CHECK(expanded->size() <= static_cast<size_t>(lasnn::kMaxSuiteExperiments));
      for (const lasnn::ExperimentConfig& e : *expanded) {
        LASNN_FUZZ_CHECK(lasnn::ValidateExperiment(e).ok());
      }
    }
  } else {
    LASNN_FUZZ_CHECK(lasnn::fuzz::NamesPath(suite.status(), source));
  }
  return 0;
}
