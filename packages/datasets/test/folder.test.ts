import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatasetEntry } from '../src/open.ts';
import { generatePairs } from '../src/pairs.ts';
import type { ImageRecord } from '../src/types.ts';
import { png, tempDir, writeFile } from './helpers/fixtures.ts';

describe('generatePairs', () => {
  // 4 identities of sizes 4, 3, 2, 1 → 6 + 3 + 1 = 10 mated of C(10,2) = 45; 35 non-mated
  const images: ImageRecord[] = [4, 3, 2, 1].flatMap((n, k) => Array.from({ length: n }, (_, i) => ({ id: `id${k}/${i}.png`, identity: `id${k}` })));
  const tooMany = (n: number): never => {
    throw new Error(`too many: ${n}`);
  };
  const gen = (o: Partial<Parameters<typeof generatePairs>[1]>, imgs = images) => generatePairs(imgs, { nonMated: 'balanced', seed: 0, maxPairs: 1e6, label: 't', ...o }, tooMany);

  it('all-vs-all: every unordered pair once, mated exactly when identities agree', () => {
    const r = gen({ nonMated: 'all' });
    expect([r.totalMated, r.totalNonMated, r.pairs.length]).toEqual([10, 35, 45]);
    const keys = new Set(r.pairs.map((p) => [p.a, p.b].sort().join('|')));
    expect(keys.size).toBe(45);
    const ident = new Map(images.map((r) => [r.id, r.identity]));
    for (const p of r.pairs) expect(p.mated).toBe(ident.get(p.a) === ident.get(p.b));
    expect(r.pairs.every((p) => p.a < p.b)).toBe(true);
  });

  it('balanced: all mated + as many non-mated; caps; counts exact', () => {
    const b = gen({});
    expect(b.pairs.filter((p) => p.mated)).toHaveLength(10);
    expect(b.pairs.filter((p) => !p.mated)).toHaveLength(10);
    const capped = gen({ maxMated: 4, nonMated: 7 });
    expect([capped.pairs.filter((p) => p.mated).length, capped.pairs.filter((p) => !p.mated).length]).toEqual([4, 7]);
    expect(new Set(capped.pairs.map((p) => p.a + p.b)).size).toBe(11);
  });

  it('depends on the set of images and the seed, not on their order', () => {
    const shuffled = [...images].reverse();
    expect(gen({ nonMated: 9 }, shuffled).pairs).toEqual(gen({ nonMated: 9 }).pairs);
    expect(gen({ nonMated: 9, seed: 5 }).pairs).not.toEqual(gen({ nonMated: 9 }).pairs);
  });

  it('refuses more than maxPairs; images without identity take no part', () => {
    expect(() => gen({ nonMated: 'all', maxPairs: 44 })).toThrow('too many: 45');
    expect(gen({}, [...images, { id: 'loose.png' }]).pairs.some((p) => p.a === 'loose.png' || p.b === 'loose.png')).toBe(false);
  });
});

