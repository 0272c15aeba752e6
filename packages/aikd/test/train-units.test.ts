import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tf, initRuntime } from '@aikd/runtime';
import { splitByIdentity, subsetDataset, type Dataset, type ImageRecord } from '@aikd/datasets';
import { aikdLoss, consistencyLoss, smoothL1Loss } from '../src/train/losses.ts';
import { warmupFactor, warmupSteps } from '../src/train/schedule.ts';
import { clipByGlobalNorm, createClip, createSgd, referenceLossScale } from '../src/train/optimizer.ts';
import { identityHoldout, normaliseLabels, stratifiedHoldout } from '../src/train/data.ts';
import { referenceDeviations, resolveTrainConfig } from '../src/train/config.ts';
import { rampLr, smoothLosses, steepestDescentLr } from '../src/train/lr-find.ts';
import type { ParamRef } from '@aikd/fr-models';

beforeAll(async () => {
  await initRuntime();
});

const num = (t: tf.Tensor) => t.dataSync()[0]!;

describe('losses against hand-computed values', () => {
  it('consistency = mean(1 − cos)', () => {
    const a = tf.tensor2d([[1, 0], [0, 1]]);
    const b = tf.tensor2d([[2, 0], [1, 1]]); // cos 1 and 1/√2
    expect(num(consistencyLoss(a, b))).toBeCloseTo((0 + (1 - Math.SQRT1_2)) / 2, 6);
    // opposite vectors: 1 − (−1) = 2
    expect(num(consistencyLoss(tf.tensor2d([[1, 2]]), tf.tensor2d([[-2, -4]])))).toBeCloseTo(2, 6);
  });

  it('SmoothL1(β = 0.5): d²/(2β) inside β, |d| − β/2 outside, continuous at |d| = β', () => {
    // d = −0.3, 0.8, −0.3 → 0.09, 0.55, 0.09
    expect(num(smoothL1Loss(tf.tensor1d([0.2, 0.9, -0.1]), tf.tensor1d([0.5, 0.1, 0.2]), 0.5))).toBeCloseTo((0.09 + 0.55 + 0.09) / 3, 6);
    expect(num(smoothL1Loss(tf.tensor1d([0.5]), tf.tensor1d([0]), 0.5))).toBeCloseTo(0.25, 7);
    expect(num(smoothL1Loss(tf.tensor1d([0.5 - 1e-4]), tf.tensor1d([0]), 0.5))).toBeCloseTo(0.25, 3);
    // accepts [n, 1] predictions (the head's output) against [n] labels
    expect(num(smoothL1Loss(tf.tensor2d([[1.5]]), tf.tensor1d([0]), 0.5))).toBeCloseTo(1.25, 6);
  });

  it('the total is the weighted sum of the two terms', () => {
    const es = tf.tensor2d([[1, 0], [0, 1]]), et = tf.tensor2d([[2, 0], [1, 1]]);
    const q = tf.tensor1d([0.2, 0.9, -0.1].slice(0, 2)), y = tf.tensor1d([0.5, 0.1]);
    const cons = (1 - Math.SQRT1_2) / 2, qual = (0.09 + 0.55) / 2;
    expect(num(aikdLoss(es, q, et, y, { consistency: 1, quality: 1, beta: 0.5 }).total)).toBeCloseTo(cons + qual, 6);
    const l = aikdLoss(es, q, et, y, { consistency: 2, quality: 0.5, beta: 0.5 });
    expect(num(l.total)).toBeCloseTo(2 * cons + 0.5 * qual, 6);
    expect(num(l.consistency)).toBeCloseTo(cons, 6);
    expect(num(l.quality)).toBeCloseTo(qual, 6);
  });
});

describe('sine warm-up', () => {
  it('over the first 15 % of the steps, lr 0 at step 0, then constant', () => {
    const W = warmupSteps(100, 0.15);
    expect(W).toBe(15);
    expect(warmupFactor(0, W)).toBe(0);
    expect(warmupFactor(5, W)).toBeCloseTo(0.5, 12); // sin(π/6)
    expect(warmupFactor(10, W)).toBeCloseTo(Math.sqrt(3) / 2, 12);
    expect(warmupFactor(15, W)).toBe(1);
    expect(warmupFactor(99, W)).toBe(1);
    expect(warmupFactor(3, 0)).toBe(1); // no warm-up
  });

  it('the same length as the reference code: int(int(0.3 · n) · 0.5)', () => {
    for (let n = 1; n <= 2000; n++) expect(warmupSteps(n, 0.15)).toBe(Math.floor(Math.floor(n * 0.3) * 0.5));
  });
});

