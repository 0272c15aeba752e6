/**
 * Running one unit: each is a child run of the experiment with a deterministic id, so a re-run (after a crash, on
 * another shard, or with a changed grid) finds what is already done. Embedding and score computations are also
 * content-addressed in the shared caches of fr-models and teachers, so even a new experiment reuses them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { configHash, AikdError, fileHash, filesDigest, listFilesRecursive, packageCodeVersion, resolveFromRoot } from '@aikd/core';
import { withRun, readRunRecord, readResultTable, runFileProblems, runsDir, type ResultKind, type Run, type RunRecord } from '@aikd/results';
import { createProcedure } from '@aikd/alignment';
import { embedDataset, scorePairs, weightsFile } from '@aikd/fr-models';
import { scoreDataset, scoresTable, scoresProvenance } from '@aikd/teachers';
import { methodCatalogue } from '@aikd/teachers/catalogue';
import { trainsHere, type Plan, type Unit, type MethodSpec } from './plan.ts';
import type { Resources } from './resources.ts';

export const unitRunId = (plan: Plan, key: string) => `${plan.id}.${key}`;

/**
 * What a unit's result depends on, part by part (each a short hash), recorded in the unit's run so a re-run can say
 * what changed: the resolved dataset entry, the content of every image it reads (+ the pairs for comparisons), the
 * test condition (procedure, parameters, seed), the FR model and its weights, the method with its parameters and
 * weights (for a method trained here: the training run's files), and the code of the package that computes it
 * (with the workspace packages it depends on).
 */
export interface UnitInputs {
  dataset: string;
  content: string;
  condition?: string;
  fr_model?: string;
  method?: string;
  code: string;
  /** Images read (not part of the key: for the explanation). */
  images: number;
}

export interface UnitKey {
  hash: string;
  inputs: UnitInputs;
}

const PART_NAMES: Record<Exclude<keyof UnitInputs, 'images'>, string> = {
  dataset: 'the dataset entry (format, paths, options, split or filter)',
  content: 'the images it reads (content, landmarks, identities, pairs)',
  condition: 'the test condition (procedure, parameters, seed)',
  fr_model: 'the FR model or its weights',
  method: "the method, its parameters or its weights",
  code: 'the code that computes it',
};

/** The workspace package whose code computes a method (its descriptor's `package`; `<id>:<run-id>` is its id's). */
const methodPackage = (id: string): string => methodCatalogue.get(id.split(':')[0]!)?.package ?? 'teachers';

/**
 * The layout of the comparisons table an embed unit writes (2: with identity_a / identity_b), written here by this
 * package rather than by fr-models: part of the unit's code, so a unit computed with another layout is recomputed.
 */
const COMPARISONS_LAYOUT = 'comparisons-layout@2';

/** Workspace packages whose code computes a unit (each includes the packages it depends on). */
function computingPackages(u: Unit): string[] {
  if (u.kind === 'embed') return ['fr-models'];
  if (u.kind === 'train') return [methodPackage(u.method.id)];
  // scores are computed by the teachers package with the method's code (and its teacher's, for a distilled method)
  const packages = new Set(['teachers']);
  for (let m: MethodSpec | undefined = u.method; m; m = m.teacher) packages.add(methodPackage(m.id));
  return [...packages];
}

/** Hash of the files of a trained run (weights, heads, manifests; not its record or metrics). */
function runFilesKey(runId: string, root?: string): string {
  const dir = join(runsDir(root), runId);
  if (!existsSync(dir)) return 'missing';
  const files = listFilesRecursive(dir).filter((f) => f !== 'run.json' && f !== 'metrics.jsonl' && !f.startsWith('.'));
  return filesDigest(dir, files);
}

/** Computes (and remembers) the keys of a plan's units in one process. */
export class UnitKeys {
  /** Method label → method id of a method trained in this experiment (`aikd:<run-id>`), once its training is done. */
  readonly trained = new Map<string, string>();
  private readonly memo = new Map<string, Promise<UnitKey | undefined>>();
  constructor(
    readonly plan: Plan,
    readonly res: Resources,
    readonly root?: string,
  ) {}

  private methodKey(m: MethodSpec, resolvedId?: string): unknown {
    const id = resolvedId ?? m.id;
    const contentOf = (file: string | undefined) => (file && existsSync(file) ? fileHash(file) : 'missing');
    const onnx = m.onnx ? resolveFromRoot(m.onnx) : undefined;
    return {
      id,
      params: m.params,
      fr_model: m.frModel ?? null,
      fr_weights: m.frModel ? this.res.weightsKey(m.frModel) : null,
      onnx: onnx ? { path: onnx, sha256: contentOf(onnx) } : null,
      // official weights by name or file: their content (absent from keys of methods without them, so those stay as they were)
      ...(m.weights && !resolvedId ? { weights: { ref: m.weights, sha256: contentOf(weightsFile(m.weights)) } } : {}),
      run_files: id.includes(':') ? runFilesKey(id.slice(id.indexOf(':') + 1), this.root) : null,
      teacher: m.teacher ? this.methodKey(m.teacher) : null,
      train: m.train ?? null,
    };
  }

