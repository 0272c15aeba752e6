import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { checkDataset } from '../src/check.ts';
import { exportDataset } from '../src/export.ts';
import { openDatasetEntry } from '../src/open.ts';
import { decodeImage, encodeJpeg } from '../src/image-codec.ts';
import { problemLine } from '../src/problems.ts';
import { binPickleBytes } from './helpers/pickle-writer.ts';
import { jpeg, tempDir, testImage, writeFile } from './helpers/fixtures.ts';

describe('check', async () => {
  const dir = tempDir('check');
  const a1 = await jpeg(1);
  writeFile(join(dir, 'lfw/A/A_0001.jpg'), a1);
  writeFile(join(dir, 'lfw/A/A_0002.jpg'), await jpeg(2));
  writeFile(join(dir, 'lfw/B/B_0001.jpg'), await jpeg(3));
  writeFile(join(dir, 'lfw/B/B_0002.jpg'), 'this is not a jpeg');
  writeFile(join(dir, 'lfw/C/C_0001.jpg'), a1); // same bytes as A_0001
  writeFile(join(dir, 'lfw/D/D_0001.jpg'), await encodeJpeg(testImage(9, 40, 40)));
  writeFile(join(dir, 'lfw/D/D_0002.jpg'), await jpeg(10));
  const pairsFile = writeFile(
    join(dir, 'lfw/pairs.txt'),
    ['2 2', 'A 1 2', 'B 1 2', 'A 1 B 1', 'A 2 D 2', /* fold 1 */ 'A 1 2', 'C 1 2', 'A 1 C 1', 'B 1 D 1', ''].join('\n'),
  );
  const entry = { name: 'bad', format: 'lfw', aligned: true, crop_size: 32, paths: { images: 'lfw', pairs: 'lfw/pairs.txt' }, expected: { pairs: 8, folds: 10, mated: 4 } };

  it('reports every problem with its file and line, and the counts', async () => {
    const r = await checkDataset(entry, { dataRoot: dir });
    expect(r.ok).toBe(false);
    const lines = r.problems.map((p) => `${p.severity}: ${problemLine(p)}`);
    const img = (id: string) => join(dir, 'lfw', id);
    expect(lines).toEqual(
      expect.arrayContaining([
        `error: ${pairsFile}, line 7: expected image file ${img('C/C_0002.jpg')} (got no such file)`,
        `warning: ${pairsFile} line 6: expected each pair once (got the same images as ${pairsFile} line 2)`,
        `warning: ${join(dir, 'lfw')}: expected balanced folds (the same mated/non-mated counts in each) (got fold 0: 2/2, fold 1: 1/2)`,
        `error: (dataset entry), dataset "bad", expected.pairs: expected 8 pairs (got 7)`,
        `error: (dataset entry), dataset "bad", expected.folds: expected 10 folds (got 2)`,
        `error: (dataset entry), dataset "bad", expected.mated: expected 4 mated (got 3)`,
        `error: ${img('D/D_0001.jpg')}: expected an aligned 32×32 crop (aligned: true, crop_size: 32) (got 40×40)`,
        `warning: ${join(dir, 'lfw')}: expected distinct image files (got 1 images repeat the bytes of another (1 groups, e.g. A/A_0001.jpg = C/C_0001.jpg))`,
      ]),
    );
    const decodeErr = lines.find((l) => l.includes('B_0002'));
    expect(decodeErr).toMatch(new RegExp(`^error: ${img('B/B_0002.jpg')}: expected a readable, decodable image \\(got .*expected a decodable image`));
    expect([r.errors, r.warnings]).toEqual([6, 3]);
    expect(r.counts).toEqual({ images: 7, identities: 4, pairs: 7, mated: 3, nonMated: 4, folds: 2 });
    expect(r.folds).toEqual([{ fold: 0, mated: 2, nonMated: 2 }, { fold: 1, mated: 1, nonMated: 2 }]);
    expect(r.decoded).toBe(6);
    expect(r.sizes).toEqual({ '32x32': 5, '40x40': 1 });
  });

  it('a mated flag that contradicts identity labels is an error', async () => {
    writeFile(join(dir, 'pl/pairs.txt'), 'A/A_0001.jpg A/A_0002.jpg 0\n');
    writeFile(join(dir, 'pl/attrs.csv'), 'image,identity\nA/A_0001.jpg,a\nA/A_0002.jpg,a\n');
    const r = await checkDataset({ name: 'pl', format: 'pair-list', paths: { images: 'lfw', pairs: 'pl/pairs.txt' }, attributes: 'pl/attrs.csv' }, { dataRoot: dir, decode: false });
    expect(r.problems.filter((p) => p.severity === 'error').map(problemLine)).toEqual([`${join(dir, 'pl/pairs.txt')} line 1: expected a non-mated pair to show two identities (got a and a)`]);
    expect(r.notes).toEqual(['5 of 7 images are in no pair']);
  });

  it('a pair labelled mated in one place and non-mated in another is an error naming both lines (a repeat is a warning)', async () => {
    writeFile(join(dir, 'pl2/pairs.txt'), 'A/A_0001.jpg A/A_0002.jpg 1\nB/B_0001.jpg A/A_0001.jpg 0\nA/A_0002.jpg A/A_0001.jpg 0\nB/B_0001.jpg A/A_0001.jpg 0\n');
    const pl = { name: 'pl2', format: 'pair-list', paths: { images: 'lfw', pairs: 'pl2/pairs.txt' } };
    const pairs = join(dir, 'pl2/pairs.txt');
    await expect(openDatasetEntry(pl, { dataRoot: dir })).rejects.toThrow(`${pairs} line 3: expected each pair labelled once (got A/A_0002.jpg and A/A_0001.jpg non-mated here, mated at ${pairs} line 1)`);
    const r = await checkDataset(pl, { dataRoot: dir, decode: false });
    expect(r.problems.filter((p) => /pair/.test(p.expected)).map((p) => `${p.severity}: ${problemLine(p)}`)).toEqual([
      `error: ${pairs} line 3: expected each pair labelled once (got A/A_0002.jpg and A/A_0001.jpg non-mated here, mated at ${pairs} line 1)`,
      `warning: ${pairs} line 4: expected each pair once (got the same images as ${pairs} line 2)`,
    ]);
  });

  it('an attributes CSV that names a column twice is an error', async () => {
    writeFile(join(dir, 'pl3/pairs.txt'), 'A/A_0001.jpg A/A_0002.jpg 1\n');
    const attrs = writeFile(join(dir, 'pl3/attrs.csv'), 'image,identity,severity,Identity\nA/A_0001.jpg,a,1,b\n');
    await expect(openDatasetEntry({ name: 'pl3', format: 'pair-list', paths: { images: 'lfw', pairs: 'pl3/pairs.txt' }, attributes: 'pl3/attrs.csv' }, { dataRoot: dir })).rejects.toThrow(
      `${attrs}, line 1: expected each column name once (got "Identity" twice, columns 2 and 4)`,
    );
  });

  it('a clean .bin checks OK; repeated images there are a note, not a warning', async () => {
    const imgs = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((k) => jpeg(k)));
    imgs[4] = imgs[0]!;
    writeFileSync(join(dir, 'ok.bin'), binPickleBytes(imgs, [true, false, true, false], 'proto4'));
    const r = await checkDataset({ name: 'b', format: 'insightface-bin', aligned: true, crop_size: 32, paths: { bin: 'ok.bin' }, options: { folds: 2 }, expected: { images: 8, pairs: 4, folds: 2, mated: 2 } }, { dataRoot: dir });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.notes).toEqual(['1 images repeat the bytes of another (1 groups, e.g. 00000 = 00004); expected in .bin files, which store an image once per pair']);
  });

  it('a dataset that cannot load at all gives one error, not a crash', async () => {
    writeFileSync(join(dir, 'cut.bin'), binPickleBytes([new Uint8Array(300), new Uint8Array(300)], [true], 'py2').subarray(0, 200));
    const r = await checkDataset({ name: 'c', format: 'insightface-bin', paths: { bin: 'cut.bin' } }, { dataRoot: dir });
    expect(r.ok).toBe(false);
    expect(r.problems).toHaveLength(1);
    expect(problemLine(r.problems[0]!)).toMatch(/expected a loadable dataset \(got .*cut.bin, byte offset \d+, opcode 0x54 'T' \(BINSTRING\): expected 300 more bytes .* the file is truncated\)/);
  });
});

