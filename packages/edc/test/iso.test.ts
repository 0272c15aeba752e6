/** Hand-computed ISO-mode cases (each number below was worked out on paper from the definitions in issue 3). */
import { describe, expect, it } from 'vitest';
import { computeEdc, pairQualities, pauc, theoreticalBestArea, nextUp, isoPoints, isoPointsByCounting, sortForIso, type ComparisonSet } from '../src/index.ts';
import { f64, u8, randomSet } from './helpers.ts';

const arr = (a: ArrayLike<number>) => Array.from(a);

/** Only mated comparisons (FNMR curves with a given threshold). */
const mated = (similarity: number[], pairQuality: number[]): ComparisonSet => ({
  similarity: f64(similarity),
  mated: u8(similarity.map(() => 1)),
  pairQuality: f64(pairQuality),
});

describe('iso FNM-EDC, hand-computed', () => {
  it('discards a run of equal qualities whole (ties in quality), and handles L between points', () => {
    // (s, q): errors at t = 0.5 are 0.2, 0.3, 0.4; qualities 1,1,2,3,3,3 → discard counts 0, 2, 3
    const set = mated([0.2, 0.7, 0.3, 0.8, 0.4, 0.9], [1, 1, 2, 3, 3, 3]);
    const r = computeEdc(set, { operatingPoint: { kind: 'threshold', value: 0.5 }, discardLimits: [0.3, 0.4, 0.6] });
    expect(arr(r.points.discardFraction)).toEqual([0, 2 / 6, 3 / 6, 1]);
    expect(arr(r.points.error)).toEqual([3 / 6, 2 / 4, 1 / 3, 0]);
    expect(arr(r.points.remaining)).toEqual([6, 4, 3, 0]);
    expect(r.errorAt0).toBe(0.5);
    expect(r.fnmrAt0).toBe(0.5);
    expect(r.achievedFmr).toBeNull(); // no non-mated comparisons
    expect(r.pauc['0.3']).toBeCloseTo(0.15, 15);
    expect(r.pauc['0.4']).toBeCloseTo(0.5 / 3 + 0.5 * (0.4 - 1 / 3), 15); // L between x = 1/3 and 1/2
    expect(r.pauc['0.6']).toBeCloseTo(17 / 60, 15);
    expect(r.paucNorm['0.3']).toBeCloseTo(1, 15);
    expect(r.paucNorm['0.6']).toBeCloseTo(17 / 60 / (0.6 * 0.5), 15);
    expect(r.theoreticalBest['0.3']).toBeCloseTo(0.5 * 0.3 - 0.3 ** 2 / 2, 15);
    expect(r.theoreticalBest['0.6']).toBeCloseTo(0.125, 15);
    expect(r.interpolation).toBe('step');
    expect(r.nFailedToAssess).toBe(0);
  });

  it('counts a similarity equal to the threshold as a match (FNMR uses s < t)', () => {
    const set = mated([0.5, 0.5, 0.6, 0.4], [1, 2, 3, 4]);
    const r = computeEdc(set, { operatingPoint: { kind: 'threshold', value: 0.5 }, discardLimits: [0.3] });
    expect(arr(r.points.error)).toEqual([1 / 4, 1 / 3, 1 / 2, 1, 0]);
    expect(r.pauc['0.3']).toBeCloseTo(0.25 * 0.25 + (1 / 3) * 0.05, 15);
    expect(r.paucNorm['0.3']).toBeCloseTo((0.0625 + 0.05 / 3) / 0.075, 14);
  });

  it('all-equal qualities: one tie group, so the curve is the starting error then (1, 0)', () => {
    const r = computeEdc(mated([0.1, 0.6, 0.7, 0.2], [7, 7, 7, 7]), { operatingPoint: { kind: 'threshold', value: 0.5 }, discardLimits: [0.3, 1] });
    expect(arr(r.points.discardFraction)).toEqual([0, 1]);
    expect(arr(r.points.error)).toEqual([0.5, 0]);
    expect(arr(r.points.remaining)).toEqual([4, 0]);
    expect(r.pauc['0.3']).toBeCloseTo(0.15, 15);
    expect(r.pauc['1']).toBeCloseTo(0.5, 15);
    expect(r.paucNorm['0.3']).toBe(1);
  });

  it('one mated pair', () => {
    const r = computeEdc(mated([0.3], [0.42]), { operatingPoint: { kind: 'threshold', value: 0.5 } });
    expect(arr(r.points.discardFraction)).toEqual([0, 1]);
    expect(arr(r.points.error)).toEqual([1, 0]);
    expect(r.pauc['0.3']).toBeCloseTo(0.3, 15);
    expect(r.pauc['0.2']).toBeCloseTo(0.2, 15);
    expect(r.paucNorm['0.3']).toBeCloseTo(1, 15);
    expect(r.theoreticalBest['0.3']).toBeCloseTo(0.3 - 0.045, 15);
  });

  it('failure to assess: a non-finite sample quality makes the pair a −∞ tie group, discarded first and counted', () => {
    const set: ComparisonSet = {
      similarity: f64([0.2, 0.9, 0.3, 0.8, 0.1]),
      mated: u8([1, 1, 1, 1, 0]),
      qualityA: f64([NaN, 5, 2, 3, NaN]),
      qualityB: f64([1, Infinity, 4, 3, 2]),
    };
    const r = computeEdc(set, { operatingPoint: { kind: 'threshold', value: 0.5 } });
    // min pair qualities: −∞ (err), −∞ (ok), 2 (err), 3 (ok): discard counts 0, 2, 3
    expect(arr(r.points.discardFraction)).toEqual([0, 0.5, 0.75, 1]);
    expect(arr(r.points.error)).toEqual([0.5, 0.5, 0, 0]);
    expect(r.nFailedToAssess).toBe(2); // mated only: the failed non-mated pair is not on an FNM-EDC
    expect(r.nMated).toBe(4);
    expect(r.nNonmated).toBe(1);
    expect(r.notes.join(' ')).toMatch(/2 comparisons without an assessed quality were discarded first/);
  });

  it('FNMR(0) = 0: pAUC 0, pAUC_norm null with a warning', () => {
    const r = computeEdc(mated([0.8, 0.9, 0.7], [1, 2, 3]), { operatingPoint: { kind: 'threshold', value: 0.5 } });
    expect(r.errorAt0).toBe(0);
    expect(r.pauc['0.3']).toBe(0);
    expect(r.paucNorm['0.3']).toBeNull();
    expect(r.paucNorm['0.2']).toBeNull();
    expect(r.theoreticalBest['0.3']).toBe(0);
    expect(r.warnings.join('\n')).toMatch(/pAUC_norm is undefined/);
  });

  it('quality direction flipped: uncertainties with --lower-is-better give the same curve as negated qualities', () => {
    const s = [0.2, 0.7, 0.3, 0.8, 0.4, 0.9, 0.45];
    const q = [1, 1, 2, 3, 3, 3, 0.5];
    const op = { operatingPoint: { kind: 'threshold' as const, value: 0.5 } };
    const higher = computeEdc(mated(s, q), op);
    const lower = computeEdc(mated(s, q.map((x) => -x)), { ...op, lowerIsBetter: true });
    expect(arr(lower.points.discardFraction)).toEqual(arr(higher.points.discardFraction));
    expect(arr(lower.points.error)).toEqual(arr(higher.points.error));
    expect(lower.pauc).toEqual(higher.pauc);
    // and the direction matters: reading uncertainties as qualities discards the best pairs first
    const wrong = computeEdc(mated(s, q.map((x) => -x)), op);
    expect(wrong.pauc['0.3']).not.toBeCloseTo(higher.pauc['0.3']!, 6);
    // with sample uncertainties, min picks the more uncertain sample
    expect(arr(pairQualities({ similarity: f64([0, 0]), mated: u8([1, 1]), qualityA: f64([0.1, 0.5]), qualityB: f64([0.9, 0.2]) }, 'min', true))).toEqual([-0.9, -0.5]);
  });

  it('pair-quality rules min, mean, max', () => {
    const set: ComparisonSet = { similarity: f64([0, 0, 0]), mated: u8([1, 1, 1]), qualityA: f64([1, 4, -0]), qualityB: f64([3, 2, 0]) };
    expect(arr(pairQualities(set, 'min'))).toEqual([1, 2, 0]);
    expect(arr(pairQualities(set, 'max'))).toEqual([3, 4, 0]);
    expect(arr(pairQualities(set, 'mean'))).toEqual([2, 3, 0]);
    expect(Object.is(pairQualities(set, 'min')[2], -0)).toBe(false); // −0 and +0 are one tie group
  });
});

