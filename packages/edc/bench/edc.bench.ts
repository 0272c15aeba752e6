/**
 * EDC over 10⁷ comparisons from an Arrow file, end to end (read + compute), with peak memory; and the bootstrap's
 * cost: 10⁴ comparisons (1,000 identities) × 1,000 replicates, target ≤ 2 s, beside an anchor measured in the same
 * run (1,000 plain `computeEdc` calls on the same comparisons, i.e. re-sorting every time).
 *
 * Generates one Arrow IPC file in a temp folder (similarity Float64, mated Bool, quality_a/quality_b Float64 with
 * continuous values, so nearly every mated comparison is its own tie group, i.e. ~5·10⁶ curve points), then runs
 * each scenario in a fresh child process (`--measure`) so its peak RSS is its own. Then the real CLI, built
 * (`apps/cli/bin/aikd.mjs edc --input big.arrow --bootstrap 0 --json`: Arrow in, JSON out), timed from outside,
 * against its anchor measured in the same run: the same iso curve in plain numpy (`edc_numpy.py`, one sort for the
 * threshold, a stable argsort for the curve, reading raw columns), also a whole process timed from outside; skipped
 * with a note when python3 + numpy are missing; both modes (the recomputed one against `edc_numpy.py … recomputed`).
 * Wall clock and CPU time (GNU time) of both. Target (issue 21): ≤ 0.5× numpy.
 *
 *   pnpm bench edc                    (BENCH_EDC_N=1000000 for a quick run)
 *   node --import tsx packages/edc/bench/edc.bench.ts --bootstrap      (the bootstrap part only)
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as arrow from 'apache-arrow';
import { Rng, textTable, workspaceRoot, setOutputMode } from '@aikd/core';
import { evaluateFile, computeEdc, prepareEdc, bootstrapEdc, type EvaluateFileOptions, type EdcMode } from '../src/index.ts';

const SELF = fileURLToPath(import.meta.url);

interface Scenario {
  name: string;
  options: Omit<EvaluateFileOptions, 'input'>;
}

const SCENARIOS: Scenario[] = [
  { name: 'iso FNM-EDC, --fmr 1e-3', options: {} },
  { name: 'iso FM-EDC, --error fmr', options: { error: 'fmr' } },
  { name: 'recomputed, --fmr 1e-3 (20 grid points)', options: { mode: 'recomputed' } },
];

async function measure(file: string, scenario: number): Promise<void> {
  const s = SCENARIOS[scenario]!;
  const t = performance.now();
  const out = await evaluateFile({ input: file, bootstrap: 0, ...s.options });
  const total = (performance.now() - t) / 1000;
  const r = out.results[0]!;
  process.stdout.write(
    JSON.stringify({
      scenario: s.name,
      read_s: +out.seconds.read.toFixed(2),
      compute_s: +out.seconds.compute.toFixed(2),
      total_s: +total.toFixed(2),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      points: r.points.discardFraction.length,
      'pauc_norm@0.3': r.paucNorm['0.3'] === null ? null : +r.paucNorm['0.3']!.toFixed(4),
    }) + '\n',
  );
}

function generate(file: string, n: number): void {
  const dir = dirname(file);
  const r = new Rng([2024, 4, 9, 555]);
  const similarity = new Float64Array(n);
  const mated = new Array<boolean>(n);
  const qa = new Float64Array(n);
  const qb = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = r.next() < 0.5;
    const a = r.next();
    const b = r.next();
    mated[i] = m;
    qa[i] = a;
    qb[i] = b;
    // better pairs match better: mated similarity rises with the worse sample's quality
    similarity[i] = m ? 0.35 + 0.3 * Math.min(a, b) + 0.12 * r.normal() : 0.02 + 0.08 * r.normal();
  }
  const table = arrow.tableFromArrays({ similarity, mated, quality_a: qa, quality_b: qb });
  writeFileSync(file, arrow.tableToIPC(table, 'file'));
  // the same columns raw, for the numpy anchor
  writeFileSync(join(dir, 'similarity.f64'), similarity);
  writeFileSync(join(dir, 'mated.u8'), Uint8Array.from(mated, (m) => (m ? 1 : 0)));
  writeFileSync(join(dir, 'quality_a.f64'), qa);
  writeFileSync(join(dir, 'quality_b.f64'), qb);
}

/** Bootstrap cost: 10⁴ comparisons over 1,000 identities (half mated), 1,000 replicates, each mode. */
function bootstrapCost(): Record<string, unknown>[] {
  const n = 10_000;
  const r = new Rng([2024, 4, 9, 556]);
  const similarity = new Float64Array(n);
  const mated = new Uint8Array(n);
  const qualityA = new Float64Array(n);
  const qualityB = new Float64Array(n);
  const identityA = new Int32Array(n);
  const identityB = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const m = r.next() < 0.5;
    mated[i] = m ? 1 : 0;
    qualityA[i] = r.next();
    qualityB[i] = r.next();
    identityA[i] = r.int(1000);
    identityB[i] = m ? identityA[i]! : (identityA[i]! + 1 + r.int(999)) % 1000;
    similarity[i] = m ? 0.35 + 0.3 * Math.min(qualityA[i]!, qualityB[i]!) + 0.12 * r.normal() : 0.02 + 0.08 * r.normal();
  }
  const set = { similarity, mated, qualityA, qualityB, identityA, identityB };
  const rows: Record<string, unknown>[] = [];
  for (const mode of ['iso', 'recomputed'] as EdcMode[]) {
    const options = { mode, operatingPoint: { kind: 'fmr' as const, value: 1e-3 } };
    let t = performance.now();
    for (let b = 0; b < 1000; b++) computeEdc(set, options);
    const anchor = (performance.now() - t) / 1000;
    t = performance.now();
    const cpu = process.cpuUsage();
    const run = bootstrapEdc([prepareEdc(set, options)], { replicates: 1000, seed: 0 });
    const seconds = (performance.now() - t) / 1000;
    const cpuSeconds = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e6;
    rows.push({
      scenario: `bootstrap ${mode}: 10⁴ comparisons × 1,000 replicates (identity-cluster, ${run.units} identities)`,
      seconds: +seconds.toFixed(2),
      cpu_seconds: +cpuSeconds.toFixed(2),
      'target ≤ 2 s': seconds <= 2 ? 'met' : 'MISSED',
      'anchor: 1,000 × computeEdc (s)': +anchor.toFixed(2),
      'ratio to anchor': +(seconds / anchor).toFixed(2),
    });
  }
  return rows;
}

