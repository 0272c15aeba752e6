/**
 * From an experiment file to a plan: normalised datasets, conditions and methods; the work units (embeddings,
 * scores, trainings) that can run anywhere; the evaluation cells (EDC per dataset × condition × FR model); what is
 * missing on this machine. Pure and deterministic: the same file gives the same plan, unit keys and shards.
 */
import { configHash, stableStringify, AikdError } from '@aikd/core';
import { frModelCatalogue } from '@aikd/fr-models/catalogue';
import { methodCatalogue } from '@aikd/teachers/catalogue';
import type { Experiment, MethodSpecInput, ProcedureName } from './schema.ts';

export interface DatasetSpec {
  name: string;
  split?: { testFraction: number; seed: number | string };
  filter?: string[];
  /** Stable id in unit keys, e.g. `demo`, `demo@test`. */
  key: string;
}

export interface ConditionSpec {
  name: string;
  procedure: ProcedureName;
  params: Record<string, unknown>;
  seed: number | string;
  /** Canonical identity (procedure + params + seed): equal keys are the same images. */
  key: string;
  /** Part of the sensitivity sweep only (not a table condition). */
  sweepOnly?: boolean;
  /** Strength for the sensitivity plots (landmark-jitter p). */
  strength?: number | null;
}

export interface MethodSpec {
  /** Label in tables: `serfiq`, `aikd(serfiq)`, … */
  label: string;
  /** Method id in the method catalogue (`aikd` resolves to `aikd:<run-id>` after training). */
  id: string;
  frModel?: string;
  params: Record<string, unknown>;
  onnx?: string;
  /** Official weights by name or file (models.yaml entry from `aikd models import`, .pth, .onnx). */
  weights?: string;
  teacher?: MethodSpec;
  train?: Record<string, unknown> & { dataset?: string };
  key: string;
}

/** A method the experiment trains itself: its descriptor has a trainer, and no official weights or run were given. */
export const trainsHere = (m: Pick<MethodSpec, 'id' | 'onnx' | 'weights'>): boolean => !m.onnx && !m.weights && !m.id.includes(':') && !!methodCatalogue.get(m.id)?.trainer;

export type Unit =
  | { kind: 'embed'; key: string; dataset: DatasetSpec; condition: ConditionSpec; frModel: string }
  | { kind: 'score'; key: string; dataset: DatasetSpec; condition: ConditionSpec; method: MethodSpec }
  | { kind: 'train'; key: string; method: MethodSpec; dataset: DatasetSpec };

/** What one shard runs as a whole: a training with the scoring that needs its result stays together. */
export interface WorkUnit {
  key: string;
  units: Unit[];
  /** Relative cost estimate (image-seconds on wasm), for balancing shards. */
  cost: number;
}

export interface EdcCell {
  key: string;
  dataset: DatasetSpec;
  condition: ConditionSpec;
  frModel: string;
  methods: MethodSpec[];
}

export interface Plan {
  experiment: Experiment;
  /** Deterministic: `exp-<name>-<hash of the resolved grid>`. */
  id: string;
  configHash: string;
  datasets: DatasetSpec[];
  conditions: ConditionSpec[];
  methods: MethodSpec[];
  workUnits: WorkUnit[];
  cells: EdcCell[];
  sensitivity?: { datasets: DatasetSpec[]; frModels: string[]; methods: MethodSpec[]; conditions: ConditionSpec[] };
  /** The experiment file it came from (for line numbers in validation errors). */
  source?: { file: string; text: string };
}

/** A label as a piece of a unit key / run id: `aikd(serfiq)` → `aikd_serfiq`. */
export const safeKey = (s: string) => s.replace(/\(([^)]*)\)/g, '_$1').replace(/[^A-Za-z0-9._-]+/g, '-');
const safe = safeKey;

function datasetSpec(d: Experiment['datasets'][number]): DatasetSpec {
  if (typeof d === 'string') return { name: d, key: d };
  const split = d.split ? { testFraction: d.split.test_fraction, seed: d.split.seed } : undefined;
  const key = d.name + (split ? '@test' : '') + (d.filter?.length ? `[${d.filter.join(';')}]` : '');
  return { name: d.name, split, filter: d.filter, key };
}

export function conditionSpec(c: Experiment['conditions'][number], defaultSeed: number | string): ConditionSpec {
  const o = typeof c === 'string' ? { procedure: c, params: {} as Record<string, unknown> } : c;
  const seed = (typeof c === 'object' && c.seed !== undefined ? c.seed : defaultSeed) as number | string;
  const params = o.params ?? {};
  const strength = o.procedure === 'landmark-jitter' ? Number(params.p ?? 3) : o.procedure === 'proper' ? 0 : null;
  const name = (typeof c === 'object' && c.name) || o.procedure;
  return { name, procedure: o.procedure, params, seed, key: configHash({ procedure: o.procedure, params, seed }).slice(0, 10), strength };
}

