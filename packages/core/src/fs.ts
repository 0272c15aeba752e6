import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync, createWriteStream } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';

/** A temporary name beside `path`, so that the final rename stays on one file system. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Write a whole file so that readers see either the old content or the new one, never a half-written file:
 * write to a temporary file beside it, fsync, then rename over the target.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | ArrayBufferView | (string | Uint8Array)[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'w');
  try {
    const parts = Array.isArray(data) ? data : [data];
    for (const part of parts) {
      const buf =
        typeof part === 'string'
          ? Buffer.from(part, 'utf8')
          : Buffer.from((part as ArrayBufferView).buffer, (part as ArrayBufferView).byteOffset, (part as ArrayBufferView).byteLength);
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
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
  const write = (chunk: string | Uint8Array) =>
    new Promise<void>((resolve, reject) => {
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
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw e;
  }
  renameSync(tmp, path);
}
