import { AikdError } from '@aikd/core';
import { argsortStable } from './sort.ts';
import type { EdcPoints, ErrorType } from './types.ts';

export interface IsoCurve extends EdcPoints {
  /** Comparisons whose pair quality is −Infinity (not assessed): the first tie group. */
  nFailedToAssess: number;
  /** Errors at discard 0. */
  errors: number;
}

/**
 * ISO/IEC 29794-1-style EDC over the comparisons of one type (mated for FNMR, non-mated for FMR) with a fixed
 * threshold `t`: sort by pair quality ascending; discard counts are d ∈ {0} ∪ {i : q[i−1] ≠ q[i]} (a run of
 * equal qualities is discarded whole); error(d) = #{i ≥ d : error_i} / (n − d) with error_i = s_i < t (FNMR) or
 * s_i ≥ t (FMR); discard fraction d / n; the point (1, 0) is appended. O(n) after an O(n) radix sort.
 *
 * `quality` is on the higher-is-better scale with −Infinity for failures (see `pairQualities`).
 */
export function isoCurve(similarity: Float64Array, quality: Float64Array, threshold: number, error: ErrorType): IsoCurve {
  const n = similarity.length;
  if (n === 0) throw new AikdError(`no ${error === 'fnmr' ? 'mated' : 'non-mated'} comparisons for an ${error === 'fnmr' ? 'FNM' : 'FM'}-EDC`);
  if (quality.length !== n) throw new AikdError(`isoCurve: ${quality.length} qualities for ${n} comparisons`);
  const { sorted, order } = argsortStable(quality);

  let groups = 1;
  for (let i = 1; i < n; i++) if (sorted[i - 1] !== sorted[i]) groups++;
  let errors = 0;
  const isError = new Uint8Array(n);
  const fnmr = error === 'fnmr';
  for (let i = 0; i < n; i++) {
    const e = fnmr ? similarity[i]! < threshold : similarity[i]! >= threshold;
    if (e) {
      isError[i] = 1;
      errors++;
    }
  }

  // the last discard count is < n, so the point (1, 0) is always appended
  const m = groups + 1;
  const discardFraction = new Float64Array(m);
  const err = new Float64Array(m);
  const remaining = new Int32Array(m);
  let p = 0;
  let left = errors; // errors among sorted positions ≥ i
  for (let i = 0; i < n; i++) {
    if (i === 0 || sorted[i - 1] !== sorted[i]) {
      discardFraction[p] = i / n;
      err[p] = left / (n - i);
      remaining[p] = n - i;
      p++;
    }
    left -= isError[order[i]!]!;
  }
  discardFraction[p] = 1;
  err[p] = 0;
  remaining[p] = 0;

  let nFailedToAssess = 0;
  while (nFailedToAssess < n && sorted[nFailedToAssess] === -Infinity) nFailedToAssess++;
  return { discardFraction, error: err, remaining, threshold: new Float64Array(m).fill(threshold), nFailedToAssess, errors };
}
