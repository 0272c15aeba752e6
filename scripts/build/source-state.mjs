/**
 * What a package's build was made from: a hash of every file under its `src/` (paths and bytes) and of its
 * package.json, plus each file's size and modification time. The build writes it into `dist/.build.json`;
 * `apps/cli/bin/aikd.mjs` checks it before running the built JavaScript, so a build older than its sources is
 * rebuilt, never run.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = join('dist', '.build.json');

/** The files a build is made from, sorted, with their size and modification time. */
function sources(pkgDir) {
  const files = readdirSync(join(pkgDir, 'src'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
  return [join(pkgDir, 'package.json'), ...files].map((f) => {
    const s = statSync(f);
    return { file: f, rel: f.slice(pkgDir.length), size: s.size, mtime: s.mtimeMs };
  });
}

/** The hash of a package's sources (`src/**` and package.json): contents only, not file times. */
function hashOf(files) {
  const h = createHash('sha256');
  for (const f of files) {
    const bytes = readFileSync(f.file);
    h.update(`${f.rel}\0${bytes.length}\0`).update(bytes);
  }
  return h.digest('hex');
}

const statsOf = (files) => Object.fromEntries(files.map((f) => [f.rel, [f.size, f.mtime]]));

/** The record a build of the package's current sources carries (`dist/.build.json`). */
export function sourceState(pkgDir) {
  const files = sources(pkgDir);
  return { sources: hashOf(files), files: statsOf(files) };
}

export function writeSourceState(distDir, state) {
  writeFileSync(join(distDir, '.build.json'), `${JSON.stringify(state)}\n`);
}

/**
 * Whether the package's `dist/` was built from its current sources. Fast path: every file has the size and time
 * the build saw. Otherwise the contents decide (a fresh clone or a turbo cache hit has other file times but the
 * same bytes); when they match, the recorded times are updated so the next check takes the fast path again.
 */
export function buildIsCurrent(pkgDir) {
  let built;
  try {
    built = JSON.parse(readFileSync(join(pkgDir, STAMP), 'utf8'));
  } catch {
    return false;
  }
  const files = sources(pkgDir);
  const now = statsOf(files);
  const same = (a, b) => a && b && a[0] === b[0] && a[1] === b[1];
  const keys = Object.keys(now);
  if (keys.length === Object.keys(built.files ?? {}).length && keys.every((k) => same(now[k], built.files[k]))) return true;
  if (hashOf(files) !== built.sources) return false;
  try {
    writeSourceState(join(pkgDir, 'dist'), { sources: built.sources, files: now });
  } catch {
    // a read-only checkout still runs; it just takes the slow path next time
  }
  return true;
}
