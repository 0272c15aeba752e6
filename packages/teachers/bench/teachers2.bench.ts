/**
 * Training and scoring speed of the learned methods (issue 8), on random data (the cost does not depend on the
 * content): label generation on 300 embeddings, head training on cached features, local-UNet training steps, and
 * scoring throughput of a trained head and of DifFIQA (local UNet, R = 10 and R = 2) on the built-in FR models.
 *
 *   pnpm bench teachers2
 */
import { rngFor, textTable } from '@aikd/core';
import { initRuntime, tf } from '@aikd/runtime';
import type { RawImage } from '@aikd/datasets';
import { createRecognizer } from '@aikd/fr-models';
import { certaintyRatios, diffiqaScores, pixelEmbedder, sddPseudoLabels, trainHead } from '../src/index.ts';
import { localDenoiser } from '../src/methods/diffiqa/denoiser.ts';
import { initUnet, unetForward } from '../src/methods/diffiqa/unet.ts';
import { LOCAL_UNET_DEFAULTS } from '../src/constants.ts';

const backend = (await initRuntime()).backend;
const rows: Record<string, unknown>[] = [];
const time = async (f: () => Promise<unknown> | unknown) => {
  const t = performance.now();
  await f();
  return (performance.now() - t) / 1000;
};
const r3 = (x: number) => Number(x.toPrecision(3));

// ---- labels and head training on 300 cached 1024-d embeddings (faceres' size), 30 identities ----
const rng = rngFor('bench2');
const n = 300, d = 1024;
const X = Float32Array.from({ length: n * d }, () => Math.max(0, rng.normal()));
const identities = Array.from({ length: n }, (_, i) => `id${i % 30}`);
const ids = identities.map((_, i) => `img${i}`);
const emb = { n, dim: d, data: X };
rows.push({ task: 'CR-FIQA labels (300 × 1024)', seconds: r3(await time(() => certaintyRatios(emb, identities))) });
rows.push({ task: 'SDD-FIQA labels (300 × 1024, m 24, K 12)', seconds: r3(await time(() => sddPseudoLabels(emb, identities, ids, { m: 24, K: 12, seed: 0 }))) });
const y = Float64Array.from({ length: n }, () => rng.normal());
const train = Array.from({ length: 240 }, (_, i) => i), val = Array.from({ length: 60 }, (_, i) => 240 + i);
for (const hidden of [64, 0]) {
  const s = await time(async () => {
    const res = await trainHead({ X, featureShape: [d], y, train, val }, { config: { hidden, dropout: 0.5, epochs: 100, batchSize: 32, lr: 1e-3, weightDecay: 0.1, patience: 0 }, loss: { kind: 'smoothl1', beta: 0.5 }, seed: 0 });
    tf.dispose(Object.values(res.weights));
  });
  rows.push({ task: `head training, hidden ${hidden}, 100 epochs × 240 images`, seconds: r3(s), per_epoch_ms: r3((1000 * s) / 100) });
}

// ---- local UNet training steps (defaults: 56², 8/16/32 channels, batch 16) ----
const cfg = { size: LOCAL_UNET_DEFAULTS.size, channels: [...LOCAL_UNET_DEFAULTS.channels], timeDim: LOCAL_UNET_DEFAULTS.timeDim };
const P = initUnet(cfg, 0);
const opt = tf.train.adam(1e-3);
const xb = tf.randomUniform([16, cfg.size, cfg.size, 3], -1, 1) as tf.Tensor4D;
const step = () => {
  const l = opt.minimize(() => tf.mean(tf.square(tf.sub(unetForward(P, cfg, xb, tf.fill([16], 7) as tf.Tensor1D), xb))) as tf.Scalar, true, Object.values(P))!;
  l.dataSync();
  l.dispose();
};
step();
const steps = 10;
const ts = await time(() => {
  for (let i = 0; i < steps; i++) step();
});
rows.push({ task: `local UNet training step (batch 16, ${cfg.size}²)`, seconds: r3(ts / steps), note: `${LOCAL_UNET_DEFAULTS.trainSteps} steps ≈ ${Math.round((ts / steps) * LOCAL_UNET_DEFAULTS.trainSteps)} s` });
xb.dispose();
opt.dispose();

// ---- scoring: a head on the embedding (= one FR pass) and DifFIQA with the local UNet ----
function crop(seed: number, size: number): RawImage {
  const r = rngFor('bench2-crop', seed);
  return { data: Uint8Array.from({ length: size * size * 3 }, () => r.int(256)), width: size, height: size, channels: 3 };
}
const denoiser = localDenoiser(P, cfg, 'bench', 'bench');
for (const fr of ['mobileface', 'faceres']) {
  const rec = await createRecognizer(fr);
  const S = rec.spec.inputSize;
  const crops = Array.from({ length: 8 }, (_, i) => crop(i, S));
  await rec.embed(crops.slice(0, 2));
  const te = await time(() => rec.embed(crops));
  rows.push({ task: `score: trained head on ${fr} embedding`, images_per_s: r3(8 / te) });
  for (const R of [10, 2]) {
    const k = fr === 'faceres' && R === 10 ? 1 : 2;
    const s = await time(() => diffiqaScores(crops.slice(0, k), ids.slice(0, k), 0, { R, t: 5, steps: 6, eta: 1, timesteps: 1000, clip: true }, denoiser, pixelEmbedder(rec)));
    rows.push({ task: `score: DifFIQA local UNet, ${fr}, R = ${R}`, images_per_s: r3(k / s), seconds_per_image: r3(s / k), note: `${2 + 4 * R} FR passes + ${2 * R * 6} UNet passes per image` });
  }
  await rec.dispose();
}
await denoiser.dispose();

console.log(`Learned FIQA methods: training and scoring speed (tensor backend ${backend}, 1 thread)`);
const cols = ['task', 'seconds', 'per_epoch_ms', 'images_per_s', 'seconds_per_image', 'note'];
console.log(textTable(rows.map((r) => Object.fromEntries(cols.map((c) => [c, r[c] ?? ''])))));
