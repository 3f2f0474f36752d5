#include "lasnn/interop/export.h"

#include <ATen/ATen.h>
#include <torch/csrc/api/include/torch/serialize.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/jit/api/module.h>

#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "util/file_util.h"
#include "util/status_macros.h"
#include "util/torch_status.h"

namespace lasnn {
namespace {

using Kind = PlannedLayer::Kind;

std::string Attr(const std::string& name) {
  return absl::StrCat("self.", absl::StrReplaceAll(name, {{".", "_"}}));
}

std::string Float(double v) { return absl::StrCat(v, v == static_cast<int64_t>(v) ? ".0" : ""); }

// Source emitting code into a method body, tracking whether the activations carry time.
class Emitter {
 public:
  Emitter(const Model& model, bool snn) : model_(model), snn_(snn) {
    for (const auto& p : model->named_parameters(/*recurse=*/true)) names_.insert(p.key());
    for (const auto& b : model->named_buffers(/*recurse=*/true)) names_.insert(b.key());
  }

  void Line(const std::string& s) { absl::StrAppend(&body_, "        ", s, "\n"); }

  // x = conv(+bn)(x), for the ConvBn module named `prefix` ("layer0", "stage1_block0.conv1").
  std::string ConvBn(const std::string& in, const std::string& out, const std::string& prefix,
                     int64_t stride, int64_t padding) {
    const std::string bias = Has(prefix + ".conv.bias") ? Attr(prefix + ".conv.bias") : "None";
    Line(absl::StrCat(out, " = torch.conv2d(", in, ", ", Attr(prefix + ".conv.weight"), ", ",
                      bias, ", [", stride, ", ", stride, "], [", padding, ", ", padding, "])"));
    if (Has(prefix + ".bn.weight")) {
      Line(absl::StrCat(out, " = torch.batch_norm(", out, ", ", Attr(prefix + ".bn.weight"), ", ",
                        Attr(prefix + ".bn.bias"), ", ", Attr(prefix + ".bn.running_mean"), ", ",
                        Attr(prefix + ".bn.running_var"), ", False, 0.1, 1e-05, False)"));
    }
    return out;
  }

  // Activation of `x` in place; SNN: the neuron over [T, B, ...].
  void Activate(const std::string& x) {
    if (!snn_) {
      Line(absl::StrCat(x, " = torch.relu(", x, ")"));
      return;
    }
    if (!timed_) {
      Line(absl::StrCat(x, " = self.neuron(", x, ".unsqueeze(0).expand([self.timesteps] + ", x,
                        ".size())).flatten(0, 1)"));
      timed_ = true;
    } else {
      Line(absl::StrCat(x, " = self.neuron(", x, ".view([self.timesteps, -1] + ", x,
                        ".size()[1:])).flatten(0, 1)"));
    }
  }

  void Layers() {
    const ModelPlan& plan = model_->plan();
    for (const PlannedLayer& l : plan.layers) {
      switch (l.kind) {
        case Kind::kConv:
          ConvBn("x", "x", l.name, l.stride, l.padding);
          break;
        case Kind::kActivation:
          Activate("x");
          break;
        case Kind::kBasicBlock: {
          const bool input_timed = timed_;
          ConvBn("x", "y", l.name + ".conv1", l.stride, 1);
          Activate("y");
          ConvBn("y", "y", l.name + ".conv2", 1, 1);
          if (Has(l.name + ".shortcut.conv.weight")) {
            ConvBn("x", "sc", l.name + ".shortcut", l.stride, 0);
          } else {
            Line("sc = x");
          }
          if (snn_ && !input_timed) {
            Line("sc = sc.unsqueeze(0).expand([self.timesteps] + sc.size()).flatten(0, 1)");
          }
          Line("x = y + sc");
          Activate("x");
          break;
        }
        case Kind::kMaxPool:
          Line(absl::StrCat("x = torch.max_pool2d(x, [", l.kernel_size, ", ", l.kernel_size,
                            "], [", l.stride, ", ", l.stride, "], [", l.padding, ", ", l.padding,
                            "])"));
          break;
        case Kind::kAvgPool:
          Line(absl::StrCat("x = torch.avg_pool2d(x, [", l.kernel_size, ", ", l.kernel_size,
                            "], [", l.stride, ", ", l.stride, "], [", l.padding, ", ", l.padding,
                            "])"));
          break;
        case Kind::kGlobalAvgPool:
          Line("x = torch.adaptive_avg_pool2d(x, [1, 1])");
          break;
        case Kind::kFlatten:
          Line("x = x.flatten(1)");
          break;
        case Kind::kLinear: {
          const std::string bias = Has(l.name + ".bias") ? Attr(l.name + ".bias") : "None";
          Line(absl::StrCat("x = torch.linear(x, ", Attr(l.name + ".weight"), ", ", bias, ")"));
          break;
        }
        case Kind::kDropout:
          break;  // identity in eval mode
      }
    }
  }

