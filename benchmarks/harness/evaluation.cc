#include "benchmarks/harness/evaluation.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "benchmarks/experiment/experiment_config.h"
#include "benchmarks/experiment/outcomes.h"
#include "benchmarks/harness/measure.h"
#include "benchmarks/harness/synaptic_ops.h"
#include "datasets/batcher.h"
#include "datasets/rng.h"
#include "lasnn/core/device.h"
#include "lasnn/core/encoder.h"
#include "lasnn/models/model_spec.h"
#include "lasnn/training/evaluate.h"
#include "util/sha256.h"
#include "util/status_macros.h"
#include "util/torch_status.h"

namespace lasnn {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Timing that measures the work queued on `device` (CUDA events on CUDA), not the host's calls.
TimingOptions TimingOn(const c10::Device& device) {
  TimingOptions timing;
  timing.time_call = [device](const std::function<void()>& fn) { return TimeOnDevice(device, fn); };
  return timing;
}

// Float images (normalised, or raw in [0, 1]) and labels of the given indices of a dataset.
absl::StatusOr<datasets::Batch> Gather(const datasets::Dataset& d,
                                       const std::vector<int64_t>& indices, bool raw = false) {
  LASNN_ASSIGN_OR_RETURN(datasets::BatcherOptions o,
                         datasets::DefaultBatcherOptions(d.name, /*training=*/false));
  o.batch_size = std::max<int64_t>(1, static_cast<int64_t>(indices.size()));
  if (raw) datasets::UseRawImages(o);
  LASNN_ASSIGN_OR_RETURN(auto batcher, datasets::Batcher::Create(d, o));
  return batcher->MakeBatch(0, indices);
}

// The first min(n, size) images of `d`.
absl::StatusOr<datasets::Batch> GatherFirst(const datasets::Dataset& d, int64_t n,
                                            bool raw = false) {
  std::vector<int64_t> indices(std::min<int64_t>(n, d.images.size(0)));
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<int64_t>(i);
  return Gather(d, indices, raw);
}

// The input encoder of an SNN fed `kind` on images of `d`, normalised with d's statistics after
// encoding; nullopt for direct encoding.
absl::StatusOr<std::optional<InputEncoder>> EncoderFor(const datasets::Dataset& d,
                                                       EncoderSpec::Kind kind, uint64_t seed) {
  LASNN_ASSIGN_OR_RETURN(datasets::BatcherOptions o,
                         datasets::DefaultBatcherOptions(d.name, /*training=*/false));
  return MoveNormalisationToEncoder(kind, seed, o);
}

conversion::Normalisation NormalisationOf(Method m) {
  switch (m) {
    case CONVERSION_MAX: return conversion::Normalisation::kMax;
    case CONVERSION_MAX_AS_PUBLISHED: return conversion::Normalisation::kMaxDiehl;
    case CONVERSION_ROBUST_PER_CHANNEL: return conversion::Normalisation::kRobustPerChannel;
    case SPIKE_NORM:
    case SPIKE_NORM_AS_PUBLISHED: return conversion::Normalisation::kSpikeNorm;
    case QCFS: return conversion::Normalisation::kQcfs;
    default: return conversion::Normalisation::kRobust;
  }
}

// Names of the converted SNN's spiking layers (the ANN's activation layers), in forward order.
std::vector<std::string> SpikingLayerNames(const conversion::FoldedAnn& ann) {
  std::vector<std::string> names;
  for (const conversion::FoldedLayer& l : ann.layers) {
    if (l.kind == conversion::FoldedLayer::Kind::kRelu) names.push_back(l.name);
  }
  return names;
}

// The per-image outcomes of an evaluation of all of `test` (images 0..N-1 of the split it was
// taken from by TakeFirst): `predictions` int64 [steps, N] on any device.
absl::StatusOr<EvalOutcomes> OutcomesOf(const datasets::Dataset& test,
                                        const at::Tensor& predictions) {
  const at::Tensor images = test.images.contiguous();
  const std::string sha = Sha256Hex(absl::string_view(
      static_cast<const char*>(images.data_ptr()), static_cast<size_t>(images.nbytes())));
  const at::Tensor labels = test.labels.to(at::kLong).contiguous();
  std::vector<int64_t> label_vec(labels.data_ptr<int64_t>(),
                                 labels.data_ptr<int64_t>() + labels.numel());
  const at::Tensor p = predictions.to(at::kCPU, at::kLong).contiguous();
  std::vector<std::vector<int64_t>> pred(p.size(0));
  for (int64_t t = 0; t < p.size(0); ++t) {
    const int64_t* row = p[t].data_ptr<int64_t>();
    pred[t].assign(row, row + p.size(1));
  }
  return PackOutcomes(0, sha, label_vec, pred);
}

double Rate(double spikes, double neuron_steps) {
  return neuron_steps > 0 ? spikes / neuron_steps : 0;
}

// Spikes per element per step of the T-step code (evaluation stream) of raw images [N, ...] with
// dataset indices [N], in chunks of images and steps (a long code of many images is large).
double InputSpikeRate(const InputEncoder& encoder, const at::Tensor& raw,
                      const at::Tensor& indices, int64_t T) {
  constexpr int64_t kImages = 100, kSteps = 16;
  const int64_t n = raw.size(0);
  at::Tensor spikes = at::zeros({}, raw.options().dtype(at::kDouble));
  for (int64_t i = 0; i < n; i += kImages) {
    const int64_t b = std::min(kImages, n - i);
    for (int64_t t = 0; t < T; t += kSteps) {
      spikes += encoder
                    .CodeSteps(raw.narrow(0, i, b), indices.narrow(0, i, b), /*stream=*/0, T, t,
                               std::min(kSteps, T - t))
                    .sum(at::kDouble);
    }
  }
  const double elements = static_cast<double>(raw.numel()) * static_cast<double>(T);
  return elements > 0 ? spikes.item<double>() / elements : 0.0;
}

}  // namespace

