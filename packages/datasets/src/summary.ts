import type { Dataset } from './types.ts';

export interface DatasetCounts {
  images: number;
  /** Distinct identity labels, or null when the format gives none. */
  identities: number | null;
  pairs: number;
  mated: number;
  nonMated: number;
  /** Distinct folds among the pairs, or null when pairs have none. */
  folds: number | null;
}

/** Counts from the records alone (no image is read). */
export function countDataset(ds: Dataset): DatasetCounts {
  const ids = new Set<string>();
  for (const r of ds.images()) if (r.identity !== undefined) ids.add(r.identity);
  const folds = new Set<number>();
  let mated = 0;
  for (const p of ds.pairs()) {
    if (p.mated) mated++;
    if (p.fold !== undefined) folds.add(p.fold);
  }
  const pairs = ds.pairs().length;
  return { images: ds.images().length, identities: ids.size ? ids.size : null, pairs, mated, nonMated: pairs - mated, folds: folds.size ? folds.size : null };
}
