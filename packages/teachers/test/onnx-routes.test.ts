/**
 * Official weights (`--onnx`) of the learned regressors, with small ONNX models generated here: each method's input
 * convention (size, colour order, normalisation, layout), output selection and clipping, and clear errors for
 * wrong input sizes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rngFor } from '@aikd/core';
import { onnxProto } from '@aikd/fr-models';
import { createQualityMethod, CRFIQA_ONNX, DIFFIQA_R_ONNX, FACEQNET_ONNX, SDDFIQA_ONNX } from '../src/index.ts';

/** The input conventions the method folders declare (official.ts). */
const OFFICIAL_ONNX = { crfiqa: CRFIQA_ONNX, sddfiqa: SDDFIQA_ONNX, faceqnet: FACEQNET_ONNX, 'diffiqa-r': DIFFIQA_R_ONNX };
import { randomCrop, tempDir } from './helpers.ts';

const dir = tempDir('onnx-routes');

/**
 * input → Flatten → Gemm(w, b) → quality [batch, 1]; `extra` adds a second output (an "embedding" [batch, 2]) as
 * CR-FIQA's export has. Returns the file and the weights.
 */
function regressor(name: string, inputShape: (number | string)[], opts: { extra?: boolean; scale?: number; secondScalar?: boolean } = {}) {
  const { encodeModel, floatTensor } = onnxProto;
  const n = inputShape.slice(1).reduce((a: number, b) => a * (b as number), 1);
  const r = rngFor('reg', name);
  const w = Float32Array.from({ length: n }, () => r.uniform(-1, 1) * (opts.scale ?? 1e-3));
  const we = Float32Array.from({ length: 2 * n }, () => r.uniform(-1, 1) * 1e-3);
  const nodes = [
    { name: 'flat', opType: 'Flatten', inputs: ['input'], outputs: ['f'], attributes: [{ name: 'axis', type: 'int' as const, value: 1 }] },
    { name: 'q', opType: 'Gemm', inputs: ['f', 'W', 'B'], outputs: ['qs'], attributes: [{ name: 'transB', type: 'int' as const, value: 1 }] },
    ...(opts.extra ? [{ name: 'e', opType: 'Gemm', inputs: ['f', 'WE'], outputs: ['embedding'], attributes: [{ name: 'transB', type: 'int' as const, value: 1 }] }] : []),
    ...(opts.secondScalar ? [{ name: 'q2', opType: 'Gemm', inputs: ['f', 'W', 'B'], outputs: ['qs2'], attributes: [{ name: 'transB', type: 'int' as const, value: 1 }] }] : []),
  ];
  const bytes = encodeModel({
    irVersion: 8,
    opsets: [{ domain: '', version: 13 }],
    producerName: 'aikd-teachers-test',
    graph: {
      name,
      nodes,
      initializers: [floatTensor('W', [1, n], w), floatTensor('B', [1], [0.25]), ...(opts.extra ? [floatTensor('WE', [2, n], we)] : [])],
      inputs: [{ name: 'input', elemType: 1, shape: inputShape }],
      outputs: [
        ...(opts.extra ? [{ name: 'embedding', elemType: 1, shape: ['batch', 2] }] : []),
        { name: 'qs', elemType: 1, shape: ['batch', 1] },
        ...(opts.secondScalar ? [{ name: 'qs2', elemType: 1, shape: ['batch', 1] }] : []),
      ],
      valueInfo: [],
    },
  });
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, bytes);
  return { path, w };
}

/** The quality of one RGB crop through the convention, in float64: Σ w · (pixel − mean)/std + 0.25. */
function reference(crop: ReturnType<typeof randomCrop>, w: Float32Array, c: { colour: 'RGB' | 'BGR'; mean: number; std: number; layout: 'NCHW' | 'NHWC' }) {
  const S = crop.width, src = c.colour === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  let q = 0.25;
  for (let ch = 0; ch < 3; ch++)
    for (let p = 0; p < S * S; p++) {
      const v = (crop.data[p * 3 + src[ch]!]! - c.mean) / c.std;
      q += w[c.layout === 'NCHW' ? ch * S * S + p : p * 3 + ch]! * v;
    }
  return q;
}

