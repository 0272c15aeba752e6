/**
 * `/api/sensitivity/options` and `/api/sensitivity`: how alignment-invariant each method is — pAUC_norm and the
 * Spearman ρ between its scores on aligned and on misaligned images, against the misalignment strength (result
 * kind `sensitivity`: dataset, fr_model, method, procedure, strength, spearman_rho, pauc_norm, mode, fmr,
 * discard_limit). Procedures without a strength (detector swap, bounding box) come as a table.
 */
import { z } from '@aikd/core';
import { nameList, nameOrNone, number, parse, query, runId } from '../params.ts';
import { EMPTY_HINT, EXPERIMENT_KIND, MAX_METHODS, PAPER_SETTING, SENSITIVITY_VIEW } from '../constants.ts';
import { seriesChartSpec } from '../charts.ts';
import { Sql, eqOrNone, scope } from './sql.ts';
import { requireRun } from './edc.ts';
import type { ApiContext, Chart, Row } from '../types.ts';

const optionsQuery = query({ experiment: runId.optional() });

export async function sensitivityOptions(ctx: ApiContext, input: unknown) {
  const { experiment } = parse(optionsQuery, input);
  await requireRun(ctx, experiment);
  const experiments = await ctx.store.query(`select id, name, status, started_at from runs where kind = '${EXPERIMENT_KIND}' order by started_at desc, id`);
  const none = { experiments, datasets: [], fr_models: [], methods: [], procedures: [], modes: [], fmrs: [], discard_limits: [], empty_hint: EMPTY_HINT };
  if (!(await ctx.store.has(SENSITIVITY_VIEW))) return { ...none, empty: true };
  const sql = new Sql();
  const sc = scope(sql, experiment, 's.run_id');
  const rows = await ctx.store.query(
    `${sc.with} select distinct coalesce(dataset, '') as dataset, coalesce(fr_model, '') as fr_model, method, procedure, mode, fmr, discard_limit
     from sensitivity s where ${sc.where}`,
    sql.params,
  );
  const strings = (k: string) => [...new Set(rows.map((r) => r[k] as string))].filter((x) => x !== null).sort();
  const numbers = (k: string) => [...new Set(rows.map((r) => r[k] as number))].filter((x) => x !== null).sort((a, b) => a - b);
  return {
    ...none,
    empty: rows.length === 0,
    datasets: strings('dataset'),
    fr_models: strings('fr_model'),
    methods: strings('method'),
    procedures: strings('procedure'),
    modes: strings('mode'),
    fmrs: numbers('fmr'),
    discard_limits: numbers('discard_limit'),
  };
}

const sensitivityQuery = query({
  dataset: nameOrNone,
  fr_model: nameOrNone,
  mode: z.enum(['iso', 'recomputed']).optional(),
  fmr: number.optional(),
  discard_limit: number.optional(),
  methods: nameList(MAX_METHODS).optional(),
  experiment: runId.optional(),
});

const strengthTitle = (procedure: string) => (procedure === 'landmark-jitter' ? 'landmark jitter p (px)' : `${procedure} strength`);

export async function sensitivity(ctx: ApiContext, input: unknown) {
  const o = parse(sensitivityQuery, input);
  await requireRun(ctx, o.experiment);
  const setting = { dataset: o.dataset, fr_model: o.fr_model, mode: o.mode ?? 'iso', fmr: o.fmr ?? PAPER_SETTING.operating_value, discard_limit: o.discard_limit ?? PAPER_SETTING.discard_limit };
  if (!(await ctx.store.has(SENSITIVITY_VIEW))) return { empty: true, empty_hint: EMPTY_HINT, setting, rows: [], charts: [], fixed: [] };
  const sql = new Sql();
  const sc = scope(sql, o.experiment, 's.run_id');
  const where = [
    sc.where,
    eqOrNone(sql, 's.dataset', o.dataset),
    eqOrNone(sql, 's.fr_model', o.fr_model),
    `s.mode = ${sql.p(setting.mode)}`,
    `s.fmr = ${sql.p(setting.fmr)}::double`,
    `s.discard_limit = ${sql.p(setting.discard_limit)}::double`,
  ];
  if (o.methods?.length) where.push(`s.method in (${o.methods.map((m) => sql.p(m)).join(', ')})`);
  const rows = await ctx.store.query(
    `${sc.with} select s.method, s.procedure, s.strength, s.spearman_rho, s.pauc_norm, s.run_id
     from sensitivity s join runs r on r.id = s.run_id where ${where.join(' and ')}
     qualify row_number() over (partition by s.method, s.procedure, s.strength order by r.started_at desc, s.run_id desc) = 1
     order by s.procedure, s.method, s.strength`,
    sql.params,
  );
  const methods = [...new Set(rows.map((r) => r.method as string))];
  const swept = (r: Row) => typeof r.strength === 'number';
  const charts: Chart[] = [];
  for (const procedure of [...new Set(rows.filter(swept).map((r) => r.procedure as string))]) {
    const pr = rows.filter((r) => r.procedure === procedure && swept(r));
    const line = (field: 'pauc_norm' | 'spearman_rho') =>
      pr.filter((r) => typeof r[field] === 'number').map((r) => ({ series: r.method as string, x: r.strength as number, y: r[field] as number }));
    charts.push(
      { title: `pAUC_norm — ${procedure}`, spec: seriesChartSpec(line('pauc_norm'), { title: `pAUC_norm@${setting.discard_limit} against ${procedure}`, xTitle: strengthTitle(procedure), yTitle: 'pAUC_norm (lower is better)', points: true, seriesOrder: methods }) },
      { title: `Spearman ρ — ${procedure}`, spec: seriesChartSpec(line('spearman_rho'), { title: `score stability (Spearman ρ, aligned vs ${procedure})`, xTitle: strengthTitle(procedure), yTitle: 'Spearman ρ (higher is more stable)', points: true, seriesOrder: methods }) },
    );
  }
  return { empty: rows.length === 0, ...(rows.length ? {} : { empty_hint: EMPTY_HINT }), setting, rows, charts, fixed: rows.filter((r) => !swept(r)) };
}
