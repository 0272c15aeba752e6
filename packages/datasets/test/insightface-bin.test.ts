import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatasetEntry } from '../src/open.ts';
import { decodeImage } from '../src/image-codec.ts';
import { contiguousFold } from '../src/pairs.ts';
import { binPickleBytes, PICKLE_STYLES } from './helpers/pickle-writer.ts';
import { jpeg, tempDir } from './helpers/fixtures.ts';

describe('contiguousFold (sklearn KFold without shuffling)', () => {
  it('splits n items into k folds, the first n % k one larger', () => {
    const sizes = (n: number, k: number) => {
      const s = new Array(k).fill(0);
      for (let i = 0; i < n; i++) s[contiguousFold(i, n, k)]++;
      return s;
    };
    expect(sizes(6000, 10)).toEqual(new Array(10).fill(600));
    expect(sizes(25, 10)).toEqual([3, 3, 3, 3, 3, 2, 2, 2, 2, 2]);
    expect(sizes(3, 5)).toEqual([1, 1, 1, 0, 0]);
    // folds are contiguous and non-decreasing
    const f = Array.from({ length: 25 }, (_, i) => contiguousFold(i, 25, 10));
    expect(f.slice(0, 7)).toEqual([0, 0, 0, 1, 1, 1, 2]);
    expect(f.every((x, i) => i === 0 || x >= f[i - 1]!)).toBe(true);
  });
});

describe('insightface-bin format', async () => {
  const dir = tempDir('bin');
  const n = 25;
  const images = await Promise.all(Array.from({ length: 2 * n }, (_, i) => jpeg(i, 32)));
  const issame = Array.from({ length: n }, (_, i) => i % 4 !== 1);

  for (const style of PICKLE_STYLES)
    it(`${style}: ids, pairs, mated flags, folds and exact image bytes`, async () => {
      writeFileSync(join(dir, `${style}.bin`), binPickleBytes(images, issame, style));
      const ds = await openDatasetEntry({ name: 'b', format: 'insightface-bin', paths: { bin: `${style}.bin` }, aligned: true, crop_size: 32 }, { dataRoot: dir });
      try {
        expect(ds.images().map((r) => r.id).slice(0, 3)).toEqual(['00000', '00001', '00002']);
        expect(ds.images()).toHaveLength(2 * n);
        expect(ds.images().every((r) => r.identity === undefined && r.path === undefined)).toBe(true);
        const pairs = ds.pairs();
        expect(pairs).toHaveLength(n);
        expect(pairs[7]).toEqual({ a: '00014', b: '00015', mated: issame[7], fold: 2 });
        expect(pairs.map((p) => p.mated)).toEqual(issame);
        expect(pairs.map((p) => p.fold)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
        for (const i of [0, 13, 2 * n - 1]) expect(await ds.readImage(ds.images()[i]!.id)).toEqual(images[i]);
        const img = await decodeImage(await ds.readImage('00049'));
        expect([img.width, img.height, img.channels]).toEqual([32, 32, 3]);
        expect(ds.aligned).toBe(true);
        expect(ds.cropSize).toBe(32);
        expect(ds.location).toBe(join(dir, `${style}.bin`));
        await expect(ds.readImage('50000')).rejects.toThrow(/expected an image with id "50000"/);
      } finally {
        await ds.close();
      }
    });

  it('option folds changes the fold count', async () => {
    writeFileSync(join(dir, 'f.bin'), binPickleBytes(images, issame, 'py2'));
    const ds = await openDatasetEntry({ name: 'b', format: 'insightface-bin', paths: { bin: 'f.bin' }, options: { folds: 5 } }, { dataRoot: dir });
    expect(new Set(ds.pairs().map((p) => p.fold))).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(ds.pairs().filter((p) => p.fold === 0)).toHaveLength(5);
    await ds.close();
  });

  it('a truncated .bin fails to open with the file, offset and "truncated"', async () => {
    const full = binPickleBytes(images, issame, 'py2');
    writeFileSync(join(dir, 'cut.bin'), full.subarray(0, Math.floor(full.length * 0.6)));
    await expect(openDatasetEntry({ name: 'b', format: 'insightface-bin', paths: { bin: 'cut.bin' } }, { dataRoot: dir })).rejects.toThrow(
      new RegExp(`${join(dir, 'cut.bin')}, byte offset \\d+, opcode .*the file is truncated`),
    );
  });

  it('a missing .bin is a clear error', async () => {
    await expect(openDatasetEntry({ name: 'b', format: 'insightface-bin', paths: { bin: 'nope.bin' } }, { dataRoot: dir })).rejects.toThrow(/nope.bin: expected a readable pickle file \(got ENOENT\)/);
  });
});
