import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatasetEntry } from '../src/open.ts';
import type { DatasetProblem } from '../src/problems.ts';
import { jpeg, tempDir, writeFile } from './helpers/fixtures.ts';

const PEOPLE: Record<string, number> = { Alice_A: 3, Bob: 2, Carol: 1, Dave: 2, Eve: 1 };

async function makeLfw(root: string): Promise<Map<string, Uint8Array>> {
  const bytes = new Map<string, Uint8Array>();
  let seed = 0;
  for (const [name, count] of Object.entries(PEOPLE))
    for (let k = 1; k <= count; k++) {
      const id = `${name}/${name}_${String(k).padStart(4, '0')}.jpg`;
      const b = await jpeg(seed++);
      writeFile(join(root, id), b);
      bytes.set(id, b);
    }
  return bytes;
}

// 2 folds × (2 mated + 2 non-mated), tabs and spaces mixed as in the real files
const PAIRS = ['2\t2', 'Alice_A\t1\t2', 'Bob 1   2', 'Alice_A\t3\tCarol\t1', 'Bob 2 Dave 1', 'Alice_A 2 3', ' Dave\t1 2 ', 'Carol 1 Dave 2', 'Alice_A 1\tBob 1', ''].join('\n');

describe('lfw format', async () => {
  const dir = tempDir('lfw');
  const bytes = await makeLfw(join(dir, 'lfw'));
  writeFile(join(dir, 'lfw/pairs.txt'), PAIRS);
  const entry = (extra: Record<string, unknown> = {}, pairs = 'lfw/pairs.txt') => ({ name: 'l', format: 'lfw', paths: { images: 'lfw', pairs }, ...extra });

  it('reads pairs.txt: ids, mated flags from the token count, folds from the position', async () => {
    const ds = await openDatasetEntry(entry(), { dataRoot: dir });
    const p = ds.pairs();
    expect(p).toHaveLength(8);
    expect(p[0]).toEqual({ a: 'Alice_A/Alice_A_0001.jpg', b: 'Alice_A/Alice_A_0002.jpg', mated: true, fold: 0 });
    expect(p[2]).toEqual({ a: 'Alice_A/Alice_A_0003.jpg', b: 'Carol/Carol_0001.jpg', mated: false, fold: 0 });
    expect(p[5]).toEqual({ a: 'Dave/Dave_0001.jpg', b: 'Dave/Dave_0002.jpg', mated: true, fold: 1 });
    expect(p.map((x) => x.mated)).toEqual([true, true, false, false, true, true, false, false]);
    expect(p.map((x) => x.fold)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    // images: those the pairs use (Eve is in no pair), with identities and paths
    expect(ds.images().map((r) => r.id).sort()).toEqual([...bytes.keys()].filter((k) => !k.startsWith('Eve')).sort());
    expect(ds.image('Bob/Bob_0002.jpg')).toEqual({ id: 'Bob/Bob_0002.jpg', identity: 'Bob', path: join(dir, 'lfw/Bob/Bob_0002.jpg') });
    expect(await ds.readImage('Dave/Dave_0002.jpg')).toEqual(bytes.get('Dave/Dave_0002.jpg'));
    expect(ds.pairOrigin(3)).toBe(`${join(dir, 'lfw/pairs.txt')} line 5`);
    expect(ds.problems).toEqual([]);
    await ds.close();
  });

  it('images: all loads every image in the folder; images: people the people file', async () => {
    const all = await openDatasetEntry(entry({ options: { images: 'all' } }), { dataRoot: dir });
    expect(all.images()).toHaveLength(9);
    expect(all.image('Eve/Eve_0001.jpg')?.identity).toBe('Eve');
    expect(all.pairs()).toHaveLength(8);
    writeFile(join(dir, 'lfw/people.txt'), '2\n2\nAlice_A\t3\nBob\t2\n3\nCarol 1\nDave 2\nEve 1\n');
    const people = await openDatasetEntry({ ...entry({ options: { images: 'people' } }), paths: { images: 'lfw', pairs: 'lfw/pairs.txt', people: 'lfw/people.txt' } }, { dataRoot: dir });
    expect(people.images().map((r) => r.id).sort()).toEqual([...bytes.keys()].sort());
  });

  it('pairsDevTrain/Test-style header (one number): a single fold', async () => {
    writeFile(join(dir, 'lfw/pairsDevTest.txt'), '2\nAlice_A 1 3\nDave 1 2\nEve 1 Bob 2\nCarol 1 Alice_A 2\n');
    const ds = await openDatasetEntry(entry({}, 'lfw/pairsDevTest.txt'), { dataRoot: dir });
    expect(ds.pairs().map((p) => [p.mated, p.fold])).toEqual([[true, 0], [true, 0], [false, 0], [false, 0]]);
  });

  it('without a pairs file: images only', async () => {
    const ds = await openDatasetEntry({ name: 'l', format: 'lfw', paths: { images: 'lfw' }, options: { images: 'all' } }, { dataRoot: dir });
    expect(ds.images()).toHaveLength(9);
    expect(ds.pairs()).toEqual([]);
  });

  it('bad header, wrong line count, bad line, missing image: errors naming file and line', async () => {
    const open = (text: string) => {
      writeFile(join(dir, 'bad/pairs.txt'), text);
      return openDatasetEntry(entry({}, 'bad/pairs.txt'), { dataRoot: dir });
    };
    const file = join(dir, 'bad/pairs.txt');
    await expect(open('ten 300\nBob 1 2\n')).rejects.toThrow(`${file}, line 1: expected a header \`<folds> <pairs per class>\``);
    await expect(open('1 2\nBob 1 2\nDave 1 2\nEve 1 Bob 2\n')).rejects.toThrow(`${file}, line 4 (end of file): expected 4 pair lines after the header "1 2" (1 fold × (2 mated + 2 non-mated)) (got 3 lines)`);
    await expect(open('1 1\nBob 1 2\nEve 1 Bob 2\nDave 1 2\n')).rejects.toThrow(`${file}, line 4: expected 2 pair lines`);
    await expect(open('1 1\nBob 1\nEve 1 Bob 2\n')).rejects.toThrow(`${file}, line 2: expected 3 tokens \`name n1 n2\` (mated) or 4 tokens \`name1 n1 name2 n2\` (non-mated), image numbers >= 1 (got "Bob 1")`);
    await expect(open('1 1\nBob 0 2\nEve 1 Bob 2\n')).rejects.toThrow(/line 2: expected 3 tokens/);
    await expect(open('1 1\nBob 1 2\nEve 1 Bob 7\n')).rejects.toThrow(`${file}, line 3: expected image file ${join(dir, 'lfw/Bob/Bob_0007.jpg')} (got no such file)`);
  });

  it('collecting mode (check) gathers every problem and keeps the good pairs', async () => {
    writeFile(join(dir, 'bad/many.txt'), '1 3\nBob 1 2\nBob 1\nAlice_A 1 9\nEve 1 Bob 2\nEve 1 Zed 1\nCarol 1 Dave 1\n');
    const problems: DatasetProblem[] = [];
    const ds = await openDatasetEntry(entry({}, 'bad/many.txt'), { dataRoot: dir, onProblem: (p) => problems.push(p) });
    expect(problems.map((p) => [p.severity, p.where])).toEqual([
      ['error', 'line 3'],
      ['error', 'line 4'],
      ['error', 'line 6'],
    ]);
    expect(ds.pairs()).toHaveLength(3);
    expect(ds.pairs().map((p) => p.fold)).toEqual([0, 0, 0]);
    expect(ds.pairOrigin(2)).toMatch(/many.txt line 7$/);
  });

  it('a landmarks side file attaches to LFW images by id or by unique file name', async () => {
    writeFile(join(dir, 'lfw-landmarks.txt'), '# IJB-C style\nAlice_A/Alice_A_0001.jpg 1 2 3 4 5 6 7 8 9 10 0.98\nBob_0001.jpg 11 12 13 14 15 16 17 18 19 20\nNobody_0001.jpg 1 1 1 1 1 1 1 1 1 1\n');
    const ds = await openDatasetEntry({ ...entry(), landmarks: 'lfw-landmarks.txt' }, { dataRoot: dir });
    expect(ds.image('Alice_A/Alice_A_0001.jpg')?.landmarks).toEqual([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]);
    expect(ds.image('Alice_A/Alice_A_0001.jpg')?.attributes).toEqual({ landmark_score: 0.98 });
    expect(ds.image('Bob/Bob_0001.jpg')?.landmarks?.[4]).toEqual([19, 20]);
    expect(ds.image('Bob/Bob_0002.jpg')?.landmarks).toBeUndefined();
    expect(ds.problems.map((p) => p.got)).toEqual(['1 name not found, e.g. Nobody_0001.jpg']);
  });
});

describe('xqlfw format', async () => {
  const dir = tempDir('xqlfw');
  const bytes = await makeLfw(join(dir, 'xqlfw/xqlfw_aligned_112'));
  writeFile(join(dir, 'xqlfw/xqlfw_pairs.txt'), PAIRS);
  writeFile(join(dir, 'xqlfw/xqlfw_scores.txt'), 'ID Num Score\nAlice_A 1 0.25\nBob 2 0.875\nEve 1 0.5\n');

  it('LFW layout (aligned_112 variant) + xqlfw_pairs.txt + scores as an attribute', async () => {
    const ds = await openDatasetEntry(
      { name: 'x', format: 'xqlfw', aligned: true, crop_size: 112, paths: { images: 'xqlfw/xqlfw_aligned_112', pairs: 'xqlfw/xqlfw_pairs.txt', scores: 'xqlfw/xqlfw_scores.txt' } },
      { dataRoot: dir },
    );
    expect(ds.format).toBe('xqlfw');
    expect(ds.pairs()).toHaveLength(8);
    expect(ds.pairs().filter((p) => p.mated && p.fold === 1)).toHaveLength(2);
    expect(ds.image('Alice_A/Alice_A_0001.jpg')?.attributes).toEqual({ xqlfw_score: 0.25 });
    expect(ds.image('Bob/Bob_0002.jpg')?.attributes).toEqual({ xqlfw_score: 0.875 });
    expect(ds.image('Carol/Carol_0001.jpg')?.attributes).toBeUndefined();
    expect(await ds.readImage('Carol/Carol_0001.jpg')).toEqual(bytes.get('Carol/Carol_0001.jpg'));
  });

  it('a bad scores line names the file and line', async () => {
    writeFile(join(dir, 'xqlfw/bad_scores.txt'), 'ID Num Score\nAlice_A 1\n');
    await expect(
      openDatasetEntry({ name: 'x', format: 'xqlfw', paths: { images: 'xqlfw/xqlfw_aligned_112', pairs: 'xqlfw/xqlfw_pairs.txt', scores: 'xqlfw/bad_scores.txt' } }, { dataRoot: dir }),
    ).rejects.toThrow(`${join(dir, 'xqlfw/bad_scores.txt')}, line 2: expected \`name num score\``);
  });
});
