/**
 * State dicts of the paper family's checkpoints: the key catalogue against the keys PyTorch itself lists for the
 * full-size models (architectures.json, made by scripts/make-torch-fixtures.py), the prefix rules on the
 * checkpoints PyTorch wrote in each published layout, and missing / unexpected / mis-shaped keys reported by name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '@aikd/core';
import { PickleDict, PickleText } from '@aikd/datasets';
import {
  TORCH_ARCHITECTURES, assertStateDictMatches, expectedKeys, matchStateDict, matchingArchitectures, openTorchCheckpoint, stateDictOf, torchArchitecture,
  type IResNetLayout, type TorchArchitectureName, type TorchTensorRef,
} from '../src/index.ts';

const dir = join(import.meta.dirname, 'fixtures', 'torch');
const fixture = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')) as { layers: number[]; widths: number[]; embedding: number };
const torchKeys = JSON.parse(readFileSync(join(dir, 'architectures.json'), 'utf8')) as Record<string, [string, number[]][]>;
const small: Partial<IResNetLayout> = { layers: fixture.layers, widths: fixture.widths, embedding: fixture.embedding };

function stateDict(file: string) {
  const c = openTorchCheckpoint(join(dir, file));
  try {
    return stateDictOf(c);
  } finally {
    c.close();
  }
}

/** A state_dict with these keys and shapes (no file behind it: only names and shapes are compared). */
function fakeStateDict(keys: [string, number[]][]): Map<string, TorchTensorRef> {
  const storage = { key: '0', dtype: 'float32' as const, numel: 0, fileOffset: 0, location: 'cpu' };
  return new Map(keys.map(([k, shape]) => [k, { storage, dtype: 'float32', shape, stride: [], offset: 0, requiresGrad: false }]));
}

describe('key catalogue = the keys PyTorch lists for the full-size models', () => {
  it('architectures.json covers every catalogue entry', () => {
    expect(Object.keys(torchKeys).sort()).toEqual(Object.keys(TORCH_ARCHITECTURES).sort());
  });

  for (const name of Object.keys(TORCH_ARCHITECTURES) as TorchArchitectureName[]) {
    it(`${name}: same names, shapes and order as PyTorch's state_dict()`, () => {
      const arch = TORCH_ARCHITECTURES[name];
      const ours = expectedKeys(arch).map((e) => [e.name, e.shape]);
      let theirs = torchKeys[name]!;
      if (name === 'magface-iresnet100') {
        // the published file is saved under nn.DataParallel and keeps the training-only classifier
        expect(theirs.every(([k]) => k.startsWith('module.'))).toBe(true);
        theirs = theirs.map(([k, s]) => [k.slice('module.'.length), s]);
        expect(theirs.filter(([k]) => !k.startsWith('features.')).map(([k]) => k)).toEqual(['fc.weight']);
        theirs = theirs.filter(([k]) => k !== 'fc.weight');
      }
      expect(ours).toEqual(theirs);
    });
  }

  it('iResNet-100: 463 parameter tensors, 65,156,160 parameters (BN buffers aside)', () => {
    const params = expectedKeys(TORCH_ARCHITECTURES.iresnet100).filter((e) => !/running_(mean|var)|num_batches_tracked/.test(e.name));
    expect(params).toHaveLength(463);
    expect(params.reduce((s, e) => s + e.shape.reduce((a, b) => a * b, 1), 0)).toBe(65_156_160);
  });

  it('the PyTorch key lists are recognised as their architecture (with the file’s prefixes)', () => {
    const best = (name: string) => matchingArchitectures(fakeStateDict(torchKeys[name]!)).map((r) => r.architecture.name);
    expect(best('iresnet18')).toEqual(['iresnet18']);
    expect(best('iresnet50')[0]).toBe('iresnet50');
    // a bare iResNet-100 also fits MagFace's layout after one rename (no key holds the BN eps): named second
    expect(best('iresnet100')).toEqual(['iresnet100', 'magface-iresnet100']);
    expect(best('crfiqa-iresnet100')).toEqual(['crfiqa-iresnet100']);
    expect(best('aikd-iresnet100')).toEqual(['aikd-iresnet100']);
    expect(best('diffiqa-r-iresnet100')).toEqual(['diffiqa-r-iresnet100']);
    expect(best('magface-iresnet100')).toEqual(['magface-iresnet100']);
  });
});

