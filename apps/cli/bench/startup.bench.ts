/**
 * CLI start-up: `apps/cli/bin/aikd.mjs --help` (the built JavaScript, stale-build check included) against its anchor
 * measured in the same run, a bare `node -e 0`. Runs alternate (so load changes hit both alike); medians of 9.
 * Target (issue 21): ≤ 6× the anchor (≈ 0.3 s on an idle 2-core machine).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { textTable, workspaceRoot } from '@aikd/core';

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 9);
const bin = join(workspaceRoot, 'apps/cli/bin/aikd.mjs');
const commands: Record<string, string[]> = {
  'node -e 0 (anchor)': ['-e', '0'],
  'aikd --help': [bin, '--help'],
  'aikd edc --help': [bin, 'edc', '--help'],
};

function seconds(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: workspaceRoot, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
  return (performance.now() - t) / 1000;
}

// one warm-up each (builds a stale package once, fills the file cache)
for (const args of Object.values(commands)) seconds(args);
const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
for (let i = 0; i < RUNS; i++) for (const [k, args] of Object.entries(commands)) times[k]!.push(seconds(args));
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const anchor = median(times['node -e 0 (anchor)']!);
console.log(
  textTable(
    Object.entries(times).map(([k, t]) => ({
      command: k,
      'median s': +median(t).toFixed(3),
      'min s': +Math.min(...t).toFixed(3),
      'ratio to node -e 0': +(median(t) / anchor).toFixed(2),
      'target ≤ 6×': k.startsWith('node') ? '' : median(t) / anchor <= 6 ? 'met' : 'MISSED',
    })),
  ),
);
