/**
 * EDC results as Arrow tables with explicit, typed columns (`edc_points`, `edc_summary`; see EDC_POINTS_COLUMNS and
 * EDC_SUMMARY_COLUMNS in constants.ts). The CLI writes them for one input file; the experiment runner calls
 * `edcTables` with its dataset / FR model / condition for each result.
 */
import * as arrow from 'apache-arrow';
import { EDC_POINTS_COLUMNS, EDC_SUMMARY_COLUMNS, EDC_BOOTSTRAP_COLUMNS, EDC_BAND_COLUMNS } from './constants.ts';
import { limitKey } from './compute.ts';
import type { EdcResult } from './types.ts';

declare module '@aikd/results' {
  interface ResultRows {
    edc_points: EdcPointRow;
    edc_summary: EdcSummaryRow;
    edc_bootstrap: EdcBootstrapRow;
    edc_band: EdcBandRow;
  }
}

/** What the tables record about where the comparisons came from (null columns when absent). */
export interface EdcTableMeta {
  dataset?: string;
  fr_model?: string;
  /** e.g. "aligned" / "misaligned". */
  condition?: string;
}

/** The columns that identify one curve: shared by its `edc_summary` row and its `edc_points` rows (the join key). */
export interface EdcCurveKey {
  dataset: string | null;
  fr_model: string | null;
  condition: string | null;
  method: string;
  mode: string;
  error_type: string;
  operating_point: string;
  operating_value: number;
  pair_quality: string;
  lower_is_better: boolean;
}

/** One row of `edc_summary`. */
export interface EdcSummaryRow extends EdcCurveKey {
  interpolation: string;
  grid_step: number | null;
  discard_limit: number;
  pauc: number | null;
  pauc_norm: number | null;
  pauc_lo: number | null;
  pauc_hi: number | null;
  pauc_norm_lo: number | null;
  pauc_norm_hi: number | null;
  theoretical_best: number;
  auc: number | null;
  threshold: number;
  achieved_fmr: number | null;
  fnmr_at_0: number | null;
  error_at_0: number;
  n_mated: number;
  n_nonmated: number;
  n_failed_to_assess: number;
  n_points: number;
  bootstrap_unit: string | null;
  bootstrap_replicates: number | null;
  bootstrap_seed: string | null;
  bootstrap_level: number | null;
  bootstrap_units: number | null;
}

/** One row of `edc_bootstrap`: a curve's replicate values at one discard limit. */
export interface EdcBootstrapRow extends EdcCurveKey {
  discard_limit: number;
  bootstrap_unit: string;
  bootstrap_seed: string;
  pauc: (number | null)[];
  pauc_norm: (number | null)[];
}

/** One row of `edc_band`: a curve's pointwise bootstrap band at one discard fraction. */
export interface EdcBandRow extends EdcCurveKey {
  discard_fraction: number;
  error_lo: number | null;
  error_hi: number | null;
}

/** One row of `edc_points`. */
export interface EdcPointRow extends EdcCurveKey {
  point: number;
  discard_fraction: number;
  error: number | null;
  remaining: number;
  threshold: number;
  fmr: number | null;
}

type MetaFor = EdcTableMeta | ((result: EdcResult, index: number) => EdcTableMeta);

const metaOf = (meta: MetaFor, r: EdcResult, i: number): EdcTableMeta => (typeof meta === 'function' ? meta(r, i) : meta);

/** A dictionary-encoded string column holding one value (or null) per curve, repeated over the curve's rows. */
function repeatedStrings(perCurve: (string | null | undefined)[], lengths: number[], total: number): arrow.Vector {
  const uniques: string[] = [];
  const code = new Map<string, number>();
  const indices = new Int32Array(total);
  let nullBitmap: Uint8Array | undefined;
  let nullCount = 0;
  let at = 0;
  perCurve.forEach((s, c) => {
    const len = lengths[c]!;
    if (s === null || s === undefined) {
      nullBitmap ??= new Uint8Array(Math.ceil(total / 8)).fill(0xff);
      for (let i = at; i < at + len; i++) nullBitmap[i >> 3]! &= ~(1 << (i & 7));
      nullCount += len;
    } else {
      let k = code.get(s);
      if (k === undefined) code.set(s, (k = uniques.push(s) - 1));
      indices.fill(k, at, at + len);
    }
    at += len;
  });
  // the narrowest index type that fits (curves × points rows, a handful of distinct values)
  const [keyType, keys] =
    uniques.length <= 127 ? [new arrow.Int8(), Int8Array.from(indices)] : uniques.length <= 32767 ? [new arrow.Int16(), Int16Array.from(indices)] : [new arrow.Int32(), indices];
  const type = new arrow.Dictionary(new arrow.Utf8(), keyType as arrow.Int32);
  return arrow.makeVector(
    arrow.makeData({ type, length: total, nullCount, nullBitmap, data: keys as Int32Array, dictionary: arrow.vectorFromArray(uniques, new arrow.Utf8()) }),
  );
}

