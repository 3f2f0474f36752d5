#include "util/memory_probe.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace lasnn {

absl::StatusOr<int64_t> ParseProcStatusBytes(absl::string_view status_text,
                                             absl::string_view field) {
  for (absl::string_view line : absl::StrSplit(status_text, '\n')) {
    if (!absl::ConsumePrefix(&line, field) || !absl::ConsumePrefix(&line, ":")) continue;
    absl::string_view value = absl::StripAsciiWhitespace(line);
    int64_t kb = 0;
    if (!absl::ConsumeSuffix(&value, "kB") ||
        !absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &kb)) {
      return absl::DataLossError(
          absl::StrCat("/proc status field ", field, " is not '<n> kB': '", line, "'"));
    }
    return kb * 1024;
  }
  return absl::NotFoundError(absl::StrCat("no field ", field, " in the /proc status text"));
}

absl::StatusOr<int64_t> ReadProcStatusBytes(absl::string_view field) {
  std::ifstream in("/proc/self/status");
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return absl::UnavailableError("cannot read /proc/self/status");
  return ParseProcStatusBytes(text.str(), field);
}

int64_t PeakResidentBytes() { return ReadProcStatusBytes("VmHWM").value_or(0); }

absl::Status ResetPeakResident() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  if (!out) return absl::UnavailableError("cannot write /proc/self/clear_refs");
  return absl::OkStatus();
}

}  // namespace lasnn
