/** Rank statistics for checking scores against known degradations. */

/** Ranks 1..n with ties given their average rank. */
export function rankAverage(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[idx[j + 1]!] === x[idx[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]!] = avg;
    i = j + 1;
  }
  return r;
}

/** Spearman's ρ (Pearson correlation of average ranks; ties handled). Pairs with a non-finite value are left out. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`spearman: ${a.length} vs ${b.length} values`);
  const keep: number[] = [];
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) keep.push(i);
  const ra = rankAverage(keep.map((i) => a[i]!));
  const rb = rankAverage(keep.map((i) => b[i]!));
  const n = keep.length;
  if (n < 2) return NaN;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) (ma += ra[i]!), (mb += rb[i]!);
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = ra[i]! - ma, db = rb[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/** The q-quantile of sorted values, interpolated linearly between order statistics (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (!n) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h), hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface BootstrapInterval {
  /** The statistic on the data as given. */
  estimate: number;
  low: number;
  high: number;
  level: number;
  /** Replicates drawn, and how many gave a finite statistic (the interval uses those). */
  B: number;
  finite: number;
}

/**
 * Percentile bootstrap interval of a statistic over clusters resampled with replacement (a cluster bootstrap: the
 * clusters are the independent units, e.g. a person's images move together). `clusters` holds the item indices of
 * each cluster; `stat` gets the indices of one replicate (with repeats). Replicates come from `rng`, so the interval
 * is the same for the same seed.
 */
export function clusterBootstrap(
  clusters: readonly (readonly number[])[],
  stat: (indices: readonly number[]) => number,
  opts: { B: number; rng: { int(n: number): number }; level?: number },
): BootstrapInterval {
  const level = opts.level ?? 0.95;
  const all = clusters.flat();
  const reps: number[] = [];
  for (let b = 0; b < opts.B; b++) {
    const idx: number[] = [];
    for (let c = 0; c < clusters.length; c++) idx.push(...clusters[opts.rng.int(clusters.length)]!);
    const v = stat(idx);
    if (Number.isFinite(v)) reps.push(v);
  }
  reps.sort((a, b) => a - b);
  const a = (1 - level) / 2;
  return { estimate: stat(all), low: quantileSorted(reps, a), high: quantileSorted(reps, 1 - a), level, B: opts.B, finite: reps.length };
}
