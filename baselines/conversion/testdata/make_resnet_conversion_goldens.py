#!/usr/bin/python3
"""Writes baselines/conversion/testdata/resnet_conversion_goldens.inc: reference values for
resnet_conversion_golden_test.cc, computed with PyTorch independently of our C++ code.

A tiny ResNet on 1x4x4 inputs, as lasnn/models builds ResNetSpec { stem_channels: 2
stage_widths: [2, 3] blocks_per_stage: [1, 1] } with 3 classes:
  stem conv3x3(1->2, pad 1, no bias)-BN-ReLU                                   (activation 0)
  stage1_block0: identity shortcut
    relu(bn2(conv2(relu(bn1(conv1(x))))) + x)                                  (activations 1, 2)
  stage2_block0: stride 2, 2->3 channels, shortcut conv1x1(stride 2)-BN
    relu(bn2(conv2(relu(bn1(conv1(x))))) + bn_s(conv_s(x)))                    (activations 3, 4)
  global average pool, flatten, linear(3->3) "classifier".
Every weight and BN statistic is given by a deterministic formula and written to the .inc (the
C++ test loads them by parameter name). Values computed:
  - the BN-folded weights and biases of every conv, and the folded ANN's logits;
  - per activation: MaxNorm threshold (maximum), RobustNorm p99 per layer (all activations,
    nearest rank), RobustNorm p90 per channel over the non-zero activations, Diehl et al.'s
    factor max(largest activation, largest positive incoming weight; for a block's post-addition
    neuron the incoming weights are conv2's and the shortcut's, the identity counting as 1);
  - the weight-normalised shortcuts (Hu et al. 2018): identity gain theta_in / theta_out, conv
    shortcut W[o, i] * theta_in[i] / theta_out[o] and b / theta_out (MaxNorm thresholds);
  - the IF SNN's cumulative mean logits for t = 1..16 (MaxNorm thresholds, spikes of amplitude
    theta, reset by subtraction and reset to zero), checked here against a simulation of the
    weight-normalised net (threshold 1, unit spikes, rescaled shortcuts);
  - Spike-Norm thresholds (layer by layer, T = 16, the largest input current);
  - the same ResNet with QCFS activations (L = 4, its own lambda per activation): the QCFS
    ANN's logits and its converted SNN's cumulative mean logits for t = 1..16 (threshold lambda,
    initial membrane lambda / 2, reset by subtraction; QCFS after the addition, as Bu et al.).

Run from the repository root with Debian's python3-torch (`tools/setup.sh --python`):
    /usr/bin/python3 baselines/conversion/testdata/make_resnet_conversion_goldens.py
"""
import math
import os

import torch
import torch.nn.functional as F

EPS = 1e-5
T = 16


def pattern(shape, offset, scale, shift=0.0):
    n = math.prod(shape)
    v = [shift + scale * math.sin(0.37 * i + offset) for i in range(n)]
    return torch.tensor(v, dtype=torch.float64).reshape(shape)


def make_params():
    """Parameter name -> tensor, in the C++ model's names."""
    p = {}
    convs = [("stem", (2, 1, 3, 3)), ("stage1_block0.conv1", (2, 2, 3, 3)),
             ("stage1_block0.conv2", (2, 2, 3, 3)), ("stage2_block0.conv1", (3, 2, 3, 3)),
             ("stage2_block0.conv2", (3, 3, 3, 3)), ("stage2_block0.shortcut", (3, 2, 1, 1))]
    for j, (name, shape) in enumerate(convs):
        o = shape[0]
        fan_in = shape[1] * shape[2] * shape[3]
        p[name + ".conv.weight"] = pattern(shape, 0.1 + 1.3 * j, 1.6 / math.sqrt(fan_in))
        p[name + ".bn.weight"] = pattern((o,), 0.7 + j, 0.3, 1.0)
        p[name + ".bn.bias"] = pattern((o,), 1.9 + 0.7 * j, 0.2, 0.3)
        p[name + ".bn.running_mean"] = pattern((o,), 2.3 + j, 0.3)
        p[name + ".bn.running_var"] = pattern((o,), 0.4 + j, 0.25, 0.75)
    p["classifier.weight"] = pattern((3, 3), 1.1, 0.6)
    p["classifier.bias"] = pattern((3,), 0.9, 0.1)
    return p


