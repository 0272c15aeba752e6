/**
 * SDD-FIQA's pseudo-labels (Ou et al., CVPR 2021; Tencent/TFace quality/generate_pseudo_labels): for every image,
 * the Wasserstein-1 distance between its cosine similarities to m random same-identity images (all of them when
 * the identity has fewer) and to m random other-identity images (distinct, all when fewer exist); K repeats with
 * fresh draws, each min-max normalised to [0, 100] over all labelled images, then averaged. Images whose identity
 * has no other image get no label (NaN), as the original skips them.
 */
import { rngFor } from '@aikd/core';
import { checkRows, groupIdentities, normalizeRows, rowDot, type EmbeddingRows } from '../labels-common.ts';

/**
 * Wasserstein-1 distance between two 1-D empirical distributions with equal weights per sample (scipy's
 * `wasserstein_distance(u, v)`): ∫ |F_u(x) − F_v(x)| dx over the merged sorted support.
 */
export function wasserstein1(u: ArrayLike<number>, v: ArrayLike<number>): number {
  if (!u.length || !v.length) throw new RangeError('wasserstein1: both samples must be non-empty');
  const a = Float64Array.from(u).sort(), b = Float64Array.from(v).sort();
  const all = Float64Array.from([...a, ...b]).sort();
  let i = 0, j = 0, w = 0;
  for (let k = 0; k < all.length - 1; k++) {
    const x = all[k]!;
    while (i < a.length && a[i]! <= x) i++;
    while (j < b.length && b[j]! <= x) j++;
    w += Math.abs(i / a.length - j / b.length) * (all[k + 1]! - x);
  }
  return w;
}

export interface SddLabels {
  /** Mean of the K normalised runs, in [0, 100]; NaN without a same-identity partner. */
  labels: Float64Array;
  /** The raw distances of every run [K][n] (NaN where unlabelled). */
  runs: Float64Array[];
}

export function sddPseudoLabels(e: EmbeddingRows, identities: readonly string[], ids: readonly string[], opts: { m: number; K: number; seed: number | string }): SddLabels {
  checkRows(e, identities, 'SDD-FIQA');
  const { of, members } = groupIdentities(identities, 'SDD-FIQA');
  const X = normalizeRows(e), d = e.dim, n = e.n;
  const otherLists = new Map<number, number[]>();
  const othersOf = (c: number) => {
    let l = otherLists.get(c);
    if (!l) otherLists.set(c, (l = Array.from({ length: n }, (_, j) => j).filter((j) => of[j] !== c)));
    return l;
  };
  const runs: Float64Array[] = [];
  const sum = new Float64Array(n);
  for (let k = 0; k < opts.K; k++) {
    const wd = new Float64Array(n).fill(NaN);
    for (let i = 0; i < n; i++) {
      const same = members[of[i]!]!.filter((j) => j !== i);
      if (!same.length) continue;
      const rng = rngFor(opts.seed, 'sddfiqa', k, ids[i]!);
      const pos = rng.sampleIndices(same.length, opts.m).map((p) => rowDot(X, d, i, same[p]!));
      const others = othersOf(of[i]!);
      const neg = rng.sampleIndices(others.length, opts.m).map((q) => rowDot(X, d, i, others[q]!));
      wd[i] = wasserstein1(pos, neg);
    }
    runs.push(wd);
    let lo = Infinity, hi = -Infinity;
    for (const x of wd) if (Number.isFinite(x)) (lo = Math.min(lo, x)), (hi = Math.max(hi, x));
    for (let i = 0; i < n; i++) sum[i]! += Number.isFinite(wd[i]!) ? (hi > lo ? ((wd[i]! - lo) / (hi - lo)) * 100 : 0) : NaN;
  }
  return { labels: sum.map((s) => s / opts.K), runs };
}
