/**
 * How tests start the real `aikd` command in a child process: `node --conditions=aikd-dist apps/cli/bin/aikd.mjs`,
 * the JavaScript that `pnpm install` built, i.e. what users run (`pnpm aikd`). Starting it as
 * `node --import tsx apps/cli/src/main.ts` instead compiles the TypeScript again in every child (about 1 s of CPU
 * each, and `pnpm test` starts a few hundred). The bin rebuilds any package whose sources changed since its last
 * build before it runs, so a test never runs old code; the suite's global setup (./global-setup.ts) does that
 * once before any test file starts, so test files running side by side never rebuild the same package at once.
 */
import { join } from 'node:path';

export const AIKD_BIN = join(import.meta.dirname, '..', '..', 'apps', 'cli', 'bin', 'aikd.mjs');

/** Node's arguments that run `aikd <args…>`: `spawn(process.execPath, aikdArgv(args))`. */
export function aikdArgv(args: readonly string[]): string[] {
  return ['--conditions=aikd-dist', AIKD_BIN, ...args];
}