describe('state dicts as PyTorch wrote them, prefixes stripped by rule', () => {
  const cases: [file: string, arch: TorchArchitectureName, at: string, renames: { from: string; to: string }[], ignored: string[]][] = [
    ['iresnet.pth', 'iresnet18', '', [], []],
    ['iresnet-legacy.pth', 'iresnet18', '', [], []],
    ['iresnet-fp16.pth', 'iresnet18', '', [], []],
    ['iresnet-module.pth', 'iresnet18', '', [{ from: 'module.', to: '' }], []],
    ['crfiqa.pth', 'crfiqa-iresnet100', '', [], []],
    ['aikd.pth', 'aikd-iresnet100', '', [], []],
    ['diffiqa-r.pth', 'diffiqa-r-iresnet100', '', [], []],
    ['magface.pth', 'magface-iresnet100', 'state_dict', [{ from: 'module.', to: '' }], ['module.fc.weight']],
  ];
  for (const [file, name, at, renames, ignored] of cases) {
    it(`${file} is a complete ${name} (reduced widths)`, () => {
      const sd = stateDict(file);
      expect(sd.at).toBe(at);
      const r = matchStateDict(sd.tensors, torchArchitecture(name, small));
      expect({ missing: r.missing, unexpected: r.unexpected, shapes: r.shapeMismatches, ignored: r.ignored }).toEqual({ missing: [], unexpected: [], shapes: [], ignored });
      expect(r.renames.map(({ from, to }) => ({ from, to }))).toEqual(renames);
      expect(r.complete).toBe(true);
      expect(r.tensors.size).toBe(expectedKeys(r.architecture).length);
      expect(() => assertStateDictMatches(r, file)).not.toThrow();
    });
  }

  it('backbone prefixes are renamed to the architecture’s own, head keys are kept: AI-KD’s file read as a bare iResNet', () => {
    const sd = stateDict('aikd.pth').tensors;
    const r = matchStateDict(sd, torchArchitecture('iresnet18', small));
    expect(r.renames).toEqual([{ from: 'feature_extractor.', to: '', count: 133 }]);
    expect(r.missing).toEqual([]);
    expect(r.unexpected).toEqual(['quality_head.l1.weight', 'quality_head.l1.bias', 'quality_head.l2.weight', 'quality_head.l2.bias']);
    expect(r.tensors.get('conv1.weight')).toBe(sd.get('feature_extractor.conv1.weight'));
    expect(r.tensors.get('features.bias')).toBe(sd.get('feature_extractor.features.bias'));
  });

  it('a CR-FIQA file read as AI-KD: backbone moved under feature_extractor., the qs head unexpected, the MLP head missing', () => {
    const r = matchStateDict(stateDict('crfiqa.pth').tensors, torchArchitecture('aikd-iresnet100', small));
    expect(r.renames).toEqual([{ from: '', to: 'feature_extractor.', count: 133 }]);
    expect(r.missing).toEqual(['quality_head.l1.weight', 'quality_head.l1.bias', 'quality_head.l2.weight', 'quality_head.l2.bias']);
    expect(r.unexpected).toEqual(['qs.weight', 'qs.bias']);
    expect(() => assertStateDictMatches(r, 'crfiqa.pth')).toThrowError(
      /crfiqa.pth: expected the state_dict of aikd-iresnet100 .* \(after renaming '' → 'feature_extractor.'\) \(got 4 missing: quality_head.l1.weight, .*; 2 unexpected: qs.weight, qs.bias\)/,
    );
  });

  it('MagFace saved by its DDP trainer (DistributedDataParallel around the backbone: features.module.*) is MagFace', () => {
    // MagFace's run/trainer_dist.py wraps only model.features in DDP, so its keys read features.module.conv1.weight, …
    const keys = torchKeys['magface-iresnet100']!.map(([k, s]): [string, number[]] => [k.replace(/^module\.features\./, 'features.module.').replace(/^module\./, ''), s]);
    expect(keys[0]![0]).toBe('features.module.conv1.weight');
    const r = matchStateDict(fakeStateDict(keys), TORCH_ARCHITECTURES['magface-iresnet100']);
    expect(r.renames.map(({ from, to, count }) => ({ from, to, count }))).toEqual([{ from: 'features.module.', to: 'features.', count: keys.length - 1 }]);
    expect({ missing: r.missing, unexpected: r.unexpected, ignored: r.ignored }).toEqual({ missing: [], unexpected: [], ignored: ['fc.weight'] });
    expect(matchingArchitectures(fakeStateDict(keys)).map((x) => x.architecture.name)).toEqual(['magface-iresnet100']);
  });

  it('a DifFIQA(R) file read as MagFace: base. becomes features., linear.* is unexpected', () => {
    const r = matchStateDict(stateDict('diffiqa-r.pth').tensors, torchArchitecture('magface-iresnet100', small));
    expect(r.renames).toEqual([{ from: 'base.', to: 'features.', count: 133 }]);
    expect(r.unexpected).toEqual(['linear.weight', 'linear.bias']);
    expect(r.missing).toEqual([]);
  });

  it('missing and unexpected blocks are named; wrong widths are shape mismatches', () => {
    const sd = stateDict('iresnet.pth').tensors;
    const fewer = matchStateDict(sd, torchArchitecture('iresnet18', { ...small, layers: [1, 1, 1, 1] }));
    expect(fewer.missing).toEqual([]);
    expect(fewer.unexpected).toEqual([...sd.keys()].filter((k) => k.startsWith('layer2.1.')));
    expect(fewer.unexpected).toContain('layer2.1.conv2.weight');
    const more = matchStateDict(sd, torchArchitecture('iresnet18', { ...small, layers: [1, 2, 2, 1] }));
    expect(more.unexpected).toEqual([]);
    // num_batches_tracked is optional (absent from pre-0.4.1 checkpoints), so it is not reported missing
    expect(more.missing).toEqual(['bn1', 'conv1', 'bn2', 'prelu', 'conv2', 'bn3'].flatMap((m) => (m.startsWith('bn') ? ['weight', 'bias', 'running_mean', 'running_var'].map((k) => `layer3.1.${m}.${k}`) : [`layer3.1.${m}.weight`])));
    const wide = matchStateDict(sd, torchArchitecture('iresnet18', { ...small, embedding: 64 }));
    expect(wide.shapeMismatches.map((m) => m.name)).toEqual(['fc.weight', 'fc.bias', 'features.weight', 'features.bias', 'features.running_mean', 'features.running_var']);
    expect(wide.shapeMismatches[0]).toEqual({ name: 'fc.weight', expected: [64, 16 * 49], got: [32, 16 * 49] });
    expect(() => assertStateDictMatches(wide, 'iresnet.pth')).toThrowError(InputError);
    expect(() => assertStateDictMatches(wide, 'iresnet.pth')).toThrowError(/fc.weight: shape \[32,784\] where iresnet18 has \[64,784\]/);
  });

  it('a dropped tensor is missing by name; the full-size catalogue entry names every difference', () => {
    const sd = new Map(stateDict('iresnet.pth').tensors);
    sd.delete('layer1.0.prelu.weight');
    sd.delete('features.num_batches_tracked');
    const r = matchStateDict(sd, torchArchitecture('iresnet18', small));
    expect(r.missing).toEqual(['layer1.0.prelu.weight']);
    const full = matchStateDict(stateDict('iresnet.pth').tensors, TORCH_ARCHITECTURES.iresnet18);
    expect(full.complete).toBe(false);
    expect(full.unexpected).toEqual([]);
    // iResNet-18 has 2 blocks in every stage (the file: 1, 2, 1, 1) and 64…512 channels (the file: 8…16)
    expect(full.missing.filter((k) => k.endsWith('.weight') && k.includes('conv'))).toEqual(['layer1.1.conv1.weight', 'layer1.1.conv2.weight', 'layer3.1.conv1.weight', 'layer3.1.conv2.weight', 'layer4.1.conv1.weight', 'layer4.1.conv2.weight']);
    expect(full.shapeMismatches[0]).toEqual({ name: 'conv1.weight', expected: [64, 3, 3, 3], got: [8, 3, 3, 3] });
  });

  it('no state_dict in the object: the error lists what is there', () => {
    const root = new PickleDict();
    root.entries.push([new PickleText(0, 5, new TextEncoder().encode('epoch')), 3]);
    expect(() => stateDictOf({ root, file: 'x.pth' })).toThrowError(/x.pth: expected a state_dict \(names → tensors\), at the top or under state_dict \/ model_state_dict .* \(got a dict with keys epoch\)/);
  });
});
