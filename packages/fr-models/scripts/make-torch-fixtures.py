#!/usr/bin/python3
"""
PyTorch checkpoint fixtures for the TypeScript checkpoint reader (packages/fr-models/src/torch/), made by PyTorch
itself (Debian's python3-torch). The tests read these files and compare with the values dumped here; they need no
Python.

A reduced iResNet in the insightface arcface_torch layout (the model class of packages/fr-models/scripts/
make-iresnet-fixture.py: conv3x3-BN-PReLU stem, IBasicBlocks with a conv1x1-BN downsample in the first block of
every stage, BN2d-flatten-dropout-Linear-BN1d head; narrow widths so the files stay small), saved as the checkpoint
layouts of the paper family's published weights:

  iresnet.pth             insightface backbone.pth: the state_dict, torch.save's default zip container
  iresnet-legacy.pth      the same state_dict in the legacy single-pickle format (_use_new_zipfile_serialization=False)
  iresnet-fp16.pth        the same weights stored as float16 (model.half().state_dict())
  iresnet-module.pth      the same weights under nn.DataParallel: every key prefixed `module.`
  crfiqa.pth              CR-FIQA: backbone keys at the root plus `qs` = Linear(embedding→1) on the BN1d features
  aikd.pth                AI-KD: `feature_extractor.*` + `quality_head.{l1,l2}` (MLP embedding→2·embedding, GELU, →1)
  diffiqa-r.pth           DifFIQA(R): nn.Sequential(base=backbone, linear=Linear(embedding→1))
  magface.pth             MagFace's training checkpoint: {epoch, arch, state_dict, optimizer}; the state_dict of
                          DataParallel(SoftmaxBuilder) = `module.features.*` + `module.fc.weight` (MagLinear,
                          embedding × classes); BN eps 2e-5; SGD momentum buffers in the optimizer state
  tensors.pth             dtype and layout cases: float16/bfloat16/float64/int64/uint8/bool, a transposed view,
  tensors-legacy.pth      a storage offset, a stepped slice, an expanded (stride 0) tensor, views sharing one storage,
                          a 0-d and an empty tensor; in both containers
  malicious.pth           a checkpoint whose pickle calls posix.system (os.system): it must be refused, never loaded
  malicious-legacy.pth    (its command is a harmless echo, but nobody should ever torch.load these two files)

Expected values:
  iresnet-values.f32       every float tensor of iresnet.pth's state_dict, in state_dict order (index in fixture.json)
  iresnet-fp16-values.f32  the float16 weights as PyTorch widens them (.float())
  tensors-values.f64       each case of tensors.pth made contiguous and widened to float64 by PyTorch
  outputs.json             eval-mode outputs of each model on the aligned faces in faces/ (written by
                           scripts/write-torch-fixture-faces.ts from the workbench's own detection and alignment);
                           `iresnet-fp16`: the float16-stored weights loaded into a float32 model (load_state_dict)
  architectures.json       state_dict keys and shapes of full-size insightface iResNet-18/50/100, CR-FIQA
                           iResNet-50/100, AI-KD, DifFIQA(R) and MagFace iResNet-100, as PyTorch lists them

Run: /usr/bin/python3 packages/fr-models/scripts/make-torch-fixtures.py
Re-runs reproduce every file byte for byte except the legacy ones, whose storage keys are Python object ids.
"""
import importlib.util
import json
import os
from collections import OrderedDict

import numpy as np
import torch
from PIL import Image
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'torch')
FACES = os.path.join(OUT, 'faces')
SEED = 20240411
LAYERS = [1, 2, 1, 1]       # insightface iResNet-18: 2, 2, 2, 2; layer2.1 is a block without downsample
WIDTHS = [8, 8, 16, 16]     # insightface: 64, 128, 256, 512
EMBEDDING = 32              # insightface: 512
MAGFACE_CLASSES = 10

# The reduced iResNet class of the ONNX import fixture (make-iresnet-fixture.py beside this script): one definition.
_spec = importlib.util.spec_from_file_location('iresnet_fixture', os.path.join(HERE, 'make-iresnet-fixture.py'))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
IResNet, randomise_bn = _mod.IResNet, _mod.randomise_bn


