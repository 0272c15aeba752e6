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

/**
 * Identity-disjoint split (for training a quality model on one part and evaluating on the other): identities are
 * shuffled with the seed and the first `round(testFraction · n)` go to `test`. Images without an identity count as
 * their own identity. Deterministic for a given seed and identity set.
 */
export function splitByIdentity(ds: Dataset, opts: { testFraction: number; seed: number | string }): { train: Dataset; test: Dataset; testIdentities: string[] } {
  if (!(opts.testFraction > 0 && opts.testFraction < 1)) throw new AikdError(`split: testFraction must be in (0, 1) (got ${opts.testFraction})`);
  const identityOf = (r: ImageRecord) => r.identity ?? `#${r.id}`;
  const identities = [...new Set(ds.images().map(identityOf))].sort();
  if (identities.length < 2) throw new AikdError(`${ds.name}: an identity-disjoint split needs at least 2 identities (has ${identities.length})`);
  const rng = rngFor(opts.seed, 'identity-split', ds.name);
  const shuffled = rng.shuffle([...identities]);
  const k = Math.min(identities.length - 1, Math.max(1, Math.round(opts.testFraction * identities.length)));
  const test = new Set(shuffled.slice(0, k));
  const tag = `split=${opts.testFraction},seed=${opts.seed}`;
  return {
    train: subsetDataset(ds, (r) => !test.has(identityOf(r)), `train:${tag}`),
    test: subsetDataset(ds, (r) => test.has(identityOf(r)), `test:${tag}`),
    testIdentities: [...test].sort(),
  };
}