absl::StatusOr<TeacherResult> EvaluateAnn(Model& model, const ModelSpec& spec,
                                          const datasets::Dataset& test,
                                          const ExperimentConfig& c) {
  LASNN_ASSIGN_OR_RETURN(const c10::Device device, ResolveDevice(c.device()));
  MoveToDevice(*model, device);
  model->eval();
  EvalOptions eo;
  eo.batch_size = 500;
  eo.device = device;
  eo.keep_predictions = true;
  LASNN_ASSIGN_OR_RETURN(EvalResult r, EvaluateAccuracy(model, test, eo));
  TeacherResult result;
  result.set_model_name(spec.name());
  result.set_test_accuracy(r.final_accuracy());
  LASNN_ASSIGN_OR_RETURN(*result.mutable_outcomes(), OutcomesOf(test, r.predictions));
  result.set_parameters(CountParameters(*model));
  LASNN_ASSIGN_OR_RETURN(ModelPlan plan, PlanModel(spec));
  *result.mutable_ops() = CountAnnOps(plan, c.energy());
  LASNN_ASSIGN_OR_RETURN(datasets::Batch batch, GatherFirst(test, c.eval().throughput_batch()));
  LASNN_RETURN_IF_ERROR(TorchCall("ANN timing", [&] {
    torch::NoGradGuard no_grad;
    const at::Tensor images = batch.images.to(device);
    const at::Tensor one = images.narrow(0, 0, 1);
    ForwardOptions fo;
    fo.taps = false;
    TimingOptions timing = TimingOn(device);
    timing.latency_repeats = c.eval().latency_repeats();
    const LatencyThroughput m = MeasureLatencyThroughput(
        [&] { model->forward(one, fo); },
        [&] { model->forward(images, fo); },
        images.size(0), timing);
    result.set_latency_ms(m.latency_ms);
    result.set_throughput_img_s(m.throughput_img_s);
  }));
  return result;
}

absl::StatusOr<double> AnnAccuracy(Model& model, const datasets::Dataset& test,
                                   c10::Device device) {
  EvalOptions eo;
  eo.batch_size = 500;
  eo.device = device;
  LASNN_ASSIGN_OR_RETURN(EvalResult r, EvaluateAccuracy(model, test, eo));
  return r.final_accuracy();
}