def backbone(seed, layers=LAYERS, widths=WIDTHS, embedding=EMBEDDING, eps=1e-5):
    torch.manual_seed(seed)
    model = IResNet(layers, widths, embedding)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.eps = eps
    with torch.no_grad():
        randomise_bn(model, torch.Generator().manual_seed(seed))
    return model.eval()


class CrFiqa(nn.Module):
    """CR-FIQA's iresnet: the backbone's modules at the root plus qs = Linear(features → 1); returns (features, qs)."""

    def __init__(self, net, embedding):
        super().__init__()
        for name, child in net.named_children():
            self.add_module(name, child)
        self.qs = nn.Linear(embedding, 1)
        self._net = [net]  # not a submodule: keeps the state_dict keys at the root

    def forward(self, x):
        f = self._net[0](x)
        return f, self.qs(f)


class Mlp(nn.Module):
    """AI-KD's quality head (model/mlp.py): l1 → GELU (erf) → l2."""

    def __init__(self, d_in, d_hidden):
        super().__init__()
        self.l1 = nn.Linear(d_in, d_hidden)
        self.ac = nn.GELU()
        self.l2 = nn.Linear(d_hidden, 1)

    def forward(self, x):
        return self.l2(self.ac(self.l1(x)))


class AiKd(nn.Module):
    """AI-KD's WrapperModel: (feature, quality) from feature_extractor and quality_head."""

    def __init__(self, net, embedding):
        super().__init__()
        self.feature_extractor = net
        self.quality_head = Mlp(embedding, 2 * embedding)

    def forward(self, x):
        f = self.feature_extractor(x)
        return f, self.quality_head(f)


def diffiqa_r(net, embedding):
    """DifFIQA(R): nn.Sequential(OrderedDict(base=backbone, linear=Linear(embedding → 1)))."""
    return nn.Sequential(OrderedDict([('base', net), ('linear', nn.Linear(embedding, 1))]))


class MagFace(nn.Module):
    """MagFace's SoftmaxBuilder: features = iResNet, fc = MagLinear's weight (embedding × classes)."""

    def __init__(self, net, embedding, classes):
        super().__init__()
        self.features = net
        self.fc = nn.Module()
        self.fc.weight = nn.Parameter(torch.empty(embedding, classes).normal_())

    def forward(self, x):
        return self.features(x)


def save_both(obj, name):
    torch.save(obj, os.path.join(OUT, name + '.pth'))
    torch.save(obj, os.path.join(OUT, name + '-legacy.pth'), _use_new_zipfile_serialization=False)


def float_values(state):
    index, chunks, offset = [], [], 0
    for k, v in state.items():
        entry = {'name': k, 'dtype': str(v.dtype).replace('torch.', ''), 'shape': list(v.shape)}
        if v.is_floating_point():
            a = v.float().contiguous().numpy().ravel()
            entry.update(offset=offset, count=int(a.size))
            chunks.append(a)
            offset += a.size
        else:
            entry['values'] = v.reshape(-1).tolist()
        index.append(entry)
    return index, np.concatenate(chunks).astype('<f4')


def faces():
    names = sorted(f for f in os.listdir(FACES) if f.endswith('.png'))
    if not names:
        raise SystemExit(f'no faces in {FACES}: run scripts/write-torch-fixture-faces.ts first')
    pixels = np.stack([np.asarray(Image.open(os.path.join(FACES, n)).convert('RGB')) for n in names])
    return names, pixels  # N, 112, 112, 3 uint8 RGB


