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
import { argsortStable, selectInPlace, valueBuckets } from './sort.ts';
import { GRID_EPS, MAX_GRID_POINTS } from './constants.ts';
import type { EdcPoints } from './types.ts';

export interface RecomputedCurve extends EdcPoints {
  /** Thresholds are angular distances arccos(s)/π (a pair matches when its distance is below). */
  threshold: Float64Array;
  fmr: Float64Array;
  /** Comparisons (of both types) whose pair quality is −Infinity (not assessed). */
  nFailedToAssess: number;
}

/** Grid points u_i = i · step for i = 0, 1, … while u_i ≤ max (with 1e-9 slack for float steps), as np.arange. */
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

/** CR-FIQA's distance of a cosine similarity: arccos(clip(s, −1, 1)) / π. */
export const angularDistance = (s: number): number => Math.acos(s > 1 ? 1 : s < -1 ? -1 : s) / Math.PI;

/** One comparison type (genuine or impostor pairs) in ascending distance. */
interface ByDistance {
  distance: Float64Array;
  /** The pair of each and its position in the quality order. */
  pair: Uint32Array;
  qualityPosition: Uint32Array;
}

/** The pairs sorted once by quality, and each type once by distance (reused by every bootstrap replicate). */
export interface RecomputedSorted {
  n: number;
  /** `qualityOrder[p]` = pair at quality position p (stable ascending); `qualityMated[p]` its mated flag. */
  qualityOrder: Uint32Array;
  qualityMated: Uint8Array;
  genuine: ByDistance;
  /**
   * The impostors with the smallest distances, whole tie groups, in the order the full sort gives them: the curve
   * reads only the first ≈ FMR · N of them at each grid point. `completeImpostors()` replaces them by all impostors
   * (the same order continued) when a walk reaches the end; `impostorsComplete` says whether it has.
   */
  impostor: ByDistance;
  impostorsComplete: boolean;
  completeImpostors(): void;
  /** The similarities (not copied): a pair's distance is computed again where one is needed. */
  similarity: Float64Array;
  nFailedToAssess: number;
}

/** `impostorPrefix`: how many impostors to sort up front at least (default IMPOSTOR_PREFIX_MIN; tests make it small). */
export function sortForRecomputed(similarity: Float64Array, mated: Uint8Array, quality: Float64Array, opts: { impostorPrefix?: number } = {}): RecomputedSorted {
  const n = similarity.length;
  if (mated.length !== n || quality.length !== n) throw new AikdError('recomputedCurve: similarity, mated and quality lengths differ');
  const q = argsortStable(quality);
  const qualityPosition = new Uint32Array(n);
  const qualityMated = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    qualityPosition[q.order[p]!] = p;
    qualityMated[p] = mated[q.order[p]!]!;
  }
  // typed arrays filled by plain loops: at 10⁷ pairs, callbacks and JS arrays cost seconds
  const ofType = (m: number) => {
    let count = 0;
    for (let i = 0; i < n; i++) if (mated[i] === m) count++;
    const idx = new Uint32Array(count);
    const d = new Float64Array(count);
    let finite = true;
    for (let i = 0, k = 0; i < n; i++)
      if (mated[i] === m) {
        idx[k] = i;
        const x = angularDistance(similarity[i]!);
        if (x !== x) finite = false;
        d[k++] = x;
      }
    return { idx, d, finite };
  };
  /** The pairs `idx` (in input order) with distances `d`, stably sorted by distance. */
  const byDistance = (idx: Uint32Array, d: Float64Array): ByDistance => {
    const s = argsortStable(d);
    const pair = new Uint32Array(idx.length);
    const position = new Uint32Array(idx.length);
    for (let k = 0; k < idx.length; k++) {
      const i = idx[s.order[k]!]!;
      pair[k] = i;
      position[k] = qualityPosition[i]!;
    }
    return { distance: s.sorted, pair, qualityPosition: position };
  };
  const g = ofType(1);
  const genuine = byDistance(g.idx, g.d);
  // impostors: the smallest distances first (a selection, then a sort of those only), the rest on demand
  let imp: { idx: Uint32Array; d: Float64Array; finite: boolean } | undefined = ofType(0);
  const prefixSize = Math.max(opts.impostorPrefix ?? IMPOSTOR_PREFIX_MIN, imp.d.length >>> 6);
  let impostor: ByDistance | undefined;
  if (imp.finite && imp.d.length > prefixSize) {
    // every impostor below the value of rank prefixSize: whole tie groups, a prefix of the full stable order
    const v = selectInPlace(Float64Array.from(imp.d), prefixSize);
    let p = 0;
    for (let k = 0; k < imp.d.length; k++) if (imp.d[k]! < v) p++;
    if (p > 0) {
      const idx = new Uint32Array(p);
      const d = new Float64Array(p);
      for (let k = 0, j = 0; k < imp.d.length; k++)
        if (imp.d[k]! < v) {
          idx[j] = imp.idx[k]!;
          d[j++] = imp.d[k]!;
        }
      impostor = byDistance(idx, d);
    }
  }
  let nFailedToAssess = 0;
  while (nFailedToAssess < n && q.sorted[nFailedToAssess] === -Infinity) nFailedToAssess++;
  const sorted: RecomputedSorted = {
    n,
    qualityOrder: q.order,
    qualityMated,
    genuine,
    impostor: impostor ?? byDistance(imp.idx, imp.d),
    impostorsComplete: !impostor,
    completeImpostors() {
      if (sorted.impostorsComplete) return;
      sorted.impostor = byDistance(imp!.idx, imp!.d);
      sorted.impostorsComplete = true;
      imp = undefined;
    },
    similarity,
    nFailedToAssess,
  };
  if (!impostor) imp = undefined;
  return sorted;
}

