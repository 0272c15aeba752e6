/**
 * Results that cannot be corrupted unnoticed: recorded content hashes checked before reuse, caches that miss
 * instead of lying, a catalogue that survives a malformed run record, and a read-only `aikd query`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { Run, Catalogue, runFileProblems, readRunRecord, writeCachedTable, readCachedTable } from '../src/index.ts';
import { aikdArgv } from '../../../scripts/test/aikd-command.ts';

const scores = (ids: string[]) => arrow.tableFromArrays({ image_id: ids, quality: Float32Array.from(ids.map((_, i) => i / 10)) });

describe('recorded content hashes', () => {
  it('find a result file modified, truncated or deleted after it was written', () => {
    const root = mkdtempSync(join(tmpdir(), 'aikd-hash-'));
    const run = Run.create({ kind: 'score', params: {}, root });
    run.writeTable('scores', scores(['a', 'b', 'c']), {});
    run.finish();
    const rec = readRunRecord(join(run.dir, 'run.json'));
    expect(runFileProblems(rec, run.dir)).toEqual([]);
    // the attack of issue 18: a query overwrote the Parquet twin (same rows, other numbers)
    writeFileSync(join(run.dir, 'scores.parquet'), readFileSync(join(run.dir, 'scores.parquet')).subarray(0, 40));
    expect(runFileProblems(rec, run.dir)).toEqual(['scores.parquet was modified after it was written (its content hash is not the recorded one)']);
    truncateSync(join(run.dir, 'scores.arrow'), 100);
    expect(runFileProblems(rec, run.dir)[0]).toBe('scores.arrow was modified after it was written (its content hash is not the recorded one)');
    rmSync(join(run.dir, 'scores.arrow'));
    expect(runFileProblems(rec, run.dir)[0]).toBe('scores.arrow is missing');
  });

  it('cached tables are a miss (not a wrong number) once modified', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aikd-cache-'));
    const p = join(dir, 'k.arrow');
    expect(readCachedTable(p)).toBeUndefined();
    writeCachedTable(p, scores(['a', 'b']), { kind: 'scores', run_id: 'cache', config_hash: 'x' });
    expect(readCachedTable(p)!.table.numRows).toBe(2);
    // same length, other bytes
    const buf = readFileSync(p);
    buf[buf.length - 20] ^= 0xff;
    writeFileSync(p, buf);
    expect(readCachedTable(p)).toBeUndefined();
    rmSync(`${p}.sha256`);
    expect(readCachedTable(p)).toBeUndefined();
  });

  it('a run that cannot record its failure (full disk) does not hide the original error', () => {
    const root = mkdtempSync(join(tmpdir(), 'aikd-fail-'));
    const run = Run.create({ kind: 'score', params: {}, root });
    process.env.AIKD_TEST_DISK_FULL_AFTER = '0';
    try {
      expect(() => run.fail(new Error('the real problem'))).not.toThrow();
    } finally {
      delete process.env.AIKD_TEST_DISK_FULL_AFTER;
    }
    // still "running" on disk: never mistaken for a completed result
    expect(readRunRecord(join(run.dir, 'run.json')).status).toBe('running');
  });
});

describe('a catalogue that survives a bad run record', () => {
  it('leaves out a malformed run.json (invalid JSON or wrong field types) with a warning naming it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'aikd-badrun-'));
    const good = Run.create({ kind: 'score', params: {}, root });
    good.writeTable('scores', scores(['a']), {});
    good.finish();
    const broken = Run.create({ kind: 'score', params: {}, root });
    writeFileSync(join(broken.dir, 'run.json'), '{"id": "x", "kind": ');
    const typed = Run.create({ kind: 'score', params: {}, root });
    writeFileSync(join(typed.dir, 'run.json'), JSON.stringify({ ...typed.info, tags: 'not-a-list' }));
    appendFileSync(join(good.dir, 'metrics.jsonl'), '{"step": 1, "name": "loss", "value": 0.5}\n{"step": 2, "na');
    const cat = await Catalogue.open(root);
    try {
      expect(await cat.query('select id from runs')).toEqual([{ id: good.id }]);
      expect(await cat.query('select count(*) as n from scores')).toEqual([{ n: 1 }]);
      expect(await cat.query('select step, value from metrics')).toEqual([{ step: 1, value: 0.5 }]);
      expect(cat.skipped.map((s) => s.split(':')[0]).sort()).toEqual([join(broken.dir, 'run.json'), join(typed.dir, 'run.json')].sort());
      expect(cat.skipped.find((s) => s.startsWith(join(typed.dir, 'run.json')))).toContain('"tags" to be a list of strings');
      // repaired: back in the catalogue on refresh
      writeFileSync(join(broken.dir, 'run.json'), JSON.stringify({ ...broken.info, status: 'failed' }));
      await cat.refresh();
      expect((await cat.query('select id from runs order by id')).length).toBe(2);
    } finally {
      cat.close();
    }
  });
});

describe('read-only queries', () => {
  let root: string;
  let cat: Catalogue;
  let run: Run;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'aikd-ro-'));
    run = Run.create({ kind: 'score', params: {}, root });
    run.writeTable('scores', scores(['a', 'b']), {});
    run.finish();
    cat = await Catalogue.open(root);
  });
  afterAll(() => cat.close());

  it('read the views and files inside the results folder', async () => {
    expect(await cat.query('select count(*) as n from scores')).toEqual([{ n: 2 }]);
    expect(await cat.query(`select count(*) as n from read_parquet('${join(run.dir, 'scores.parquet')}')`)).toEqual([{ n: 2 }]);
    expect((await cat.query('describe scores')).map((r) => r.column_name)).toEqual(['run_id', 'image_id', 'quality']);
  });

  it('refuse files outside it, writing, attaching, installing and changing settings', async () => {
    await expect(cat.query(`select * from read_csv('/etc/passwd')`)).rejects.toThrow(/Permission Error: Cannot access file "\/etc\/passwd"/);
    await expect(cat.query(`select * from read_csv('${root}/../../etc/passwd')`)).rejects.toThrow(/Permission Error/);
    const twin = join(run.dir, 'scores.parquet');
    const before = readFileSync(twin);
    await expect(cat.query(`copy (select 'x' as image_id, 9.0 as quality) to '${twin}' (format parquet)`)).rejects.toThrow(/^query refused: COPY statement — the results catalogue is read-only/);
    expect(readFileSync(twin).equals(before)).toBe(true);
    await expect(cat.query(`select 1; copy (select 1) to '${join(root, 'x.csv')}'`)).rejects.toThrow(/refused: COPY statement \(statement 2\)/);
    expect(existsSync(join(root, 'x.csv'))).toBe(false);
    await expect(cat.query(`attach '${join(root, 'db.duckdb')}' as d`)).rejects.toThrow(/refused: ATTACH/);
    await expect(cat.query(`install httpfs`)).rejects.toThrow(/refused/);
    await expect(cat.query(`load httpfs`)).rejects.toThrow(/refused/);
    await expect(cat.query(`set enable_external_access = true`)).rejects.toThrow(/refused: SET/);
    await expect(cat.query(`create table t as select 1`)).rejects.toThrow(/refused: CREATE/);
    // the sandbox holds even for statements that get past the type check
    expect((await cat.query(`select current_setting('lock_configuration') as l, current_setting('enable_external_access') as e`))[0]).toEqual({ l: true, e: false });
  });

  it('--allow-write lifts the limits (through the real aikd command)', () => {
    const out = join(root, 'export.csv');
    const aikd = (args: string[]) => spawnSync(process.execPath, aikdArgv(args), { encoding: 'utf8', env: { ...process.env, AIKD_RESULTS: root } });
    const refused = aikd(['query', `copy (select image_id from scores) to '${out}'`]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/query refused: COPY statement .*--allow-write/);
    expect(existsSync(out)).toBe(false);
    const allowed = aikd(['query', `copy (select image_id from scores order by 1) to '${out}'`, '--allow-write']);
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('image_id\na\nb\n');
  });
});
