/**
 * Lock files: one process at a time does a piece of work (an experiment's unit), even when several processes run
 * the same grid on one machine or on a shared file system. A lock is a file created exclusively (`wx`) holding
 * its owner (host, pid, token); the owner touches it every few seconds. It is stale — and taken over — when its
 * owner is a dead process on this host, or when it has not been touched for `staleMs` (an owner on another host
 * that died). Taking over renames the stale file away and checks it moved the file it judged, so two processes
 * breaking the same stale lock do not both get it.
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { writeFailed } from './fs.ts';

export interface LockOwner {
  host: string;
  pid: number;
  token: string;
  since: string;
}

export interface FileLock {
  readonly path: string;
  readonly owner: LockOwner;
  release(): void;
}

export interface LockOptions {
  /** A lock not touched for this long is stale whoever holds it (default 10 min; owners touch it every 10 s). */
  staleMs?: number;
}

const HEARTBEAT_MS = 10_000;

function readOwner(path: string): LockOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return typeof o.token === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds the lock at `path`, if anyone does (a stale lock counts as nobody). */
export function lockHolder(path: string, opts: LockOptions = {}): LockOwner | undefined {
  const owner = readOwner(path);
  let mtime: number;
  try {
    mtime = statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
  if (!owner) return Date.now() - mtime > 5_000 ? undefined : { host: '?', pid: 0, token: '', since: '' }; // being written
  if (owner.host === hostname() && !alive(owner.pid)) return undefined;
  if (Date.now() - mtime > (opts.staleMs ?? 600_000)) return undefined;
  return owner;
}

/** Take the lock if nobody (alive) holds it; undefined when another process does. */
export function tryLock(path: string, opts: LockOptions = {}): FileLock | undefined {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw writeFailed(path, e);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const owner: LockOwner = { host: hostname(), pid: process.pid, token: randomBytes(8).toString('hex'), since: new Date().toISOString() };
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw writeFailed(path, e);
      const judged = readOwner(path);
      if (lockHolder(path, opts)) return undefined;
      breakStale(path, judged);
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(owner));
    } catch (e) {
      // (a full disk): no half-written lock left behind to look held
      closeSync(fd);
      rmSync(path, { force: true });
      throw writeFailed(path, e);
    }
    closeSync(fd);
    const beat = setInterval(() => {
      try {
        const t = new Date();
        utimesSync(path, t, t);
      } catch {
        /* released or broken meanwhile */
      }
    }, HEARTBEAT_MS);
    beat.unref();
    let released = false;
    return {
      path,
      owner,
      release() {
        if (released) return;
        released = true;
        clearInterval(beat);
        if (readOwner(path)?.token === owner.token) rmSync(path, { force: true });
      },
    };
  }
  return undefined;
}

/** Move a stale lock away; if what moved is not the lock that was judged stale (someone took it meanwhile), put it back. */
function breakStale(path: string, judged: LockOwner | undefined): void {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // gone already
  }
  const moved = readOwner(aside);
  if (judged && moved && moved.token !== judged.token) {
    try {
      linkSync(aside, path); // restore the live lock (fails if yet another process created one: then that one holds)
    } catch {
      /* someone else holds it now */
    }
  }
  rmSync(aside, { force: true });
}

/** Wait until the lock is free and take it (polling; `onWait` is called once with the holder). */
export async function lock(path: string, opts: LockOptions & { pollMs?: number; onWait?: (holder: LockOwner) => void } = {}): Promise<FileLock> {
  let told = false;
  for (;;) {
    const l = tryLock(path, opts);
    if (l) return l;
    if (!told) {
      const h = lockHolder(path, opts);
      if (h) opts.onWait?.(h);
      told = true;
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
}