/** Wall clock of a whole process (median of 3), its stdout, and its CPU time and peak RSS when GNU time is there. */
function timed(cmd: string[]): { seconds: number; stdout: string; cpu: number | null; rssMb: number | null } {
  const gnuTime = existsSync('/usr/bin/time');
  const runs: { seconds: number; stdout: string; cpu: number | null; rssMb: number | null }[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const c = gnuTime ? spawnSync('/usr/bin/time', ['-f', 'AIKD_TIME %M %U %S', ...cmd], { cwd: workspaceRoot, encoding: 'utf8', maxBuffer: 1 << 28 }) : spawnSync(cmd[0]!, cmd.slice(1), { cwd: workspaceRoot, encoding: 'utf8', maxBuffer: 1 << 28 });
    const seconds = (performance.now() - t) / 1000;
    if (c.status !== 0) throw new Error(`${cmd.join(' ')} failed (exit ${c.status}): ${c.stderr}`);
    const m = /AIKD_TIME (\d+) ([\d.]+) ([\d.]+)/.exec(c.stderr ?? '');
    runs.push({ seconds, stdout: c.stdout, cpu: m ? Number(m[2]) + Number(m[3]) : null, rssMb: m ? Math.round(Number(m[1]) / 1024) : null });
  }
  return runs.sort((a, b) => a.seconds - b.seconds)[1]!;
}