  std::string Body() const { return body_; }
  bool timed() const { return timed_; }

 private:
  bool Has(const std::string& name) const { return names_.count(name) > 0; }

  const Model& model_;
  bool snn_;
  bool timed_ = false;
  std::set<std::string> names_;
  std::string body_;
};

}  // namespace

std::string TorchScriptSource(const Model& model, int64_t timesteps) {
  const bool snn = model->mode() == Mode::kSnn;
  Emitter e(model, snn);
  e.Layers();
  std::string src;
  if (snn) {
    const NeuronOptions& n = model->neuron_options();
    const std::string reset = n.reset == ResetMode::kZero
                                  ? "u = h * (1.0 - s)"
                                  : absl::StrCat("u = h - s * ", Float(n.threshold));
    absl::StrAppend(
        &src,
        "def neuron(self, x):\n"
        "        # x: [T, B, ...] input currents -> spikes of the same shape (lasnn/core/neuron.h)\n"
        "        u = torch.full_like(x[0], ", Float(n.init_membrane * n.threshold), ")\n",
        "        out = []\n"
        "        for t in range(x.size(0)):\n"
        "            h = u * ", Float(n.decay), " + x[t]\n",
        "            s = (h - ", Float(n.threshold), ").ge(0.0).to(x.dtype)\n",
        "            out.append(s)\n"
        "            ", reset, "\n",
        "        return torch.stack(out)\n\n");
  }
  const std::string steps_tail =
      snn ? (e.timed() ? "        return x.view([self.timesteps, -1, x.size(1)])\n"
                       : "        return x.unsqueeze(0).expand([self.timesteps, x.size(0), x.size(1)])\n")
          : "        return x.unsqueeze(0)\n";
  absl::StrAppend(&src,
                  "def per_step_logits(self, x):\n"
                  "        # x: [B, C, H, W] -> per-step logits [T, B, K] (ANN: T = 1)\n",
                  e.Body(), steps_tail, "\n");
  absl::StrAppend(&src,
                  "def forward_steps(self, x):\n"
                  "        # cumulative mean logits [T, B, K]: entry t-1 uses steps 1..t\n"
                  "        z = self.per_step_logits(x)\n"
                  "        n = torch.arange(1, z.size(0) + 1, dtype=z.dtype, device=z.device)\n"
                  "        return z.cumsum(0) / n.view([-1, 1, 1])\n\n"
                  "def forward(self, x):\n"
                  "        # logits [B, K] (SNN: mean over the exported T)\n"
                  "        return self.per_step_logits(x).mean(0)\n");
  (void)timesteps;
  return src;
}

absl::Status ExportTorchScript(Model& model, int64_t timesteps, const std::string& path) {
  if (timesteps < 1) {
    return absl::InvalidArgumentError(absl::StrCat("export timesteps must be >= 1, got ", timesteps));
  }
  if (model->mode() == Mode::kSnn && model->encoding() != EncoderSpec::DIRECT) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TorchScript export supports SNNs with direct encoding; this one takes ",
        EncoderSpec::Kind_Name(model->encoding()), "-coded [T, B, C, H, W] input"));
  }
  return TorchCall(absl::StrCat("exporting TorchScript '", path, "'"), [&]() -> absl::Status {
    torch::NoGradGuard no_grad;
    const bool was_training = model->is_training();
    model->eval();
    torch::jit::Module m(absl::StrCat("LaSNNExport_", model->mode() == Mode::kSnn ? "SNN" : "ANN"));
    for (const auto& p : model->named_parameters(/*recurse=*/true)) {
      m.register_parameter(absl::StrReplaceAll(p.key(), {{".", "_"}}), p.value().detach().clone(),
                           /*is_buffer=*/false);
    }
    for (const auto& b : model->named_buffers(/*recurse=*/true)) {
      m.register_buffer(absl::StrReplaceAll(b.key(), {{".", "_"}}), b.value().detach().clone());
    }
    const int64_t t = model->mode() == Mode::kSnn ? timesteps : 1;
    m.register_attribute("timesteps", c10::IntType::get(), c10::IValue(t));
    const FeatureShape& in = model->plan().input_shape;
    at::Tensor example = at::rand({2, in[0], in[1], in[2]},
                                  at::TensorOptions().dtype(at::kFloat));
    ForwardOptions fo;
    fo.timesteps = t;
    fo.taps = false;
    at::Tensor expected = model->forward(example, fo).logits;
    m.register_buffer("example_input", example);
    m.register_buffer("example_output", expected.detach().clone());
    m.define(TorchScriptSource(model, t));
    model->train(was_training);
    std::ostringstream out;
    m.save(out);
    return WriteFileAtomically(path, out.str());
  });
}

}  // namespace lasnn
