#!/usr/bin/env -S node --conditions=aikd-dist
// The `aikd` command: runs the JavaScript that `pnpm install` built (each package's dist/, see
// scripts/build/build-package.mjs). The packages export their built files under the `aikd-dist` condition and
// their TypeScript sources otherwise (tests and tsx), so this file needs Node started with
// `--conditions=aikd-dist` (the line above; `pnpm aikd` passes it too) and starts itself again with it otherwise.
// Before running, it checks that every package's build was made from its current sources and rebuilds the ones
// that were not (the same per-package build), so edited sources never run as old code.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

if (!import.meta.resolve('@aikd/core').endsWith('.js')) {
  const r = spawnSync(process.execPath, ['--conditions=aikd-dist', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

const { buildIsCurrent } = await import('../../../scripts/build/source-state.mjs');
const packages = ['packages', 'apps'].flatMap((d) => readdirSync(join(root, d)).map((p) => join(root, d, p))).filter((p) => existsSync(join(p, 'src')));
const stale = packages.filter((p) => !buildIsCurrent(p));
if (stale.length) {
  process.stderr.write(`aikd: building ${stale.map((p) => p.slice(root.length + 1)).join(', ')} (sources changed since the last build)\n`);
  const builder = join(root, 'scripts', 'build', 'build-package.mjs');
  const build = (cwd) => new Promise((done) => spawn(process.execPath, [builder], { cwd, stdio: ['ignore', 2, 2] }).on('close', (code) => done(code === 0)));
  const queue = [...stale];
  const failed = [];
  const worker = async () => {
    for (let p = queue.shift(); p; p = queue.shift()) if (!(await build(p))) failed.push(p);
  };
  await Promise.all(Array.from({ length: Math.min(queue.length, availableParallelism()) }, worker));
  if (failed.length) {
    process.stderr.write(`error: building ${failed.map((p) => p.slice(root.length + 1)).join(', ')} failed; see above\n`);
    process.exit(1);
  }
}

const { main } = await import('../dist/main.js');
await main();
