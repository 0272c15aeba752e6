/**
 * The per-crop feature cache under the methods, on a real FR model (faceres, ONNX Runtime) and real faces (the
 * face-api demo photos, detected and aligned): scores bit-for-bit the same without the cache, with it cold and with
 * it warm; a warm cache runs no FR forward pass (the recogniser's calls counted); keys follow the model's content.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawImage } from '@aikd/datasets';
import { createRecognizer, cropKey, frModelContentKey, withFeatureCache, type Recognizer } from '@aikd/fr-models';
import { createQualityMethod } from '../src/index.ts';
import { bits, counted, realFaces, tempDir } from './helpers.ts';

let faceres: Recognizer;
let crops: RawImage[];
let ids: string[];
beforeAll(async () => {
  faceres = await createRecognizer('faceres');
  crops = await realFaces(faceres);
  ids = crops.map((_, i) => `face${i}`);
}, 300_000);
afterAll(async () => faceres?.dispose());

describe('feature cache: scores with and without it (faceres, real faces)', () => {
  for (const [method, params, feature] of [
    ['embedding-norm', {}, 'embed'],
    ['serfiq', { T: 10 }, 'features'],
  ] as const)
    it(`${method}: bit-for-bit the same uncached, cold and warm; the warm cache runs no forward pass`, async () => {
      expect(crops.length).toBeGreaterThanOrEqual(5);
      const plain = await createQualityMethod(method, { frModel: faceres, params, featureCache: false });
      const q0 = await plain.score(crops, { ids, seed: 1 });
      await plain.dispose();
      const dir = tempDir(`features-${method}`);
      const c = counted(faceres);
      const score = async () => {
        const m = await createQualityMethod(method, { frModel: withFeatureCache(c.rec, dir), params });
        try {
          return await m.score(crops, { ids, seed: 1 });
        } finally {
          await m.dispose();
        }
      };
      const cold = await score();
      expect(c.calls[feature]).toBe(crops.length);
      const warm = await score();
      expect(c.calls[feature]).toBe(crops.length); // no new forward pass
      expect(c.calls.embed + c.calls.features).toBe(crops.length); // and no other one
      expect(q0.every(Number.isFinite)).toBe(true);
      expect(bits(cold)).toEqual(bits(q0));
      expect(bits(warm)).toEqual(bits(q0));
      // a warm cache for part of a batch: only the missing crops reach the model, scores unchanged
      const partDir = tempDir(`features-${method}-part`);
      const p = counted(faceres);
      const open = async () => createQualityMethod(method, { frModel: withFeatureCache(p.rec, partDir), params });
      const m1 = await open();
      await m1.score(crops.slice(0, 2), { ids: ids.slice(0, 2), seed: 1 });
      const m2 = await open();
      const mixed = await m2.score(crops, { ids, seed: 1 });
      expect(p.calls[feature]).toBe(crops.length);
      expect(bits(mixed)).toEqual(bits(q0));
    }, 300_000);

  it('a second method on the same crops reuses the first one`s forward pass (any order)', async () => {
    const c = counted(faceres);
    const dir = tempDir('features-shared');
    const first = await createQualityMethod('embedding-norm', { frModel: withFeatureCache(c.rec, dir) });
    await first.score(crops, { ids, seed: 0 });
    expect(c.calls.embed).toBe(crops.length);
    // a second method, opened on its own on the same model and folder, computes nothing
    const again = await createQualityMethod('embedding-norm', { frModel: withFeatureCache(c.rec, dir) });
    await again.score(crops.slice().reverse(), { ids: ids.slice().reverse(), seed: 0 });
    expect(c.calls.embed).toBe(crops.length);
  }, 300_000);
});

describe('feature cache keys', () => {
  it('follow the model content (weights, conventions) and the crop pixels; a damaged item is recomputed', async () => {
    const base = frModelContentKey(faceres);
    expect(frModelContentKey({ spec: { ...faceres.spec, weightsHash: 'other' } })).not.toBe(base);
    expect(frModelContentKey({ spec: { ...faceres.spec, colour: faceres.spec.colour === 'BGR' ? 'RGB' : 'BGR' } })).not.toBe(base);
    expect(frModelContentKey({ spec: { ...faceres.spec, engine: 'tfjs' } })).not.toBe(base);
    expect(frModelContentKey({ spec: { ...faceres.spec } })).toBe(base);
    const crop = crops[0]!;
    const changed = { ...crop, data: crop.data.slice() };
    changed.data[0] = changed.data[0]! ^ 1;
    expect(cropKey(changed)).not.toBe(cropKey(crop));
    expect(cropKey({ ...crop, data: crop.data.slice() })).toBe(cropKey(crop));

    const dir = tempDir('features-damaged');
    const c = counted(faceres);
    const cached = withFeatureCache(c.rec, dir);
    const [e0] = await cached.embed([crop]);
    const file = join(dir, 'embedding', cropKey(crop).slice(0, 2), `${cropKey(crop)}.f32`);
    expect(existsSync(file)).toBe(true);
    writeFileSync(file, new Uint8Array(10)); // truncated
    const [e1] = await withFeatureCache(c.rec, dir).embed([crop]);
    expect(c.calls.embed).toBe(2);
    expect(Array.from(e1!)).toEqual(Array.from(e0!));
    expect(readdirSync(join(dir, 'embedding'))).toHaveLength(1);
    expect(cached.featureCache.stats.embedding).toEqual({ hits: 0, misses: 1 });
  }, 300_000);
});
