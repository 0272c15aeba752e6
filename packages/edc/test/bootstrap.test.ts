/**
 * Bootstrap intervals on simulated data: many small samples of identities drawn from one large simulated population
 * (identity effects on mated scores, "lamb" effects on non-mated ones, qualities that help), so the population value
 * is known; the identity-cluster intervals must cover it at about the nominal rate and shrink about as 1/√n. Plus
 * the resampling rules, paired differences, Holm, honest ranks and Kendall's τ-b on hand-checked cases.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '@aikd/core';
import {
  bootstrapEdc,
  compareColumn,
  computeEdc,
  erfc,
  holm,
  honestRanks,
  kendallTauB,
  pairedDifference,
  percentileInterval,
  prepareEdc,
  Resampler,
  type ComparisonSet,
  type EdcOptions,
} from '../src/index.ts';

/**
 * `identities` people with 4 images each (quality U(0, 1)); all 6 mated pairs of each, and 6 non-mated pairs per
 * identity with random others. Mated similarity rises with the worse image's quality and shares an identity effect.
 */
function population(seed: number, identities: number): ComparisonSet {
  const r = new Rng([seed, 7, 7, 7]);
  const imgs = 4;
  const sim: number[] = [], mated: number[] = [], qa: number[] = [], qb: number[] = [], ia: number[] = [], ib: number[] = [];
  const q = Array.from({ length: identities }, () => Array.from({ length: imgs }, () => r.next()));
  const effect = Array.from({ length: identities }, () => r.normal());
  const lamb = Array.from({ length: identities }, () => r.normal());
  for (let k = 0; k < identities; k++) {
    for (let a = 0; a < imgs; a++)
      for (let b = a + 1; b < imgs; b++) {
        sim.push(0.3 + 0.3 * Math.min(q[k]![a]!, q[k]![b]!) + 0.15 * effect[k]! + 0.08 * r.normal());
        mated.push(1), qa.push(q[k]![a]!), qb.push(q[k]![b]!), ia.push(k), ib.push(k);
      }
    for (let j = 0; j < 6; j++) {
      let o = r.int(identities - 1);
      if (o >= k) o++;
      sim.push(0.05 + 0.04 * (lamb[k]! + lamb[o]!) + 0.08 * r.normal());
      mated.push(0), qa.push(q[k]![r.int(imgs)]!), qb.push(q[o]![r.int(imgs)]!), ia.push(k), ib.push(o);
    }
  }
  return { similarity: Float64Array.from(sim), mated: Uint8Array.from(mated), qualityA: Float64Array.from(qa), qualityB: Float64Array.from(qb), identityA: Int32Array.from(ia), identityB: Int32Array.from(ib) };
}

const withoutIdentities = ({ identityA: _a, identityB: _b, ...rest }: ComparisonSet): ComparisonSet => rest;

function study(options: EdcOptions, identities: number, samples: number, replicates: number, truth: number) {
  let covered = 0, coveredPairs = 0, width = 0, widthPairs = 0, n = 0;
  for (let s = 0; s < samples; s++) {
    const set = population(1000 + s, identities);
    const ci = percentileInterval(bootstrapEdc([prepareEdc(set, options)], { replicates, seed: s }).methods[0]!.paucNorm[0]!);
    const cp = percentileInterval(bootstrapEdc([prepareEdc(withoutIdentities(set), options)], { replicates, seed: s }).methods[0]!.paucNorm[0]!);
    if (!ci || !cp) continue;
    n++;
    if (ci[0] <= truth && truth <= ci[1]) covered++;
    if (cp[0] <= truth && truth <= cp[1]) coveredPairs++;
    width += ci[1] - ci[0];
    widthPairs += cp[1] - cp[0];
  }
  return { coverage: covered / n, coveragePairs: coveredPairs / n, width: width / n, widthPairs: widthPairs / n, n };
}

