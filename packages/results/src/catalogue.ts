import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { AikdError, resultsDir, log } from '@aikd/core';
import { runsDir, runRecordProblem } from './runs.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
export type Row = Record<string, JsonValue>;

/** Views the catalogue always has, whatever result kinds exist. */
export const BUILTIN_VIEWS = ['runs', 'metrics', 'artifacts'] as const;

const RUN_COLUMNS = `{id: 'VARCHAR', kind: 'VARCHAR', name: 'VARCHAR', parent: 'VARCHAR', status: 'VARCHAR', params: 'JSON',
  config_hash: 'VARCHAR', code_version: 'VARCHAR', backend: 'VARCHAR', started_at: 'VARCHAR', ended_at: 'VARCHAR',
  duration_s: 'DOUBLE', error: 'VARCHAR', artifacts: 'JSON', summary: 'JSON', tags: 'VARCHAR[]'}`;
const EMPTY_RUNS = `select null::varchar as id, null::varchar as kind, null::varchar as name, null::varchar as parent, null::varchar as status,
  null::json as params, null::varchar as config_hash, null::varchar as code_version, null::varchar as backend,
  null::timestamptz as started_at, null::timestamptz as ended_at, null::double as duration_s, null::varchar as error,
  null::json as artifacts, null::json as summary, null::varchar[] as tags where false`;

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

function kindView(kind: string, files: string[]): string {
  return `create or replace view "${kind}" as
        select regexp_extract(filename, '([^/\\\\]+)[/\\\\][^/\\\\]+\\.parquet$', 1) as run_id, * exclude (filename)
        from read_parquet(${sqlList(files)}, union_by_name = true, filename = true)`;
}
const sqlList = (files: string[]) => `[${files.map(sqlString).join(', ')}]`;

/** Turn DuckDB's JS values into JSON: BIGINTs become numbers when exact, else strings; times become ISO strings. */
export function toJson(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : 'NaN';
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toJson);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, (x) => toJson(x));
  if (typeof v === 'object') {
    const o: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v as object)) o[k] = toJson(x);
    return o;
  }
  return String(v);
}

export interface CatalogueOptions {
  /**
   * Let queries write (`COPY … TO`, `ATTACH`, `INSTALL`, `CREATE TABLE`, `SET` …) and read files anywhere. Off by
   * default: DuckDB then reads only files inside the results folder, runs only SELECT-like statements (SELECT,
   * WITH, DESCRIBE, SHOW, SUMMARIZE, PRAGMA queries, EXPLAIN), installs and loads no extension, and its
   * configuration is locked so no statement can lift these limits.
   */
  allowWrite?: boolean;
}

/**
 * DuckDB, loaded when the first catalogue opens rather than when the package is imported: most commands that
 * import @aikd/results never query (loading the native module and its API costs about 0.15 s of every start).
 */
let duckdb: typeof import('@duckdb/node-api') | undefined;
async function loadDuckDb(): Promise<typeof import('@duckdb/node-api')> {
  return (duckdb ??= await import('@duckdb/node-api'));
}

/** A run.json the catalogue left out, with the stat it was judged at (re-read only when the file changes). */
type RunFileVerdict = { size: number; mtimeMs: number; problem?: string };

/**
 * A DuckDB view of everything in the results folder, without loading result data into JS memory:
 * `runs` and `artifacts` (run records), `metrics` (step series), and one view per result kind over the Parquet
 * twins of the Arrow result files (`edc_points`, `edc_summary`, `scores`, …), each with a `run_id` column.
 */
export class Catalogue {
  readonly root: string;
  readonly allowWrite: boolean;
  private readonly runFileVerdicts = new Map<string, RunFileVerdict>();
  private constructor(
    root: string,
    private readonly instance: DuckDBInstance,
    private readonly con: DuckDBConnection,
    private kinds: string[],
    allowWrite: boolean,
  ) {
    this.root = root;
    this.allowWrite = allowWrite;
  }

