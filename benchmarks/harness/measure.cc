#include "benchmarks/harness/measure.h"

#include <algorithm>
#include <chrono>

namespace lasnn {

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

std::vector<double> TimeCalls(int repeats, const std::function<void()>& fn) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> seconds;
  seconds.reserve(std::max(repeats, 0));
  for (int i = 0; i < repeats; ++i) {
    const Clock::time_point start = Clock::now();
    fn();
    seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  return seconds;
}

LatencyThroughput MeasureLatencyThroughput(const std::function<void()>& run_one,
                                           const std::function<void()>& run_batch,
                                           int64_t batch_size, const TimingOptions& options) {
  for (int i = 0; i < options.warmup; ++i) run_one();
  LatencyThroughput m;
  m.latency_ms = Median(TimeCalls(options.latency_repeats, run_one)) * 1e3;
  const double batch_seconds = Median(TimeCalls(options.throughput_repeats, run_batch));
  m.throughput_img_s = batch_seconds > 0 ? static_cast<double>(batch_size) / batch_seconds : 0;
  return m;
}

}  // namespace lasnn
