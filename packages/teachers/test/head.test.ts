/** The shared regression-head trainer on synthetic cached features: loss falls, the best epoch is what is returned
 * and checkpointed, the label scaling leaves the solution unchanged, identity-disjoint validation splits. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rngFor } from '@aikd/core';
import { initRuntime, tf } from '@aikd/runtime';
import { splitItemsByIdentity } from '@aikd/datasets';
import { predictHead, spearman, trainHead, type HeadConfig } from '../src/index.ts';
import { readWeights, writeWeights } from '@aikd/runtime';
import { tempDir } from './helpers.ts';

/** The learned methods' validation split of rows (what trainTeacher uses). */
function splitRowsByIdentity(rows: number[], identities: string[], fraction: number, seed: number) {
  const s = splitItemsByIdentity(rows, (r) => identities[r]!, { fraction, seed, stream: ['teacher-val-split'] });
  return { train: s.train, val: s.test };
}

/** n samples of d features; label = a nonlinear function of the first 3 features + noise. */
function synthetic(n: number, d: number, seed: string) {
  const r = rngFor(seed);
  const X = Float32Array.from({ length: n * d }, () => r.normal() * 2 + 1);
  const y = Float64Array.from({ length: n }, (_, i) => 3 + Math.tanh(X[i * d]! - 1) + 0.5 * (X[i * d + 1]! - 1) - 0.3 * Math.abs(X[i * d + 2]! - 1) + 0.05 * r.normal());
  const identities = Array.from({ length: n }, (_, i) => `id${i % 10}`);
  return { X, y, identities };
}

const base: HeadConfig = { hidden: 16, dropout: 0, epochs: 60, batchSize: 16, lr: 1e-2, weightDecay: 1e-4, patience: 0 };

describe('trainHead', () => {
  it('loss falls, validation ρ is high, and the best epoch is what comes back and what was checkpointed', async () => {
    await initRuntime();
    const { X, y, identities } = synthetic(200, 6, 'h1');
    const split = splitRowsByIdentity(Array.from({ length: 200 }, (_, i) => i), identities, 0.2, 0);
    const dir = tempDir('head');
    let saved: { epoch: number; manifest: Awaited<ReturnType<typeof writeWeights>> } | undefined;
    const steps: number[] = [];
    const res = await trainHead(
      { X, featureShape: [6], y, train: split.train, val: split.val },
      {
        config: base,
        loss: { kind: 'smoothl1', beta: 0.5 },
        seed: 0,
        onStep: (s) => steps.push(s),
        onBest: async (w, r) => {
          saved = { epoch: r.epoch, manifest: await writeWeights(join(dir, 'h.bin'), w) };
        },
      },
    );
    const h = res.history;
    expect(h).toHaveLength(60);
    expect(steps).toHaveLength(res.steps);
    expect(res.steps).toBe(60 * Math.ceil(split.train.length / 16));
    expect(h[h.length - 1]!.trainLoss).toBeLessThan(h[0]!.trainLoss * 0.5);
    const best = h.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a));
    expect(res.bestEpoch).toBe(best.epoch);
    expect(res.bestValLoss).toBe(best.valLoss);
    expect(best.valSpearman!).toBeGreaterThan(0.9);
    // the returned weights are the best epoch's: their validation loss is the recorded one
    const pv = predictHead(res.weights, res.state, Float32Array.from(split.val.flatMap((i) => Array.from(X.subarray(i * 6, i * 6 + 6)))), split.val.length);
    const smoothL1 = (d: number) => (Math.abs(d) < 0.5 ? (0.5 * d * d) / 0.5 : Math.abs(d) - 0.25);
    const valLoss = split.val.reduce((a, i, k) => a + smoothL1(pv[k]! - y[i]!), 0) / split.val.length;
    expect(valLoss).toBeCloseTo(res.bestValLoss!, 4);
    expect(spearman(pv, split.val.map((i) => y[i]!))).toBeCloseTo(best.valSpearman!, 6);
    // … and so is the checkpoint
    expect(saved!.epoch).toBe(res.bestEpoch);
    const reloaded = readWeights(join(dir, 'h.bin'), saved!.manifest, ['h.w', 'h.b', 'o.w', 'o.b']);
    expect(Array.from(predictHead(reloaded, res.state, X, 200))).toEqual(Array.from(predictHead(res.weights, res.state, X, 200)));
    tf.dispose([...Object.values(reloaded), ...Object.values(res.weights)]);
  });

  it('the loss is scale-consistent: labels ×10 with β ×10 give predictions ×10 (same seed)', async () => {
    const { X, y, identities } = synthetic(120, 4, 'h2');
    const split = splitRowsByIdentity(Array.from({ length: 120 }, (_, i) => i), identities, 0.25, 1);
    const cfg = { ...base, epochs: 15 };
    const a = await trainHead({ X, featureShape: [4], y, train: split.train, val: split.val }, { config: cfg, loss: { kind: 'smoothl1', beta: 0.5 }, seed: 3 });
    const b = await trainHead({ X, featureShape: [4], y: y.map((v) => 10 * v), train: split.train, val: split.val }, { config: cfg, loss: { kind: 'smoothl1', beta: 5 }, seed: 3 });
    expect(b.bestEpoch).toBe(a.bestEpoch);
    expect(b.bestValLoss!).toBeCloseTo(10 * a.bestValLoss!, 4);
    const pa = predictHead(a.weights, a.state, X, 120), pb = predictHead(b.weights, b.state, X, 120);
    pa.forEach((v, i) => expect(pb[i]!).toBeCloseTo(10 * v, 3));
    tf.dispose([...Object.values(a.weights), ...Object.values(b.weights)]);
  });

  it('linear heads, feature maps (1×1 conv + pooling), L1/L2 losses, patience and no validation', async () => {
    const r = rngFor('h3');
    const n = 60, shape = [2, 2, 3];
    const X = Float32Array.from({ length: n * 12 }, () => r.normal());
    const y = Float64Array.from({ length: n }, (_, i) => X.subarray(i * 12, i * 12 + 12).reduce((a, v, k) => a + (k % 3 === 0 ? v : 0), 0));
    const rows = Array.from({ length: n }, (_, i) => i);
    const conv = await trainHead({ X, featureShape: shape, y, train: rows, val: [] }, { config: { ...base, hidden: 8, epochs: 40 }, loss: { kind: 'l2' }, seed: 0 });
    expect(conv.bestValLoss).toBeNull();
    expect(Object.keys(conv.weights).sort()).toEqual(['h.b', 'h.w', 'o.b', 'o.w']);
    expect(conv.weights['h.w']!.shape).toEqual([3, 8]); // per-position 1×1 conv over the channels
    expect(conv.history.at(-1)!.trainLoss).toBeLessThan(conv.history[0]!.trainLoss);
    const lin = await trainHead({ X, featureShape: shape, y, train: rows.slice(0, 40), val: rows.slice(40) }, { config: { ...base, hidden: 0, epochs: 100, patience: 3 }, loss: { kind: 'l1' }, seed: 0 });
    expect(lin.weights['o.w']!.shape).toEqual([12, 1]); // linear on the flattened map
    expect(lin.history.length).toBeLessThan(100); // stopped by patience
    expect(lin.history.length).toBe(lin.bestEpoch + 3);
    tf.dispose([...Object.values(conv.weights), ...Object.values(lin.weights)]);
  });
});
