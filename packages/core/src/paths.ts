import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

/** The workspace root: the nearest folder above this package holding pnpm-workspace.yaml. */
export const workspaceRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
})();

/** Where results live: `AIKD_RESULTS`, else `<workspace>/results`. */
export function resultsDir(): string {
  return resolveFromRoot(process.env.AIKD_RESULTS || 'results');
}

/** Root of users' benchmark data: `AIKD_DATA`, else `<workspace>/data`. */
export function dataRoot(): string {
  return resolveFromRoot(process.env.AIKD_DATA || 'data');
}

/** Local state that is not a result (caches, native add-ons, built demo data): `AIKD_HOME`, else `<workspace>/.aikd`. */
export function aikdHome(): string {
  return resolveFromRoot(process.env.AIKD_HOME || '.aikd');
}

export function cacheDir(...parts: string[]): string {
  return join(aikdHome(), 'cache', ...parts);
}

export function resolveFromRoot(p: string): string {
  return isAbsolute(p) ? p : resolve(workspaceRoot, p);
}

let cachedVersion: string | undefined;
/**
 * The code version recorded in every result: the git commit (with `-dirty` when the work tree has changes),
 * or `<package version>` outside a git checkout.
 */
export function codeVersion(): string {
  if (cachedVersion) return cachedVersion;
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: workspaceRoot, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: workspaceRoot, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    cachedVersion = commit.slice(0, 12) + (dirty ? '-dirty' : '');
  } catch {
    try {
      const pkg = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')) as { version?: string };
      cachedVersion = `v${pkg.version ?? '0.0.0'}`;
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}
