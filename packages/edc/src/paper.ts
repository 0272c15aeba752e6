/**
 * A published pAUC table as data (experiments/reference/paper-pauc.csv: the AI-KD paper's Tables A and B), read in
 * one place for the report and the dashboard, and checked before anyone compares against it: rows that are identical
 * across methods, values outside a plausible range, printed means that are not the mean of their row.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '@aikd/core';

/** The AI-KD paper's tables, workspace-relative. */
export const PAPER_PAUC_CSV = 'experiments/reference/paper-pauc.csv';

/** Columns of the reference CSV: the paper's names, the value, and the workbench's ids. */
export const PAPER_COLUMNS = ['condition', 'fr_model', 'method', 'dataset', 'pauc_norm', 'condition_id', 'fr_model_id', 'method_id', 'dataset_id'] as const;

/** `dataset_id` of the printed row means (not a dataset). */
export const PAPER_MEAN_ID = 'mean';

/**
 * Values a normalised pAUC (pAUC / (L · FNMR(0)), L = 0.3) can plausibly take in a published table. Below 0.05 a
 * method would beat the theoretical best for any FNMR(0) above 3 % (its area is FNMR(0)²/2, i.e. a normalised
 * FNMR(0)/(2L)); above 1.2 discarding by quality would raise the error by a fifth on average, which no method
 * published as working does. Outside these, suspect a transcription or computation error.
 */
export const PLAUSIBLE_PAUC_NORM: readonly [number, number] = [0.05, 1.2];

/** Printed values carry 3 decimals: a row mean recomputed from them may differ from the printed mean by ≤ 0.001. */
export const MEAN_TOLERANCE = 0.001;

export interface PaperReference {
  file: string;
  /** pAUC_norm by `paperKey(condition, fr_model, method, dataset)` (workbench ids). */
  values: Map<string, number>;
  /** The printed row mean by `paperKey(condition, fr_model, method, 'mean')`, where the table prints one. */
  means: Map<string, number>;
  /** Paper display names by workbench id (fr models, methods, datasets, conditions). */
  names: Map<string, string>;
  /** Ids in the paper's order. */
  order: { conditions: string[]; fr_models: string[]; methods: string[]; datasets: string[] };
}

export const paperKey = (condition: string, frModel: string, method: string, dataset: string): string => [condition, frModel, method, dataset].join('\u0001');

export const emptyPaperReference = (file = ''): PaperReference => ({ file, values: new Map(), means: new Map(), names: new Map(), order: { conditions: [], fr_models: [], methods: [], datasets: [] } });

/** Read the reference CSV (plain comma-separated, no quoted fields); a missing file gives an empty reference. */
export function readPaperReference(file: string): PaperReference {
  const ref = emptyPaperReference(file);
  if (!existsSync(file)) return ref;
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const header = lines[0]!.split(',');
  if (header.length !== PAPER_COLUMNS.length || PAPER_COLUMNS.some((c, i) => header[i] !== c))
    throw new InputError({ file, where: 'line 1', expected: `the header ${PAPER_COLUMNS.join(',')}`, got: lines[0] });
  const addOnce = (list: string[], id: string) => list.includes(id) || list.push(id);
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return;
    const f = line.split(',');
    const value = Number(f[4]);
    if (f.length !== PAPER_COLUMNS.length || f.some((x) => x === '') || f[4]!.trim() === '' || !Number.isFinite(value))
      throw new InputError({ file, where: `line ${i + 2}`, expected: `${PAPER_COLUMNS.length} non-empty fields with a numeric pauc_norm`, got: line });
    const [condition, frModel, method, dataset, , conditionId, frModelId, methodId, datasetId] = f as [string, string, string, string, string, string, string, string, string];
    const key = paperKey(conditionId, frModelId, methodId, datasetId);
    const target = datasetId === PAPER_MEAN_ID ? ref.means : ref.values;
    if (target.has(key)) throw new InputError({ file, where: `line ${i + 2}`, expected: 'one row per condition, FR model, method and dataset', got: `a second row for ${[condition, frModel, method, dataset].join(' / ')}` });
    target.set(key, value);
    for (const [id, n] of [[conditionId, condition], [frModelId, frModel], [methodId, method]] as const) ref.names.set(id, n);
    addOnce(ref.order.conditions, conditionId);
    addOnce(ref.order.fr_models, frModelId);
    addOnce(ref.order.methods, methodId);
    if (datasetId !== PAPER_MEAN_ID) {
      ref.names.set(datasetId, dataset);
      addOnce(ref.order.datasets, datasetId);
    }
  });
  return ref;
}

