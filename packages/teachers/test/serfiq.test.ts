import { describe, expect, it } from 'vitest';
import { rngFor } from '@aikd/core';
import { createRecognizer, cropsToOnnxInput } from '@aikd/fr-models';
import { createQualityMethod, dropoutMasks, serfiqDisplayRescale, serfiqFromEmbeddings } from '../src/index.ts';
import { OS, TH, TS, onnxFeatures64, onnxHead64, randomCrop, tempDir, tinyFeatures64, tinyHead64, tinyOnnxFile, tinyTfjsRecognizer } from './helpers.ts';

describe('SER-FIQ arithmetic', () => {
  it('masks: entries are 0 or 1/(1−p), about 1−p kept, a pure function of the stream', () => {
    const m = dropoutMasks(rngFor(7, 'serfiq', 'img'), 100, 500, 0.4);
    const scale = Math.fround(1 / 0.6);
    expect(new Set(m)).toEqual(new Set([0, scale]));
    const kept = m.filter((v) => v !== 0).length / m.length;
    expect(Math.abs(kept - 0.6)).toBeLessThan(0.01); // 50 000 draws: sd ≈ 0.0022
    expect(dropoutMasks(rngFor(7, 'serfiq', 'img'), 100, 500, 0.4)).toEqual(m);
    expect(dropoutMasks(rngFor(8, 'serfiq', 'img'), 100, 500, 0.4)).not.toEqual(m);
    expect(Array.from(dropoutMasks(rngFor(1), 3, 4, 0))).toEqual(Array(12).fill(1));
    expect(() => dropoutMasks(rngFor(1), 1, 1, 1)).toThrow(/\[0, 1\)/);
  });

  it('score by hand: orthogonal rows (any lengths) are √2 apart; identical rows give 1', () => {
    // rows 2·e1, 0.5·e2, 3·e3 normalise to the unit vectors: every pair is √2 apart
    const emb = [2, 0, 0, 0, 0.5, 0, 0, 0, 3];
    expect(serfiqFromEmbeddings(emb, 3, 3)).toBeCloseTo(2 / (1 + Math.exp(Math.SQRT2)), 14);
    expect(serfiqFromEmbeddings([1, 2, 2, 4], 2, 2)).toBe(1);
    // (1,0), (0,1), (−1,0): distances √2, 2, √2 → mean (2√2 + 2)/3
    expect(serfiqFromEmbeddings([1, 0, 0, 1, -1, 0], 3, 2)).toBeCloseTo(2 / (1 + Math.exp((2 * Math.SQRT2 + 2) / 3)), 14);
    expect(() => serfiqFromEmbeddings([1, 2], 1, 2)).toThrow(/at least 2/);
  });

  it('display rescale is 0.5 at r and monotone', () => {
    expect(serfiqDisplayRescale(0.88, 130, 0.88)).toBe(0.5);
    expect(serfiqDisplayRescale(0.9, 130, 0.88)).toBeGreaterThan(serfiqDisplayRescale(0.89, 130, 0.88));
  });
});