describe('export', async () => {
  const dir = tempDir('export');
  const bytes = new Map<string, Uint8Array>();
  for (const [k, id] of ['A/A_0001.jpg', 'A/A_0002.jpg', 'B/B_0001.jpg', 'B/B_0002.jpg'].entries()) {
    bytes.set(id, await jpeg(k));
    writeFile(join(dir, 'lfw', id), bytes.get(id)!);
  }
  writeFile(join(dir, 'lfw/pairs.txt'), '2 1\nA 1 2\nA 1 B 1\nB 1 2\nA 2 B 2\n');
  writeFile(join(dir, 'lm.txt'), 'A/A_0001.jpg 1 2 3 4 5 6 7 8 9 10\n');

  it('writes images + lists that load back as a pair-list dataset with the same pairs, folds, identities and bytes', async () => {
    const ds = await openDatasetEntry({ name: 'l', format: 'lfw', paths: { images: 'lfw', pairs: 'lfw/pairs.txt' }, landmarks: 'lm.txt' }, { dataRoot: dir });
    const out = join(dir, 'out');
    const r = await exportDataset(ds, out);
    expect(r).toMatchObject({ images: 4, pairs: 4, files: ['image_path_list.txt', 'pair_list.txt', 'attributes.csv', 'landmarks.txt', 'export.json'] });
    expect(readFileSync(join(out, 'pair_list.txt'), 'utf8')).toBe('A/A_0001.jpg A/A_0002.jpg 1 0\nA/A_0001.jpg B/B_0001.jpg 0 0\nB/B_0001.jpg B/B_0002.jpg 1 1\nA/A_0002.jpg B/B_0002.jpg 0 1\n');
    expect(readFileSync(join(out, 'attributes.csv'), 'utf8').split('\n')[1]).toBe('A/A_0001.jpg,A');
    const back = await openDatasetEntry(
      { name: 'e', format: 'pair-list', paths: { images: join(out, 'images'), list: join(out, 'image_path_list.txt'), pairs: join(out, 'pair_list.txt') }, attributes: join(out, 'attributes.csv'), landmarks: join(out, 'landmarks.txt') },
      {},
    );
    expect(back.pairs()).toEqual(ds.pairs());
    expect(back.images().map((x) => [x.id, x.identity])).toEqual(ds.images().map((x) => [x.id, x.identity]));
    expect(back.image('A/A_0001.jpg')!.landmarks).toEqual(ds.image('A/A_0001.jpg')!.landmarks);
    for (const id of bytes.keys()) expect(await back.readImage(id)).toEqual(bytes.get(id));
    const meta = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'));
    expect(meta).toMatchObject({ dataset: 'l', format: 'lfw', image_format: 'original', counts: { images: 4, pairs: 4, mated: 2, folds: 2 } });
    expect(meta.entry_hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('.bin ids get an extension from the bytes; --image-format png re-encodes losslessly', async () => {
    const imgs = await Promise.all([0, 1].map((k) => jpeg(k)));
    writeFileSync(join(dir, 'x.bin'), binPickleBytes(imgs, [false], 'py2'));
    const ds = await openDatasetEntry({ name: 'b', format: 'insightface-bin', paths: { bin: 'x.bin' } }, { dataRoot: dir });
    await exportDataset(ds, join(dir, 'out-bin'));
    expect(readFileSync(join(dir, 'out-bin/pair_list.txt'), 'utf8')).toBe('00000.jpg 00001.jpg 0 0\n');
    expect(new Uint8Array(readFileSync(join(dir, 'out-bin/images/00001.jpg')))).toEqual(imgs[1]);
    await exportDataset(ds, join(dir, 'out-png'), { imageFormat: 'png' });
    const fromPng = await decodeImage(readFileSync(join(dir, 'out-png/images/00000.png')));
    const fromJpeg = await decodeImage(imgs[0]!);
    expect(fromPng.data).toEqual(fromJpeg.data);
    await ds.close();
  });

  it('refuses a folder that is not empty (unless --force), a file, and any folder inside the source dataset', async () => {
    const ds = await openDatasetEntry({ name: 'l', format: 'lfw', paths: { images: 'lfw', pairs: 'lfw/pairs.txt' }, landmarks: 'lm.txt' }, { dataRoot: dir });
    // an earlier export's pair list is not overwritten without asking
    const out = join(dir, 'out-safe');
    writeFile(join(out, 'pair_list.txt'), 'mine\n');
    await expect(exportDataset(ds, out)).rejects.toThrow(`export l: ${out} is not empty (1 entry, e.g. pair_list.txt); choose an empty folder, or --force to write into it (files of the same name are replaced)`);
    expect(readFileSync(join(out, 'pair_list.txt'), 'utf8')).toBe('mine\n');
    await exportDataset(ds, out, { force: true });
    expect(readFileSync(join(out, 'pair_list.txt'), 'utf8').split('\n')).toHaveLength(5);
    // onto a file: a clear error, not ENOTDIR
    await expect(exportDataset(ds, join(dir, 'lm.txt'))).rejects.toThrow(`${join(dir, 'lm.txt')}: expected a folder to export into (or a new path) (got a file)`);
    // into the dataset's own folder (it would add an identity "images" to the source): refused, nothing written
    const before = readdirSync(join(dir, 'lfw')).sort();
    await expect(exportDataset(ds, join(dir, 'lfw', 'export'), { force: true })).rejects.toThrow(/export l: .*lfw\/export is inside the dataset's own folder \(paths\.images: .*lfw\)/);
    expect(readdirSync(join(dir, 'lfw')).sort()).toEqual(before);
    expect(existsSync(join(dir, 'lfw', 'export'))).toBe(false);
    // also through a symlink that points into it
    mkdirSync(join(dir, 'links'), { recursive: true });
    symlinkSync(join(dir, 'lfw', 'A'), join(dir, 'links', 'a'));
    await expect(exportDataset(ds, join(dir, 'links', 'a', 'new'))).rejects.toThrow(/is inside the dataset's own folder/);
    expect(readdirSync(join(dir, 'lfw', 'A'))).toEqual(['A_0001.jpg', 'A_0002.jpg']);
  });
});
