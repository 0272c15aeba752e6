/**
 * `aikd run`: execute a plan — this shard's work units (reusing those whose inputs and result files are
 * unchanged), then, once every unit of the plan is done (by this process or by other shards), the evaluation
 * phase. Each unit is computed under a lock, so two processes running the same grid never do the same work: the
 * second leaves a unit the first holds for later, does the rest, then waits and reuses it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { errorLine, isDiskFull, lock, log, progress, tryLock, writeJsonAtomic, type FileLock } from '@aikd/core';
import { Run, runsDir, type RunRecord } from '@aikd/results';
import { assignShards, type Plan, type Unit, type WorkUnit } from './plan.ts';
import { Resources } from './resources.ts';
import { checkAvailability, blockedBy, type MissingItem } from './availability.ts';
import { previousResult, runUnit, UnitKeys } from './units.ts';
import { evaluatePlan } from './evaluate.ts';
import { validatePlan } from './validate.ts';

export interface RunExperimentOptions {
  shard?: { index: number; count: number };
  root?: string;
  /** Evaluate after this shard's units when the whole plan is complete (default true). */
  evaluate?: boolean;
  /** Override the experiment's `edc.bootstrap` replicates (0 = no intervals). */
  bootstrap?: number;
  /** Test hook: stop the process (SIGKILL) after this many units were computed, as a crash would. */
  killAfterUnits?: number;
}

/** What happens to a unit, and why (`aikd run --explain`). */
export interface UnitDecision {
  unit: string;
  action: 'reuse' | 'compute' | 'skip' | 'fail' | 'later';
  why: string;
}

export interface RunExperimentResult {
  experiment: string;
  shard: { index: number; count: number };
  computed: string[];
  reused: string[];
  skipped: { unit: string; why: string }[];
  failed: { unit: string; error: string }[];
  missing: MissingItem[];
  evaluated: boolean;
  /** The experiment run's status: `partial` when some units failed, `failed` when nothing could be evaluated. */
  status: 'completed' | 'partial' | 'failed' | 'running';
  /** Wall time of the evaluation phase (EDCs, intervals, sensitivity). */
  evaluationSeconds?: number;
  pending: string[];
  explain: UnitDecision[];
  seconds: number;
}

const bootstrapSettings = (plan: Plan, replicates?: number) => (replicates === undefined ? plan.experiment.edc.bootstrap : { ...plan.experiment.edc.bootstrap, replicates });

function openExperimentRun(plan: Plan, root?: string): Run {
  const dir = join(runsDir(root), plan.id);
  if (existsSync(join(dir, 'run.json'))) return Run.open(plan.id, root);
  return Run.create({ kind: 'experiment', id: plan.id, name: plan.experiment.name, root, params: { ...plan.experiment, plan: { work_units: plan.workUnits.length, cells: plan.cells.length } } });
}

const lockPath = (plan: Plan, name: string, root?: string) => join(runsDir(root), plan.id, 'locks', `${name}.lock`);
const allUnits = (plan: Plan) => plan.workUnits.flatMap((w) => w.units);

/**
 * What would happen to every unit of the plan now (any shard): reuse, compute (and why), skip, or later (a score
 * unit of a method whose training has not run). Opens datasets to fingerprint them; runs no model.
 */
export async function explainPlan(plan: Plan, root?: string, keys?: UnitKeys): Promise<UnitDecision[]> {
  const missing = await checkAvailability(plan);
  const blocked = blockedBy(missing);
  const own = !keys;
  keys ??= new UnitKeys(plan, new Resources(root), root);
  const out: UnitDecision[] = [];
  try {
    for (const u of allUnits(plan)) {
      const why = blocked(unitNeeds(u));
      if (why) {
        out.push({ unit: u.key, action: 'skip', why });
        continue;
      }
      const key = await keys.key(u);
      if (!key) {
        out.push({ unit: u.key, action: 'later', why: 'scores a method trained in this experiment: its key is known once the training is done' });
        continue;
      }
      const prev = previousResult(plan, u, key, root);
      if (prev.reusable) {
        if (u.kind === 'train') keys.trained.set(u.method.label, String(prev.record.summary?.method_id));
        out.push({ unit: u.key, action: 'reuse', why: 'inputs unchanged, result files verified' });
      } else out.push({ unit: u.key, action: 'compute', why: prev.why });
    }
  } finally {
    if (own) await keys.res.close();
  }
  return out;
}

