/** `recomputed` mode (CR-FIQA / MagFace parity): a hand-computed case and brute-force parity. */
import { describe, expect, it } from 'vitest';
import { computeEdc, discardGrid, paucTrapezoid, type ComparisonSet } from '../src/index.ts';
import { randomSet, bruteRecomputed, trapezoidArea, f64, u8 } from './helpers.ts';

describe('recomputed mode, hand-computed', () => {
  // input order i: (similarity, mated, pair quality)
  const set: ComparisonSet = {
    similarity: f64([0.9, 0.3, 0.8, 0.2, 0.6, 0.4, 0.1, 0.7, 0.5, 0.35]),
    mated: u8([1, 1, 0, 0, 1, 0, 0, 1, 0, 1]),
    pairQuality: f64([3, 1, 1, 2, 2, 3, 4, 4, 5, 5]),
  };
  // stable order by quality: 1,2 | 3,4 | 0,5 | 6,7 | 8,9; grid 0, 0.25, 0.5 → cuts k = 0, 2, 5 (the q = 3 group is split)
  const r = computeEdc(set, { mode: 'recomputed', operatingPoint: { kind: 'fmr', value: 0.25 }, gridStep: 0.25, gridMax: 0.5, discardLimits: [0.3, 0.5] });

  it('recomputes the closest-FMR threshold on the kept non-mated comparisons at every grid point', () => {
    expect([...r.points.discardFraction]).toEqual([0, 0.25, 0.5]);
    // u = 0: non-mated 0.1 … 0.8 give FMR 1, .8, .6, .4, .2 → t = 0.8 (0.05 from 0.25); FNMR 4/5
    // u = 0.25: drops #1 (mated 0.3) and #2 (non-mated 0.8) → t = 0.5 (FMR 0.25); FNMR 1/4
    // u = 0.5: drops #3, #4, #0 (not #5, its tie partner) → t = 0.5 (FMR 1/3); FNMR 1/2
    expect([...r.points.threshold]).toEqual([0.8, 0.5, 0.5]);
    expect([...r.points.fmr!]).toEqual([0.2, 0.25, 1 / 3]);
    expect([...r.points.error]).toEqual([0.8, 0.25, 0.5]);
    expect([...r.points.remaining]).toEqual([5, 4, 2]);
    expect(r.threshold).toBe(0.8);
    expect(r.achievedFmr).toBe(0.2);
    expect(r.fnmrAt0).toBe(0.8);
    expect(r.interpolation).toBe('trapezoid');
    expect(r.gridStep).toBe(0.25);
    expect(r.notes.join(' ')).toMatch(/ties in quality split by input order/);
  });

  it('integrates with trapezoids, cutting the last one at L between grid points', () => {
    expect(r.pauc['0.5']).toBeCloseTo(0.13125 + 0.09375, 15);
    expect(r.paucNorm['0.5']).toBeCloseTo(0.225 / 0.4, 14);
    // at 0.3 the line from (0.25, 0.25) to (0.5, 0.5) is at 0.3
    expect(r.pauc['0.3']).toBeCloseTo(0.13125 + 0.0275 * 0.5, 15);
  });

  it('the default grid is 0, 0.05, …, 0.95 (20 points) despite float steps', () => {
    const g = discardGrid(0.05, 0.95);
    expect(g.length).toBe(20);
    expect(g[19]).toBeCloseTo(0.95, 12);
    expect(paucTrapezoid([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.30000000000000004, 0.35], [1, 1, 1, 1, 1, 1, 1, 0], 0.3)).toBeCloseTo(0.3, 12);
  });
});

describe('recomputed mode when a grid point keeps no mated comparisons', () => {
  it('marks the point undefined and the area null, with a warning', () => {
    // the 4 mated comparisons have the lowest qualities: from u = 0.5 (cut 5 of 10) none is left
    const set: ComparisonSet = {
      similarity: f64([0.9, 0.8, 0.3, 0.7, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
      mated: u8([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]),
      pairQuality: f64([0, 0, 0, 0, 1, 2, 3, 4, 5, 6]),
    };
    const r = computeEdc(set, { mode: 'recomputed', operatingPoint: { kind: 'fmr', value: 0.2 }, gridStep: 0.25, gridMax: 0.75, discardLimits: [0.2, 0.3] }, 'm');
    expect([...r.points.remaining]).toEqual([4, 2, 0, 0]);
    expect(Number.isNaN(r.points.error[2]!)).toBe(true);
    expect(r.pauc['0.2']).not.toBeNull(); // only grid points 0 and 0.25 are needed
    expect(r.pauc['0.3']).toBeNull();
    expect(r.paucNorm['0.3']).toBeNull();
    expect(r.warnings.join(' ')).toMatch(/keep no mated or no non-mated comparisons/);
  });
});

describe('recomputed mode equals a brute-force implementation', () => {
  for (const seed of [1, 2, 3, 4, 5, 6])
    it(`seed ${seed}`, () => {
      const set = randomSet(seed, { n: 200 + seed * 37, qualityLevels: 1 + seed * 3, similarityLevels: 10 * seed, failedShare: seed % 2 ? 0.03 : 0 });
      const fmr = [0.01, 0.05, 0.1][seed % 3]!;
      const r = computeEdc(set, { mode: 'recomputed', operatingPoint: { kind: 'fmr', value: fmr }, discardLimits: [0.3, 0.95] });
      const b = bruteRecomputed(set, fmr);
      expect([...r.points.discardFraction]).toEqual(b.x);
      expect([...r.points.threshold]).toEqual(b.thresholds);
      expect([...r.points.error]).toEqual(b.y);
      expect(r.pauc['0.3']).toBeCloseTo(trapezoidArea(b.x, b.y, 0.3), 14);
      expect(r.pauc['0.95']).toBeCloseTo(trapezoidArea(b.x, b.y, 0.95), 14);
    });
});
