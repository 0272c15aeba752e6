/**
 * The fast paths of the plain curves (no bootstrap weights) against the sorted computation they replace, written
 * plainly here (comparator sorts, a scan per point, no code shared with src/): bit for bit on every curve point and
 * on the pAUC (the area code, unchanged, applied to the sorted computation's points), on random inputs with ties in quality, in similarity and between the two comparison types.
 *
 * - recomputed mode: `recomputedCurve` (rank-free: no sort by quality, none of the genuine pairs by distance);
 * - iso mode: `computeEdc` (the qualities bucketed by value instead of sorted, the threshold by selection).
 */
import { describe, expect, it } from 'vitest';
import { rngFor } from '@aikd/core';
import { computeEdc, discardGrid, paucTrapezoid, pauc, recomputedCurve, type ComparisonSet } from '../src/index.ts';
import { randomSet } from './helpers.ts';

const nullIfNaN = (x: number) => (Number.isFinite(x) ? x : null);
const bits = (a: ArrayLike<number>) => Array.from(a, (x) => (Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? '-0' : x));

/** Stable ascending order of `q` (NaN ranks as −Infinity), by a comparator. */
function stableOrder(q: ArrayLike<number>): number[] {
  const key = (i: number) => (Number.isNaN(q[i]!) ? -Infinity : q[i]!);
  return [...Array(q.length).keys()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a - b));
}

/**
 * CR-FIQA's ERC as the sorted path computed it: one stable sort by quality; at every grid point the kept pairs
 * sorted[floor(u·N):], their distances sorted, the candidates walked from the largest down (the first closest FMR),
 * FNMR = 1 − #(kept genuine d < t) / #(kept genuine); NaN where no impostor (threshold, FMR) or no genuine pair is kept.
 */
function sortedRecomputed(sim: ArrayLike<number>, mated: ArrayLike<number>, quality: ArrayLike<number>, target: number, grid: ArrayLike<number>) {
  const n = sim.length;
  const order = stableOrder(quality);
  const dist = (i: number) => Math.acos(Math.min(1, Math.max(-1, sim[i]!))) / Math.PI;
  const out = { error: [] as number[], threshold: [] as number[], fmr: [] as number[], remaining: [] as number[] };
  for (let g = 0; g < grid.length; g++) {
    const kept = order.slice(Math.floor(grid[g]! * n));
    const pos = kept.filter((i) => mated[i]).map(dist);
    const neg = kept.filter((i) => !mated[i]).map(dist);
    out.remaining.push(pos.length);
    if (neg.length === 0) {
      out.error.push(NaN);
      out.threshold.push(NaN);
      out.fmr.push(NaN);
      continue;
    }
    const rate = (t: number) => neg.filter((x) => x <= t).length / neg.length;
    const candidates = [...new Set(kept.map(dist))].sort((a, b) => b - a);
    let best = 0;
    for (let k = 1; k < candidates.length; k++) if (Math.abs(rate(candidates[k]!) - target) < Math.abs(rate(candidates[best]!) - target)) best = k;
    const th = candidates[best]!;
    out.threshold.push(th);
    out.fmr.push(rate(th));
    out.error.push(pos.length ? 1 - pos.filter((x) => x < th).length / pos.length : NaN);
  }
  return out;
}