describe('SGD with PyTorch semantics', () => {
  const param = (name: string, values: number[]): ParamRef => ({ name, variable: new tf.LayerVariable(tf.tensor1d(values), 'float32', `t_${name}`) });

  it('v = g + wd·w on the first step, then μ·v + (g + wd·w); w ← w − lr·v; lr factor and two groups', () => {
    const a = param('a', [1, -2]), b = param('b', [3]);
    const sgd = createSgd([
      { name: 'head', params: [a], lr: 0.1, momentum: 0.9, weightDecay: 0.01 },
      { name: 'backbone', params: [b], lr: 0.2, momentum: 0.1, weightDecay: 0 },
    ]);
    sgd.step(new Map([['a', tf.tensor1d([0.5, 0.5])], ['b', tf.tensor1d([1])]]), 1);
    // a: d = [0.51, 0.48] → w = [0.949, −2.048]; b: v = 1 → 3 − 0.2 = 2.8
    expect(Array.from(a.variable.read().dataSync())).toEqual([expect.closeTo(0.949, 6), expect.closeTo(-2.048, 6)]);
    expect(b.variable.read().dataSync()[0]).toBeCloseTo(2.8, 6);
    sgd.step(new Map([['a', tf.tensor1d([1, 0])], ['b', tf.tensor1d([2])]]), 0.5);
    // a: d = [1.00949, −0.02048], v = 0.9·[0.51, 0.48] + d = [1.46849, 0.41152], w −= 0.05·v
    expect(Array.from(a.variable.read().dataSync())).toEqual([expect.closeTo(0.949 - 0.05 * 1.46849, 6), expect.closeTo(-2.048 - 0.05 * 0.41152, 6)]);
    // b: v = 0.1·1 + 2 = 2.1, w = 2.8 − 0.1·2.1
    expect(b.variable.read().dataSync()[0]).toBeCloseTo(2.8 - 0.1 * 2.1, 6);
    expect([...sgd.state().keys()].sort()).toEqual(['a', 'b']);
  });

  it('lr factor 0 (warm-up step 0) moves nothing but fills the momentum buffer', () => {
    const a = param('c', [1]);
    const sgd = createSgd([{ name: 'g', params: [a], lr: 0.5, momentum: 0.9, weightDecay: 0 }]);
    sgd.step(new Map([['c', tf.tensor1d([2])]]), 0);
    expect(a.variable.read().dataSync()[0]).toBe(1);
    sgd.step(new Map([['c', tf.tensor1d([0])]]), 1);
    expect(a.variable.read().dataSync()[0]).toBeCloseTo(1 - 0.5 * 0.9 * 2, 6);
  });

  it("reference clipping: frozen tensors' gradients accumulate (× the AMP loss scale), count in the norm and are clipped too", () => {
    const P = (name: string): ParamRef => ({ name, variable: tf.variable(tf.zeros([2])) as unknown as ParamRef['variable'] });
    const clip = createClip({ mode: 'reference', maxNorm: 5, frozen: [P('f')], lossScale: (s) => referenceLossScale(s, 1, 2) });
    expect(clip.extra.map((p) => p.name)).toEqual(['f']);
    const grads = (a: number[], f: number[]) => new Map([['a', tf.tensor1d(a)], ['f', tf.tensor1d(f)]]);
    // written out: step 0 scale 2: acc = 2·(0, 1) = (0, 2); norm √(3² + 2²); nothing clipped (norm < 5)
    let r = clip.clip(grads([3, 0], [0, 1]), 0);
    expect(r.norm).toBeCloseTo(Math.sqrt(13), 6);
    expect(Array.from(r.clipped.get('a')!.dataSync())).toEqual([3, 0]);
    expect([...r.clipped.keys()]).toEqual(['a']); // only trainable tensors come back
    // step 1 scale 4: acc = (0, 2) + 4·(0, 2) = (0, 10); norm √(1 + 100); coef 5 / norm scales a and the accumulator
    r = clip.clip(grads([1, 0], [0, 2]), 1);
    const n1 = Math.sqrt(101), c1 = 5 / (n1 + 1e-6);
    expect(r.norm).toBeCloseTo(n1, 5);
    expect(r.clipped.get('a')!.dataSync()[0]).toBeCloseTo(c1, 6);
    expect(clip.state().get('f')!.dataSync()[1]).toBeCloseTo(10 * c1, 5);
    // step 2 scale 8, no frozen gradient: the accumulator alone keeps shrinking the trainable step
    r = clip.clip(grads([1, 0], [0, 0]), 2);
    expect(r.norm).toBeCloseTo(Math.sqrt(1 + (10 * c1) ** 2), 5);
    // the trainable mode ignores frozen tensors
    const t = createClip({ mode: 'trainable', maxNorm: 5, frozen: [P('f')] });
    expect(t.extra).toEqual([]);
    expect(t.clip(new Map([['a', tf.tensor1d([3, 4])]]), 0).norm).toBeCloseTo(5, 6);
    expect(referenceLossScale(0, 10)).toBe(128);
    expect(referenceLossScale(25, 10)).toBe(512);
  });

  it('global-norm clipping as clip_grad_norm_', () => {
    const g = new Map([['a', tf.tensor1d([3, 0])], ['b', tf.tensor1d([0, 4])]]);
    const r = clipByGlobalNorm(g, 1);
    expect(r.norm).toBeCloseTo(5, 6);
    expect(Array.from(r.clipped.get('a')!.dataSync())).toEqual([expect.closeTo(0.6, 6), 0]);
    expect(Array.from(r.clipped.get('b')!.dataSync())).toEqual([0, expect.closeTo(0.8, 6)]);
    expect(Array.from(clipByGlobalNorm(g, 10).clipped.get('b')!.dataSync())).toEqual([0, 4]);
  });
});

