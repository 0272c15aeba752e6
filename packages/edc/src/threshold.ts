/**
 * Comparison-score thresholds at a target FMR and at a starting error (numpy's default linear quantile): the one
 * place the workbench turns an FMR into a threshold (the EDC's iso mode, `fr-models`' TAR@FAR). On raw scores they
 * are O(n) by selection (a value histogram for the FMR rule, quickselect for quantiles); the `…Sorted` forms take values sorted once and integer multiplicities (a bootstrap
 * replicate) and give what the plain forms give on the values repeated that many times.
 *
 * CR-FIQA's own rule (closest FMR, candidates from both comparison types, on distances) is a different definition
 * and lives with its curve in recomputed.ts.
 */
import { AikdError } from '@aikd/core';
import { selectInPlace, minFrom, valueAtRank } from './sort.ts';

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
 * The threshold at an FMR target (the iso rule): the smallest `t` in {non-mated similarities} ∪ {the next double
 * above the largest} such that `#{s ≥ t} / N ≤ fmr`, comparing rates in the same float division as the definition.
 * Ties: a comparison scoring exactly `t` is a match (`s ≥ t`), for mated and non-mated alike, so a tie group is never
 * split. The threshold is a score that occurs (unless none can be allowed to match), so a mated score between the
 * largest non-matching non-mated score and `t` is a non-match.
 */
export function thresholdAtFmr(nonmated: Float64Array, fmr: number): FmrThreshold {
  const n = nonmated.length;
  if (n === 0) throw new AikdError('thresholdAtFmr: no non-mated comparisons to set a threshold on');
  if (!(fmr >= 0 && fmr <= 1)) throw new AikdError(`thresholdAtFmr: expected an FMR in [0, 1] (got ${fmr})`);
  const allowed = maxCountAtRate(n, fmr);
  let threshold: number;
  if (allowed >= n) threshold = minFrom(nonmated, 0);
  else {
    // v = the (allowed+1)-th largest value: every candidate ≤ v has more than `allowed` values at or above it,
    // so t is the smallest value above v (or the next double above v when v is the largest).
    const { value: v, above } = valueAtRank(nonmated, n - allowed - 1);
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
  return interpolate(lo, minFrom(a, prev + 1), h - prev);
}

/** A weight per sorted position: an array, or a function (so a caller need not gather weights it never reads). */
export type Weights = ArrayLike<number> | ((k: number) => number);

/**
 * `thresholdAtFmr` on values sorted ascending, each counted `weights[i]` times (undefined = once; a zero weight
 * drops the value, also as a candidate). Walks down from the largest value, so with the total weight given
 * (`total`) it costs O(FMR · N + the tie group).
 */
export function thresholdAtFmrSorted(sorted: Float64Array, fmr: number, weights?: Weights, total?: number): FmrThreshold {
  const len = sorted.length;
  const n = total ?? totalWeight(len, weights);
  if (n === 0) throw new AikdError('thresholdAtFmr: no non-mated comparisons to set a threshold on');
  if (!(fmr >= 0 && fmr <= 1)) throw new AikdError(`thresholdAtFmr: expected an FMR in [0, 1] (got ${fmr})`);
  const w = weightOf(weights);
  const allowed = maxCountAtRate(n, fmr);
  // from the top, whole tie groups: `above` = weight strictly above the group, `t` = the lowest group kept above
  let above = 0;
  let threshold = NaN;
  let i = len - 1;
  while (i >= 0) {
    const v = sorted[i]!;
    let group = 0;
    let j = i;
    for (; j >= 0 && sorted[j] === v; j--) group += w(j);
    if (group > 0) {
      if (above + group > allowed) break;
      above += group;
      threshold = v;
    }
    i = j;
  }
  if (i < 0) return { threshold, achievedFmr: above / n, falseMatches: above, nonmated: n };
  // the group at i cannot match: t is the lowest group above it, or the next double above it when none is
  if (above === 0) threshold = nextUp(sorted[i]!);
  return { threshold, achievedFmr: above / n, falseMatches: above, nonmated: n };
}

/**
 * `quantileLinear` of values sorted ascending, each counted `weights[i]` times (undefined = once): numpy's linear
 * quantile of the values repeated that many times.
 */
export function quantileLinearSorted(sorted: Float64Array, q: number, weights?: ArrayLike<number>): number {
  const len = sorted.length;
  const n = totalWeight(len, weights);
  if (n === 0) throw new AikdError('quantile of no values');
  if (!(q >= 0 && q <= 1)) throw new AikdError(`quantile: expected q in [0, 1] (got ${q})`);
  const h = (n - 1) * q;
  // the value at rank r (0-based) of the repeated sequence
  const at = (r: number): number => {
    let c = 0;
    for (let i = 0; i < len; i++) {
      c += weights ? weights[i]! : 1;
      if (c > r) return sorted[i]!;
    }
    return sorted[len - 1]!;
  };
  if (h >= n - 1) return at(n - 1);
  const prev = Math.floor(h);
  return interpolate(at(prev), at(prev + 1), h - prev);
}

const weightOf = (weights: Weights | undefined): ((k: number) => number) =>
  !weights ? () => 1 : typeof weights === 'function' ? weights : (k) => weights[k]!;

/** Σ weights (or `len` without weights). */
function totalWeight(len: number, weights: Weights | undefined): number {
  if (!weights) return len;
  const w = weightOf(weights);
  let n = 0;
  for (let i = 0; i < len; i++) n += w(i);
  return n;
}

/** numpy's linear interpolation between neighbours, two-sided as in `np.quantile` (so results match bit for bit). */
function interpolate(lo: number, hi: number, gamma: number): number {
  const diff = hi - lo;
  return gamma >= 0.5 ? hi - diff * (1 - gamma) : lo + diff * gamma;
}
