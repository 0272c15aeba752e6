/**
 * The catalogue as the server uses it: opened lazily, its views rebuilt at most every `refreshMs` (so runs
 * written while the dashboard is open appear), and queries run one at a time on its single DuckDB connection.
 */
import { sep } from 'node:path';
import { AikdError, errorLine } from '@aikd/core';
import { Catalogue, type Row } from '@aikd/results';

export type Param = string | number | boolean | null;

export interface Store {
  readonly resultsDir: string;
  /** `T`: what the query selects, e.g. `Pick<ViewRow<'edc_summary'>, 'method' | 'pauc_norm'>` (a type only). */
  query<T = Row>(sql: string, params?: Param[]): Promise<T[]>;
  /** Does the catalogue have this view (`runs`, `metrics`, `artifacts`, or a result kind)? */
  has(view: string): Promise<boolean>;
  resultKinds(): Promise<readonly string[]>;
  /** Result files the catalogue could not read and left out (with DuckDB's reason). */
  skippedFiles(): Promise<readonly string[]>;
  close(): Promise<void>;
}

const relativeToResults = (line: string, root: string) => line.split(root.replace(/[\\/]+$/, '') + sep).join('');

export function createStore(resultsDir: string, refreshMs: number): Store {
  let catalogue: Promise<Catalogue> | undefined;
  let refreshedAt = 0;
  let tail: Promise<unknown> = Promise.resolve();

  /** Run `job` after every earlier one (DuckDB connections do not take concurrent statements). */
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const next = tail.then(job, job);
    tail = next.catch(() => undefined);
    return next;
  };

  // The catalogue leaves out result files DuckDB cannot read (listed by /api/overview); anything else that fails it
  // (e.g. a malformed run.json) is reported with the file, and retried on the next request.
  const failed = (e: unknown) => new AikdError(`results catalogue: ${errorLine(e).replace(/\s+/g, ' ')}`, 'CATALOGUE_ERROR');
  const fresh = async (): Promise<Catalogue> => {
    if (!catalogue) {
      catalogue = Catalogue.open(resultsDir);
      catalogue.catch(() => (catalogue = undefined));
      refreshedAt = Date.now();
    }
    const cat = await catalogue.catch((e) => {
      throw failed(e);
    });
    if (Date.now() - refreshedAt >= refreshMs) {
      refreshedAt = Date.now();
      await cat.refresh().catch((e) => {
        refreshedAt = 0;
        throw failed(e);
      });
    }
    return cat;
  };

  return {
    resultsDir,
    query: <T = Row>(sql: string, params?: Param[]) => serial(async () => (await fresh()).query<T>(sql, params as Parameters<Catalogue['query']>[1])),
    has: (view) => serial(async () => (await fresh()).has(view)),
    resultKinds: () => serial(async () => (await fresh()).resultKinds),
    // relative to the results folder (what the user needs to find them; no absolute path leaves the server)
    skippedFiles: () => serial(async () => (await fresh()).skipped.map((f) => relativeToResults(f, resultsDir))),
    close: () =>
      serial(async () => {
        if (catalogue) (await catalogue).close();
        catalogue = undefined;
      }),
  };
}
