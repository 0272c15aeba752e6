/**
 * What `aikd edc` does, as a function: read a file, compute one EDC per method and operating point, and optionally
 * write the results store tables (`edc_points`, `edc_summary`), copies of them, and a chart.
 */
import { copyFileSync, renameSync, rmSync } from 'node:fs';
import { resolve, extname, join } from 'node:path';
import { AikdError, InputError, fileSha256, log, progress, tempPathFor } from '@aikd/core';
import { prepareEdc, validateEdcOptions, limitKey, type PreparedEdc } from './compute.ts';
import { bootstrapEdc, sameComparisons, withIntervals, bootstrapNote } from './bootstrap.ts';
import { readComparisons } from './readers/index.ts';
import { edcTables, type EdcTableMeta } from './tables.ts';
import { edcResultsChartSpec, thinPoints } from './chart.ts';
import { EDC_POINTS_KIND, EDC_RUN_KIND, EDC_SUMMARY_KIND, EDC_BOOTSTRAP_KIND, EDC_BAND_KIND, DEFAULT_DISCARD_LIMITS, DEFAULT_BOOTSTRAP_REPLICATES, DEFAULT_BOOTSTRAP_SEED, DEFAULT_BOOTSTRAP_LEVEL, EDC_MODE_DEFINITIONS } from './constants.ts';
import type { EdcOptions, EdcResult, InputFormat, OperatingPoint } from './types.ts';

/** Comparison count from which `aikd edc` shows progress. */
const LARGE_INPUT = 2_000_000;

export interface EvaluateFileOptions extends Omit<EdcOptions, 'operatingPoint'>, EdcTableMeta {
  input: string;
  format?: InputFormat;
  /** One curve per operating point and method (default: FMR 1e-3). */
  operatingPoints?: OperatingPoint[];
  /** Write the results store run (and copies `<out>.edc_points.arrow`, `<out>.edc_summary.arrow`). */
  out?: string;
  /** Write the chart (.svg or .png). */
  plot?: string;
  /** Results root (default AIKD_RESULTS or <workspace>/results). */
  resultsRoot?: string;
  /**
   * Keep at most about this many points per curve in the returned results and the stored `edc_points` (thinned
   * along the discard axis as in the chart). The areas are always computed on every point first.
   */
  maxPoints?: number;
  /** Bootstrap replicates for intervals (default 1000; 0 = none). Identity-cluster with identity columns, else pair-level. */
  bootstrap?: number;
  bootstrapSeed?: number | string;
}

export interface EvaluateFileOutput {
  results: EdcResult[];
  written: { run_id?: string; run_dir?: string; files: string[] };
  seconds: { read: number; compute: number; bootstrap: number };
}

/** `<out>.edc_points.arrow`, `<out>.edc_summary.arrow` and `<out>.edc_bootstrap.arrow` for `--out <out>.arrow`. */
export function outPaths(out: string): { points: string; summary: string; bootstrap: string; band: string } {
  if (extname(out).toLowerCase() !== '.arrow') throw new AikdError(`--out ${out}: expected a file name ending in .arrow`);
  const base = resolve(out).slice(0, -'.arrow'.length);
  return { points: `${base}.${EDC_POINTS_KIND}.arrow`, summary: `${base}.${EDC_SUMMARY_KIND}.arrow`, bootstrap: `${base}.${EDC_BOOTSTRAP_KIND}.arrow`, band: `${base}.${EDC_BAND_KIND}.arrow` };
}

/** The same curve with only the points `thinPoints` keeps (display / storage; areas are unchanged). */
export function thinResult(r: EdcResult, maxPoints: number): EdcResult {
  const p = r.points;
  if (!(maxPoints < p.discardFraction.length)) return r;
  const keep = thinPoints(p.discardFraction, maxPoints);
  const pick = <T extends Float64Array | Int32Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(keep.length);
    keep.forEach((i, k) => (out[k] = a[i]!));
    return out;
  };
  return {
    ...r,
    points: { discardFraction: pick(p.discardFraction), error: pick(p.error), remaining: pick(p.remaining), threshold: pick(p.threshold), ...(p.fmr ? { fmr: pick(p.fmr) } : {}) },
    notes: [...r.notes, `points thinned to ${keep.length} of ${p.discardFraction.length} for output; areas use all points`],
  };
}

