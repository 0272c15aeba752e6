import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import type * as arrow from 'apache-arrow';
import { configHash, codeVersion, resultsDir, writeJsonAtomic, InputError, AikdError, errorLine, fileHash, flushFileHashes, log, writeFailed } from '@aikd/core';
import { writeResultTable, type WrittenResult } from './arrow-files.ts';
import type { ProvenanceInput } from './provenance.ts';
import type { HasColumns, ResultKind, ResultRows } from './kinds.ts';

/** `partial`: finished with results, but some of its parts failed (an experiment with failed units). */
export type RunStatus = 'running' | 'completed' | 'partial' | 'failed' | 'interrupted';

export interface ArtifactRecord {
  name: string;
  /** Result kind for tables (`edc_points`, …), or `file`, `checkpoint`, `plot`, … */
  kind: string;
  /** Relative to the run folder. */
  path: string;
  rows?: number;
  /** SHA-256 of the file when it was written (files inside the run folder); checked before the result is reused. */
  sha256?: string;
  /** SHA-256 of a result table's Parquet twin (what the catalogue reads). */
  parquet_sha256?: string;
}

export interface RunRecord {
  id: string;
  kind: string;
  name?: string;
  parent?: string;
  status: RunStatus;
  params: Record<string, unknown>;
  config_hash: string;
  code_version: string;
  backend?: string;
  started_at: string;
  ended_at?: string;
  duration_s?: number;
  error?: string;
  artifacts: ArtifactRecord[];
  summary?: Record<string, unknown>;
  tags?: string[];
}

