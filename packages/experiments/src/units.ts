/**
 * Running one unit: each is a child run of the experiment with a deterministic id, so a re-run (after a crash, on
 * another shard, or with a changed grid) finds what is already done. Embedding and score computations are also
 * content-addressed in the shared caches of fr-models and teachers, so even a new experiment reuses them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { configHash, AikdError } from '@aikd/core';
import { withRun, readRunRecord, readResultTable, runsDir, type ResultKind, type Run } from '@aikd/results';
import { createProcedure } from '@aikd/alignment';
import { embedDataset, scorePairs } from '@aikd/fr-models';
import { scoreDataset, scoresTable, scoresProvenance } from '@aikd/teachers';
import { methodCatalogue } from '@aikd/teachers/catalogue';
import { trainsHere, type Plan, type Unit, type DatasetSpec } from './plan.ts';
import type { Resources } from './resources.ts';

export const unitRunId = (plan: Plan, key: string) => `${plan.id}.${key}`;

/** What makes a unit's result what it is (not the code version: caches survive commits; provenance records it). */
export function unitHash(u: Unit): string {
  const ds = (d: DatasetSpec) => ({ name: d.name, split: d.split, filter: d.filter });
  // `comparisons`: the layout of the table the unit writes (2: with identity_a / identity_b)
  if (u.kind === 'embed') return configHash({ kind: u.kind, dataset: ds(u.dataset), condition: u.condition, frModel: u.frModel, comparisons: 2 });
  if (u.kind === 'score') return configHash({ kind: u.kind, dataset: ds(u.dataset), condition: u.condition, method: u.method });
  return configHash({ kind: u.kind, dataset: ds(u.dataset), method: u.method });
}

/** A completed child run with the same content hash, or undefined. */
export function doneRun(plan: Plan, u: { key: string }, hash: string, root?: string): ReturnType<typeof readRunRecord> | undefined {
  const p = join(runsDir(root), unitRunId(plan, u.key), 'run.json');
  if (!existsSync(p)) return undefined;
  try {
    const r = readRunRecord(p);
    return r.status === 'completed' && (r.params as { unit_hash?: string }).unit_hash === hash ? r : undefined;
  } catch {
    return undefined;
  }
}

export interface UnitContext {
  plan: Plan;
  res: Resources;
  root?: string;
  /** Method label → trained method id, for scoring units of methods trained in this experiment. */
  trained: Map<string, string>;
}

