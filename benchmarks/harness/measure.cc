#include "benchmarks/harness/measure.h"

#include <algorithm>
#include <chrono>

namespace lasnn {

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double WallSeconds(const std::function<void()>& fn) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  fn();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<double> TimeCalls(int repeats, const std::function<void()>& fn,
                              const CallTimer& time_call) {
  std::vector<double> seconds;
  seconds.reserve(std::max(repeats, 0));
  for (int i = 0; i < repeats; ++i) seconds.push_back(time_call(fn));
  return seconds;
}

LatencyThroughput MeasureLatencyThroughput(const std::function<void()>& run_one,
                                           const std::function<void()>& run_batch,
                                           int64_t batch_size, const TimingOptions& options) {
  for (int i = 0; i < options.warmup; ++i) run_one();
  LatencyThroughput m;
  m.latency_ms = Median(TimeCalls(options.latency_repeats, run_one, options.time_call)) * 1e3;
  const double batch_seconds =
      Median(TimeCalls(options.throughput_repeats, run_batch, options.time_call));
  m.throughput_img_s = batch_seconds > 0 ? static_cast<double>(batch_size) / batch_seconds : 0;
  return m;
}

}  // namespace lasnn
