/**
 * A results folder built the way the workbench builds one: an experiment run whose child runs hold real EDC results
 * (`computeEdc` on seeded synthetic comparisons → `edcTables` → `Run.writeTable`), an older experiment repeating one
 * of its curves, a stand-alone `aikd edc`-style run without dataset/model/condition, a training run logging metrics,
 * a learning-rate search of the same name, a sensitivity table (Spearman ρ and pAUC_norm computed here), an
 * alignment-stability table (a teacher, its student and another method; numbers computed here from the same
 * qualities and EDC results), and a few other runs (embed, score, a failed one).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rngFor } from '@aikd/core';
import { Catalogue, Run } from '@aikd/results';
import { bootstrapEdc, computeEdc, edcTables, pairedDifference, prepareEdc, withIntervals, type EdcResult } from '@aikd/edc';
import type { AlignmentStabilityRow } from '@aikd/results';

export const DATASETS = ['lfw', 'cplfw'];
export const FR_MODELS = ['adaface', 'cosface'];
export const CONDITIONS = ['proper', 'landmark-jitter'];
export const METHODS = ['serfiq', 'crfiqa', 'aikd(serfiq)'];
export const MODES = ['iso', 'recomputed'] as const;
export const DISCARD_LIMITS = [0.2, 0.3];
export const JITTER = [0, 1, 2, 3, 4, 6];

const N = 1500;
/** Bootstrap replicates per curve (the workbench default is 1000; fewer keep the fixture quick). */
export const REPLICATES = 200;
/** How noisy each method's quality is, and how much misalignment adds (the student is nearly alignment-invariant). */
const NOISE: Record<string, { base: number; misaligned: number }> = {
  serfiq: { base: 0.15, misaligned: 0.35 },
  crfiqa: { base: 0.25, misaligned: 0.3 },
  'aikd(serfiq)': { base: 0.12, misaligned: 0.04 },
};

export const curveKey = (dataset: string | null, frModel: string | null, condition: string | null, method: string, mode: string) =>
  [dataset ?? '', frModel ?? '', condition ?? '', method, mode].join('|');

interface Comparisons {
  similarity: Float64Array;
  mated: Uint8Array;
  /** 300 identities: mated pairs within one, non-mated pairs between two. */
  identityA: Int32Array;
  identityB: Int32Array;
  /** The "true" quality of each comparison; methods see it through noise. */
  latent: Float64Array;
}

function comparisons(seed: string, misaligned: boolean): Comparisons {
  const r = rngFor(seed, 'comparisons');
  const similarity = new Float64Array(N);
  const mated = new Uint8Array(N);
  const latent = new Float64Array(N);
  const identityA = Int32Array.from({ length: N }, (_, i) => i % 300);
  const identityB = Int32Array.from({ length: N }, (_, i) => (i % 5 < 2 ? i % 300 : (i % 300) + 1 + ((i * 7) % 298)) % 300);
  for (let i = 0; i < N; i++) {
    mated[i] = i % 5 < 2 ? 1 : 0;
    latent[i] = r.next();
    similarity[i] = mated[i] ? 0.2 + 0.55 * latent[i]! + 0.12 * r.normal() - (misaligned ? 0.05 : 0) : 0.05 + 0.1 * r.normal();
  }
  return { similarity, mated, latent, identityA, identityB };
}

function qualities(c: Comparisons, seed: string, method: string, misalignment: number): Float64Array {
  const r = rngFor(seed, 'quality', method);
  const noise = NOISE[method]!;
  return Float64Array.from(c.latent, (q) => q + (noise.base + noise.misaligned * misalignment) * r.normal());
}

