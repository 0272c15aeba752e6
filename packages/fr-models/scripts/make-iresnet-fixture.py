#!/usr/bin/python3
"""
Fixture for the iResNet ONNX import test (packages/aikd/test/iresnet-onnx.test.ts).

Builds a reduced iResNet in the insightface arcface_torch layout — stem conv3x3-BN-PReLU; IBasicBlock
BN-conv3x3-BN-PReLU-conv3x3(stride s)-BN (+ conv1x1-BN downsample, stride in the first block of every stage);
head BN2d-flatten(NCHW)-Linear-BN1d (weight fixed at 1); BN eps 1e-5 — with iResNet-18's block counts but narrow
widths so the ONNX files stay well under 2 MB. Weights are random with a fixed seed and the BN statistics are
randomised so that nothing folds away trivially. Exports (opset 13):

  iresnet-folded.onnx   torch.onnx.export defaults (eval mode + constant folding: BN after a conv is folded into it)
  iresnet-unfused.onnx  training=PRESERVE on an eval-mode model (every BN stays a BatchNormalization node)

plus the test input (uint8 RGB pixels, NHWC, 0..255) and PyTorch's output for it. The tests compare tfjs against
onnxruntime-node on the same files (they need no Python); PyTorch's output is a second reference.

Run: /usr/bin/python3 packages/fr-models/scripts/make-iresnet-fixture.py   (Debian's python3-torch)
"""
import json
import os

import numpy as np
import torch
from torch import nn

SEED = 20240410
LAYERS = [2, 2, 2, 2]          # iResNet-18
WIDTHS = [8, 16, 16, 32]       # insightface: 64, 128, 256, 512
EMBEDDING = 64                 # insightface: 512
SIZE = 112
BATCH = 2
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'iresnet')


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)


class IBasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, downsample):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, eps=1e-5)
        self.conv1 = conv3x3(cin, cout)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5)
        self.prelu = nn.PReLU(cout)
        self.conv2 = conv3x3(cout, cout, stride)
        self.bn3 = nn.BatchNorm2d(cout, eps=1e-5)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        if self.downsample is not None:
            identity = self.downsample(x)
        return out + identity


class IResNet(nn.Module):
    def __init__(self, layers, widths, embedding):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0], eps=1e-5)
        self.prelu = nn.PReLU(widths[0])
        cin = widths[0]
        stages = []
        for n, w in zip(layers, widths):
            down = nn.Sequential(nn.Conv2d(cin, w, kernel_size=1, stride=2, bias=False), nn.BatchNorm2d(w, eps=1e-5))
            blocks = [IBasicBlock(cin, w, 2, down)] + [IBasicBlock(w, w, 1, None) for _ in range(n - 1)]
            stages.append(nn.Sequential(*blocks))
            cin = w
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.bn2 = nn.BatchNorm2d(cin, eps=1e-5)
        self.dropout = nn.Dropout(p=0.0)
        side = SIZE // 16
        self.fc = nn.Linear(cin * side * side, embedding)
        self.features = nn.BatchNorm1d(embedding, eps=1e-5)
        nn.init.constant_(self.features.weight, 1.0)
        self.features.weight.requires_grad = False

    def forward(self, x):
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.bn2(x)
        x = torch.flatten(x, 1)
        x = self.fc(self.dropout(x))
        return self.features(x)


def randomise_bn(model, g):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=g) * 0.2)
            m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
            if m.weight.requires_grad:
                m.weight.data.copy_(torch.rand(c, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(c, generator=g) * 0.1)
        elif isinstance(m, nn.PReLU):
            m.weight.data.copy_(torch.rand(m.weight.shape, generator=g) * 0.3 + 0.1)


def main():
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    model = IResNet(LAYERS, WIDTHS, EMBEDDING)
    with torch.no_grad():
        randomise_bn(model, g)
    model.eval()

    # Test input: smooth random "images" (pixels 0..255, NHWC uint8), normalised as insightface does.
    rng = np.random.default_rng(SEED)
    low = rng.uniform(0, 255, size=(BATCH, 14, 14, 3))
    pixels = np.clip(np.kron(low, np.ones((1, 8, 8, 1))) + rng.normal(0, 20, size=(BATCH, SIZE, SIZE, 3)), 0, 255).astype(np.uint8)
    x = torch.from_numpy(((pixels.astype(np.float32) - 127.5) / 127.5).transpose(0, 3, 1, 2).copy())
    with torch.no_grad():
        y = model(x).numpy().astype(np.float32)

    os.makedirs(OUT, exist_ok=True)
    kw = dict(opset_version=13, input_names=['input'], output_names=['embedding'], dynamic_axes={'input': {0: 'batch'}, 'embedding': {0: 'batch'}})
    torch.onnx.export(model, x, os.path.join(OUT, 'iresnet-folded.onnx'), do_constant_folding=True, **kw)
    torch.onnx.export(model, x, os.path.join(OUT, 'iresnet-unfused.onnx'), do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE, **kw)
    pixels.tofile(os.path.join(OUT, 'input-pixels.u8'))
    y.tofile(os.path.join(OUT, 'torch-embedding.f32'))
    with open(os.path.join(OUT, 'fixture.json'), 'w') as f:
        json.dump({
            'made_by': 'packages/fr-models/scripts/make-iresnet-fixture.py',
            'torch': torch.__version__,
            'seed': SEED,
            'layers': LAYERS,
            'widths': WIDTHS,
            'embedding': EMBEDDING,
            'input': {'file': 'input-pixels.u8', 'dtype': 'uint8', 'shape': [BATCH, SIZE, SIZE, 3], 'layout': 'NHWC RGB 0..255',
                      'normalisation': '(x - 127.5) / 127.5, NCHW'},
            'expected': {'file': 'torch-embedding.f32', 'dtype': 'float32', 'shape': [BATCH, EMBEDDING]},
            'parameter_tensors': len(list(model.parameters())),
            'parameter_names': [n for n, _ in model.named_parameters()],
        }, f, indent=1)
    print('wrote', OUT, [(fn, os.path.getsize(os.path.join(OUT, fn))) for fn in sorted(os.listdir(OUT))])


if __name__ == '__main__':
    main()
