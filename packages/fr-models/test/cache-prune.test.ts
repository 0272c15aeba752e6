import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { cacheDir, rngFor } from '@aikd/core';
import type { RawImage } from '@aikd/datasets';
import { frModelCatalogue, createRecognizer, cropKey, withFeatureCache, type BundledFrModel } from '../src/index.ts';
import { currentConversionDirs, pruneCaches } from '../src/cache-prune.ts';
import { conversionDir } from '../src/builtin/onnx-builtin.ts';
import { S, tinyRecognizerOnnx } from './onnx-model.ts';

let home: string;
const saved = process.env.AIKD_HOME;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'aikd-prune-'));
  process.env.AIKD_HOME = home;
});
afterAll(() => {
  if (saved === undefined) delete process.env.AIKD_HOME;
  else process.env.AIKD_HOME = saved;
  rmSync(home, { recursive: true, force: true });
});

/** Every file under the cache with its size and modification time: what "nothing changed" compares. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[relative(home, p)] = `${st.size}@${st.mtimeMs}`;
    }
  };
  if (existsSync(cacheDir())) walk(cacheDir());
  return out;
}

const put = (file: string, bytes: number, ageMs = 0) => {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, new Uint8Array(bytes));
  const t = new Date(Date.now() - ageMs);
  utimesSync(file, t, t);
};
const HOUR = 3600_000;

describe('aikd cache prune: ONNX conversions', () => {
  it('removes a conversion no current model maps to and keeps the current ones; a dry run changes nothing', async () => {
    rmSync(cacheDir(), { recursive: true, force: true });
    const m = frModelCatalogue.get('faceres') as BundledFrModel;
    const spec = await m.spec('onnx');
    const current = conversionDir(m, spec);
    // the folders the built-in models map to are the ones their conversions are written to
    expect(await currentConversionDirs()).toContain(current);
    // the same model converted by other code (an older converter) is another folder
    const older = conversionDir(m, spec, '0123456789abcdef');
    expect(older).not.toBe(current);
    const otherWeights = conversionDir(m, { ...spec, weightsHash: 'ffffffffffffffff' });
    for (const d of [current, older, otherWeights]) {
      put(join(d, 'head.onnx'), 1000, 2 * HOUR);
      put(join(d, 'model.onnx'), 5000, 2 * HOUR);
    }
    // a conversion still being written: one file in place, the other being written (a temporary file)
    const writing = cacheDir('onnx', 'mobileface-00000000000000aa');
    put(join(writing, 'head.onnx'), 700);
    put(join(writing, '.model.onnx.123.abcd1234.tmp'), 300);
    // an incomplete conversion written a moment ago (its model file not yet there)
    const young = cacheDir('onnx', 'mobileface-00000000000000bb');
    put(join(young, 'head.onnx'), 700);

    const before = snapshot();
    const dry = await pruneCaches({ dryRun: true });
    expect(snapshot()).toEqual(before);
    expect(dry.dryRun).toBe(true);
    expect(dry.removed.map((e) => e.path).sort()).toEqual([older, otherWeights].sort());
    expect(dry.freedBytes).toBe(12_000);
    expect(dry.skipped.map((e) => e.path).sort()).toEqual([writing, young].sort());

    const r = await pruneCaches();
    expect(r.removed).toEqual(dry.removed);
    expect(r.freedBytes).toBe(12_000);
    expect(r.kept.conversions).toContain(current);
    expect(existsSync(join(current, 'model.onnx')) && existsSync(join(current, 'head.onnx'))).toBe(true);
    expect(existsSync(older) || existsSync(otherWeights)).toBe(false);
    expect(existsSync(join(writing, '.model.onnx.123.abcd1234.tmp')) && existsSync(join(young, 'head.onnx'))).toBe(true);
    // an incomplete conversion left for an hour is a dead write: removed
    const aged = await pruneCaches({ now: Date.now() + 2 * HOUR });
    expect(aged.removed.map((e) => e.path)).toEqual([young]);
  });
});

describe('aikd cache prune: the feature cache', () => {
  it('evicts the least recently used items beyond the limit, keeping the newest under it', async () => {
    rmSync(cacheDir(), { recursive: true, force: true });
    const dir = cacheDir('features', 'k0');
    // ten 1000-byte items, item i last used i hours ago; one temporary file of a write in progress
    const items = Array.from({ length: 10 }, (_, i) => join(dir, 'embedding', `0${i}`, `0${i}aa.f32`));
    items.forEach((f, i) => put(f, 1000, i * HOUR));
    const tmp = join(dir, 'embedding', '00', '.00bb.f32.1.ffff.tmp');
    put(tmp, 50_000, 10 * HOUR);
    // another model's features, used 3.5 h ago: the limit covers the whole cache
    const other = cacheDir('features', 'k1', 'penultimate', 'ab', 'abcd.f32');
    put(other, 1000, 3.5 * HOUR);

    const before = snapshot();
    const dry = await pruneCaches({ maxFeatureBytes: 4500, dryRun: true, currentConversions: [] });
    expect(snapshot()).toEqual(before);

    const r = await pruneCaches({ maxFeatureBytes: 4500, currentConversions: [] });
    expect(r.removed).toEqual(dry.removed);
    // newest first: items 0–3 (4000 bytes); item "other" (3.5 h) would exceed 4500, so it and every older item go
    expect(r.kept).toMatchObject({ featureFiles: 4, featureBytes: 4000 });
    expect(items.map((f) => existsSync(f))).toEqual([true, true, true, true, false, false, false, false, false, false]);
    expect(existsSync(other)).toBe(false);
    expect(r.freedBytes).toBe(7000);
    expect(r.removed.every((e) => e.reason === 'least recently used feature')).toBe(true);
    expect(existsSync(tmp)).toBe(true);
    // emptied folders go too
    expect(existsSync(join(dir, 'embedding', '05'))).toBe(false);
    expect(existsSync(cacheDir('features', 'k1'))).toBe(false);
  });

  it('reading an item through the cache marks it used, so it outlives older unread ones', async () => {
    rmSync(cacheDir(), { recursive: true, force: true });
    const model = join(home, 'tiny.onnx');
    writeFileSync(model, tinyRecognizerOnnx());
    const crops: RawImage[] = [0, 1, 2, 3].map((k) => {
      const r = rngFor('prune-crop', k);
      return { width: S, height: S, channels: 3, data: Uint8Array.from({ length: S * S * 3 }, () => r.int(256)) };
    });
    const rec = withFeatureCache(await createRecognizer(`onnx:${model}`, { preprocess: { size: S } }));
    try {
      const first = await rec.embed(crops);
      const files = readdirSync(join(rec.featureCache.dir, 'embedding'), { recursive: true }).map(String).filter((f) => f.endsWith('.f32'));
      expect(files).toHaveLength(4);
      const size = statSync(join(rec.featureCache.dir, 'embedding', files[0]!)).size;
      // written a day ago, crop 3's two days ago (the oldest); then crop 3 is read again
      const crop3 = `${cropKey(crops[3]!)}.f32`;
      for (const f of files) {
        const t = new Date(Date.now() - (f.endsWith(crop3) ? 48 : 24) * HOUR);
        utimesSync(join(rec.featureCache.dir, 'embedding', f), t, t);
      }
      const again = await rec.embed([crops[3]!]);
      expect(rec.featureCache.stats.embedding).toEqual({ hits: 1, misses: 4 });
      expect(Array.from(again[0]!)).toEqual(Array.from(first[3]!));
      const r = await pruneCaches({ maxFeatureBytes: size, currentConversions: [] });
      expect(r.kept.featureFiles).toBe(1);
      // the one kept is crop 3's: read from the cache without running the model
      const hits = rec.featureCache.stats.embedding.hits;
      await rec.embed([crops[3]!]);
      expect(rec.featureCache.stats.embedding.hits).toBe(hits + 1);
      await rec.embed([crops[0]!]);
      expect(rec.featureCache.stats.embedding.misses).toBe(5);
    } finally {
      await rec.dispose();
    }
  });
});