/**
 * `aikd edc` (built CLI, Arrow in → JSON out) against the numpy implementation of the same curve, both timed from
 * outside, in each mode. The CLI is started as its `#!` line starts it (node --conditions=aikd-dist), as `aikd` runs.
 */
function cliAgainstNumpy(file: string, n: number): Record<string, unknown>[] {
  const bin = join(workspaceRoot, 'apps/cli/bin/aikd.mjs');
  spawnSync(process.execPath, [bin, '--help'], { stdio: 'ignore' }); // builds stale packages first, untimed
  const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
  if (!hasNumpy) console.log('(python3 + numpy not found: no numpy anchor, so no ratio)');
  const rows: Record<string, unknown>[] = [];
  for (const mode of ['iso', 'recomputed'] as const) {
    // points thinned for printing (the areas use all of them): the JSON is the result, not a dump of the curve
    const cli = timed([process.execPath, '--conditions=aikd-dist', bin, 'edc', '--mode', mode, '--input', file, '--bootstrap', '0', '--json', '--max-points', '1000']);
    const ours = (JSON.parse(cli.stdout) as { results: { pauc: Record<string, number> }[] }).results[0]!.pauc['0.3']!;
    const row = (what: string, r: { seconds: number; cpu: number | null; rssMb: number | null }, pauc: number, anchor?: { seconds: number; cpu: number | null }) => {
      const ratio = anchor ? r.seconds / anchor.seconds : null;
      return {
        what,
        wall_s: +r.seconds.toFixed(2),
        cpu_s: r.cpu === null ? 'n/a' : +r.cpu.toFixed(2),
        peak_rss_mb: r.rssMb,
        'pauc@0.3': +pauc.toFixed(6),
        'ratio to numpy (wall)': ratio === null ? '' : +ratio.toFixed(2),
        'ratio (CPU)': anchor && r.cpu !== null && anchor.cpu ? +(r.cpu / anchor.cpu).toFixed(2) : '',
        'target ≤ 0.5×': ratio === null ? '' : ratio <= 0.5 ? 'met' : 'MISSED',
      };
    };
    if (!hasNumpy) {
      rows.push(row(`${mode}: aikd edc --json --max-points 1000 (built CLI)`, cli, ours));
      continue;
    }
    const py = timed(['python3', join(dirname(SELF), 'edc_numpy.py'), dirname(file), String(n), ...(mode === 'recomputed' ? ['recomputed'] : [])]);
    const theirs = (JSON.parse(py.stdout) as { 'pauc@0.3': number })['pauc@0.3'];
    rows.push(row(`${mode}: numpy, same curve (anchor)`, py, theirs), row(`${mode}: aikd edc --json --max-points 1000 (built CLI)`, cli, ours, py));
  }
  return rows;
}

if (process.argv[2] === '--bootstrap') {
  console.log(textTable(bootstrapCost()));
} else if (process.argv[2] === '--measure') {
  setOutputMode({ quiet: true });
  await measure(process.argv[3]!, Number(process.argv[4]));
} else {
  const n = Number(process.env.BENCH_EDC_N ?? 1e7);
  const dir = mkdtempSync(join(tmpdir(), 'aikd-edc-bench-'));
  try {
    const file = join(dir, 'comparisons.arrow');
    let t = performance.now();
    generate(file, n);
    console.log(`generated ${n.toLocaleString('en')} comparisons (50% mated) → ${(statSync(file).size / 2 ** 20).toFixed(0)} MB Arrow file in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < SCENARIOS.length; i++) {
      const c = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--measure', file, String(i)], { cwd: workspaceRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (c.status !== 0) throw new Error(`scenario ${SCENARIOS[i]!.name} failed (exit ${c.status})`);
      rows.push(JSON.parse(c.stdout.trim().split('\n').pop()!) as Record<string, unknown>);
    }
    console.log(textTable(rows));
    console.log(textTable(cliAgainstNumpy(file, n)));
    console.log(textTable(bootstrapCost()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
