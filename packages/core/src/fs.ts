import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync, createWriteStream } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { AikdError } from './errors.ts';

/** The errors a full (or over-quota) disk gives. */
export const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

export function isDiskFull(e: unknown): boolean {
  for (let x: unknown = e; x; x = (x as { cause?: unknown }).cause) if (DISK_FULL_CODES.has((x as { code?: string }).code ?? '')) return true;
  return false;
}

/**
 * Test hook (fault injection): `AIKD_TEST_DISK_FULL_AFTER=<bytes>` makes this process's atomic writes behave as if
 * the disk filled up after that many bytes in all: the write that crosses the budget fails part-way with ENOSPC,
 * as would every later one.
 */
let diskBudget: number | undefined;
function chargeDisk(bytes: number): number {
  const env = process.env.AIKD_TEST_DISK_FULL_AFTER;
  if (env === undefined || env === '') return bytes;
  diskBudget ??= Number(env);
  const allowed = Math.max(0, Math.min(bytes, diskBudget));
  diskBudget -= allowed;
  return allowed;
}
function diskFullError(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

/** One line that says which file could not be written, why, and that the old content is untouched. */
export function writeFailed(path: string, e: unknown): AikdError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOSPC' ? 'no space left on device' : code === 'EDQUOT' ? 'disk quota exceeded' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message;
  return new AikdError(`could not write ${path}: ${why}${code ? ` (${code})` : ''}; nothing was half-written (the previous version, if any, is unchanged)`, code ?? 'WRITE_ERROR', { cause: e });
}

/** A temporary name beside `path`, so that the final rename stays on one file system. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Write a whole file so that readers see either the old content or the new one, never a half-written file:
 * write to a temporary file beside it, fsync, then rename over the target.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | ArrayBufferView | (string | Uint8Array)[]): void {
  const tmp = tempPathFor(path);
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw writeFailed(path, e);
  }
  try {
    const parts = Array.isArray(data) ? data : [data];
    for (const part of parts) {
      const buf =
        typeof part === 'string'
          ? Buffer.from(part, 'utf8')
          : Buffer.from((part as ArrayBufferView).buffer, (part as ArrayBufferView).byteOffset, (part as ArrayBufferView).byteLength);
      let off = 0;
      while (off < buf.length) {
        const want = buf.length - off;
        const n = chargeDisk(want);
        if (n > 0) off += writeSync(fd, buf, off, n);
        if (n < want) throw diskFullError();
      }
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    rmSync(tmp, { force: true });
    throw writeFailed(path, e);
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Stream a large file atomically: `produce` writes chunks to the given stream; on success the temporary file is
 * renamed to `path`, on failure it is removed and the old file (if any) stays.
 */
export async function writeStreamAtomic(
  path: string,
  produce: (write: (chunk: string | Uint8Array) => Promise<void>) => Promise<void>,
): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const out = createWriteStream(tmp);
  let streamError: unknown;
  out.on('error', (e) => (streamError ??= e));
  const write = (chunk: string | Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      if (streamError) return reject(streamError);
      const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      if (chargeDisk(size) < size) return reject(diskFullError());
      if (out.write(chunk)) resolve();
      else {
        out.once('drain', resolve);
        out.once('error', reject);
      }
    });
  try {
    await produce(write);
    out.end();
    await finished(out);
    renameSync(tmp, path);
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    // the producer's own errors (bad input) pass through; the file system's say which file could not be written
    throw (e as NodeJS.ErrnoException).code && !(e instanceof AikdError) ? writeFailed(path, e) : e;
  }
}