describe('SER-FIQ on a tfjs recogniser (backbone once, head T times)', async () => {
  const rec = await tinyTfjsRecognizer();
  const crops = [0, 1, 2].map((i) => randomCrop(i, TS));
  const ids = ['a/0.png', 'a/1.png', 'b/0.png'];

  /** The whole method in float64 TypeScript: features once, T masked heads, normalise, pairwise distances. */
  const reference = (crop: (typeof crops)[number], id: string, seed: number, T: number, p: number) => {
    const f = tinyFeatures64(crop.data);
    const masks = dropoutMasks(rngFor(seed, 'serfiq', id), T, TH, p);
    const emb: number[] = [];
    for (let t = 0; t < T; t++) emb.push(...tinyHead64(f.map((v, h) => Math.fround(v) * masks[t * TH + h]!)));
    return serfiqFromEmbeddings(emb, T, emb.length / T);
  };

  it('matches the float64 reference', async () => {
    const m = await createQualityMethod('serfiq', { frModel: rec });
    expect(m.params).toMatchObject({ T: 100, p: 0.4, rescale: false });
    expect(m.input.size).toBe(TS);
    const q = await m.score(crops, { ids, seed: 3 });
    crops.forEach((c, i) => expect(q[i]).toBeCloseTo(reference(c, ids[i]!, 3, 100, 0.4), 5));
    const m2 = await createQualityMethod('serfiq', { frModel: rec, params: { T: 7, p: 0.25, rescale: true } });
    const q2 = await m2.score(crops.slice(0, 1), { ids: ids.slice(0, 1), seed: 3 });
    expect(q2[0]).toBeCloseTo(serfiqDisplayRescale(reference(crops[0]!, ids[0]!, 3, 7, 0.25), 130, 0.88), 5);
  });

  it('an image scores the same in any batch and order; same seed identical, another seed close but different', async () => {
    const m = await createQualityMethod('serfiq', { frModel: rec });
    const all = await m.score(crops, { ids, seed: 0 });
    const reordered = await m.score([crops[2]!, crops[0]!], { ids: [ids[2]!, ids[0]!], seed: 0 });
    expect([reordered[1], reordered[0]]).toEqual([all[0], all[2]]);
    expect(await m.score(crops, { ids, seed: 0 })).toEqual(all);
    const other = await m.score(crops, { ids, seed: 1 });
    // another seed only redraws the masks: with 12 features (the real models have 256–2048) the mean of 4950
    // distances still moves by a few hundredths at most
    for (let i = 0; i < 3; i++) {
      expect(other[i]).not.toBe(all[i]);
      expect(Math.abs(other[i]! - all[i]!)).toBeLessThan(0.05);
    }
  });

  it('rejects bad parameters and ids that do not fit the crops', async () => {
    await expect(createQualityMethod('serfiq', { frModel: rec, params: { p: 1 } })).rejects.toThrow(/serfiq: parameter p/);
    await expect(createQualityMethod('serfiq', { frModel: rec, params: { T: 1 } })).rejects.toThrow(/parameter T/);
    await expect(createQualityMethod('serfiq', { frModel: rec, params: { dropout: 0.5 } })).rejects.toThrow(/unknown parameter dropout \(parameters: T, p, rescale, alpha, r\)/);
    const m = await createQualityMethod('serfiq', { frModel: rec });
    await expect(m.score(crops, { ids: ['x'], seed: 0 })).rejects.toThrow(/3 crops but 1 ids/);
  });
});

describe('SER-FIQ on an ONNX recogniser split before its last linear layer', async () => {
  const dir = tempDir('serfiq-onnx');
  const crops = [5, 6].map((i) => randomCrop(i, OS));

  it('matches the float64 reference (features once, head T times through onnxruntime)', async () => {
    const rec = await createRecognizer(`onnx:${tinyOnnxFile(dir)}`, { preprocess: { size: OS } });
    expect(rec.penultimate).toBeDefined();
    const m = await createQualityMethod('serfiq', { frModel: rec, params: { T: 20 } });
    const q = await m.score(crops, { ids: ['p', 'q'], seed: 9 });
    const input = cropsToOnnxInput(crops, { size: OS, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW' });
    crops.forEach((_, i) => {
      const f = onnxFeatures64(input.subarray(i * 3 * OS * OS, (i + 1) * 3 * OS * OS));
      const masks = dropoutMasks(rngFor(9, 'serfiq', ['p', 'q'][i]!), 20, f.length, 0.4);
      const emb: number[] = [];
      for (let t = 0; t < 20; t++) emb.push(...onnxHead64(f.map((v, h) => Math.fround(v) * masks[t * f.length + h]!)));
      expect(q[i]).toBeCloseTo(serfiqFromEmbeddings(emb, 20, emb.length / 20), 5);
    });
    await rec.dispose();
  });

  it('a model without a last linear layer is a clear error', async () => {
    const rec = await createRecognizer(`onnx:${tinyOnnxFile(dir, { linearHead: false })}`, { preprocess: { size: OS } });
    await expect(createQualityMethod('serfiq', { frModel: rec })).rejects.toThrow(/serfiq needs the activations before the FR model's last linear layer/);
    await rec.dispose();
  });
});
