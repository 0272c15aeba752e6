/**
 * `/api/pauc`: the paper's table layout (edc's `paucTables`, the same table `aikd report` prints) — rows FR model ×
 * method, columns datasets + mean pAUC_norm, each cell with its bootstrap interval and an honest rank within its FR
 * model block (shared unless the paired difference is significant after Holm), and the paper's value beside ours
 * where it has one (only at the paper's setting: FNMR, FMR 1e-3, L = 0.3) with ours − paper and whether the paper's
 * value lies inside our interval; the published table's own problems; and a chart of the values with error bars.
 * `format=csv` downloads it.
 */
import { z } from '@aikd/core';
import { checkPaperReference, inOrder, paucTables, type PaperIssue, type PaucCell as TableCell, type PaucEntry } from '@aikd/edc';
import { nameOrNone, number, parse, query } from '../params.ts';
import { EDC_BOOTSTRAP_VIEW, EDC_SUMMARY_VIEW, EMPTY_HINT, PAPER_SETTING } from '../constants.ts';
import { Sql, eqOrNone, scope } from './sql.ts';
import { requireRun, settingOf, settingParams, settingWhere, type Setting } from './edc.ts';
import { paucChartSpec, type PaucChartRow } from '../charts.ts';
import type { ApiContext } from '../types.ts';
import type { TopLevelSpec } from 'vega-lite';

export const DEFAULT_CONDITION = 'proper';
export const DEFAULT_DISCARD_LIMIT = PAPER_SETTING.discard_limit;

const paucQuery = query({
  condition: nameOrNone.optional(),
  discard_limit: number.optional(),
  format: z.enum(['json', 'csv']).optional(),
  ...settingParams,
});

/** A cell: ours with its interval and honest rank; the paper's value (null where it has none or does not apply). */
export type PaucCell = Omit<TableCell, 'paper' | 'vsPaper'> & { paper: number | null; vsPaper: TableCell['vsPaper'] };

export interface PaucRow {
  fr_model: string;
  fr_model_name: string;
  method: string;
  method_name: string;
  cells: PaucCell[];
  mean: PaucCell;
}

export interface PaucTable {
  empty: boolean;
  empty_hint?: string;
  setting: Setting & { condition: string; discard_limit: number; experiment: string | null };
  paper: { applies: boolean; note: string; checks: PaperIssue[] };
  datasets: { id: string; name: string }[];
  rows: PaucRow[];
  /** `significance`: ranks from paired bootstrap tests; `point`: no replicates stored, ranks by value. */
  ranking: 'significance' | 'point';
  /** How the intervals were made (null without any). */
  bootstrap: { unit: string; replicates: number; level: number } | null;
  spec: TopLevelSpec | null;
}

export async function paucTable(ctx: ApiContext, input: unknown): Promise<PaucTable & { format: 'json' | 'csv' }> {
  const o = parse(paucQuery, input);
  const s = settingOf(o);
  const condition = o.condition ?? DEFAULT_CONDITION;
  const limit = o.discard_limit ?? DEFAULT_DISCARD_LIMIT;
  await requireRun(ctx, o.experiment);
  const applies =
    s.error === PAPER_SETTING.error_type && s.op === PAPER_SETTING.operating_point && s.op_value === PAPER_SETTING.operating_value && limit === PAPER_SETTING.discard_limit;
  const base = {
    setting: { ...s, condition, discard_limit: limit, experiment: o.experiment ?? null },
    paper: {
      applies,
      note: applies
        ? "Beside ours: the paper's values (AI-KD, arXiv 2404.09555, read at FNMR, FMR 1e-3, L = 0.3), ours − paper and whether the paper's value lies inside our interval; the paper's mean is its printed one when all six datasets are shown, else the mean over those shown"
        : "The paper's values are shown only at its setting (FNMR, FMR 1e-3, discard limit 0.3)",
      checks: checkPaperReference(ctx.reference),
    },
    format: o.format ?? 'json',
    ranking: 'point' as const,
    bootstrap: null,
    spec: null,
  } as const;
  if (!(await ctx.store.has(EDC_SUMMARY_VIEW))) return { ...base, empty: true, empty_hint: EMPTY_HINT, datasets: [], rows: [] };

  const { entries, bootstrap } = await paucEntries(ctx, { experiment: o.experiment, setting: s, limit, condition });
  const ref = ctx.reference;
  const [table] = paucTables(entries, { paper: applies ? ref : undefined, order: ref.order });
  if (!table) return { ...base, empty: true, empty_hint: EMPTY_HINT, datasets: [], rows: [] };
  const cell = (c: TableCell): PaucCell => ({ ...c, paper: c.paper ?? null, vsPaper: c.vsPaper ?? null });
  const out: PaucRow[] = table.rows.map((r) => ({
    fr_model: r.fr_model,
    fr_model_name: ref.names.get(r.fr_model) ?? (r.fr_model ? ctx.labels.frModel(r.fr_model) : '(none)'),
    method: r.method,
    method_name: ref.names.get(r.method) ?? ctx.labels.method(r.method),
    cells: table.datasets.map((d) => cell(r.cells[d]!)),
    mean: cell(r.mean),
  }));
  const datasets = table.datasets.map((id) => ({ id, name: ref.names.get(id) ?? ref.names.get(id.replace(/-bin$/, '')) ?? (id || '(none)') }));
  // the chart: every cell with a value, per dataset and the mean
  const chartRows: PaucChartRow[] = out.flatMap((r) =>
    [...r.cells.map((c, j) => ({ c, d: datasets[j]!.name })), ...(datasets.length > 1 ? [{ c: r.mean, d: 'mean' }] : [])]
      .filter((x) => x.c.ours !== null)
      .map((x) => ({ dataset: x.d, fr_model: r.fr_model_name, method: r.method_name, value: x.c.ours!, lo: x.c.ci?.[0] ?? null, hi: x.c.ci?.[1] ?? null })),
  );
  const spec = chartRows.length
    ? paucChartSpec(chartRows, {
        title: `pAUC_norm@${limit} (${condition || 'no condition'}, ${s.mode})${bootstrap ? ` with ${Math.round(bootstrap.level * 100)}% intervals` : ''}`,
        methods: inOrder(out.map((r) => r.method_name), out.map((r) => r.method_name)),
        frModels: inOrder(out.map((r) => r.fr_model_name), out.map((r) => r.fr_model_name)),
        datasets: [...datasets.map((d) => d.name), 'mean'],
        level: bootstrap?.level ?? 0.95,
      })
    : null;
  return { ...base, empty: false, datasets, rows: out, ranking: table.ranking, bootstrap, spec };
}