export interface CreateRunOptions {
  kind: string;
  params: Record<string, unknown>;
  name?: string;
  parent?: string;
  backend?: string;
  tags?: string[];
  /** Use this id (e.g. a content hash for cached experiment steps); default `<kind>-<time>-<random>`. */
  id?: string;
  /** Results root (default `AIKD_RESULTS` or `<workspace>/results`). */
  root?: string;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

export function newRunId(kind: string): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${kind}-${t}-${randomBytes(3).toString('hex')}`;
}

export function runsDir(root = resultsDir()): string {
  return join(root, 'runs');
}

/**
 * One training, scoring or evaluation job: `results/runs/<id>/run.json` (kind, resolved params, config hash, code
 * version, backend, times, status, artifacts), `metrics.jsonl` (step series), and its result tables.
 */
export class Run {
  readonly dir: string;
  private record: RunRecord;
  private readonly t0 = performance.now();

  private constructor(dir: string, record: RunRecord) {
    this.dir = dir;
    this.record = record;
  }

  static create(opts: CreateRunOptions): Run {
    const id = opts.id ?? newRunId(opts.kind);
    if (!ID_RE.test(id)) throw new AikdError(`run id "${id}": expected letters, digits, ".", "_", ":" or "-"`);
    const dir = join(runsDir(opts.root), id);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw writeFailed(dir, e);
    }
    const record: RunRecord = {
      id,
      kind: opts.kind,
      name: opts.name,
      parent: opts.parent,
      status: 'running',
      params: opts.params,
      config_hash: configHash(opts.params),
      code_version: codeVersion(),
      backend: opts.backend,
      started_at: new Date().toISOString(),
      artifacts: [],
      tags: opts.tags,
    };
    const run = new Run(dir, record);
    run.save();
    return run;
  }

  /** Reopen a run to add to it (e.g. resume training). */
  static open(id: string, root?: string): Run {
    const dir = join(runsDir(root), id);
    return new Run(dir, readRunRecord(join(dir, 'run.json')));
  }

  get id(): string {
    return this.record.id;
  }
  get configHash(): string {
    return this.record.config_hash;
  }
  get info(): Readonly<RunRecord> {
    return this.record;
  }

  private save(): void {
    writeJsonAtomic(join(this.dir, 'run.json'), this.record);
  }

  /** Append metric values at a step (one JSON line each; appends never lose earlier lines). */
  logMetrics(values: Record<string, number>, step: number): void {
    const time = new Date().toISOString();
    const lines = Object.entries(values)
      .filter(([, v]) => v !== undefined)
      .map(([name, value]) => JSON.stringify({ step, name, value: Number.isFinite(value) ? value : null, time }))
      .join('\n');
    if (!lines) return;
    try {
      appendFileSync(join(this.dir, 'metrics.jsonl'), lines + '\n');
    } catch (e) {
      // a partly appended line is skipped by the catalogue's reader; the earlier lines stay
      throw writeFailed(join(this.dir, 'metrics.jsonl'), e);
    }
  }

  /**
   * Write a result table into the run folder as `<name>.arrow` (+ Parquet twin) with provenance; the table must have
   * the columns of its kind's row (kinds.ts).
   */
  writeTable<K extends ResultKind, T extends arrow.TypeMap>(
    kind: K,
    table: arrow.Table<T> & HasColumns<T, ResultRows[K]>,
    prov: Omit<ProvenanceInput, 'kind' | 'run_id' | 'config_hash'> & { config_hash?: string },
    name: string = kind,
  ): WrittenResult {
    if (!/^[a-z][a-z0-9_]*$/.test(kind)) throw new AikdError(`result kind "${kind}": expected a lower-case identifier`);
    if (!/^[a-z][a-z0-9_]*(\.[A-Za-z0-9_-]+)*$/.test(name)) throw new AikdError(`result name "${name}": expected "<kind>" or "<kind>.<part>"`);
    const res = writeResultTable(join(this.dir, `${name}.arrow`), table, {
      ...prov,
      kind,
      run_id: this.id,
      config_hash: prov.config_hash ?? this.record.config_hash,
      params: prov.params ?? this.record.params,
    });
    this.addArtifact({ name, kind, path: `${name}.arrow`, rows: res.rows, sha256: res.sha256.arrow, parquet_sha256: res.sha256.parquet });
    return res;
  }

  /** Record a file of the run; one inside the run folder gets its content hash recorded (unless given). */
  addArtifact(a: ArtifactRecord): void {
    if (isAbsolute(a.path)) a = { ...a, path: relative(this.dir, a.path) };
    if (!a.sha256 && !a.path.startsWith('..')) {
      const p = join(this.dir, a.path);
      if (statSync(p, { throwIfNoEntry: false })?.isFile()) a = { ...a, sha256: fileHash(p) };
    }
    this.record.artifacts = [...this.record.artifacts.filter((x) => x.name !== a.name), a];
    this.save();
  }

  setSummary(summary: Record<string, unknown>): void {
    this.record.summary = { ...this.record.summary, ...summary };
    this.save();
  }

  finish(summary?: Record<string, unknown>, status: 'completed' | 'partial' | 'failed' = 'completed'): void {
    if (summary) this.record.summary = { ...this.record.summary, ...summary };
    if (status === 'completed') delete this.record.error;
    this.end(status);
  }

  /** Mark the run failed. Best effort: when the disk is full this cannot be written either, and the run stays
   * `running` on disk (never `completed`), so it is redone; the caller's error is what the user needs to see. */
  fail(error: unknown): void {
    this.record.error = errorLine(error);
    try {
      this.end('failed');
    } catch (e) {
      log.warn(`run ${this.id}: could not record the failure: ${errorLine(e)}`);
    }
  }

  private end(status: RunStatus): void {
    this.record.status = status;
    this.record.ended_at = new Date().toISOString();
    this.record.duration_s = Math.round((performance.now() - this.t0) / 10) / 100;
    this.save();
  }
}

const optional = (v: unknown, t: string) => v === undefined || v === null || typeof v === t;

/** What is wrong with a parsed run record (the fields the catalogue's `runs` view types), or undefined. */
export function runRecordProblem(r: unknown): string | undefined {
  if (!r || typeof r !== 'object' || Array.isArray(r)) return 'a JSON object';
  const o = r as Record<string, unknown>;
  if (typeof o.id !== 'string' || typeof o.kind !== 'string') return 'a run record with "id" and "kind" (strings)';
  for (const k of ['name', 'parent', 'status', 'config_hash', 'code_version', 'backend', 'started_at', 'ended_at', 'error'])
    if (!optional(o[k], 'string')) return `"${k}" to be a string (got ${typeof o[k]})`;
  if (!optional(o.duration_s, 'number')) return `"duration_s" to be a number (got ${typeof o.duration_s})`;
  if (o.artifacts !== undefined && o.artifacts !== null && !Array.isArray(o.artifacts)) return '"artifacts" to be a list';
  if (o.tags !== undefined && o.tags !== null && !(Array.isArray(o.tags) && o.tags.every((t) => typeof t === 'string'))) return '"tags" to be a list of strings';
  return undefined;
}

/**
 * Do `fn` as a run: create it, run `fn(run)`, and end it — `completed` when `fn` returns (with the summary it gave
 * `run.finish`, if it called it), `failed` with the error's line when `fn` throws or its promise rejects (the error
 * is passed on). The create / finish / fail bookkeeping every command and experiment step shares; synchronous work
 * stays synchronous.
 */
export function withRun<T>(opts: CreateRunOptions, fn: (run: Run) => Promise<T>): Promise<T>;
export function withRun<T>(opts: CreateRunOptions, fn: (run: Run) => T): T;
export function withRun<T>(opts: CreateRunOptions, fn: (run: Run) => T | Promise<T>): T | Promise<T> {
  const run = Run.create(opts);
  const done = () => run.info.status === 'running' && run.finish();
  const failed = (e: unknown) => {
    if (run.info.status === 'running') run.fail(e);
    return e;
  };
  let out: T | Promise<T>;
  try {
    out = fn(run);
  } catch (e) {
    throw failed(e);
  }
  if (out instanceof Promise)
    return out.then(
      (v) => (done(), v),
      (e) => {
        throw failed(e);
      },
    );
  done();
  return out;
}

export function readRunRecord(path: string): RunRecord {
  let r: RunRecord;
  try {
    r = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
  } catch (e) {
    throw new InputError({ file: path, expected: 'a run record (JSON)', got: (e as Error).message });
  }
  const problem = runRecordProblem(r);
  if (problem) throw new InputError({ file: path, expected: problem });
  return r;
}

/**
 * Files of a run whose content is not what was recorded when they were written (missing, truncated, modified
 * outside the workbench), one line each; empty when every recorded hash matches.
 */
export function runFileProblems(run: RunRecord, dir: string): string[] {
  const out: string[] = [];
  for (const a of run.artifacts ?? []) {
    const files: [string, string | undefined][] = [[a.path, a.sha256]];
    if (a.parquet_sha256) files.push([a.path.replace(/\.arrow$/, '.parquet'), a.parquet_sha256]);
    for (const [rel, want] of files) {
      if (!want || rel.startsWith('..') || isAbsolute(rel)) continue;
      const p = join(dir, rel);
      let got: string;
      try {
        got = fileHash(p, { flush: false });
      } catch {
        out.push(`${rel} is missing`);
        continue;
      }
      if (got !== want) out.push(`${rel} was modified after it was written (its content hash is not the recorded one)`);
    }
  }
  flushFileHashes();
  return out;
}

/** All run records under the results root (unreadable ones are skipped). */
export function listRuns(root?: string): RunRecord[] {
  const dir = runsDir(root);
  if (!existsSync(dir)) return [];
  const out: RunRecord[] = [];
  for (const id of readdirSync(dir)) {
    const p = join(dir, id, 'run.json');
    if (!existsSync(p)) continue;
    try {
      out.push(readRunRecord(p));
    } catch {
      /* a broken record must not hide the others */
    }
  }
  return out.sort((a, b) => a.started_at.localeCompare(b.started_at));
}