describe('splits and labels', () => {
  it('quality-stratified hold-out takes evenly spaced quality ranks', () => {
    const items = [7, 3, 9, 0, 5, 1, 8, 2, 6, 4].map((q) => ({ id: `img${q}`, rawQuality: q }));
    expect(stratifiedHoldout(items, 0.2, 1).val.map((v) => v.rawQuality)).toEqual([2, 7]);
    const h = stratifiedHoldout(items, 0.01, 3); // tiny set: the minimum wins
    expect(h.val.map((v) => v.rawQuality)).toEqual([1, 5, 8]);
    expect(h.valFraction).toBeCloseTo(0.3, 12);
    expect(h.train.length).toBe(7);
    expect(() => stratifiedHoldout(items.slice(0, 1), 0.5, 1)).toThrow(/too few/);
  });

  it('min-max on the training split; validation uses the same range', () => {
    const train = [2, 4, 6].map((q) => ({ rawQuality: q, label: NaN }));
    const val = [5, 7].map((q) => ({ rawQuality: q, label: NaN }));
    expect(normaliseLabels(train, val)).toEqual({ min: 2, max: 6 });
    expect(train.map((t) => t.label)).toEqual([0, 0.5, 1]);
    expect(val.map((t) => t.label)).toEqual([0.75, 1.25]);
    expect(() => normaliseLabels([{ rawQuality: 1, label: 0 }], [])).toThrow(/nothing to learn/);
  });

  it('validation by identity: whole identities of the identity split, ≥ 15 % of them on small datasets, grown to reach the image minimum', () => {
    // 40 identities × 3 images
    const recs: ImageRecord[] = Array.from({ length: 120 }, (_, i) => ({ id: `p${Math.floor(i / 3)}/${i % 3}.png`, identity: `p${Math.floor(i / 3)}` }));
    const ds: Dataset = { name: 'mem', format: 'folder', aligned: true, location: 'memory', images: () => recs, pairs: () => [], image: (id) => recs.find((r) => r.id === id), readImage: async () => new Uint8Array(), close: async () => {} };
    const items = recs.map((r) => ({ id: r.id }));
    const identities = (xs: { id: string }[]) => new Set(xs.map((x) => x.id.split('/')[0]));
    // small: 1 % of 40 identities is 1, 500 images are out of reach, so the 15 % cap decides: 6 identities
    const h = identityHoldout(ds, items, { fraction: 0.01, minImages: 500, maxFraction: 0.15, seed: 3 });
    expect([identities(h.val).size, h.val.length, h.train.length, h.identities]).toEqual([6, 18, 102, 40]);
    expect([...identities(h.val)].some((p) => identities(h.train).has(p))).toBe(false);
    // the held-out identities are the datasets package's identity split of the labelled images
    const ref = splitByIdentity(subsetDataset(ds, () => true, 'aikd-labelled'), { testFraction: 6 / 40, seed: 3 });
    expect(h.valIdentities).toEqual(ref.testIdentities);
    // enough images: the smallest number of identities reaching the minimum (nested: a prefix of the same shuffle)
    const few = identityHoldout(ds, items, { fraction: 0.01, minImages: 8, maxFraction: 0.15, seed: 3 });
    expect(identities(few.val).size).toBe(3);
    expect([...identities(few.val)].every((p) => identities(h.val).has(p))).toBe(true);
    expect(identities(identityHoldout(ds, items, { fraction: 0.2, minImages: 1, maxFraction: 0.15, seed: 3 }).val).size).toBe(8);
    // another seed, other people; unlabelled images are not in either part
    expect(identityHoldout(ds, items, { fraction: 0.01, minImages: 500, maxFraction: 0.15, seed: 4 }).valIdentities).not.toEqual(h.valIdentities);
    const part = identityHoldout(ds, items.slice(0, 60), { fraction: 0.01, minImages: 500, maxFraction: 0.15, seed: 3 });
    expect(part.train.length + part.val.length).toBe(60);
    expect(() => identityHoldout(ds, items.slice(0, 3), { fraction: 0.01, minImages: 1, maxFraction: 0.15, seed: 3 })).toThrow(/at least 2 identities.*val_split: stratified/);
  });

});

