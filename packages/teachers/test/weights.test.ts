/**
 * `weights` of a method (`--weights`, experiments' `weights:`): the catalogue resolves a name from `aikd models
 * import` or a .pth file to the converted ONNX model before the method opens; DifFIQA(R)'s official network then gives
 * PyTorch's own qualities on real aligned faces (fr-models' torch fixtures); what is missing or mismatched is named.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '@aikd/core';
import { decodeImage } from '@aikd/datasets';
import { importTorchModel, kindInput, TORCH_MODEL_KINDS } from '@aikd/fr-models';
import { CRFIQA_ONNX, DIFFIQA_R_ONNX, createQualityMethod } from '../src/index.ts';
import { tempDir } from './helpers.ts';

const fixtures = join(workspaceRoot, 'packages', 'fr-models', 'test', 'fixtures', 'torch');
const pytorch = JSON.parse(readFileSync(join(fixtures, 'outputs.json'), 'utf8')) as { faces: string[] } & Record<string, { quality?: number[] }>;

describe('methods opened with official weights by name or file', () => {
  const dir = tempDir('weights');
  const saved = { home: process.env.AIKD_HOME, models: process.env.AIKD_MODELS };
  beforeAll(() => {
    process.env.AIKD_HOME = join(dir, 'home');
    process.env.AIKD_MODELS = join(dir, 'models.yaml');
  });
  afterAll(() => {
    for (const [k, v] of [['AIKD_HOME', saved.home], ['AIKD_MODELS', saved.models]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('diffiqa-r --weights diffiqa-r.pth = PyTorch’s DifFIQA(R) quality on real aligned faces (≤ 1e-4)', async () => {
    const m = await createQualityMethod('diffiqa-r', { weights: join(fixtures, 'diffiqa-r.pth') });
    const crops = await Promise.all(pytorch.faces.map(async (f) => decodeImage(new Uint8Array(readFileSync(join(fixtures, 'faces', f))), f)));
    const q = await m.score(crops, { ids: pytorch.faces, seed: 0 });
    expect(Math.max(...pytorch['diffiqa-r']!.quality!.map((w, i) => Math.abs(q[i]! - w)))).toBeLessThanOrEqual(1e-4);
    expect(m.params).toMatchObject({ output: 'quality', layout: 'NCHW' });
    await m.dispose();
  });

  it('a name that is not imported says which published file to import, and how', async () => {
    await expect(createQualityMethod('crfiqa', { weights: 'crfiqa-l' })).rejects.toThrow(
      /weights "crfiqa-l" are not imported \(no entry "crfiqa-l" in .*models\.yaml\): CR-FIQA\(L\).*181952backbone\.pth \(published by fdbtrs\/CR-FIQA README.*\) — import it with `aikd models import 181952backbone\.pth --as crfiqa`/,
    );
    await expect(createQualityMethod('crfiqa', { weights: 'mine' })).rejects.toThrow(
      /no weights "mine" .*: import a checkpoint with `aikd models import FILE --as crfiqa --name mine` \(official: 181952backbone\.pth → crfiqa-l, 32572backbone\.pth → crfiqa-s\)/,
    );
  });

  it('weights of another kind, a method without official PyTorch weights, or weights given twice are errors', async () => {
    await importTorchModel(join(fixtures, 'crfiqa.pth'), 'crfiqa', { name: 'mycrfiqa' });
    await expect(createQualityMethod('diffiqa-r', { weights: 'mycrfiqa' })).rejects.toThrow(/models\.yaml entry "mycrfiqa" is a crfiqa model .*; this needs diffiqa-r weights/);
    await expect(createQualityMethod('serfiq', { weights: 'mycrfiqa' })).rejects.toThrow(/method "serfiq" takes no --weights \(methods whose official network is a PyTorch checkpoint: crfiqa, magface, diffiqa-r, aikd\)/);
    await expect(createQualityMethod('crfiqa', { weights: 'mycrfiqa', onnx: 'x.onnx' })).rejects.toThrow(/give its weights once/);
    await expect(createQualityMethod('crfiqa:train-1', { weights: 'mycrfiqa' })).rejects.toThrow(/is a run trained here/);
    // and the right kind opens
    const m = await createQualityMethod('crfiqa', { weights: 'mycrfiqa' });
    expect(m.params).toMatchObject({ output: 'quality' });
    await m.dispose();
  });

  it('the official conventions are the checkpoint kinds’ (one description)', () => {
    for (const [conv, kind] of [[CRFIQA_ONNX, TORCH_MODEL_KINDS.crfiqa], [DIFFIQA_R_ONNX, TORCH_MODEL_KINDS['diffiqa-r']]] as const) {
      const p = kindInput(kind);
      expect({ size: conv.size, colour: conv.colour, mean: conv.mean, std: conv.std, layout: conv.layout }).toEqual(p);
      expect(p).toEqual({ size: 112, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW' });
    }
  });
});