export function methodSpec(m: MethodSpecInput, defaultFr: string): MethodSpec {
  const o = typeof m === 'string' ? { id: m } : m;
  if (o.id.startsWith('aikd:') || o.id.includes(':')) {
    // an already-trained model: `aikd:<run-id>`, `crfiqa:<run-id>`
    return { label: o.name ?? o.id, id: o.id, frModel: o.fr_model, params: o.params ?? {}, key: configHash({ id: o.id, params: o.params ?? {} }).slice(0, 10) };
  }
  const teacher = 'teacher' in o && o.teacher !== undefined ? methodSpec(o.teacher as MethodSpecInput, defaultFr) : undefined;
  // what the catalogue says about it; an unknown id, a missing or unexpected teacher, weights a method does not take
  // are the grid validation's to report (with their lines), so the plan is made as far as it can be
  const d = methodCatalogue.get(o.id);
  const frModel = o.fr_model ?? (d?.needs.frModel ? defaultFr : undefined);
  const params = o.params ?? {};
  const label = o.name ?? (d?.needs.teacher && teacher ? `${o.id}(${teacher.label})` : o.id);
  const spec: MethodSpec = { label, id: o.id, frModel, params, onnx: o.onnx, weights: o.weights, teacher, train: o.train as MethodSpec['train'], key: '' };
  spec.key = configHash({ id: spec.id, frModel, params, onnx: spec.onnx, weights: spec.weights, teacher: teacher?.key, train: spec.train }).slice(0, 10);
  return spec;
}

/** Rough per-image seconds on wasm, for balancing shards (not a promise): the catalogues' cost estimates. */
function unitCost(u: Unit, images: number): number {
  if (u.kind === 'embed') return images * (frModelCatalogue.get(u.frModel)?.cost?.embedSeconds ?? 0.05);
  if (u.kind === 'train') return 60 + images * 0.5;
  const backbone = (u.method.frModel && frModelCatalogue.get(u.method.frModel)?.cost?.methodFactor) || 1;
  const per = methodCatalogue.get(u.method.id)?.cost ?? 0.02;
  return images * per * backbone;
}

