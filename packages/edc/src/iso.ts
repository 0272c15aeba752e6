import { AikdError } from '@aikd/core';
import { argsortStable, sortValues } from './sort.ts';
import type { EdcPoints, ErrorType } from './types.ts';

export interface IsoCurve extends EdcPoints {
  /** Comparisons whose pair quality is −Infinity (not assessed): the first tie group. */
  nFailedToAssess: number;
  /** Errors at discard 0. */
  errors: number;
}

/** The comparisons of one curve sorted once by pair quality (reused by every bootstrap replicate). */
export interface IsoSorted {
  /** Pair qualities ascending (−Infinity = not assessed). */
  quality: Float64Array;
  /** Similarities in the same order. */
  similarity: Float64Array;
  /** `order[k]` = index (into the curve's comparisons) of sorted position k. */
  order: Uint32Array;
  nFailedToAssess: number;
}

export function sortForIso(similarity: Float64Array, quality: Float64Array, error: ErrorType): IsoSorted {
  const n = similarity.length;
  if (n === 0) throw new AikdError(`no ${error === 'fnmr' ? 'mated' : 'non-mated'} comparisons for an ${error === 'fnmr' ? 'FNM' : 'FM'}-EDC`);
  if (quality.length !== n) throw new AikdError(`isoCurve: ${quality.length} qualities for ${n} comparisons`);
  const { sorted, order } = argsortStable(quality);
  const sim = new Float64Array(n);
  for (let k = 0; k < n; k++) sim[k] = similarity[order[k]!]!;
  let nFailedToAssess = 0;
  while (nFailedToAssess < n && sorted[nFailedToAssess] === -Infinity) nFailedToAssess++;
  return { quality: sorted, similarity: sim, order, nFailedToAssess };
}

/**
 * ISO/IEC 29794-1-style EDC over the comparisons of one type (mated for FNMR, non-mated for FMR) with a fixed
 * threshold `t`: sorted by pair quality ascending; discard counts are d ∈ {0} ∪ {i : q[i−1] ≠ q[i]} (a run of
 * equal qualities is discarded whole); error(d) = #{i ≥ d : error_i} / (n − d) with error_i = s_i < t (FNMR) or
 * s_i ≥ t (FMR); discard fraction d / n; the point (1, 0) is appended. O(n).
 *
 * `sortedWeights[k]` (in sorted order) counts the comparison at sorted position k that many times, as if it were
 * repeated: a bootstrap replicate. A tie group whose weights are all 0 is absent (no point).
 */
export function isoPoints(c: IsoSorted, threshold: number, error: ErrorType, sortedWeights?: ArrayLike<number>, buffers?: IsoBuffers): IsoCurve {
  const n = c.similarity.length;
  const fnmr = error === 'fnmr';
  const sw = sortedWeights;
  let total = 0;
  let errors = 0;
  let groups = 0;
  for (let k = 0; k < n; ) {
    let gw = 0;
    const q = c.quality[k];
    for (; k < n && c.quality[k] === q; k++) {
      const wk = sw ? sw[k]! : 1;
      gw += wk;
      const s = c.similarity[k]!;
      if (fnmr ? s < threshold : s >= threshold) errors += wk;
    }
    total += gw;
    if (gw > 0) groups++;
  }
  if (total === 0) throw new AikdError(`no ${fnmr ? 'mated' : 'non-mated'} comparisons for an ${fnmr ? 'FNM' : 'FM'}-EDC`);

  // the last discard count is < n, so the point (1, 0) is always appended
  const m = groups + 1;
  const discardFraction = buffers ? buffers.discardFraction.subarray(0, m) : new Float64Array(m);
  const err = buffers ? buffers.error.subarray(0, m) : new Float64Array(m);
  const remaining = buffers ? buffers.remaining.subarray(0, m) : new Int32Array(m);
  let p = 0;
  let left = errors; // errors among the comparisons not discarded yet
  let discarded = 0;
  for (let k = 0; k < n; ) {
    const q = c.quality[k];
    let gw = 0;
    let ge = 0;
    for (; k < n && c.quality[k] === q; k++) {
      const wk = sw ? sw[k]! : 1;
      gw += wk;
      const s = c.similarity[k]!;
      if (fnmr ? s < threshold : s >= threshold) ge += wk;
    }
    if (gw === 0) continue;
    discardFraction[p] = discarded / total;
    err[p] = left / (total - discarded);
    remaining[p] = total - discarded;
    p++;
    discarded += gw;
    left -= ge;
  }
  discardFraction[p] = 1;
  err[p] = 0;
  remaining[p] = 0;
  const thresholds = buffers ? buffers.threshold.subarray(0, m).fill(threshold) : new Float64Array(m).fill(threshold);
  return { discardFraction, error: err, remaining, threshold: thresholds, nFailedToAssess: c.nFailedToAssess, errors };
}

