/** `/api/overview`, `/api/runs`, `/api/runs/:id`: what is in the results folder, and one run in full. */
import { z } from '@aikd/core';
import { ApiError, flag, integer, name, parse, query, runId, searchText } from '../params.ts';
import { DEFAULT_RUNS_LIMIT, ALIGNMENT_STABILITY_VIEW, EDC_SUMMARY_VIEW, EMPTY_HINT, MAX_RUNS_LIMIT, SENSITIVITY_VIEW } from '../constants.ts';
import { Sql } from './sql.ts';
import type { ApiContext, Row } from '../types.ts';

export async function overview({ store }: ApiContext) {
  const [counts] = await store.query(`select count(*) as runs, count(*) filter (where kind = 'experiment') as experiments,
    count(*) filter (where status = 'running') as running from runs`);
  const kinds = await store.query('select kind, count(*) as n from runs group by kind order by n desc, kind');
  const resultKinds = await store.resultKinds();
  const metricRuns = (await store.query('select count(distinct run_id) as n from metrics'))[0]!.n as number;
  return {
    results_dir: store.resultsDir,
    runs: counts!.runs as number,
    experiments: counts!.experiments as number,
    running: counts!.running as number,
    kinds,
    result_kinds: resultKinds,
    has: { edc: resultKinds.includes(EDC_SUMMARY_VIEW), sensitivity: resultKinds.includes(SENSITIVITY_VIEW) || resultKinds.includes(ALIGNMENT_STABILITY_VIEW), metrics: metricRuns > 0 },
    empty_hint: EMPTY_HINT,
    /** Result files left out because DuckDB cannot read them. */
    skipped_files: await store.skippedFiles(),
  };
}

/** Sort keys the client may ask for → the column they sort by (the only way a client choice reaches SQL text). */
const SORTS = { started_at: 'r.started_at', duration_s: 'r.duration_s', kind: 'r.kind', status: 'r.status', id: 'r.id', name: 'r.name' } as const;
const STATUSES = ['running', 'completed', 'partial', 'failed', 'interrupted'] as const;

const listQuery = query({
  kind: name.optional(),
  status: z.enum(STATUSES).optional(),
  q: searchText.optional(),
  parent: runId.optional(),
  has_metrics: flag.optional(),
  sort: z.enum(Object.keys(SORTS) as [keyof typeof SORTS]).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  limit: integer(1, MAX_RUNS_LIMIT).optional(),
  offset: integer(0, 1e9).optional(),
});

const RUN_LIST_COLUMNS = `r.id, r.kind, r.name, r.parent, r.status, r.started_at, r.ended_at, r.duration_s, r.error, r.config_hash,
  r.code_version, r.backend, r.tags, (select count(*) from runs c where c.parent = r.id) as children,
  coalesce(json_array_length(r.artifacts), 0) as n_artifacts`;

export async function listRuns({ store }: ApiContext, input: unknown) {
  const o = parse(listQuery, input);
  const sql = new Sql();
  const where: string[] = [];
  if (o.kind) where.push(`r.kind = ${sql.p(o.kind)}`);
  if (o.status) where.push(`r.status = ${sql.p(o.status)}`);
  if (o.parent) where.push(`r.parent = ${sql.p(o.parent)}`);
  if (o.q)
    where.push(`contains(lower(concat_ws(' ', r.id, r.kind, r.name, r.status, r.params::varchar, array_to_string(r.tags, ' '))), lower(${sql.p(o.q)}))`);
  if (o.has_metrics !== undefined) where.push(`${o.has_metrics ? '' : 'not '}(r.id in (select run_id from metrics))`);
  const sortBy = SORTS[o.sort ?? 'started_at'];
  const dir = o.order ?? (o.sort && o.sort !== 'started_at' && o.sort !== 'duration_s' ? 'asc' : 'desc');
  const limit = o.limit ?? DEFAULT_RUNS_LIMIT;
  const cond = where.join(' and ') || 'true';
  const total = (await store.query(`select count(*) as n from runs r where ${cond}`, [...sql.params]))[0]!.n as number;
  const rows = await store.query(
    `select ${RUN_LIST_COLUMNS} from runs r where ${cond}
     order by ${sortBy} ${dir} nulls last, r.id limit ${sql.p(limit)}::bigint offset ${sql.p(o.offset ?? 0)}::bigint`,
    sql.params,
  );
  const facets = await store.query(
    `select 'kind' as facet, kind as value, count(*) as n from runs group by kind
     union all select 'status', status, count(*) from runs group by status order by facet, n desc, value`,
  );
  return {
    runs: rows,
    total,
    limit,
    offset: o.offset ?? 0,
    kinds: facets.filter((f) => f.facet === 'kind').map(({ value, n }) => ({ kind: value, n })),
    statuses: facets.filter((f) => f.facet === 'status').map(({ value, n }) => ({ status: value, n })),
  };
}

export async function runRecord({ store }: ApiContext, id: string): Promise<Row> {
  const [run] = await store.query(
    `select id, kind, name, parent, status, params, config_hash, code_version, backend, started_at, ended_at, duration_s, error,
       artifacts, summary, tags from runs where id = $1 order by started_at desc limit 1`,
    [id],
  );
  if (!run) throw new ApiError(404, `no run "${id}"`);
  for (const k of ['params', 'artifacts', 'summary'] as const) if (typeof run[k] === 'string') run[k] = JSON.parse(run[k] as string);
  return run;
}

export async function getRun(ctx: ApiContext, params: unknown) {
  const { id } = parse(z.object({ id: runId }), params);
  const run = await runRecord(ctx, id);
  const children = await ctx.store.query(
    `select ${RUN_LIST_COLUMNS} from runs r where r.parent = $1 order by r.started_at, r.id`,
    [id],
  );
  const metrics = await ctx.store.query(
    `select name, count(*) as n, count(value) as finite, min(step) as first_step, max(step) as last_step, arg_max(value, step) as last
     from metrics where run_id = $1 group by name order by name`,
    [id],
  );
  const parent = run.parent ? (await ctx.store.query('select id, kind, name, status from runs where id = $1', [run.parent as string]))[0] ?? null : null;
  return { run, parent, children, metrics };
}
