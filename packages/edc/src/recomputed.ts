/**
 * `recomputed` mode: CR-FIQA's ERC (`ERC/erc.py` getFNMRFixedTH with `ERC/roc.py` get_eer_threshold), step for step,
 * so that its FNMR at every grid point is the reference's to the last bit (fixtures made by running that code:
 * test/fixtures/crfiqa). The definition, exactly (RECOMPUTED_DEFINITION):
 *
 * 1. pair quality min(q_a, q_b); all pairs, mated and non-mated, in one list sorted by pair quality ascending;
 * 2. grid u_k = k · 0.05 in float64 for k = 0…19 (`np.arange(0, 0.98, 0.05)`); at u_k keep the sorted pairs from
 *    position floor(u_k · N) on (N = all pairs);
 * 3. distance d = arccos(clip(s, −1, 1)) / π in float64;
 * 4. candidate thresholds: the distinct distances of the kept pairs, genuine and impostor alike;
 *    FMR(t) = #(kept impostors with d ≤ t) / #(kept impostors): an impostor exactly at t is a false match;
 * 5. threshold = the candidate minimising |FMR(t) − target|; among equally close candidates the largest distance
 *    (numpy's argmin takes the first, and roc.py lists candidates from the largest distance down);
 * 6. FNMR = 1 − #(kept genuine with d < threshold) / #(kept genuine): a genuine pair exactly at the threshold is a
 *    non-match (and the threshold is often a genuine pair's own distance, just below the next impostor).
 *
 * Where this differs from the reference: ties in pair quality. numpy's default argsort (quicksort) is not stable, so
 * the reference splits a tie group at a cut in an order nobody chose; here the sort is stable (ties in input order),
 * the one place two tools may legitimately differ (both orders are recorded in the fixtures). Qualities that were
 * not assessed (NaN) sort first here; numpy would sort them last. Where the reference divides by zero (no impostor or
 * no genuine pair left at a grid point) the point is undefined (NaN) here.
 */
import { AikdError } from '@aikd/core';
import { argsortStable } from './sort.ts';
import { GRID_EPS } from './constants.ts';
import type { EdcPoints } from './types.ts';

export interface RecomputedCurve extends EdcPoints {
  /** Thresholds are angular distances arccos(s)/π (a pair matches when its distance is below). */
  threshold: Float64Array;
  fmr: Float64Array;
  /** Comparisons (of both types) whose pair quality is −Infinity (not assessed). */
  nFailedToAssess: number;
}

/** Largest grid a curve may have (the grid is a handful of points; this only guards against a tiny step). */
const MAX_GRID_POINTS = 100_000;

/** Grid points u_i = i · step for i = 0, 1, … while u_i ≤ max (with 1e-9 slack for float steps), as np.arange. */
export function discardGrid(step: number, max: number): Float64Array {
  if (!(step > 0 && step <= 1)) throw new AikdError(`grid step: expected a number in (0, 1] (got ${step})`);
  if (!(max >= 0 && max < 1)) throw new AikdError(`grid maximum: expected a number in [0, 1) (got ${max})`);
  if (max / step >= MAX_GRID_POINTS) throw new AikdError(`grid step ${step}: more than ${MAX_GRID_POINTS} grid points up to ${max}`);
  const u: number[] = [];
  for (let i = 0; i * step <= max + GRID_EPS; i++) u.push(i * step);
  return Float64Array.from(u);
}

/** CR-FIQA's distance of a cosine similarity: arccos(clip(s, −1, 1)) / π. */
export const angularDistance = (s: number): number => Math.acos(s > 1 ? 1 : s < -1 ? -1 : s) / Math.PI;

/** The pairs sorted once by quality and once by distance (reused by every bootstrap replicate). */
export interface RecomputedSorted {
  n: number;
  /** `qualityOrder[p]` = pair at quality position p (stable ascending); `qualityMated[p]` its mated flag. */
  qualityOrder: Uint32Array;
  qualityMated: Uint8Array;
  /** Distances ascending; of each: the pair, its mated flag and its quality position. */
  distance: Float64Array;
  distanceOrder: Uint32Array;
  distanceMated: Uint8Array;
  distanceQualityPosition: Uint32Array;
  nFailedToAssess: number;
}

export function sortForRecomputed(similarity: Float64Array, mated: Uint8Array, quality: Float64Array): RecomputedSorted {
  const n = similarity.length;
  if (mated.length !== n || quality.length !== n) throw new AikdError('recomputedCurve: similarity, mated and quality lengths differ');
  const q = argsortStable(quality);
  const qualityPosition = new Uint32Array(n);
  const qualityMated = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    qualityPosition[q.order[p]!] = p;
    qualityMated[p] = mated[q.order[p]!]!;
  }
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = angularDistance(similarity[i]!);
  const ds = argsortStable(d);
  const distanceMated = new Uint8Array(n);
  const distanceQualityPosition = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    distanceMated[k] = mated[ds.order[k]!]!;
    distanceQualityPosition[k] = qualityPosition[ds.order[k]!]!;
  }
  let nFailedToAssess = 0;
  while (nFailedToAssess < n && q.sorted[nFailedToAssess] === -Infinity) nFailedToAssess++;
  return { n, qualityOrder: q.order, qualityMated, distance: ds.sorted, distanceOrder: ds.order, distanceMated, distanceQualityPosition, nFailedToAssess };
}