/**
 * The latest curve's pAUC_norm per (condition, dataset, FR model, method) at one setting and limit, in the scope,
 * with its interval and replicates (the pAUC table and the agreement view read the same entries).
 */
export async function paucEntries(ctx: ApiContext, q: { experiment?: string; setting: Setting; limit: number; condition?: string }): Promise<{ entries: PaucEntry[]; bootstrap: PaucTable['bootstrap'] }> {
  const sql = new Sql();
  const sc = scope(sql, q.experiment, 's.run_id');
  const where = [sc.where, ...(q.condition !== undefined ? [eqOrNone(sql, 's.condition', q.condition)] : []), ...settingWhere(sql, 's', q.setting), `s.discard_limit = ${sql.p(q.limit)}::double`];
  const rows = await ctx.store.query(
    `${sc.with} select coalesce(s.condition, '') as condition, coalesce(s.dataset, '') as dataset, coalesce(s.fr_model, '') as fr_model, s.method, s.pauc_norm,
       s.pauc_norm_lo, s.pauc_norm_hi, s.bootstrap_unit, s.bootstrap_replicates, s.bootstrap_level, s.run_id
     from edc_summary s join runs r on r.id = s.run_id where ${where.join(' and ')}
     qualify row_number() over (partition by s.condition, s.dataset, s.fr_model, s.method order by r.started_at desc, s.run_id desc) = 1`,
    sql.params,
  );
  const replicates = rows.length && (await ctx.store.has(EDC_BOOTSTRAP_VIEW)) ? await replicatesOf(ctx, rows, q.setting, q.limit) : new Map<string, (number | null)[]>();
  const entries: PaucEntry[] = rows.map((r) => ({
    condition: r.condition as string,
    fr_model: r.fr_model as string,
    method: r.method as string,
    dataset: r.dataset as string,
    pauc_norm: r.pauc_norm as number | null,
    ci: r.pauc_norm_lo === null || r.pauc_norm_lo === undefined ? null : [r.pauc_norm_lo as number, r.pauc_norm_hi as number],
    replicates: replicates.get(`${r.run_id}\u0001${r.method}`) ?? null,
  }));
  const b = rows.find((r) => r.bootstrap_unit);
  return { entries, bootstrap: b ? { unit: b.bootstrap_unit as string, replicates: b.bootstrap_replicates as number, level: b.bootstrap_level as number } : null };
}

/** The pAUC_norm replicates (edc_bootstrap) of the chosen curves, by `run_id \u0001 method`. */
async function replicatesOf(ctx: ApiContext, rows: { run_id?: unknown; method?: unknown }[], s: Setting, limit: number): Promise<Map<string, (number | null)[]>> {
  const sql = new Sql();
  const pairs = rows.map((r) => `(${sql.p(r.run_id as string)}, ${sql.p(r.method as string)})`).join(', ');
  const found = await ctx.store.query(
    `select b.run_id, b.method, b.pauc_norm from edc_bootstrap b join (values ${pairs}) as chosen(run_id, method) on b.run_id = chosen.run_id and b.method = chosen.method
     where ${settingWhere(sql, 'b', s).join(' and ')} and b.discard_limit = ${sql.p(limit)}::double`,
    sql.params,
  );
  return new Map(found.map((r) => [`${r.run_id}\u0001${r.method}`, r.pauc_norm as (number | null)[]]));
}

const csvField = (v: string | number | boolean | null | undefined): string => (v === null || v === undefined ? '' : typeof v !== 'string' ? String(v) : /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The table as CSV: ours, our intervals and ranks, then the paper's values (when they apply). */
export function paucCsv(t: PaucTable): string {
  const cols = [...t.datasets.map((d) => d.id), 'mean'];
  const header = ['fr_model', 'method', ...cols, ...cols.flatMap((c) => [`${c}_lo`, `${c}_hi`, `${c}_rank`]), ...(t.paper.applies ? cols.map((c) => `paper_${c}`) : [])];
  const lines = t.rows.map((r) => {
    const all = [...r.cells, r.mean];
    const ours = all.map((c) => c.ours);
    const extra = all.flatMap((c) => [c.ci?.[0] ?? null, c.ci?.[1] ?? null, c.rank === null ? null : `${c.rank}${c.shared ? '=' : ''}`]);
    const paper = t.paper.applies ? all.map((c) => c.paper) : [];
    return [r.fr_model, r.method, ...ours, ...extra, ...paper].map(csvField).join(',');
  });
  return [header.map(csvField).join(','), ...lines].join('\n') + '\n';
}

/** A download name made of safe characters only. */
export function paucCsvName(t: PaucTable): string {
  const s = t.setting;
  return `pauc_${s.condition || 'none'}_${s.mode}_${s.op}${s.op_value}_L${s.discard_limit}.csv`.replace(/[^A-Za-z0-9._-]/g, '_');
}