/** Keys of all units of the plan that are not done yet with their current inputs (any shard). */
export async function pendingUnits(plan: Plan, root?: string, keys?: UnitKeys): Promise<string[]> {
  return (await explainPlan(plan, root, keys)).filter((d) => d.action === 'compute' || d.action === 'later').map((d) => d.unit);
}

export async function runExperiment(plan: Plan, opts: RunExperimentOptions = {}): Promise<RunExperimentResult> {
  const t0 = performance.now();
  // the whole grid is checked before anything is computed (or written)
  validatePlan(plan);
  const shard = opts.shard ?? { index: 0, count: 1 };
  const root = opts.root;
  const exp = openExperimentRun(plan, root);
  await buildMissingBuiltins(plan);
  const missing = await checkAvailability(plan);
  const blocked = blockedBy(missing);
  if (missing.length && !plan.experiment.skip_unavailable)
    throw new Error(`missing: ${missing.map((m) => `${m.kind} ${m.name} (${m.missing.join('; ')})`).join(', ')}`);
  for (const m of missing) log.warn(`skipping ${m.kind} ${m.name}: ${m.missing.join('; ')}`);

  const mine = assignShards(plan.workUnits, shard.count)[shard.index]!;
  const res = new Resources(root);
  const keys = new UnitKeys(plan, res, root);
  const out: RunExperimentResult = { experiment: plan.id, shard, computed: [], reused: [], skipped: [], failed: [], missing, evaluated: false, status: 'running', pending: [], explain: [], seconds: 0 };
  const total = mine.reduce((a, w) => a + w.units.length, 0);
  const bar = progress(`experiment ${plan.experiment.name}${shard.count > 1 ? ` shard ${shard.index}/${shard.count}` : ''}`, total);
  let computedCount = 0;

  const reuse = (u: Unit, record: RunRecord, why: string) => {
    if (u.kind === 'train') keys.trained.set(u.method.label, String(record.summary?.method_id));
    out.reused.push(u.key);
    out.explain.push({ unit: u.key, action: 'reuse', why });
  };
  const skip = (u: Unit, why: string) => {
    out.skipped.push({ unit: u.key, why });
    out.explain.push({ unit: u.key, action: 'skip', why });
  };

  /**
   * The units of one work unit from `from` on. Returns the index of the first unit another process holds (when
   * not waiting), so the caller comes back to it after the rest of the work.
   */
  const work = async (w: WorkUnit, from: number, wait: boolean): Promise<number | undefined> => {
    let broken: string | undefined; // a failed training blocks the scoring that needs it
    for (let i = from; i < w.units.length; i++) {
      const u = w.units[i]!;
      const why = blocked(unitNeeds(u)) ?? broken;
      if (why) {
        skip(u, why);
        bar.tick();
        continue;
      }
      const key = await keys.key(u);
      if (!key) {
        skip(u, `the training of ${u.kind === 'score' ? u.method.label : u.key} did not complete`);
        bar.tick();
        continue;
      }
      const prev = previousResult(plan, u, key, root);
      if (prev.reusable) {
        reuse(u, prev.record, 'inputs unchanged, result files verified');
        bar.tick();
        continue;
      }
      let held: FileLock | undefined = tryLock(lockPath(plan, u.key, root));
      if (!held) {
        if (!wait) return i;
        held = await lock(lockPath(plan, u.key, root), { onWait: (h) => log.info(`unit ${u.key} is being computed by process ${h.pid} on ${h.host}; waiting for it`) });
      }
      try {
        // another process may have finished it between the check and the lock
        const again = previousResult(plan, u, key, root);
        if (again.reusable) {
          reuse(u, again.record, 'computed by another process meanwhile (inputs unchanged, result files verified)');
          continue;
        }
        out.explain.push({ unit: u.key, action: 'compute', why: prev.why });
        await runUnit(u, { plan, res, root, trained: keys.trained, key });
        out.computed.push(u.key);
        computedCount++;
        if (opts.killAfterUnits !== undefined && computedCount >= opts.killAfterUnits) process.kill(process.pid, 'SIGKILL');
      } catch (e) {
        // a full disk fails everything after it: stop with its clear error instead of failing unit after unit
        if (isDiskFull(e)) throw e;
        out.failed.push({ unit: u.key, error: errorLine(e) });
        out.explain.push({ unit: u.key, action: 'fail', why: errorLine(e) });
        log.warn(`unit ${u.key} failed: ${errorLine(e)}`);
        if (u.kind === 'train') broken = `training ${u.key} failed`;
      } finally {
        held.release();
        bar.tick();
      }
    }
    return undefined;
  };

  try {
    try {
      const deferred: { w: WorkUnit; from: number }[] = [];
      for (const w of mine) {
        const at = await work(w, 0, false);
        if (at !== undefined) deferred.push({ w, from: at });
      }
      // what other processes were computing: wait for each, then reuse it (or do it, if they failed)
      for (const d of deferred) await work(d.w, d.from, true);
    } finally {
      bar.done();
    }
    const shardFile = join(runsDir(root), plan.id, `shard-${shard.index}-of-${shard.count}.json`);
    writeJsonAtomic(shardFile, { ...out, finished_at: new Date().toISOString() });

    // evaluate once nothing runnable is pending (skipped and failed units are reported as missing methods)
    const notRunnable = new Set([...out.skipped.map((s) => s.unit), ...out.failed.map((f) => f.unit)]);
    out.pending = (await pendingUnits(plan, root, keys)).filter((k) => !notRunnable.has(k) && !blockedKey(plan, k, blocked));
    if (opts.evaluate !== false && out.pending.length === 0) {
      const held = await lock(lockPath(plan, 'evaluate', root), { onWait: () => log.info('another process is evaluating this experiment; waiting') });
      try {
        const ev = evaluatePlan(plan, root, bootstrapSettings(plan, opts.bootstrap));
        out.evaluated = true;
        out.evaluationSeconds = ev.seconds;
        out.status = out.failed.length ? (ev.cells ? 'partial' : 'failed') : 'completed';
        exp.finish(
          {
            cells: ev.cells,
            curves: ev.curves,
            missing_methods: ev.missing,
            incomplete_cells: ev.incomplete,
            skipped: missing.map((m) => `${m.kind} ${m.name}`),
            failed_units: out.failed.length,
            failed: out.failed,
            shards: shard.count,
            evaluation_seconds: ev.seconds,
            bootstrap: ev.bootstrap,
          },
          out.status,
        );
      } finally {
        held.release();
      }
    }
  } finally {
    await res.close();
  }
  out.seconds = Math.round((performance.now() - t0) / 100) / 10;
  return out;
}

