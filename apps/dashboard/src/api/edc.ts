/**
 * `/api/edc/options` and `/api/edc`: the EDC curves of one dataset × FR model × test condition × EDC setting, one
 * per method. When several runs hold the same curve, the latest run's is shown (or, with `experiment`, the latest
 * within that experiment).
 */
import { z } from '@aikd/core';
import { edcChartSpec, inOrder, legendSummary, methodStyles, type EdcChartCurve } from '@aikd/edc';
import { ApiError, flag, integer, nameList, nameOrNone, number, parse, query, runId } from '../params.ts';
import { EDC_BAND_VIEW, EDC_POINTS_PER_CURVE, EDC_POINTS_VIEW, EDC_SUMMARY_VIEW, EMPTY_HINT, EXPERIMENT_KIND, MAX_EDC_POINTS_PER_CURVE, MAX_METHODS } from '../constants.ts';
import { styleCss } from '../charts.ts';
import { Sql, eqOrNone, scope } from './sql.ts';
import type { ApiContext, Row } from '../types.ts';

/** The EDC setting when the request does not name one: the paper's reading (experiments/reference/README.md). */
export const DEFAULT_SETTING = { mode: 'iso', error: 'fnmr', op: 'fmr', op_value: 1e-3, pair_quality: 'min' } as const;

/** Query parameters that pick an EDC setting (shared with `/api/pauc` and `/api/compare`). */
export const settingParams = {
  mode: z.enum(['iso', 'recomputed']).optional(),
  error: z.enum(['fnmr', 'fmr']).optional(),
  op: z.enum(['fmr', 'threshold', 'starting_error']).optional(),
  op_value: number.optional(),
  pair_quality: z.enum(['min', 'mean', 'max']).optional(),
  experiment: runId.optional(),
};

export interface Setting {
  mode: string;
  error: string;
  op: string;
  op_value: number;
  pair_quality: string;
}

export function settingOf(o: Partial<Setting>): Setting {
  return {
    mode: o.mode ?? DEFAULT_SETTING.mode,
    error: o.error ?? DEFAULT_SETTING.error,
    op: o.op ?? DEFAULT_SETTING.op,
    op_value: o.op_value ?? DEFAULT_SETTING.op_value,
    pair_quality: o.pair_quality ?? DEFAULT_SETTING.pair_quality,
  };
}

/** Conditions on `edc_summary` / `edc_points` (alias `alias`) for a setting. */
export function settingWhere(sql: Sql, alias: string, s: Setting): string[] {
  return [
    `${alias}.mode = ${sql.p(s.mode)}`,
    `${alias}.error_type = ${sql.p(s.error)}`,
    `${alias}.operating_point = ${sql.p(s.op)}`,
    `${alias}.operating_value = ${sql.p(s.op_value)}::double`,
    `${alias}.pair_quality = ${sql.p(s.pair_quality)}`,
  ];
}

/** 404 unless `id` is a run. */
export async function requireRun({ store }: ApiContext, id: string | undefined): Promise<void> {
  if (id !== undefined && !(await store.query('select 1 as ok from runs where id = $1', [id])).length) throw new ApiError(404, `no run "${id}"`);
}

const optionsQuery = query({ experiment: runId.optional() });