describe('thresholds', () => {
  // non-mated similarities with a tie group of three at 0.5 and two at 0.9
  const nonmated = [0.1, 0.3, 0.5, 0.5, 0.5, 0.9, 0.9, 0.2, 0.4, 0.6];
  const set = (matedSims: number[]): ComparisonSet => ({
    similarity: f64([...matedSims, ...nonmated]),
    mated: u8([...matedSims.map(() => 1), ...nonmated.map(() => 0)]),
    pairQuality: f64([...matedSims.map((_, i) => i + 1), ...nonmated.map(() => 1)]),
  });

  it('--fmr takes the smallest candidate whose FMR is ≤ F and never splits ties in similarity', () => {
    const at = (f: number) => computeEdc(set([0.5, 0.5, 0.6, 0.4]), { operatingPoint: { kind: 'fmr', value: f } });
    expect(at(0.6).threshold).toBe(0.5); // 6/10 ≤ 0.6
    expect(at(0.6).achievedFmr).toBe(0.6);
    expect(at(0.6).fnmrAt0).toBe(0.25); // the mated 0.5s are matches at t = 0.5
    expect(at(0.5).threshold).toBe(0.6); // 0.5 would give 6/10 > 0.5, and the tie cannot be split
    expect(at(0.5).achievedFmr).toBe(0.3);
    expect(at(0.2).threshold).toBe(0.9);
    expect(at(0.2).achievedFmr).toBe(0.2);
    expect(at(0.1).threshold).toBe(nextUp(0.9)); // even the top tie group is too many: FMR 0
    expect(at(0.1).achievedFmr).toBe(0);
    expect(at(1).threshold).toBe(0.1);
  });

  it('--starting-error takes numpy-linear quantiles of mated similarities (1 − E of non-mated for FMR)', () => {
    const s = set([0.1, 0.2, 0.3, 0.4, 0.5]);
    const r = (e: number, error: 'fnmr' | 'fmr' = 'fnmr') => computeEdc(s, { operatingPoint: { kind: 'starting_error', value: e }, error });
    expect(r(0.1).threshold).toBeCloseTo(0.14, 15); // h = 4 · 0.1 = 0.4
    expect(r(0.1).errorAt0).toBe(0.2);
    expect(r(0.5).threshold).toBe(0.3);
    expect(r(0.9).threshold).toBeCloseTo(0.46, 15);
    expect(r(0).threshold).toBe(0.1);
    expect(r(1).threshold).toBe(0.5);
    // FMR: the 0.7-quantile of the non-mated similarities, h = 9 · 0.7 = 6.3 between sorted[6] = 0.5 and sorted[7] = 0.6
    expect(r(0.3, 'fmr').threshold).toBeCloseTo(0.53, 15);
  });
});

