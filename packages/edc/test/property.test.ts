/**
 * Properties on seeded random data with many ties: the fast implementation equals brute-force O(n²) ones written
 * from the definitions, and a perfect oracle quality gives the best possible curve.
 */
import { describe, expect, it } from 'vitest';
import { rngFor } from '@aikd/core';
import {
  computeEdc,
  thresholdAtFmr,
  thresholdAtFmrSorted,
  quantileLinear,
  quantileLinearSorted,
  argsortStable,
  selectInPlace,
  isoCurve,
  oracleCurve,
  pauc,
  theoreticalBestArea,
} from '../src/index.ts';
import { randomSet, bruteThresholdAtFmr, bruteIsoCurve, bruteStepArea, f64 } from './helpers.ts';

const LIMITS = [0.05, 0.2, 0.3, 0.5, 1];

describe('iso pAUC equals a brute-force implementation of the definition', () => {
  const configs = [
    { n: 300, qualityLevels: 3, similarityLevels: 10 },
    { n: 500, qualityLevels: 20, similarityLevels: 20, failedShare: 0.05 },
    { n: 400, qualityLevels: 400, similarityLevels: 1000 },
    { n: 60, qualityLevels: 2, similarityLevels: 4, matedShare: 0.8 },
  ];
  for (const [c, cfg] of configs.entries())
    for (const seed of [1, 2, 3, 4, 5])
      for (const error of ['fnmr', 'fmr'] as const)
        it(`config ${c}, seed ${seed}, ${error}`, () => {
          const set = randomSet(seed * 100 + c, cfg);
          const fmr = [1e-3, 0.01, 0.1, 0.3][seed % 4]!;
          const r = computeEdc(set, { error, operatingPoint: { kind: 'fmr', value: fmr }, discardLimits: LIMITS });
          const nonmated = [...set.similarity].filter((_, i) => !set.mated[i]);
          expect(r.threshold).toBe(bruteThresholdAtFmr(nonmated, fmr));
          const keep = (i: number) => (error === 'fnmr' ? set.mated[i] === 1 : set.mated[i] === 0);
          const idx = [...set.similarity.keys()].filter(keep);
          const brute = bruteIsoCurve(
            idx.map((i) => set.similarity[i]!),
            idx.map((i) => set.pairQuality[i]!),
            r.threshold,
            error,
          );
          expect([...r.points.discardFraction]).toEqual(brute.x);
          expect([...r.points.error]).toEqual(brute.y);
          for (const l of LIMITS) {
            const b = bruteStepArea(brute.x, brute.y, l);
            expect(Math.abs(r.pauc[String(l)]! - b)).toBeLessThanOrEqual(1e-12 * Math.max(1, b));
            expect(r.paucNorm[String(l)]).toBe(brute.y[0]! > 0 ? r.pauc[String(l)]! / (l * brute.y[0]!) : null);
          }
        });
});

describe('a perfect oracle quality gives the theoretical-best curve', () => {
  for (const seed of [11, 12, 13])
    it(`seed ${seed}`, () => {
      const set = randomSet(seed, { n: 400, matedShare: 1, similarityLevels: 50 });
      const t = 0.55;
      const n = set.similarity.length;
      const r = rngFor(seed, 'oracle');
      const isErr = [...set.similarity].map((s) => s < t);
      const errors = isErr.filter(Boolean).length;
      // all errors below all non-errors, every quality distinct
      const oracle = f64(isErr.map((e, i) => (e ? 0 : 1) + (i + r.next()) / (2 * n)));
      const best = isoCurve(set.similarity, oracle, t, 'fnmr');
      const expected = oracleCurve(n, errors);
      expect([...best.discardFraction]).toEqual([...expected.discardFraction]);
      expect([...best.error]).toEqual([...expected.error]);
      // it reaches 0 exactly at x = FNMR(0), and counted against all n it is the line max(0, e0 − x)
      const e0 = errors / n;
      expect(best.error[errors]).toBe(0);
      expect(best.error[errors - 1]).toBeGreaterThan(0);
      for (let d = 0; d < n; d++) expect(best.error[d]! * (1 - d / n)).toBeCloseTo(Math.max(0, e0 - d / n), 12);
      // no other quality does better at any discard count, and the line's area is below the oracle's
      for (let k = 0; k < 5; k++) {
        const other = f64([...set.similarity].map(() => r.next()));
        const c = isoCurve(set.similarity, other, t, 'fnmr');
        for (let d = 0; d < n; d++) expect(c.error[d]!).toBeGreaterThanOrEqual(best.error[d]!);
        for (const l of [0.1, 0.3]) expect(pauc(c.discardFraction, c.error, l)).toBeGreaterThanOrEqual(pauc(best.discardFraction, best.error, l));
      }
      for (const l of [0.1, 0.3, 1]) expect(pauc(best.discardFraction, best.error, l)).toBeGreaterThanOrEqual(theoreticalBestArea(e0, l));
    });
});