def fold(p, name):
    w = p[name + ".conv.weight"]
    scale = p[name + ".bn.weight"] / torch.sqrt(p[name + ".bn.running_var"] + EPS)
    fw = w * scale.view(-1, 1, 1, 1)
    fb = -p[name + ".bn.running_mean"] * scale + p[name + ".bn.bias"]
    return fw, fb


ACTS = ["stem_act", "stage1_block0.act1", "stage1_block0.act2", "stage2_block0.act1",
        "stage2_block0.act2"]


class Net:
    """The folded tiny ResNet, run with a pluggable activation act(k, pre) -> output."""

    def __init__(self, p):
        self.p = p
        self.f = {n: fold(p, n) for n in ["stem", "stage1_block0.conv1", "stage1_block0.conv2",
                                          "stage2_block0.conv1", "stage2_block0.conv2",
                                          "stage2_block0.shortcut"]}

    def conv(self, name, x, stride, padding, f=None):
        w, b = (f or self.f)[name]
        return F.conv2d(x, w, b, stride, padding)

    def run(self, x, act, f=None):
        x = act(0, self.conv("stem", x, 1, 1, f))
        y = act(1, self.conv("stage1_block0.conv1", x, 1, 1, f))
        x = act(2, self.conv("stage1_block0.conv2", y, 1, 1, f) + self.shortcut1(x, f))
        y = act(3, self.conv("stage2_block0.conv1", x, 2, 1, f))
        x = act(4, self.conv("stage2_block0.conv2", y, 1, 1, f) +
                self.conv("stage2_block0.shortcut", x, 2, 0, f))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return F.linear(x, self.p["classifier.weight"], self.p["classifier.bias"])

    def shortcut1(self, x, f):
        return x * self.gain1 if f is not None else x


def unfolded_reference(p, x):
    """The ResNet with conv then BN in eval mode (not folded)."""
    def cb(name, x, stride, padding):
        y = F.conv2d(x, p[name + ".conv.weight"], None, stride, padding)
        return F.batch_norm(y, p[name + ".bn.running_mean"], p[name + ".bn.running_var"],
                            p[name + ".bn.weight"], p[name + ".bn.bias"], False, 0.1, EPS)
    x = F.relu(cb("stem", x, 1, 1))
    x = F.relu(cb("stage1_block0.conv2", F.relu(cb("stage1_block0.conv1", x, 1, 1)), 1, 1) + x)
    x = F.relu(cb("stage2_block0.conv2", F.relu(cb("stage2_block0.conv1", x, 2, 1)), 1, 1) +
               cb("stage2_block0.shortcut", x, 2, 0))
    x = F.adaptive_avg_pool2d(x, 1).flatten(1)
    return F.linear(x, p["classifier.weight"], p["classifier.bias"])


def nearest_rank(values, percentile):
    v = values.flatten().sort().values
    k = min(max(math.ceil(percentile / 100.0 * v.numel()), 1), v.numel())
    return v[k - 1]


def simulate(net, x, thetas, reset_by_subtraction, init_membrane=0.0, steps=T):
    """IF SNN, analog input at every step, spikes of amplitude theta. Returns [steps, B, K]."""
    u = [None] * len(thetas)

    def act(k, current):
        th = thetas[k]
        if u[k] is None:
            u[k] = torch.zeros_like(current) + th * init_membrane
        u[k] = u[k] + current
        s = (u[k] >= th).to(current.dtype)
        u[k] = u[k] - s * th if reset_by_subtraction else u[k] * (1 - s)
        return s * th

    total, cumulative = 0, []
    for t in range(steps):
        total = total + net.run(x, act)
        cumulative.append(total / (t + 1))
    return torch.stack(cumulative)