function edcOptions(o: EvaluateFileOptions, op: OperatingPoint | undefined): EdcOptions {
  return { mode: o.mode, error: o.error, operatingPoint: op, discardLimits: o.discardLimits, pairQuality: o.pairQuality, lowerIsBetter: o.lowerIsBetter, gridStep: o.gridStep, gridMax: o.gridMax };
}

/** Read and compute; the comparisons are dropped on return, so writing the outputs does not hold them too. */
async function readAndCompute(o: EvaluateFileOptions, ops: (OperatingPoint | undefined)[]) {
  let t = performance.now();
  const loaded = await readComparisons(o.input, o.format);
  const read = (performance.now() - t) / 1000;
  for (const note of loaded.notes) log.info(note);

  t = performance.now();
  const comparisons = loaded.methods.reduce((s, m) => s + m.similarity.length, 0);
  const replicates = o.bootstrap ?? DEFAULT_BOOTSTRAP_REPLICATES;
  // the library does not know the file; the user needs it
  const inFile = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof AikdError && !(e instanceof InputError)) throw new AikdError(`${o.input}: ${e.message}`, 'INPUT_ERROR', { cause: e });
      throw e;
    }
  };
  // a bar only for big inputs: small ones finish before it could say anything useful
  const bar = comparisons * ops.length >= LARGE_INPUT ? progress('edc curves', loaded.methods.length * ops.length) : undefined;
  const prepared: PreparedEdc[][] = ops.map(() => []);
  const results: EdcResult[][] = ops.map(() => []);
  for (const m of loaded.methods)
    ops.forEach((op, k) => {
      bar?.tick();
      const p = inFile(() => prepareEdc(m, edcOptions(o, op), m.method));
      results[k]!.push(p.result());
      if (replicates > 0) prepared[k]!.push(p);
    });
  bar?.done();
  const compute = (performance.now() - t) / 1000;

  t = performance.now();
  if (replicates > 0) {
    const seed = o.bootstrapSeed ?? DEFAULT_BOOTSTRAP_SEED;
    if (comparisons * replicates >= 1e9) log.warn(`bootstrap: ${replicates} replicates of ${comparisons.toLocaleString('en')} comparisons will take a while (--bootstrap 0 turns intervals off)`);
    const bbar = comparisons * replicates >= 2e8 ? progress('bootstrap', ops.length * loaded.methods.length) : undefined;
    ops.forEach((_, k) => {
      // methods on the same comparisons share their resamples (paired); others are bootstrapped on their own
      const groups: number[][] = [];
      prepared[k]!.forEach((p, i) => {
        const g = groups.find((x) => sameComparisons(prepared[k]![x[0]!]!.set, p.set));
        if (g) g.push(i);
        else groups.push([i]);
      });
      for (const g of groups) {
        const run = inFile(() => bootstrapEdc(g.map((i) => prepared[k]![i]!), { replicates, seed, level: DEFAULT_BOOTSTRAP_LEVEL }));
        withIntervals(g.map((i) => results[k]![i]!), run).forEach((r, j) => (results[k]![g[j]!] = r));
        bbar?.tick(g.length);
      }
    });
    bbar?.done();
    if (results[0]?.[0]?.intervals?.unit === 'pair') log.info(`${o.input}: no identity_a/identity_b columns: intervals from a pair-level bootstrap (too narrow where identities have several comparisons)`);
  }
  const bootstrap = (performance.now() - t) / 1000;
  // method-major, as the file lists them
  const ordered = loaded.methods.flatMap((_, i) => ops.map((__, k) => results[k]![i]!));
  return { results: ordered, format: loaded.format, methods: loaded.methods.map((m) => m.method), read, compute, bootstrap };
}