def tensor_cases():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3.0
    g = torch.Generator().manual_seed(SEED)
    shared = torch.randn(10, generator=g)
    specials = [0.0, -0.0, 1.0, -2.5, 65504.0, 6.0e-8, 1.0e-5, float('inf'), float('-inf'), float('nan'), 3.140625]
    bf = torch.tensor(specials + [1.0e30, -3.0e-30], dtype=torch.float32).bfloat16()
    return OrderedDict([
        ('contiguous', base),
        ('transposed', base.t()),               # strides (1, 6)
        ('offset', base[1:, 2:]),               # storage offset 8, strides (6, 1)
        ('stepped', base[::2, 1::3]),           # storage offset 1, strides (12, 3)
        ('expanded', torch.tensor([1.5, -2.0, 4.0]).expand(2, 3)),  # stride 0
        ('shared_whole', shared),
        ('shared_tail', shared[6:]),            # same storage as shared_whole, offset 6
        ('float16', torch.tensor(specials, dtype=torch.float16)),
        ('float16_matrix', torch.randn(3, 4, generator=g).half().t()),
        ('bfloat16', bf),
        ('bfloat16_matrix', torch.randn(2, 5, generator=g).bfloat16()[:, 1:]),
        ('float64', torch.randn(3, generator=g, dtype=torch.float64)),
        ('int64', torch.tensor([-(2 ** 40), 0, 7, 2 ** 52 - 1])),
        ('uint8', torch.tensor([0, 7, 255], dtype=torch.uint8)),
        ('bool', torch.tensor([True, False, True])),
        ('scalar', torch.tensor(2.5)),
        ('empty', torch.zeros(0, 3)),
    ])


class Payload:
    """Pickles as a call of os.system (posix.system on Linux): what a malicious checkpoint does."""

    def __reduce__(self):
        return (os.system, ('echo this checkpoint must never be loaded',))


def keys_and_shapes(model):
    return [[k, list(v.shape)] for k, v in model.state_dict().items()]


