/**
 * Parity of our wasm gradient kernels with the cpu backend's own kernels (the reference), and a small CNN
 * that trains on wasm. Reference gradients are computed with the cpu backend's built-in kernels restored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime, useBackend, restoreBuiltinConvGradKernels, registerConvGradKernels } from '../src/index.ts';
import { Rng } from '@aikd/core';

type Case = { name: string; x: number[]; f: number[]; stride: number; pad: 'same' | 'valid'; depthwise: boolean };

const cases: Case[] = [];
for (const depthwise of [false, true])
  for (const k of [1, 3])
    for (const stride of [1, 2])
      for (const pad of ['same', 'valid'] as const) {
        const ci = 3;
        const co = depthwise ? 2 : 4; // depthwise: channel multiplier
        // odd and even sizes so that 'same' padding is asymmetric in some cases
        cases.push({ name: `${depthwise ? 'depthwise' : 'conv2d'} ${k}x${k} s${stride} ${pad}`, x: [2, 9, 8, ci], f: [k, k, ci, co], stride, pad, depthwise });
      }

function randn(shape: number[], seed: number): tf.Tensor {
  const r = new Rng([seed, 1, 2, 3]);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => r.normal()), shape);
}

/** Input and filter gradients of sum(conv(x, f) * w) — w makes every output position matter differently. */
function grads(c: Case): { dx: Float32Array; df: Float32Array } {
  return tf.tidy(() => {
    const x = randn(c.x, 1) as tf.Tensor4D;
    const f = randn(c.f, 2) as tf.Tensor4D;
    const conv = (a: tf.Tensor4D, b: tf.Tensor4D) => (c.depthwise ? tf.depthwiseConv2d(a, b, c.stride, c.pad) : tf.conv2d(a, b, c.stride, c.pad));
    const w = randn(conv(x, f).shape, 3);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), w)));
    const [dx, df] = g([x, f]);
    return { dx: dx!.dataSync() as Float32Array, df: df!.dataSync() as Float32Array };
  });
}

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / Math.max(den, 1e-12);
}

describe('wasm convolution gradient kernels', () => {
  const reference = new Map<string, { dx: Float32Array; df: Float32Array }>();

  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
    restoreBuiltinConvGradKernels(tf, 'cpu');
    for (const c of cases) reference.set(c.name, grads(c));
    await useBackend('wasm');
  });

  afterAll(() => registerConvGradKernels(tf, 'cpu', ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter']));

  it('are the kernels registered on wasm', () => {
    for (const k of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'])
      expect(tf.getKernel(k, 'wasm'), k).toBeDefined();
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s matches the cpu kernels (rel. error <= 1e-4)', (_name, c) => {
    expect(tf.getBackend()).toBe('wasm');
    const ref = reference.get(c.name)!;
    const got = grads(c);
    expect(got.dx.length).toBe(ref.dx.length);
    expect(got.df.length).toBe(ref.df.length);
    expect(relErr(got.dx, ref.dx)).toBeLessThanOrEqual(1e-4);
    expect(relErr(got.df, ref.df)).toBeLessThanOrEqual(1e-4);
  });

  it('leaves no tensors behind', () => {
    grads(cases[3]!);
    const before = tf.memory().numTensors;
    grads(cases[3]!);
    grads(cases[12]!);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains a small CNN on wasm (loss falls)', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }),
        tf.layers.batchNormalization(),
        tf.layers.reLU(),
        tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthwiseInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
        tf.layers.conv2d({ filters: 16, kernelSize: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }),
        tf.layers.reLU(),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const x = randn([8, 32, 32, 3], 7);
    const y = randn([8, 4], 8);
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) losses.push(Number(await model.trainOnBatch(x, y)));
    expect(tf.getBackend()).toBe('wasm');
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]!);
    model.dispose();
    tf.dispose([x, y]);
  });
});
