/**
 * `aikd cache prune`: what the FR models leave in the cache and no run will read again. ONNX conversions of the
 * built-in models (`<cache>/onnx/<id>-<key>/`) that no current model maps to (older weights, conventions or
 * conversion code) are removed whole; the feature cache (`<cache>/features/`, ~200 KB per crop for faceres'
 * penultimate features) is cut to a size limit, least recently used items first (an item's modification time is
 * its last use: the cache touches an item when it reads it). Files being written (the temporary files of atomic
 * writes) are never touched, nor a conversion folder still being filled.
 */
import { readdirSync, rmSync, statSync, unlinkSync, rmdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '@aikd/core';
import { frModelCatalogue, type BundledFrModel } from './catalogue.ts';
import { conversionDir } from './builtin/onnx-builtin.ts';

/** The feature cache's default size limit. */
export const DEFAULT_FEATURE_CACHE_LIMIT = 2e9;
/** A conversion folder without its model file younger than this may still be being written by another process. */
const CONVERSION_GRACE_MS = 60 * 60 * 1000;

export interface PruneOptions {
  /** Size limit of the feature cache in bytes (default 2 GB). */
  maxFeatureBytes?: number;
  /** Report what would be removed, remove nothing. */
  dryRun?: boolean;
  /** The conversion folders in use (default: each built-in model's for its current weights and code). */
  currentConversions?: string[];
  now?: number;
}

export interface PrunedEntry {
  path: string;
  bytes: number;
  reason: 'stale conversion' | 'least recently used feature';
}

export interface PruneReport {
  dryRun: boolean;
  removed: PrunedEntry[];
  freedBytes: number;
  kept: { conversions: string[]; featureFiles: number; featureBytes: number };
  limitBytes: number;
  /** Left alone and why (a conversion still being written). */
  skipped: { path: string; why: string }[];
}

const isTemp = (name: string) => name.endsWith('.tmp');

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Every file under `dir` with its stat (temporary files of writes in progress left out). */
function filesUnder(dir: string): { path: string; stat: Stats }[] {
  const out: { path: string; stat: Stats }[] = [];
  for (const name of list(dir)) {
    const p = join(dir, name);
    let st: Stats;
    try {
      st = statSync(p);
    } catch {
      continue; // removed meanwhile
    }
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (!isTemp(name)) out.push({ path: p, stat: st });
  }
  return out;
}

/** Remove the folders under `dir` left empty (not `dir` itself). */
function removeEmptyDirs(dir: string): void {
  for (const name of list(dir)) {
    const p = join(dir, name);
    try {
      if (!statSync(p).isDirectory()) continue;
      removeEmptyDirs(p);
      if (!list(p).length) rmdirSync(p);
    } catch {
      // another process wrote into it or removed it: leave it
    }
  }
}

/** The conversion folders the built-in models map to now. */
export async function currentConversionDirs(): Promise<string[]> {
  const dirs: string[] = [];
  for (const id of frModelCatalogue.tfjsIds()) {
    const m = frModelCatalogue.get(id) as BundledFrModel;
    dirs.push(conversionDir(m, await m.spec('onnx')));
  }
  return dirs;
}

export async function pruneCaches(opts: PruneOptions = {}): Promise<PruneReport> {
  const now = opts.now ?? Date.now();
  const limit = opts.maxFeatureBytes ?? DEFAULT_FEATURE_CACHE_LIMIT;
  const dryRun = Boolean(opts.dryRun);
  const current = new Set(opts.currentConversions ?? (await currentConversionDirs()));
  const report: PruneReport = { dryRun, removed: [], freedBytes: 0, kept: { conversions: [], featureFiles: 0, featureBytes: 0 }, limitBytes: limit, skipped: [] };
  const removed = (e: PrunedEntry) => {
    report.removed.push(e);
    report.freedBytes += e.bytes;
  };

  // ONNX conversions: a folder is complete once its model file is there (written last)
  const onnxRoot = cacheDir('onnx');
  for (const name of list(onnxRoot).sort()) {
    const dir = join(onnxRoot, name);
    if (current.has(dir)) {
      report.kept.conversions.push(dir);
      continue;
    }
    const entries = list(dir);
    const files = filesUnder(dir);
    const newest = Math.max(0, ...files.map((f) => f.stat.mtimeMs));
    if (entries.some(isTemp) || (!entries.includes('model.onnx') && now - newest < CONVERSION_GRACE_MS)) {
      report.skipped.push({ path: dir, why: 'being written' });
      continue;
    }
    removed({ path: dir, bytes: files.reduce((a, f) => a + f.stat.size, 0), reason: 'stale conversion' });
    if (!dryRun) {
      // the model file first: a reader meanwhile sees an incomplete conversion (and converts again), never half of one
      rmSync(join(dir, 'model.onnx'), { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // features: newest use first; keep while under the limit
  const featureRoot = cacheDir('features');
  const items = filesUnder(featureRoot).sort((a, b) => b.stat.mtimeMs - a.stat.mtimeMs || a.path.localeCompare(b.path));
  let total = 0, full = false;
  for (const it of items) {
    // strictly by age: once one item is over the limit, every older one goes too
    full ||= total + it.stat.size > limit;
    if (!full) {
      total += it.stat.size;
      report.kept.featureFiles++;
      continue;
    }
    removed({ path: it.path, bytes: it.stat.size, reason: 'least recently used feature' });
    if (!dryRun) {
      try {
        unlinkSync(it.path);
      } catch {
        // removed meanwhile
      }
    }
  }
  report.kept.featureBytes = total;
  if (!dryRun) removeEmptyDirs(featureRoot);
  return report;
}
