/**
 * `aikd run`: execute a plan — this shard's work units (skipping those already completed), then, once every unit
 * of the plan is done (by this process or by other shards), the evaluation phase.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { errorLine, log, progress, writeJsonAtomic } from '@aikd/core';
import { Run, runsDir } from '@aikd/results';
import { assignShards, type Plan, type Unit } from './plan.ts';
import { Resources } from './resources.ts';
import { checkAvailability, blockedBy, type MissingItem } from './availability.ts';
import { doneRun, runUnit, unitHash } from './units.ts';
import { evaluatePlan } from './evaluate.ts';

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

export interface RunExperimentResult {
  experiment: string;
  shard: { index: number; count: number };
  computed: string[];
  reused: string[];
  skipped: { unit: string; why: string }[];
  failed: { unit: string; error: string }[];
  missing: MissingItem[];
  evaluated: boolean;
  /** Wall time of the evaluation phase (EDCs, intervals, sensitivity). */
  evaluationSeconds?: number;
  pending: string[];
  seconds: number;
}

const bootstrapSettings = (plan: Plan, replicates?: number) => (replicates === undefined ? plan.experiment.edc.bootstrap : { ...plan.experiment.edc.bootstrap, replicates });

function openExperimentRun(plan: Plan, root?: string): Run {
  const dir = join(runsDir(root), plan.id);
  if (existsSync(join(dir, 'run.json'))) return Run.open(plan.id, root);
  return Run.create({ kind: 'experiment', id: plan.id, name: plan.experiment.name, root, params: { ...plan.experiment, plan: { work_units: plan.workUnits.length, cells: plan.cells.length } } });
}

/** Keys of all units of the plan that are not completed yet (any shard). */
export function pendingUnits(plan: Plan, root?: string): string[] {
  return plan.workUnits.flatMap((w) => w.units).filter((u) => !doneRun(plan, u, unitHash(u), root)).map((u) => u.key);
}

export async function runExperiment(plan: Plan, opts: RunExperimentOptions = {}): Promise<RunExperimentResult> {
  const t0 = performance.now();
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
  const trained = new Map<string, string>();
  const out: RunExperimentResult = { experiment: plan.id, shard, computed: [], reused: [], skipped: [], failed: [], missing, evaluated: false, pending: [], seconds: 0 };
  const total = mine.reduce((a, w) => a + w.units.length, 0);
  const bar = progress(`experiment ${plan.experiment.name}${shard.count > 1 ? ` shard ${shard.index}/${shard.count}` : ''}`, total);
  let computedCount = 0;
  try {
    for (const w of mine) {
      let broken: string | undefined; // a failed training blocks the scoring that needs it
      for (const u of w.units) {
        const why = blocked(unitNeeds(u)) ?? broken;
        if (why) {
          out.skipped.push({ unit: u.key, why });
          bar.tick();
          continue;
        }
        const done = doneRun(plan, u, unitHash(u), root);
        if (done) {
          if (u.kind === 'train') trained.set(u.method.label, String(done.summary?.method_id));
          out.reused.push(u.key);
          bar.tick();
          continue;
        }
        try {
          await runUnit(u, { plan, res, root, trained });
          out.computed.push(u.key);
          computedCount++;
          if (opts.killAfterUnits !== undefined && computedCount >= opts.killAfterUnits) process.kill(process.pid, 'SIGKILL');
        } catch (e) {
          out.failed.push({ unit: u.key, error: errorLine(e) });
          log.warn(`unit ${u.key} failed: ${errorLine(e)}`);
          if (u.kind === 'train') broken = `training ${u.key} failed`;
        }
        bar.tick();
      }
    }
  } finally {
    bar.done();
    await res.close();
  }
  const shardFile = join(runsDir(root), plan.id, `shard-${shard.index}-of-${shard.count}.json`);
  writeJsonAtomic(shardFile, { ...out, finished_at: new Date().toISOString() });

  // evaluate once nothing runnable is pending (skipped and failed units are reported as missing methods)
  const skippedKeys = new Set([...out.skipped.map((s) => s.unit), ...out.failed.map((f) => f.unit)]);
  out.pending = pendingUnits(plan, root).filter((k) => !skippedKeys.has(k) && !blockedKey(plan, k, blocked));
  if (opts.evaluate !== false && out.pending.length === 0) {
    const ev = evaluatePlan(plan, root, bootstrapSettings(plan, opts.bootstrap));
    out.evaluated = true;
    out.evaluationSeconds = ev.seconds;
    exp.finish({ cells: ev.cells, curves: ev.curves, missing_methods: ev.missing, incomplete_cells: ev.incomplete, skipped: missing.map((m) => `${m.kind} ${m.name}`), failed_units: out.failed.length, shards: shard.count, evaluation_seconds: ev.seconds, bootstrap: ev.bootstrap });
  }
  out.seconds = Math.round((performance.now() - t0) / 100) / 10;
  return out;
}

/** Built-in datasets (the demo set) are built on first use, so the quickstart works on a fresh clone. */
async function buildMissingBuiltins(plan: Plan): Promise<void> {
  const { loadDatasetsConfig, findEntry, datasetStatus } = await import('@aikd/datasets');
  const config = loadDatasetsConfig();
  for (const name of new Set(plan.datasets.map((d) => d.name))) {
    let entry;
    try {
      entry = findEntry(config, name);
    } catch {
      continue; // reported by the availability check
    }
    if (!entry.builtin || datasetStatus(entry).present) continue;
    if (name !== 'demo') continue;
    log.info(`building the built-in ${name} dataset (first use) …`);
    const { buildDemoDataset } = await import('@aikd/alignment');
    await buildDemoDataset({});
  }
}

function unitNeeds(u: Unit): { dataset: { name: string }; frModel?: string; method?: import('./plan.ts').MethodSpec } {
  if (u.kind === 'embed') return { dataset: u.dataset, frModel: u.frModel };
  return { dataset: u.dataset, method: u.method };
}

function blockedKey(plan: Plan, key: string, blocked: ReturnType<typeof blockedBy>): boolean {
  const u = plan.workUnits.flatMap((w) => w.units).find((x) => x.key === key);
  return !!u && !!blocked(unitNeeds(u));
}

/** `aikd merge`: evaluate a plan whose units were computed by several shards (errors if some are still pending). */
export async function mergeExperiment(plan: Plan, root?: string, bootstrap?: number): Promise<{ evaluated: boolean; pending: string[]; shards: string[] }> {
  const missing = await checkAvailability(plan);
  const blocked = blockedBy(missing);
  const pending = pendingUnits(plan, root).filter((k) => !blockedKey(plan, k, blocked));
  const dir = join(runsDir(root), plan.id);
  const shards = existsSync(dir) ? readdirSync(dir).filter((f) => /^shard-\d+-of-\d+\.json$/.test(f)) : [];
  if (pending.length) return { evaluated: false, pending, shards };
  const ev = evaluatePlan(plan, root, bootstrapSettings(plan, bootstrap));
  openExperimentRun(plan, root).finish({ cells: ev.cells, curves: ev.curves, missing_methods: ev.missing, incomplete_cells: ev.incomplete, merged_shards: shards, evaluation_seconds: ev.seconds, bootstrap: ev.bootstrap });
  return { evaluated: true, pending, shards };
}