describe('recomputed mode: the rank-free curve equals the sorted computation', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    it(`seed ${seed}: few quality and similarity levels, failures, cuts through tie groups`, () => {
      const set = randomSet(300 + seed, { n: 200 + seed * 97, qualityLevels: 1 + ((seed * 5) % 13), similarityLevels: 3 + seed * 4, failedShare: seed % 3 ? 0.04 : 0, matedShare: [0.5, 0.2, 0.8][seed % 3] });
      const fmr = [1e-3, 0.01, 0.05, 0.2, 0][seed % 5]!;
      const grid = seed % 2 ? discardGrid(0.05, 0.95) : discardGrid(0.07, 0.9);
      const options = { mode: 'recomputed' as const, operatingPoint: { kind: 'fmr' as const, value: fmr }, gridStep: seed % 2 ? 0.05 : 0.07, gridMax: seed % 2 ? 0.95 : 0.9, discardLimits: [0.2, 0.3, 0.5] };
      const r = computeEdc(set, options);
      const p = sortedRecomputed(set.similarity, set.mated, set.pairQuality, fmr, grid);
      expect(bits(r.points.error)).toEqual(bits(p.error));
      expect(bits(r.points.threshold)).toEqual(bits(p.threshold));
      expect(bits(r.points.fmr!)).toEqual(bits(p.fmr));
      expect([...r.points.remaining]).toEqual(p.remaining);
      // the areas of the sorted computation's points (the area code itself is not what changed)
      for (const L of [0.2, 0.3, 0.5]) expect(r.pauc[String(L)]).toBe(nullIfNaN(paucTrapezoid(grid, p.error, L)));
    });

  it('continuous qualities and similarities, a few impostors sorted up front (the rest when a walk passes them)', () => {
    for (const seed of [31, 32, 33, 34]) {
      const r = rngFor(seed, 'fast-path-continuous');
      const n = 3000;
      const mated = Uint8Array.from({ length: n }, () => (r.next() < 0.4 ? 1 : 0));
      // half the pairs share a handful of similarities and qualities (ties between the types and at cuts)
      const similarity = Float64Array.from(mated, (m) => (r.next() < 0.5 ? [0.2, 0.5, 0.7][r.int(3)]! : m ? 0.5 + 0.2 * r.normal() : 0.1 + 0.2 * r.normal()));
      const quality = Float64Array.from(mated, () => (r.next() < 0.5 ? r.int(4) / 4 : r.next()));
      for (const fmr of [1e-3, 0.02, 0.3]) {
        const grid = discardGrid(0.05, 0.95);
        const c = recomputedCurve(similarity, mated, quality, fmr, grid, { impostorPrefix: 8 });
        const p = sortedRecomputed(similarity, mated, quality, fmr, grid);
        expect(bits(c.error)).toEqual(bits(p.error));
        expect(bits(c.threshold)).toEqual(bits(p.threshold));
        expect(bits(c.fmr)).toEqual(bits(p.fmr));
        expect([...c.remaining]).toEqual(p.remaining);
      }
    }
  });

  it('infinite, NaN and huge qualities (a value range that overflows), similarities outside [−1, 1]', () => {
    const r = rngFor(41, 'fast-path-extremes');
    const n = 1500;
    const mated = Uint8Array.from({ length: n }, () => (r.next() < 0.5 ? 1 : 0));
    const similarity = Float64Array.from(mated, (m) => (r.next() < 0.05 ? [1.2, -1.5, 1, -1][r.int(4)]! : m ? 0.6 + 0.3 * r.normal() : 0.1 + 0.3 * r.normal()));
    const quality = Float64Array.from(mated, () => [NaN, Infinity, -Infinity, 1.7e308, -1.7e308, 5e-324, 0][r.int(7)]! * (r.next() < 0.5 ? 1 : r.next()));
    const grid = discardGrid(0.05, 0.95);
    for (const fmr of [1e-3, 0.05]) {
      const c = recomputedCurve(similarity, mated, quality, fmr, grid, { impostorPrefix: 16 });
      const p = sortedRecomputed(similarity, mated, quality, fmr, grid);
      expect(bits(c.error)).toEqual(bits(p.error));
      expect(bits(c.threshold)).toEqual(bits(p.threshold));
      expect([...c.remaining]).toEqual(p.remaining);
      expect(c.nFailedToAssess).toBe(quality.filter((q) => !(q > -Infinity)).length);
    }
  });

  it('every grid point but the first without impostors: undefined there, as in the sorted computation', () => {
    const set: ComparisonSet = { similarity: Float64Array.from([0.1, 0.2, 0.9, 0.8, 0.7, 0.6]), mated: Uint8Array.from([0, 0, 1, 1, 1, 1]), pairQuality: Float64Array.from([0, 0, 1, 2, 3, 4]) };
    const grid = discardGrid(0.25, 0.75);
    const c = recomputedCurve(set.similarity, set.mated, set.pairQuality!, 0.1, grid);
    const p = sortedRecomputed(set.similarity, set.mated, set.pairQuality!, 0.1, grid);
    expect(bits(c.error)).toEqual(bits(p.error));
    expect(bits(c.threshold)).toEqual(bits(p.threshold));
    expect(Number.isNaN(c.threshold[2]!)).toBe(true);
  });
});
