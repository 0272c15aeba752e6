/**
 * The paper's published pAUC tables (experiments/reference/paper-pauc.csv): values keyed by the workbench's ids,
 * the paper's display names, and the paper's row and column order.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '@aikd/core';

export interface PaperReference {
  /** pAUC_norm by `paperKey(condition, fr_model, method, dataset)` (workbench ids). */
  values: Map<string, number>;
  /** Paper display names by workbench id (fr models, methods, datasets, conditions). */
  names: Map<string, string>;
  /** Ids in the paper's order. */
  order: { fr_models: string[]; methods: string[]; datasets: string[]; conditions: string[] };
}

const COLUMNS = ['condition', 'fr_model', 'method', 'dataset', 'pauc_norm', 'condition_id', 'fr_model_id', 'method_id', 'dataset_id'] as const;

export const paperKey = (condition: string, frModel: string, method: string, dataset: string): string => [condition, frModel, method, dataset].join('\u0001');

export const EMPTY_REFERENCE: PaperReference = { values: new Map(), names: new Map(), order: { fr_models: [], methods: [], datasets: [], conditions: [] } };

/** Read the reference CSV (plain comma-separated, no quoted fields); a missing file gives an empty reference. */
export function loadPaperReference(file: string): PaperReference {
  if (!existsSync(file)) return EMPTY_REFERENCE;
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const header = lines[0]!.split(',');
  if (COLUMNS.some((c, i) => header[i] !== c)) throw new InputError({ file, where: 'line 1', expected: `the header ${COLUMNS.join(',')}`, got: lines[0] });
  const ref: PaperReference = { values: new Map(), names: new Map(), order: { fr_models: [], methods: [], datasets: [], conditions: [] } };
  const addOnce = (list: string[], id: string) => list.includes(id) || list.push(id);
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return;
    const f = line.split(',');
    const value = Number(f[4]);
    if (f.length !== COLUMNS.length || f.some((x) => x === '') || !Number.isFinite(value))
      throw new InputError({ file, where: `line ${i + 2}`, expected: `${COLUMNS.length} non-empty fields with a numeric pauc_norm`, got: line });
    const [condition, frModel, method, dataset, , conditionId, frModelId, methodId, datasetId] = f as [string, string, string, string, string, string, string, string, string];
    ref.values.set(paperKey(conditionId, frModelId, methodId, datasetId), value);
    for (const [id, n] of [[conditionId, condition], [frModelId, frModel], [methodId, method], [datasetId, dataset]] as const) ref.names.set(id, n);
    addOnce(ref.order.conditions, conditionId);
    addOnce(ref.order.fr_models, frModelId);
    addOnce(ref.order.methods, methodId);
    addOnce(ref.order.datasets, datasetId);
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