/** Spearman's ρ with average ranks for ties. */
export function spearman(a: Float64Array, b: Float64Array): number {
  const ranks = (x: Float64Array) => {
    const idx = [...x.keys()].sort((i, j) => x[i]! - x[j]!);
    const out = new Float64Array(x.length);
    for (let i = 0; i < idx.length; ) {
      let j = i;
      while (j + 1 < idx.length && x[idx[j + 1]!] === x[idx[i]!]) j++;
      for (let k = i; k <= j; k++) out[idx[k]!] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return out;
  };
  const [ra, rb] = [ranks(a), ranks(b)];
  const mean = (x: Float64Array) => x.reduce((s, v) => s + v, 0) / x.length;
  const [ma, mb] = [mean(ra), mean(rb)];
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb);
    da += (ra[i]! - ma) ** 2;
    db += (rb[i]! - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

export interface Fixture {
  root: string;
  experiment: string;
  oldExperiment: string;
  /** edc runs of the main experiment, by `dataset|fr_model|condition`. */
  edcRuns: Map<string, string>;
  oldEdcRun: string;
  looseEdcRun: string;
  trainRun: string;
  /** The training's chosen checkpoint (its summary's best_step). */
  bestStep: number;
  lrFindRun: string;
  suggestedLr: number;
  sensitivityRun: string;
  stabilityRun: string;
  /** Alignment-stability rows written (lfw, both FR models, landmark-jitter; both discard limits, iso). */
  stabilityRows: AlignmentStabilityRow[];
  failedRun: string;
  /** Every curve written, by `curveKey` (the main experiment's, plus the loose run's under empty names). */
  results: Map<string, EdcResult>;
  /** The old experiment's curves, by `curveKey`. */
  oldResults: Map<string, EdcResult>;
  /** Logged metric values of the training run: name → [step, value][] (null = not finite). */
  metrics: Map<string, [number, number | null][]>;
  sensitivityRows: { method: string; procedure: string; strength: number | null; spearman_rho: number; pauc_norm: number | null }[];
  runCount: number;
}

const tick = () => new Promise((r) => setTimeout(r, 5));

function writeEdcRun(root: string, parent: string | undefined, params: Record<string, unknown>, results: EdcResult[], meta: { dataset?: string; fr_model?: string; condition?: string }): string {
  const run = Run.create({ kind: 'edc', parent, params, root, name: [meta.dataset, meta.fr_model, meta.condition].filter(Boolean).join(' ') || undefined });
  const { points, summary, bootstrap, band } = edcTables(results, meta);
  const prov = { dataset: meta.dataset, fr_model: meta.fr_model, alignment: meta.condition, params };
  run.writeTable('edc_points', points, prov);
  run.writeTable('edc_summary', summary, prov);
  if (bootstrap) run.writeTable('edc_bootstrap', bootstrap, prov);
  if (band) run.writeTable('edc_band', band, prov);
  run.finish({ curves: results.length });
  return run.id;
}

/** Every method's curves in both modes, with identity-cluster bootstrap intervals (methods paired, as the runner does). */
function edcFor(c: Comparisons, seed: string, misalignment: number, methods = METHODS): EdcResult[] {
  const byMode = MODES.map((mode) => {
    const prepared = methods.map((m) => prepareEdc({ similarity: c.similarity, mated: c.mated, pairQuality: qualities(c, seed, m, misalignment), identityA: c.identityA, identityB: c.identityB }, { mode, discardLimits: DISCARD_LIMITS }, m));
    return withIntervals(prepared.map((p) => p.result()), bootstrapEdc(prepared, { replicates: REPLICATES, seed: 0 }));
  });
  // method-major, as before: each method's iso curve, then its recomputed one
  return methods.flatMap((_, i) => byMode.map((rs) => rs[i]!));
}

export async function buildFixture(root = mkdtempSync(join(tmpdir(), 'aikd-dashboard-'))): Promise<Fixture> {
  let runCount = 0;
  // an older experiment with one curve the main one recomputes (other numbers: another seed)
  const old = Run.create({ kind: 'experiment', name: 'quickstart', params: { name: 'quickstart', seed: 1, datasets: ['lfw'], fr_models: ['adaface'] }, root });
  const oldResults = new Map<string, EdcResult>();
  const oldSeed = 'old|lfw|adaface|proper';
  const oldCurves = edcFor(comparisons(oldSeed, false), oldSeed, 0, ['serfiq', 'crfiqa']);
  for (const r of oldCurves) oldResults.set(curveKey('lfw', 'adaface', 'proper', r.method, r.mode), r);
  const oldEdcRun = writeEdcRun(root, old.id, { dataset: 'lfw', fr_model: 'adaface', condition: 'proper' }, oldCurves, { dataset: 'lfw', fr_model: 'adaface', condition: 'proper' });
  old.finish();
  runCount += 2;
  await tick();

  const grid = { name: 'paper-small', seed: 0, datasets: DATASETS, fr_models: FR_MODELS, methods: METHODS, conditions: CONDITIONS, edc: { modes: [...MODES], fmr: [1e-3], discard_limits: DISCARD_LIMITS } };
  const exp = Run.create({ kind: 'experiment', name: 'paper-small', params: grid, root });
  runCount++;
  const results = new Map<string, EdcResult>();
  const edcRuns = new Map<string, string>();
  for (const dataset of DATASETS)
    for (const fr of FR_MODELS) {
      const embed = Run.create({ kind: 'embed', parent: exp.id, params: { dataset, fr_model: fr }, root });
      embed.finish({ images: 500 });
      runCount++;
      for (const condition of CONDITIONS) {
        const seed = `${dataset}|${fr}|${condition}`;
        const c = comparisons(seed, condition !== 'proper');
        const curves = edcFor(c, seed, condition === 'proper' ? 0 : 1);
        for (const r of curves) results.set(curveKey(dataset, fr, condition, r.method, r.mode), r);
        edcRuns.set(`${dataset}|${fr}|${condition}`, writeEdcRun(root, exp.id, { dataset, fr_model: fr, condition, fmr: 1e-3 }, curves, { dataset, fr_model: fr, condition }));
        runCount++;
      }
    }
  const score = Run.create({ kind: 'score', parent: exp.id, params: { method: 'serfiq', dataset: 'lfw' }, root });
  score.finish();
  const failed = Run.create({ kind: 'score', parent: exp.id, params: { method: 'faceqan', dataset: 'lfw' }, root });
  failed.fail(new Error('onnx file missing: faceqan.onnx'));
  runCount += 2;

  // training: AI-KD losses per step, validation every 10 steps, warm-up then decaying learning rates
  const train = Run.create({ kind: 'train', parent: exp.id, name: 'aikd serfiq', params: { teacher: 'serfiq', epochs: 2, lr_head: 1e-3 }, root });
  runCount++;
  const metrics = new Map<string, [number, number | null][]>();
  const log = (values: Record<string, number>, step: number) => {
    train.logMetrics(values, step);
    for (const [k, v] of Object.entries(values)) metrics.set(k, [...(metrics.get(k) ?? []), [step, Number.isFinite(v) ? v : null]]);
  };
  const tr = rngFor(3, 'train-metrics');
  for (let step = 1; step <= 60; step++) {
    const lc = 0.3 / (1 + 0.05 * step) + 0.01 * tr.next();
    const lq = 0.7 / (1 + 0.08 * step) + 0.01 * tr.next();
    const lr = step <= 10 ? (1e-3 * step) / 10 : 1e-3 * Math.cos(((step - 10) / 50) * (Math.PI / 2));
    log({ loss: lc + lq, loss_consistency: lc, loss_quality: lq, lr_head: lr, lr_backbone: lr / 10, grad_norm: step === 7 ? NaN : 2 / Math.sqrt(step) }, step);
    // validation: falls until step 40, then over-fits
    const over = 0.01 * Math.max(0, step - 40);
    if (step % 10 === 0) log({ val_loss: 1 / (1 + 0.06 * step) + over, val_loss_quality: 0.6 / (1 + 0.06 * step) + over }, step);
  }
  const bestStep = 40;
  train.finish({ best_val_loss: 0.6 / (1 + 0.06 * bestStep), best_step: bestStep });

  // its learning-rate search (`aikd train --lr-find`: same name, no parent): loss falls, then diverges
  const lrFind = Run.create({ kind: 'lr-find', name: 'aikd serfiq', params: { ramp: { steps: 40, lr_min: 1e-6, lr_max: 1 } }, root });
  runCount++;
  for (let step = 1; step <= 40; step++) {
    const lr = 1e-6 * 1e6 ** ((step - 1) / 39);
    const loss = 1 - 0.6 / (1 + Math.exp(-2 * (Math.log10(lr) + 3.5))) + (lr > 0.05 ? 40 * (lr - 0.05) : 0);
    lrFind.logMetrics({ lr, loss, loss_smoothed: loss, grad_norm: 1 + lr }, step);
  }
  const suggestedLr = 3.2e-4;
  lrFind.setSummary({ suggested_lr: suggestedLr, min_loss_lr: 0.02, steps_run: 40, diverged_at_step: null });
  lrFind.finish();

  // sensitivity: landmark jitter p px (misalignment grows with p), and two procedures without a strength
  const sensitivityRows: Fixture['sensitivityRows'] = [];
  const sc = comparisons('sens|lfw|adaface', false);
  for (const method of METHODS) {
    const aligned = qualities(sc, 'sens-aligned', method, 0);
    const sweep: [string, number | null, number][] = [...JITTER.map((p) => ['landmark-jitter', p, p / 3] as [string, number, number]), ['detector-swap', null, 0.5], ['bbox', null, 1]];
    for (const [procedure, strength, misalignment] of sweep) {
      const q = misalignment === 0 ? aligned : qualities(sc, `sens|${procedure}|${strength}`, method, misalignment);
      const edc = computeEdc({ similarity: sc.similarity, mated: sc.mated, pairQuality: q }, { discardLimits: [0.3] }, method);
      sensitivityRows.push({ method, procedure, strength, spearman_rho: spearman(aligned, q), pauc_norm: edc.paucNorm['0.3'] ?? null });
    }
  }
  const sens = Run.create({ kind: 'sensitivity', parent: exp.id, params: { landmark_jitter: JITTER, procedures: ['detector-swap', 'bbox'] }, root });
  runCount++;
  await writeSensitivity(sens, sensitivityRows);
  sens.finish();

  // alignment stability: landmark jitter p = 3 against proper; the student aikd(serfiq) measured against serfiq
  const stabilityRows: AlignmentStabilityRow[] = [];
  const teacherAligned = qualities(sc, 'sens-aligned', 'serfiq', 0);
  const std = (x: Float64Array) => Math.sqrt(x.reduce((a, v) => a + (v - x.reduce((m, w) => m + w, 0) / x.length) ** 2, 0) / (x.length - 1));
  for (const method of METHODS) {
    const student = method === 'aikd(serfiq)';
    const q = qualities(sc, 'sens-aligned', method, 0);
    const qt = qualities(sc, 'sens|landmark-jitter|3', method, 1);
    const shift = qt.reduce((a, v, i) => a + Math.abs(v - q[i]!), 0) / q.length;
    for (const fr of FR_MODELS)
    for (const limit of DISCARD_LIMITS) {
      const k = String(limit);
      const [rp, rm] = CONDITIONS.map((c) => results.get(curveKey('lfw', fr, c, method, 'iso'))!);
      const d = pairedDifference(rm!.paucNorm[k]!, rp!.paucNorm[k]!, rm!.intervals!.samples.paucNorm[k]!, rp!.intervals!.samples.paucNorm[k]!);
      stabilityRows.push({
        dataset: 'lfw', fr_model: fr, method, role: student ? 'student' : method === 'serfiq' ? 'teacher' : 'method', teacher: student ? 'serfiq' : null,
        condition: 'landmark-jitter', procedure: 'landmark-jitter', strength: 3, images: q.length,
        spearman_teacher: spearman(qt, student ? teacherAligned : q), spearman_self: spearman(qt, q), mean_abs_shift: shift / std(student ? teacherAligned : q), shift_scale: student ? 'teacher σ' : 'own σ',
        pauc_norm_proper: rp!.paucNorm[k]!, pauc_norm_misaligned: rm!.paucNorm[k]!, delta_pauc_norm: d.estimate, delta_lo: d.interval?.[0] ?? null, delta_hi: d.interval?.[1] ?? null,
        mode: 'iso', fmr: 0.001, discard_limit: limit,
      });
    }
  }
  const stab = Run.create({ kind: 'alignment-stability', parent: exp.id, name: 'alignment-stability', params: { proper: 'proper', misaligned: ['landmark-jitter'] }, root });
  runCount++;
  await writeParquet(stab, 'alignment_stability', stabilityRows as unknown as Record<string, string | number | null>[], STABILITY_TYPES);
  stab.finish();
  exp.finish({ steps: runCount });
  await tick();

  // `aikd edc --input x.csv --out`: no dataset, FR model or condition
  const lc = comparisons('loose', false);
  const looseCurves = edcFor(lc, 'loose', 0, ['serfiq']).filter((r) => r.mode === 'iso');
  for (const r of looseCurves) results.set(curveKey(null, null, null, r.method, r.mode), r);
  const looseEdcRun = writeEdcRun(root, undefined, { input: 'comparisons.csv' }, looseCurves, {});
  runCount++;

  return { root, experiment: exp.id, oldExperiment: old.id, edcRuns, oldEdcRun, looseEdcRun, trainRun: train.id, bestStep, lrFindRun: lrFind.id, suggestedLr, sensitivityRun: sens.id, stabilityRun: stab.id, stabilityRows, failedRun: failed.id, results, oldResults, metrics, sensitivityRows, runCount };
}

/** SQL types of the `alignment_stability` columns, in the table's order. */
const STABILITY_TYPES: Record<keyof AlignmentStabilityRow, string> = {
  dataset: 'varchar', fr_model: 'varchar', method: 'varchar', role: 'varchar', teacher: 'varchar', condition: 'varchar', procedure: 'varchar', strength: 'double', images: 'integer',
  spearman_teacher: 'double', spearman_self: 'double', mean_abs_shift: 'double', shift_scale: 'varchar', pauc_norm_proper: 'double', pauc_norm_misaligned: 'double',
  delta_pauc_norm: 'double', delta_lo: 'double', delta_hi: 'double', mode: 'varchar', fmr: 'double', discard_limit: 'double',
};

/**
 * A result table written as the Parquet file the catalogue reads. apache-arrow is not a dependency of the dashboard,
 * so DuckDB writes it (COPY … TO); values are bound as parameters.
 */
async function writeParquet(run: Run, kind: string, rows: Record<string, string | number | null>[], types: Record<string, string>): Promise<void> {
  const cat = await Catalogue.open(join(run.dir, 'no-runs-here'), { allowWrite: true });
  const columns = Object.keys(types);
  try {
    const values: (string | number | null)[] = [];
    const tuples = rows.map((r) => `(${columns.map((c) => (values.push(r[c] ?? null), `$${values.length}::${types[c]}`)).join(', ')})`);
    const file = join(run.dir, `${kind}.parquet`);
    await cat.query(`copy (select * from (values ${tuples.join(', ')}) as t(${columns.join(', ')})) to '${file.replace(/'/g, "''")}' (format parquet)`, values);
  } finally {
    cat.close();
  }
  run.addArtifact({ name: kind, kind, path: `${kind}.parquet`, rows: rows.length });
}

/** The `sensitivity` result table (issue 10's schema). */
async function writeSensitivity(run: Run, rows: Fixture['sensitivityRows']): Promise<void> {
  const types = { dataset: 'varchar', fr_model: 'varchar', method: 'varchar', procedure: 'varchar', strength: 'double', spearman_rho: 'double', pauc_norm: 'double', mode: 'varchar', fmr: 'double', discard_limit: 'double' };
  await writeParquet(run, 'sensitivity', rows.map((r) => ({ dataset: 'lfw', fr_model: 'adaface', mode: 'iso', fmr: 0.001, discard_limit: 0.3, ...r })), types);
}
