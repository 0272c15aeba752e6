/**
 * `/api/runs/:id/metrics`: a run's metric series (loss, validation loss, learning rates, …) as charts, grouped the
 * way one reads a training run. Whatever names the run logged are shown; unknown ones get a chart each.
 */
import { z } from '@aikd/core';
import { integer, nameList, parse, query, runId } from '../params.ts';
import { MAX_METRIC_POINTS_PER_SERIES, METRIC_POINTS_PER_SERIES } from '../constants.ts';
import { seriesChartSpec, type SeriesRow } from '../charts.ts';
import { Sql } from './sql.ts';
import { runRecord } from './runs.ts';
import type { ApiContext, Chart } from '../types.ts';

export interface MetricGroup {
  title: string;
  names: string[];
}

/** Groups in display order: training losses, validation, learning rates, gradient norms, then one per other name. */
const GROUPS: { title: string; test: (n: string) => boolean }[] = [
  { title: 'Training loss', test: (n) => /^loss(_|$)|(^|_)loss$/.test(n) && !/^val_/.test(n) },
  { title: 'Validation loss', test: (n) => /^val_/.test(n) },
  { title: 'Learning rate', test: (n) => /^lr(_|$)|learning_rate/.test(n) },
  { title: 'Gradient norm', test: (n) => /grad/.test(n) },
];

export function metricGroups(names: readonly string[]): MetricGroup[] {
  const sorted = [...new Set(names)].sort();
  const taken = new Set<string>();
  const out: MetricGroup[] = [];
  for (const g of GROUPS) {
    const members = sorted.filter((n) => !taken.has(n) && g.test(n));
    members.forEach((n) => taken.add(n));
    if (members.length) out.push({ title: g.title, names: members });
  }
  for (const n of sorted) if (!taken.has(n)) out.push({ title: n, names: [n] });
  return out;
}

/** One run's series, each sampled evenly by step to at most ~`points` values (the last step always kept). */
export async function metricSeries(ctx: ApiContext, id: string, names: string[] | undefined, points: number) {
  const sql = new Sql();
  const where = [`run_id = ${sql.p(id)}`, 'value is not null'];
  if (names?.length) where.push(`name in (${names.map((n) => sql.p(n)).join(', ')})`);
  const max = sql.p(points);
  const rows = await ctx.store.query(
    `select name, step, value from (
       select name, step, value, row_number() over (partition by name order by step, time) as i, count(*) over (partition by name) as n
       from metrics where ${where.join(' and ')})
     where n <= ${max}::bigint or (i - 1) % ceil(n / ${max}::double)::bigint = 0 or i = n
     order by name, step`,
    sql.params,
  );
  const series = new Map<string, { step: number; value: number }[]>();
  for (const r of rows) {
    if (!series.has(r.name as string)) series.set(r.name as string, []);
    series.get(r.name as string)!.push({ step: r.step as number, value: r.value as number });
  }
  return series;
}

/** Charts of the groups; a line is named after its metric, followed by ` · <side>` when runs are overlaid. */
export function groupCharts(groups: MetricGroup[], runs: { side?: string; series: Map<string, { step: number; value: number }[]> }[]): Chart[] {
  return groups.map((g) => {
    const rows: SeriesRow[] = [];
    for (const run of runs)
      for (const n of g.names) for (const p of run.series.get(n) ?? []) rows.push({ series: run.side ? `${n} · ${run.side}` : n, x: p.step, y: p.value });
    return { title: g.title, spec: seriesChartSpec(rows, { title: g.title, xTitle: 'step', yTitle: g.names.length === 1 ? g.names[0]! : 'value' }) };
  });
}

const metricsQuery = query({ names: nameList(100).optional(), points: integer(2, MAX_METRIC_POINTS_PER_SERIES).optional() });

export async function runMetrics(ctx: ApiContext, params: unknown, input: unknown) {
  const { id } = parse(z.object({ id: runId }), params);
  const o = parse(metricsQuery, input);
  const run = await runRecord(ctx, id);
  const stats = await ctx.store.query(
    `select name, count(*) as n, count(value) as finite, min(step) as first_step, max(step) as last_step, arg_max(value, step) as last, min(value) as min
     from metrics where run_id = $1 group by name order by name`,
    [id],
  );
  const names = o.names ?? stats.map((s) => s.name as string);
  const series = await metricSeries(ctx, id, names, o.points ?? METRIC_POINTS_PER_SERIES);
  const groups = metricGroups(names.filter((n) => series.has(n)));
  return {
    run: { id, kind: run.kind, name: run.name, status: run.status, started_at: run.started_at, duration_s: run.duration_s },
    metrics: stats,
    charts: groupCharts(groups, [{ series }]),
  };
}
