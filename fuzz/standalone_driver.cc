// A main() for the fuzz targets in the default (non-fuzzing) build: it runs every input file it
// is given (files, or every regular file of a directory, in sorted order) through
// LLVMFuzzerTestOneInput once. Arguments that start with '-' are libFuzzer flags and are ignored,
// so the same command line runs the seed corpus and the regression inputs in a plain build and
// fuzzes under --config=fuzz (where libFuzzer supplies main()).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

bool RunFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz driver: cannot read '%s'\n", path.c_str());
    return false;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A heap copy of exactly the input's size, so that an over-read is an ASan error here too.
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '-') continue;
    std::error_code ec;
    if (std::filesystem::is_directory(argv[i], ec)) {
      std::vector<std::string> in_dir;
      for (const auto& entry : std::filesystem::directory_iterator(argv[i], ec)) {
        if (entry.is_regular_file()) in_dir.push_back(entry.path().string());
      }
      if (ec) {
        std::fprintf(stderr, "fuzz driver: cannot list '%s': %s\n", argv[i], ec.message().c_str());
        return 2;
      }
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.emplace_back(argv[i]);
    }
  }
  for (const std::string& f : files) {
    if (!RunFile(f)) return 2;
  }
  std::printf("fuzz driver: ran %zu input(s) once each (build with --config=fuzz to fuzz)\n",
              files.size());
  return 0;
}