describe('lr search', () => {
  it('the ramp is exponential from lr-min to lr-max', () => {
    const lrs = Array.from({ length: 5 }, (_, k) => rampLr(k, 5, 1e-4, 1));
    [1e-4, 1e-3, 1e-2, 1e-1, 1].forEach((want, k) => expect(lrs[k]).toBeCloseTo(want, 12 + Math.log10(want)));
  });

  it('bias-corrected smoothing and the steepest-descent suggestion on a known curve', () => {
    expect(smoothLosses([2, 2, 2], 0.9)).toEqual([2, expect.closeTo(2, 12), expect.closeTo(2, 12)]);
    // loss = 1 − tanh(2·(log10 lr + 3)) falls fastest at lr 1e-3, then rises after its minimum at 1e-1
    const lrs = Array.from({ length: 61 }, (_, k) => rampLr(k, 61, 1e-6, 1));
    const loss = lrs.map((lr) => (lr <= 0.1 ? 1 - Math.tanh(2 * (Math.log10(lr) + 3)) : 1 - Math.tanh(4) + 10 * (lr - 0.1)));
    expect(Math.log10(steepestDescentLr(lrs, loss)!)).toBeCloseTo(-3, 6);
    expect(steepestDescentLr(lrs, lrs.map((lr) => lr))).toBeNull(); // a loss that only rises
    // the first 10 % of the points (a few noisy batches of an untrained head) are left out, however steep
    const noisyStart = loss.map((v, i) => (i < 5 ? v + 5 * (5 - i) : v));
    expect(Math.log10(steepestDescentLr(lrs, noisyStart)!)).toBeCloseTo(-3, 6);
  });
});

describe('training configuration', () => {
  it('defaults are the paper/reference values; flags override; errors name the key', () => {
    const c = resolveTrainConfig(undefined, { dataset: 'demo', method: 'serfiq' });
    expect(c.train).toMatchObject({ batch_size: 64, lr_head: 0.05, momentum_head: 0.9, weight_decay_head: 5e-4, lr_backbone: 0.05, momentum_backbone: 0.1, warmup_fraction: 0.15, clip_norm: 5, smooth_l1_beta: 0.5 });
    expect(c.model).toMatchObject({ backbone: 'mobileface', trainable_tensors: 100, head_hidden: 1024 });
    expect(c.data).toMatchObject({ jitter_p: 3, val_fraction: 0.01, val_split: 'identity' });
    expect(c.train).toMatchObject({ val_criterion: 'quality', val_start_fraction: 0.3, bn: 'train' });
    // the options that differ from the reference code by default are named (and recorded in each run)
    expect(referenceDeviations(c).map((d) => d.option)).toEqual(['train.clip', 'train.val_at_end', 'data.val_split']);
    const o = resolveTrainConfig(undefined, { dataset: 'demo', method: 'serfiq', lr: 0.01, batch: 8, p: 5 });
    expect([o.train.lr_head, o.train.lr_backbone, o.train.batch_size, o.data.jitter_p]).toEqual([0.01, 0.01, 8, 5]);
    expect(() => resolveTrainConfig(undefined, { method: 'serfiq' })).toThrow(/data\.dataset.*--dataset/);
    expect(() => resolveTrainConfig(undefined, { dataset: 'demo', method: 'serfiq', batch: 0 })).toThrow(/train\.batch_size/);
  });

  it('the shipped configs are valid', () => {
    const dir = join(import.meta.dirname, '..', 'configs');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) expect(resolveTrainConfig(join(dir, f)).labels.method).toBeTruthy();
  });
});