  static async open(root = resultsDir(), opts: CatalogueOptions = {}): Promise<Catalogue> {
    root = resolve(root);
    const { DuckDBInstance } = await loadDuckDb();
    const instance = await DuckDBInstance.create(':memory:');
    const con = await instance.connect();
    if (!opts.allowWrite) {
      // DuckDB's own sandbox: files only under the results folder, no extensions, settings locked (verified in
      // the tests against read_csv('/etc/passwd'), COPY, ATTACH, INSTALL, LOAD and SET)
      for (const stmt of [
        `set allowed_directories = [${sqlString(root.endsWith(sep) ? root : root + sep)}]`,
        `set enable_external_access = false`,
        `set autoinstall_known_extensions = false`,
        `set autoload_known_extensions = false`,
        `set lock_configuration = true`,
      ])
        await con.run(stmt);
    }
    const cat = new Catalogue(root, instance, con, [], !!opts.allowWrite);
    await cat.refresh();
    return cat;
  }

  /** Result kinds present (each is a view). */
  get resultKinds(): readonly string[] {
    return this.kinds;
  }

  has(view: string): boolean {
    return (BUILTIN_VIEWS as readonly string[]).includes(view) || this.kinds.includes(view);
  }

  /** Rebuild the views from the files now on disk (new runs appear; views are lazy, so this is cheap). */
  async refresh(): Promise<void> {
    const dir = runsDir(this.root);
    const runDirs = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(dir, d.name)) : [];
    const problems: string[] = [];
    // one malformed run.json (hand-edited, truncated by a full disk) must not take down every query: check each
    // record in JS (re-read only when it changed) and leave the bad ones out, as unreadable Parquet files are
    const runFiles = runDirs.map((d) => join(d, 'run.json')).filter((f) => {
      const problem = this.runFileProblem(f);
      if (problem === null) return false;
      if (problem) problems.push(`${f}: expected ${problem}`);
      return !problem;
    });
    const metricFiles = runDirs.map((d) => join(d, 'metrics.jsonl')).filter(existsSync);
    const byKind = new Map<string, string[]>();
    for (const d of runDirs)
      for (const f of readdirSync(d)) {
        const m = /^([a-z][a-z0-9_]*)(\.[A-Za-z0-9_.-]+)?\.parquet$/.exec(f);
        if (!m || (BUILTIN_VIEWS as readonly string[]).includes(m[1]!)) continue;
        byKind.set(m[1]!, [...(byKind.get(m[1]!) ?? []), join(d, f)]);
      }

