/**
 * `/api/sensitivity/options` and `/api/sensitivity`: how alignment-invariant each method is.
 * - Alignment stability (result kind `alignment_stability`, every experiment with a proper and a misaligned
 *   condition): per method, Spearman(q(x̃), t(x)) — a student against its teacher's quality of the aligned crop, a
 *   teacher against itself — and Spearman(q(x̃), q(x)), the teacher-normalised mean |Δq|, Δ pAUC_norm with its
 *   interval; each teacher directly followed by its students.
 * - The sweep (result kind `sensitivity`, experiments with a `sensitivity:` section): pAUC_norm and Spearman ρ
 *   against the misalignment strength; procedures without a strength (detector swap, bounding box) as a table.
 */
import { z } from '@aikd/core';
import { nameList, nameOrNone, number, parse, query, runId } from '../params.ts';
import { TEACHER_BESIDE_STUDENT_ORDER } from '@aikd/results';
import { DEFAULT_BOOTSTRAP_LEVEL } from '@aikd/edc';
import { ALIGNMENT_STABILITY_VIEW, EMPTY_HINT, EXPERIMENT_KIND, MAX_METHODS, PAPER_SETTING, SENSITIVITY_VIEW } from '../constants.ts';
import { paucChartSpec, seriesChartSpec } from '../charts.ts';
import { Sql, eqOrNone, scope } from './sql.ts';
import { requireRun } from './edc.ts';
import type { ApiContext, Chart, Row } from '../types.ts';

const optionsQuery = query({ experiment: runId.optional() });

