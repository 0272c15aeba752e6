/**
 * The evaluation phase: for every dataset × condition × FR model, the EDC of every method's pair quality on that
 * FR model's comparisons (all EDC modes and operating points of the experiment), and the alignment-sensitivity
 * table. Reads only the units' small result tables (comparisons, scores), so it runs in seconds wherever the
 * results folder is — after one process did everything, or after N shards each did their part. The tables'
 * `dataset` column is the plan's dataset key (the name, `@test` for a split's test part, the filter in brackets), so
 * every evaluated cell is told apart from the others.
 */
import * as arrow from 'apache-arrow';
import { log } from '@aikd/core';
import { withRun } from '@aikd/results';
import { prepareEdc, bootstrapEdc, withIntervals, edcTables, EDC_MODE_DEFINITIONS, type EdcResult, type ComparisonSet, type PreparedEdc } from '@aikd/edc';
import { spearman } from '@aikd/teachers';
import { safeKey, type Plan, type EdcCell, type MethodSpec, type ConditionSpec, type DatasetSpec } from './plan.ts';
import { unitRunId, unitTable } from './units.ts';
import { writeAlignmentStability } from './stability.ts';

const safe = safeKey;
export const scoreKey = (ds: DatasetSpec, c: ConditionSpec, m: MethodSpec) => `score.${safe(ds.key)}.${safe(c.name)}.${safe(m.label)}`;
export const embedKey = (ds: DatasetSpec, c: ConditionSpec, fr: string) => `embed.${safe(ds.key)}.${safe(c.name)}.${safe(fr)}`;

export interface Comparisons {
  a: string[];
  b: string[];
  similarity: Float64Array;
  mated: Uint8Array;
  /** Identity codes of both sides, when the dataset knows every pair's identities. */
  identityA?: Int32Array;
  identityB?: Int32Array;
}

export function readComparisonsTable(t: arrow.Table): Comparisons {
  const out: Comparisons = {
    a: Array.from(t.getChild('a')!.toArray() as ArrayLike<string>, String),
    b: Array.from(t.getChild('b')!.toArray() as ArrayLike<string>, String),
    similarity: Float64Array.from(t.getChild('similarity')!.toArray() as Float64Array),
    mated: Uint8Array.from(Array.from(t.getChild('mated')!.toArray() as ArrayLike<boolean | number>, (x) => (x ? 1 : 0))),
  };
  const ia = t.getChild('identity_a');
  const ib = t.getChild('identity_b');
  if (ia && ib && ia.nullCount === 0 && ib.nullCount === 0) {
    const code = new Map<string, number>();
    const codes = (v: arrow.Vector) => Int32Array.from({ length: v.length }, (_, i) => {
      const s = String(v.get(i));
      return code.get(s) ?? (code.set(s, code.size), code.size - 1);
    });
    out.identityA = codes(ia);
    out.identityB = codes(ib);
  }
  return out;
}

/** Bootstrap settings of an evaluation (the experiment's `edc.bootstrap`, or an override). */
export interface BootstrapSettings {
  replicates: number;
  seed: number | string;
}

export function readScores(t: arrow.Table): Map<string, number> {
  const ids = t.getChild('image_id')!.toArray() as ArrayLike<string>;
  const q = t.getChild('quality')!.toArray() as ArrayLike<number | null>;
  const m = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) m.set(String(ids[i]), q[i] === null ? NaN : Number(q[i]));
  return m;
}

export interface CellOutcome {
  cell: string;
  results: EdcResult[];
  missing: string[];
}

/**
 * EDCs of one cell; methods whose scores are missing (skipped or failed units) are listed, not invented. With
 * replicates > 0 every curve gets bootstrap intervals; all methods of the cell share the resamples (paired).
 */
