import { emit, textTable, errorLine, AikdError } from '@aikd/core';
import type { Command } from '@aikd/core/cli';

export function register(program: Command): void {
  program
    .command('query')
    .description('run read-only SQL over the results catalogue (views: runs, metrics, artifacts, and one per result kind); DuckDB reads only the results folder')
    .argument('<sql>', 'the query, e.g. "select kind, count(*) from runs group by 1"')
    .option('--results <dir>', 'results folder (default: AIKD_RESULTS or ./results)')
    .option('--allow-write', 'unrestricted DuckDB: COPY … TO, ATTACH, INSTALL/LOAD, SET, files anywhere (results modified this way are detected by their hashes and recomputed, never reused)')
    .action(async (sql: string, opts: { results?: string; allowWrite?: boolean }) => {
      const { Catalogue } = await import('./catalogue.ts');
      const cat = await Catalogue.open(opts.results, { allowWrite: !!opts.allowWrite });
      try {
        const { rows, columns } = await cat.queryWithColumns(sql);
        emit(rows, () => textTable(rows as Record<string, unknown>[], columns.map((c) => c.name)));
      } catch (e) {
        throw e instanceof AikdError ? e : new AikdError(errorLine(e));
      } finally {
        cat.close();
      }
    });
  program
    .command('runs')
    .description('list runs in the results folder')
    .option('--kind <kind>', 'only runs of this kind')
    .option('--results <dir>', 'results folder')
    .action(async (opts: { kind?: string; results?: string }) => {
      const { listRuns } = await import('./runs.ts');
      const runs = listRuns(opts.results).filter((r) => !opts.kind || r.kind === opts.kind);
      emit(runs, () =>
        textTable(
          runs.map((r) => ({ id: r.id, kind: r.kind, status: r.status, started: r.started_at, duration_s: r.duration_s ?? null, artifacts: r.artifacts.length })),
        ),
      );
    });
}
