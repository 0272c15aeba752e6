/**
 * Comparison-score thresholds: at a target FMR (iso rule and CR-FIQA's closest-FMR rule), and at a starting error
 * (numpy's default linear quantile). All O(n) by selection; nothing is fully sorted.
 */
import { AikdError } from '@aikd/core';
import { selectInPlace, minFrom } from './sort.ts';

/** The smallest double greater than `x` (x finite). */
export function nextUp(x: number): number {
  if (x !== x || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  b[0] = x > 0 ? b[0]! + 1n : b[0]! - 1n;
  return f[0]!;
}

export interface FmrThreshold {
  threshold: number;
  /** #{non-mated s ≥ threshold} / N. */
  achievedFmr: number;
  falseMatches: number;
  nonmated: number;
}

/** The largest count c in [0, n] with c / n ≤ f, using the same float division as the definition. */
function maxCountAtRate(n: number, f: number): number {
  let c = Math.min(n, Math.max(0, Math.floor(f * n)));
  while (c < n && (c + 1) / n <= f) c++;
  while (c > 0 && c / n > f) c--;
  return c;
}

/**
 * ISO rule: the smallest `t` in {non-mated similarities} ∪ {the next double above the largest} such that
 * `#{s ≥ t} / N ≤ fmr`. Ties in similarity are never split: all comparisons equal to `t` count as matches.
 */
export function thresholdAtFmr(nonmated: Float64Array, fmr: number): FmrThreshold {
  const n = nonmated.length;
  if (n === 0) throw new AikdError('thresholdAtFmr: no non-mated comparisons to set a threshold on');
  if (!(fmr >= 0 && fmr <= 1)) throw new AikdError(`thresholdAtFmr: expected an FMR in [0, 1] (got ${fmr})`);
  const allowed = maxCountAtRate(n, fmr);
  const a = Float64Array.from(nonmated);
  let threshold: number;
  if (allowed >= n) threshold = minFrom(a, 0);
  else {
    // v = the (allowed+1)-th largest value: every candidate ≤ v has more than `allowed` values at or above it,
    // so t is the smallest value above v (or the next double above v when v is the largest).
    const rank = n - allowed - 1;
    const v = selectInPlace(a, rank);
    let above = Infinity;
    for (let i = rank + 1; i < n; i++) if (a[i]! > v && a[i]! < above) above = a[i]!;
    threshold = above === Infinity ? nextUp(v) : above;
  }
  const falseMatches = countAtLeast(nonmated, threshold);
  return { threshold, achievedFmr: falseMatches / n, falseMatches, nonmated: n };
}

/** #{s ≥ t}. */
export function countAtLeast(s: Float64Array, t: number): number {
  let c = 0;
  for (let i = 0; i < s.length; i++) if (s[i]! >= t) c++;
  return c;
}

/** #{s < t}. */
export function countBelow(s: Float64Array, t: number): number {
  let c = 0;
  for (let i = 0; i < s.length; i++) if (s[i]! < t) c++;
  return c;
}

/**
 * CR-FIQA rule: among the distinct values of `nonmated` ascending, the first `t` minimising |FMR(t) − fmr| with
 * FMR(t) = #{s ≥ t} / N. Only the two candidates around fmr · N can win: `v` = the ⌈fmr·N⌉-th largest value
 * (smallest FMR ≥ target) and the smallest value above it (largest FMR < target); on a tie the first, `v`, wins.
 * `scratch` (length ≥ N) avoids an allocation per call.
 */
export function thresholdClosestFmr(nonmated: Float64Array, fmr: number, scratch?: Float64Array): FmrThreshold {
  const n = nonmated.length;
  if (n === 0) throw new AikdError('thresholdClosestFmr: no non-mated comparisons to set a threshold on');
  const a = scratch ? scratch.subarray(0, n) : new Float64Array(n);
  a.set(nonmated);
  // r = the smallest count whose rate is ≥ fmr, in the same float arithmetic as |FMR − fmr| below
  let r = Math.min(n, Math.max(1, Math.ceil(fmr * n)));
  while (r > 1 && (r - 1) / n >= fmr) r--;
  while (r < n && r / n < fmr) r++;
  const v = selectInPlace(a, n - r);
  let atOrAbove = 0;
  let above = 0;
  let next = Infinity;
  for (let i = 0; i < n; i++) {
    const x = nonmated[i]!;
    if (x >= v) {
      atOrAbove++;
      if (x > v) {
        above++;
        if (x < next) next = x;
      }
    }
  }
  let threshold = v;
  let count = atOrAbove;
  if (above > 0 && Math.abs(above / n - fmr) < Math.abs(atOrAbove / n - fmr)) {
    threshold = next;
    count = above;
  }
  return { threshold, achievedFmr: count / n, falseMatches: count, nonmated: n };
}

/**
 * numpy's default `np.quantile(x, q)` ("linear", Hyndman & Fan type 7), including its two-sided interpolation
 * (`b − (b − a)(1 − γ)` when γ ≥ 0.5), so thresholds match numpy bit for bit.
 */
export function quantileLinear(values: Float64Array, q: number): number {
  const n = values.length;
  if (n === 0) throw new AikdError('quantile of no values');
  if (!(q >= 0 && q <= 1)) throw new AikdError(`quantile: expected q in [0, 1] (got ${q})`);
  const a = Float64Array.from(values);
  const h = (n - 1) * q;
  if (h >= n - 1) return selectInPlace(a, n - 1);
  const prev = Math.floor(h);
  const lo = selectInPlace(a, prev);
  const hi = minFrom(a, prev + 1);
  const gamma = h - prev;
  const diff = hi - lo;
  return gamma >= 0.5 ? hi - diff * (1 - gamma) : lo + diff * gamma;
}