describe('thresholds and sorting against brute force', () => {
  it('thresholdAtFmr (selection) and thresholdAtFmrSorted (sorted, weighted) on tie-heavy data, many targets', () => {
    for (let seed = 0; seed < 20; seed++) {
      const r = rngFor(seed, 'thr');
      const n = 1 + r.int(200);
      const levels = 1 + r.int(30);
      const s = Array.from({ length: n }, () => Math.round(r.normal() * levels) / levels + 0); // no −0: it equals +0 but toBe tells them apart
      for (const f of [0, 1e-3, 0.01, 0.05, 1 / n, 2 / n, 0.25, 0.375, 0.5, 0.9, 1]) {
        const iso = thresholdAtFmr(f64(s), f);
        expect(iso.threshold).toBe(bruteThresholdAtFmr(s, f));
        expect(iso.achievedFmr).toBe(s.filter((x) => x >= iso.threshold).length / n);
        expect(iso.achievedFmr).toBeLessThanOrEqual(f);
        const sorted = f64([...s].sort((a, b) => a - b));
        expect(thresholdAtFmrSorted(sorted, f)).toEqual(iso);
        // integer weights = the values repeated: the brute force on the repeated list
        const w = Array.from(sorted, (_, i) => (i * 7 + seed) % 4);
        if (w.some((x) => x > 0)) {
          const repeated = [...sorted].flatMap((x, i) => Array<number>(w[i]!).fill(x));
          const tw = thresholdAtFmrSorted(sorted, f, w);
          expect(tw.threshold).toBe(bruteThresholdAtFmr(repeated, f));
          expect(tw.falseMatches).toBe(repeated.filter((x) => x >= tw.threshold).length);
          expect(quantileLinearSorted(sorted, f, w)).toBe(quantileLinear(f64(repeated), f));
        }
      }
    }
  });

  it('compares FMR ≤ F as the definition does, where F · N rounds below an integer (0.29 · 100 = 28.999…)', () => {
    const s = Array.from({ length: 100 }, (_, i) => i / 100);
    for (const f of [0.29, 0.57, 0.58, 0.07]) {
      const t = thresholdAtFmr(f64(s), f);
      expect(t.threshold).toBe(bruteThresholdAtFmr(s, f));
      expect(t.falseMatches).toBe(Math.round(f * 100)); // exactly F · N comparisons at or above t
    }
  });

  it('argsortStable sorts like a stable comparison sort, NaN first, −0 = +0', () => {
    for (let seed = 0; seed < 10; seed++) {
      const r = rngFor(seed, 'sort');
      const n = 1 + r.int(3000);
      const v = Float64Array.from({ length: n }, () => {
        const k = r.int(10);
        return k === 0 ? NaN : k === 1 ? -0 : k === 2 ? 0 : k === 3 ? -Infinity : k === 4 ? Infinity : Math.round(r.normal() * 8) / 4 * (r.next() < 0.5 ? 1e-300 : 1e300);
      });
      const key = (x: number) => (Number.isNaN(x) ? -Infinity : x);
      const expected = [...v.keys()].sort((a, b) => {
        const d = key(v[a]!) - key(v[b]!);
        return d < 0 ? -1 : d > 0 ? 1 : 0; // -∞ − -∞ is NaN: equal
      });
      const { sorted, order } = argsortStable(v);
      expect([...order]).toEqual(expected);
      expect([...sorted]).toEqual(expected.map((i) => key(v[i]!) + 0));
    }
  });

  it('selectInPlace and quantileLinear agree with a full sort', () => {
    const r = rngFor(5, 'select');
    for (let t = 0; t < 50; t++) {
      const n = 1 + r.int(100);
      const a = Float64Array.from({ length: n }, () => r.int(7));
      const sorted = [...a].sort((x, y) => x - y);
      const k = r.int(n);
      expect(selectInPlace(Float64Array.from(a), k)).toBe(sorted[k]);
      const q = r.next();
      const h = (n - 1) * q;
      const lo = sorted[Math.floor(h)]!;
      const hi = sorted[Math.min(n - 1, Math.floor(h) + 1)]!;
      expect(quantileLinear(a, q)).toBeCloseTo(lo + (hi - lo) * (h - Math.floor(h)), 12);
    }
  });
});