/** Copy a written file atomically (temp name beside the target, then rename). */
function copyAtomic(from: string, to: string): void {
  const tmp = tempPathFor(to);
  try {
    copyFileSync(from, tmp);
    renameSync(tmp, to);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export async function evaluateFile(o: EvaluateFileOptions): Promise<EvaluateFileOutput> {
  const ops = o.operatingPoints?.length ? o.operatingPoints : [undefined];
  // check everything the user typed before reading a possibly large file
  for (const op of ops) validateEdcOptions(edcOptions(o, op));
  const paths = o.out ? outPaths(o.out) : undefined;
  if (o.plot && !/\.(svg|png)$/i.test(o.plot)) throw new AikdError(`--plot ${o.plot}: expected a file name ending in .svg or .png`);

  const computed = await readAndCompute(o, ops);
  const { read, compute, bootstrap } = computed;
  let results = computed.results;
  for (const r of results) for (const w of r.warnings) log.warn(w);
  if (o.maxPoints !== undefined) results = results.map((r) => thinResult(r, o.maxPoints!));

  const written: EvaluateFileOutput['written'] = { files: [] };
  const meta: EdcTableMeta = { dataset: o.dataset, fr_model: o.fr_model, condition: o.condition };
  const spec = o.plot || paths ? edcResultsChartSpec(results) : undefined;
  const { writeChart } = o.plot || paths ? await import('./render.ts') : { writeChart: undefined };
  if (o.plot) {
    await writeChart!(spec!, o.plot);
    written.files.push(resolve(o.plot));
  }
  if (paths) {
    const { withRun } = await import('@aikd/results');
    const first = results[0]!;
    const params = {
      input: resolve(o.input),
      input_sha256: await fileSha256(o.input),
      format: computed.format,
      methods: computed.methods,
      mode: first.mode,
      error: first.error,
      operating_points: [...new Set(results.map((r) => JSON.stringify(r.operatingPoint)))].map((s) => JSON.parse(s) as OperatingPoint),
      discard_limits: o.discardLimits ?? DEFAULT_DISCARD_LIMITS,
      pair_quality: first.pairQuality,
      lower_is_better: first.lowerIsBetter,
      grid_step: first.gridStep,
      bootstrap: first.intervals
        ? { unit: first.intervals.unit, replicates: first.intervals.replicates, seed: first.intervals.seed, level: first.intervals.level, units: first.intervals.units, how: bootstrapNote(first.intervals) }
        : { replicates: 0 },
      ...(o.maxPoints !== undefined ? { max_points: o.maxPoints } : {}),
      ...meta,
      definition: EDC_MODE_DEFINITIONS[first.mode],
    };
    await withRun({ kind: EDC_RUN_KIND, params, root: o.resultsRoot }, async (run) => {
      const { points, summary, bootstrap: replicates, band } = edcTables(results, meta);
      const methods = [...new Set(results.map((r) => r.method))];
      const prov = { method: methods.length === 1 ? methods[0] : undefined, dataset: o.dataset, fr_model: o.fr_model, params };
      // write once into the run; the --out files are byte copies (same rows, same provenance)
      for (const [kind, table, target] of [
        [EDC_POINTS_KIND, points, paths.points],
        [EDC_SUMMARY_KIND, summary, paths.summary],
        ...(replicates ? ([[EDC_BOOTSTRAP_KIND, replicates, paths.bootstrap]] as const) : []),
        ...(band ? ([[EDC_BAND_KIND, band, paths.band]] as const) : []),
      ] as const) {
        const w = run.writeTable(kind, table, prov);
        copyAtomic(w.parquet, target.replace(/\.arrow$/, '.parquet'));
        copyAtomic(w.arrow, target);
        written.files.push(target);
      }
      await writeChart!(spec!, join(run.dir, 'edc.svg'));
      run.addArtifact({ name: 'edc.svg', kind: 'plot', path: 'edc.svg' });
      const primary = first.discardLimits[first.discardLimits.length - 1];
      run.finish({
        curves: results.length,
        seconds_read: read,
        seconds_compute: compute,
        seconds_bootstrap: bootstrap,
        ...(primary !== undefined
          ? { [`pauc_norm@${primary}`]: Object.fromEntries(results.map((r) => [`${r.method} ${r.operatingPoint.kind}=${r.operatingPoint.value}`, r.paucNorm[limitKey(primary)] ?? null])) }
          : {}),
      });
      written.run_id = run.id;
      written.run_dir = run.dir;
    });
  }
  return { results, written, seconds: { read, compute, bootstrap } };
}
