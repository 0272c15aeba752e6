/**
 * Train-step time of one small CNN on every tensor backend present (tensorflow where installed, wasm, cpu).
 * Model (deps.md's reference): 4 × [conv3x3 s2 'same' no bias → BN → ReLU] with 16/32/64/128 channels,
 * global average pooling, Dense(128); input 16×112×112×3, MSE, SGD.
 */
import { tf, initRuntime, useBackend, resolveTensorflowProvider, tensorflowProviders, type BackendName } from '@aikd/runtime';
import { Rng, textTable } from '@aikd/core';

function buildModel(): tf.Sequential {
  const m = tf.sequential();
  [16, 32, 64, 128].forEach((filters, i) => {
    m.add(tf.layers.conv2d({ ...(i === 0 ? { inputShape: [112, 112, 3] } : {}), filters, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: i }) }));
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.reLU());
  });
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: 128, kernelInitializer: tf.initializers.glorotNormal({ seed: 9 }) }));
  m.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
  return m;
}

async function timeBackend(name: BackendName, batch: number, warm: number, reps: number) {
  await useBackend(name);
  const r = new Rng([1, 2, 3, 4]);
  const x = tf.tensor4d(Float32Array.from({ length: batch * 112 * 112 * 3 }, () => r.normal()), [batch, 112, 112, 3]);
  const y = tf.tensor2d(Float32Array.from({ length: batch * 128 }, () => r.normal()), [batch, 128]);
  const m = buildModel();
  const fwd: number[] = [];
  const step: number[] = [];
  for (let i = 0; i < warm + reps; i++) {
    let t = performance.now();
    const p = m.predict(x) as tf.Tensor;
    await p.data();
    p.dispose();
    if (i >= warm) fwd.push(performance.now() - t);
    t = performance.now();
    await m.trainOnBatch(x, y);
    if (i >= warm) step.push(performance.now() - t);
  }
  m.dispose();
  tf.dispose([x, y]);
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
  return { backend: name, batch, forward_ms: Math.round(median(fwd)), train_step_ms: Math.round(median(step)), timed_steps: reps };
}

const batch = Number(process.env.BENCH_BATCH ?? 16);
await initRuntime();
const backends: BackendName[] = [];
if (tensorflowProviders.some((p) => resolveTensorflowProvider(p))) backends.push('tensorflow');
backends.push('wasm', 'cpu');
const rows = [];
for (const b of backends) {
  try {
    rows.push(await timeBackend(b, batch, b === 'cpu' ? 1 : 2, b === 'cpu' ? 2 : 5));
  } catch (e) {
    rows.push({ backend: b, batch, forward_ms: null, train_step_ms: null, timed_steps: 0, error: (e as Error).message.split('\n')[0] });
  }
}
console.log('small CNN (4×conv-BN-ReLU, 16×112×112×3), median ms:');
console.log(textTable(rows));