/** Built-in datasets (the demo set) are built on first use, so the quickstart works on a fresh clone. */
async function buildMissingBuiltins(plan: Plan): Promise<void> {
  const { loadDatasetsConfig, findEntry, ensureDatasetBuilt } = await import('@aikd/datasets');
  const config = loadDatasetsConfig();
  for (const name of new Set(plan.datasets.map((d) => d.name))) {
    let entry;
    try {
      entry = findEntry(config, name);
    } catch {
      continue; // reported by the validation
    }
    await ensureDatasetBuilt(entry);
  }
}

function unitNeeds(u: Unit): { dataset: { name: string }; frModel?: string; method?: import('./plan.ts').MethodSpec } {
  if (u.kind === 'embed') return { dataset: u.dataset, frModel: u.frModel };
  return { dataset: u.dataset, method: u.method };
}

function blockedKey(plan: Plan, key: string, blocked: ReturnType<typeof blockedBy>): boolean {
  const u = allUnits(plan).find((x) => x.key === key);
  return !!u && !!blocked(unitNeeds(u));
}

/** `aikd merge`: evaluate a plan whose units were computed by several shards (errors if some are still pending). */
export async function mergeExperiment(plan: Plan, root?: string, bootstrap?: number): Promise<{ evaluated: boolean; pending: string[]; shards: string[] }> {
  const missing = await checkAvailability(plan);
  const blocked = blockedBy(missing);
  const pending = (await pendingUnits(plan, root)).filter((k) => !blockedKey(plan, k, blocked));
  const dir = join(runsDir(root), plan.id);
  const shards = existsSync(dir) ? readdirSync(dir).filter((f) => /^shard-\d+-of-\d+\.json$/.test(f)) : [];
  if (pending.length) return { evaluated: false, pending, shards };
  const held = await lock(lockPath(plan, 'evaluate', root));
  try {
    const ev = evaluatePlan(plan, root, bootstrapSettings(plan, bootstrap));
    openExperimentRun(plan, root).finish({ cells: ev.cells, curves: ev.curves, missing_methods: ev.missing, incomplete_cells: ev.incomplete, merged_shards: shards, evaluation_seconds: ev.seconds, bootstrap: ev.bootstrap });
  } finally {
    held.release();
  }
  return { evaluated: true, pending, shards };
}
