#include "benchmarks/harness/measure.h"

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace lasnn {
namespace {

TEST(MedianTest, OddEvenAndEmpty) {
  EXPECT_EQ(Median({}), 0);
  EXPECT_EQ(Median({7}), 7);
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({5, 100, 1}), 5);
  EXPECT_EQ(Median({4, 1, 3, 2}), 3);  // the upper median
}

TEST(TimeCallsTest, TimesEachCall) {
  int calls = 0;
  const std::vector<double> s = TimeCalls(3, [&] {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  });
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(s.size(), 3u);
  for (double v : s) EXPECT_GE(v, 0.002);
  EXPECT_TRUE(TimeCalls(0, [&] { ++calls; }).empty());
  EXPECT_EQ(calls, 3);
}

TEST(MeasureLatencyThroughputTest, WarmsUpThenTimesOneThenBatch) {
  std::string order;
  TimingOptions o;
  o.warmup = 1;
  o.latency_repeats = 2;
  o.throughput_repeats = 3;
  const LatencyThroughput m = MeasureLatencyThroughput(
      [&] {
        order += 'o';
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      },
      [&] {
        order += 'B';
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      },
      /*batch_size=*/10, o);
  EXPECT_EQ(order, "oooBBB");
  EXPECT_GE(m.latency_ms, 1.0);
  // 10 images in >= 5 ms each: at most 2000 images per second.
  EXPECT_GT(m.throughput_img_s, 0);
  EXPECT_LE(m.throughput_img_s, 2000);
}

TEST(MeasureLatencyThroughputTest, EveryTimedCallGoesThroughTheTimer) {
  std::string order;
  TimingOptions o;
  o.warmup = 2;
  o.latency_repeats = 3;
  o.throughput_repeats = 1;
  o.time_call = [&](const std::function<void()>& fn) {
    order += '[';
    fn();
    order += ']';
    return 0.25;  // a device timer's reading, not the clock's
  };
  const LatencyThroughput m = MeasureLatencyThroughput([&] { order += 'o'; },
                                                       [&] { order += 'B'; },
                                                       /*batch_size=*/10, o);
  // The warm-up calls are untimed; every timed call is wrapped, and its reading is what counts.
  EXPECT_EQ(order, "oo[o][o][o][B]");
  EXPECT_DOUBLE_EQ(m.latency_ms, 250.0);
  EXPECT_DOUBLE_EQ(m.throughput_img_s, 40.0);
}

}  // namespace
}  // namespace lasnn