export async function runUnit(u: Unit, ctx: UnitContext): Promise<Run> {
  const { plan, res } = ctx;
  const hash = unitHash(u);
  const opts = {
    // a training unit's own run is `train-unit`; the training it starts is a `train` / `teacher-train` run
    kind: u.kind === 'train' ? 'train-unit' : u.kind,
    id: unitRunId(plan, u.key),
    parent: plan.id,
    name: u.key,
    root: ctx.root,
    params: { unit: u.key, unit_hash: hash, experiment: plan.experiment.name, ...describeUnit(u) },
  };
  return withRun(opts, async (run) => {
    if (u.kind === 'embed') {
      const ds = await res.evalDataset(u.dataset);
      const rec = await res.recognizer(u.frModel);
      const procedure = createProcedure(u.condition.procedure, u.condition.params);
      const set = await embedDataset(ds, rec, { alignment: procedure, seed: u.condition.seed, label: `embed ${u.dataset.key} ${u.condition.name} ${u.frModel}` });
      const { pairs, similarity } = scorePairs(ds, set);
      const table = new arrow.Table({
        pair: arrow.makeVector(Int32Array.from(pairs, (_, i) => i)),
        a: arrow.vectorFromArray(pairs.map((p) => p.a), new arrow.Utf8()),
        b: arrow.vectorFromArray(pairs.map((p) => p.b), new arrow.Utf8()),
        mated: arrow.vectorFromArray(pairs.map((p) => p.mated), new arrow.Bool()),
        // who is in each pair (null where the dataset does not say): the bootstrap resamples identities
        identity_a: arrow.vectorFromArray(pairs.map((p) => ds.image(p.a)?.identity ?? null), new arrow.Utf8()),
        identity_b: arrow.vectorFromArray(pairs.map((p) => ds.image(p.b)?.identity ?? null), new arrow.Utf8()),
        fold: arrow.vectorFromArray(pairs.map((p) => p.fold ?? null), new arrow.Int32()),
        similarity: arrow.makeVector(similarity),
      });
      run.writeTable('comparisons', table, { fr_model: u.frModel, dataset: u.dataset.name, alignment: procedure.id, seed: numericSeed(u.condition.seed), params: run.info.params });
      if (set.cachePath) run.addArtifact({ name: 'embeddings', kind: 'embeddings-cache', path: set.cachePath });
      run.finish({ images: set.ids.length, pairs: pairs.length, dim: set.dim, embeddings_from_cache: set.fromCache });
    } else if (u.kind === 'score') {
      const ds = await res.evalDataset(u.dataset);
      const resolved = ctx.trained.get(u.method.label);
      if (trainsHere(u.method) && !resolved) throw new AikdError(`method ${u.method.label}: its training unit has not completed`);
      const method = await res.method(u.method, resolved);
      const procedure = createProcedure(u.condition.procedure, u.condition.params);
      const set = await scoreDataset(ds, method, { alignment: procedure, seed: u.condition.seed, label: `score ${u.dataset.key} ${u.condition.name} ${u.method.label}` });
      const prov = scoresProvenance(set, run.id);
      run.writeTable('scores', scoresTable(set), { ...prov, method: u.method.label, params: { ...prov.params, method_label: u.method.label } });
      const failed = set.quality.filter((q) => !Number.isFinite(q)).length;
      run.finish({ images: set.ids.length, failed_to_assess: failed, method_id: method.id, scores_from_cache: set.fromCache, seconds: set.seconds });
    } else {
      const trainer = methodCatalogue.get(u.method.id)?.trainer;
      if (!trainer) throw new AikdError(`method ${u.method.label}: no trainer for "${u.method.id}" is registered (give official weights with weights: or onnx:)`);
      const ds = await res.trainDataset(u.dataset);
      const data = { dataset: ds, name: u.dataset.name, description: `${u.dataset.key}${u.dataset.split ? ` (train part, split ${u.dataset.split.testFraction}/${u.dataset.split.seed})` : ''}` };
      const t = await trainer.train({ method: u.method, data, seed: plan.experiment.seed, parent: plan.id, root: ctx.root, catalogue: methodCatalogue });
      ctx.trained.set(u.method.label, t.methodId);
      run.finish({ method_id: t.methodId, training_run: t.runId, ...t.summary });
    }
    return run;
  });
}

function describeUnit(u: Unit): Record<string, unknown> {
  const base = { dataset: u.dataset.name, dataset_key: u.dataset.key, split: u.dataset.split ?? null, filter: u.dataset.filter ?? null };
  if (u.kind === 'embed') return { ...base, condition: u.condition.name, procedure: u.condition.procedure, procedure_params: u.condition.params, seed: u.condition.seed, fr_model: u.frModel };
  if (u.kind === 'score')
    return { ...base, condition: u.condition.name, procedure: u.condition.procedure, procedure_params: u.condition.params, seed: u.condition.seed, method: u.method.label, method_spec: u.method };
  return { ...base, method: u.method.label, method_spec: u.method };
}

const numericSeed = (s: number | string) => (typeof s === 'number' ? s : undefined);

/** Read a unit's result table back (after it ran here or elsewhere). */
export function unitTable(plan: Plan, key: string, kind: ResultKind, root?: string): arrow.Table | undefined {
  const p = join(runsDir(root), unitRunId(plan, key), `${kind}.arrow`);
  return existsSync(p) ? readResultTable(p).table : undefined;
}