/** Impostors sorted up front: at least this many, or 1/64 of them (FMR targets up to ~1.5 % stay inside). */
const IMPOSTOR_PREFIX_MIN = 1 << 16;

/** The number of values in `sorted` (ascending) below `x`. */
function countBelowSorted(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The CR-FIQA ERC on sorted pairs (module comment). `weights[i]` counts pair i that many times, as if it were
 * repeated in place (copies adjacent in the quality order, so a cut may keep some of them): a bootstrap replicate.
 *
 * How, without scanning every pair at every grid point: FMR(t) only changes at impostor distances, so the candidates
 * with the same FMR form runs [i_j, i_{j+1}) between consecutive kept impostor distances, and each run's largest
 * candidate is the largest kept distance below i_{j+1}. Walking the kept impostors up from the smallest distance
 * finds the closest FMR (|FMR − target| shrinks until FMR passes the target, so the walk stops one group after it);
 * the threshold is then the larger of i_{j*} and the largest kept genuine distance below i_{j*+1}, and the FNMR needs
 * the kept genuine weight below it, counted for all grid points in one pass over the genuine pairs.
 */
export function recomputedPoints(c: RecomputedSorted, fmr: number, grid: Float64Array, weights?: ArrayLike<number>, total?: number): RecomputedCurve {
  const { n, qualityOrder, qualityMated, genuine } = c;
  const w = (i: number) => (weights ? weights[i]! : 1);
  const nGen = genuine.distance.length;
  let all = total;
  if (all === undefined) {
    all = 0;
    for (let i = 0; i < n; i++) all += w(i);
  }
  const m = grid.length;
  const error = new Float64Array(m);
  const remaining = new Int32Array(m);
  const threshold = new Float64Array(m);
  const fmrAt = new Float64Array(m);
  const cutAt = new Int32Array(m); // the quality position each cut falls in
  const partialAt = new Float64Array(m); // copies of the pair there that are kept
  const keptMated = new Float64Array(m);
  const genuineBelowCount = new Int32Array(m); // genuine pairs (by distance rank) below the threshold

  // the cuts (erc.py: qlts_sorted_idx[int(u_rate * num_pairs):]): each pair once = position floor(u · N) itself;
  // weighted, walk the quality order until the last one
  for (let g = 0, p = 0, before = 0; g < m; g++) {
    const cut = Math.floor(grid[g]! * all);
    if (!weights) {
      cutAt[g] = Math.min(cut, n);
      partialAt[g] = cut < n ? 1 : 0;
      continue;
    }
    let wp = p < n ? w(qualityOrder[p]!) : 0;
    while (p < n && before + wp <= cut) {
      before += wp;
      p++;
      wp = p < n ? w(qualityOrder[p]!) : 0;
    }
    cutAt[g] = p;
    partialAt[g] = p < n ? before + wp - cut : 0;
  }
  /** Grid points whose cut lies before quality position p: a pair there is kept whole at g < bucket(p). */
  const bucket = (p: number): number => {
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cutAt[mid]! < p) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // kept genuine weight at every grid point: one pass over the genuine pairs
  const genuineBucket = new Uint8Array(nGen); // bucket of each genuine pair (≤ 255 grid points use it; else recomputed)
  const matedInBucket = new Float64Array(m + 1);
  for (let k = 0; k < nGen; k++) {
    const b = bucket(genuine.qualityPosition[k]!);
    if (m < 255) genuineBucket[k] = b;
    matedInBucket[b]! += w(genuine.pair[k]!);
  }
  for (let g = m - 1, above = matedInBucket[m]!; g >= 0; g--) {
    keptMated[g] = above; // pairs whose cut lies before them at g: buckets g + 1 … m
    above += matedInBucket[g]!;
  }
  for (let g = 0; g < m; g++) {
    const at = cutAt[g]!;
    if (at < n && qualityMated[at]) keptMated[g]! += partialAt[g]!;
  }

  for (let g = 0; g < m; g++) {
    const at = cutAt[g]!;
    const partial = partialAt[g]!;
    const keptNonmated = all - Math.floor(grid[g]! * all) - keptMated[g]!;
    remaining[g] = keptMated[g]!;
    genuineBelowCount[g] = -1;
    if (keptNonmated === 0) {
      threshold[g] = fmrAt[g] = NaN;
      continue;
    }
    const genuineKept = (k: number) => {
      const p = genuine.qualityPosition[k]!;
      return p > at ? w(genuine.pair[k]!) > 0 : p === at && partial > 0;
    };
    /** The largest kept genuine distance below x (−Infinity when none). */
    const genuineBelow = (x: number): number => {
      for (let k = countBelowSorted(genuine.distance, x) - 1; k >= 0; k--) if (genuineKept(k)) return genuine.distance[k]!;
      return -Infinity;
    };
    // walk the kept impostor groups up: FMR 0 is a candidate when a kept genuine pair lies below all of them
    let best = Infinity;
    let bestDistance = -Infinity; // i_{j*} (−Infinity for j* = 0)
    let bestFalseMatches = 0;
    let nextImpostor = Infinity; // i_{j*+1}
    let falseMatches = 0;
    let first = true;
    let impostor = c.impostor;
    for (let k = 0; ; ) {
      if (k === impostor.distance.length) {
        if (c.impostorsComplete) break;
        c.completeImpostors(); // the walk went past the impostors sorted up front (a high FMR target)
        impostor = c.impostor;
      }
      const t = impostor.distance[k]!;
      const nImp = impostor.distance.length;
      let gw = 0;
      do {
        const p = impostor.qualityPosition[k]!;
        gw += p > at ? w(impostor.pair[k]!) : p === at ? partial : 0;
        k++;
      } while (k < nImp && impostor.distance[k] === t);
      if (gw === 0) continue;
      if (first) {
        first = false;
        if (genuineBelow(t) > -Infinity) best = Math.abs(0 / keptNonmated - fmr);
      }
      falseMatches += gw;
      const diff = Math.abs(falseMatches / keptNonmated - fmr);
      if (diff > best) {
        nextImpostor = t; // FMR is past the target: this group and all later ones are farther
        break;
      }
      best = diff;
      bestDistance = t;
      bestFalseMatches = falseMatches;
    }
    // the largest candidate with the best FMR: the largest kept distance below the next impostor group
    const th = Math.max(bestDistance, genuineBelow(nextImpostor));
    threshold[g] = th;
    fmrAt[g] = bestFalseMatches / keptNonmated;
    genuineBelowCount[g] = countBelowSorted(genuine.distance, th);
  }

  // kept genuine weight below each threshold, for all grid points in a second pass over the genuine pairs (up to the
  // last threshold), with the same buckets
  const lastCount = genuineBelowCount.reduce((a, b) => Math.max(a, b), 0);
  const bucketWeight = new Float64Array(m + 1);
  const queries = [...genuineBelowCount.keys()].filter((g) => genuineBelowCount[g]! >= 0).sort((x, y) => genuineBelowCount[x]! - genuineBelowCount[y]!);
  let q = 0;
  for (let k = 0; k <= lastCount && q < queries.length; k++) {
    // answer every grid point whose threshold has exactly k genuine pairs below it
    while (q < queries.length && genuineBelowCount[queries[q]!] === k) {
      const g = queries[q++]!;
      let below = 0;
      for (let b = g + 1; b <= m; b++) below += bucketWeight[b]!;
      // the pair the cut falls in, when it is genuine and below the threshold: its kept copies
      const at = cutAt[g]!;
      // (the first k genuine pairs are exactly those with a distance below the threshold)
      if (at < n && qualityMated[at] && angularDistance(c.similarity[qualityOrder[at]!]!) < threshold[g]!) below += partialAt[g]!;
      error[g] = keptMated[g]! > 0 ? 1 - below / keptMated[g]! : NaN;
    }
    if (k === lastCount) break;
    bucketWeight[m < 255 ? genuineBucket[k]! : bucket(genuine.qualityPosition[k]!)]! += w(genuine.pair[k]!);
  }
  for (let g = 0; g < m; g++) if (genuineBelowCount[g]! < 0) error[g] = NaN;
  return { discardFraction: Float64Array.from(grid), error, remaining, threshold, fmr: fmrAt, nFailedToAssess: c.nFailedToAssess };
}

/** Grids longer than this take the sorted path (`recomputedPoints`): the rank-free one keeps a table per grid point. */
const RANK_FREE_MAX_GRID = 64;
/** Buckets of the value histograms (pair quality; impostor distance) the rank-free path selects with. */
const HISTOGRAM_BUCKETS = 1 << 16;

/**
 * `recomputedPoints` of unsorted pairs (`quality` on the higher-is-better scale, −Infinity for failures), the same
 * numbers bit for bit, without sorting the pairs by quality or the genuine pairs by distance (rank-free):
 *
 * - a pair's fate over the grid is one number, K = #{grid points at which it is kept} (kept at u_g ⟺ g < K), since
 *   the cuts floor(u_g · N) only grow. K needs the quality value at each cut rank, not the whole order: a histogram
 *   of the qualities by value range finds the bucket holding each cut rank, only those buckets are sorted, and a tie
 *   group split by a cut is split in input order (the stable sort's), by counting the tied pairs met so far;
 * - the impostors with the smallest distances (whole buckets of a distance histogram) are sorted, as before, for the
 *   walks (recomputedPoints); the rest only when a walk goes past them;
 * - the genuine pairs are read once, into a table over (K, the interval between the walks' candidate distances):
 *   count, largest distance, and how many share it; every threshold and FNMR is then read off the table. Each walk
 *   is done both ways its start allows (with and without a kept genuine pair below the first kept impostor group),
 *   so the table's intervals are known before the genuine pairs are read.
 */
export function recomputedCurve(similarity: Float64Array, mated: Uint8Array, quality: Float64Array, fmr: number, grid: Float64Array, opts: { impostorPrefix?: number } = {}): RecomputedCurve {
  const n = similarity.length;
  if (mated.length !== n || quality.length !== n) throw new AikdError('recomputedCurve: similarity, mated and quality lengths differ');
  const m = grid.length;
  let ascending = m <= RANK_FREE_MAX_GRID;
  for (let g = 0; g < m && ascending; g++) ascending = grid[g]! >= 0 && grid[g]! < 1 && (g === 0 || grid[g]! >= grid[g - 1]!);
  if (!ascending || n === 0) return recomputedPoints(sortForRecomputed(similarity, mated, quality, opts), fmr, grid);

  const cuts = new Float64Array(m);
  for (let g = 0; g < m; g++) cuts[g] = Math.floor(grid[g]! * n);
  const { kept, nFailedToAssess } = keptCounts(quality, cuts);

  // one pass: each type's distances and K; the impostors' distance histogram (d ∈ [0, 1])
  let nGen = 0;
  for (let i = 0; i < n; i++) nGen += mated[i]! ? 1 : 0;
  const nImp = n - nGen;
  const gD = new Float64Array(nGen);
  const gK = new Uint8Array(nGen);
  const iD = new Float64Array(nImp);
  const iK = new Uint8Array(nImp);
  const impHist = new Uint32Array(HISTOGRAM_BUCKETS);
  const keptMated = new Float64Array(m + 1); // genuine pairs by K, then summed: kept genuine pairs at each g
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    const d = angularDistance(similarity[i]!);
    const k = kept[i]!;
    if (mated[i]) {
      gD[a] = d;
      gK[a++] = k;
      keptMated[k]!++;
    } else {
      iD[b] = d;
      iK[b++] = k;
      impHist[distanceBucket(d)]!++;
    }
  }
  for (let k = m - 1; k >= 0; k--) keptMated[k]! += keptMated[k + 1]!;
  // kept at g ⟺ K > g: shift so keptMated[g] = #{K > g}
  for (let g = 0; g < m; g++) keptMated[g] = keptMated[g + 1]!;

  // the impostors of the smallest distances: whole buckets (so whole tie groups), in input order, then sorted
  const prefixSize = Math.max(opts.impostorPrefix ?? IMPOSTOR_PREFIX_MIN, nImp >>> 6);
  let last = 0;
  for (let c = 0; last < HISTOGRAM_BUCKETS - 1; last++) if ((c += impHist[last]!) >= prefixSize) break;
  let impD: Float64Array<ArrayBufferLike> = new Float64Array(0);
  let impK = new Uint8Array(0);
  let complete = last === HISTOGRAM_BUCKETS - 1;
  const sortImpostors = (take: (d: number) => boolean, count: number) => {
    const d = new Float64Array(count);
    const k = new Uint8Array(count);
    for (let j = 0, p = 0; j < nImp; j++)
      if (take(iD[j]!)) {
        d[p] = iD[j]!;
        k[p++] = iK[j]!;
      }
    const s = argsortStable(d);
    impD = s.sorted;
    impK = new Uint8Array(count);
    for (let p = 0; p < count; p++) impK[p] = k[s.order[p]!]!;
  };
  if (complete) sortImpostors(() => true, nImp);
  else {
    let count = 0;
    for (let b = 0; b <= last; b++) count += impHist[b]!;
    sortImpostors((d) => distanceBucket(d) <= last, count);
  }

  // the walks (recomputedPoints): with and without a kept genuine pair below the first kept impostor group
  interface Walk {
    bestDistance: number;
    bestFalseMatches: number;
    nextImpostor: number;
  }
  const keptNonmated = new Float64Array(m);
  const first = new Float64Array(m).fill(NaN); // distance of the first kept impostor group
  const walks: [Walk, Walk][] = [];
  const walk = (g: number, genuineBelowFirst: boolean): Walk => {
    const kn = keptNonmated[g]!;
    let best = Infinity;
    let bestDistance = -Infinity;
    let bestFalseMatches = 0;
    let nextImpostor = Infinity;
    let falseMatches = 0;
    let isFirst = true;
    for (let k = 0; ; ) {
      if (k === impD.length) {
        if (complete) break;
        sortImpostors(() => true, nImp); // the walk went past the impostors sorted up front (a high FMR target)
        complete = true;
      }
      const t = impD[k]!;
      let gw = 0;
      do {
        if (impK[k]! > g) gw++;
        k++;
      } while (k < impD.length && impD[k] === t);
      if (gw === 0) continue;
      if (isFirst) {
        isFirst = false;
        first[g] = t;
        if (genuineBelowFirst) best = Math.abs(0 / kn - fmr);
      }
      falseMatches += gw;
      const diff = Math.abs(falseMatches / kn - fmr);
      if (diff > best) {
        nextImpostor = t;
        break;
      }
      best = diff;
      bestDistance = t;
      bestFalseMatches = falseMatches;
    }
    return { bestDistance, bestFalseMatches, nextImpostor };
  };
  const queries: number[] = [];
  for (let g = 0; g < m; g++) {
    keptNonmated[g] = n - cuts[g]! - keptMated[g]!;
    if (keptNonmated[g] === 0) continue;
    const pair: [Walk, Walk] = [walk(g, true), walk(g, false)];
    walks[g] = pair;
    queries.push(first[g]!, pair[0].bestDistance, pair[0].nextImpostor, pair[1].bestDistance, pair[1].nextImpostor);
  }

  // the genuine pairs once, into cells (K, interval j): the j-th interval holds Q[j−1] ≤ d < Q[j]
  const Q = Float64Array.from(new Set(queries.filter((x) => x === x))).sort();
  const nq = Q.length + 1;
  const cells = (m + 1) * nq;
  const cellCount = new Float64Array(cells);
  const cellMax = new Float64Array(cells).fill(-Infinity);
  const cellAtMax = new Float64Array(cells);
  for (let k = 0; k < nGen; k++) {
    const d = gD[k]!;
    let lo = 0;
    let hi = Q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Q[mid]! <= d) lo = mid + 1;
      else hi = mid;
    }
    const c = gK[k]! * nq + lo;
    cellCount[c]!++;
    if (d > cellMax[c]!) {
      cellMax[c] = d;
      cellAtMax[c] = 1;
    } else if (d === cellMax[c]) cellAtMax[c]!++;
  }
  /** Kept genuine pairs at g with a distance below x (a query value): their count, largest distance, and how many have it. */
  const below = (g: number, x: number) => {
    const j = x === Infinity ? nq - 1 : countBelowSorted(Q, x);
    let count = 0;
    let max = -Infinity;
    let atMax = 0;
    for (let k = g + 1; k <= m; k++)
      for (let i = 0, c = k * nq; i <= j; i++, c++) {
        count += cellCount[c]!;
        if (cellMax[c]! > max) {
          max = cellMax[c]!;
          atMax = cellAtMax[c]!;
        } else if (cellMax[c] === max && max > -Infinity) atMax += cellAtMax[c]!;
      }
    return { count, max, atMax };
  };

  const error = new Float64Array(m);
  const remaining = new Int32Array(m);
  const threshold = new Float64Array(m);
  const fmrAt = new Float64Array(m);
  for (let g = 0; g < m; g++) {
    remaining[g] = keptMated[g]!;
    if (keptNonmated[g] === 0) {
      threshold[g] = fmrAt[g] = error[g] = NaN;
      continue;
    }
    const genuineBelowFirst = below(g, first[g]!).max > -Infinity;
    const w = walks[g]![genuineBelowFirst ? 0 : 1];
    const b = below(g, w.nextImpostor);
    const th = Math.max(w.bestDistance, b.max);
    threshold[g] = th;
    fmrAt[g] = w.bestFalseMatches / keptNonmated[g]!;
    // kept genuine pairs with a distance below the threshold: below an impostor's distance (a query value), or
    // below the largest genuine distance under the next impostor (the pairs under it, less those at it)
    const accepted = th === -Infinity ? 0 : th === w.bestDistance ? below(g, th).count : b.count - b.atMax;
    error[g] = keptMated[g]! > 0 ? 1 - accepted / keptMated[g]! : NaN;
  }
  return { discardFraction: Float64Array.from(grid), error, remaining, threshold, fmr: fmrAt, nFailedToAssess };
}

