/**
 * Which input convention does each built-in model want? Measured, not guessed: verification AUC on the demo set
 * (real mated pairs between different photos of one person, on the undegraded variants, and on all variants)
 * for each candidate convention, relative to what the recogniser now declares (`spec.colour`; the transforms
 * below act on the RGB pixels before the recogniser's own channel handling, so "channels swapped" is the other order).
 * Run: node --import tsx packages/fr-models/scripts/measure-conventions.ts
 * Output (2026-11-28, before the declared orders were fixed from it; faceres then declared RGB):
 * mobileface RGB 0.971 / BGR 0.945 / (x−127.5)/128 0.836 / x/255 0.840; faceres RGB 0.880 / BGR 0.930 / x/255 0.685;
 * faceres-deep RGB 0.867 / BGR 0.896 / x/255 0.746; faceapi-resnet zoom 1.0 0.911 / 0.9 0.901 / 0.8 0.892 (BGR 0.880).
 */
import { tf, initRuntime } from '@aikd/runtime';
import { openDataset, decodeImage, type RawImage } from '@aikd/datasets';
import { alignToTemplate, templateForSize } from '@aikd/alignment';
import { textTable } from '@aikd/core';
import { createRecognizer, cosine, rocAuc, frModelCatalogue, type Recognizer } from '../src/index.ts';
import { zoomTemplate } from '../src/builtin/specs.ts';

type Convention = { name: string; zoom?: number; transform: (x: tf.Tensor4D) => tf.Tensor4D };
const bgr = (x: tf.Tensor4D) => tf.reverse(x, 3) as tf.Tensor4D;
const conventions: Record<string, Convention[]> = {
  mobileface: [
    { name: 'declared, 0..255 (the graph normalises)', transform: (x) => x },
    { name: 'channels swapped', transform: bgr },
    { name: 'declared, (x−127.5)/128 before the graph', transform: (x) => x.sub(127.5).div(128) },
    { name: 'declared, x/255', transform: (x) => x.div(255) },
  ],
  faceres: [
    { name: 'declared, 0..255', transform: (x) => x },
    { name: 'channels swapped', transform: bgr },
    { name: 'declared, x/255', transform: (x) => x.div(255) },
    { name: 'declared, (x−127.5)/127.5', transform: (x) => x.sub(127.5).div(127.5) },
  ],
  'faceres-deep': [
    { name: 'declared, 0..255', transform: (x) => x },
    { name: 'channels swapped', transform: bgr },
    { name: 'declared, x/255', transform: (x) => x.div(255) },
  ],
  'faceapi-resnet': [1.0, 0.9, 0.8, 0.7, 0.6].flatMap((zoom) => [
    { name: `RGB, template zoom ${zoom}`, zoom, transform: (x: tf.Tensor4D) => x },
    ...(zoom === 0.8 ? [{ name: `BGR, template zoom ${zoom}`, zoom, transform: bgr }] : []),
  ]),
};

await initRuntime();
const ds = await openDataset('demo');
const images = ds.images();
const decoded = new Map<string, RawImage>();
for (const r of images) decoded.set(r.id, await decodeImage(await ds.readImage(r.id), r.id));
const clean = new Set(images.filter((r) => r.attributes?.degradation === 'clean').map((r) => r.id));
const pairs = ds.pairs();
const cleanPairs = pairs.filter((p) => clean.has(p.a) && clean.has(p.b));
console.log(`demo: ${images.length} images, ${pairs.length} pairs; undegraded: ${clean.size} images, ${cleanPairs.length} pairs (${cleanPairs.filter((p) => p.mated).length} mated)`);

const rows: Record<string, unknown>[] = [];
for (const id of frModelCatalogue.tfjsIds()) {
  // the model as it ships (tfjs): the transforms below act on its input tensor
  const rec: Recognizer = await createRecognizer(id, { engine: 'tfjs' });
  const t = await rec.gradients!();
  const size = rec.spec.inputSize;
  for (const c of conventions[id]!) {
    const template = c.zoom ? zoomTemplate(templateForSize(size), size, c.zoom) : rec.spec.template;
    const emb = new Map<string, Float32Array>();
    const ids = images.map((r) => r.id);
    for (let i = 0; i < ids.length; i += 16) {
      const batch = ids.slice(i, i + 16);
      const crops = batch.map((k) => alignToTemplate(decoded.get(k)!, ds.image(k)!.landmarks!, size, template).image);
      const out = tf.tidy(() => t.forward(c.transform(t.toPixels(crops))));
      const d = out.shape[1]!, data = out.dataSync() as Float32Array;
      out.dispose();
      batch.forEach((k, j) => emb.set(k, data.slice(j * d, (j + 1) * d)));
    }
    // centred cosine as well: some of these descriptors are far from zero-mean
    const mean = new Float32Array(emb.values().next().value!.length);
    for (const v of emb.values()) v.forEach((x, j) => (mean[j]! += x / emb.size));
    const centred = new Map([...emb].map(([k, v]) => [k, v.map((x, j) => x - mean[j]!)]));
    const auc = (ps: typeof pairs, m: Map<string, Float32Array>) => rocAuc(ps.map((p) => cosine(m.get(p.a)!, m.get(p.b)!)), ps.map((p) => p.mated));
    rows.push({ model: id, declared: rec.spec.colour, convention: c.name, auc_clean: +auc(cleanPairs, emb).toFixed(4), auc_all: +auc(pairs, emb).toFixed(4), auc_all_centred: +auc(pairs, centred).toFixed(4) });
    console.log(textTable([rows.at(-1)!]).split('\n')[2]);
  }
  await rec.dispose();
}
console.log(textTable(rows));
