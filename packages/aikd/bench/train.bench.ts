/**
 * AI-KD train-step time per backbone on the current backend: one optimizer step of the student (forward + backward
 * of backbone + quality head on one micro-batch of the backbone's default size, clipping, two-group SGD), the last
 * 100 parameter tensors trainable (the default). Inputs are random pixels; the teacher targets random vectors.
 * iResNets use random weights in the insightface layout (BENCH_IRESNET=18,50,100 to choose; default 18,50).
 * BENCH_ONLY=mobileface,faceres limits the backbones; BENCH_REPS sets the timed steps (default 3, after 1 warm-up).
 */
import { tf, initRuntime } from '@aikd/runtime';
import { textTable } from '@aikd/core';
import { createBackboneSource, iresnetSourceFromWeights, randomIResNetWeights, IRESNET_DEPTHS, type BackboneSource } from '@aikd/fr-models';
import { createAikdModels } from '../src/train/model.ts';
import { createClip, createSgd } from '../src/train/optimizer.ts';
import { optimizerStep, DEFAULT_MICRO_BATCH } from '../src/train/train.ts';

const report = await initRuntime();
const only = process.env.BENCH_ONLY?.split(',');
const reps = Number(process.env.BENCH_REPS ?? 3);
const iresnets = (process.env.BENCH_IRESNET ?? '18,50').split(',').filter(Boolean);

const sources: [string, () => Promise<BackboneSource>][] = [
  ['mobileface', () => createBackboneSource('mobileface')],
  ['faceapi-resnet', () => createBackboneSource('faceapi-resnet')],
  ['faceres', () => createBackboneSource('faceres')],
  ['faceres-deep', () => createBackboneSource('faceres-deep')],
  ...iresnets.map((d): [string, () => Promise<BackboneSource>] => {
    const layout = { layers: IRESNET_DEPTHS[`iresnet${d}`]!, widths: [64, 128, 256, 512], embedding: 512, inputSize: 112 };
    return [`iresnet${d}`, async () => iresnetSourceFromWeights(`iresnet${d}`, layout, randomIResNetWeights(layout, 1), 'random weights')];
  }),
];

const rows: Record<string, unknown>[] = [];
for (const [name, make] of sources) {
  if (only && !only.includes(name)) continue;
  try {
    const src = await make();
    const m = createAikdModels(src, { seed: 1, trainableTensors: 100, headHidden: 1024 });
    src.dispose();
    const b = DEFAULT_MICRO_BATCH[m.spec.family];
    const S = m.spec.inputSize, d = m.spec.embeddingSize;
    const vars = [...m.trainable.head, ...m.trainable.backbone];
    const sgd = createSgd([
      { name: 'head', params: m.trainable.head, lr: 1e-3, momentum: 0.9, weightDecay: 5e-4 },
      { name: 'backbone', params: m.trainable.backbone, lr: 1e-3, momentum: 0.1, weightDecay: 0 },
    ]);
    const clip = createClip({ mode: 'trainable', maxNorm: 5 });
    const times: number[] = [];
    const fwd: number[] = [];
    for (let i = 0; i < 1 + reps; i++) {
      const pixels = tf.randomUniform([b, S, S, 3], 0, 255, 'float32', i) as tf.Tensor4D;
      let t = performance.now();
      const e = m.teacher.predict(pixels) as tf.Tensor;
      await e.data();
      if (i) fwd.push(performance.now() - t);
      e.dispose();
      t = performance.now();
      optimizerStep(m.student, vars, sgd, [{ pixels, teacher: tf.randomNormal([b, d], 0, 1, 'float32', i) as tf.Tensor2D, labels: tf.randomUniform([b], 0, 1, 'float32', i) as tf.Tensor1D }], { consistency: 1, quality: 1, beta: 0.5 }, clip, i, 1);
      if (i) times.push(performance.now() - t);
    }
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
    rows.push({
      backbone: name,
      input: S,
      micro_batch: b,
      trainable_tensors: m.trainable.backbone.length,
      teacher_forward_ms: Math.round(med(fwd)),
      train_step_ms: Math.round(med(times)),
      ms_per_image: Math.round(med(times) / b),
      steps_per_s_at_64: Number((1000 / ((med(times) / b) * 64)).toFixed(3)),
    });
    sgd.dispose();
    m.dispose();
  } catch (e) {
    rows.push({ backbone: name, error: (e as Error).message.split('\n')[0] });
  }
}
console.log(`AI-KD train step (backbone + head, last 100 tensors trainable), backend ${report.backend}, median of ${reps}:`);
console.log(textTable(rows));
