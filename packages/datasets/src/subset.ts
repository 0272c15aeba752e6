import { AikdError, rngFor } from '@aikd/core';
import type { Dataset, ImageRecord } from './types.ts';

/**
 * A view of a dataset restricted to some images (and the pairs whose two images are both kept), e.g. the demo
 * set's undegraded variants. The name records the restriction, so caches and provenance tell subsets apart.
 */
export function subsetDataset(ds: Dataset, keep: (r: ImageRecord) => boolean, label: string): Dataset {
  const images = ds.images().filter(keep);
  const ids = new Set(images.map((r) => r.id));
  const pairs = ds.pairs().filter((p) => ids.has(p.a) && ids.has(p.b));
  const byId = new Map(images.map((r) => [r.id, r]));
  return {
    name: `${ds.name}[${label}]`,
    format: ds.format,
    aligned: ds.aligned,
    cropSize: ds.cropSize,
    location: ds.location,
    images: () => images,
    pairs: () => pairs,
    image: (id) => byId.get(id),
    readImage: async (id) => {
      if (!ids.has(id)) throw new AikdError(`${ds.name}[${label}]: image ${id} is not in this subset`);
      return ds.readImage(id);
    },
    close: () => ds.close(),
  };
}

/**
 * Parse `key=value[,value…]` attribute filters (`degradation=clean`, `identity=franck`) into a predicate; several
 * filters must all hold. Numbers compare as numbers.
 */
export function attributeFilter(filters: readonly string[]): { keep: (r: ImageRecord) => boolean; label: string } {
  const parsed = filters.map((f) => {
    const m = /^([A-Za-z_][\w.-]*)=(.*)$/.exec(f);
    if (!m) throw new AikdError(`filter "${f}": expected key=value (e.g. degradation=clean)`);
    return { key: m[1]!, values: m[2]!.split(',') };
  });
  const value = (r: ImageRecord, key: string): string | undefined =>
    key === 'identity' ? r.identity : key === 'id' ? r.id : r.attributes?.[key] !== undefined ? String(r.attributes[key]) : undefined;
  return {
    keep: (r) => parsed.every(({ key, values }) => {
      const v = value(r, key);
      return v !== undefined && values.some((x) => x === v || (Number.isFinite(Number(x)) && Number(x) === Number(v)));
    }),
    label: filters.join(';'),
  };
}

/** An image's identity for identity-disjoint splits: its label, or (an image without one) the image itself. */
export function identityOf(r: ImageRecord): string {
  return r.identity ?? `#${r.id}`;
}

/**
 * The one identity-disjoint split (teachers, AI-KD students, experiments and the learned methods' validation split
 * all use it): the distinct identities are sorted, shuffled with `rngFor(seed, ...stream)`, and the first
 * k = round(fraction · n), at least 1 and at most n − 1, are held out. Nothing is held out when fraction ≤ 0 or there
 * are fewer than 2 identities. Deterministic for a given (identity set, fraction, seed, stream).
 */
export function splitItemsByIdentity<T>(
  items: readonly T[],
  identity: (item: T) => string,
  opts: { fraction: number; seed: number | string; stream: readonly (string | number)[] },
): { train: T[]; test: T[]; testIdentities: string[] } {
  const names = [...new Set(items.map(identity))].sort();
  if (!(opts.fraction > 0) || names.length < 2) return { train: [...items], test: [], testIdentities: [] };
  const k = Math.min(names.length - 1, Math.max(1, Math.round(opts.fraction * names.length)));
  const held = new Set(rngFor(opts.seed, ...opts.stream).shuffle(names).slice(0, k));
  return { train: items.filter((t) => !held.has(identity(t))), test: items.filter((t) => held.has(identity(t))), testIdentities: [...held].sort() };
}

/**
 * Identity-disjoint split of a dataset (for training a quality model on one part and evaluating on the other): the
 * split above over its images, keyed by (seed, 'identity-split', dataset name), so a teacher, a student and an
 * experiment given the same (dataset, fraction, seed) hold out the same identities.
 */
export function splitByIdentity(ds: Dataset, opts: { testFraction: number; seed: number | string }): { train: Dataset; test: Dataset; testIdentities: string[] } {
  if (!(opts.testFraction > 0 && opts.testFraction < 1)) throw new AikdError(`split: testFraction must be in (0, 1) (got ${opts.testFraction})`);
  const images = ds.images();
  const identities = new Set(images.map(identityOf));
  if (identities.size < 2) throw new AikdError(`${ds.name}: an identity-disjoint split needs at least 2 identities (has ${identities.size})`);
  const split = splitItemsByIdentity(images, identityOf, { fraction: opts.testFraction, seed: opts.seed, stream: ['identity-split', ds.name] });
  const test = new Set(split.testIdentities);
  const tag = `split=${opts.testFraction},seed=${opts.seed}`;
  return {
    train: subsetDataset(ds, (r) => !test.has(identityOf(r)), `train:${tag}`),
    test: subsetDataset(ds, (r) => test.has(identityOf(r)), `test:${tag}`),
    testIdentities: split.testIdentities,
  };
}