absl::StatusOr<SnnEvaluation> EvaluateSnn(Model& model, const datasets::Dataset& test,
                                          const EvalConfig& eval, int64_t eval_batch_size,
                                          c10::Device device, uint64_t encoding_seed) {
  const auto t0 = Clock::now();
  SnnEvaluation e;
  EvalOptions eo;
  eo.timesteps = eval.t_max();
  eo.batch_size = eval_batch_size;
  eo.device = device;
  eo.keep_predictions = true;
  eo.encoding_seed = encoding_seed;
  LASNN_ASSIGN_OR_RETURN(EvalResult r, EvaluateAccuracy(model, test, eo));
  e.num_samples = r.num_samples;
  e.accuracy_at_t = std::move(r.accuracy_at_t);
  LASNN_ASSIGN_OR_RETURN(e.outcomes, OutcomesOf(test, r.predictions));

  constexpr int64_t kRateBatch = 250;
  const int64_t n_rate = std::min<int64_t>(eval.firing_rate_images(), test.images.size(0));
  LASNN_ASSIGN_OR_RETURN(std::optional<InputEncoder> encoder,
                         EncoderFor(test, model->encoding(), encoding_seed));
  const bool raw = encoder.has_value();
  LASNN_ASSIGN_OR_RETURN(datasets::Batch rate_batch, GatherFirst(test, n_rate, raw));
  LASNN_ASSIGN_OR_RETURN(datasets::Batch tput_batch,
                         GatherFirst(test, eval.throughput_batch(), raw));
  model->eval();
  for (int T : eval.cost_timesteps()) {
    TimestepMeasurement m;
    m.timesteps = T;
    LASNN_RETURN_IF_ERROR(TorchCall("SNN timing", [&] {
      // The model's input at T steps: the normalised images, or their T-step code (encoded
      // before the timing: the encoder is not the SNN's cost).
      const auto input = [&](const datasets::Batch& b) {
        const at::Tensor images = b.images.to(device);
        return encoder ? encoder->Encode(images, b.indices, /*stream=*/0, T) : images;
      };
      const at::Tensor rate_images = input(rate_batch);
      const at::Tensor tput_images = input(tput_batch);
      const int64_t batch_dim = raw ? 1 : 0;
      torch::NoGradGuard no_grad;
      ForwardOptions fo;
      fo.timesteps = T;
      fo.taps = false;
      fo.spike_stats = true;
      std::vector<double> spikes, neuron_steps;
      for (int64_t s = 0; s < n_rate; s += kRateBatch) {
        ModelOutput out = model->forward(
            rate_images.narrow(batch_dim, s, std::min(kRateBatch, n_rate - s)), fo);
        if (m.firing.empty()) {
          for (const LayerSpikeStats& stats : out.spike_stats) m.firing.push_back({stats.name, 0});
          spikes.assign(m.firing.size(), 0);
          neuron_steps.assign(m.firing.size(), 0);
        }
        for (size_t k = 0; k < out.spike_stats.size(); ++k) {
          spikes[k] += out.spike_stats[k].spike_count.item<double>();
          neuron_steps[k] += static_cast<double>(out.spike_stats[k].num_elements);
        }
      }
      for (size_t k = 0; k < m.firing.size(); ++k) {
        m.firing[k].rate = Rate(spikes[k], neuron_steps[k]);
      }
      if (encoder) {
        m.input_rate = InputSpikeRate(*encoder, rate_batch.images.to(device), rate_batch.indices, T);
      }
      ForwardOptions fast;
      fast.timesteps = T;
      fast.taps = false;
      const at::Tensor one = tput_images.narrow(batch_dim, 0, 1);
      TimingOptions timing = TimingOn(device);
      timing.latency_repeats = eval.latency_repeats();
      m.timing = MeasureLatencyThroughput(
          [&] { model->forward(one, fast); },
          [&] { model->forward(tput_images, fast); },
          tput_images.size(batch_dim), timing);
    }));
    e.costs.push_back(std::move(m));
  }
  e.seconds = Seconds(t0);
  return e;
}

absl::StatusOr<ConvertedAnn> ConvertAnn(Model& model, const datasets::Dataset& train,
                                        const ExperimentConfig& c) {
  const ConversionConfig& v = c.conversion();
  datasets::Batch calibration;
  if (c.method() != QCFS) {
    const int64_t n_cal = std::min<int64_t>(v.calibration_size(), train.images.size(0));
    std::vector<int64_t> perm =
        datasets::SeededPermutation(train.images.size(0), v.calibration_seed());
    perm.resize(n_cal);
    LASNN_ASSIGN_OR_RETURN(calibration, Gather(train, perm));
  }
  LASNN_ASSIGN_OR_RETURN(const c10::Device device, ResolveDevice(c.device()));
  if (calibration.images.defined()) calibration.images = calibration.images.to(device);
  const auto t0 = Clock::now();
  ConvertedAnn converted;
  MoveToDevice(*model, device);
  LASNN_ASSIGN_OR_RETURN(converted.folded, conversion::FoldBatchNorm(model));
  const ConversionVariant variant = ConversionVariantOf(c.method());
  conversion::ConversionOptions o;
  o.normalisation = NormalisationOf(c.method());
  o.percentile = v.percentile();
  o.percentile_of = variant.percentile_of == ConversionConfig::NONZERO_ACTIVATIONS
                        ? conversion::PercentileOf::kNonZero
                        : conversion::PercentileOf::kAll;
  o.reset_by_subtraction = variant.reset_by_subtraction;
  o.init_membrane = variant.init_membrane;
  o.spike_norm_timesteps = v.spike_norm_timesteps();
  LASNN_ASSIGN_OR_RETURN(converted.snn,
                         conversion::Convert(converted.folded, calibration.images, o));
  converted.seconds = Seconds(t0);
  converted.encoding = v.encoder().kind();
  converted.encoding_seed = c.seed();
  return converted;
}