/**
 * `isoPoints` of unsorted comparisons without weights, the same numbers bit for bit, without an argsort: within a
 * tie group the order does not matter (the group is discarded whole), so the qualities of the comparisons that are
 * errors at `threshold` and of those that are not are sorted apart (by value, no index: `sortValues`), and the
 * groups are read off both at once. `quality` as in `isoCurve` (−Infinity = not assessed).
 */
export function isoPointsByCounting(similarity: Float64Array, quality: Float64Array, threshold: number, error: ErrorType): IsoCurve {
  const n = similarity.length;
  const fnmr = error === 'fnmr';
  if (n === 0) throw new AikdError(`no ${fnmr ? 'mated' : 'non-mated'} comparisons for an ${fnmr ? 'FNM' : 'FM'}-EDC`);
  if (quality.length !== n) throw new AikdError(`isoCurve: ${quality.length} qualities for ${n} comparisons`);
  // one pass: the qualities of errors from the front of one buffer, of the others from its back
  const split = new Float64Array(n);
  let errors = 0;
  let others = n;
  let nFailedToAssess = 0;
  for (let k = 0; k < n; k++) {
    const s = similarity[k]!;
    const q = quality[k]!;
    if (q === -Infinity) nFailedToAssess++;
    if (fnmr ? s < threshold : s >= threshold) split[errors++] = q;
    else split[--others] = q;
  }
  const bad = sortValues(split.subarray(0, errors));
  const good = sortValues(split.subarray(errors));
  // groups: distinct qualities of both lists in ascending order, one point each (written up to the most possible,
  // then copied to size)
  const discardFraction = new Float64Array(n + 1);
  const err = new Float64Array(n + 1);
  const remaining = new Int32Array(n + 1);
  let p = 0;
  let left = errors;
  let discarded = 0;
  const nb = bad.length;
  const ng = good.length;
  for (let b = 0, g = 0; b < nb || g < ng; p++) {
    const q = b < nb && (g >= ng || bad[b]! <= good[g]!) ? bad[b]! : good[g]!;
    let ge = 0;
    for (; b < nb && bad[b] === q; b++) ge++;
    let gw = ge;
    for (; g < ng && good[g] === q; g++) gw++;
    discardFraction[p] = discarded / n;
    err[p] = left / (n - discarded);
    remaining[p] = n - discarded;
    discarded += gw;
    left -= ge;
  }
  discardFraction[p] = 1;
  err[p] = 0;
  remaining[p] = 0;
  const m = p + 1;
  return { discardFraction: discardFraction.slice(0, m), error: err.slice(0, m), remaining: remaining.slice(0, m), threshold: new Float64Array(m).fill(threshold), nFailedToAssess, errors };
}

/** Output arrays reused from one bootstrap replicate to the next (capacity: comparisons + 1). */
export interface IsoBuffers {
  discardFraction: Float64Array;
  error: Float64Array;
  remaining: Int32Array;
  threshold: Float64Array;
}

export const isoBuffers = (n: number): IsoBuffers => ({ discardFraction: new Float64Array(n + 1), error: new Float64Array(n + 1), remaining: new Int32Array(n + 1), threshold: new Float64Array(n + 1) });

/** `isoPoints` of unsorted comparisons (`quality` on the higher-is-better scale, −Infinity for failures; see `pairQualities`). */
export function isoCurve(similarity: Float64Array, quality: Float64Array, threshold: number, error: ErrorType): IsoCurve {
  return isoPoints(sortForIso(similarity, quality, error), threshold, error);
}