export async function edcOptions(ctx: ApiContext, input: unknown) {
  const { experiment } = parse(optionsQuery, input);
  await requireRun(ctx, experiment);
  const experiments = await ctx.store.query(
    `select id, name, status, started_at from runs where kind = '${EXPERIMENT_KIND}' order by started_at desc, id`,
  );
  const empty = { experiments, datasets: [], fr_models: [], conditions: [], methods: [], method_names: {}, fr_model_names: {}, modes: [], settings: [], discard_limits: [], empty_hint: EMPTY_HINT };
  if (!(await ctx.store.has(EDC_SUMMARY_VIEW))) return { ...empty, empty: true };
  const sql = new Sql();
  const sc = scope(sql, experiment, 's.run_id');
  const rows = await ctx.store.query(
    `${sc.with} select distinct coalesce(dataset, '') as dataset, coalesce(fr_model, '') as fr_model, coalesce(condition, '') as condition,
       method, mode, error_type, operating_point, operating_value, pair_quality, discard_limit
     from edc_summary s where ${sc.where}`,
    sql.params,
  );
  const distinct = (f: (r: Row) => string, order: string[] = []) => inOrder(rows.map(f), order);
  const ref = ctx.reference.order;
  const settings = new Map<string, Row>();
  for (const r of rows) {
    const s = { error: r.error_type, op: r.operating_point, op_value: r.operating_value, pair_quality: r.pair_quality };
    settings.set(JSON.stringify(s), s);
  }
  const methods = distinct((r) => r.method as string, ref.methods);
  const frModels = distinct((r) => r.fr_model as string, ref.fr_models);
  // display names: the paper's where it has one, else the catalogues' titles
  const names = ctx.reference.names;
  return {
    ...empty,
    empty: rows.length === 0,
    datasets: distinct((r) => r.dataset as string, ref.datasets),
    fr_models: frModels,
    conditions: distinct((r) => r.condition as string, ref.conditions),
    methods,
    method_names: Object.fromEntries(methods.map((m) => [m, names.get(m) ?? ctx.labels.method(m)])),
    fr_model_names: Object.fromEntries(frModels.map((f) => [f, names.get(f) ?? (f ? ctx.labels.frModel(f) : '(none)')])),
    modes: distinct((r) => r.mode as string),
    settings: [...settings.values()],
    discard_limits: [...new Set(rows.map((r) => r.discard_limit as number))].sort((a, b) => a - b),
  };
}

const curvesQuery = query({
  dataset: nameOrNone,
  fr_model: nameOrNone,
  condition: nameOrNone,
  methods: nameList(MAX_METHODS).optional(),
  /** The limit whose pAUC_norm the legend shows (default: the largest stored). */
  limit: number.optional(),
  points: integer(2, MAX_EDC_POINTS_PER_CURVE).optional(),
  /** Draw the bootstrap bands (edc_band) of the curves that have them. */
  bands: flag.optional(),
  ...settingParams,
});

export interface EdcCurveSummary {
  run_id: string;
  method: string;
  label: string;
  interpolation: string;
  error_at_0: number;
  threshold: number;
  achieved_fmr: number | null;
  fnmr_at_0: number | null;
  n_mated: number;
  n_nonmated: number;
  n_failed_to_assess: number;
  n_points: number;
  limits: { discard_limit: number; pauc: number | null; pauc_norm: number | null; pauc_norm_ci: [number, number] | null; theoretical_best: number }[];
  /** How the intervals were made (null without a bootstrap). */
  bootstrap: { unit: string; replicates: number; level: number } | null;
}

/**
 * Every method's colour and dash, stable across selections: from all methods with results in the scope (the
 * experiment, or everything), in the paper's order then alphabetically.
 */
export async function scopeStyles(ctx: ApiContext, experiment: string | undefined) {
  const sql = new Sql();
  const sc = scope(sql, experiment, 's.run_id');
  const rows = await ctx.store.query(`${sc.with} select distinct method from edc_summary s where ${sc.where}`, sql.params);
  return methodStyles(rows.map((r) => r.method as string), ctx.reference.order.methods);
}