  /**
   * The unit's key, or undefined when it cannot be known yet: a score unit of a method trained here before its
   * training is done (its key includes the trained model).
   */
  key(u: Unit): Promise<UnitKey | undefined> {
    const resolved = u.kind === 'score' ? this.trained.get(u.method.label) : undefined;
    const memoKey = `${u.key}|${resolved ?? ''}`;
    let p = this.memo.get(memoKey);
    if (!p) {
      p = (async () => {
        if (u.kind === 'score' && trainsHere(u.method) && !resolved) return undefined;
        const fp = await this.res.fingerprint(u.dataset, u.kind === 'train' ? 'train' : 'eval', u.kind === 'embed');
        const code = [...computingPackages(u).map((name) => `${name}@${packageCodeVersion(name)}`), ...(u.kind === 'embed' ? [COMPARISONS_LAYOUT] : [])].join(',');
        const inputs: UnitInputs = {
          dataset: (await this.res.datasetEntryKey(u.dataset)).slice(0, 12),
          content: fp.key.slice(0, 12),
          code,
          images: fp.images,
        };
        if (u.kind !== 'train') inputs.condition = configHash({ procedure: u.condition.procedure, params: u.condition.params, seed: u.condition.seed }).slice(0, 12);
        if (u.kind === 'embed') inputs.fr_model = configHash({ name: u.frModel, weights: this.res.weightsKey(u.frModel) }).slice(0, 12);
        else inputs.method = configHash(this.methodKey(u.method, resolved)).slice(0, 12);
        const { images: _images, ...parts } = inputs;
        return { hash: configHash({ kind: u.kind, ...parts }), inputs };
      })();
      this.memo.set(memoKey, p);
    }
    return p;
  }
}

/** A unit's previous result: reusable, or why not. */
export type PreviousResult = { reusable: true; record: RunRecord } | { reusable: false; why: string };

/**
 * Can the unit's last result be reused? Only a completed run whose recorded inputs equal `key` and whose result
 * files still have the hashes recorded when they were written (a file modified outside the workbench is recomputed).
 */
export function previousResult(plan: Plan, u: { key: string }, key: UnitKey, root?: string): PreviousResult {
  const dir = join(runsDir(root), unitRunId(plan, u.key));
  const p = join(dir, 'run.json');
  if (!existsSync(p)) return { reusable: false, why: 'never computed' };
  let r: RunRecord;
  try {
    r = readRunRecord(p);
  } catch {
    return { reusable: false, why: 'its run record is unreadable' };
  }
  if (r.status === 'running') return { reusable: false, why: 'the last attempt did not finish (interrupted, or running elsewhere)' };
  if (r.status !== 'completed') return { reusable: false, why: `the last attempt ${r.status}${r.error ? `: ${r.error}` : ''}` };
  const params = r.params as { unit_hash?: string; unit_inputs?: UnitInputs };
  if (params.unit_hash !== key.hash) {
    const before = params.unit_inputs;
    if (!before) return { reusable: false, why: 'computed by an older version of the workbench (its inputs were not recorded)' };
    const changed = (Object.keys(PART_NAMES) as (keyof typeof PART_NAMES)[]).filter((k) => before[k] !== key.inputs[k]);
    const parts = changed.map((k) => {
      if (k === 'content' && before.images !== key.inputs.images) return `${PART_NAMES[k]}: ${before.images} → ${key.inputs.images} images`;
      if (k === 'code') {
        const pk = (s: string) => new Map(s.split(',').map((x) => x.split('@') as [string, string]));
        const a = pk(before.code), b = pk(key.inputs.code);
        return `the code of ${[...b.keys()].filter((n) => a.get(n) !== b.get(n)).join(', ') || 'its packages'}`;
      }
      return PART_NAMES[k];
    });
    return { reusable: false, why: `changed: ${parts.join('; ') || 'its key'}` };
  }
  const problems = runFileProblems(r, dir);
  if (problems.length) return { reusable: false, why: `result not trusted: ${problems.join('; ')}` };
  // a training unit's result is its training run: reusable only while that run is there
  const training = (r.summary as { training_run?: string } | undefined)?.training_run;
  if (training && !existsSync(join(runsDir(root), training, 'run.json'))) return { reusable: false, why: `its training run ${training} is gone` };
  return { reusable: true, record: r };
}

export interface UnitContext {
  plan: Plan;
  res: Resources;
  root?: string;
  /** Method label → trained method id, for scoring units of methods trained in this experiment. */
  trained: Map<string, string>;
  /** The unit's key (from `UnitKeys`). */
  key: UnitKey;
}

export async function runUnit(u: Unit, ctx: UnitContext): Promise<Run> {
  const { plan, res } = ctx;
  const opts = {
    // a training unit's own run is `train-unit`; the training it starts is a `train` / `teacher-train` run
    kind: u.kind === 'train' ? 'train-unit' : u.kind,
    id: unitRunId(plan, u.key),
    parent: plan.id,
    name: u.key,
    root: ctx.root,
    params: { unit: u.key, unit_hash: ctx.key.hash, unit_inputs: ctx.key.inputs, experiment: plan.experiment.name, ...describeUnit(u) },
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
      // the training unit's key: a training elsewhere is reused only when it had the same inputs
      const t = await trainer.train({ method: u.method, data, seed: plan.experiment.seed, parent: plan.id, root: ctx.root, catalogue: methodCatalogue, inputs: ctx.key.hash });
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
