#!/usr/bin/python3
"""Loads a model exported by LaSNN-Bench (lasnn/interop/export.h) in Python PyTorch and checks it.

    /usr/bin/python3 lasnn/interop/testdata/check_torchscript_export.py RUN_DIR/model.torchscript.pt

Runs forward() on the sample input stored in the file and compares it with the C++ model's output
stored beside it; prints the shapes, the largest difference, and the per-t logits shape of
forward_steps(). Exits 1 when they differ by more than 1e-5. Needs Debian's python3-torch
(`tools/setup.sh --python`), the same version as our LibTorch.
"""
import sys

import torch


def main(path):
    m = torch.jit.load(path)
    m.eval()
    x = m.example_input
    want = m.example_output
    with torch.no_grad():
        got = m(x)
        steps = m.forward_steps(x)
    diff = (got - want).abs().max().item()
    print(f"{path}: input {tuple(x.shape)} -> logits {tuple(got.shape)}, "
          f"per-t logits {tuple(steps.shape)}, max |python - c++| = {diff:.3g}")
    print("predictions (python):", got.argmax(1).tolist(), " (c++):", want.argmax(1).tolist())
    return 0 if diff <= 1e-5 else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
