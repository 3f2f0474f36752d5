// Wall-clock measurement of a model's latency and throughput, the one warm-up / repeat / median
// loop of the harness (ANN teachers, trained SNNs and converted SNNs alike).
//
// Latency: `run_one` (one image) is called `warmup` times untimed, then `latency_repeats` times
// timed; the median in milliseconds. Throughput: `run_batch` (`batch_size` images) is then called
// `throughput_repeats` times timed; `batch_size` over the median time, in images per second.
// The calls happen in exactly that order, so the last call is always a `run_batch` call.
// Each timed call goes through `TimingOptions::time_call`: a device-aware timer (lasnn/core/device.h
// TimeOnDevice: CUDA events on CUDA, synchronise-then-clock on other devices) or, by default, the
// steady clock, which only means something for work that is done when the call returns (the CPU).
#ifndef LASNN_BENCHMARKS_HARNESS_MEASURE_H_
#define LASNN_BENCHMARKS_HARNESS_MEASURE_H_

#include <cstdint>
#include <functional>
#include <vector>

namespace lasnn {

// Seconds taken by one call of its argument.
using CallTimer = std::function<double(const std::function<void()>&)>;

// The steady clock around the call.
double WallSeconds(const std::function<void()>& fn);

struct TimingOptions {
  CallTimer time_call = WallSeconds;
  int warmup = 1;
  int latency_repeats = 1;     // >= 1
  int throughput_repeats = 3;  // >= 1
};

struct LatencyThroughput {
  double latency_ms = 0;
  double throughput_img_s = 0;
};

// The upper median (element size/2 of the sorted values); 0 for none.
double Median(std::vector<double> values);

// Seconds of each of `repeats` calls of `fn`, each timed by `time_call`.
std::vector<double> TimeCalls(int repeats, const std::function<void()>& fn,
                              const CallTimer& time_call = WallSeconds);

LatencyThroughput MeasureLatencyThroughput(const std::function<void()>& run_one,
                                           const std::function<void()>& run_batch,
                                           int64_t batch_size, const TimingOptions& options);

}  // namespace lasnn

#endif  // LASNN_BENCHMARKS_HARNESS_MEASURE_H_