describe('identity-cluster bootstrap on a simulated population', () => {
  const iso: EdcOptions = { mode: 'iso', operatingPoint: { kind: 'fmr', value: 0.01 }, discardLimits: [0.3] };
  // the population value: pAUC_norm@0.3 on 30,000 identities (its own sampling error is ~1/17 of the 100-identity one)
  const truth = computeEdc(population(1, 30_000), iso).paucNorm['0.3']!;

  it('covers the population value at about the nominal 95 % (iso, 100 identities, 120 samples × 200 replicates)', () => {
    const r = study(iso, 100, 120, 200, truth);
    expect(r.n).toBeGreaterThanOrEqual(110);
    // 0.95 ± 2.5 standard errors of a coverage estimated from ~120 samples
    expect(r.coverage).toBeGreaterThanOrEqual(0.9);
    expect(r.coverage).toBeLessThanOrEqual(0.995);
    // ignoring identities (pair-level) is too narrow on these data and misses clearly more often
    expect(r.widthPairs).toBeLessThan(0.85 * r.width);
    expect(r.coveragePairs).toBeLessThan(r.coverage - 0.05);
  });

  it('shrinks about as 1/√n: 4× the identities, half the width', () => {
    const small = study(iso, 100, 40, 150, truth);
    const large = study(iso, 400, 40, 150, truth);
    expect(small.width / large.width).toBeGreaterThan(1.7);
    expect(small.width / large.width).toBeLessThan(2.35);
  });

  it('recomputed mode: the intervals are not too narrow (60 samples)', () => {
    const rec: EdcOptions = { mode: 'recomputed', operatingPoint: { kind: 'fmr', value: 0.01 }, discardLimits: [0.3] };
    const recTruth = computeEdc(population(1, 30_000), rec).paucNorm['0.3']!;
    const r = study(rec, 100, 60, 150, recTruth);
    expect(r.coverage).toBeGreaterThanOrEqual(0.9);
  });
});

describe('resampling', () => {
  const set = population(3, 50);

  it('identity unit: every identity drawn m times keeps its mated pairs m times and a pair between a and b m_a · m_b times', () => {
    const rs = new Resampler(set, 5);
    expect(rs.unit).toBe('identity');
    expect(rs.units).toBe(50);
    const w = rs.weights(0);
    // recover the draw counts from the mated pairs, then check every non-mated weight
    const copies = new Map<number, number>();
    set.mated.forEach((m, i) => m && copies.set(set.identityA![i]!, w[i]!));
    expect([...copies.values()].reduce((a, b) => a + b, 0)).toBe(50);
    set.mated.forEach((m, i) => !m && expect(w[i]).toBe(copies.get(set.identityA![i]!)! * copies.get(set.identityB![i]!)!));
    expect(rs.weights(0)).toEqual(w); // replicate b is a pure function of (seed, b)
    expect(rs.weights(1)).not.toEqual(w);
  });

  it('pair unit (no identities): mated and non-mated comparisons resampled separately, their counts kept', () => {
    const rs = new Resampler(withoutIdentities(set), 5);
    expect(rs.unit).toBe('pair');
    const w = rs.weights(2);
    let m = 0, nm = 0, wm = 0, wn = 0;
    set.mated.forEach((x, i) => (x ? ((m++, (wm += w[i]!))) : ((nm++, (wn += w[i]!)))));
    expect(wm).toBe(m);
    expect(wn).toBe(nm);
  });

  it('methods on the same comparisons see the same resamples; different comparisons are refused', () => {
    const options: EdcOptions = { operatingPoint: { kind: 'fmr', value: 0.05 } };
    const a = prepareEdc(set, options, 'a');
    const same = prepareEdc({ ...set, qualityA: set.qualityA, qualityB: set.qualityB }, options, 'same');
    const run = bootstrapEdc([a, same], { replicates: 50, seed: 1 });
    expect(run.methods[0]!.paucNorm[1]).toEqual(run.methods[1]!.paucNorm[1]);
    // alone, the method gets the very same replicates: they depend on (seed, replicate), not on the company
    expect(bootstrapEdc([a], { replicates: 50, seed: 1 }).methods[0]!.paucNorm[1]).toEqual(run.methods[0]!.paucNorm[1]);
    const other = prepareEdc(population(4, 50), options, 'other');
    expect(() => bootstrapEdc([a, other], { replicates: 5 })).toThrow(/not on the same comparisons/);
  });
});