export async function sensitivityOptions(ctx: ApiContext, input: unknown) {
  const { experiment } = parse(optionsQuery, input);
  await requireRun(ctx, experiment);
  const experiments = await ctx.store.query(`select id, name, status, started_at from runs where kind = '${EXPERIMENT_KIND}' order by started_at desc, id`);
  const none = { experiments, datasets: [], fr_models: [], methods: [], procedures: [], modes: [], fmrs: [], discard_limits: [], empty_hint: EMPTY_HINT };
  const views = [];
  for (const v of [SENSITIVITY_VIEW, ALIGNMENT_STABILITY_VIEW]) if (await ctx.store.has(v)) views.push(v);
  if (!views.length) return { ...none, empty: true };
  const sql = new Sql();
  const sc = scope(sql, experiment, 's.run_id');
  const rows = await ctx.store.query(
    `${sc.with} ${views
      .map((v) => `select distinct coalesce(dataset, '') as dataset, coalesce(fr_model, '') as fr_model, method, procedure, mode, fmr, discard_limit from ${v} s where ${sc.where}`)
      .join(' union ')}`,
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

type Selection = { experiment?: string; dataset: string; /** undefined: every FR model */ fr_model?: string; methods?: string[] };
type Setting = { mode: string; fmr: number; discard_limit: number };

/** The rows of one selection and EDC setting, in either table (alias `s`; both have these columns). */
function selection(o: Selection, setting: Setting) {
  const sql = new Sql();
  const sc = scope(sql, o.experiment, 's.run_id');
  const where = [
    sc.where,
    eqOrNone(sql, 's.dataset', o.dataset),
    ...(o.fr_model === undefined ? [] : [eqOrNone(sql, 's.fr_model', o.fr_model)]),
    `s.mode = ${sql.p(setting.mode)}`,
    `s.fmr = ${sql.p(setting.fmr)}::double`,
    `s.discard_limit = ${sql.p(setting.discard_limit)}::double`,
  ];
  if (o.methods?.length) where.push(`s.method in (${o.methods.map((m) => sql.p(m)).join(', ')})`);
  return { sql, sc, where };
}

const strengthTitle = (procedure: string) => (procedure === 'landmark-jitter' ? 'landmark jitter p (px)' : `${procedure} strength`);

export async function sensitivity(ctx: ApiContext, input: unknown) {
  const o = parse(sensitivityQuery, input);
  await requireRun(ctx, o.experiment);
  const setting = { dataset: o.dataset, fr_model: o.fr_model, mode: o.mode ?? 'iso', fmr: o.fmr ?? PAPER_SETTING.operating_value, discard_limit: o.discard_limit ?? PAPER_SETTING.discard_limit };
  const stability = await stabilityRows(ctx, o, setting);
  const stabilityChart = stability.length ? await deltaChart(ctx, o, setting) : null;
  if (!(await ctx.store.has(SENSITIVITY_VIEW)))
    return { empty: !stability.length, ...(stability.length ? {} : { empty_hint: EMPTY_HINT }), setting, rows: [], charts: [], fixed: [], stability, stability_chart: stabilityChart };
  const { sql, sc, where } = selection(o, setting);
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
  const empty = rows.length === 0 && stability.length === 0;
  return { empty, ...(empty ? { empty_hint: EMPTY_HINT } : {}), setting, rows, charts, fixed: rows.filter((r) => !swept(r)), stability, stability_chart: stabilityChart };
}

/**
 * The alignment-stability rows of one selection (the newest run's per method and condition), each teacher followed
 * by its students.
 */
async function stabilityRows(ctx: ApiContext, o: Selection, setting: Setting): Promise<Row[]> {
  if (!(await ctx.store.has(ALIGNMENT_STABILITY_VIEW))) return [];
  const { sql, sc, where } = selection(o, setting);
  return ctx.store.query(
    `${sc.with} select * from (
       select s.method, s.role, s.teacher, s.condition, s.procedure, s.strength, s.images, s.spearman_teacher, s.spearman_self, s.mean_abs_shift, s.shift_scale,
              s.pauc_norm_proper, s.pauc_norm_misaligned, s.delta_pauc_norm, s.delta_lo, s.delta_hi, s.run_id
       from ${ALIGNMENT_STABILITY_VIEW} s join runs r on r.id = s.run_id where ${where.join(' and ')}
       qualify row_number() over (partition by s.method, s.condition order by r.started_at desc, s.run_id desc) = 1)
     order by condition, ${TEACHER_BESIDE_STUDENT_ORDER}`,
    sql.params,
  );
}

/**
 * Δ pAUC_norm (misaligned − proper) per method × FR model with its interval, one panel per misaligned condition:
 * every FR model of the dataset at the selected EDC setting, methods in teacher-beside-student order.
 */
async function deltaChart(ctx: ApiContext, o: Selection, setting: Setting): Promise<Chart> {
  const { sql, sc, where } = selection({ ...o, fr_model: undefined }, setting);
  const rows = await ctx.store.query(
    `${sc.with} select * from (
       select s.method, s.role, s.teacher, s.condition, s.fr_model, s.delta_pauc_norm, s.delta_lo, s.delta_hi
       from ${ALIGNMENT_STABILITY_VIEW} s join runs r on r.id = s.run_id where ${where.join(' and ')} and s.delta_pauc_norm is not null
       qualify row_number() over (partition by s.method, s.condition, s.fr_model order by r.started_at desc, s.run_id desc) = 1)
     order by condition, fr_model, ${TEACHER_BESIDE_STUDENT_ORDER}`,
    sql.params,
  );
  const methods = [...new Set(rows.map((r) => r.method as string))];
  const conditions = [...new Set(rows.map((r) => r.condition as string))];
  const frModels = [...new Set(rows.map((r) => r.fr_model as string))].sort();
  const title = `Δ pAUC_norm@${setting.discard_limit} (misaligned − proper) per FR model`;
  return {
    title,
    spec: paucChartSpec(
      rows.map((r) => ({ dataset: r.condition as string, fr_model: r.fr_model as string, method: r.method as string, value: r.delta_pauc_norm as number, lo: r.delta_lo as number | null, hi: r.delta_hi as number | null })),
      { title, methods, frModels, datasets: conditions, level: DEFAULT_BOOTSTRAP_LEVEL, valueTitle: 'Δ pAUC_norm', zeroRule: true },
    ),
  };
}
