import { describe, expect, it } from 'vitest';
import { bestThreshold, cosine, eer, rocAuc, tarAtFar, tenFoldAccuracy } from '../src/verify.ts';
import { verificationReport } from '../src/verification.ts';
import { rngFor } from '@aikd/core';

describe('verification metrics', () => {
  it('cosine of known vectors', () => {
    expect(cosine(Float32Array.from([1, 0]), Float32Array.from([0, 2]))).toBeCloseTo(0, 12);
    expect(cosine(Float32Array.from([1, 1]), Float32Array.from([2, 2]))).toBeCloseTo(1, 6);
    expect(cosine(Float32Array.from([1, 0]), Float32Array.from([-3, 0]))).toBeCloseTo(-1, 6);
  });

  it('AUC by hand: 2 mated, 2 non-mated', () => {
    // mated 0.9, 0.5; non-mated 0.6, 0.1 → pairs (m>n): (0.9>0.6)(0.9>0.1)(0.5>0.1) = 3 of 4
    expect(rocAuc([0.9, 0.5, 0.6, 0.1], [true, true, false, false])).toBeCloseTo(0.75, 12);
    // a tie counts one half
    expect(rocAuc([0.5, 0.5], [true, false])).toBeCloseTo(0.5, 12);
  });

  it('EER by hand', () => {
    // mated 0.8 0.7 0.4; non-mated 0.6 0.3 0.2: threshold between 0.6 and 0.7 gives FAR 0, FRR 1/3;
    // between 0.4 and 0.6: FAR 1/3, FRR 1/3 → EER 1/3
    expect(eer([0.8, 0.7, 0.4, 0.6, 0.3, 0.2], [true, true, true, false, false, false]).eer).toBeCloseTo(1 / 3, 12);
  });

  it("TAR@FAR: the EDC's threshold rule (lowest non-mated score allowed to match; ties match together)", () => {
    const s = [0.9, 0.8, 0.55, 0.6, 0.5, 0.5, 0.4, 0.3]; // first 3 mated
    const m = [true, true, true, false, false, false, false, false];
    // 5 non-mated; FAR 0.2 allows 1 false accept: t = 0.6 (the tied 0.5s cannot both match); the mated 0.55 lies
    // between the highest non-matching non-mated score and t, so it is not accepted
    const r = tarAtFar(s, m, 0.2);
    expect(r.threshold).toBe(0.6);
    expect(r.achievedFar).toBe(0.2);
    expect(r.tar).toBe(2 / 3);
    expect(r.reachable).toBe(true);
    // FAR 0.4 allows 2, but the tied 0.5s would make 3: still t = 0.6; FAR 0.6 allows 3: both 0.5s match
    expect(tarAtFar(s, m, 0.4)).toMatchObject({ threshold: 0.6, achievedFar: 0.2 });
    expect(tarAtFar(s, m, 0.6)).toMatchObject({ threshold: 0.5, achievedFar: 0.6, tar: 1 });
    // FAR 0: above the largest non-mated 0.6 (the next double), nothing false-accepted; below 1/N: not reachable
    const zero = tarAtFar(s, m, 0);
    expect(zero.achievedFar).toBe(0);
    expect(zero.threshold).toBeGreaterThan(0.6);
    expect(zero.tar).toBe(2 / 3);
    expect(tarAtFar(s, m, 0.1).reachable).toBe(false);
  });

  it('best threshold maximises accuracy and moves ties together', () => {
    const s = [0.1, 0.2, 0.3, 0.3, 0.9];
    const m = [false, false, true, false, true];
    const t = bestThreshold(s, m, [0, 1, 2, 3, 4]);
    // candidates: t in (0.2, 0.3) → 4/5 correct; t in (0.3, 0.9) → 4/5; the first maximum is kept
    expect(t).toBeCloseTo(0.25, 12);
  });

  it('10-fold accuracy is 1 on separable data and ~0.5 on noise; stratified folds hold both kinds', () => {
    const n = 400;
    const mated = Array.from({ length: n }, (_, i) => i < n / 2);
    const sep = mated.map((x, i) => (x ? 0.6 : 0.2) + 0.1 * rngFor(1, i).next());
    const r = tenFoldAccuracy(sep, mated);
    expect(r.mean).toBe(1);
    expect(r.foldSource).toBe('stratified');
    expect(r.folds.every((f) => f.n === 40)).toBe(true);
    const noise = mated.map((_, i) => rngFor(2, i).next());
    expect(Math.abs(tenFoldAccuracy(noise, mated).mean - 0.5)).toBeLessThan(0.1);
    // protocol folds are used as given
    const folds = mated.map((_, i) => i % 5);
    expect(tenFoldAccuracy(sep, mated, folds).folds).toHaveLength(5);
  });
});

describe('verification report', () => {
  const ids = ['a1', 'a2', 'b1', 'b2', 'c1', 'c2'];
  const v = (x: number, y: number) => Float32Array.from([x, y]);
  // identities point in three directions; mated pairs are close, non-mated far
  const emb = [v(1, 0), v(0.9, 0.1), v(0, 1), v(0.1, 0.9), v(-1, 0), v(-0.9, -0.2)];
  const set = { ids, dim: 2, data: Float32Array.from(emb.flatMap((e) => [...e])), norms: new Float32Array(6), settings: { model: 'm', alignment: 'proper', flipSum: false }, fromCache: false } as never;
  const dataset = (fold: (i: number) => number | undefined) => {
    const pairs = [['a1', 'a2', true], ['b1', 'b2', true], ['c1', 'c2', true], ['a1', 'b1', false], ['a2', 'c1', false], ['b2', 'c2', false]].map(([a, b, mated], i) => ({ a: a as string, b: b as string, mated: mated as boolean, fold: fold(i) }));
    return { name: 'toy', pairs: () => pairs } as never;
  };

  it('on a one-fold pair list (LFW pairsDevTest.txt) reports AUC, EER and TAR, with the k-fold accuracy marked not applicable', () => {
    const r = verificationReport(dataset(() => 0), set);
    expect(r.accuracy).toBeNull();
    expect(r.accuracy_note).toMatch(/^not applicable: the pair list has one fold/);
    expect(r.auc).toBe(1);
    expect(r.eer).toBe(0);
    expect(r.tar_at_far['0.001']!.tar).toBe(1);
  });

  it('with protocol folds, or none, gives the k-fold accuracy', () => {
    expect(verificationReport(dataset((i) => i % 2), set).accuracy?.fold_source).toBe('protocol');
    expect(verificationReport(dataset(() => undefined), set).accuracy?.fold_source).toBe('stratified');
  });
});
