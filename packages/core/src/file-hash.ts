/**
 * Content hashes of files, cached by what `stat` says about them (size, mtime, ctime, inode), so that a re-run
 * hashes only the files that changed since the last one. The cache lives under `$AIKD_HOME/cache/file-hashes/`,
 * one small JSON file per folder (a dataset of 13,000 images in 5,700 folders, or a package's sources, each
 * reload only what they need). ctime and inode are in the key too: a file replaced by another with the same size
 * and a restored mtime (rsync, `touch -r`) still gets rehashed.
 *
 * The cache is a hint, never the truth about a result: losing it costs only time; a wrong entry would need a file
 * changed without changing its ctime, which only a clock change can do.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { createHash } from 'node:crypto';
import { cacheDir, codeVersion, workspaceRoot } from './paths.ts';
import { writeFileAtomic } from './fs.ts';
import { sha256Hex } from './hash.ts';

/** [size, mtimeMs, ctimeMs, ino, sha256] */
type Entry = [number, number, number, number, string];
interface Shard {
  /** The folder whose files it describes (also stored in the file: two folders never share entries). */
  dir: string;
  file: string;
  entries: Record<string, Entry>;
  dirty: boolean;
}

const shards = new Map<string, Shard>();

function shardFor(dir: string): Shard {
  const key = sha256Hex(dir).slice(0, 24);
  const file = join(cacheDir('file-hashes'), key.slice(0, 2), `${key}.json`);
  let s = shards.get(file);
  if (!s) {
    let entries: Record<string, Entry> = {};
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { dir?: string; entries?: Record<string, Entry> };
      if (parsed.dir === dir && parsed.entries && typeof parsed.entries === 'object') entries = parsed.entries;
    } catch {
      /* no cache yet, or an unreadable one: rehash */
    }
    s = { dir, file, entries, dirty: false };
    shards.set(file, s);
  }
  return s;
}

const stamp = (st: Stats): [number, number, number, number] => [st.size, st.mtimeMs, st.ctimeMs, st.ino];

/** SHA-256 of a file, read in chunks (no whole-file buffer: .bin files are hundreds of MB). */
export function hashFileContent(path: string): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/**
 * The SHA-256 (hex) of a file's content, from the cache when the file's stat is unchanged. Throws like `statSync`
 * when the file does not exist. Call `flushFileHashes()` after a batch (single calls flush themselves).
 */
export function fileHash(path: string, opts: { flush?: boolean } = {}): string {
  const st = statSync(path);
  const s = shardFor(dirname(path));
  const name = basename(path);
  const now = stamp(st);
  const e = s.entries[name];
  if (e && e[0] === now[0] && e[1] === now[1] && e[2] === now[2] && e[3] === now[3]) return e[4];
  const sha = hashFileContent(path);
  s.entries[name] = [...now, sha];
  s.dirty = true;
  if (opts.flush !== false) flushFileHashes();
  return sha;
}

/** Tell the cache the hash of a file just written (so it is not read back to hash it). */
export function rememberFileHash(path: string, sha256: string): void {
  const s = shardFor(dirname(path));
  s.entries[basename(path)] = [...stamp(statSync(path)), sha256];
  s.dirty = true;
}

/** Write the cache entries computed since the last flush (best effort: a read-only cache only costs time). */
export function flushFileHashes(): void {
  for (const s of shards.values()) {
    if (!s.dirty) continue;
    s.dirty = false;
    try {
      writeFileAtomic(s.file, JSON.stringify({ dir: s.dir, entries: s.entries }));
    } catch {
      /* the cache is an optimisation */
    }
  }
}
/** Hashes of many files (one flush at the end). */
export function fileHashes(paths: readonly string[]): string[] {
  try {
    return paths.map((p) => fileHash(p, { flush: false }));
  } finally {
    flushFileHashes();
  }
}

/** Every file under a folder (recursively, sorted), as paths relative to it. */
export function listFilesRecursive(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** One hash of a set of files: their names (relative to `base`) and contents. */
export function filesDigest(base: string, relPaths: readonly string[]): string {
  const h = createHash('sha256');
  const hashes = fileHashes(relPaths.map((p) => join(base, p)));
  relPaths.forEach((p, i) => h.update(`${p}\0${hashes[i]}\n`));
  return h.digest('hex').slice(0, 16);
}

const packageVersions = new Map<string, string>();

function packageDir(name: string, root: string): string | undefined {
  const short = name.replace(/^@aikd\//, '');
  for (const base of ['packages', 'apps']) {
    const d = join(root, base, short);
    if (existsSync(join(d, 'package.json'))) return d;
  }
  return undefined;
}

function workspaceDeps(dir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return Object.entries(pkg.dependencies ?? {})
    .filter(([, v]) => v.startsWith('workspace:'))
    .map(([k]) => k);
}

/**
 * The code version of the workspace package that computes a result: a hash of its sources (`src/`, package.json)
 * and those of every workspace package it depends on, so a change in any code that can change the numbers makes
 * a new version, and nothing else does (a commit to the README does not). Outside a workspace checkout it is the
 * git/package version (`codeVersion()`).
 */
export function packageCodeVersion(name: string, root: string = workspaceRoot): string {
  // memoised for the process's own workspace (its sources do not change under a running process)
  const cached = root === workspaceRoot ? packageVersions.get(name) : undefined;
  if (cached) return cached;
  const seen = new Set<string>();
  const order: string[] = [];
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    const d = packageDir(n, root);
    if (!d) return;
    order.push(n);
    for (const dep of workspaceDeps(d)) visit(dep);
  };
  visit(name.startsWith('@aikd/') ? name : `@aikd/${name}`);
  if (!order.length) return codeVersion();
  const h = createHash('sha256');
  for (const n of order.sort()) {
    const d = packageDir(n, root)!;
    const files = ['package.json', ...(existsSync(join(d, 'src')) ? listFilesRecursive(join(d, 'src')).map((f) => join('src', f)) : [])];
    h.update(`${n}\0${filesDigest(d, files)}\n`);
  }
  const v = h.digest('hex').slice(0, 12);
  if (root === workspaceRoot) packageVersions.set(name, v);
  return v;
}
