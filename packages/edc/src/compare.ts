/**
 * Comparing methods honestly: paired bootstrap differences with two-sided p-values, Holm's correction over the
 * comparisons of one table column, ranks that are shared unless a difference is significant, and Kendall's τ-b for
 * how much two FR models agree on the ranking of methods.
 */
import { AikdError } from '@aikd/core';
import { percentileInterval } from './bootstrap.ts';
import { DEFAULT_BOOTSTRAP_LEVEL } from './constants.ts';

export interface PairedDifference {
  /** Point estimate a − b. */
  estimate: number;
  /** Percentile interval of the replicate differences a_r − b_r (null when too few replicates are defined). */
  interval: [number, number] | null;
  /**
   * Two-sided p-value of "no difference" from the bootstrap standard error of the paired difference (normal
   * approximation: z = estimate / sd(d_r), p = erfc(|z| / √2)). Not the share of replicates beyond 0: with R
   * replicates that cannot go below 2/(R + 1) ≈ 0.002, which Holm's correction over the 55 comparisons of 11 methods
   * would never let be significant.
   */
  p: number;
  /** Bootstrap standard error of the difference. */
  se: number;
  /** Replicates where both were defined. */
  replicates: number;
}

/**
 * a − b on the same resamples (replicate r of both was computed on the same bootstrap draw). NaN replicate values
 * (undefined in that resample) are left out.
 */
export function pairedDifference(a: number, b: number, aReplicates: ArrayLike<number>, bReplicates: ArrayLike<number>, level = DEFAULT_BOOTSTRAP_LEVEL): PairedDifference {
  if (aReplicates.length !== bReplicates.length) throw new AikdError(`paired difference: ${aReplicates.length} and ${bReplicates.length} replicates (they must come from the same resamples)`);
  const d: number[] = [];
  for (let r = 0; r < aReplicates.length; r++) {
    const x = aReplicates[r]! - bReplicates[r]!;
    if (Number.isFinite(x)) d.push(x);
  }
  const estimate = a - b;
  let mean = 0;
  for (const x of d) mean += x;
  mean /= d.length || 1;
  let ss = 0;
  for (const x of d) ss += (x - mean) ** 2;
  const se = d.length > 1 ? Math.sqrt(ss / (d.length - 1)) : NaN;
  const p = !(d.length > 1) ? 1 : se > 0 ? erfc(Math.abs(estimate) / se / Math.SQRT2) : estimate === 0 ? 1 : 0;
  const interval = d.length >= 0.9 * aReplicates.length && d.length ? percentileInterval(d, level) : null;
  return { estimate, interval, p, se, replicates: d.length };
}

/** The complementary error function (Numerical Recipes' erfcc: relative error below 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Holm's step-down adjusted p-values (same order as the input): p_(i) · (m − i + 1), made monotone, capped at 1. */
export function holm(p: readonly number[]): number[] {
  const m = p.length;
  const order = [...p.keys()].sort((i, j) => p[i]! - p[j]!);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((i, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p[i]!));
    out[i] = running;
  });
  return out;
}

export interface HonestRank {
  /**
   * 1 + the number of methods significantly better (Holm-adjusted p < alpha and a lower estimate), never less than
   * the rank of a method with a lower estimate; null without a value.
   */
  rank: number | null;
  /** Another method has the same rank (shown as "1="). */
  shared: boolean;
}

/**
 * Ranks within one column (lower is better): a method's rank is 1 + the number of methods that are significantly
 * better than it, so a method is "best" (rank 1, not shared) only when it is significantly better than every other,
 * and methods whose differences are within noise share a rank. Ranks are then made non-decreasing in the estimate (a
 * noisy method with a higher value is never ranked ahead of a lower one just because nothing beats it
 * significantly). `adjustedP(i, j)` is the Holm-adjusted p-value of the comparison of methods i and j (over all
 * pairs of the column).
 */
export function honestRanks(estimates: readonly (number | null)[], adjustedP: (i: number, j: number) => number, alpha = 0.05): HonestRank[] {
  const ranks: (number | null)[] = estimates.map((v, i) => {
    if (v === null || !Number.isFinite(v)) return null;
    let better = 0;
    estimates.forEach((w, j) => {
      if (j !== i && w !== null && Number.isFinite(w) && w < v && adjustedP(i, j) < alpha) better++;
    });
    return 1 + better;
  });
  // running maximum along the estimates (equal estimates share the larger rank of their group)
  const order = [...estimates.keys()].filter((i) => ranks[i] !== null).sort((i, j) => estimates[i]! - estimates[j]!);
  let running = 0;
  for (let k = 0; k < order.length; ) {
    let e = k;
    while (e + 1 < order.length && estimates[order[e + 1]!] === estimates[order[k]!]) e++;
    for (let q = k; q <= e; q++) running = Math.max(running, ranks[order[q]!]!);
    for (let q = k; q <= e; q++) ranks[order[q]!] = running;
    k = e + 1;
  }
  return ranks.map((r) => ({ rank: r, shared: r !== null && ranks.filter((x) => x === r).length > 1 }));
}

/** The pairwise comparisons of a column of methods: every pair once, Holm-adjusted together. */
export interface ColumnComparisons {
  /** Indices (i < j) of each comparison, its difference estimate_i − estimate_j and Holm-adjusted p. */
  pairs: { i: number; j: number; diff: PairedDifference; pHolm: number }[];
  ranks: HonestRank[];
}

/**
 * Compare every pair of methods of one column on their replicates (null replicates: no comparison, p = 1), correct
 * with Holm over the column, and rank honestly.
 */
export function compareColumn(estimates: readonly (number | null)[], replicates: readonly (ArrayLike<number> | null)[], level = DEFAULT_BOOTSTRAP_LEVEL): ColumnComparisons {
  const raw: { i: number; j: number; diff: PairedDifference }[] = [];
  for (let i = 0; i < estimates.length; i++)
    for (let j = i + 1; j < estimates.length; j++) {
      const a = estimates[i], b = estimates[j];
      const ra = replicates[i], rb = replicates[j];
      if (a === null || b === null || a === undefined || b === undefined) continue;
      raw.push({ i, j, diff: ra && rb ? pairedDifference(a, b, ra, rb, level) : { estimate: a - b, interval: null, p: 1, se: NaN, replicates: 0 } });
    }
  const adjusted = holm(raw.map((r) => r.diff.p));
  const pairs = raw.map((r, k) => ({ ...r, pHolm: adjusted[k]! }));
  const pOf = new Map(pairs.map((x) => [`${x.i},${x.j}`, x.pHolm]));
  const ranks = honestRanks(estimates, (i, j) => pOf.get(i < j ? `${i},${j}` : `${j},${i}`) ?? 1, 1 - level);
  return { pairs, ranks };
}

/**
 * Kendall's τ-b between two score vectors over the same items (ties in either handled as in scipy.stats.kendalltau):
 * (concordant − discordant) / √((n₀ − n₁)(n₀ − n₂)). NaN when either vector is constant or fewer than 2 items.
 */
export function kendallTauB(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new AikdError(`kendallTauB: ${x.length} and ${y.length} values`);
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0; // pairs tied in x only
  let tiesY = 0; // pairs tied in y only
  for (let i = 0; i < x.length; i++)
    for (let j = i + 1; j < x.length; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  const denominator = Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
  return denominator > 0 ? (concordant - discordant) / denominator : NaN;
}
