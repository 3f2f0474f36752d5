#!/usr/bin/python3
"""Writes lasnn/interop/testdata/torchscript_resnet.pt for torchscript_import_test.cc: a small
ResNet of torchvision-style BasicBlocks, scripted and saved.

  nn.Sequential(
      Conv2d(1, 4, 3, padding=1, bias=False), BatchNorm2d(4), ReLU(),     # stem
      nn.Sequential(BasicBlock(4, 4, 1), BasicBlock(4, 4, 1)),            # identity shortcuts
      nn.Sequential(BasicBlock(4, 8, 2)),                                 # downsample(conv1x1, BN)
      AdaptiveAvgPool2d(1), Flatten(), Linear(8, 10))
BasicBlock.forward: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), shortcut = downsample or
identity. Seeded weights, random BN statistics; for 1x28x28 input and 10 classes. The importer's
own check compares its logits with the TorchScript module's; the test also compares them on an
input of its own.

Uses Debian's python3-torch (the same version as our LibTorch); run from the repository root:
    /usr/bin/python3 lasnn/interop/testdata/make_torchscript_resnet.py
"""
import os
from typing import Optional

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample: Optional[nn.Module] = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


def main():
    torch.manual_seed(20251202)
    gen = torch.Generator().manual_seed(5)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Sequential(BasicBlock(4, 4, 1), BasicBlock(4, 4, 1)),
        nn.Sequential(BasicBlock(4, 8, 2)),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(n, generator=gen) - 0.5)
                m.running_mean.copy_(torch.rand(n, generator=gen) * 0.6 - 0.3)
                m.running_var.copy_(torch.rand(n, generator=gen) * 1.5 + 0.5)
                m.num_batches_tracked.fill_(3)
    path = os.path.join(OUT, "torchscript_resnet.pt")
    torch.jit.save(torch.jit.script(model.eval()), path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