describe('paired comparisons, Holm, honest ranks, Kendall τ-b', () => {
  it('pairedDifference: percentile interval, and a two-sided p-value from the bootstrap standard error', () => {
    // replicate differences ±0.1 around 0.05 (half each way): sd = 0.1 · √(R / (R − 1))
    const R = 200;
    const b = Float64Array.from({ length: R }, (_, r) => 0.4 + (r % 7) / 100);
    const a = Float64Array.from(b, (x, r) => x + 0.05 + (r % 2 ? 0.1 : -0.1));
    const d = pairedDifference(0.55, 0.5, a, b);
    const sd = 0.1 * Math.sqrt(R / (R - 1));
    expect(d.estimate).toBeCloseTo(0.05, 15);
    expect(d.se).toBeCloseTo(sd, 12);
    // z = 0.05 / sd ≈ 0.4988: p = 2(1 − Φ(z)) = 0.6179 (scipy.stats.norm.sf(0.4988) · 2 = 0.61791)
    expect(d.p).toBeCloseTo(2 * 0.30896, 3);
    expect(d.interval).toEqual([expect.closeTo(-0.05, 12), expect.closeTo(0.15, 12)]);
    // identical methods: p = 1; a difference of 1.96 standard errors: p = 0.05
    expect(pairedDifference(0.5, 0.5, a, a).p).toBe(1);
    expect(pairedDifference(0.5 + 1.959964 * sd, 0.5, a, b).p).toBeCloseTo(0.05, 5);
    // far apart: p far below what the share of replicates beyond 0 could show (2 / (R + 1))
    expect(pairedDifference(0.5 + 8 * sd, 0.5, a, b).p).toBeLessThan(1e-12);
  });

  it('erfc: known values', () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.157299207, 7);
    expect(erfc(-1)).toBeCloseTo(1.842700793, 7);
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 6);
  });

  it('holm: step-down adjusted p-values, monotone, capped at 1', () => {
    expect(holm([0.01, 0.04, 0.03, 0.5])).toEqual([0.04, 0.09, 0.09, 0.5]);
    expect(holm([0.3, 0.3])).toEqual([0.6, 0.6]);
    expect(holm([0.9, 0.8])).toEqual([1, 1]);
  });

  it('honestRanks: rank = 1 + methods significantly better; shared ranks flagged', () => {
    // a ≈ b (not significant), both significantly better than c; d missing
    const p = (i: number, j: number) => ([i, j].sort().join() === '0,1' ? 0.4 : 0.001);
    expect(honestRanks([0.7, 0.71, 0.8, null], p)).toEqual([
      { rank: 1, shared: true },
      { rank: 1, shared: true },
      { rank: 3, shared: false },
      { rank: null, shared: false },
    ]);
    // a significantly better than b and c, b ≈ c: "1", "2=", "2="
    const q = (i: number, j: number) => ([i, j].sort().join() === '1,2' ? 0.5 : 0.001);
    expect(honestRanks([0.6, 0.7, 0.71], q).map((r) => `${r.rank}${r.shared ? '=' : ''}`)).toEqual(['1', '2=', '2=']);
    // a beats b significantly; c (higher, but too noisy to be beaten) is not ranked ahead of b
    const r = (i: number, j: number) => ([i, j].sort().join() === '0,1' ? 0.001 : 0.5);
    expect(honestRanks([0.5, 0.6, 0.7], r).map((x) => `${x.rank}${x.shared ? '=' : ''}`)).toEqual(['1', '2=', '2=']);
  });

  it('compareColumn: all pairs, Holm over the column, then ranks', () => {
    // replicate noise ±0.05, not in step between methods: 0.5 vs 0.505 is noise, 0.9 is far
    const rep = (c: number, k: number) => Float64Array.from({ length: 200 }, (_, r) => c + ((r * k) % 200) / 2000 - 0.05);
    const col = compareColumn([0.5, 0.505, 0.9], [rep(0.5, 37), rep(0.505, 53), rep(0.9, 71)]);
    expect(col.pairs.map((x) => [x.i, x.j])).toEqual([[0, 1], [0, 2], [1, 2]]);
    expect(col.pairs[1]!.pHolm).toBeLessThan(0.05);
    expect(col.ranks.map((r) => `${r.rank}${r.shared ? '=' : ''}`)).toEqual(['1=', '1=', '3']);
  });

  it('kendallTauB: scipy.stats.kendalltau values, ties included', () => {
    expect(kendallTauB([1, 2, 3, 4], [1, 2, 3, 4])).toBe(1);
    expect(kendallTauB([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // scipy.stats.kendalltau([1, 2, 3, 4, 5], [3, 1, 2, 5, 4]).statistic = 0.4
    expect(kendallTauB([1, 2, 3, 4, 5], [3, 1, 2, 5, 4])).toBeCloseTo(0.4, 15);
    // with ties: scipy.stats.kendalltau([1, 1, 2, 3], [1, 2, 2, 3]).statistic = 0.8
    expect(kendallTauB([1, 1, 2, 3], [1, 2, 2, 3])).toBeCloseTo(0.8, 15);
    expect(Number.isNaN(kendallTauB([1, 1, 1], [1, 2, 3]))).toBe(true);
  });
});
