import { describe, expect, it } from 'vitest';
import { createRecognizer } from '@aikd/fr-models';
import { createQualityMethod } from '../src/index.ts';
import { linearOnnxFile, randomCrop, tempDir, tinyTfjsRecognizer, TS } from './helpers.ts';

describe('magface and embedding-norm', () => {
  const dir = tempDir('norm');

  it('magface = ‖f‖ of the MagFace model on BGR [0, 1] input (the preset), by hand', async () => {
    const { path, W, b } = linearOnnxFile(dir, 112);
    const m = await createQualityMethod('magface', { onnx: path });
    expect(m).toMatchObject({ id: 'magface', frModel: 'magface', requires: { training: true }, input: { size: 112 } });
    const crops = [randomCrop('m1', 112), randomCrop('m2', 112)];
    const q = await m.score(crops, { ids: ['a', 'b'], seed: 0 });
    crops.forEach((c, i) => {
      // network channel 0 is B, 1 is G, 2 is R; value = pixel / 255
      const hw = 112 * 112;
      const e = Array.from(b, (bd, d) => {
        let s = bd;
        for (let ch = 0; ch < 3; ch++) for (let k = 0; k < hw; k++) s += W[d * 3 * hw + ch * hw + k]! * (c.data[k * 3 + (2 - ch)]! / 255);
        return s;
      });
      expect(q[i]).toBeCloseTo(Math.hypot(...e), 4);
    });
    await m.dispose();
  });

  it('magface refuses other FR models (that is embedding-norm) and says how to bring weights', async () => {
    await expect(createQualityMethod('magface', { frModel: 'mobileface' })).rejects.toThrow(/magface runs on the MagFace model only .* use the method "embedding-norm"/);
    const saved = process.env.AIKD_MODELS;
    process.env.AIKD_MODELS = dir; // a folder without magface.onnx
    try {
      // named by the file MagFace publishes, with the command that imports it
      await expect(createQualityMethod('magface')).rejects.toThrow(/FR model "magface" needs the official weights MagFace iResNet-100, MS1MV2: magface_epoch_00025\.pth .* `aikd models import magface_epoch_00025\.pth --as magface`; or put the file at .*magface\.onnx/);
    } finally {
      if (saved === undefined) delete process.env.AIKD_MODELS;
      else process.env.AIKD_MODELS = saved;
    }
  });

  it('embedding-norm = the norm of the recogniser\'s own embedding, on any model', async () => {
    const rec = await tinyTfjsRecognizer();
    const m = await createQualityMethod('embedding-norm', { frModel: rec });
    const crops = [randomCrop(1, TS), randomCrop(2, TS)];
    const q = await m.score(crops, { ids: ['a', 'b'], seed: 0 });
    const e = await rec.embed(crops);
    e.forEach((v, i) => expect(q[i]).toBeCloseTo(Math.hypot(...v), 12));
    expect(m.range.note).toMatch(/calibrated only for MagFace/);
    await expect(createQualityMethod('embedding-norm', { frModel: rec, params: { T: 3 } })).rejects.toThrow(/embedding-norm: unknown parameter T/);
    const onnx = await createRecognizer(`onnx:${linearOnnxFile(dir, 8).path}`, { preprocess: { size: 8 } });
    const m2 = await createQualityMethod('embedding-norm', { frModel: onnx });
    expect(m2.frModel).toMatch(/^onnx:/);
    expect((await m2.score([randomCrop(3, 8)], { ids: ['c'], seed: 0 }))[0]).toBeGreaterThan(0);
    await onnx.dispose();
  });
});