    const stmts: string[] = [];
    stmts.push(
      runFiles.length
        ? `create or replace view runs as select * replace (try_cast(started_at as timestamptz) as started_at, try_cast(ended_at as timestamptz) as ended_at)
           from read_json(${sqlList(runFiles)}, format = 'auto', columns = ${RUN_COLUMNS})`
        : `create or replace view runs as ${EMPTY_RUNS}`,
    );
    stmts.push(
      metricFiles.length
        ? `create or replace view metrics as select regexp_extract(filename, '([^/\\\\]+)[/\\\\]metrics\\.jsonl$', 1) as run_id, step, name, value, try_cast(time as timestamptz) as time
           from read_json(${sqlList(metricFiles)}, format = 'newline_delimited', filename = true, ignore_errors = true,
             columns = {step: 'BIGINT', name: 'VARCHAR', value: 'DOUBLE', time: 'VARCHAR'})
           where step is not null and name is not null`
        : `create or replace view metrics as select null::varchar as run_id, null::bigint as step, null::varchar as name, null::double as value, null::timestamptz as time where false`,
    );
    stmts.push(`create or replace view artifacts as
      select id as run_id, a.name, a.kind, a.path, a.rows from (
        select id, unnest(from_json(coalesce(artifacts, '[]'), '[{"name":"VARCHAR","kind":"VARCHAR","path":"VARCHAR","rows":"BIGINT"}]')) as a from runs)`);
    for (const old of this.kinds) if (!byKind.has(old)) stmts.push(`drop view if exists "${old}"`);
    for (const s of stmts) await this.con.run(s);
    for (const [kind, files] of byKind) {
      try {
        await this.con.run(kindView(kind, files));
      } catch {
        // one unreadable file (a crash mid-copy, a foreign file) must not hide every other result:
        // keep the files DuckDB can read and say which were left out
        const good: string[] = [];
        for (const f of files) {
          try {
            await this.con.run(`select * from read_parquet(${sqlString(f)}) limit 0`);
            good.push(f);
          } catch (e) {
            problems.push(`${f}: ${(e as Error).message.split('\n')[0]}`);
          }
        }
        if (good.length) await this.con.run(kindView(kind, good));
        else {
          await this.con.run(`drop view if exists "${kind}"`);
          byKind.delete(kind);
        }
      }
    }
    this.kinds = [...byKind.keys()].sort();
    for (const p of problems) if (!this.skipped.includes(p)) log.warn(`results catalogue: left out unreadable file ${p}`);
    this.skipped = problems;
  }

  /** undefined: a good run record; a string: what is wrong with it; null: no such file. */
  private runFileProblem(file: string): string | undefined | null {
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st?.isFile()) return null;
    const seen = this.runFileVerdicts.get(file);
    if (seen && seen.size === st.size && seen.mtimeMs === st.mtimeMs) return seen.problem;
    let problem: string | undefined;
    try {
      problem = runRecordProblem(JSON.parse(readFileSync(file, 'utf8')));
    } catch (e) {
      problem = `a run record (JSON): ${(e as Error).message}`;
    }
    this.runFileVerdicts.set(file, { size: st.size, mtimeMs: st.mtimeMs, problem });
    return problem;
  }

  /** Files the last refresh could not read (and left out of their view). */
  skipped: string[] = [];

  /**
   * Run SQL (with `$1`-style or `?` parameters) and return JSON-safe rows; `T` names what the query selects (e.g.
   * `ViewRow<'edc_summary'>` for `select * from edc_summary`; a type only, not checked against the SQL).
   */
  async query<T = Row>(sql: string, params?: DuckDBValue[] | Record<string, DuckDBValue>): Promise<T[]> {
    return (await this.queryWithColumns(sql, params)).rows as T[];
  }

  async queryWithColumns(sql: string, params?: DuckDBValue[] | Record<string, DuckDBValue>): Promise<{ columns: { name: string; type: string }[]; rows: Row[] }> {
    let reader;
    try {
      if (!this.allowWrite) await this.checkReadOnly(sql);
      reader = await this.con.runAndReadAll(sql, params as never);
    } catch (e) {
      if (e instanceof AikdError) throw e;
      throw new AikdError(`query failed: ${(e as Error).message.replace(/^Failed to extract statements: /, '').replace(/\s+/g, ' ').trim()}`, 'QUERY_ERROR');
    }
    const names = reader.columnNames();
    const types = reader.columnTypes().map(String);
    const rows = reader.getRowObjectsJS().map((r) => {
      const o: Row = {};
      for (const n of names) o[n] = toJson((r as Record<string, unknown>)[n]);
      return o;
    });
    return { columns: names.map((name, i) => ({ name, type: types[i]! })), rows };
  }

  /** Refuse anything but reading (every statement of a multi-statement text is checked before any runs). */
  private async checkReadOnly(sql: string): Promise<void> {
    // statement types a read-only catalogue runs (DuckDB is loaded: this catalogue is open)
    const { StatementType } = duckdb!;
    const statements = await this.con.extractStatements(sql);
    for (let i = 0; i < statements.count; i++) {
      const type = (await statements.prepare(i)).statementType;
      if (type !== StatementType.SELECT && type !== StatementType.EXPLAIN)
        throw new AikdError(
          `query refused: ${StatementType[type] ?? 'this'} statement${statements.count > 1 ? ` (statement ${i + 1})` : ''} — the results catalogue is read-only (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); use \`aikd query --allow-write\` to write, attach or install`,
          'QUERY_REFUSED',
        );
    }
  }

  close(): void {
    this.con.closeSync();
    this.instance.closeSync();
  }
}
