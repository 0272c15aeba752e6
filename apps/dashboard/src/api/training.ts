/**
 * `/api/runs/:id/metrics`: a run's metric series (loss, validation loss, learning rates, …) as charts, grouped the
 * way one reads a training run. Whatever names the run logged are shown; unknown ones get a chart each. Each loss
 * term logged for training (`x`) and validation (`val_x`) shares one chart; the checkpoint a training chose (its
 * summary's `best_step`) is marked on every chart over steps. An lr search (a run of kind `lr-find`: `lr`, `loss`,
 * `loss_smoothed` per step, `suggested_lr` in its summary) is drawn as loss against lr — for the run itself, or for a
 * training run the newest search of the same name.
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

/** The chart title of a loss term with its validation twin: `loss_quality` → `Quality loss (training and validation)`. */
const pairTitle = (n: string) => {
  const term = n.replace(/^loss_?|_?loss$/g, '').replace(/_/g, ' ');
  return `${term ? `${term[0]!.toUpperCase()}${term.slice(1)} loss` : 'Loss (total)'} (training and validation)`;
};

export function metricGroups(names: readonly string[]): MetricGroup[] {
  const sorted = [...new Set(names)].sort();
  const taken = new Set<string>();
  const out: MetricGroup[] = [];
  // a term logged for training and validation: one chart, both lines
  for (const n of sorted)
    if (!n.startsWith('val_') && sorted.includes(`val_${n}`)) {
      out.push({ title: pairTitle(n), names: [n, `val_${n}`] });
      taken.add(n).add(`val_${n}`);
    }
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

/**
 * Charts of the groups; a line is named after its metric, followed by ` · <side>` when runs are overlaid. `marks`:
 * steps to mark on every chart (a training's chosen checkpoint).
 */
export function groupCharts(groups: MetricGroup[], runs: { side?: string; series: Map<string, { step: number; value: number }[]> }[], marks: { x: number; label: string }[] = []): Chart[] {
  return groups.map((g) => {
    const rows: SeriesRow[] = [];
    for (const run of runs)
      for (const n of g.names) for (const p of run.series.get(n) ?? []) rows.push({ series: run.side ? `${n} · ${run.side}` : n, x: p.step, y: p.value });
    return { title: g.title, spec: seriesChartSpec(rows, { title: g.title, xTitle: 'step', yTitle: g.names.length === 1 ? g.names[0]! : 'value', marks }) };
  });
}

/** Run kind of a learning-rate search (`aikd train --lr-find`). */
export const LR_FIND_KIND = 'lr-find';

/** An lr search's loss (raw and smoothed) against its learning rate, log x, the suggested lr marked. */
export async function lrFindChart(ctx: ApiContext, run: { id: string; summary: unknown }): Promise<{ run: string; suggested_lr: number | null; chart: Chart } | undefined> {
  const series = await metricSeries(ctx, run.id, ['lr', 'loss', 'loss_smoothed'], MAX_METRIC_POINTS_PER_SERIES);
  const lrAt = new Map((series.get('lr') ?? []).map((p) => [p.step, p.value]));
  if (!lrAt.size) return undefined;
  const rows: SeriesRow[] = [];
  for (const n of ['loss', 'loss_smoothed'])
    for (const p of series.get(n) ?? []) if (lrAt.has(p.step)) rows.push({ series: n, x: lrAt.get(p.step)!, y: p.value });
  const s = (run.summary ?? {}) as { suggested_lr?: unknown };
  const suggested = typeof s.suggested_lr === 'number' ? s.suggested_lr : null;
  const title = 'Learning-rate search: loss against lr';
  return {
    run: run.id,
    suggested_lr: suggested,
    chart: { title, spec: seriesChartSpec(rows, { title, xTitle: 'learning rate', yTitle: 'loss', xLog: true, marks: suggested === null ? [] : [{ x: suggested, label: `suggested lr ${suggested.toPrecision(2)}` }] }) },
  };
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
  const summary = (run.summary ?? {}) as { best_step?: unknown; best_val_loss?: unknown };
  const checkpoint = typeof summary.best_step === 'number' ? { step: summary.best_step, val_loss: typeof summary.best_val_loss === 'number' ? summary.best_val_loss : null } : null;
  // the lr search: this run, or the newest search of the same name for a training run
  let search: Awaited<ReturnType<typeof lrFindChart>>;
  if (run.kind === LR_FIND_KIND) search = await lrFindChart(ctx, { id, summary: run.summary });
  else if (run.name) {
    const [f] = await ctx.store.query(`select id, summary from runs where kind = $1 and name = $2 and id <> $3 order by started_at desc, id desc limit 1`, [LR_FIND_KIND, run.name as string, id]);
    if (f) search = await lrFindChart(ctx, { id: f.id as string, summary: typeof f.summary === 'string' ? JSON.parse(f.summary) : f.summary });
  }
  return {
    run: { id, kind: run.kind, name: run.name, status: run.status, started_at: run.started_at, duration_s: run.duration_s },
    metrics: stats,
    checkpoint,
    lr_find: search ? { run: search.run, suggested_lr: search.suggested_lr } : null,
    charts: (() => {
      const steps = groupCharts(groups, [{ series }], checkpoint ? [{ x: checkpoint.step, label: `checkpoint (step ${checkpoint.step})` }] : []);
      if (!search) return steps;
      return run.kind === LR_FIND_KIND ? [search.chart, ...steps] : [...steps, search.chart];
    })(),
  };
}
