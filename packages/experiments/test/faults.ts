/**
 * Fault injection for experiment runs, shared by the CI suite (test/faults.test.ts) and its long variant
 * (bench/faults.bench.ts): the real `aikd` command in child processes, killed at random moments, run twice at
 * once, given a full disk; and checks that what is left behind is either complete and verified or redone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from '@aikd/core';
import { Catalogue, readRunRecord, runFileProblems } from '@aikd/results';
import { aikdArgv } from '../../../scripts/test/aikd-command.ts';

/** Two identity-disjoint halves of the synthetic dataset, each its own dataset entry of the grid: 6 units, 2 cells. */
export const FAULT_EXPERIMENT = `name: faults
seed: 3
datasets:
  - { name: synth, filter: ["identity=p0,p1,p2,p3"] }
  - { name: synth, filter: ["identity=p4,p5,p6,p7"] }
fr_models: [mobileface]
methods:
  - embedding-norm
  - { id: serfiq, params: { T: 4 } }
conditions: [proper]
edc:
  modes: [iso, recomputed]
  fmr: [0.05]
  # the intervals are compared like every other number; 100 replicates instead of the default 1000 keep each of the
  # many runs quick (the default itself is run in run.test.ts)
  bootstrap: { replicates: 100, seed: 0 }
`;
export const FAULT_UNITS = 6;

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function aikdSync(args: string[], env: Record<string, string>): Outcome & { json: () => any } {
  const r = spawnSync(process.execPath, aikdArgv(args), { encoding: 'utf8', env: { ...process.env, AIKD_BACKEND: 'wasm', ...env }, maxBuffer: 64 << 20 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

/** Start `aikd` without waiting; `done` resolves when it exits; `kill()` sends SIGKILL. */
export function aikdAsync(args: string[], env: Record<string, string>): { done: Promise<Outcome>; kill: () => void } {
  const child = spawn(process.execPath, aikdArgv(args), { env: { ...process.env, AIKD_BACKEND: 'wasm', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<Outcome>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { done, kill: () => child.kill('SIGKILL') };
}

/** Unit runs (children of the experiment) that are recorded as completed. */
export function completedUnits(results: string): number {
  const dir = join(results, 'runs');
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const id of readdirSync(dir)) {
    if (!/^exp-faults-[0-9a-f]+\.(embed|score)\./.test(id)) continue;
    try {
      if (readRunRecord(join(dir, id, 'run.json')).status === 'completed') n++;
    } catch {
      /* being written */
    }
  }
  return n;
}

/**
 * Run the grid, killing it with SIGKILL at random moments: after a random number of completed units (0…units−1)
 * plus a random 0–`jitterMs` ms, `kills` times, then to the end. Returns the finished run's JSON output and how
 * many units had completed at each kill.
 */
export async function runWithRandomKills(file: string, env: Record<string, string>, rng: Rng, kills: number, jitterMs = 400): Promise<{ final: any; killedAt: number[] }> {
  const killedAt: number[] = [];
  for (let k = 0; k < kills; k++) {
    const before = completedUnits(env.AIKD_RESULTS!);
    if (before >= FAULT_UNITS) break;
    const target = before + rng.int(Math.max(1, FAULT_UNITS - before));
    const p = aikdAsync(['run', file, '--json', '--no-report'], env);
    let exited = false;
    void p.done.then(() => (exited = true));
    while (!exited && completedUnits(env.AIKD_RESULTS!) < target) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, rng.int(jitterMs)));
    p.kill();
    const o = await p.done;
    if (o.signal === 'SIGKILL') killedAt.push(completedUnits(env.AIKD_RESULTS!));
  }
  const last = aikdSync(['run', file, '--json', '--no-report'], env);
  if (last.code !== 0) throw new Error(`the run after the kills failed: ${last.stderr}`);
  return { final: last.json(), killedAt };
}

/** The EDC summary rows of a results folder in a fixed order (run ids are deterministic: `<experiment>.edc.<cell>`). */
export async function edcSummary(results: string): Promise<Record<string, unknown>[]> {
  const cat = await Catalogue.open(results);
  try {
    return await cat.query(`select * from edc_summary order by run_id, fr_model, condition, method, mode, operating_value, discard_limit`);
  } finally {
    cat.close();
  }
}

/** Every completed run whose result files are not what it recorded (none, after any fault). */
export function untrustedRuns(results: string): string[] {
  const dir = join(results, 'runs');
  const out: string[] = [];
  for (const id of existsSync(dir) ? readdirSync(dir) : []) {
    const p = join(dir, id, 'run.json');
    if (!existsSync(p)) continue;
    const r = readRunRecord(p);
    if (r.status !== 'completed') continue;
    const problems = runFileProblems(r, join(dir, id));
    if (problems.length) out.push(`${id}: ${problems.join('; ')}`);
  }
  return out;
}
