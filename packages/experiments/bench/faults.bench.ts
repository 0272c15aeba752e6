/**
 * Fault injection, the long variant of test/faults.test.ts (issue 18), as a benchmark because it takes minutes:
 *   - the 6-unit grid killed with SIGKILL at BENCH_KILLS (10) random moments, then run to the end;
 *   - three runs of the grid at once (a lock per unit: no unit computed twice);
 *   - a full disk at 10 %, 30 %, 60 % and 90 % of what a run writes (write errors injected at the atomic-write
 *     layer), and — where this process may mount one (root) — on a real tmpfs half the size of the results;
 *   - `aikd train` killed at BENCH_TRAIN_KILLS (6) random moments across its resumes.
 * Each case must end with results identical to an uninterrupted run and every completed unit's files equal to what
 * it recorded; the table says what happened and how long it took. Exit 1 if any case does not hold.
 *
 *   pnpm bench faults
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rngFor, textTable } from '@aikd/core';
import { makeFixture } from '../test/fixture.ts';
import { FAULT_EXPERIMENT, FAULT_UNITS, aikdAsync, aikdSync, edcSummary, runWithRandomKills, untrustedRuns } from '../test/faults.ts';

const KILLS = Number(process.env.BENCH_KILLS ?? 10);
const TRAIN_KILLS = Number(process.env.BENCH_TRAIN_KILLS ?? 6);
const rows: Record<string, unknown>[] = [];
let failures = 0;
const check = (what: string, ok: boolean, detail: string, t0: number) => {
  rows.push({ case: what, ok: ok ? 'yes' : 'NO', detail, seconds: Math.round((performance.now() - t0) / 100) / 10 });
  if (!ok) failures++;
};
const sizeOf = (dir: string): number =>
  existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).reduce((a, e) => a + (e.isDirectory() ? sizeOf(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0) : 0;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const fx = await makeFixture();
const file = fx.experiment(FAULT_EXPERIMENT, 'faults.yaml');
const fresh = (name: string) => ({ ...fx.env, AIKD_RESULTS: join(fx.dir, name, 'results'), AIKD_HOME: join(fx.dir, name, 'home') });

let t0 = performance.now();
const ref = aikdSync(['run', file, '--json', '--no-report'], fresh('reference'));
if (ref.code !== 0) throw new Error(ref.stderr);
const reference = await edcSummary(fresh('reference').AIKD_RESULTS);
const written = sizeOf(fresh('reference').AIKD_RESULTS) + sizeOf(fresh('reference').AIKD_HOME);
check('uninterrupted run (reference)', reference.length === 16, `${FAULT_UNITS} units, ${(written / 1e6).toFixed(1)} MB written`, t0);

t0 = performance.now();
{
  // a 6-unit grid offers only a few moments to kill: rounds on fresh folders until KILLS kills have landed
  const rng = rngFor(18, 'bench-kills');
  const landed: number[] = [];
  let ok = true;
  for (let round = 0; landed.length < KILLS && round < 2 * KILLS; round++) {
    const env = fresh(`kills-${round}`);
    const { final, killedAt } = await runWithRandomKills(file, env, rng, 3, 800);
    landed.push(...killedAt);
    ok &&= same(await edcSummary(env.AIKD_RESULTS), reference) && untrustedRuns(env.AIKD_RESULTS).length === 0 && final.reused.length + final.computed.length === FAULT_UNITS;
  }
  check(`${KILLS} random SIGKILLs`, ok && landed.length >= KILLS, `${landed.length} kills landed; units done at each: ${landed.join(', ')}`, t0);
}

t0 = performance.now();
{
  const env = fresh('three');
  const runs = [0, 1, 2].map(() => aikdAsync(['run', file, '--json', '--no-report'], env));
  const outs = await Promise.all(runs.map((r) => r.done));
  const computed = outs.flatMap((o) => (o.code === 0 ? (JSON.parse(o.stdout).computed as string[]) : []));
  const ok = outs.every((o) => o.code === 0) && computed.length === FAULT_UNITS && new Set(computed).size === FAULT_UNITS && same(await edcSummary(env.AIKD_RESULTS), reference);
  check('three runs at once', ok, `computed per process: ${outs.map((o) => (o.code === 0 ? JSON.parse(o.stdout).computed.length : `exit ${o.code}`)).join(' / ')}`, t0);
}

for (const fraction of [0.1, 0.3, 0.6, 0.9]) {
  t0 = performance.now();
  const env = fresh(`full-${fraction}`);
  const r = aikdSync(['run', file, '--json', '--no-report'], { ...env, AIKD_TEST_DISK_FULL_AFTER: String(Math.floor(written * fraction)) });
  const clear = r.code === 1 && /error: could not write .*: no space left on device \(ENOSPC\); nothing was half-written/.test(r.stderr);
  const clean = untrustedRuns(env.AIKD_RESULTS).length === 0;
  const again = aikdSync(['run', file, '--json', '--no-report'], env);
  const ok = clear && clean && again.code === 0 && same(await edcSummary(env.AIKD_RESULTS), reference);
  check(`disk full after ${fraction * 100} % (injected)`, ok, again.code === 0 ? `then: ${again.json().reused.length} reused, ${again.json().computed.length} computed` : again.stderr.split('\n')[0]!, t0);
}

// a real full file system: a tmpfs half the size of the results as the results folder, then grown to finish the
// run (needs mount rights; skipped, and said so, without)
t0 = performance.now();
{
  const mnt = join(fx.dir, 'tmpfs');
  mkdirSync(mnt, { recursive: true });
  const kb = Math.max(64, Math.floor(sizeOf(fresh('reference').AIKD_RESULTS) / 2048));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', mnt]).status === 0;
  if (!mounted) rows.push({ case: 'disk full (real tmpfs)', ok: 'skipped', detail: 'cannot mount a tmpfs here (not root)', seconds: 0 });
  else {
    try {
      const env = { ...fresh('tmpfs'), AIKD_RESULTS: join(mnt, 'results') };
      const r = aikdSync(['run', file, '--json', '--no-report'], env);
      const clear = r.code === 1 && /no space left on device \(ENOSPC\); nothing was half-written/.test(r.stderr);
      const clean = untrustedRuns(env.AIKD_RESULTS).length === 0;
      spawnSync('mount', ['-o', 'remount,size=64m', mnt]);
      const again = aikdSync(['run', file, '--json', '--no-report'], env);
      const ok = clear && clean && again.code === 0 && same(await edcSummary(env.AIKD_RESULTS), reference);
      check(`disk full (real ${kb} kB tmpfs), then grown`, ok, `${r.stderr.trim().split('\n').at(-1)?.replace(mnt, '<tmpfs>').slice(0, 70)}; then: ${again.code === 0 ? `${again.json().reused.length} reused` : `exit ${again.code}`}`, t0);
    } finally {
      spawnSync('umount', [mnt]);
    }
  }
}

// aikd train on the synthetic set: random kills across resumes, then compared with an uninterrupted training
t0 = performance.now();
{
  const TRAIN = ['train', '--dataset', 'synth', '--method', 'embedding-norm', '--epochs', '3', '--batch', '4', '--micro-batch', '2', '--lr', '0.001', '--val-every', '1', '--seed', '3', '--json'];
  const straightEnv = fresh('train-straight');
  const straight = aikdSync(TRAIN, straightEnv);
  const checkpoint = (results: string, id: string) => JSON.parse(readFileSync(join(results, 'runs', id, 'checkpoint', 'checkpoint.json'), 'utf8')) as { step: number; sha256: string };
  const straightId = JSON.parse(straight.stdout.trim().split('\n').at(-1)!).run_id as string;
  const env = fresh('train-kills');
  const rng = rngFor(18, 'bench-train-kills');
  let id: string | undefined;
  let kills = 0;
  for (let k = 0; k < TRAIN_KILLS; k++) {
    const p = aikdAsync(id ? ['train', '--resume', id] : TRAIN, env);
    const finished = await Promise.race([p.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000 + rng.int(6000)))]);
    if (!finished) {
      p.kill();
      await p.done;
      kills++;
    }
    const runs = join(env.AIKD_RESULTS, 'runs');
    id ??= existsSync(runs) ? readdirSync(runs).find((d) => existsSync(join(runs, d, 'checkpoint', 'checkpoint.json'))) : undefined;
    if (finished) break;
  }
  const last = id ? aikdSync(['train', '--resume', id, '--json'], env) : aikdSync(TRAIN, env);
  const finalId = id ?? JSON.parse(last.stdout.trim().split('\n').at(-1)!).run_id;
  const ok = straight.code === 0 && last.code === 0 && checkpoint(env.AIKD_RESULTS, finalId).sha256 === checkpoint(straightEnv.AIKD_RESULTS, straightId).sha256;
  check(`aikd train, ${TRAIN_KILLS} random SIGKILLs across resumes`, ok, `${kills} kills landed; final checkpoint ${ok ? 'bit-identical' : 'DIFFERENT'} to the uninterrupted run's`, t0);
}

console.log(textTable(rows));
rmSync(fx.dir, { recursive: true, force: true });
process.exit(failures ? 1 : 0);