describe('folder format with landmarks and attributes (the demo layout)', async () => {
  // $AIKD_HOME/datasets/demo/: images/<identity>/<file>.png, landmarks.txt, attributes.csv
  const dir = tempDir('folder');
  const demo = join(dir, 'demo');
  const files = ['ann/clean.png', 'ann/blur_2.png', 'ann/noise_1.png', 'ben/clean.png', 'ben/jpeg_3.png', 'cat/clean.png', 'cat/x/deep.png'];
  for (const [k, f] of files.entries()) writeFile(join(demo, 'images', f), await png(k));
  writeFile(join(demo, 'images/readme.txt'), 'not an image');
  writeFile(
    join(demo, 'landmarks.txt'),
    [
      '# image x1 y1 ... x5 y5 score',
      'ann/clean.png 38.3 51.7 73.5 51.5 56.0 71.7 41.5 92.4 70.7 92.2 0.99',
      'images/ben/clean.png 1 2 3 4 5 6 7 8 9 10   # relative to the side file',
      'deep.png 10 20 30 40 50 60 70 80 90 100',
    ].join('\n'),
  );
  writeFile(join(demo, 'attributes.csv'), 'image,degradation,severity,note,identity\nann/blur_2.png,blur,2,"soft, slight",\nben/jpeg_3.png,jpeg,3,,\ncat/x/deep.png,none,0,,carl\n');
  const entry = (extra: Record<string, unknown> = {}) => ({ name: 'demo', format: 'folder', paths: { images: join(demo, 'images') }, landmarks: join(demo, 'landmarks.txt'), attributes: join(demo, 'attributes.csv'), ...extra });

  it('identities from folders, side files attached, pairs after the identity override', async () => {
    const ds = await openDatasetEntry(entry(), { dataRoot: dir });
    expect(ds.images().map((r) => r.id)).toEqual(['ann/blur_2.png', 'ann/clean.png', 'ann/noise_1.png', 'ben/clean.png', 'ben/jpeg_3.png', 'cat/clean.png', 'cat/x/deep.png']);
    expect(ds.image('ann/clean.png')!.landmarks).toEqual([[38.3, 51.7], [73.5, 51.5], [56.0, 71.7], [41.5, 92.4], [70.7, 92.2]]);
    expect(ds.image('ann/clean.png')!.attributes).toEqual({ landmark_score: 0.99 });
    expect(ds.image('ben/clean.png')!.landmarks![0]).toEqual([1, 2]);
    expect(ds.image('cat/x/deep.png')!.landmarks![4]).toEqual([90, 100]);
    expect(ds.image('ann/blur_2.png')!.attributes).toEqual({ degradation: 'blur', severity: 2, note: 'soft, slight' });
    expect(ds.image('ben/jpeg_3.png')!.attributes).toEqual({ degradation: 'jpeg', severity: 3 });
    expect(ds.image('cat/x/deep.png')!.identity).toBe('carl'); // the identity column overrides the folder
    expect(ds.image('cat/clean.png')!.identity).toBe('cat');
    // mated: ann C(3,2)=3 + ben 1 = 4 (cat and carl have one image each); balanced → 4 non-mated
    const pairs = ds.pairs();
    expect(pairs.filter((p) => p.mated)).toHaveLength(4);
    expect(pairs.filter((p) => !p.mated)).toHaveLength(4);
    for (const p of pairs) expect(p.mated).toBe(ds.image(p.a)!.identity === ds.image(p.b)!.identity);
    expect(ds.problems).toEqual([]);
  });

  it('non_mated: all gives all-vs-all', async () => {
    const ds = await openDatasetEntry(entry({ options: { non_mated: 'all' } }), { dataRoot: dir });
    expect(ds.pairs()).toHaveLength(21);
  });

  it('side-file errors name file and line; unknown names and unknown options are warnings', async () => {
    writeFile(join(demo, 'bad-lm.txt'), 'ann/clean.png 1 2 3\n');
    await expect(openDatasetEntry(entry({ landmarks: join(demo, 'bad-lm.txt') }), { dataRoot: dir })).rejects.toThrow(`${join(demo, 'bad-lm.txt')}, line 1: expected \`<image> x1 y1 … x5 y5 [score]\``);
    writeFile(join(demo, 'bad-attr.csv'), 'file,x\nann/clean.png,1\n');
    await expect(openDatasetEntry(entry({ attributes: join(demo, 'bad-attr.csv') }), { dataRoot: dir })).rejects.toThrow(/bad-attr.csv, line 1: expected a header whose first column is `image`/);
    writeFile(join(demo, 'short.csv'), 'image,x\nann/clean.png,1,2\n');
    await expect(openDatasetEntry(entry({ attributes: join(demo, 'short.csv') }), { dataRoot: dir })).rejects.toThrow(/short.csv, line 2: expected 2 columns as in the header \(got 3\)/);
    writeFile(join(demo, 'other.csv'), 'image,x\nzed.png,1\nclean.png,2\n');
    const ds = await openDatasetEntry(entry({ attributes: join(demo, 'other.csv'), options: { sed: 3 } }), { dataRoot: dir });
    expect(ds.problems.map((p) => p.got)).toEqual(['unknown sed', '1 name not found, e.g. zed.png', '1 ambiguous, e.g. clean.png (give the relative path)']);
    await expect(openDatasetEntry(entry({ landmarks: join(demo, 'none.txt') }), { dataRoot: dir })).rejects.toThrow(`${join(demo, 'none.txt')}: expected a readable landmarks file (got ENOENT)`);
  });
});