function repeatedBools(perCurve: boolean[], lengths: number[], total: number): arrow.Vector {
  const bits = new Uint8Array(Math.ceil(total / 8));
  let at = 0;
  perCurve.forEach((b, c) => {
    if (b) for (let i = at; i < at + lengths[c]!; i++) bits[i >> 3]! |= 1 << (i & 7);
    at += lengths[c]!;
  });
  return arrow.makeVector(arrow.makeData({ type: new arrow.Bool(), length: total, nullCount: 0, data: bits }));
}

/** Float64 column; NaN becomes null when `nanAsNull`. */
function float64(values: Float64Array, nanAsNull = false): arrow.Vector {
  let nullBitmap: Uint8Array | undefined;
  let nullCount = 0;
  if (nanAsNull)
    for (let i = 0; i < values.length; i++)
      if (values[i] !== values[i]) {
        nullBitmap ??= new Uint8Array(Math.ceil(values.length / 8)).fill(0xff);
        nullBitmap[i >> 3]! &= ~(1 << (i & 7));
        nullCount++;
      }
  return arrow.makeVector(arrow.makeData({ type: new arrow.Float64(), length: values.length, nullCount, nullBitmap, data: values }));
}

const int32 = (values: Int32Array): arrow.Vector => arrow.makeVector(arrow.makeData({ type: new arrow.Int32(), length: values.length, nullCount: 0, data: values }));