describe('official ONNX weights of the learned regressors', () => {
  it('CR-FIQA: the qs output of a two-output export, RGB (x/255 − 0.5)/0.5 at 112², unbounded', async () => {
    const { path, w } = regressor('crfiqa', ['batch', 3, 112, 112], { extra: true, scale: 0.05 });
    const m = await createQualityMethod('crfiqa', { onnx: path });
    expect(m.id).toBe('crfiqa');
    expect(m.input.size).toBe(112);
    expect(m.params).toMatchObject({ output: 'qs', layout: 'NCHW' });
    expect(m.range).toMatchObject({ min: null, max: null });
    const crops = [randomCrop('c0', 112), randomCrop('c1', 112)];
    const q = await m.score(crops, { ids: ['a', 'b'], seed: 0 });
    crops.forEach((c, i) => expect(q[i]).toBeCloseTo(reference(c, w, OFFICIAL_ONNX.crfiqa), 3));
    expect(Math.max(...q.map(Math.abs))).toBeGreaterThan(1); // not clipped
    await m.dispose();
  });

  it('FaceQnet v1: 224² BGR 0..255 in NHWC (Keras), output clipped to [0, 1]', async () => {
    const { path, w } = regressor('faceqnet', ['batch', 224, 224, 3], { scale: 2e-4 });
    const m = await createQualityMethod('faceqnet', { onnx: path });
    expect(m.input.size).toBe(224);
    expect(m.params).toMatchObject({ layout: 'NHWC' });
    const crops = Array.from({ length: 6 }, (_, i) => randomCrop(`f${i}`, 224));
    const q = await m.score(crops, { ids: crops.map((_, i) => `f${i}`), seed: 0 });
    const raw = crops.map((c) => reference(c, w, OFFICIAL_ONNX.faceqnet));
    raw.forEach((r, i) => expect(q[i]).toBeCloseTo(Math.min(1, Math.max(0, r)), 4));
    expect(raw.some((r) => r < 0 || r > 1)).toBe(true); // the clip was exercised
    // BGR, not RGB: the RGB reading of the same weights gives other values
    expect(Math.abs(reference(crops[0]!, w, { ...OFFICIAL_ONNX.faceqnet, colour: 'RGB' }) - raw[0]!)).toBeGreaterThan(1e-3);
    await m.dispose();
  });

  it('SDD-FIQA and DifFIQA(R): RGB (x − 127.5)/127.5 at 112², NCHW; an NHWC export of the same size also runs', async () => {
    for (const id of ['sddfiqa', 'diffiqa-r'] as const) {
      const { path, w } = regressor(id, ['batch', 3, 112, 112]);
      const m = await createQualityMethod(id, { onnx: path });
      const c = randomCrop(id, 112);
      expect((await m.score([c], { ids: ['x'], seed: 0 }))[0]).toBeCloseTo(reference(c, w, OFFICIAL_ONNX[id]), 4);
      await m.dispose();
    }
    const { path, w } = regressor('sdd-nhwc', ['batch', 112, 112, 3]);
    const m = await createQualityMethod('sddfiqa', { onnx: path });
    const c = randomCrop('nhwc', 112);
    expect((await m.score([c], { ids: ['x'], seed: 0 }))[0]).toBeCloseTo(reference(c, w, { ...OFFICIAL_ONNX.sddfiqa, layout: 'NHWC' }), 4);
    await m.dispose();
  });

  it('wrong input sizes and ambiguous outputs are clear errors; no weights at all points to training', async () => {
    await expect(createQualityMethod('crfiqa', { onnx: regressor('cr96', ['batch', 3, 96, 96]).path })).rejects.toThrow(
      /cr96\.onnx.*input "input".*crfiqa crops of 112×112.*\[batch, 3, 112, 112\].*got \[batch, 3, 96, 96\]/s,
    );
    await expect(createQualityMethod('faceqnet', { onnx: regressor('fq112', ['batch', 112, 112, 3]).path })).rejects.toThrow(/faceqnet crops of 224×224.*got \[batch, 112, 112, 3\]/s);
    await expect(createQualityMethod('sddfiqa', { onnx: regressor('flat', ['batch', 3 * 112 * 112]).path })).rejects.toThrow(/an image batch.*got \[batch, 37632\]/s);
    const two = regressor('two', ['batch', 3, 112, 112], { secondScalar: true }).path;
    await expect(createQualityMethod('diffiqa-r', { onnx: two })).rejects.toThrow(/one quality output of shape \[batch, 1\].*--param output=NAME/s);
    const m = await createQualityMethod('diffiqa-r', { onnx: two, params: { output: 'qs2' } });
    expect(m.params.output).toBe('qs2');
    await m.dispose();
    await expect(createQualityMethod('diffiqa-r', { onnx: two, params: { output: 'nope' } })).rejects.toThrow(/an output named "nope"/);
    await expect(createQualityMethod('crfiqa', { onnx: join(dir, 'missing.onnx') })).rejects.toThrow(/not found/);
    await expect(createQualityMethod('sddfiqa')).rejects.toThrow(/needs trained weights: train it here with `aikd method train --method sddfiqa.*sddfiqa:<run-id> or the official weights as ONNX/s);
  });
});