describe('iso FM-EDC, hand-computed', () => {
  it('errors are s ≥ t over non-mated comparisons; the starting error is the achieved FMR', () => {
    const set: ComparisonSet = {
      similarity: f64([0.9, 0.1, 0.6, 0.2, 0.7, 0.4, 0.8]),
      mated: u8([0, 0, 0, 0, 0, 1, 1]),
      pairQuality: f64([1, 1, 2, 3, 4, 9, 9]),
    };
    const r = computeEdc(set, { error: 'fmr', operatingPoint: { kind: 'threshold', value: 0.6 }, discardLimits: [0.3, 0.5] });
    expect(arr(r.points.discardFraction)).toEqual([0, 0.4, 0.6, 0.8, 1]);
    expect(arr(r.points.error)).toEqual([3 / 5, 2 / 3, 1 / 2, 1, 0]);
    expect(arr(r.points.remaining)).toEqual([5, 3, 2, 1, 0]);
    expect(r.errorAt0).toBe(0.6);
    expect(r.achievedFmr).toBe(0.6);
    expect(r.fnmrAt0).toBe(0.5);
    expect(r.pauc['0.3']).toBeCloseTo(0.18, 15);
    expect(r.pauc['0.5']).toBeCloseTo(0.6 * 0.4 + (2 / 3) * 0.1, 15);
    expect(r.paucNorm['0.5']).toBeCloseTo((0.24 + 0.2 / 3) / 0.3, 14);
  });
});

