import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime, useBackend } from '@aikd/runtime';
import { disposeSharedDetectors } from '@aikd/alignment';
import type { RawImage } from '@aikd/datasets';
import { frModelCatalogue, cosine, createRecognizer, type BundledFrModel, type Recognizer } from '../src/index.ts';
import { conversionDir, convertedModel } from '../src/builtin/onnx-builtin.ts';
import { alignFaces, sourceFaces } from './faces.ts';

/** Each built-in model twice: on ONNX Runtime (what runs) and in its tfjs form as it ships (the reference). */
const recs = new Map<string, { ort: Recognizer; tfjs: Recognizer; crops: RawImage[] }>();
beforeAll(async () => {
  await initRuntime({ backend: 'wasm' });
  const faces = await sourceFaces();
  expect(faces.length).toBe(6);
  for (const id of frModelCatalogue.tfjsIds()) {
    const ort = await createRecognizer(id);
    const tfjs = await createRecognizer(id, { engine: 'tfjs' });
    recs.set(id, { ort, tfjs, crops: alignFaces(faces, ort.spec.inputSize, ort.spec.template) });
  }
}, 300_000); // four conversions on first use; more than the default 10 s when the machine is busy
afterAll(async () => {
  for (const r of recs.values()) await Promise.all([r.ort.dispose(), r.tfjs.dispose()]);
  disposeSharedDetectors();
});

const dims: Record<string, [number, number]> = { 'faceapi-resnet': [150, 128], faceres: [224, 1024], 'faceres-deep': [224, 1024], mobileface: [112, 256] };
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe.each(frModelCatalogue.tfjsIds())('%s', (id) => {
  it('declares its input and gives embeddings of its size, the same in two runs', async () => {
    const { ort, tfjs, crops } = recs.get(id)!;
    expect(ort.spec.engine).toBe('onnx');
    expect(tfjs.spec.engine).toBe('tfjs');
    // one model, described once: the two forms differ only in where they run
    expect({ ...ort.spec, engine: 'tfjs' }).toEqual(tfjs.spec);
    expect([ort.spec.inputSize, ort.spec.embeddingSize]).toEqual(dims[id]);
    expect(ort.spec.weightsHash).toMatch(/^[0-9a-f]{16}$/);
    const a = await ort.embed(crops), b = await ort.embed(crops);
    expect(a.map((v) => v.length)).toEqual(crops.map(() => dims[id]![1]));
    for (let i = 0; i < crops.length; i++) expect(cosine(a[i]!, b[i]!)).toBeGreaterThan(0.999999);
    // different people are less similar than the same face
    expect(cosine(a[0]!, a[1]!)).toBeLessThan(0.999);
  });

  it('ONNX Runtime gives the tfjs model\'s embeddings on real aligned faces (cos ≥ 0.99999)', async () => {
    const { ort, tfjs, crops } = recs.get(id)!;
    const got = await ort.embed(crops), ref = await tfjs.embed(crops);
    for (let i = 0; i < crops.length; i++) {
      expect(cosine(got[i]!, ref[i]!)).toBeGreaterThanOrEqual(0.99999);
      expect(maxDiff(got[i]!, ref[i]!)).toBeLessThan(1e-4 * maxAbs(ref[i]!));
    }
    // float pixels (DifFIQA's inputs) go in unrounded; integer-valued ones equal the crops
    const pixels = Float32Array.from(crops.slice(0, 2).flatMap((c) => Array.from(c.data)));
    const fromPixels = await ort.embedPixels(pixels, 2);
    for (let i = 0; i < 2; i++) expect(maxDiff(fromPixels[i]!, got[i]!)).toBe(0);
    const shifted = await ort.embedPixels(pixels.map((v) => v + 0.25), 2);
    expect(maxDiff(shifted[0]!, got[0]!)).toBeGreaterThan(0);
    expect(shifted[0]!.length).toBe(dims[id]![1]);
  });

  it('the features before the last linear layer are the tfjs model\'s, and head(features) = embedding', async () => {
    const { ort, tfjs, crops } = recs.get(id)!;
    const few = crops.slice(0, 3);
    const f = await ort.penultimate!.features(few), g = await tfjs.penultimate!.features(few);
    expect(f.shape).toEqual(g.shape);
    const per = f.data.length / few.length;
    for (let i = 0; i < few.length; i++) expect(cosine(f.data.subarray(i * per, (i + 1) * per), g.data.subarray(i * per, (i + 1) * per))).toBeGreaterThanOrEqual(0.99999);
    const head = await ort.penultimate!.head(f.data, f.shape);
    const emb = await ort.embed(few);
    const d = emb[0]!.length;
    expect(head.shape).toEqual([few.length, d]);
    for (let i = 0; i < few.length; i++) expect(maxDiff(head.data.subarray(i * d, (i + 1) * d), emb[i]!)).toBeLessThan(1e-5 * maxAbs(emb[i]!));
  });

  it('the conversion is cached by content and reused', async () => {
    const m = frModelCatalogue.get(id) as BundledFrModel;
    const spec = await m.spec('onnx');
    const first = await convertedModel(m, spec);
    const again = await convertedModel(m, spec);
    expect(again).toEqual({ ...first, converted: false });
    expect(first.model.startsWith(conversionDir(m, spec))).toBe(true);
    // other weights or conventions are another conversion, never the cached file
    const dirs = new Set([
      conversionDir(m, spec),
      conversionDir(m, { ...spec, weightsHash: '0000000000000000' }),
      conversionDir(m, { ...spec, colour: spec.colour === 'RGB' ? 'BGR' : 'RGB' }),
      conversionDir(m, { ...spec, template: spec.template.map(([x, y]) => [x + 1, y]) as typeof spec.template }),
      // and so is a conversion written by other converter code (an older aikd)
      conversionDir(m, spec, '0123456789abcdef'),
    ]);
    expect(dirs.size).toBe(5);
  }, 120_000);

  it('its tfjs form gives the same embedding on the cpu backend (cos > 0.9999)', async () => {
    const { tfjs, crops } = recs.get(id)!;
    const few = crops.slice(0, id.startsWith('faceres') ? 1 : 2); // cpu is slow for the 224-px nets
    const onWasm = await tfjs.embed(few);
    await useBackend('cpu');
    try {
      const onCpu = await tfjs.embed(few);
      few.forEach((_, i) => expect(cosine(onWasm[i]!, onCpu[i]!)).toBeGreaterThan(0.9999));
    } finally {
      await useBackend('wasm');
    }
  });

  it('has input gradients (finite, non-zero) through the whole network, from the recogniser that runs on ONNX Runtime', async () => {
    if (id.startsWith('faceres')) return; // same graph ops as mobileface's path; too slow to differentiate here on every run
    const { ort, crops } = recs.get(id)!;
    const t = await ort.gradients!();
    const g = tf.tidy(() => {
      const x = t.toPixels(crops.slice(0, 1));
      const ref = t.forward(x);
      return tf.grad((p: tf.Tensor) => tf.sum(tf.mul(t.forward(p as tf.Tensor4D), ref)))(x).abs().max().dataSync()[0]!;
    });
    expect(Number.isFinite(g)).toBe(true);
    expect(g).toBeGreaterThan(0);
  });
});