absl::StatusOr<ConversionEvaluation> EvaluateConversion(const ConvertedAnn& converted,
                                                        const datasets::Dataset& test,
                                                        const EvalConfig& eval) {
  LASNN_ASSIGN_OR_RETURN(datasets::Batch test_batch, GatherFirst(test, test.images.size(0)));
  // On the device of the converted SNN's weights.
  c10::Device device(c10::kCPU);
  for (const conversion::FoldedLayer& l : converted.folded.layers) {
    if (l.weight.defined()) {
      device = l.weight.device();
      break;
    }
  }
  test_batch.images = test_batch.images.to(device);
  test_batch.labels = test_batch.labels.to(device);
  LASNN_ASSIGN_OR_RETURN(std::optional<InputEncoder> encoder,
                         EncoderFor(test, converted.encoding, converted.encoding_seed));
  // The simulation's input: the normalised images, or the raw ones to encode step by step.
  at::Tensor sim_images = test_batch.images;
  if (encoder) {
    LASNN_ASSIGN_OR_RETURN(datasets::Batch raw, GatherFirst(test, test.images.size(0), true));
    sim_images = raw.images.to(device);
  }
  const at::Tensor all_indices = at::arange(test.images.size(0), at::kLong);
  // One batch simulation of images [start, start + b) for T steps.
  const auto simulate = [&](int64_t start, int64_t b, int64_t T) {
    conversion::SimulationOptions so;
    if (encoder) {
      so.encoder = &*encoder;
      so.indices = all_indices.narrow(0, start, b);
    }
    return conversion::SimulateBatch(converted.snn, sim_images.narrow(0, start, b), T, so);
  };
  const auto t0 = Clock::now();
  ConversionEvaluation e;
  // conversion::Simulate's loop, keeping each image's prediction at every t.
  const int64_t n = test_batch.images.size(0);
  const int64_t steps = eval.t_max();
  constexpr int64_t kSimBatch = 250;
  // Firing rates come from the first n_rate images (eval.firing_rate_images, as for trained
  // SNNs): per layer, their spikes at each step [steps] (on the device) and neurons per image.
  const int64_t n_rate = std::min<int64_t>(eval.firing_rate_images(), n);
  std::vector<at::Tensor> rate_spikes;
  std::vector<int64_t> neurons_per_image;
  at::Tensor predictions;
  LASNN_RETURN_IF_ERROR(TorchCall("conversion evaluation", [&] {
    e.ann_accuracy = conversion::FoldedForward(converted.folded, test_batch.images)
                         .argmax(1)
                         .eq(test_batch.labels)
                         .to(at::kDouble)
                         .mean()
                         .item<double>();
    std::vector<at::Tensor> preds;
    for (int64_t start = 0; start < n; start += kSimBatch) {
      const int64_t b = std::min(kSimBatch, n - start);
      conversion::BatchSimulation s = simulate(start, b, steps);
      preds.push_back(s.cumulative_logits.argmax(2));  // [T, b]
      neurons_per_image = s.neurons_per_image;
      rate_spikes.resize(s.spikes_per_step.size());
      const int64_t in_rate = std::min(b, n_rate - start);  // images of this batch < n_rate
      for (size_t k = 0; k < s.spikes_per_step.size() && in_rate > 0; ++k) {
        const at::Tensor part = s.spikes_per_step[k].narrow(1, 0, in_rate).sum(1);  // [T]
        rate_spikes[k] = rate_spikes[k].defined() ? rate_spikes[k] + part : part;
      }
    }
    predictions = preds.empty() ? at::zeros({steps, 0}, at::TensorOptions(at::kLong))
                                : at::cat(preds, /*dim=*/1).cpu();
    // Spikes over steps 1..t, per layer, on the host.
    for (at::Tensor& r : rate_spikes) {
      if (r.defined()) r = r.cumsum(0).to(at::kCPU, at::kDouble).contiguous();
    }
  }));
  const at::Tensor correct =
      predictions.eq(test_batch.labels.cpu().unsqueeze(0)).sum(/*dim=*/1).contiguous();
  e.num_samples = n;
  for (int64_t t = 0; t < steps; ++t) {
    e.accuracy_at_t.push_back(static_cast<double>(correct[t].item<int64_t>()) /
                              static_cast<double>(std::max<int64_t>(1, n)));
  }
  LASNN_ASSIGN_OR_RETURN(e.outcomes, OutcomesOf(test, predictions));
  const std::vector<std::string> names = SpikingLayerNames(converted.folded);
  // Cumulative spikes of the first n_rate images over steps 1..t, per layer ([steps]).
  std::vector<std::vector<double>> cumulative_spikes(names.size());
  for (size_t k = 0; k < names.size() && k < rate_spikes.size(); ++k) {
    const at::Tensor& c = rate_spikes[k];
    if (c.defined()) {
      cumulative_spikes[k].assign(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
    }
  }
  // The rate of layer k over the first n_rate images and steps 1..T (T <= steps).
  auto rate_at = [&](size_t k, int64_t T) {
    if (k >= cumulative_spikes.size() || cumulative_spikes[k].empty() ||
        k >= neurons_per_image.size()) {
      return 0.0;
    }
    return Rate(cumulative_spikes[k][T - 1],
                static_cast<double>(neurons_per_image[k]) * static_cast<double>(n_rate) *
                    static_cast<double>(T));
  };
  for (size_t k = 0; k < names.size(); ++k) e.firing.push_back({names[k], rate_at(k, steps)});
  // Throughput of the step-by-step simulation on at most 64 images (long T is costly).
  const int64_t n_tput = std::min<int64_t>(std::min<int64_t>(eval.throughput_batch(), 64),
                                           test_batch.images.size(0));
  for (int T : eval.cost_timesteps()) {
    TimestepMeasurement m;
    m.timesteps = T;
    LASNN_RETURN_IF_ERROR(TorchCall("conversion timing", [&] {
      if (encoder) {
        m.input_rate = InputSpikeRate(*encoder, sim_images.narrow(0, 0, n_rate),
                                      all_indices.narrow(0, 0, n_rate), T);
      }
      TimingOptions timing = TimingOn(device);
      timing.warmup = 0;
      timing.latency_repeats = std::max(3, eval.latency_repeats() * 4 / std::max(4, T));
      timing.throughput_repeats = 1;
      // The SNN's cost: a code is encoded before the timing, as for trained SNNs.
      const at::Tensor batch =
          encoder ? encoder->EncodeSteps(sim_images.narrow(0, 0, n_tput),
                                         all_indices.narrow(0, 0, n_tput), /*stream=*/0, T, 0, T)
                  : sim_images.narrow(0, 0, n_tput);
      const int64_t batch_dim = encoder ? 1 : 0;
      const at::Tensor one = batch.narrow(batch_dim, 0, 1);
      m.timing = MeasureLatencyThroughput(
          [&] { conversion::SimulateBatch(converted.snn, one, T); },
          [&] { conversion::SimulateBatch(converted.snn, batch, T); },
          n_tput, timing);
      // A latency code depends on its length: the first T steps of the curve's code are not the
      // T-step code.
      if (T <= steps && converted.encoding != EncoderSpec::LATENCY) {
        for (size_t k = 0; k < names.size(); ++k) m.firing.push_back({names[k], rate_at(k, T)});
        return;
      }
      // Longer than the accuracy curve (or a latency code): simulate the same first n_rate
      // images for T steps.
      std::vector<double> spikes(names.size(), 0.0), neuron_steps(names.size(), 0.0);
      for (int64_t start = 0; start < n_rate; start += kSimBatch) {
        conversion::BatchSimulation b = simulate(start, std::min(kSimBatch, n_rate - start), T);
        for (size_t k = 0; k < names.size() && k < b.spike_counts.size(); ++k) {
          spikes[k] += b.spike_counts[k];
          neuron_steps[k] += b.neuron_steps[k];
        }
      }
      for (size_t k = 0; k < names.size(); ++k) {
        m.firing.push_back({names[k], Rate(spikes[k], neuron_steps[k])});
      }
    }));
    e.costs.push_back(std::move(m));
  }
  e.seconds = Seconds(t0);
  return e;
}

}  // namespace lasnn
