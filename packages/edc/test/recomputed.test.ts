/**
 * `recomputed` mode (CR-FIQA's ERC): hand-computed cases where the conventions part, and a property test against a
 * plain re-implementation of fiqa-methods.md §2.3 written here (no code shared with src/). Parity with the reference
 * code itself: crfiqa-parity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { computeEdc, discardGrid, paucTrapezoid, prepareEdc, recomputedPoints, sortForRecomputed, type ComparisonSet } from '../src/index.ts';
import { randomSet, f64, u8 } from './helpers.ts';

const d = (s: number) => Math.acos(s) / Math.PI;
/** One grid point (u = 0): the threshold rule alone. */
const atZero = (set: ComparisonSet, fmr: number) => computeEdc(set, { mode: 'recomputed', operatingPoint: { kind: 'fmr', value: fmr }, gridStep: 0.5, gridMax: 0, discardLimits: [1] });
const iso = (set: ComparisonSet, fmr: number) => computeEdc(set, { mode: 'iso', operatingPoint: { kind: 'fmr', value: fmr } });

describe('recomputed mode: the threshold rule, hand-computed', () => {
  it("the threshold can be a genuine pair's own distance, and that pair is a non-match", () => {
    // impostors 0.9, 0.4, 0.3, 0.2, 0.1; genuine 0.95, 0.85, 0.6, 0.35. Ascending distance: G.95, I.9, G.85, G.6, I.4 …
    // FMR(t) = 1/5 = target for every candidate from I.9 up to G.6; the largest such distance is G.6's
    const set: ComparisonSet = { similarity: f64([0.9, 0.4, 0.3, 0.2, 0.1, 0.95, 0.85, 0.6, 0.35]), mated: u8([0, 0, 0, 0, 0, 1, 1, 1, 1]), pairQuality: f64(Array(9).fill(1)) };
    const r = atZero(set, 0.2);
    expect(r.threshold).toBe(d(0.6));
    expect(r.achievedFmr).toBe(0.2);
    expect(r.points.error[0]).toBe(1 - 2 / 4); // G.95 and G.85 accepted; G.6 (d = threshold) and G.35 not
    // iso: t = 0.9 (the smallest non-mated similarity with FMR ≤ 0.2), every mated s < 0.9 is an error
    expect(iso(set, 0.2).threshold).toBe(0.9);
    expect(iso(set, 0.2).points.error[0]).toBe(3 / 4);
  });

  it('a genuine and an impostor pair tied at the threshold: the impostor matches, the genuine pair does not', () => {
    // impostors 0.9, 0.5, 0.3, 0.2, 0.1; genuine 0.95, 0.7, 0.5. At the tied distance d(0.5): FMR 2/5 = target
    const set: ComparisonSet = { similarity: f64([0.9, 0.5, 0.3, 0.2, 0.1, 0.95, 0.7, 0.5]), mated: u8([0, 0, 0, 0, 0, 1, 1, 1]), pairQuality: f64(Array(8).fill(1)) };
    const r = atZero(set, 0.4);
    expect(r.threshold).toBe(d(0.5));
    expect(r.achievedFmr).toBe(0.4); // the impostor at 0.5 counts as a false match (d ≤ t)
    expect(r.points.error[0]).toBe(1 - 2 / 3); // the genuine pair at 0.5 is rejected (d < t fails)
    // iso at the same target: t = 0.5 and s ≥ t for both types, so the genuine pair at 0.5 is accepted
    expect(iso(set, 0.4).threshold).toBe(0.5);
    expect(iso(set, 0.4).points.error[0]).toBe(0);
  });

  it('a target between two candidates, equally close to both: the larger distance wins', () => {
    // impostors 0.4, 0.3, 0.2, 0.1; genuine 0.8, 0.35. FMR 0.25 at I.4 and G.35, 0.5 at I.3: both 0.125 from 0.375
    const set: ComparisonSet = { similarity: f64([0.4, 0.3, 0.2, 0.1, 0.8, 0.35]), mated: u8([0, 0, 0, 0, 1, 1]), pairQuality: f64(Array(6).fill(1)) };
    const r = atZero(set, 0.375);
    expect(r.threshold).toBe(d(0.3));
    expect(r.achievedFmr).toBe(0.5);
    expect(r.points.error[0]).toBe(1 - 2 / 2);
    // nudge the target below the midpoint: the 0.25 side (largest distance with FMR 0.25: G.35's) wins
    const below = atZero(set, 0.37);
    expect(below.threshold).toBe(d(0.35));
    expect(below.points.error[0]).toBe(1 - 1 / 2);
  });

  it('duplicate distances are one candidate; a genuine-only run below the next impostor keeps moving the threshold up', () => {
    // impostors 0.5, 0.5, 0.2; genuine 0.9, 0.9, 0.6, 0.6. Target 0: FMR 0 for G.9 and G.6 (both before I.5)
    const set: ComparisonSet = { similarity: f64([0.5, 0.5, 0.2, 0.9, 0.9, 0.6, 0.6]), mated: u8([0, 0, 0, 1, 1, 1, 1]), pairQuality: f64(Array(7).fill(1)) };
    const r = atZero(set, 0);
    expect(r.threshold).toBe(d(0.6));
    expect(r.achievedFmr).toBe(0);
    expect(r.points.error[0]).toBe(1 - 2 / 4); // both 0.6 pairs sit at the threshold: rejected
    const two = atZero(set, 2 / 3);
    expect(two.threshold).toBe(d(0.5)); // the duplicated impostor distance: FMR 2/3 exactly
    expect(two.points.error[0]).toBe(1 - 4 / 4);
  });
});