/** Concatenate per-curve typed arrays. */
function concat<T extends Float64Array | Int32Array>(parts: T[], make: (n: number) => T): T {
  const out = make(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `edc_points`: every point of every curve. */
export function edcPointsTable(results: readonly EdcResult[], meta: MetaFor = {}): arrow.Table {
  const metas = results.map((r, i) => metaOf(meta, r, i));
  const lengths = results.map((r) => r.points.discardFraction.length);
  const total = lengths.reduce((a, b) => a + b, 0);
  const perCurveFloat = (f: (r: EdcResult) => number) => {
    const out = new Float64Array(total);
    let at = 0;
    results.forEach((r, c) => {
      out.fill(f(r), at, at + lengths[c]!);
      at += lengths[c]!;
    });
    return out;
  };
  const point = new Int32Array(total);
  let at = 0;
  for (const len of lengths) for (let i = 0; i < len; i++) point[at++] = i;
  const fmr = concat(
    results.map((r) => r.points.fmr ?? new Float64Array(r.points.discardFraction.length).fill(NaN)),
    (n) => new Float64Array(n),
  );
  const columns: Record<(typeof EDC_POINTS_COLUMNS)[number], arrow.Vector> = {
    dataset: repeatedStrings(metas.map((m) => m.dataset), lengths, total),
    fr_model: repeatedStrings(metas.map((m) => m.fr_model), lengths, total),
    condition: repeatedStrings(metas.map((m) => m.condition), lengths, total),
    method: repeatedStrings(results.map((r) => r.method), lengths, total),
    mode: repeatedStrings(results.map((r) => r.mode), lengths, total),
    error_type: repeatedStrings(results.map((r) => r.error), lengths, total),
    operating_point: repeatedStrings(results.map((r) => r.operatingPoint.kind), lengths, total),
    operating_value: float64(perCurveFloat((r) => r.operatingPoint.value)),
    pair_quality: repeatedStrings(results.map((r) => r.pairQuality), lengths, total),
    lower_is_better: repeatedBools(results.map((r) => r.lowerIsBetter), lengths, total),
    point: int32(point),
    discard_fraction: float64(concat(results.map((r) => r.points.discardFraction), (n) => new Float64Array(n))),
    error: float64(concat(results.map((r) => r.points.error), (n) => new Float64Array(n)), true),
    remaining: int32(concat(results.map((r) => r.points.remaining), (n) => new Int32Array(n))),
    threshold: float64(concat(results.map((r) => r.points.threshold), (n) => new Float64Array(n)), true),
    fmr: float64(fmr, true),
  };
  return new arrow.Table(columns);
}

/** The `edc_summary` rows (one per curve and discard limit). */
export function edcSummaryRows(results: readonly EdcResult[], meta: MetaFor = {}): EdcSummaryRow[] {
  return results.flatMap((r, i) => {
    const m = metaOf(meta, r, i);
    const b = r.intervals;
    return r.discardLimits.map((l) => ({
      dataset: m.dataset ?? null,
      fr_model: m.fr_model ?? null,
      condition: m.condition ?? null,
      method: r.method,
      mode: r.mode,
      error_type: r.error,
      operating_point: r.operatingPoint.kind,
      operating_value: r.operatingPoint.value,
      pair_quality: r.pairQuality,
      lower_is_better: r.lowerIsBetter,
      interpolation: r.interpolation,
      grid_step: r.gridStep,
      discard_limit: l,
      pauc: r.pauc[limitKey(l)] ?? null,
      pauc_norm: r.paucNorm[limitKey(l)] ?? null,
      pauc_lo: b?.pauc[limitKey(l)]?.[0] ?? null,
      pauc_hi: b?.pauc[limitKey(l)]?.[1] ?? null,
      pauc_norm_lo: b?.paucNorm[limitKey(l)]?.[0] ?? null,
      pauc_norm_hi: b?.paucNorm[limitKey(l)]?.[1] ?? null,
      theoretical_best: r.theoreticalBest[limitKey(l)]!,
      auc: r.auc,
      threshold: r.threshold,
      achieved_fmr: r.achievedFmr,
      fnmr_at_0: r.fnmrAt0,
      error_at_0: r.errorAt0,
      n_mated: r.nMated,
      n_nonmated: r.nNonmated,
      n_failed_to_assess: r.nFailedToAssess,
      n_points: r.points.discardFraction.length,
      bootstrap_unit: b?.unit ?? null,
      bootstrap_replicates: b?.replicates ?? null,
      bootstrap_seed: b ? String(b.seed) : null,
      bootstrap_level: b?.level ?? null,
      bootstrap_units: b?.units ?? null,
    }));
  });
}

const SUMMARY_TYPES: Record<(typeof EDC_SUMMARY_COLUMNS)[number], arrow.DataType> = {
  dataset: new arrow.Utf8(),
  fr_model: new arrow.Utf8(),
  condition: new arrow.Utf8(),
  method: new arrow.Utf8(),
  mode: new arrow.Utf8(),
  error_type: new arrow.Utf8(),
  operating_point: new arrow.Utf8(),
  operating_value: new arrow.Float64(),
  pair_quality: new arrow.Utf8(),
  lower_is_better: new arrow.Bool(),
  interpolation: new arrow.Utf8(),
  grid_step: new arrow.Float64(),
  discard_limit: new arrow.Float64(),
  pauc: new arrow.Float64(),
  pauc_norm: new arrow.Float64(),
  pauc_lo: new arrow.Float64(),
  pauc_hi: new arrow.Float64(),
  pauc_norm_lo: new arrow.Float64(),
  pauc_norm_hi: new arrow.Float64(),
  theoretical_best: new arrow.Float64(),
  auc: new arrow.Float64(),
  threshold: new arrow.Float64(),
  achieved_fmr: new arrow.Float64(),
  fnmr_at_0: new arrow.Float64(),
  error_at_0: new arrow.Float64(),
  n_mated: new arrow.Int32(),
  n_nonmated: new arrow.Int32(),
  n_failed_to_assess: new arrow.Int32(),
  n_points: new arrow.Int32(),
  bootstrap_unit: new arrow.Utf8(),
  bootstrap_replicates: new arrow.Int32(),
  bootstrap_seed: new arrow.Utf8(),
  bootstrap_level: new arrow.Float64(),
  bootstrap_units: new arrow.Int32(),
};

/** `edc_summary`: one row per curve and pAUC discard limit. */
export function edcSummaryTable(results: readonly EdcResult[], meta: MetaFor = {}): arrow.Table {
  const rows = edcSummaryRows(results, meta);
  const columns = Object.fromEntries(
    EDC_SUMMARY_COLUMNS.map((c) => [c, arrow.vectorFromArray(rows.map((r) => r[c]) as never[], SUMMARY_TYPES[c] as never)]),
  );
  return new arrow.Table(columns);
}

/** The curve-key columns (EdcCurveKey) of rows that each belong to a result. */
function curveKeyColumns<T>(rows: readonly T[], result: (x: T) => EdcResult, meta: (x: T) => EdcTableMeta): Record<keyof EdcCurveKey, arrow.Vector> {
  const str = (f: (x: T) => string | null | undefined) => arrow.vectorFromArray(rows.map((x) => f(x) ?? null), new arrow.Utf8());
  return {
    dataset: str((x) => meta(x).dataset),
    fr_model: str((x) => meta(x).fr_model),
    condition: str((x) => meta(x).condition),
    method: str((x) => result(x).method),
    mode: str((x) => result(x).mode),
    error_type: str((x) => result(x).error),
    operating_point: str((x) => result(x).operatingPoint.kind),
    operating_value: arrow.vectorFromArray(rows.map((x) => result(x).operatingPoint.value), new arrow.Float64()),
    pair_quality: str((x) => result(x).pairQuality),
    lower_is_better: arrow.vectorFromArray(rows.map((x) => result(x).lowerIsBetter), new arrow.Bool()),
  };
}

/** A List<Float64> column: one list per row, NaN entries as nulls. */
function float64Lists(lists: Float64Array[]): arrow.Vector {
  const type = new arrow.List(new arrow.Field('item', new arrow.Float64(), true));
  return arrow.vectorFromArray(
    lists.map((l) => Array.from(l, (x) => (Number.isNaN(x) ? null : x))),
    type as never,
  );
}

/** `edc_bootstrap`: the replicate values of every curve with intervals (undefined when none has any). */
export function edcBootstrapTable(results: readonly EdcResult[], meta: MetaFor = {}): arrow.Table | undefined {
  const rows = results.flatMap((r, i) => {
    const b = r.intervals;
    if (!b) return [];
    const m = metaOf(meta, r, i);
    return r.discardLimits.map((l) => ({ r, m, l, b }));
  });
  if (!rows.length) return undefined;
  const str = (f: (x: (typeof rows)[number]) => string | null) => arrow.vectorFromArray(rows.map(f), new arrow.Utf8());
  const columns: Record<(typeof EDC_BOOTSTRAP_COLUMNS)[number], arrow.Vector> = {
    ...curveKeyColumns(rows, (x) => x.r, (x) => x.m),
    discard_limit: arrow.vectorFromArray(rows.map((x) => x.l), new arrow.Float64()),
    bootstrap_unit: str((x) => x.b.unit),
    bootstrap_seed: str((x) => String(x.b.seed)),
    pauc: float64Lists(rows.map((x) => x.b.samples.pauc[limitKey(x.l)]!)),
    pauc_norm: float64Lists(rows.map((x) => x.b.samples.paucNorm[limitKey(x.l)]!)),
  };
  return new arrow.Table(columns);
}

/** `edc_band`: the bootstrap band of every curve with intervals (undefined when none has any). */
export function edcBandTable(results: readonly EdcResult[], meta: MetaFor = {}): arrow.Table | undefined {
  const rows = results.flatMap((r, i) => {
    const band = r.intervals?.band;
    if (!band) return [];
    const m = metaOf(meta, r, i);
    return Array.from(band.discardFraction, (x, j) => ({ r, m, x, lo: band.lo[j]!, hi: band.hi[j]! }));
  });
  if (!rows.length) return undefined;
  const num = (f: (x: (typeof rows)[number]) => number) => arrow.vectorFromArray(rows.map((x) => (Number.isFinite(f(x)) ? f(x) : null)), new arrow.Float64());
  const columns: Record<(typeof EDC_BAND_COLUMNS)[number], arrow.Vector> = {
    ...curveKeyColumns(rows, (x) => x.r, (x) => x.m),
    discard_fraction: num((x) => x.x),
    error_lo: num((x) => x.lo),
    error_hi: num((x) => x.hi),
  };
  return new arrow.Table(columns);
}

/**
 * The tables, ready for `run.writeTable('edc_points', …)`, `run.writeTable('edc_summary', …)` and (when the results
 * carry bootstrap intervals) `run.writeTable('edc_bootstrap', …)` and `run.writeTable('edc_band', …)`.
 */
export function edcTables(results: readonly EdcResult[], meta: MetaFor = {}): { points: arrow.Table; summary: arrow.Table; bootstrap?: arrow.Table; band?: arrow.Table } {
  const bootstrap = edcBootstrapTable(results, meta);
  const band = edcBandTable(results, meta);
  return { points: edcPointsTable(results, meta), summary: edcSummaryTable(results, meta), ...(bootstrap ? { bootstrap } : {}), ...(band ? { band } : {}) };
}