def simulate_weight_normalised(net, x, thetas, reset_by_subtraction, steps=T):
    """The same SNN in weight-normalised form: threshold 1, unit spikes, W <- W * theta_prev /
    theta_this, b <- b / theta_this, identity shortcut gain theta_in / theta_out, conv shortcut
    W * theta_in / theta_out; the classifier takes W * theta_last."""
    th = thetas
    f = {}
    prev_of = {"stem": None, "stage1_block0.conv1": 0, "stage1_block0.conv2": 1,
               "stage2_block0.conv1": 2, "stage2_block0.conv2": 3, "stage2_block0.shortcut": 2}
    this_of = {"stem": 0, "stage1_block0.conv1": 1, "stage1_block0.conv2": 2,
               "stage2_block0.conv1": 3, "stage2_block0.conv2": 4, "stage2_block0.shortcut": 4}
    for name, (w, b) in net.f.items():
        tp = 1.0 if prev_of[name] is None else th[prev_of[name]]
        f[name] = (w * tp / th[this_of[name]], b / th[this_of[name]])
    net.gain1 = th[0] / th[2]
    u = [None] * len(thetas)

    def act(k, current):
        if u[k] is None:
            u[k] = torch.zeros_like(current)
        u[k] = u[k] + current
        s = (u[k] >= 1.0).to(current.dtype)
        u[k] = u[k] - s if reset_by_subtraction else u[k] * (1 - s)
        return s

    lw, lb = net.p["classifier.weight"], net.p["classifier.bias"]
    total, cumulative = 0, []
    for t in range(steps):
        def run_scaled(xx):
            # net.run with the normalised weights; the classifier sees unit spikes * theta_last.
            out = net.run(xx, act, f)
            return out - lb  # remove the bias to rescale the input part
        z = run_scaled(x)
        # linear(pool(s) , lw) = lw @ pool(s); rescaled: lw @ (theta_last * pool(s)).
        total = total + z * th[4] + lb
        cumulative.append(total / (t + 1))
    return torch.stack(cumulative)