describe('recomputed mode over the grid, hand-computed', () => {
  // input order i: (similarity, mated, pair quality)
  const set: ComparisonSet = {
    similarity: f64([0.9, 0.3, 0.8, 0.2, 0.6, 0.4, 0.1, 0.7, 0.5, 0.35]),
    mated: u8([1, 1, 0, 0, 1, 0, 0, 1, 0, 1]),
    pairQuality: f64([3, 1, 1, 2, 2, 3, 4, 4, 5, 5]),
  };
  // stable order by quality: 1,2 | 3,4 | 0,5 | 6,7 | 8,9; grid 0, 0.25, 0.5 → cuts 0, 2, 5 (the q = 3 group is split)
  const r = computeEdc(set, { mode: 'recomputed', operatingPoint: { kind: 'fmr', value: 0.25 }, gridStep: 0.25, gridMax: 0.5, discardLimits: [0.3, 0.5] });

  it('recomputes the threshold on the kept pairs at every grid point', () => {
    expect([...r.points.discardFraction]).toEqual([0, 0.25, 0.5]);
    // u = 0: G.9 (FMR 0), I.8 (1/5), G.7, G.6 (1/5, closest, largest distance), I.5 (2/5: farther) → t = d(.6); FNMR 1 − 2/5
    // u = 0.25: drops #1 (G.3) and #2 (I.8): G.9, G.7, G.6 (0), I.5 (1/4 = target), I.4 (2/4) → t = d(.5); FNMR 1 − 3/4
    // u = 0.5: drops #3, #4, #0 (not #5, its tie partner): G.7 (0), I.5 (1/3), I.4 (2/3) → t = d(.5); FNMR 1 − 1/2
    expect([...r.points.threshold]).toEqual([d(0.6), d(0.5), d(0.5)]);
    expect([...r.points.fmr!]).toEqual([0.2, 0.25, 1 / 3]);
    expect([...r.points.error]).toEqual([1 - 2 / 5, 1 - 3 / 4, 1 - 1 / 2]);
    expect([...r.points.remaining]).toEqual([5, 4, 2]);
    expect(r.threshold).toBe(d(0.6));
    expect(r.achievedFmr).toBe(0.2);
    expect(r.fnmrAt0).toBe(1 - 2 / 5);
    expect(r.interpolation).toBe('trapezoid');
    expect(r.definition).toMatch(/^recomputed \(CR-FIQA/);
  });

  it('integrates with trapezoids (cut at L between grid points) and reports the full-grid AUC', () => {
    expect(r.pauc['0.5']).toBeCloseTo((0.6 + 0.25) / 2 * 0.25 + (0.25 + 0.5) / 2 * 0.25, 15);
    expect(r.paucNorm['0.5']).toBeCloseTo(0.2 / (0.5 * 0.6), 14);
    // at 0.3 the line from (0.25, 0.25) to (0.5, 0.5) is at 0.3
    expect(r.pauc['0.3']).toBeCloseTo(0.10625 + ((0.25 + 0.3) / 2) * 0.05, 15);
    expect(r.auc).toBeCloseTo(0.2, 15);
  });

  it('the default grid is 0, 0.05, …, 0.95 (20 points, k · 0.05 in float64)', () => {
    const g = discardGrid(0.05, 0.95);
    expect(g.length).toBe(20);
    expect(g[6]).toBe(0.30000000000000004);
    expect(g[19]).toBe(0.9500000000000001);
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
    expect(r.auc).toBeNull();
    expect(r.warnings.join(' ')).toMatch(/keep no mated or no non-mated comparisons/);
  });
});

/**
 * fiqa-methods.md §2.3, as plainly as it reads: stable sort by quality; keep sorted[floor(u·N):]; distances
 * arccos(clip(s))/π; candidates = distinct kept distances from the largest down; FMR(t) = #(impostor d ≤ t) / #impostors;
 * the first candidate minimising |FMR − target|; FNMR = 1 − #(genuine d < t) / #genuine.
 */
function plainCrfiqa(sim: ArrayLike<number>, mated: ArrayLike<number>, quality: ArrayLike<number>, target: number, grid: ArrayLike<number>) {
  const n = sim.length;
  const q = Array.from(quality, (v) => (Number.isNaN(v) ? -Infinity : v));
  const order = [...Array(n).keys()].sort((a, b) => (q[a]! < q[b]! ? -1 : q[a]! > q[b]! ? 1 : a - b));
  const fnmr: number[] = [];
  const thresholds: number[] = [];
  for (let g = 0; g < grid.length; g++) {
    const kept = order.slice(Math.floor(grid[g]! * n));
    const dist = (i: number) => Math.acos(Math.min(1, Math.max(-1, sim[i]!))) / Math.PI;
    const pos = kept.filter((i) => mated[i]).map(dist);
    const neg = kept.filter((i) => !mated[i]).map(dist);
    const candidates = [...new Set(kept.map(dist))].sort((a, b) => b - a);
    let best = 0;
    for (let k = 1; k < candidates.length; k++) {
      const err = (t: number) => Math.abs(neg.filter((x) => x <= t).length / neg.length - target);
      if (err(candidates[k]!) < err(candidates[best]!)) best = k;
    }
    const th = candidates[best]!;
    thresholds.push(th);
    fnmr.push(1 - pos.filter((x) => x < th).length / pos.length);
  }
  return { fnmr, thresholds };
}

describe('recomputed mode equals a plain re-implementation of §2.3', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8])
    it(`seed ${seed}`, () => {
      // few similarity levels: many genuine/impostor ties; few quality levels: tie groups split at cuts
      const set = randomSet(seed, { n: 150 + seed * 41, qualityLevels: 1 + seed * 3, similarityLevels: 8 * seed, failedShare: seed % 2 ? 0.03 : 0 });
      const fmr = [1e-3, 0.01, 0.05, 0.1][seed % 4]!;
      const r = computeEdc(set, { mode: 'recomputed', operatingPoint: { kind: 'fmr', value: fmr }, discardLimits: [0.3] });
      const p = plainCrfiqa(set.similarity, set.mated, set.pairQuality, fmr, discardGrid(0.05, 0.95));
      expect([...r.points.error]).toEqual(p.fnmr);
      expect([...r.points.threshold]).toEqual(p.thresholds);
    });

  it('a bootstrap replicate (integer weights) equals the curve of the comparisons repeated in place', () => {
    for (const seed of [11, 12, 13, 14, 15, 16, 17, 18]) {
      const set = randomSet(seed, { n: 100 + 40 * (seed - 10), qualityLevels: seed - 8, similarityLevels: 5 * (seed - 9), failedShare: seed % 3 ? 0 : 0.05 });
      const weights = Uint32Array.from(set.similarity, (_, i) => ((i * 13 + seed) % 7) % 4);
      const fmr = [1e-3, 0.01, 0.05, 0.2][seed % 4]!;
      const repeat = (a: ArrayLike<number>) => Array.from(a).flatMap((x, i) => Array<number>(weights[i]!).fill(x));
      const expanded = { similarity: f64(repeat(set.similarity)), mated: u8(repeat(set.mated)), pairQuality: f64(repeat(set.pairQuality)) };
      const options = { mode: 'recomputed' as const, operatingPoint: { kind: 'fmr' as const, value: fmr }, discardLimits: [0.3] };
      const replicate = prepareEdc(set, options).evaluate(weights);
      const plain = plainCrfiqa(expanded.similarity, expanded.mated, expanded.pairQuality, fmr, discardGrid(0.05, 0.95));
      expect([...replicate.points.error]).toEqual(plain.fnmr);
      expect([...replicate.points.threshold]).toEqual(plain.thresholds);
      expect(replicate.pauc[0]).toBe(computeEdc(expanded, options).pauc['0.3']);
    }
  });
});

