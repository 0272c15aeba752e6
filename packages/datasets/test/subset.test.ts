import { rngFor } from '@aikd/core';
import { describe, expect, it } from 'vitest';
import { subsetDataset, attributeFilter, splitByIdentity, splitItemsByIdentity, type Dataset } from '../src/index.ts';

const ds: Dataset = {
  name: 'toy',
  format: 'folder',
  aligned: false,
  location: '/x',
  images: () => [
    { id: 'a1', identity: 'a', attributes: { degradation: 'clean', severity: 0 } },
    { id: 'a2', identity: 'a', attributes: { degradation: 'blur', severity: 0.5 } },
    { id: 'b1', identity: 'b', attributes: { degradation: 'clean', severity: 0 } },
  ],
  pairs: () => [
    { a: 'a1', b: 'a2', mated: true },
    { a: 'a1', b: 'b1', mated: false },
    { a: 'a2', b: 'b1', mated: false },
  ],
  image: () => undefined,
  readImage: async () => new Uint8Array([1]),
  close: async () => {},
};

describe('subsetDataset', () => {
  it('keeps the chosen images and only the pairs between them', async () => {
    const f = attributeFilter(['degradation=clean']);
    const s = subsetDataset(ds, f.keep, f.label);
    expect(s.name).toBe('toy[degradation=clean]');
    expect(s.images().map((r) => r.id)).toEqual(['a1', 'b1']);
    expect(s.pairs()).toEqual([{ a: 'a1', b: 'b1', mated: false }]);
    expect(s.image('a1')?.identity).toBe('a');
    await expect(s.readImage('a2')).rejects.toThrow(/a2 is not in this subset/);
  });
  it('filters compare numbers as numbers, take lists, and need key=value', () => {
    expect(ds.images().filter(attributeFilter(['severity=0.50']).keep).map((r) => r.id)).toEqual(['a2']);
    expect(ds.images().filter(attributeFilter(['identity=a', 'degradation=clean,blur']).keep).map((r) => r.id)).toEqual(['a1', 'a2']);
    expect(() => attributeFilter(['clean'])).toThrow(/expected key=value/);
  });
});

describe('splitByIdentity', () => {
  const many: Dataset = {
    ...ds,
    images: () => Array.from({ length: 40 }, (_, i) => ({ id: `i${i}`, identity: `p${i % 10}` })),
    pairs: () => Array.from({ length: 39 }, (_, i) => ({ a: `i${i}`, b: `i${i + 1}`, mated: false })),
  };
  it('is identity-disjoint, complete, seeded and sized by the fraction', async () => {
    const { train, test, testIdentities } = splitByIdentity(many, { testFraction: 0.3, seed: 1 });
    const idOf = (d: Dataset) => new Set(d.images().map((r) => r.identity));
    expect(testIdentities).toHaveLength(3);
    expect([...idOf(test)].sort()).toEqual(testIdentities);
    expect([...idOf(train)].some((x) => idOf(test).has(x))).toBe(false);
    expect(train.images().length + test.images().length).toBe(40);
    expect(splitByIdentity(many, { testFraction: 0.3, seed: 1 }).testIdentities).toEqual(testIdentities);
    expect(splitByIdentity(many, { testFraction: 0.3, seed: 2 }).testIdentities).not.toEqual(testIdentities);
    // pairs crossing the split are dropped
    expect(test.pairs().every((p) => test.image(p.a) && test.image(p.b))).toBe(true);
  });
});

describe('splitItemsByIdentity', () => {
  it('identity-disjoint, seeded, a fraction of the identities (at least one, never all)', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `p${i % 7}`);
    const rows = Array.from({ length: 50 }, (_, i) => i);
    const split = (fraction: number, seed: number) => splitItemsByIdentity(rows, (r) => ids[r]!, { fraction, seed, stream: ['val'] });
    const a = split(0.3, 5);
    expect(split(0.3, 5)).toEqual(a);
    const tr = new Set(a.train.map((i) => ids[i])), te = new Set(a.test.map((i) => ids[i]));
    expect([...te].filter((x) => tr.has(x))).toEqual([]);
    expect(te.size).toBe(2); // round(0.3 · 7)
    expect([...te].sort()).toEqual(a.testIdentities);
    expect(a.train.length + a.test.length).toBe(50);
    expect(split(0.01, 5).test.length).toBeGreaterThan(0);
    expect(new Set(split(0.99, 5).train.map((i) => ids[i])).size).toBe(1);
    expect(split(0, 5)).toEqual({ train: rows, test: [], testIdentities: [] });
    // the stream and the seed choose the identities; the order of the items does not
    const seeds = Array.from({ length: 8 }, (_, s) => split(0.3, s).testIdentities.join());
    expect(new Set(seeds).size).toBeGreaterThan(1);
    expect(splitItemsByIdentity([...rows].reverse(), (r) => ids[r]!, { fraction: 0.3, seed: 5, stream: ['val'] }).testIdentities).toEqual(a.testIdentities);
  });

  it('is the documented procedure: sorted identities, rngFor(seed, ...stream).shuffle, the first round(f · n)', () => {
    const ids = ['c', 'a', 'b', 'e', 'd', 'a', 'c'];
    const got = splitItemsByIdentity(ids, (x) => x, { fraction: 0.4, seed: 9, stream: ['identity-split', 'ds'] }).testIdentities;
    // a plain re-statement from the doc comment, not the production code
    const want = rngFor(9, 'identity-split', 'ds').shuffle(['a', 'b', 'c', 'd', 'e']).slice(0, 2).sort();
    expect(got).toEqual(want);
  });

  it('splitByIdentity holds out the identities splitItemsByIdentity picks with (seed, "identity-split", dataset name)', () => {
    const many: Dataset = { ...ds, name: 'many', images: () => Array.from({ length: 30 }, (_, i) => ({ id: `i${i}`, identity: i < 27 ? `p${i % 9}` : undefined })), pairs: () => [] };
    const s = splitByIdentity(many, { testFraction: 0.25, seed: 4 });
    const want = splitItemsByIdentity(many.images(), (r) => r.identity ?? `#${r.id}`, { fraction: 0.25, seed: 4, stream: ['identity-split', 'many'] }).testIdentities;
    expect(s.testIdentities).toEqual(want);
    expect(s.testIdentities).toHaveLength(3); // round(0.25 · 12): 9 labelled identities and 3 images without one
  });
});
