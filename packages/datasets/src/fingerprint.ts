/**
 * What a computation read from a dataset, as one hash: every image's id, identity, landmarks and box, and the
 * content hash of its bytes (+ the pairs, when the computation compares them). A result keyed by it is recomputed
 * when any image it read changes — replaced in place, deleted, its landmarks edited — and only then.
 *
 * File-based images are hashed through core's cache (by path, size, mtime, ctime, inode), so a re-run over an
 * unchanged dataset stats the files but reads none. Images inside one container file (InsightFace `.bin`) take the
 * container's hash: a change anywhere in it counts for all of them.
 */
import { statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileHash, flushFileHashes, sha256Hex, stableStringify } from '@aikd/core';
import type { Dataset } from './types.ts';

export interface DatasetFingerprint {
  /** 16 hex digits. */
  key: string;
  images: number;
  pairs?: number;
  /** Images whose file could not be read (the computation itself will say why). */
  missing: number;
}

export async function datasetFingerprint(ds: Dataset, opts: { pairs?: boolean } = {}): Promise<DatasetFingerprint> {
  const h = createHash('sha256');
  const container = statSync(ds.location, { throwIfNoEntry: false })?.isFile() ? ds.location : undefined;
  let containerHash: string | undefined;
  let missing = 0;
  try {
    for (const r of ds.images()) {
      let content: string;
      try {
        if (r.path) content = fileHash(r.path, { flush: false });
        else if (container) content = `${(containerHash ??= fileHash(container, { flush: false }))}#${r.id}`;
        else content = sha256Hex(await ds.readImage(r.id));
      } catch {
        content = 'missing';
        missing++;
      }
      h.update(`${r.id}\0${r.identity ?? ''}\0${stableStringify(r.landmarks ?? null)}\0${stableStringify(r.box ?? null)}\0${content}\n`);
    }
  } finally {
    flushFileHashes();
  }
  const pairs = opts.pairs ? ds.pairs() : undefined;
  if (pairs) {
    h.update('pairs\n');
    for (const p of pairs) h.update(`${p.a}\0${p.b}\0${p.mated ? 1 : 0}\0${p.fold ?? ''}\n`);
  }
  return { key: h.digest('hex').slice(0, 16), images: ds.images().length, pairs: pairs?.length, missing };
}
