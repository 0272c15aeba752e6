/**
 * The pieces results rely on not to go stale or half-written: cached file hashes that notice every change, code
 * versions from package sources, atomic writes under a full disk, and lock files between processes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileHash, fileHashes, flushFileHashes, packageCodeVersion, writeFileAtomic, writeStreamAtomic, tryLock, lock, lockHolder, isDiskFull, AikdError } from '../src/index.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
let home: string;
const saved = { ...process.env };
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'aikd-home-'));
  process.env.AIKD_HOME = home;
});
afterEach(() => {
  process.env = { ...saved };
});

describe('cached file hashes', () => {
  it('are the content hash, are cached, and notice a same-size change with the mtime put back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aikd-fh-'));
    const f = join(dir, 'img.png');
    writeFileSync(f, 'AAAA');
    const t = statSync(f).mtime;
    expect(fileHash(f)).toBe(sha('AAAA'));
    // the cache holds it (one shard file under AIKD_HOME)
    expect(readdirSync(join(home, 'cache', 'file-hashes')).length).toBe(1);
    // same size, mtime restored (rsync -t, touch -r): ctime still moves
    writeFileSync(f, 'BBBB');
    utimesSync(f, t, t);
    expect(fileHash(f)).toBe(sha('BBBB'));
    expect(fileHashes([f, f])).toEqual([sha('BBBB'), sha('BBBB')]);
  });

  it('are read from the cache by a later process when the file is unchanged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aikd-fh-'));
    const f = join(dir, 'x.bin');
    writeFileSync(f, 'content');
    expect(fileHash(f)).toBe(sha('content'));
    flushFileHashes();
    // plant a marker as the cached value: a later process must answer from the cache (not rehash) while the file
    // is unchanged, and rehash once it changes
    const shards = join(home, 'cache', 'file-hashes');
    const sub = join(shards, readdirSync(shards)[0]!);
    const shardFile = join(sub, readdirSync(sub)[0]!);
    const j = JSON.parse(readFileSync(shardFile, 'utf8'));
    expect(j.entries['x.bin'][4]).toBe(sha('content'));
    j.entries['x.bin'][4] = 'from-the-cache';
    writeFileSync(shardFile, JSON.stringify(j));
    const later = () =>
      spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('${join(import.meta.dirname, '..', 'src', 'index.ts')}').then((c) => process.stdout.write(c.fileHash(${JSON.stringify(f)})))`], {
        encoding: 'utf8',
        env: { ...process.env, AIKD_HOME: home },
      }).stdout;
    expect(later()).toBe('from-the-cache');
    writeFileSync(f, 'changed');
    expect(later()).toBe(sha('changed'));
  }, 120_000);
});

describe('package code versions', () => {
  it('change when a source file of the package or of a workspace dependency changes, not otherwise', () => {
    const root = mkdtempSync(join(tmpdir(), 'aikd-ws-'));
    const pkg = (name: string, deps: Record<string, string>) => {
      mkdirSync(join(root, 'packages', name, 'src'), { recursive: true });
      writeFileSync(join(root, 'packages', name, 'package.json'), JSON.stringify({ name: `@aikd/${name}`, dependencies: deps }));
      writeFileSync(join(root, 'packages', name, 'src', 'index.ts'), `export const x = 1;\n`);
    };
    pkg('base', {});
    pkg('top', { '@aikd/base': 'workspace:*', zod: '1.0.0' });
    pkg('other', {});
    const v0 = packageCodeVersion('top', root);
    expect(v0).toMatch(/^[0-9a-f]{12}$/);
    expect(packageCodeVersion('top', root)).toBe(v0);
    writeFileSync(join(root, 'packages', 'other', 'src', 'index.ts'), 'export const x = 2;\n');
    expect(packageCodeVersion('top', root)).toBe(v0); // not a dependency
    writeFileSync(join(root, 'README.md'), 'docs');
    expect(packageCodeVersion('top', root)).toBe(v0);
    writeFileSync(join(root, 'packages', 'base', 'src', 'index.ts'), 'export const x = 2;\n');
    const v1 = packageCodeVersion('top', root);
    expect(v1).not.toBe(v0);
    writeFileSync(join(root, 'packages', 'top', 'src', 'new.ts'), 'export {};\n');
    expect(packageCodeVersion('top', root)).not.toBe(v1);
  });
});

describe('atomic writes on a full disk (write error injected at the atomic-write layer)', () => {
  it('fail with a clear error naming the file, keep the old content and leave no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aikd-full-'));
    const p = join(dir, 'result.arrow');
    writeFileAtomic(p, 'old result');
    process.env.AIKD_TEST_DISK_FULL_AFTER = '5';
    let err: unknown;
    try {
      writeFileAtomic(p, 'a much longer new result');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AikdError);
    expect((err as Error).message).toBe(`could not write ${p}: no space left on device (ENOSPC); nothing was half-written (the previous version, if any, is unchanged)`);
    expect(isDiskFull(err)).toBe(true);
    expect(readFileSync(p, 'utf8')).toBe('old result');
    expect(readdirSync(dir)).toEqual(['result.arrow']);
    // the disk stays full: streamed writes fail the same way
    const q = join(dir, 'stream.csv');
    await expect(writeStreamAtomic(q, async (write) => {
      await write('x');
    })).rejects.toThrow(/could not write .*stream\.csv: no space left on device/);
    expect(readdirSync(dir)).toEqual(['result.arrow']);
  });
});

describe('lock files', () => {
  it('let one holder at a time, and free on release', () => {
    const p = join(mkdtempSync(join(tmpdir(), 'aikd-lock-')), 'u.lock');
    const a = tryLock(p)!;
    expect(a).toBeDefined();
    expect(tryLock(p)).toBeUndefined();
    expect(lockHolder(p)?.pid).toBe(process.pid);
    a.release();
    expect(existsSync(p)).toBe(false);
    const b = tryLock(p);
    expect(b).toBeDefined();
    b!.release();
  });

  it('take over a lock whose owner died, and wait for a live owner', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'aikd-lock-')), 'u.lock');
    // a lock left by a process that was killed (its pid no longer exists)
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(p, JSON.stringify({ host: (await import('node:os')).hostname(), pid: Number(dead.stdout), token: 'old', since: '' }));
    expect(lockHolder(p)).toBeUndefined();
    const mine = tryLock(p)!;
    expect(mine.owner.pid).toBe(process.pid);
    // a second waiter gets it once the first releases
    let waitedFor: number | undefined;
    const waiting = lock(p, { pollMs: 20, onWait: (h) => (waitedFor = h.pid) });
    await new Promise((r) => setTimeout(r, 80));
    mine.release();
    const next = await waiting;
    expect(waitedFor).toBe(process.pid);
    expect(JSON.parse(readFileSync(p, 'utf8')).token).toBe(next.owner.token);
    next.release();
  });

  it('treat a lock untouched for longer than staleMs as stale (an owner on another host that died)', () => {
    const p = join(mkdtempSync(join(tmpdir(), 'aikd-lock-')), 'u.lock');
    writeFileSync(p, JSON.stringify({ host: 'another-host', pid: 1, token: 't', since: '' }));
    expect(lockHolder(p)?.host).toBe('another-host');
    const old = new Date(Date.now() - 60_000);
    utimesSync(p, old, old);
    expect(lockHolder(p, { staleMs: 30_000 })).toBeUndefined();
    expect(tryLock(p, { staleMs: 30_000 })).toBeDefined();
  });
});
