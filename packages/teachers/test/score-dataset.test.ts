import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from '@aikd/core/cli';
import { setOutputMode } from '@aikd/core';
import { openDatasetEntry, encodePng, type OpenedDataset } from '@aikd/datasets';
import { Run, readResultTable } from '@aikd/results';
import { createQualityMethod, importScores, scoreDataset, scoresProvenance, scoresTable, tableToScores, type QualityMethod } from '../src/index.ts';
import { register } from '../src/cli.ts';
import { randomCrop, tempDir } from './helpers.ts';

const root = tempDir('score-ds');
const ids = ['p1/a.png', 'p1/b.png', 'p2/c.png', 'p2/d.png', 'p3/e.png'];
let ds: OpenedDataset;
let norm: QualityMethod;
let serfiq: QualityMethod;
const saved = { home: process.env.AIKD_HOME, results: process.env.AIKD_RESULTS };

beforeAll(async () => {
  process.env.AIKD_HOME = join(root, 'home');
  process.env.AIKD_RESULTS = join(root, 'results');
  for (const [i, id] of ids.entries()) {
    mkdirSync(join(root, 'crops', id.split('/')[0]!), { recursive: true });
    writeFileSync(join(root, 'crops', id), await encodePng(randomCrop(`ds${i}`, 112)));
  }
  ds = await openDatasetEntry({ name: 'tiny', format: 'folder', paths: { images: join(root, 'crops') }, aligned: true, crop_size: 112 }, { dataRoot: root });
  norm = await createQualityMethod('embedding-norm', { frModel: 'mobileface' });
  serfiq = await createQualityMethod('serfiq', { frModel: 'mobileface', params: { T: 20 } });
}, 120_000); // the first use converts mobileface to ONNX in this fresh AIKD_HOME: over the default 10 s on a busy machine
afterAll(async () => {
  await norm.dispose();
  await serfiq.dispose();
  await ds.close();
  for (const [k, v] of [['AIKD_HOME', saved.home], ['AIKD_RESULTS', saved.results]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('scoreDataset', () => {
  it('scores every image in dataset order, equal to scoring the aligned crops directly; cached by content', async () => {
    expect(ds.images().map((r) => r.id)).toEqual(ids);
    const set = await scoreDataset(ds, serfiq, { seed: 5, batchSize: 2 });
    expect(set.ids).toEqual(ids);
    expect(set.fromCache).toBe(false);
    // an aligned 112 crop aligned "properly" to the 112 template is itself (identity warp)
    const crops = await Promise.all(ids.map(async (id) => (await import('@aikd/datasets')).decodeImage(await ds.readImage(id))));
    expect(Array.from(set.quality)).toEqual(Array.from(await serfiq.score(crops, { ids, seed: 5 })));
    const again = await scoreDataset(ds, serfiq, { seed: 5 });
    expect(again.fromCache).toBe(true);
    expect(again.quality).toEqual(set.quality);
    const fresh = await scoreDataset(ds, serfiq, { seed: 5, cache: false, batchSize: 5 });
    expect(fresh.fromCache).toBe(false);
    expect(fresh.quality).toEqual(set.quality); // the batch size does not change a score
    const otherSeed = await scoreDataset(ds, serfiq, { seed: 6 });
    expect(otherSeed.fromCache).toBe(false);
    expect(otherSeed.quality).not.toEqual(set.quality);
    expect(otherSeed.cachePath).not.toBe(set.cachePath);
  });

  it('a dataset rebuilt with the same ids but other pixels is not served from the cache', async () => {
    const file = join(root, 'crops', ids[0]!);
    const original = readFileSync(file);
    const before = await scoreDataset(ds, norm, { seed: 0 });
    writeFileSync(file, await encodePng(randomCrop('rebuilt', 112)));
    try {
      const after = await scoreDataset(ds, norm, { seed: 0 });
      expect(after.fromCache).toBe(false);
      expect(after.settings.contentKey).not.toBe(before.settings.contentKey);
      expect(after.quality[0]).not.toBe(before.quality[0]);
      expect(Array.from(after.quality.subarray(1))).toEqual(Array.from(before.quality.subarray(1)));
    } finally {
      writeFileSync(file, original);
    }
  });

  it('writes an Arrow table (image_id, quality) with provenance into a run', async () => {
    const set = await scoreDataset(ds, norm, { seed: 0 });
    const run = Run.create({ kind: 'score', params: { dataset: 'tiny', method: norm.id } });
    const w = run.writeTable('scores', scoresTable(set), scoresProvenance(set, run.id));
    run.finish();
    const { table, provenance } = readResultTable(w.arrow);
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['image_id:Utf8', 'quality:Float64']);
    expect(tableToScores(table)).toEqual({ ids, quality: set.quality });
    expect(provenance).toMatchObject({ kind: 'scores', run_id: run.id, method: 'embedding-norm', fr_model: 'mobileface', alignment: 'proper', dataset: 'tiny', seed: 0 });
    expect(provenance!.params).toMatchObject({ inputSize: 112, weightsHash: norm.weightsHash, alignmentParams: {} });
    expect(provenance!.code_version).toBeTruthy();
  });

  it('imports scores from elsewhere onto the dataset, reporting what did not match', async () => {
    const f = join(root, 'other.txt');
    writeFileSync(f, '/elsewhere/crops/p1/a.png 0.9\n/elsewhere/crops/p2/c.jpg 0.1\nzz/q.png 0.4\n');
    const imp = await importScores(f, ds, { method: 'diffiqa-r', frModel: 'cosface' });
    expect(Array.from(imp.set.quality)).toEqual([0.9, NaN, 0.1, NaN, NaN]);
    expect(imp.report).toMatchObject({ matched: 2, unmatchedCount: 1, missingCount: 3 });
    expect(scoresProvenance(imp.set, 'r')).toMatchObject({ method: 'diffiqa-r', fr_model: 'cosface', alignment: 'external', dataset: 'tiny', seed: undefined });
    await expect(importScores(f, ds, { method: 'diffiqa-r', minCoverage: 0.5 })).rejects.toThrow(/only 2 of 5 images of tiny have a score/);
    writeFileSync(f, 'x/y.png 1\n');
    await expect(importScores(f, ds, { method: 'serfiq' })).rejects.toThrow(/none of its 1 keys matches an image of tiny by path suffix/);
  });
});

describe('aikd score --images / methods list', () => {
  const run = async (...args: string[]) => {
    const program = new Command('aikd').exitOverride();
    register(program);
    await program.parseAsync(['node', 'aikd', ...args]);
  };

  it('scores a folder of aligned crops into a CSV (file,quality,error); undecodable files get an empty quality and the reason', async () => {
    writeFileSync(join(root, 'crops', 'p3', 'broken.png'), 'not an image');
    const out = join(root, 'scores.csv');
    await run('score', '--images', join(root, 'crops'), '--aligned', '--method', 'embedding-norm', '--fr-model', 'mobileface', '--out', out);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('file,quality,error');
    expect(lines.map((l) => l.split(',')[0])).toEqual(['file', 'p1/a.png', 'p1/b.png', 'p2/c.png', 'p2/d.png', 'p3/broken.png', 'p3/e.png']);
    expect(lines[5]).toMatch(/^p3\/broken\.png,,.*decod/);
    expect(lines[1]).toMatch(/^p1\/a\.png,[-0-9.e]+,$/);
    const set = await scoreDataset(ds, norm, { seed: 0 });
    expect(Number(lines[1]!.split(',')[1])).toBe(set.quality[0]);
  });

  it('methods list --json prints every method', async () => {
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (chunks.push(String(s)), true)) as typeof process.stdout.write;
    setOutputMode({ json: true });
    try {
      await run('methods', 'list');
    } finally {
      process.stdout.write = write;
      setOutputMode({ json: false });
    }
    const rows = JSON.parse(chunks.join('')) as { id: string }[];
    expect(rows.map((r) => r.id).slice(0, 4)).toEqual(['serfiq', 'faceqan', 'magface', 'embedding-norm']);
  });

  it('score import takes --dataset/--method wherever they are written (score has options of the same names)', async () => {
    const f = join(root, 'x.txt');
    writeFileSync(f, 'a.png 1\n');
    await expect(run('score', 'import', f, '--method', 'serfiq')).rejects.toThrow(/give --dataset NAME and --method ID/);
    await expect(run('score', 'import', f, '--dataset', 'no-such-set', '--method', 'serfiq')).rejects.toThrow(/no dataset named "no-such-set"/);
    await expect(run('score', 'import', f, '--format', 'csv', '--dataset', 'no-such-set', '--method', 'serfiq')).rejects.toThrow(/no dataset named "no-such-set"/);
    await expect(run('score', 'import', f, '--format', 'xls', '--dataset', 'demo', '--method', 'serfiq')).rejects.toThrow(/--format xls: expected one of csv, ofiq, pickle, arrow, parquet/);
  });

  it('argument errors', async () => {
    await expect(run('score', '--method', 'serfiq')).rejects.toThrow(/give exactly one of --dataset NAME or --images DIR/);
    await expect(run('score', '--images', root, '--method', 'serfiq')).rejects.toThrow(/give --out scores\.csv/);
  });
});
