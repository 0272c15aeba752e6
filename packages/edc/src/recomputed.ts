import { AikdError } from '@aikd/core';
import { argsortStable } from './sort.ts';
import { thresholdClosestFmr, countBelow } from './threshold.ts';
import { GRID_EPS, MAX_GRID_POINTS } from './constants.ts';
import type { EdcPoints } from './types.ts';

export interface RecomputedCurve extends EdcPoints {
  fmr: Float64Array;
  /** Comparisons (of both types) whose pair quality is −Infinity (not assessed). */
  nFailedToAssess: number;
}

/** Grid points u_i = i · step for i = 0, 1, … while u_i ≤ max (with 1e-9 slack for float steps). */
export function discardGrid(step: number, max: number): Float64Array {
  if (!(step > 0 && step <= 1)) throw new AikdError(`grid step: expected a number in (0, 1] (got ${step})`);
  if (!(max >= 0 && max < 1)) throw new AikdError(`grid maximum: expected a number in [0, 1) (got ${max})`);
  const count = Math.floor(max / step + GRID_EPS) + 1;
  if (count > MAX_GRID_POINTS)
    throw new AikdError(`grid step ${step}: gives ${count.toExponential(2)} grid points over [0, ${max}]; at most ${MAX_GRID_POINTS.toLocaleString('en')} (a step of at least ${(max / (MAX_GRID_POINTS - 1)).toExponential(1)})`);
  const u: number[] = [];
  for (let i = 0; i * step <= max + GRID_EPS; i++) u.push(i * step);
  return Float64Array.from(u);
}

/**
 * CR-FIQA / MagFace-style ERC: mated and non-mated comparisons together, sorted by pair quality ascending with a
 * stable sort (ties by input order, so tie groups may be split at a cut). At grid point u_i the comparisons from
 * sorted index k_i = floor(u_i · N_all + 1e-9) on are kept; the threshold is recomputed on the kept non-mated
 * comparisons as the first distinct similarity minimising |FMR(t) − fmr|, and FNMR(u_i) = #{kept mated s < t} /
 * #{kept mated}. Points with no kept non-mated (or mated) comparisons have NaN threshold (or error).
 */
export function recomputedCurve(
  similarity: Float64Array,
  mated: Uint8Array,
  quality: Float64Array,
  fmr: number,
  grid: Float64Array,
): RecomputedCurve {
  const n = similarity.length;
  if (mated.length !== n || quality.length !== n) throw new AikdError('recomputedCurve: similarity, mated and quality lengths differ');
  const { sorted, order } = argsortStable(quality);
  let nMated = 0;
  for (let i = 0; i < n; i++) nMated += mated[i]!;
  const nNonmated = n - nMated;
  // similarities of each type in quality order: the kept ones at any cut are a suffix of each
  const matedSorted = new Float64Array(nMated);
  const nonmatedSorted = new Float64Array(nNonmated);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    const j = order[i]!;
    if (mated[j]) matedSorted[a++] = similarity[j]!;
    else nonmatedSorted[b++] = similarity[j]!;
  }
  const scratch = new Float64Array(nNonmated);
  const m = grid.length;
  const discardFraction = Float64Array.from(grid);
  const error = new Float64Array(m);
  const remaining = new Int32Array(m);
  const threshold = new Float64Array(m);
  const fmrAt = new Float64Array(m);
  let pos = 0; // sorted position reached
  let matedBefore = 0;
  for (let g = 0; g < m; g++) {
    const k = Math.min(n, Math.floor(grid[g]! * n + GRID_EPS));
    for (; pos < k; pos++) matedBefore += mated[order[pos]!]!;
    const keptMated = matedSorted.subarray(matedBefore);
    const keptNonmated = nonmatedSorted.subarray(pos - matedBefore);
    remaining[g] = keptMated.length;
    if (keptNonmated.length === 0) {
      threshold[g] = NaN;
      fmrAt[g] = NaN;
      error[g] = NaN;
      continue;
    }
    const t = thresholdClosestFmr(keptNonmated, fmr, scratch);
    threshold[g] = t.threshold;
    fmrAt[g] = t.achievedFmr;
    error[g] = keptMated.length ? countBelow(keptMated, t.threshold) / keptMated.length : NaN;
  }
  let nFailedToAssess = 0;
  while (nFailedToAssess < n && sorted[nFailedToAssess] === -Infinity) nFailedToAssess++;
  return { discardFraction, error, remaining, threshold, fmr: fmrAt, nFailedToAssess };
}