export function evaluateCell(plan: Plan, cell: EdcCell, root?: string, bootstrap: BootstrapSettings = plan.experiment.edc.bootstrap): CellOutcome | undefined {
  const ct = unitTable(plan, embedKey(cell.dataset, cell.condition, cell.frModel), 'comparisons', root);
  if (!ct) return undefined;
  const cmp = readComparisonsTable(ct);
  const e = plan.experiment.edc;
  const prepared = new Map<string, PreparedEdc[]>(); // by mode and FMR: the curves that share resamples
  const missing: string[] = [];
  for (const m of cell.methods) {
    const st = unitTable(plan, scoreKey(cell.dataset, cell.condition, m), 'scores', root);
    if (!st) {
      missing.push(m.label);
      continue;
    }
    const q = readScores(st);
    const set: ComparisonSet = {
      similarity: cmp.similarity,
      mated: cmp.mated,
      qualityA: Float64Array.from(cmp.a, (id) => q.get(id) ?? NaN),
      qualityB: Float64Array.from(cmp.b, (id) => q.get(id) ?? NaN),
      ...(cmp.identityA ? { identityA: cmp.identityA, identityB: cmp.identityB } : {}),
    };
    for (const mode of e.modes)
      for (const fmr of e.fmr) {
        const k = `${mode} ${fmr}`;
        prepared.set(k, [...(prepared.get(k) ?? []), prepareEdc(set, { mode, operatingPoint: { kind: 'fmr', value: fmr }, discardLimits: e.discard_limits, pairQuality: e.pair_quality }, m.label)]);
      }
  }
  const results: EdcResult[] = [];
  for (const group of prepared.values()) {
    const plain = group.map((p) => p.result());
    results.push(...(bootstrap.replicates > 0 ? withIntervals(plain, bootstrapEdc(group, { replicates: bootstrap.replicates, seed: bootstrap.seed })) : plain));
  }
  // methods in the experiment's order, then mode and FMR
  const rank = new Map(cell.methods.map((m, i) => [m.label, i]));
  results.sort((a, b) => rank.get(a.method)! - rank.get(b.method)!);
  return { cell: cell.key, results, missing };
}

/**
 * Evaluate every cell, the sensitivity sweep and the alignment stability; results go to child runs `<exp>.edc.…`,
 * `<exp>.sensitivity` and `<exp>.alignment-stability`.
 * `bootstrap` overrides the experiment's `edc.bootstrap` (`aikd run --bootstrap N`).
 */
export function evaluatePlan(plan: Plan, root?: string, bootstrap: BootstrapSettings = plan.experiment.edc.bootstrap): { cells: number; curves: number; missing: Record<string, string[]>; incomplete: string[]; seconds: number; bootstrap: BootstrapSettings } {
  const t0 = performance.now();
  const missing: Record<string, string[]> = {};
  const incomplete: string[] = [];
  let curves = 0;
  const byCell = new Map<string, EdcResult[]>();
  for (const cell of plan.cells) {
    const out = evaluateCell(plan, cell, root, bootstrap);
    if (!out) {
      incomplete.push(cell.key);
      continue;
    }
    if (out.missing.length) missing[cell.key] = out.missing;
    byCell.set(cell.key, out.results);
    if (!out.results.length) continue;
    withRun(
      {
        kind: 'edc',
        id: unitRunId(plan, cell.key),
        parent: plan.id,
        name: cell.key,
        root,
        params: {
          experiment: plan.experiment.name,
          dataset: cell.dataset.name,
          dataset_key: cell.dataset.key,
          condition: cell.condition.name,
          procedure: cell.condition.procedure,
          procedure_params: cell.condition.params,
          seed: cell.condition.seed,
          fr_model: cell.frModel,
          edc: { ...plan.experiment.edc, bootstrap },
          mode_definitions: Object.fromEntries(plan.experiment.edc.modes.map((m) => [m, EDC_MODE_DEFINITIONS[m]])),
          bootstrap_unit: out.results[0]?.intervals?.unit ?? null,
          methods: cell.methods.map((m) => m.label),
        },
      },
      (run) => {
        // the dataset column holds the plan's dataset key (`lfw`, `demo@test`, `synth[identity=p0]`): two subsets or
        // splits of one dataset in one experiment are two datasets in every table and report, never merged
        const { points, summary, bootstrap: replicates, band } = edcTables(out.results, { dataset: cell.dataset.key, fr_model: cell.frModel, condition: cell.condition.name });
        const prov = { dataset: cell.dataset.name, fr_model: cell.frModel, alignment: cell.condition.procedure, seed: typeof cell.condition.seed === 'number' ? cell.condition.seed : undefined };
        run.writeTable('edc_points', points, prov);
        run.writeTable('edc_summary', summary, prov);
        if (replicates) run.writeTable('edc_bootstrap', replicates, prov);
        if (band) run.writeTable('edc_band', band, prov);
        run.finish({ curves: out.results.length, missing_methods: out.missing, bootstrap_unit: out.results[0]?.intervals?.unit ?? null });
      },
    );
    curves += out.results.length;
  }
  if (plan.sensitivity) writeSensitivity(plan, byCell, root);
  writeAlignmentStability(plan, byCell, root);
  if (incomplete.length) log.warn(`${incomplete.length} evaluation cell(s) lack comparisons (their embedding unit did not complete): ${incomplete.slice(0, 3).join(', ')}${incomplete.length > 3 ? ' …' : ''}`);
  return { cells: byCell.size, curves, missing, incomplete, seconds: Math.round((performance.now() - t0) / 10) / 100, bootstrap };
}

