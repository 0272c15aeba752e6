/**
 * `/api/pauc`: the paper's table layout — rows FR model × method, columns datasets + mean pAUC_norm, the best,
 * second and third value of each column within each FR model marked (lower is better), and the paper's value
 * beside ours where it has one (only at the paper's setting: FNMR, FMR 1e-3, L = 0.3). `format=csv` downloads it.
 */
import { z } from '@aikd/core';
import { nameOrNone, number, parse, query } from '../params.ts';
import { EDC_SUMMARY_VIEW, EMPTY_HINT, PAPER_SETTING } from '../constants.ts';
import { inOrder, paperKey } from '../reference.ts';
import { Sql, eqOrNone, scope } from './sql.ts';
import { requireRun, settingOf, settingParams, settingWhere, type Setting } from './edc.ts';
import type { ViewRow } from '@aikd/results';
import type { ApiContext } from '../types.ts';

export const DEFAULT_CONDITION = 'proper';
export const DEFAULT_DISCARD_LIMIT = PAPER_SETTING.discard_limit;

const paucQuery = query({
  condition: nameOrNone.optional(),
  discard_limit: number.optional(),
  format: z.enum(['json', 'csv']).optional(),
  ...settingParams,
});

export interface PaucCell {
  ours: number | null;
  paper: number | null;
  /** 1, 2, 3 for the best three of the column within the FR model (ties share a rank); null otherwise. */
  rank: number | null;
}

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
  paper: { applies: boolean; note: string };
  datasets: { id: string; name: string }[];
  rows: PaucRow[];
}

const mean = (xs: (number | null)[]): number | null => (xs.length && xs.every((x) => x !== null) ? (xs as number[]).reduce((a, b) => a + b, 0) / xs.length : null);

/** Rank of each value among the non-null ones (1 = lowest; ties share the rank); only ranks 1–3 are kept. */
function top3(values: (number | null)[]): (number | null)[] {
  const present = values.filter((v): v is number => v !== null);
  return values.map((v) => {
    if (v === null) return null;
    const rank = 1 + present.filter((x) => x < v).length;
    return rank <= 3 ? rank : null;
  });
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
        ? "In brackets: the paper's values (AI-KD, arXiv 2404.09555, read at FNMR, FMR 1e-3, L = 0.3); its mean too is over the datasets shown"
        : "The paper's values are shown only at its setting (FNMR, FMR 1e-3, discard limit 0.3)",
    },
    format: o.format ?? 'json',
  } as const;
  if (!(await ctx.store.has(EDC_SUMMARY_VIEW))) return { ...base, empty: true, empty_hint: EMPTY_HINT, datasets: [], rows: [] };

  const sql = new Sql();
  const sc = scope(sql, o.experiment, 's.run_id');
  const where = [sc.where, eqOrNone(sql, 's.condition', condition), ...settingWhere(sql, 's', s), `s.discard_limit = ${sql.p(limit)}::double`];
  const rows = await ctx.store.query<Pick<ViewRow<'edc_summary'>, 'method' | 'pauc_norm' | 'run_id'> & { dataset: string; fr_model: string }>(
    `${sc.with} select coalesce(s.dataset, '') as dataset, coalesce(s.fr_model, '') as fr_model, s.method, s.pauc_norm, s.run_id
     from edc_summary s join runs r on r.id = s.run_id where ${where.join(' and ')}
     qualify row_number() over (partition by s.dataset, s.fr_model, s.method order by r.started_at desc, s.run_id desc) = 1`,
    sql.params,
  );
  const ref = ctx.reference;
  const datasets = inOrder(rows.map((r) => r.dataset), ref.order.datasets);
  const frModels = inOrder(rows.map((r) => r.fr_model), ref.order.fr_models);
  const value = new Map(rows.map((r) => [`${r.fr_model}\u0001${r.method}\u0001${r.dataset}`, r.pauc_norm]));
  const paperValue = (fr: string, method: string, dataset: string) => (applies ? ref.values.get(paperKey(condition, fr, method, dataset)) ?? null : null);

  const out: PaucRow[] = [];
  for (const fr of frModels) {
    const methods = inOrder(rows.filter((r) => r.fr_model === fr).map((r) => r.method), ref.order.methods);
    const block = methods.map((method) => {
      const ours = datasets.map((d) => value.get(`${fr}\u0001${method}\u0001${d}`) ?? null);
      const paper = datasets.map((d) => paperValue(fr, method, d));
      return { method, ours, paper, meanOurs: mean(ours), meanPaper: mean(paper) };
    });
    const ranks = datasets.map((_, j) => top3(block.map((b) => b.ours[j]!)));
    const meanRanks = top3(block.map((b) => b.meanOurs));
    block.forEach((b, i) =>
      out.push({
        fr_model: fr,
        fr_model_name: ref.names.get(fr) ?? (fr ? ctx.labels.frModel(fr) : '(none)'),
        method: b.method,
        method_name: ref.names.get(b.method) ?? ctx.labels.method(b.method),
        cells: datasets.map((_, j) => ({ ours: b.ours[j]!, paper: b.paper[j]!, rank: ranks[j]![i]! })),
        mean: { ours: b.meanOurs, paper: b.meanPaper, rank: meanRanks[i]! },
      }),
    );
  }
  return { ...base, empty: rows.length === 0, ...(rows.length ? {} : { empty_hint: EMPTY_HINT }), datasets: datasets.map((id) => ({ id, name: ref.names.get(id) ?? (id || '(none)') })), rows: out };
}

const csvField = (v: string | number | null): string => (v === null ? '' : typeof v === 'number' ? String(v) : /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The table as CSV: our values, then the paper's (when they apply). */
export function paucCsv(t: PaucTable): string {
  const cols = [...t.datasets.map((d) => d.id), 'mean'];
  const header = ['fr_model', 'method', ...cols, ...(t.paper.applies ? cols.map((c) => `paper_${c}`) : [])];
  const lines = t.rows.map((r) => {
    const ours = [...r.cells, r.mean].map((c) => c.ours);
    const paper = t.paper.applies ? [...r.cells, r.mean].map((c) => c.paper) : [];
    return [r.fr_model, r.method, ...ours, ...paper].map(csvField).join(',');
  });
  return [header.map(csvField).join(','), ...lines].join('\n') + '\n';
}

/** A download name made of safe characters only. */
export function paucCsvName(t: PaucTable): string {
  const s = t.setting;
  return `pauc_${s.condition || 'none'}_${s.mode}_${s.op}${s.op_value}_L${s.discard_limit}.csv`.replace(/[^A-Za-z0-9._-]/g, '_');
}