describe('pauc and areas', () => {
  it('stepwise pAUC is left-constant and stops at L', () => {
    const x = [0, 0.1, 0.25, 1];
    const y = [0.4, 0.2, 0.1, 0];
    expect(pauc(x, y, 0.05)).toBeCloseTo(0.02, 15);
    expect(pauc(x, y, 0.1)).toBeCloseTo(0.04, 15);
    expect(pauc(x, y, 0.3)).toBeCloseTo(0.04 + 0.03 + 0.005, 15);
    expect(pauc(x, y, 1)).toBeCloseTo(0.04 + 0.03 + 0.075, 15);
    expect(() => pauc(x, y, 0)).toThrow(/discard limit/);
    expect(() => pauc(x, y, 1.5)).toThrow(/discard limit/);
  });

  it('theoretical best: e0·L − L²/2 below e0, e0²/2 beyond', () => {
    expect(theoreticalBestArea(0.1, 0.3)).toBeCloseTo(0.005, 15);
    expect(theoreticalBestArea(0.5, 0.2)).toBeCloseTo(0.08, 15);
    expect(theoreticalBestArea(0, 0.3)).toBe(0);
  });
});

describe('input checks', () => {
  it('names what is missing', () => {
    const onlyNonmated: ComparisonSet = { similarity: f64([0.1, 0.2]), mated: u8([0, 0]), pairQuality: f64([1, 2]) };
    expect(() => computeEdc(onlyNonmated, {}, 'm')).toThrow(/method "m": no mated comparisons/);
    const onlyMated: ComparisonSet = { similarity: f64([0.1, 0.2]), mated: u8([1, 1]), pairQuality: f64([1, 2]) };
    expect(() => computeEdc(onlyMated, {}, 'm')).toThrow(/no non-mated comparisons to set the threshold at FMR 0.001 \(give --threshold or --starting-error instead\)/);
    expect(() => computeEdc(onlyMated, { error: 'fmr', operatingPoint: { kind: 'threshold', value: 0 } })).toThrow(/no non-mated comparisons \(an FM-EDC needs some\)/);
    expect(() => computeEdc(onlyMated, { mode: 'recomputed', operatingPoint: { kind: 'threshold', value: 0 } })).toThrow(/--threshold needs --mode iso/);
    expect(() => computeEdc(onlyMated, { mode: 'recomputed', error: 'fmr' })).toThrow(/--error fmr needs --mode iso/);
    expect(() => computeEdc(onlyMated, { discardLimits: [0] })).toThrow(/--discard-limit/);
    const badSim: ComparisonSet = { similarity: f64([NaN]), mated: u8([1]), pairQuality: f64([1]) };
    expect(() => computeEdc(badSim, { operatingPoint: { kind: 'threshold', value: 0 } })).toThrow(/similarity must be a finite number/);
  });
});

describe('the plain curve without an argsort (isoPointsByCounting)', () => {
  it('gives isoPoints of the stably sorted comparisons bit for bit: ties, failures to assess, both error types', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const set = randomSet(seed, { n: 300 + 97 * seed, qualityLevels: seed === 6 ? 1 : 2 + 5 * seed, similarityLevels: 4 * seed, failedShare: seed % 2 ? 0.05 : 0 });
      const quality = Float64Array.from(set.pairQuality, (q) => (Number.isFinite(q) ? q + 0 : -Infinity));
      for (const error of ['fnmr', 'fmr'] as const)
        for (const t of [-1, 0.2, 0.5, 0.75, 2]) {
          const want = isoPoints(sortForIso(set.similarity, quality, error), t, error);
          const got = isoPointsByCounting(set.similarity, quality, t, error);
          expect([...got.discardFraction]).toEqual([...want.discardFraction]);
          expect([...got.error]).toEqual([...want.error]);
          expect([...got.remaining]).toEqual([...want.remaining]);
          expect([...got.threshold]).toEqual([...want.threshold]);
          expect([got.nFailedToAssess, got.errors]).toEqual([want.nFailedToAssess, want.errors]);
        }
    }
  });
});