/**
 * How alignment-invariant each method is: Spearman ρ between its scores on aligned images and on the same images
 * under each misalignment, and pAUC_norm (first mode and FMR of the experiment, largest discard limit) against
 * the misalignment strength.
 */
function writeSensitivity(plan: Plan, byCell: Map<string, EdcResult[]>, root?: string): void {
  const s = plan.sensitivity!;
  const e = plan.experiment.edc;
  const limit = String(Math.max(...e.discard_limits));
  const proper = s.conditions.find((c) => c.procedure === 'proper' && Object.keys(c.params).length === 0)!;
  const rows = {
    dataset: [] as string[], fr_model: [] as string[], method: [] as string[], condition: [] as string[], procedure: [] as string[],
    strength: [] as (number | null)[], spearman_rho: [] as (number | null)[], pauc_norm: [] as (number | null)[], mode: [] as string[], fmr: [] as number[], discard_limit: [] as number[],
  };
  for (const ds of s.datasets)
    for (const m of s.methods) {
      const base = unitTable(plan, scoreKey(ds, proper, m), 'scores', root);
      const baseQ = base ? readScores(base) : undefined;
      for (const c of s.conditions) {
        const t = unitTable(plan, scoreKey(ds, c, m), 'scores', root);
        let rho: number | null = null;
        if (baseQ && t) {
          const q = readScores(t);
          const ids = [...baseQ.keys()].filter((id) => Number.isFinite(baseQ.get(id)!) && Number.isFinite(q.get(id) ?? NaN));
          rho = ids.length > 2 ? spearman(ids.map((id) => baseQ.get(id)!), ids.map((id) => q.get(id)!)) : null;
        }
        for (const fr of s.frModels) {
          const cellKey = `edc.${safe(ds.key)}.${safe(c.name)}.${safe(fr)}`;
          const r = byCell.get(cellKey)?.find((x) => x.method === m.label && x.mode === e.modes[0] && x.operatingPoint.value === e.fmr[0]);
          rows.dataset.push(ds.key);
          rows.fr_model.push(fr);
          rows.method.push(m.label);
          rows.condition.push(c.name);
          rows.procedure.push(c.procedure);
          rows.strength.push(c.strength ?? null);
          rows.spearman_rho.push(rho);
          rows.pauc_norm.push(r?.paucNorm[limit] ?? null);
          rows.mode.push(e.modes[0]!);
          rows.fmr.push(e.fmr[0]!);
          rows.discard_limit.push(Number(limit));
        }
      }
    }
  const table = new arrow.Table({
    dataset: arrow.vectorFromArray(rows.dataset, new arrow.Utf8()),
    fr_model: arrow.vectorFromArray(rows.fr_model, new arrow.Utf8()),
    method: arrow.vectorFromArray(rows.method, new arrow.Utf8()),
    condition: arrow.vectorFromArray(rows.condition, new arrow.Utf8()),
    procedure: arrow.vectorFromArray(rows.procedure, new arrow.Utf8()),
    strength: arrow.vectorFromArray(rows.strength, new arrow.Float64()),
    spearman_rho: arrow.vectorFromArray(rows.spearman_rho, new arrow.Float64()),
    pauc_norm: arrow.vectorFromArray(rows.pauc_norm, new arrow.Float64()),
    mode: arrow.vectorFromArray(rows.mode, new arrow.Utf8()),
    fmr: arrow.vectorFromArray(rows.fmr, new arrow.Float64()),
    discard_limit: arrow.vectorFromArray(rows.discard_limit, new arrow.Float64()),
  });
  withRun({ kind: 'sensitivity', id: unitRunId(plan, 'sensitivity'), parent: plan.id, name: 'sensitivity', root, params: { experiment: plan.experiment.name, sensitivity: plan.experiment.sensitivity } }, (run) => {
    run.writeTable('sensitivity', table, {});
    run.finish({ rows: table.numRows });
  });
}
