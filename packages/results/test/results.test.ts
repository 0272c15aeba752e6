import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { createHash } from 'node:crypto';
import { Run, listRuns, readResultTable, readParquetTable, Catalogue, writeResultTable, withRun, readRunRecord } from '../src/index.ts';

// the kinds these tests write: test-only names, since the edc package declares the real `edc_points` and
// `edc_summary` and the workspace's one type check sees both declarations
declare module '@aikd/results' {
  interface ResultRows {
    test_points: { method: string; discard_fraction: number; fnmr: number; remaining: number };
    test_summary: { method: string; pauc_norm: number };
  }
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'aikd-results-'));
});

function edcTable(method: string, n: number) {
  return arrow.tableFromArrays({
    method: Array.from({ length: n }, () => method),
    discard_fraction: Float64Array.from({ length: n }, (_, i) => i / n),
    fnmr: Float64Array.from({ length: n }, (_, i) => 0.1 * (1 - i / n)),
    remaining: Int32Array.from({ length: n }, (_, i) => n - i),
  });
}

describe('run registry', () => {
  it('records params, config hash, metrics, artifacts and status', () => {
    const run = Run.create({ kind: 'edc', params: { fmr: 1e-3, method: 'serfiq' }, root, backend: 'wasm' });
    run.logMetrics({ loss: 0.5, lr: 0.01 }, 1);
    run.logMetrics({ loss: 0.25 }, 2);
    run.writeTable('test_points', edcTable('serfiq', 10), { method: 'serfiq', dataset: 'demo', fr_model: 'mobileface', alignment: 'proper', seed: 1 });
    run.finish({ pauc: 0.8 });
    const rec = JSON.parse(readFileSync(join(run.dir, 'run.json'), 'utf8'));
    expect(rec.status).toBe('completed');
    expect(rec.params).toEqual({ fmr: 1e-3, method: 'serfiq' });
    expect(rec.config_hash).toMatch(/^[0-9a-f]{16}$/);
    expect(rec.artifacts).toEqual([{ name: 'test_points', kind: 'test_points', path: 'test_points.arrow', rows: 10, sha256: sha(join(run.dir, 'test_points.arrow')), parquet_sha256: sha(join(run.dir, 'test_points.parquet')) }]);
    expect(rec.summary).toEqual({ pauc: 0.8 });
    expect(rec.duration_s).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(run.dir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(listRuns(root).map((r) => r.id)).toContain(run.id);
  });

  it('records failures with a one-line error', () => {
    const run = Run.create({ kind: 'train', params: {}, root });
    run.fail(new Error('out of memory\nstack...'));
    expect(Run.open(run.id, root).info).toMatchObject({ status: 'failed', error: 'Error: out of memory' });
  });
});

describe('withRun', () => {
  it('ends the run completed with its summary when the work returns, failed with the error when it throws', async () => {
    const root = mkdtempSync(join(tmpdir(), 'aikd-with-run-'));
    let id = '';
    const out = await withRun({ kind: 'score', params: { method: 'serfiq' }, root }, async (run) => {
      id = run.id;
      expect(run.info.status).toBe('running');
      run.finish({ images: 3 });
      return 42;
    });
    expect(out).toBe(42);
    expect(readRunRecord(join(root, 'runs', id, 'run.json'))).toMatchObject({ status: 'completed', summary: { images: 3 } });
    // returning without finish completes it too
    const plain = await withRun({ kind: 'score', params: {}, root }, (run) => run.id);
    expect(readRunRecord(join(root, 'runs', plain, 'run.json')).status).toBe('completed');
    await expect(
      withRun({ kind: 'score', params: {}, root }, async (run) => {
        id = run.id;
        throw new Error('no crops\nsecond line');
      }),
    ).rejects.toThrow(/no crops/);
    expect(readRunRecord(join(root, 'runs', id, 'run.json'))).toMatchObject({ status: 'failed', error: 'Error: no crops' });
    // synchronous work stays synchronous, and fails the same way
    expect(withRun({ kind: 'edc', params: {}, root }, (run) => run.info.status)).toBe('running');
    expect(() =>
      withRun({ kind: 'edc', params: {}, root }, (run) => {
        id = run.id;
        throw new Error('bad cell');
      }),
    ).toThrow(/bad cell/);
    expect(readRunRecord(join(root, 'runs', id, 'run.json'))).toMatchObject({ status: 'failed', error: 'Error: bad cell' });
  });
});

describe('Arrow result files', () => {
  it('carry provenance in the schema metadata and have a Parquet twin with the same rows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aikd-arrow-'));
    const p = join(dir, 'scores.arrow');
    const t = arrow.tableFromArrays({ image_id: ['a', 'b'], quality: Float32Array.from([0.25, 0.75]) });
    writeResultTable(p, t, { kind: 'scores', run_id: 'r1', method: 'serfiq', fr_model: 'mobileface', alignment: 'proper', dataset: 'demo', seed: 7, config_hash: 'abc' });
    const { table, provenance } = readResultTable(p);
    expect(table.numRows).toBe(2);
    expect(Array.from(table.getChild('quality')!.toArray())).toEqual([0.25, 0.75]);
    expect(provenance).toMatchObject({ kind: 'scores', method: 'serfiq', fr_model: 'mobileface', alignment: 'proper', dataset: 'demo', seed: 7, config_hash: 'abc' });
    expect(provenance!.code_version).toBeTruthy();
    expect(table.schema.metadata.get('aikd.method')).toBe('serfiq');
    const pq = readParquetTable(join(dir, 'scores.parquet'));
    expect(pq.getChild('image_id')!.toArray()).toEqual(['a', 'b']);
    expect(readdirSync(dir).sort()).toEqual(['scores.arrow', 'scores.parquet']);
  });

  it('reject a file that is not Arrow with the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aikd-arrow-'));
    const p = join(dir, 'bad.arrow');
    writeFileSync(p, 'not arrow');
    expect(() => readResultTable(p)).toThrow(/bad\.arrow: expected an Arrow IPC file/);
  });
});