/** Bucket of a distance in [0, 1] in the impostor histogram. */
const distanceBucket = (d: number): number => Math.min(HISTOGRAM_BUCKETS - 1, Math.floor(d * HISTOGRAM_BUCKETS));

/**
 * K per pair: the number of grid points whose cut (a rank in the stable ascending quality order, ascending over the
 * grid) lies at or before the pair's rank, i.e. at which it is kept; without that order (recomputedCurve). NaN
 * qualities rank as −Infinity, as in `argsortStable`.
 */
function keptCounts(quality: Float64Array, cuts: Float64Array): { kept: Uint8Array; nFailedToAssess: number } {
  const n = quality.length;
  const m = cuts.length;
  let nFailedToAssess = 0;
  for (let i = 0; i < n; i++) if (!(quality[i]! > -Infinity)) nFailedToAssess++;
  const B = HISTOGRAM_BUCKETS;
  const { bucketOf } = valueBuckets(quality, B);
  const hist = new Float64Array(B + 3);
  for (let i = 0; i < n; i++) hist[bucketOf(quality[i]!) + 1]!++;
  for (let b = 0; b <= B + 1; b++) hist[b + 1]! += hist[b]!; // hist[b] = pairs in buckets before b
  // the bucket of each cut rank, and the values of those buckets
  const cutBucket = new Int32Array(m);
  const slot = new Int32Array(B + 2).fill(-1);
  const members: number[] = [];
  for (let g = 0; g < m; g++) {
    let b = g ? cutBucket[g - 1]! : 0;
    while (hist[b + 1]! <= cuts[g]!) b++;
    cutBucket[g] = b;
    if (slot[b] < 0) slot[b] = members.push(b) - 1;
  }
  const values = members.map((b) => new Float64Array(hist[b + 1]! - hist[b]!));
  const filled = new Int32Array(members.length);
  for (let i = 0; i < n; i++) {
    const s = slot[bucketOf(quality[i]!)]!;
    if (s >= 0) {
      const x = quality[i]!;
      values[s]![filled[s]!++] = x === x ? x : -Infinity;
    }
  }
  for (const v of values) v.sort();
  // the value at each cut rank, and how many of the pairs tied with it the cut discards (the first ones in input order)
  const cutValue = new Float64Array(m);
  const tiesDiscarded = new Float64Array(m);
  for (let g = 0; g < m; g++) {
    const b = cutBucket[g]!;
    const v = values[slot[b]!]!;
    const x = v[cuts[g]! - hist[b]!]!;
    let less = 0;
    while (v[less]! < x) less++;
    cutValue[g] = x;
    tiesDiscarded[g] = cuts[g]! - hist[b]! - less;
  }
  // K of a pair in a bucket holding no cut value: the cuts in buckets before it
  const base = new Uint8Array(B + 2);
  for (let b = 0, g = 0; b < B + 2; b++) {
    while (g < m && cutBucket[g]! < b) g++;
    base[b] = g;
  }
  // ties met so far at each cut value (in input order)
  const tiesSeen = new Map<number, number>();
  const kept = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const raw = quality[i]!;
    const b = bucketOf(raw);
    let k = base[b]!;
    if (slot[b]! >= 0) {
      const x = raw === raw ? raw : -Infinity;
      while (k < m && cutBucket[k] === b && cutValue[k]! < x) k++;
      if (k < m && cutValue[k] === x) {
        const seen = tiesSeen.get(x) ?? 0;
        tiesSeen.set(x, seen + 1);
        while (k < m && cutValue[k] === x && seen >= tiesDiscarded[k]!) k++;
      }
    }
    kept[i] = k;
  }
  return { kept, nFailedToAssess };
}
