/**
 * Runs once before `vitest` starts any test file: brings every package's build (dist/) up to date with its sources,
 * the way apps/cli/bin/aikd.mjs does before it runs, so the tests' `aikd` child processes (./aikd-command.ts) run
 * the current code and never rebuild side by side. A no-op after `pnpm install` (the builds are current).
 */
import { spawnSync } from 'node:child_process';
import { aikdArgv } from './aikd-command.ts';

export default function setup(): void {
  const r = spawnSync(process.execPath, aikdArgv(['--version']), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the packages for the tests' aikd commands failed:\n${r.stderr}`);
}