export async function edcCurves(ctx: ApiContext, input: unknown) {
  const o = parse(curvesQuery, input);
  const s = settingOf(o);
  await requireRun(ctx, o.experiment);
  if (!(await ctx.store.has(EDC_SUMMARY_VIEW))) return { empty: true, empty_hint: EMPTY_HINT, curves: [], missing_methods: o.methods ?? [], spec: null };

  const sql = new Sql();
  const sc = scope(sql, o.experiment, 's.run_id');
  const where = [
    sc.where,
    eqOrNone(sql, 's.dataset', o.dataset),
    eqOrNone(sql, 's.fr_model', o.fr_model),
    eqOrNone(sql, 's.condition', o.condition),
    ...settingWhere(sql, 's', s),
  ];
  if (o.methods?.length) where.push(`s.method in (${o.methods.map((m) => sql.p(m)).join(', ')})`);
  // the latest run holding each method's curve
  const rows = await ctx.store.query(
    `${sc.with ? sc.with + ',' : 'with'} cand as (select s.*, r.started_at from edc_summary s join runs r on r.id = s.run_id where ${where.join(' and ')}),
     latest as (select distinct run_id, method from cand qualify row_number() over (partition by method order by started_at desc, run_id desc) = 1)
     select c.* from cand c join latest l using (run_id, method) order by c.method, c.discard_limit`,
    sql.params,
  );

  const byMethod = new Map<string, Row[]>();
  for (const r of rows) byMethod.set(r.method as string, [...(byMethod.get(r.method as string) ?? []), r]);
  const limits = [...new Set(rows.map((r) => r.discard_limit as number))].sort((a, b) => a - b);
  const legendLimit = o.limit ?? limits[limits.length - 1];
  const order = o.methods?.length ? o.methods.filter((m) => byMethod.has(m)) : inOrder(byMethod.keys(), ctx.reference.order.methods);
  const curves: EdcCurveSummary[] = order.map((method) => {
    const rs = byMethod.get(method)!;
    const first = rs[0]!;
    const atLegend = rs.find((r) => r.discard_limit === legendLimit);
    const norm = atLegend?.pauc_norm as number | null | undefined;
    const ci = (r: Row | undefined): [number, number] | null => (r && r.pauc_norm_lo !== null && r.pauc_norm_lo !== undefined ? [r.pauc_norm_lo as number, r.pauc_norm_hi as number] : null);
    return {
      run_id: first.run_id as string,
      method,
      label: atLegend ? `${method} (${legendSummary(legendLimit!, norm, ci(atLegend))})` : method,
      interpolation: first.interpolation as string,
      error_at_0: first.error_at_0 as number,
      threshold: first.threshold as number,
      achieved_fmr: first.achieved_fmr as number | null,
      fnmr_at_0: first.fnmr_at_0 as number | null,
      n_mated: first.n_mated as number,
      n_nonmated: first.n_nonmated as number,
      n_failed_to_assess: first.n_failed_to_assess as number,
      n_points: first.n_points as number,
      limits: rs.map((r) => ({
        discard_limit: r.discard_limit as number,
        pauc: r.pauc as number | null,
        pauc_norm: r.pauc_norm as number | null,
        pauc_norm_ci: ci(r),
        theoretical_best: r.theoretical_best as number,
      })),
      bootstrap: first.bootstrap_unit ? { unit: first.bootstrap_unit as string, replicates: first.bootstrap_replicates as number, level: first.bootstrap_level as number } : null,
    };
  });

  const points = curves.length && (await ctx.store.has(EDC_POINTS_VIEW)) ? await curvePoints(ctx, o, s, curves, o.points ?? EDC_POINTS_PER_CURVE) : new Map();
  const bands = o.bands && curves.length && (await ctx.store.has(EDC_BAND_VIEW)) ? await curveBands(ctx, o, s, curves) : new Map();
  const styles = await scopeStyles(ctx, o.experiment);
  const errorTitle = s.error.toUpperCase();
  const opText = s.op === 'fmr' ? `FMR ${s.op_value}` : `${s.op.replace('_', ' ')} ${s.op_value}`;
  const where3 = [o.dataset || '(no dataset)', o.fr_model || '(no FR model)', o.condition || '(no condition)'].join(' · ');
  const chartCurves: EdcChartCurve[] = curves.map((c) => ({
    label: c.label,
    method: c.method,
    interpolation: c.interpolation,
    error_at_0: c.error_at_0,
    points: points.get(c.run_id + '\u0001' + c.method) ?? [],
    ...(bands.has(c.run_id + '\u0001' + c.method) ? { band: bands.get(c.run_id + '\u0001' + c.method) } : {}),
  }));
  return {
    empty: false,
    setting: { ...s, dataset: o.dataset, fr_model: o.fr_model, condition: o.condition, experiment: o.experiment ?? null },
    discard_limits: limits,
    curves,
    missing_methods: (o.methods ?? []).filter((m) => !byMethod.has(m)),
    has_bands: bands.size > 0,
    styles: Object.fromEntries(curves.map((c) => [c.method, styleCss(styles.get(c.method)!)])),
    spec: curves.length ? edcChartSpec(chartCurves, { title: `${where3} — ${s.mode}, ${opText}`, errorTitle, discardLimits: limits, styles, bands: !!o.bands, hover: true, width: 640, height: 380 }) : null,
  };
}