/**
 * The CR-FIQA ERC on sorted pairs (module comment). `weights[i]` counts pair i that many times, as if it were
 * repeated in place (copies adjacent in the quality order, so a cut may keep some of them): a bootstrap replicate.
 * Per grid point O(pairs up to the threshold in distance order).
 */
export function recomputedPoints(c: RecomputedSorted, fmr: number, grid: Float64Array, weights?: ArrayLike<number>): RecomputedCurve {
  const { n, qualityOrder, qualityMated, distance, distanceOrder, distanceMated, distanceQualityPosition: dPos } = c;
  // the weights in quality order and in distance order (sequential reads in the loops below)
  const wq = new Uint32Array(n);
  const wd = new Uint32Array(n);
  if (weights)
    for (let k = 0; k < n; k++) {
      wq[k] = weights[qualityOrder[k]!]!;
      wd[k] = weights[distanceOrder[k]!]!;
    }
  else {
    wq.fill(1);
    wd.fill(1);
  }
  // cumulative weight before each quality position, and the mated / non-mated weight from each position on
  const before = new Float64Array(n + 1);
  for (let p = 0; p < n; p++) before[p + 1] = before[p]! + wq[p]!;
  const matedFrom = new Float64Array(n + 1);
  const nonmatedFrom = new Float64Array(n + 1);
  for (let p = n - 1; p >= 0; p--) {
    matedFrom[p] = matedFrom[p + 1]! + (qualityMated[p] ? wq[p]! : 0);
    nonmatedFrom[p] = nonmatedFrom[p + 1]! + (qualityMated[p] ? 0 : wq[p]!);
  }
  const total = before[n]!;
  const m = grid.length;
  const error = new Float64Array(m);
  const remaining = new Int32Array(m);
  const threshold = new Float64Array(m);
  const fmrAt = new Float64Array(m);
  let cutAt = 0; // the quality position the cut falls in
  for (let g = 0; g < m; g++) {
    // erc.py: qlts_sorted_idx[int(u_rate * num_pairs):]
    const cut = Math.floor(grid[g]! * total);
    while (cutAt < n && before[cutAt + 1]! <= cut) cutAt++;
    const partial = cutAt < n ? before[cutAt + 1]! - cut : 0; // copies of the pair at the cut that are kept
    const next = Math.min(n, cutAt + 1);
    const keptMated = matedFrom[next]! + (cutAt < n && qualityMated[cutAt] ? partial : 0);
    const keptNonmated = nonmatedFrom[next]! + (cutAt < n && !qualityMated[cutAt] ? partial : 0);
    remaining[g] = keptMated;
    if (keptNonmated === 0) {
      threshold[g] = fmrAt[g] = error[g] = NaN;
      continue;
    }
    // candidates ascending: the last minimum of |FMR − target| here is roc.py's first in descending order. While
    // FMR ≤ target the distance to it only shrinks, so every candidate up to the first one farther than the best so
    // far is the new best (a candidate with no impostor keeps the FMR, and the distance, of the one before it).
    let falseMatches = 0;
    let genuineBelow = 0;
    let best = Infinity;
    let th = NaN;
    let thFalseMatches = 0;
    let thGenuineBelow = 0;
    let k = 0;
    while (k < n) {
      const t = distance[k]!;
      let gen = 0;
      let imp = 0;
      do {
        const p = dPos[k]!;
        const kept = p > cutAt ? wd[k]! : p === cutAt ? partial : 0;
        if (distanceMated[k]) gen += kept;
        else imp += kept;
        k++;
      } while (k < n && distance[k] === t);
      if (imp > 0) {
        falseMatches += imp;
        const diff = Math.abs(falseMatches / keptNonmated - fmr);
        if (diff > best) break; // past the minimum (FMR > target): every later candidate is farther
        best = diff;
      } else if (gen === 0) continue; // not a kept pair's distance: not a candidate
      else if (best === Infinity) best = fmr; // a genuine pair below every impostor: FMR 0, |0 − target|
      th = t;
      thFalseMatches = falseMatches;
      thGenuineBelow = genuineBelow;
      genuineBelow += gen;
    }
    threshold[g] = th;
    fmrAt[g] = thFalseMatches / keptNonmated;
    // erc.py: 1 - len([g for g in pos_dists if g < th]) / len(pos_dists)
    error[g] = keptMated > 0 ? 1 - thGenuineBelow / keptMated : NaN;
  }
  return { discardFraction: Float64Array.from(grid), error, remaining, threshold, fmr: fmrAt, nFailedToAssess: c.nFailedToAssess };
}

/** `recomputedPoints` of unsorted pairs (`quality` on the higher-is-better scale, −Infinity for failures). */
export function recomputedCurve(similarity: Float64Array, mated: Uint8Array, quality: Float64Array, fmr: number, grid: Float64Array): RecomputedCurve {
  return recomputedPoints(sortForRecomputed(similarity, mated, quality), fmr, grid);
}
