import { describe, expect, it } from 'vitest';
import { subsetDataset, attributeFilter, splitByIdentity, type Dataset } from '../src/index.ts';

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