/** The bootstrap bands of the chosen curves. */
async function curveBands(ctx: ApiContext, o: { dataset: string; fr_model: string; condition: string }, s: Setting, curves: EdcCurveSummary[]) {
  const sql = new Sql();
  const where = [eqOrNone(sql, 'b.dataset', o.dataset), eqOrNone(sql, 'b.fr_model', o.fr_model), eqOrNone(sql, 'b.condition', o.condition), ...settingWhere(sql, 'b', s)];
  const pairs = curves.map((c) => `(${sql.p(c.run_id)}, ${sql.p(c.method)})`).join(', ');
  const rows = await ctx.store.query(
    `select b.run_id, b.method, b.discard_fraction, b.error_lo, b.error_hi
     from edc_band b join (values ${pairs}) as chosen(run_id, method) on b.run_id = chosen.run_id and b.method = chosen.method
     where ${where.join(' and ')} order by b.run_id, b.method, b.discard_fraction`,
    sql.params,
  );
  const out = new Map<string, { discard_fraction: number; lo: number | null; hi: number | null }[]>();
  for (const r of rows) {
    const k = (r.run_id as string) + '\u0001' + (r.method as string);
    if (!out.has(k)) out.set(k, []);
    out.get(k)!.push({ discard_fraction: r.discard_fraction as number, lo: r.error_lo as number | null, hi: r.error_hi as number | null });
  }
  return out;
}

/** The points of the chosen curves, at most ~`perCurve` each: the first point in each equal slice of the discard axis, and the last. */
async function curvePoints(ctx: ApiContext, o: { dataset: string; fr_model: string; condition: string }, s: Setting, curves: EdcCurveSummary[], perCurve: number) {
  const sql = new Sql();
  const where = [eqOrNone(sql, 'p.dataset', o.dataset), eqOrNone(sql, 'p.fr_model', o.fr_model), eqOrNone(sql, 'p.condition', o.condition), ...settingWhere(sql, 'p', s)];
  const pairs = curves.map((c) => `(${sql.p(c.run_id)}, ${sql.p(c.method)})`).join(', ');
  const bins = sql.p(perCurve);
  const rows = await ctx.store.query(
    `select p.run_id, p.method, p.discard_fraction, p.error, p.remaining
     from edc_points p join (values ${pairs}) as chosen(run_id, method) on p.run_id = chosen.run_id and p.method = chosen.method
     where ${where.join(' and ')}
     qualify row_number() over (partition by p.run_id, p.method, floor(p.discard_fraction * ${bins}::double) order by p.point) = 1
       or p.point = max(p.point) over (partition by p.run_id, p.method)
     order by p.run_id, p.method, p.point`,
    sql.params,
  );
  const out = new Map<string, { discard_fraction: number; error: number | null; remaining: number }[]>();
  for (const r of rows) {
    const k = (r.run_id as string) + '\u0001' + (r.method as string);
    if (!out.has(k)) out.set(k, []);
    out.get(k)!.push({ discard_fraction: r.discard_fraction as number, error: r.error as number | null, remaining: r.remaining as number });
  }
  return out;
}