def architectures():
    """Key lists of the full-size models, as PyTorch's state_dict() names them (the oracle for the key catalogue)."""
    full = {'iresnet18': [2, 2, 2, 2], 'iresnet50': [3, 4, 14, 3], 'iresnet100': [3, 13, 30, 3]}
    widths, emb = [64, 128, 256, 512], 512
    out = {}
    for name, layers in full.items():
        with torch.no_grad():
            net = IResNet(layers, widths, emb)
        out[name] = keys_and_shapes(net)
        if name in ('iresnet50', 'iresnet100'):
            out['crfiqa-' + name] = keys_and_shapes(CrFiqa(net, emb))
        if name == 'iresnet100':
            out['aikd-iresnet100'] = keys_and_shapes(AiKd(net, emb))
            out['diffiqa-r-iresnet100'] = keys_and_shapes(diffiqa_r(net, emb))
            out['magface-iresnet100'] = keys_and_shapes(nn.DataParallel(MagFace(net, emb, 1)))
            out['magface-iresnet100'][-1][1] = [emb, 85742]  # MagLinear over MS1MV2's 85,742 identities (not allocated here)
        del net
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    names, pixels = faces()
    rgb = torch.from_numpy((pixels.astype(np.float32) / 255.0 - 0.5) / 0.5).permute(0, 3, 1, 2).contiguous()  # insightface
    bgr01 = torch.from_numpy(pixels[..., ::-1].astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()  # MagFace

    outputs = {'faces': names, 'input': {
        'insightface': 'RGB, (x / 255 - 0.5) / 0.5, NCHW (iresnet, crfiqa, aikd, diffiqa-r)',
        'magface': 'BGR, x / 255, NCHW'}}
    f32 = lambda t: [float(v) for v in t.detach().float().numpy().astype(np.float32).ravel()]

    # insightface backbone, four ways
    net = backbone(SEED)
    state = net.state_dict()
    torch.save(state, os.path.join(OUT, 'iresnet.pth'))
    torch.save(state, os.path.join(OUT, 'iresnet-legacy.pth'), _use_new_zipfile_serialization=False)
    torch.save(nn.DataParallel(net).state_dict(), os.path.join(OUT, 'iresnet-module.pth'))
    half = {k: (v.half() if v.is_floating_point() else v) for k, v in state.items()}
    torch.save(OrderedDict(half), os.path.join(OUT, 'iresnet-fp16.pth'))
    index, values = float_values(state)
    values.tofile(os.path.join(OUT, 'iresnet-values.f32'))
    index16, values16 = float_values(half)
    values16.tofile(os.path.join(OUT, 'iresnet-fp16-values.f32'))
    with torch.no_grad():
        outputs['iresnet'] = {'embedding': f32(net(rgb))}
        # what PyTorch computes from the float16-stored weights: load_state_dict widens them into a float32 model
        net16 = backbone(SEED)
        net16.load_state_dict(OrderedDict((k, v.float() if v.is_floating_point() else v) for k, v in half.items()))
        outputs['iresnet-fp16'] = {'embedding': f32(net16.eval()(rgb))}

    # quality heads
    with torch.no_grad():
        cr = CrFiqa(backbone(SEED + 1), EMBEDDING).eval()
        torch.save(cr.state_dict(), os.path.join(OUT, 'crfiqa.pth'))
        e, q = cr(rgb)
        outputs['crfiqa'] = {'embedding': f32(e), 'quality': f32(q)}

        ak = AiKd(backbone(SEED + 2), EMBEDDING).eval()
        torch.save(ak.state_dict(), os.path.join(OUT, 'aikd.pth'))
        e, q = ak(rgb)
        outputs['aikd'] = {'embedding': f32(e), 'quality': f32(q)}

        dr = diffiqa_r(backbone(SEED + 3), EMBEDDING).eval()
        torch.save(dr.state_dict(), os.path.join(OUT, 'diffiqa-r.pth'))
        outputs['diffiqa-r'] = {'quality': f32(dr(rgb))}

    mf = MagFace(backbone(SEED + 4, eps=2e-5), EMBEDDING, MAGFACE_CLASSES)
    wrapped = nn.DataParallel(mf)
    opt = torch.optim.SGD(wrapped.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    wrapped.train()
    loss = wrapped.module.features(bgr01[:4]).pow(2).mean() + mf.fc.weight.pow(2).mean()
    loss.backward()
    opt.step()
    mf.eval()
    torch.save({'epoch': 25, 'arch': 'iresnet100', 'state_dict': wrapped.state_dict(), 'optimizer': opt.state_dict()},
               os.path.join(OUT, 'magface.pth'))
    with torch.no_grad():
        e = mf(bgr01)
        outputs['magface'] = {'embedding': f32(e), 'quality': f32(e.norm(dim=1))}

    # dtype and layout cases
    cases = tensor_cases()
    save_both(cases, 'tensors')
    case_index, chunks, offset = [], [], 0
    for k, t in cases.items():
        a = t.contiguous().double().numpy().ravel() if t.dtype != torch.int64 else t.numpy().astype('<f8').ravel()
        case_index.append({'name': k, 'dtype': str(t.dtype).replace('torch.', ''), 'shape': list(t.shape),
                           'stride': list(t.stride()), 'storage_offset': t.storage_offset(),
                           'storage_size': len(t.storage()), 'offset': offset, 'count': int(a.size)})
        chunks.append(a)
        offset += a.size
    np.concatenate(chunks).astype('<f8').tofile(os.path.join(OUT, 'tensors-values.f64'))

    # never torch.load these
    evil = OrderedDict([('conv1.weight', torch.zeros(2)), ('payload', Payload())])
    save_both(evil, 'malicious')

    with open(os.path.join(OUT, 'outputs.json'), 'w') as f:
        json.dump(outputs, f)
    with open(os.path.join(OUT, 'architectures.json'), 'w') as f:
        f.write('{\n' + ',\n'.join(f'{json.dumps(k)}: {json.dumps(v, separators=(",", ":"))}' for k, v in architectures().items()) + '\n}\n')
    with open(os.path.join(OUT, 'fixture.json'), 'w') as f:
        json.dump({
            'made_by': 'packages/fr-models/scripts/make-torch-fixtures.py',
            'torch': torch.__version__,
            'seed': SEED,
            'layers': LAYERS, 'widths': WIDTHS, 'embedding': EMBEDDING, 'magface_classes': MAGFACE_CLASSES,
            'iresnet_values': {'file': 'iresnet-values.f32', 'tensors': index},
            'iresnet_fp16_values': {'file': 'iresnet-fp16-values.f32', 'tensors': index16},
            'tensor_cases': {'file': 'tensors-values.f64', 'tensors': case_index},
            'magface_optimizer': {'lr': 0.1, 'momentum': 0.9, 'weight_decay': 5e-4, 'epoch': 25},
        }, f, indent=1)
    sizes = {fn: os.path.getsize(os.path.join(OUT, fn)) for fn in sorted(os.listdir(OUT)) if os.path.isfile(os.path.join(OUT, fn))}
    print('wrote', OUT, sizes, 'total', sum(sizes.values()))


if __name__ == '__main__':
    main()
