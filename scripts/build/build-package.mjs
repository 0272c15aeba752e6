#!/usr/bin/env node
/**
 * Builds the package in the current folder: `src/**` → `dist/` as JavaScript (TypeScript 7's `tsc`, relative
 * `.ts` imports rewritten to `.js`, no type check: `pnpm typecheck` does that), other files under `src/` copied
 * beside the code that reads them, and `dist/.build.json` recording what it was built from (see source-state.mjs).
 * The new build replaces the old one by renames, so a command starting meanwhile never sees half a build.
 * Run by each package's `build` script, which turbo drives (`turbo run build`, part of `pnpm install`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceState, writeSourceState } from './source-state.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = process.cwd();
const tmp = join(pkg, `dist.tmp-${process.pid}`);
const config = join(pkg, 'node_modules', '.cache', `tsconfig.build-${process.pid}.json`);

const state = sourceState(pkg);
mkdirSync(dirname(config), { recursive: true });
writeFileSync(
  config,
  JSON.stringify({
    extends: join(root, 'tsconfig.base.json'),
    compilerOptions: {
      noEmit: false,
      noCheck: true,
      rootDir: join(pkg, 'src'),
      outDir: tmp,
      rewriteRelativeImportExtensions: true,
      declaration: false,
      sourceMap: true,
    },
    include: [join(pkg, 'src')],
  }),
);
const r = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', config], { stdio: 'inherit' });
rmSync(config, { force: true });
if (r.status !== 0) {
  rmSync(tmp, { recursive: true, force: true });
  console.error(`build of ${pkg} failed (tsc exit ${r.status})`);
  process.exit(1);
}
// files the code reads next to itself (e.g. labels.json)
for (const e of readdirSync(join(pkg, 'src'), { recursive: true, withFileTypes: true })) {
  if (!e.isFile() || /\.[cm]?ts$/.test(e.name)) continue;
  const from = join(e.parentPath ?? e.path, e.name);
  const to = join(tmp, from.slice(join(pkg, 'src').length));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to);
}
writeSourceState(tmp, state);
const old = join(pkg, `dist.old-${process.pid}`);
try {
  renameSync(join(pkg, 'dist'), old);
} catch {}
renameSync(tmp, join(pkg, 'dist'));
rmSync(old, { recursive: true, force: true });
