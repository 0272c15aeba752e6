/**
 * Pair protocols for formats without a pair file (folder, adience), and the fold split used for formats whose
 * folds are implicit (.bin, pair lists).
 */
import { rngFor } from '@aikd/core';
import type { ImageRecord, PairRecord } from './types.ts';

export interface PairGenerationOptions {
  /** Keep at most this many mated pairs (seeded subsample); default all. */
  maxMated?: number;
  /** Non-mated pairs: 'all' (all-vs-all), 'balanced' (as many as the mated pairs kept) or a count. */
  nonMated: 'all' | 'balanced' | number;
  seed: number | string;
  /** Refuse to build more than this many pairs (the caller names the options that reduce it). */
  maxPairs: number;
  /** Labels the random streams, so two datasets with the same seed still draw independently. */
  label: string;
}

export interface GeneratedPairs {
  pairs: PairRecord[];
  /** Counts before subsampling. */
  totalMated: number;
  totalNonMated: number;
}

/**
 * Mated = same identity. Images are sorted by id first, so the result depends only on the set of images, the seed
 * and the options, not on the order a folder listing returned. Images without an identity take no part.
 */
export function generatePairs(images: readonly ImageRecord[], o: PairGenerationOptions, tooMany: (wanted: number) => never): GeneratedPairs {
  const labelled = images.filter((r) => r.identity !== undefined).sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const n = labelled.length;
  const ids = labelled.map((r) => r.id);
  const identityIndex = new Map<string, number>();
  const ident = labelled.map((r) => {
    let k = identityIndex.get(r.identity!);
    if (k === undefined) identityIndex.set(r.identity!, (k = identityIndex.size));
    return k;
  });
  const groups: number[][] = Array.from({ length: identityIndex.size }, () => []);
  ident.forEach((k, i) => groups[k]!.push(i));

  let totalMated = 0;
  for (const g of groups) totalMated += (g.length * (g.length - 1)) / 2;
  const totalNonMated = (n * (n - 1)) / 2 - totalMated;
  const keepMated = Math.min(totalMated, o.maxMated ?? totalMated);
  const keepNonMated = Math.min(totalNonMated, o.nonMated === 'all' ? totalNonMated : o.nonMated === 'balanced' ? keepMated : o.nonMated);
  if (keepMated + keepNonMated > o.maxPairs) tooMany(keepMated + keepNonMated);
  if (totalMated > o.maxPairs * 4) tooMany(totalMated); // enumerating the mated pairs alone would not fit

  // mated: enumerate (identities are small groups), subsample by index
  let mated: [number, number][] = [];
  for (const g of groups) for (let x = 0; x < g.length; x++) for (let y = x + 1; y < g.length; y++) mated.push([g[x]!, g[y]!]);
  if (keepMated < totalMated) mated = rngFor(o.seed, o.label, 'mated').sampleIndices(totalMated, keepMated).map((k) => mated[k]!);

  // non-mated: enumerate when most are wanted, else draw uniformly without repeats
  let nonMated: [number, number][] = [];
  if (keepNonMated > 0) {
    if (keepNonMated * 2 >= totalNonMated) {
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (ident[i] !== ident[j]) nonMated.push([i, j]);
      if (keepNonMated < totalNonMated) nonMated = rngFor(o.seed, o.label, 'non-mated').sampleIndices(totalNonMated, keepNonMated).map((k) => nonMated[k]!);
    } else {
      const rng = rngFor(o.seed, o.label, 'non-mated');
      const seen = new Set<number>();
      while (nonMated.length < keepNonMated) {
        let i = rng.int(n);
        let j = rng.int(n);
        if (i === j || ident[i] === ident[j]) continue;
        if (i > j) [i, j] = [j, i];
        const key = i * n + j;
        if (seen.has(key)) continue;
        seen.add(key);
        nonMated.push([i, j]);
      }
    }
  }
  const byIndex = (p: [number, number], q: [number, number]) => p[0] - q[0] || p[1] - q[1];
  mated.sort(byIndex);
  nonMated.sort(byIndex);
  const pairs: PairRecord[] = [
    ...mated.map(([i, j]) => ({ a: ids[i]!, b: ids[j]!, mated: true })),
    ...nonMated.map(([i, j]) => ({ a: ids[i]!, b: ids[j]!, mated: false })),
  ];
  return { pairs, totalMated, totalNonMated };
}

/**
 * Fold of item i of n under k contiguous folds, as sklearn's KFold(k, shuffle=False) splits them (the first n % k
 * folds get one extra item). This is how the InsightFace/CR-FIQA verification code folds .bin pairs.
 */
export function contiguousFold(i: number, n: number, k: number): number {
  const base = Math.floor(n / k);
  const extra = n % k;
  const bigEnd = extra * (base + 1);
  return i < bigEnd ? Math.floor(i / (base + 1)) : extra + Math.floor((i - bigEnd) / base);
}
