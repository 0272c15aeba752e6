/**
 * Aligning a whole dataset through the content-addressed cache: results equal the procedure's own, a re-run is
 * served from the cache with identical bytes, a changed image is re-aligned, different procedures/seeds get
 * different cache folders, a face-less image falls back to the whole image and is marked.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng, openDatasetEntry, type Dataset } from '@aikd/datasets';
import { alignDataset, alignDatasetInBatches, alignmentCacheDir, alignmentIndexPath, createProcedure, disposeSharedDetectors, type AlignedItem, type RawImage } from '../src/index.ts';
import { FACE_200, sameBytes, texturedImage } from './helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'aikd-align-ds-'));
const savedHome = process.env.AIKD_HOME;
const images = join(root, 'data', 'images');
let ds: Dataset;

async function open(): Promise<Dataset> {
  return openDatasetEntry({ name: 'tiny', format: 'folder', paths: { images }, landmarks: join(root, 'data', 'landmarks.txt') });
}

async function collect(it: AsyncIterable<AlignedItem>): Promise<AlignedItem[]> {
  const out: AlignedItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}

beforeAll(async () => {
  process.env.AIKD_HOME = join(root, 'home');
  const lines: string[] = [];
  for (const [who, n] of [['alice', 3], ['bob', 2]] as const)
    for (let i = 0; i < n; i++) {
      mkdirSync(join(images, who), { recursive: true });
      writeFileSync(join(images, who, `${i}.png`), await encodePng(texturedImage(200, 200, who.length * 10 + i)));
      // landmarks shifted per image so every fit differs
      lines.push(`${who}/${i}.png ${FACE_200.map(([x, y]) => `${x + i} ${y - i}`).join(' ')} 0.99`);
    }
  writeFileSync(join(root, 'data', 'landmarks.txt'), lines.join('\n') + '\n');
  ds = await open();
});
afterAll(async () => {
  await ds?.close();
  await disposeSharedDetectors();
  if (savedHome === undefined) delete process.env.AIKD_HOME;
  else process.env.AIKD_HOME = savedHome;
  rmSync(root, { recursive: true, force: true });
});

describe('alignDataset', () => {
  it('aligns every image like the procedure does, then serves re-runs from the cache bit for bit', async () => {
    const proc = createProcedure('landmark-jitter');
    const opts = { size: 112, seed: 3 };
    const first = await collect(alignDataset(ds, proc, opts));
    expect(first.map((x) => x.id)).toEqual(ds.images().map((r) => r.id));
    expect(first.every((x) => !x.cached)).toBe(true);
    const rec = ds.image('bob/1.png')!;
    const { decodeImage } = await import('@aikd/datasets');
    const direct = await proc.align(await decodeImage(await ds.readImage(rec.id)), rec, opts);
    const fromRun = first.find((x) => x.id === 'bob/1.png')!;
    expect(fromRun.matrix).toEqual(direct.matrix);
    expect(sameBytes(fromRun.image.data, direct.image.data)).toBe(true);

    const again = await collect(alignDataset(ds, createProcedure('landmark-jitter'), opts));
    expect(again.every((x) => x.cached)).toBe(true);
    again.forEach((x, i) => {
      expect(x.matrix).toEqual(first[i]!.matrix);
      expect(sameBytes(x.image.data, first[i]!.image.data)).toBe(true);
    });
    const dir = alignmentCacheDir(proc, opts);
    expect(dir.startsWith(join(root, 'home', 'cache', 'aligned'))).toBe(true);
    const index = JSON.parse(readFileSync(alignmentIndexPath(dir, 'tiny'), 'utf8'));
    expect(index).toMatchObject({ dataset: 'tiny', procedure: 'landmark-jitter', params: { p: 3 }, size: 112, seed: '3', count: 5 });
  });

  it('keys the cache by procedure, parameters and seed, and each item by its content', async () => {
    const p = createProcedure('landmark-jitter');
    const a = alignmentCacheDir(p, { size: 112, seed: 3 });
    expect(alignmentCacheDir(p, { size: 112, seed: 4 })).not.toBe(a);
    expect(alignmentCacheDir(createProcedure('landmark-jitter', { p: 2 }), { size: 112, seed: 3 })).not.toBe(a);
    expect(alignmentCacheDir(createProcedure('proper'), { size: 112, seed: 3 })).not.toBe(a);
    expect(alignmentCacheDir(p, { size: 224, seed: 3 })).not.toBe(a);
    expect(alignmentCacheDir(createProcedure('landmark-jitter', { p: 3 }), { size: 112, seed: 3 })).toBe(a);

    // change one image: only it is re-aligned
    writeFileSync(join(images, 'alice', '0.png'), await encodePng(texturedImage(200, 200, 999)));
    const changed = await collect(alignDataset(await open(), p, { size: 112, seed: 3 }));
    expect(changed.filter((x) => !x.cached).map((x) => x.id)).toEqual(['alice/0.png']);
  });

  it('falls back to the whole image when no face is found, and says so', async () => {
    const blank: RawImage = { data: new Uint8Array(100 * 60 * 3).fill(90), width: 100, height: 60, channels: 3 };
    mkdirSync(join(root, 'noface', 'carol'), { recursive: true });
    writeFileSync(join(root, 'noface', 'carol', 'x.png'), await encodePng(blank));
    const noface = await openDatasetEntry({ name: 'noface', format: 'folder', paths: { images: join(root, 'noface') } });
    const [item] = await collect(alignDataset(noface, createProcedure('proper'), { size: 112, seed: 0 }));
    await noface.close();
    expect(item!.fallback).toBe(true);
    // the 100×60 image centred in a 100×100 square: rows above and below are the zero border
    expect(item!.image.data[(5 * 112 + 56) * 3]).toBe(0);
    expect(item!.image.data[(56 * 112 + 56) * 3]).toBe(90);
    const dir = alignmentCacheDir(createProcedure('proper'), { size: 112, seed: 0 });
    expect(JSON.parse(readFileSync(alignmentIndexPath(dir, 'noface'), 'utf8')).fallbacks).toEqual(['carol/x.png']);
    expect(existsSync(join(dir, 'procedure.json'))).toBe(true);
  });
});

describe('alignDatasetInBatches', () => {
  it('hands out the aligned crops in dataset order, in batches of at most the batch size', async () => {
    const proc = createProcedure('landmark-jitter');
    const opts = { size: 112, seed: 5 };
    const single = await collect(alignDataset(ds, proc, opts));
    const batches: { ids: string[]; indices: number[]; crops: RawImage[] }[] = [];
    await alignDatasetInBatches(ds, proc, opts, 2, async (b) => void batches.push(b));
    expect(batches.map((b) => b.ids.length)).toEqual([2, 2, 1]);
    expect(batches.flatMap((b) => b.ids)).toEqual(ds.images().map((r) => r.id));
    expect(batches.flatMap((b) => b.indices)).toEqual([0, 1, 2, 3, 4]);
    batches.flatMap((b) => b.crops).forEach((c, i) => expect(sameBytes(c.data, single[i]!.image.data)).toBe(true));
  });

  it('rejects a batch size below one and an empty dataset', async () => {
    await expect(alignDatasetInBatches(ds, createProcedure('proper'), { size: 112, seed: 0 }, 0, async () => {})).rejects.toThrow(/batch size must be ≥ 1/);
    mkdirSync(join(root, 'empty'), { recursive: true });
    const empty = await openDatasetEntry({ name: 'empty', format: 'folder', paths: { images: join(root, 'empty') } });
    await expect(alignDatasetInBatches(empty, createProcedure('proper'), { size: 112, seed: 0 }, 4, async () => {})).rejects.toThrow(/has no images/);
    await empty.close();
  });
});
