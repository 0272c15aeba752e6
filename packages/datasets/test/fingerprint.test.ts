/** A dataset's fingerprint moves exactly when what a computation reads from it moves. */
import { describe, expect, it } from 'vitest';
import { rmSync, utimesSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasetFingerprint, openDatasetEntry, subsetDataset } from '../src/index.ts';
import { binPickleBytes } from './helpers/pickle-writer.ts';
import { jpeg, tempDir, writeFile } from './helpers/fixtures.ts';

describe('dataset fingerprints', async () => {
  const dir = tempDir('fingerprint');
  process.env.AIKD_HOME = join(dir, 'home');
  for (const [k, id] of ['A/A_0001.jpg', 'A/A_0002.jpg', 'B/B_0001.jpg', 'B/B_0002.jpg'].entries()) writeFile(join(dir, 'lfw', id), await jpeg(k));
  writeFile(join(dir, 'lfw/pairs.txt'), '1 2\nA 1 2\nB 1 2\nA 1 B 1\nA 2 B 2\n');
  writeFile(join(dir, 'lm.txt'), 'A/A_0001.jpg 1 2 3 4 5 6 7 8 9 10\n');
  const open = () => openDatasetEntry({ name: 'l', format: 'lfw', paths: { images: 'lfw', pairs: 'lfw/pairs.txt' }, landmarks: 'lm.txt' }, { dataRoot: dir });

  it('stays while nothing changes, and moves with an image replaced in place (same size, mtime put back)', async () => {
    const f0 = await datasetFingerprint(await open());
    expect(f0).toMatchObject({ images: 4, missing: 0 });
    expect(f0.key).toMatch(/^[0-9a-f]{16}$/);
    expect((await datasetFingerprint(await open())).key).toBe(f0.key);
    const file = join(dir, 'lfw/B/B_0002.jpg');
    const st = statSync(file);
    const other = Buffer.from(await jpeg(7));
    const same = Buffer.alloc(st.size);
    other.copy(same, 0, 0, Math.min(other.length, st.size));
    writeFileSync(file, same);
    utimesSync(file, st.atime, st.mtime);
    const f1 = await datasetFingerprint(await open());
    expect(f1.key).not.toBe(f0.key);
    // the subset that does not read B_0002 keeps its fingerprint
    const onlyA = (ds: Awaited<ReturnType<typeof open>>) => subsetDataset(ds, (r) => r.identity === 'A', 'A');
    writeFileSync(file, await jpeg(3));
    const a0 = (await datasetFingerprint(onlyA(await open()))).key;
    writeFileSync(file, await jpeg(9));
    expect((await datasetFingerprint(onlyA(await open()))).key).toBe(a0);
    expect((await datasetFingerprint(await open())).key).not.toBe(f1.key);
  });

  it('moves with edited landmarks, a deleted image, and (when asked) changed pairs', async () => {
    const k0 = (await datasetFingerprint(await open())).key;
    writeFile(join(dir, 'lm.txt'), 'A/A_0001.jpg 1 2 3 4 5 6 7 8 9 11\n');
    const k1 = (await datasetFingerprint(await open())).key;
    expect(k1).not.toBe(k0);
    const p0 = (await datasetFingerprint(await open(), { pairs: true })).key;
    writeFile(join(dir, 'lfw/pairs.txt'), '1 2\nA 1 2\nB 1 2\nA 2 B 1\nA 2 B 2\n');
    expect((await datasetFingerprint(await open())).key).toBe(k1); // images only: unchanged
    expect((await datasetFingerprint(await open(), { pairs: true })).key).not.toBe(p0);
  });

  it('moves with a deleted image, and counts images whose file is gone', async () => {
    const folder = () => openDatasetEntry({ name: 'f', format: 'folder', paths: { images: 'lfw' } }, { dataRoot: dir });
    const k0 = await datasetFingerprint(await folder());
    const ds = await folder();
    rmSync(join(dir, 'lfw/A/A_0002.jpg'));
    // opened before the deletion: the record is there, its file is not
    const stale = await datasetFingerprint(ds);
    expect(stale.missing).toBe(1);
    expect(stale.key).not.toBe(k0.key);
    // opened after: one image fewer
    const now = await datasetFingerprint(await folder());
    expect(now.images).toBe(k0.images - 1);
    expect(now.key).not.toBe(k0.key);
  });

  it('images inside a .bin take the container file hash', async () => {
    const imgs = await Promise.all([0, 1, 2, 3].map((k) => jpeg(k)));
    writeFileSync(join(dir, 'x.bin'), binPickleBytes(imgs, [true, false], 'py2'));
    const bin = () => openDatasetEntry({ name: 'b', format: 'insightface-bin', paths: { bin: 'x.bin' } }, { dataRoot: dir });
    const k0 = (await datasetFingerprint(await bin())).key;
    expect((await datasetFingerprint(await bin())).key).toBe(k0);
    imgs[3] = await jpeg(9);
    writeFileSync(join(dir, 'x.bin'), binPickleBytes(imgs, [true, false], 'py2'));
    expect((await datasetFingerprint(await bin())).key).not.toBe(k0);
  });
});