describe('DuckDB catalogue', () => {
  let cat: Catalogue;
  beforeAll(async () => {
    const r2 = Run.create({ kind: 'edc', params: { fmr: 1e-4 }, root });
    r2.writeTable('test_points', edcTable('faceqan', 5), { method: 'faceqan' });
    r2.writeTable('test_summary', arrow.tableFromArrays({ method: ['faceqan'], pauc_norm: Float64Array.from([0.7]) }), { method: 'faceqan' });
    r2.finish();
    cat = await Catalogue.open(root);
  });
  afterAll(() => cat.close());

  it('exposes runs, metrics, artifacts and one view per result kind', async () => {
    expect(cat.resultKinds).toEqual(['test_points', 'test_summary']);
    const runs = await cat.query(`select kind, status, count(*) as n from runs group by all order by kind, status`);
    expect(runs).toEqual([
      { kind: 'edc', status: 'completed', n: 2 },
      { kind: 'train', status: 'failed', n: 1 },
    ]);
    const m = await cat.query(`select name, step, value from metrics order by step, name`);
    expect(m).toEqual([
      { name: 'loss', step: 1, value: 0.5 },
      { name: 'lr', step: 1, value: 0.01 },
      { name: 'loss', step: 2, value: 0.25 },
    ]);
    const pts = await cat.query(`select method, count(*) as n, min(remaining) as lo from test_points group by 1 order by 1`);
    expect(pts).toEqual([
      { method: 'faceqan', n: 5, lo: 1 },
      { method: 'serfiq', n: 10, lo: 1 },
    ]);
    const joined = await cat.query(`select r.params->>'fmr' as fmr, s.pauc_norm from test_summary s join runs r on r.id = s.run_id`);
    expect(joined).toEqual([{ fmr: '0.0001', pauc_norm: 0.7 }]);
    const arts = await cat.query(`select kind, rows from artifacts order by kind, rows`);
    expect(arts).toEqual([
      { kind: 'test_points', rows: 5 },
      { kind: 'test_points', rows: 10 },
      { kind: 'test_summary', rows: 1 },
    ]);
  });

  it('takes parameters and reports bad SQL in one line', async () => {
    expect(await cat.query('select $1::integer + 1 as y', [41])).toEqual([{ y: 42 }]);
    await expect(cat.query('selec 1')).rejects.toThrow(/^query failed: Parser Error: syntax error at or near "selec"/);
  });

  it('sees new runs after refresh and works on an empty folder', async () => {
    const empty = await Catalogue.open(mkdtempSync(join(tmpdir(), 'aikd-empty-')));
    expect(await empty.query('select count(*) as n from runs')).toEqual([{ n: 0 }]);
    expect(await empty.query('select count(*) as n from metrics')).toEqual([{ n: 0 }]);
    empty.close();
    const r3 = Run.create({ kind: 'score', params: {}, root });
    r3.writeTable('scores', arrow.tableFromArrays({ image_id: ['x'], quality: Float32Array.from([1]) }), {});
    expect(cat.has('scores')).toBe(false);
    await cat.refresh();
    expect(await cat.query('select run_id, image_id from scores')).toEqual([{ run_id: r3.id, image_id: 'x' }]);
    expect(existsSync(join(r3.dir, 'scores.parquet'))).toBe(true);
  });
});

describe('catalogue robustness', () => {
  it('leaves out an unreadable result file, keeps the rest of its kind, and says so', async () => {
    const root = mkdtempSync(join(tmpdir(), 'aikd-corrupt-'));
    const good = Run.create({ kind: 'score', params: {}, root });
    good.writeTable('scores', arrow.tableFromArrays({ image_id: ['a'], quality: Float32Array.from([0.5]) }), {});
    const bad = Run.create({ kind: 'score', params: {}, root });
    bad.writeTable('scores', arrow.tableFromArrays({ image_id: ['b'], quality: Float32Array.from([0.7]) }), {});
    writeFileSync(join(bad.dir, 'scores.parquet'), 'PAR1 truncated');
    const cat = await Catalogue.open(root);
    try {
      expect(await cat.query('select image_id from scores')).toEqual([{ image_id: 'a' }]);
      expect(cat.skipped).toHaveLength(1);
      expect(cat.skipped[0]).toContain(join(bad.dir, 'scores.parquet'));
    } finally {
      cat.close();
    }
  });
});