/** Sort ids: the reference order first, then the rest alphabetically. */
export function inOrder(ids: Iterable<string>, reference: readonly string[]): string[] {
  const rank = (id: string) => {
    const i = reference.indexOf(id);
    return i < 0 ? reference.length : i;
  };
  return [...new Set(ids)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export type PaperIssueKind = 'identical_rows' | 'implausible_value' | 'mean_mismatch';

export interface PaperIssue {
  kind: PaperIssueKind;
  condition: string;
  fr_model: string;
  /** The method(s) concerned (two or more for identical rows). */
  methods: string[];
  /** The dataset (implausible value), or null for a whole row. */
  dataset: string | null;
  /** What was found, in words with the paper's names. */
  detail: string;
}

/**
 * Check a published table: within every condition × FR model block, methods whose rows are identical in every
 * dataset (2+ datasets; a copy/paste error, or two methods that are not what their names say); values outside
 * PLAUSIBLE_PAUC_NORM; printed means further than MEAN_TOLERANCE from the mean of their row's values.
 */
export function checkPaperReference(ref: PaperReference): PaperIssue[] {
  const issues: PaperIssue[] = [];
  const name = (id: string) => ref.names.get(id) ?? id;
  const { conditions, fr_models, methods, datasets } = ref.order;
  for (const c of conditions)
    for (const fr of fr_models) {
      const rows = methods
        .map((m) => ({ m, v: datasets.map((d) => ref.values.get(paperKey(c, fr, m, d))) }))
        .filter((r) => r.v.some((x) => x !== undefined));
      if (!rows.length) continue;
      // identical rows: group methods by their row of values
      const groups = new Map<string, string[]>();
      for (const r of rows) {
        if (r.v.filter((x) => x !== undefined).length < 2) continue;
        const k = JSON.stringify(r.v.map((x) => x ?? null));
        groups.set(k, [...(groups.get(k) ?? []), r.m]);
      }
      for (const [k, ms] of groups)
        if (ms.length > 1) {
          const n = (JSON.parse(k) as (number | null)[]).filter((x) => x !== null).length;
          issues.push({ kind: 'identical_rows', condition: c, fr_model: fr, methods: ms, dataset: null, detail: `${ms.map(name).join(' = ')} (${name(fr)}, ${name(c)}): all ${n} values identical` });
        }
      for (const r of rows) {
        r.v.forEach((x, j) => {
          if (x !== undefined && !(x >= PLAUSIBLE_PAUC_NORM[0] && x <= PLAUSIBLE_PAUC_NORM[1]))
            issues.push({ kind: 'implausible_value', condition: c, fr_model: fr, methods: [r.m], dataset: datasets[j]!, detail: `${name(r.m)} on ${name(datasets[j]!)} (${name(fr)}, ${name(c)}): ${x} is outside the plausible ${PLAUSIBLE_PAUC_NORM[0]}–${PLAUSIBLE_PAUC_NORM[1]}` });
        });
        const printed = ref.means.get(paperKey(c, fr, r.m, PAPER_MEAN_ID));
        const present = r.v.filter((x): x is number => x !== undefined);
        if (printed !== undefined && present.length === datasets.length) {
          const mean = present.reduce((a, b) => a + b, 0) / present.length;
          if (Math.abs(mean - printed) > MEAN_TOLERANCE + 1e-9)
            issues.push({ kind: 'mean_mismatch', condition: c, fr_model: fr, methods: [r.m], dataset: null, detail: `${name(r.m)} (${name(fr)}, ${name(c)}): printed mean ${printed}, mean of the row ${mean.toFixed(4)}` });
        }
      }
    }
  return issues;
}
