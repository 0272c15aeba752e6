/**
 * `/api/compare?a=…&b=…`: two runs side by side — their records, the parameters and summaries that differ, the
 * metric series overlaid, and the pAUC of every EDC curve either holds (the run itself or its descendants, so two
 * experiments compare result by result).
 */
import { parse, query, runId } from '../params.ts';
import { EDC_SUMMARY_VIEW, METRIC_POINTS_PER_SERIES } from '../constants.ts';
import { Sql, descendantsCte } from './sql.ts';
import { runRecord } from './runs.ts';
import { groupCharts, metricGroups, metricSeries } from './training.ts';
import type { ApiContext, Row } from '../types.ts';
import type { JsonValue } from '@aikd/results';

/** Most pAUC rows returned (two paper-size experiments hold ~2 000 curves × limits). */
const MAX_PAUC_ROWS = 5000;

/** `{a: {b: 1}, c: [1, 2]}` → `[["a.b", 1], ["c", "[1,2]"]]`: nested objects flattened, arrays shown as JSON. */
export function flatten(value: JsonValue, prefix = ''): [string, string | number | boolean | null][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (!entries.length) return prefix ? [[prefix, '{}']] : [];
    return entries.flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix || '(value)', Array.isArray(value) ? JSON.stringify(value) : value]];
}

/** Keys of either side, with both values and whether they are equal. */
export function sideBySide(a: JsonValue, b: JsonValue) {
  const fa = new Map(flatten(a ?? {}));
  const fb = new Map(flatten(b ?? {}));
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  return keys.map((key) => {
    const va = fa.has(key) ? fa.get(key)! : null;
    const vb = fb.has(key) ? fb.get(key)! : null;
    return { key, a: va, b: vb, same: fa.has(key) === fb.has(key) && va === vb };
  });
}

const compareQuery = query({ a: runId, b: runId });

const CURVE_KEY = ['dataset', 'fr_model', 'condition', 'method', 'mode', 'error_type', 'operating_point', 'operating_value', 'pair_quality', 'discard_limit'] as const;

/** pAUC_norm of the latest curve per key under one run (itself and its descendants). */
async function paucUnder(ctx: ApiContext, id: string): Promise<Row[]> {
  const sql = new Sql();
  const keys = CURVE_KEY.map((k) => `s.${k}`).join(', ');
  return ctx.store.query(
    `with recursive ${descendantsCte(sql, id)}
     select ${keys}, s.pauc_norm, s.run_id from edc_summary s join runs r on r.id = s.run_id where s.run_id in (select id from tree)
     qualify row_number() over (partition by ${keys} order by r.started_at desc, s.run_id desc) = 1
     limit ${MAX_PAUC_ROWS}`,
    sql.params,
  );
}

export async function compareRuns(ctx: ApiContext, input: unknown) {
  const o = parse(compareQuery, input);
  const [a, b] = [await runRecord(ctx, o.a), await runRecord(ctx, o.b)];
  const record = (r: Row) => ({ kind: r.kind, name: r.name, status: r.status, started_at: r.started_at, ended_at: r.ended_at, duration_s: r.duration_s, code_version: r.code_version, config_hash: r.config_hash, backend: r.backend, error: r.error });

  const [sa, sb] = [await metricSeries(ctx, o.a, undefined, METRIC_POINTS_PER_SERIES), await metricSeries(ctx, o.b, undefined, METRIC_POINTS_PER_SERIES)];
  const last = (s: { value: number }[] | undefined) => (s?.length ? s[s.length - 1]!.value : null);
  const names = [...new Set([...sa.keys(), ...sb.keys()])].sort();
  const metrics = names.map((n) => ({ name: n, a: last(sa.get(n)), b: last(sb.get(n)) }));
  const charts = groupCharts(metricGroups(names), [
    { side: 'A', series: sa },
    { side: 'B', series: sb },
  ]);

  let pauc: Row[] = [];
  if (await ctx.store.has(EDC_SUMMARY_VIEW)) {
    const [pa, pb] = [await paucUnder(ctx, o.a), await paucUnder(ctx, o.b)];
    const key = (r: Row) => JSON.stringify(CURVE_KEY.map((k) => r[k]));
    const merged = new Map<string, Row>();
    for (const r of pa) merged.set(key(r), { ...Object.fromEntries(CURVE_KEY.map((k) => [k, r[k]!])), a: r.pauc_norm!, b: null });
    for (const r of pb) {
      const k = key(r);
      merged.set(k, { ...(merged.get(k) ?? { ...Object.fromEntries(CURVE_KEY.map((c) => [c, r[c]!])), a: null }), b: r.pauc_norm! });
    }
    const text = (v: JsonValue | undefined) => (v === null || v === undefined ? '' : String(v));
    pauc = [...merged.values()].sort((x, y) => {
      for (const k of CURVE_KEY) {
        const c = typeof x[k] === 'number' && typeof y[k] === 'number' ? (x[k] as number) - (y[k] as number) : text(x[k]).localeCompare(text(y[k]));
        if (c) return c;
      }
      return 0;
    });
  }
  return {
    a: { id: o.a, ...record(a) },
    b: { id: o.b, ...record(b) },
    params: sideBySide(a.params!, b.params!),
    summary: sideBySide(a.summary ?? null, b.summary ?? null),
    metrics,
    charts,
    pauc,
  };
}

