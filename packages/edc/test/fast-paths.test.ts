/**
 * The fast paths of the plain curves (no bootstrap weights) against the sorted computation they replace, written
 * plainly here (comparator sorts, a scan per point, no code shared with src/): bit for bit on every curve point and
 * on the pAUC (the area code, unchanged, applied to the sorted computation's points), on random inputs with ties in quality, in similarity and between the two comparison types.
 *
 * - recomputed mode: `recomputedCurve` (rank-free: no sort by quality, none of the genuine pairs by distance);
 * - iso mode: `computeEdc` (the qualities bucketed by value instead of sorted, the threshold by a value histogram).
 */
import { describe, expect, it } from 'vitest';
import { rngFor } from '@aikd/core';
import { computeEdc, discardGrid, paucTrapezoid, pauc, recomputedCurve, sortValues, valueAtRank, type ComparisonSet, type OperatingPoint } from '../src/index.ts';
import { randomSet, bruteThresholdAtFmr } from './helpers.ts';

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

/** numpy's linear quantile of `values`, from a comparator sort. */
function plainQuantile(values: number[], q: number): number {
  const v = [...values].sort((a, b) => a - b);
  const h = (v.length - 1) * q;
  const lo = Math.floor(h);
  if (lo >= v.length - 1) return v[v.length - 1]!;
  const g = h - lo;
  const a = v[lo]!;
  const b = v[lo + 1]!;
  return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g;
}

/**
 * The iso EDC as the sorted path computed it: the threshold from its rule; the curve type's comparisons in a stable
 * comparator sort by pair quality (failures first); a point at the start of every tie group.
 */
function sortedIso(set: ComparisonSet & { pairQuality: Float64Array }, error: 'fnmr' | 'fmr', op: OperatingPoint) {
  const n = set.similarity.length;
  const q = Array.from(set.pairQuality, (x) => (Number.isFinite(x) ? x : -Infinity));
  const ofType = (m: number) => [...Array(n).keys()].filter((i) => set.mated[i] === m);
  const sims = (m: number) => ofType(m).map((i) => set.similarity[i]!);
  const threshold =
    op.kind === 'threshold' ? op.value : op.kind === 'fmr' ? bruteThresholdAtFmr(sims(0), op.value) : error === 'fnmr' ? plainQuantile(sims(1), op.value) : plainQuantile(sims(0), 1 - op.value);
  const curve = ofType(error === 'fnmr' ? 1 : 0).sort((a, b) => (q[a]! < q[b]! ? -1 : q[a]! > q[b]! ? 1 : a - b));
  const isError = (i: number) => (error === 'fnmr' ? set.similarity[i]! < threshold : set.similarity[i]! >= threshold);
  const x: number[] = [];
  const y: number[] = [];
  const remaining: number[] = [];
  const m = curve.length;
  const errorsFrom = Array<number>(m + 1).fill(0); // errors among sorted positions k … m − 1
  for (let k = m - 1; k >= 0; k--) errorsFrom[k] = errorsFrom[k + 1]! + (isError(curve[k]!) ? 1 : 0);
  for (let k = 0; k < m; k++) {
    if (k > 0 && q[curve[k]!] === q[curve[k - 1]!]) continue;
    x.push(k / m);
    y.push(errorsFrom[k]! / (m - k));
    remaining.push(m - k);
  }
  x.push(1);
  y.push(0);
  remaining.push(0);
  const achievedFmr = sims(0).filter((s) => s >= threshold).length / sims(0).length;
  const fnmrAt0 = sims(1).filter((s) => s < threshold).length / sims(1).length;
  return { x, y, remaining, threshold, achievedFmr, fnmrAt0 };
}

describe('iso mode: the curve read in place (qualities bucketed by value, no index sort) equals the sorted computation', () => {
  const ops: OperatingPoint[] = [
    { kind: 'fmr', value: 1e-3 },
    { kind: 'fmr', value: 0.05 },
    { kind: 'starting_error', value: 0.1 },
    { kind: 'threshold', value: 0.4 },
  ];
  for (const seed of [1, 2, 3, 4, 5, 6])
    for (const error of ['fnmr', 'fmr'] as const)
      it(`seed ${seed}, ${error}: ties in quality and similarity, failures; large enough for the bucket sort`, () => {
        // 20,000–25,000 comparisons: the non-error qualities of each type pass 16,384, where sortValues buckets
        const set = randomSet(500 + seed, { n: 40000 + seed * 1000, matedShare: 0.5, qualityLevels: [3, 40, 1000, 100000, 7, 2][seed - 1]!, similarityLevels: 5 + seed * 7, failedShare: seed % 2 ? 0.03 : 0 });
        if (seed === 6) for (let i = 0; i < set.pairQuality.length; i += 97) set.pairQuality[i] = 1e12; // skew: one far value
        const op = ops[seed % ops.length]!;
        const r = computeEdc(set, { error, operatingPoint: op, discardLimits: [0.1, 0.3, 1] });
        const p = sortedIso(set, error, op);
        expect(r.threshold).toBe(p.threshold);
        expect(bits(r.points.discardFraction)).toEqual(bits(p.x));
        expect(bits(r.points.error)).toEqual(bits(p.y));
        expect([...r.points.remaining]).toEqual(p.remaining);
        expect(r.achievedFmr).toBe(p.achievedFmr);
        expect(r.fnmrAt0).toBe(p.fnmrAt0);
        for (const L of [0.1, 0.3, 1]) expect(r.pauc[String(L)]).toBe(nullIfNaN(pauc(p.x, p.y, L)));
      });
});

describe('sortValues and valueAtRank (buckets by value range)', () => {
  it('sort and select as a full native sort does (NaN as −Infinity): ties, infinities, skewed and overflowing ranges', () => {
    const r = rngFor(61, 'sort-values');
    const cases = [
      Float64Array.from({ length: 20000 }, () => r.next()),
      Float64Array.from({ length: 20000 }, () => r.int(7) - 3),
      Float64Array.from({ length: 20000 }, () => (r.next() < 0.01 ? [NaN, Infinity, -Infinity][r.int(3)]! : r.normal())),
      Float64Array.from({ length: 20000 }, () => (r.next() < 0.001 ? 1e300 : r.next() * 1e-3)),
      Float64Array.from({ length: 20000 }, () => (r.next() < 0.5 ? -1.7e308 : 1.7e308) * r.next()),
      Float64Array.from({ length: 20000 }, () => 0.25),
      Float64Array.from({ length: 100 }, () => r.next()),
    ];
    for (const values of cases) {
      const expected = Float64Array.from(values, (x) => (Number.isNaN(x) ? -Infinity : x)).sort();
      expect([...sortValues(values)]).toEqual([...expected]);
      for (const rank of [0, 1, values.length >> 1, values.length - 2, values.length - 1]) {
        const v = valueAtRank(values, rank);
        expect(v.value).toBe(expected[rank]);
        expect(v.above).toBe(expected.find((x) => x > expected[rank]!) ?? Infinity);
      }
    }
  });
});