describe('recomputed mode with only the smallest impostor distances sorted up front', () => {
  it("gives the plain re-implementation's curve, also when a walk goes past them (the rest sorted then)", () => {
    for (const seed of [21, 22, 23, 24]) {
      const set = randomSet(seed, { n: 1500, qualityLevels: 7 * seed - 140, similarityLevels: 10 * (seed - 19), failedShare: seed % 2 ? 0.03 : 0 });
      const quality = Float64Array.from(set.pairQuality, (q) => (Number.isFinite(q) ? q : -Infinity));
      const grid = discardGrid(0.05, 0.95);
      for (const fmr of [1e-3, 0.02, 0.3]) {
        const c = sortForRecomputed(set.similarity, set.mated, quality, { impostorPrefix: 8 });
        expect(c.impostorsComplete).toBe(false);
        const sortedUpFront = c.impostor.distance.length;
        expect(sortedUpFront).toBeLessThan(100);
        const r = recomputedPoints(c, fmr, grid);
        const p = plainCrfiqa(set.similarity, set.mated, set.pairQuality, fmr, grid);
        expect([...r.error]).toEqual(p.fnmr);
        expect([...r.threshold]).toEqual(p.thresholds);
        // a low target stays inside the sorted impostors; a high one needs them all
        if (fmr === 0.3) expect(c.impostorsComplete).toBe(true);
        // a replicate's weights on the same prefix: the same as on all impostors sorted
        const weights = Uint32Array.from(set.similarity, (_, i) => ((i * 7 + seed) % 5) % 3);
        const again = sortForRecomputed(set.similarity, set.mated, quality, { impostorPrefix: 8 });
        const full = sortForRecomputed(set.similarity, set.mated, quality);
        expect(full.impostorsComplete).toBe(true);
        expect([...recomputedPoints(again, fmr, grid, weights).error]).toEqual([...recomputedPoints(full, fmr, grid, weights).error]);
      }
    }
  });
});
