import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime, useBackend } from '@aikd/runtime';
import { frModelCatalogue, cosine, createRecognizer, type Recognizer } from '../src/index.ts';
import { cropsFor, sampleFaces } from './faces.ts';

const recs = new Map<string, Recognizer>();
beforeAll(async () => {
  await initRuntime({ backend: 'wasm' });
  expect((await sampleFaces()).faces.length).toBe(3);
  for (const id of frModelCatalogue.tfjsIds()) recs.set(id, await createRecognizer(id));
}, 120_000); // four models: more than the default 10 s when the machine is busy
afterAll(async () => {
  for (const r of recs.values()) await r.dispose();
});

const dims: Record<string, [number, number]> = { 'faceapi-resnet': [150, 128], faceres: [224, 1024], 'faceres-deep': [224, 1024], mobileface: [112, 256] };

describe.each(frModelCatalogue.tfjsIds())('%s', (id) => {
  it('declares its input and gives embeddings of its size, the same in two runs', async () => {
    const rec = recs.get(id)!;
    expect([rec.spec.inputSize, rec.spec.embeddingSize]).toEqual(dims[id]);
    expect(rec.spec.template).toHaveLength(5);
    expect(rec.spec.weightsHash).toMatch(/^[0-9a-f]{16}$/);
    const crops = await cropsFor(rec);
    const a = await rec.embed(crops), b = await rec.embed(crops);
    expect(a.map((v) => v.length)).toEqual([dims[id]![1], dims[id]![1], dims[id]![1]]);
    for (let i = 0; i < 3; i++) expect(cosine(a[i]!, b[i]!)).toBeGreaterThan(0.999999);
    // different people are less similar than the same face
    expect(cosine(a[0]!, a[1]!)).toBeLessThan(0.999);
  });

  it('gives the same embedding on the cpu backend (cos > 0.9999)', async () => {
    const rec = recs.get(id)!;
    const crops = (await cropsFor(rec)).slice(0, id.startsWith('faceres') ? 1 : 2); // cpu is slow for the 224-px nets
    const onWasm = await rec.embed(crops);
    await useBackend('cpu');
    try {
      const onCpu = await rec.embed(crops);
      crops.forEach((_, i) => expect(cosine(onWasm[i]!, onCpu[i]!)).toBeGreaterThan(0.9999));
    } finally {
      await useBackend('wasm');
    }
  });

  it('splits into features and head: head(features(x)) = forward(x)', async () => {
    const t = recs.get(id)!.tensor!;
    const crops = (await cropsFor(recs.get(id)!)).slice(0, 2);
    const [full, split] = tf.tidy(() => {
      const x = t.toPixels(crops);
      return [t.forward(x).arraySync() as number[][], t.head(t.features(x)).arraySync() as number[][]];
    });
    for (let i = 0; i < 2; i++) expect(cosine(Float32Array.from(full[i]!), Float32Array.from(split[i]!))).toBeGreaterThan(0.99999);
  });

  it('has input gradients (finite, non-zero) through the whole network', async () => {
    if (id.startsWith('faceres')) return; // same graph ops as mobileface's path; too slow to differentiate here on every run
    const t = recs.get(id)!.tensor!;
    const crops = (await cropsFor(recs.get(id)!)).slice(0, 1);
    const g = tf.tidy(() => {
      const x = t.toPixels(crops);
      const ref = t.forward(x);
      return tf.grad((p: tf.Tensor) => tf.sum(tf.mul(t.forward(p as tf.Tensor4D), ref)))(x).abs().max().dataSync()[0]!;
    });
    expect(Number.isFinite(g)).toBe(true);
    expect(g).toBeGreaterThan(0);
  });
});
