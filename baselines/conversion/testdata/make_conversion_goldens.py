#!/usr/bin/python3
"""Writes baselines/conversion/testdata/conversion_goldens.inc: reference values for
conversion_golden_test.cc, computed with PyTorch independently of our C++ code.

A tiny net conv3x3(1->2, pad 1)-BN-ReLU-avgpool2-flatten-linear(8->3) on 1x4x4 inputs, with
weights, BN statistics and inputs given by deterministic formulas (rebuilt identically in C++):
BN folding, the folded logits, MaxNorm and RobustNorm (nearest-rank percentile) thresholds, the
latter over all activations (zeros included) and over the non-zero ones only (as snntoolbox),
Diehl et al. 2015's factor max(largest activation, largest positive weight) on inputs scaled by 0.1
(where the weight is the larger), and the IF SNN's cumulative mean logits for t = 1..8 (MaxNorm
thresholds) with reset by subtraction and with reset to zero.
The same net with a QCFS activation (lambda 1.3, L = 4) instead of ReLU: its ANN logits, and its
converted SNN's cumulative mean logits for t = 1..16 (threshold lambda, initial membrane lambda / 2,
reset by subtraction).

Run from the repository root with Debian's python3-torch (`tools/setup.sh --python`):
    /usr/bin/python3 baselines/conversion/testdata/make_conversion_goldens.py
"""
import math
import os

import torch
import torch.nn.functional as F


def pattern(shape, offset, scale, shift=0.0):
    n = math.prod(shape)
    v = [shift + scale * math.sin(0.37 * i + offset) for i in range(n)]
    return torch.tensor(v, dtype=torch.float64).reshape(shape)


def main():
    w = pattern((2, 1, 3, 3), 0.1, 0.8)
    gamma = pattern((2,), 0.7, 0.3, 1.0)
    beta = pattern((2,), 1.9, 0.2)
    mean = pattern((2,), 2.3, 0.3)
    var = pattern((2,), 0.4, 0.25, 0.75)
    lw = pattern((3, 8), 1.1, 0.6)
    lb = pattern((3,), 0.9, 0.1)
    x = pattern((6, 1, 4, 4), 0.3, 1.5)
    eps = 1e-5

    scale = gamma / torch.sqrt(var + eps)
    fw = w * scale.view(-1, 1, 1, 1)
    fb = (0 - mean) * scale + beta
    # Unfolded reference: conv then BN in eval mode.
    ref = F.batch_norm(F.conv2d(x, w, None, 1, 1), mean, var, gamma, beta, False, 0.1, eps)
    a = F.relu(F.conv2d(x, fw, fb, 1, 1))
    assert torch.allclose(a, F.relu(ref))
    logits = F.linear(F.avg_pool2d(a, 2).flatten(1), lw, lb)

    theta_max = a.max()
    flat = a.flatten().sort().values
    k = math.ceil(99.0 / 100.0 * flat.numel())
    theta_p99 = flat[k - 1]
    per_channel_rows = a.transpose(0, 1).reshape(2, -1).sort(dim=1).values
    per_channel = per_channel_rows[:, math.ceil(0.9 * per_channel_rows.size(1)) - 1]

    # The same percentiles over the non-zero activations only.
    nonzero = a.flatten()[a.flatten() > 0].sort().values
    theta_p99_nonzero = nonzero[math.ceil(99.0 / 100.0 * nonzero.numel()) - 1]
    per_channel_nonzero = []
    for row in a.transpose(0, 1).reshape(2, -1):
        row = row[row > 0].sort().values
        per_channel_nonzero.append(row[math.ceil(0.9 * row.numel()) - 1])
    per_channel_nonzero = torch.stack(per_channel_nonzero)
    assert float(theta_p99_nonzero) != float(theta_p99)
    assert not torch.equal(per_channel_nonzero, per_channel)

    # Diehl et al.'s factor on inputs scaled by 0.1: the largest positive weight dominates.
    small = F.relu(F.conv2d(0.1 * x, fw, fb, 1, 1))
    theta_diehl_small = torch.maximum(small.max(), fw.max().clamp_min(0))
    assert float(fw.max()) > float(small.max())

    # IF simulation with MaxNorm threshold, spikes of amplitude theta, reset by subtraction or to
    # zero.
    def simulate(reset_by_subtraction):
        current = F.conv2d(x, fw, fb, 1, 1)
        u = torch.zeros_like(current)
        total = torch.zeros(6, 3, dtype=torch.float64)
        cumulative = []
        for t in range(8):
            u = u + current
            s = (u >= theta_max).to(u.dtype)
            u = u - s * theta_max if reset_by_subtraction else u * (1 - s)
            out = F.linear(F.avg_pool2d(s * theta_max, 2).flatten(1), lw, lb)
            total = total + out
            cumulative.append(total / (t + 1))
        return torch.stack(cumulative)

    cumulative = simulate(True)
    cumulative_reset_to_zero = simulate(False)
    assert not torch.allclose(cumulative, cumulative_reset_to_zero)

    # QCFS: the same op order as lasnn/models/model.cc QcfsActivation.
    lam = torch.tensor(1.3, dtype=torch.float64)
    levels = 4.0
    pre = F.conv2d(x, fw, fb, 1, 1)
    z = pre * (levels / lam) + 0.5
    q = lam * torch.clamp(torch.floor(z) / levels, 0.0, 1.0)
    qcfs_logits = F.linear(F.avg_pool2d(q, 2).flatten(1), lw, lb)
    u = torch.zeros_like(pre) + lam * 0.5
    total = torch.zeros(6, 3, dtype=torch.float64)
    qcfs_cumulative = []
    for t in range(16):
        u = u + pre
        s = (u >= lam).to(u.dtype)
        u = u - s * lam
        total = total + F.linear(F.avg_pool2d(s * lam, 2).flatten(1), lw, lb)
        qcfs_cumulative.append(total / (t + 1))
    qcfs_cumulative = torch.stack(qcfs_cumulative)

    def arr(name, t):
        vals = ", ".join(repr(float(v)) for v in t.flatten().tolist())
        return f"constexpr double {name}[] = {{{vals}}};\n"

    text = (f"// Generated by baselines/conversion/testdata/make_conversion_goldens.py with torch "
            f"{torch.__version__}. Do not edit.\n"
            + arr("kFoldedWeight", fw) + arr("kFoldedBias", fb) + arr("kFoldedLogits", logits)
            + f"constexpr double kThetaMax = {float(theta_max)!r};\n"
            + f"constexpr double kThetaP99 = {float(theta_p99)!r};\n"
            + arr("kThetaP90PerChannel", per_channel)
            + f"constexpr double kThetaP99NonZero = {float(theta_p99_nonzero)!r};\n"
            + arr("kThetaP90PerChannelNonZero", per_channel_nonzero)
            + f"constexpr double kThetaDiehlSmallInput = {float(theta_diehl_small)!r};\n"
            + arr("kCumulativeLogits", cumulative)
            + arr("kCumulativeLogitsResetToZero", cumulative_reset_to_zero)
            + arr("kQcfsLogits", qcfs_logits) + arr("kQcfsCumulativeLogits", qcfs_cumulative))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conversion_goldens.inc")
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    print("wrote", path)


if __name__ == "__main__":
    main()