export function makePlan(exp: Experiment, imageCounts: (ds: DatasetSpec) => number = () => 1000): Plan {
  const datasets = exp.datasets.map(datasetSpec);
  const dupe = (xs: string[]) => xs.find((x, i) => xs.indexOf(x) !== i);
  if (dupe(datasets.map((d) => d.key))) throw new AikdError(`experiment ${exp.name}: dataset "${dupe(datasets.map((d) => d.key))}" appears twice`);
  const conditions = exp.conditions.map((c) => conditionSpec(c, exp.seed));
  if (dupe(conditions.map((c) => c.name))) throw new AikdError(`experiment ${exp.name}: two conditions are named "${dupe(conditions.map((c) => c.name))}" (give them names)`);
  const methods = exp.methods.map((m) => methodSpec(m, exp.defaults.method_fr_model));
  if (dupe(methods.map((m) => m.label))) throw new AikdError(`experiment ${exp.name}: two methods are labelled "${dupe(methods.map((m) => m.label))}" (give them names)`);
  if (dupe(exp.fr_models)) throw new AikdError(`experiment ${exp.name}: FR model "${dupe(exp.fr_models)}" appears twice`);

  // the sensitivity sweep adds conditions (deduplicated against the table conditions by their canonical key)
  let sensitivity: Plan['sensitivity'];
  const allConditions = [...conditions];
  if (exp.sensitivity) {
    const s = exp.sensitivity;
    const sweep = [
      conditionSpec('proper', exp.seed),
      ...s.landmark_jitter.map((p) => conditionSpec({ name: `landmark-jitter-p${String(p).replace('.', '_')}`, procedure: 'landmark-jitter', params: { p } }, exp.seed)),
      ...s.procedures.map((p) => conditionSpec(p, exp.seed)),
    ];
    const swept: ConditionSpec[] = [];
    for (const c of sweep) {
      const existing = allConditions.find((x) => x.key === c.key);
      if (existing) swept.push(existing);
      else {
        const added = { ...c, sweepOnly: true };
        allConditions.push(added);
        swept.push(added);
      }
    }
    const pick = <T>(all: T[], names: string[] | undefined, name: (t: T) => string, what: string) => {
      if (!names) return all;
      return names.map((n) => {
        const t = all.find((x) => name(x) === n);
        if (!t) throw new AikdError(`experiment ${exp.name}: sensitivity.${what} names "${n}", which is not in the experiment's ${what}`);
        return t;
      });
    };
    sensitivity = {
      datasets: pick(datasets, s.datasets, (d) => d.name, 'datasets'),
      frModels: pick(exp.fr_models, s.fr_models, (f) => f, 'fr_models'),
      methods: pick(methods, s.methods, (m) => m.label, 'methods'),
      conditions: swept,
    };
  }

  const condKeyName = (c: ConditionSpec) => `${safe(c.name)}`;
  const units = new Map<string, Unit>();
  const add = (u: Unit) => units.set(u.key, u);
  const needs = (ds: DatasetSpec, c: ConditionSpec, fr: string | undefined, m: MethodSpec | undefined) => {
    if (fr) add({ kind: 'embed', key: `embed.${safe(ds.key)}.${condKeyName(c)}.${safe(fr)}`, dataset: ds, condition: c, frModel: fr });
    if (m) add({ kind: 'score', key: `score.${safe(ds.key)}.${condKeyName(c)}.${safe(m.label)}`, dataset: ds, condition: c, method: m });
  };
  const cells: EdcCell[] = [];
  for (const ds of datasets)
    for (const c of conditions)
      for (const fr of exp.fr_models) {
        needs(ds, c, fr, undefined);
        for (const m of methods) needs(ds, c, undefined, m);
        cells.push({ key: `edc.${safe(ds.key)}.${condKeyName(c)}.${safe(fr)}`, dataset: ds, condition: c, frModel: fr, methods });
      }
  if (sensitivity)
    for (const ds of sensitivity.datasets)
      for (const c of sensitivity.conditions)
        for (const fr of sensitivity.frModels) {
          needs(ds, c, fr, undefined);
          for (const m of sensitivity.methods) needs(ds, c, undefined, m);
          if (!cells.some((x) => x.dataset.key === ds.key && x.condition.key === c.key && x.frModel === fr))
            cells.push({ key: `edc.${safe(ds.key)}.${condKeyName(c)}.${safe(fr)}`, dataset: ds, condition: c, frModel: fr, methods: sensitivity.methods });
        }

  // trainings: one per method trained here; its score units join its work unit
  const trainFor = new Map<string, Unit & { kind: 'train' }>();
  for (const m of methods)
    if (trainsHere(m)) {
      const trainDs = m.train?.dataset ? datasets.find((d) => d.name === m.train!.dataset) ?? { name: m.train.dataset, key: m.train.dataset } : datasets.find((d) => d.split);
      if (!trainDs) throw new AikdError(`method ${m.label}: needs training data — give train.dataset, or a dataset with a split (its train part is used)`);
      trainFor.set(m.label, { kind: 'train', key: `train.${safe(m.label)}.${safe(trainDs.split ? `${trainDs.name}@train` : trainDs.key)}`, method: m, dataset: trainDs });
    }
  const work = new Map<string, WorkUnit>();
  for (const u of units.values()) {
    const t = u.kind === 'score' ? trainFor.get(u.method.label) : undefined;
    const wkey = t ? t.key : u.key;
    const w = work.get(wkey) ?? { key: wkey, units: t ? [t] : [], cost: t ? unitCost(t, imageCounts(t.dataset)) : 0 };
    w.units.push(u);
    w.cost += unitCost(u, imageCounts(u.dataset));
    work.set(wkey, w);
  }
  for (const t of trainFor.values()) if (!work.has(t.key)) work.set(t.key, { key: t.key, units: [t], cost: unitCost(t, imageCounts(t.dataset)) });

  // evaluation-only settings (the bootstrap) do not change what the units compute, so they are not in the id
  const resolved = { ...exp, description: undefined, edc: { ...exp.edc, bootstrap: undefined } };
  const hash = configHash(JSON.parse(stableStringify(resolved)));
  return {
    experiment: exp,
    id: `exp-${exp.name}-${hash.slice(0, 8)}`,
    configHash: hash,
    datasets,
    conditions: allConditions,
    methods,
    workUnits: [...work.values()].sort((a, b) => a.key.localeCompare(b.key)),
    cells,
    sensitivity,
  };
}

/**
 * Deterministic 1/N of the work: units sorted by cost (then key), each given to the least-loaded shard so far
 * (lowest index on ties). Every process computing the same plan agrees on the assignment.
 */
export function assignShards(work: readonly WorkUnit[], n: number): WorkUnit[][] {
  if (!Number.isInteger(n) || n < 1) throw new AikdError(`shards: expected a whole number >= 1 (got ${n})`);
  const shards: WorkUnit[][] = Array.from({ length: n }, () => []);
  const load = new Array<number>(n).fill(0);
  const order = [...work].sort((a, b) => b.cost - a.cost || a.key.localeCompare(b.key));
  for (const w of order) {
    let best = 0;
    for (let i = 1; i < n; i++) if (load[i]! < load[best]!) best = i;
    shards[best]!.push(w);
    load[best]! += w.cost;
  }
  return shards.map((s) => s.sort((a, b) => a.key.localeCompare(b.key)));
}

/** `--shard i/N`: shard i (0-based, 0 <= i < N) of N — what JOB_COMPLETION_INDEX and a 0-based Slurm array give. */
export function parseShard(spec: string | undefined): { index: number; count: number } {
  if (!spec) return { index: 0, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  if (!m) throw new AikdError(`--shard: expected i/N with 0 <= i < N, e.g. 0/4 (got "${spec}")`);
  const index = Number(m[1]), count = Number(m[2]);
  if (count < 1 || index >= count) throw new AikdError(`--shard ${spec}: expected 0 <= i < N (shards are numbered from 0)`);
  return { index, count };
}