def main():
    p = make_params()
    x = pattern((6, 1, 4, 4), 0.3, 1.5)
    net = Net(p)

    pre = [None] * 5

    def relu_record(k, current):
        pre[k] = current
        return F.relu(current)

    logits = net.run(x, relu_record)
    assert torch.allclose(logits, unfolded_reference(p, x), atol=1e-12)
    acts = [F.relu(a) for a in pre]
    assert all(float((a > 0).float().mean()) > 0.2 for a in acts), "activations too sparse"

    theta_max = [a.max() for a in acts]
    theta_p99 = [nearest_rank(a, 99.0) for a in acts]
    theta_p90_nz_channel = []
    for a in acts:
        rows = a.transpose(0, 1).reshape(a.size(1), -1)
        theta_p90_nz_channel.append(torch.stack([nearest_rank(r[r > 0], 90.0) for r in rows]))
    # Diehl: the largest positive incoming weight (post-addition: conv2, shortcut or identity 1).
    incoming = [net.f["stem"][0].max(), net.f["stage1_block0.conv1"][0].max(),
                torch.maximum(net.f["stage1_block0.conv2"][0].max(), torch.tensor(1.0, dtype=torch.float64)),
                net.f["stage2_block0.conv1"][0].max(),
                torch.maximum(net.f["stage2_block0.conv2"][0].max(),
                              net.f["stage2_block0.shortcut"][0].max())]
    # On inputs scaled by 0.1 the weights dominate some layers.
    small_pre = [None] * 5

    def relu_small(k, current):
        small_pre[k] = current
        return F.relu(current)

    net.run(0.1 * x, relu_small)
    theta_diehl_small = [torch.maximum(F.relu(a).max(), w.clamp_min(0))
                         for a, w in zip(small_pre, incoming)]
    assert any(float(w) > float(F.relu(a).max()) for a, w in zip(small_pre, incoming))
    assert float(incoming[2]) == 1.0  # the identity's weight decides activation 2

    # Weight-normalised shortcuts under MaxNorm.
    gain1 = theta_max[0] / theta_max[2]
    ws, bs = net.f["stage2_block0.shortcut"]
    shortcut2_w = ws * theta_max[2] / theta_max[4]
    shortcut2_b = bs / theta_max[4]

    cumulative = simulate(net, x, theta_max, True)
    cumulative_zero = simulate(net, x, theta_max, False)
    assert not torch.allclose(cumulative, cumulative_zero)
    # The weight-normalised net is the same SNN. Thresholds 1% above the maxima, so that no
    # membrane lands exactly on a threshold, where rounding decides between the two forms.
    off = [1.01 * th for th in theta_max]
    for reset in (True, False):
        normalised = simulate_weight_normalised(net, x, off, reset)
        scaled = simulate(net, x, off, reset)
        assert torch.allclose(scaled, normalised, atol=1e-9), (scaled - normalised).abs().max()

    # Spike-Norm: layer by layer, the largest current reaching activation k while the earlier
    # layers spike with their (already balanced) thresholds, over T steps.
    spike_norm = []
    for k in range(5):
        u = [None] * 5
        largest = torch.tensor(1e-6, dtype=torch.float64)

        class Stop(Exception):
            pass

        def act(j, current):
            nonlocal largest
            if j == k:
                largest = torch.maximum(largest, current.max())
                raise Stop()
            th = spike_norm[j]
            if u[j] is None:
                u[j] = torch.zeros_like(current)
            u[j] = u[j] + current
            s = (u[j] >= th).to(current.dtype)
            u[j] = u[j] - s * th
            return s * th

        for _ in range(T):
            try:
                net.run(x, act)
            except Stop:
                pass
        spike_norm.append(largest.float().double())  # stored as float32, as Convert does

    # QCFS ResNet: lambdas per activation, L = 4.
    levels = 4.0
    lambdas = [torch.tensor(v, dtype=torch.float64) for v in (1.3, 0.9, 1.7, 1.1, 2.1)]

    def qcfs(k, current):
        z = current * (levels / lambdas[k]) + 0.5
        return lambdas[k] * torch.clamp(torch.floor(z) / levels, 0.0, 1.0)

    qcfs_logits = net.run(x, qcfs)
    qcfs_cumulative = simulate(net, x, lambdas, True, init_membrane=0.5)

    def arr(name, t):
        vals = ", ".join(repr(float(v)) for v in t.flatten().tolist())
        return f"constexpr double {name}[] = {{{vals}}};\n"

    def stack(ts):
        return torch.stack(list(ts))

    params = "".join(
        f'    {{"{n}", {{{", ".join(str(s) for s in t.shape)}}}, '
        f'{{{", ".join(repr(float(v)) for v in t.flatten().tolist())}}}}},\n'
        for n, t in p.items())
    folded = "".join(arr("kFolded_" + n.replace(".", "_") + "_weight", w) +
                     arr("kFolded_" + n.replace(".", "_") + "_bias", b)
                     for n, (w, b) in net.f.items())
    text = (f"// Generated by baselines/conversion/testdata/make_resnet_conversion_goldens.py with "
            f"torch {torch.__version__}. Do not edit.\n"
            "// The tiny ResNet's parameters and BN statistics: name, shape, values.\n"
            "const std::vector<GoldenParam> kParams = {\n" + params + "};\n"
            + f"constexpr double kInput[] = {{{', '.join(repr(float(v)) for v in x.flatten().tolist())}}};\n"
            + folded + arr("kLogits", logits)
            + arr("kThetaMax", stack(theta_max)) + arr("kThetaP99", stack(theta_p99))
            + "// Per channel, activations 0..4 concatenated (2, 2, 2, 3, 3 channels).\n"
            + arr("kThetaP90NonZeroPerChannel", torch.cat(theta_p90_nz_channel))
            + arr("kThetaDiehlSmallInput", stack(theta_diehl_small))
            + arr("kShortcutGain1", gain1) + arr("kShortcutWeight2", shortcut2_w)
            + arr("kShortcutBias2", shortcut2_b)
            + arr("kCumulativeLogits", cumulative)
            + arr("kCumulativeLogitsResetToZero", cumulative_zero)
            + arr("kThetaSpikeNorm", stack(spike_norm))
            + arr("kQcfsLambdas", stack(lambdas)) + arr("kQcfsLogits", qcfs_logits)
            + arr("kQcfsCumulativeLogits", qcfs_cumulative))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resnet_conversion_goldens.inc")
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    print("wrote", path)


if __name__ == "__main__":
    main()
