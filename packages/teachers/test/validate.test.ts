/** `aikd methods --validate`: quality vs degradation level with an identity-bootstrap interval. */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rngFor } from '@aikd/core';
import { templateForSize } from '@aikd/alignment';
import { openDatasetEntry, encodePng, type OpenedDataset, type RawImage } from '@aikd/datasets';
import { clusterBootstrap, degradationTracking, identitySubset, quantileSorted, validateMethods, type QualityMethod } from '../src/index.ts';
import { randomCrop, tempDir } from './helpers.ts';

/** Spearman written out: Pearson correlation of ranks, tied values sharing the mean of their positions. */
function spearmanByHand(a: number[], b: number[]): number {
  const rank = (v: number[]) => v.map((x) => {
    const below = v.filter((y) => y < x).length, equal = v.filter((y) => y === x).length;
    return below + (equal + 1) / 2;
  });
  const ra = rank(a), rb = rank(b), n = a.length, m = (n + 1) / 2;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) (ab += (ra[i]! - m) * (rb[i]! - m)), (aa += (ra[i]! - m) ** 2), (bb += (rb[i]! - m) ** 2);
  return ab / Math.sqrt(aa * bb);
}

describe('bootstrap helpers', () => {
  it('quantiles interpolate between order statistics as numpy does', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12); // np.quantile([1,2,3,4], .25)
    expect(quantileSorted([1, 2, 3, 4, 5], 0.1)).toBeCloseTo(1.4, 12);
    expect(quantileSorted([7], 0.975)).toBe(7);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it('the percentile interval of a mean over 50 fair coin clusters is ≈ ±1.96·0.5/√50', () => {
    const values = Array.from({ length: 50 }, (_, i) => i % 2);
    const clusters = values.map((_, i) => [i]);
    const mean = (idx: readonly number[]) => idx.reduce((s, i) => s + values[i]!, 0) / idx.length;
    const ci = clusterBootstrap(clusters, mean, { B: 4000, rng: rngFor(1, 'coin') });
    expect(ci.estimate).toBe(0.5);
    const half = (1.96 * 0.5) / Math.sqrt(50);
    expect(ci.low).toBeCloseTo(0.5 - half, 1);
    expect(ci.high).toBeCloseTo(0.5 + half, 1);
    expect(Math.abs(ci.high - ci.low - 2 * half)).toBeLessThan(0.03);
    // seeded: the same seed gives the same interval, another seed a (slightly) different one
    expect(clusterBootstrap(clusters, mean, { B: 4000, rng: rngFor(1, 'coin') })).toEqual(ci);
    const u = Array.from({ length: 30 }, (_, i) => rngFor('u', i).next());
    const meanU = (idx: readonly number[]) => idx.reduce((a, i) => a + u[i]!, 0) / idx.length;
    const byClusters = u.map((_, i) => [i]);
    expect(clusterBootstrap(byClusters, meanU, { B: 200, rng: rngFor(2, 'u') }).low).not.toBe(clusterBootstrap(byClusters, meanU, { B: 200, rng: rngFor(3, 'u') }).low);
  });

  it('clusters move together: one cluster holding everything gives a zero-width interval', () => {
    const ci = clusterBootstrap([[0, 1, 2, 3]], (idx) => idx.length, { B: 50, rng: rngFor(0, 'one') });
    expect([ci.estimate, ci.low, ci.high]).toEqual([4, 4, 4]);
  });
});

describe('degradationTracking', () => {
  // 4 identities × 1 face × (clean + blur + noise), severity 0 / 0.5 / 0.9
  const recs = ['a', 'b', 'c', 'd'].flatMap((p) =>
    (['clean', 'blur', 'noise'] as const).map((d, k) => ({ id: `${p}/${d}.png`, identity: p, attributes: { source: `${p}.jpg`, face: 0, degradation: d, severity: [0, 0.5, 0.9][k]! } })),
  );
  const sev = recs.map((r) => r.attributes.severity);

  it('ρ, the per-family counts of degraded-below-clean, and a bootstrap over identities', () => {
    // quality: blur always below clean, noise above clean for identity a only
    const q = recs.map((r, i) => (r.attributes.degradation === 'clean' ? 1 : r.attributes.degradation === 'blur' ? 0.5 - i * 0.01 : r.identity === 'a' ? 2 : 0.1 + i * 0.001));
    const t = degradationTracking(recs, q, sev, { B: 500, seed: 3, label: ['x'] });
    expect(t.identities).toBe(4);
    expect(t.by_degradation).toEqual({ blur: { faces: 4, below_clean: 4 }, noise: { faces: 4, below_clean: 3 } });
    expect(t.estimate).toBeLessThan(0);
    expect(t.low).toBeLessThanOrEqual(t.estimate);
    expect(t.high).toBeGreaterThanOrEqual(t.estimate);
    // −severity ranks perfectly in every replicate
    const oracle = degradationTracking(recs, sev.map((s) => -s), sev, { B: 200, seed: 3, label: ['x'] });
    expect([oracle.estimate, oracle.low, oracle.high]).toEqual([-1, -1, -1]);
  });
});

describe('validateMethods on a small real dataset', () => {
  const root = tempDir('validate');
  let ds: OpenedDataset;
  const saved = process.env.AIKD_HOME;
  const severities = [0, 0.2, 0.5, 0.8];
  beforeAll(async () => {
    process.env.AIKD_HOME = join(root, 'home');
    const rows = ['image,identity,source,face,degradation,severity'];
    for (let p = 0; p < 6; p++) {
      mkdirSync(join(root, 'img', `p${p}`), { recursive: true });
      const base = randomCrop(`v${p}`, 112);
      for (const [k, s] of severities.entries()) {
        // darker with severity, plus a little seeded noise so the brightness ranking is not trivially exact everywhere
        const r = rngFor('validate-test', p, k);
        const img: RawImage = { ...base, data: Uint8Array.from(base.data, (v) => Math.max(0, Math.min(255, Math.round(v * (1 - 0.6 * s) + r.uniform(-2, 2))))) };
        const name = `p${p}/f__${k ? 'dark' : 'clean'}-${k}.png`;
        writeFileSync(join(root, 'img', name), await encodePng(img));
        rows.push(`${name},p${p},p${p}.jpg,0,${k ? 'dark' : 'clean'},${s}`);
      }
    }
    writeFileSync(join(root, 'attributes.csv'), rows.join('\n') + '\n');
    ds = await openDatasetEntry({ name: 'graded', format: 'folder', paths: { images: join(root, 'img') }, attributes: join(root, 'attributes.csv'), aligned: true, crop_size: 112 }, { dataRoot: root });
  });
  afterAll(async () => {
    await ds.close();
    if (saved === undefined) delete process.env.AIKD_HOME;
    else process.env.AIKD_HOME = saved;
  });

  /** A quality method that measures mean brightness (so it tracks this dataset's darkening exactly). */
  const brightness = (id: string): QualityMethod => ({
    id,
    requires: {},
    params: {},
    weightsHash: `brightness-${id}`,
    range: { min: 0, max: 255 },
    input: { size: 112, template: templateForSize(112) },
    batchSize: 8,
    async score(crops) {
      return Float64Array.from(crops, (c) => c.data.reduce((s, v) => s + v, 0) / c.data.length);
    },
    async dispose() {},
  });

  it('a row per method × FR model: ρ as recomputed by hand, a seeded identity-bootstrap interval, a verdict; failures to open are listed', async () => {
    const opened: string[] = [];
    const opts = {
      methods: ['bright', 'inverse', 'broken'],
      frModels: ['fr-a', 'fr-b'],
      ownModel: new Set(['inverse']),
      open: async (m: string, fr: string | undefined) => {
        opened.push(`${m}@${fr ?? '-'}`);
        if (m === 'broken') throw new Error('needs weights');
        const b = brightness(m);
        return m === 'inverse' ? { ...b, frModel: 'own', async score(c: readonly RawImage[]) { return (await b.score(c, { ids: [], seed: 0 })).map((v) => -v); } } : { ...b, frModel: fr };
      },
      bootstrap: 300,
      seed: 5,
    };
    const rep = await validateMethods(ds, opts);
    expect(opened).toEqual(['bright@fr-a', 'bright@fr-b', 'inverse@-', 'broken@fr-a', 'broken@fr-b']);
    expect(rep.rows.map((r) => [r.method, r.fr_model, r.images, r.identities])).toEqual([
      ['bright', 'fr-a', 24, 6],
      ['bright', 'fr-b', 24, 6],
      ['inverse', 'own', 24, 6],
    ]);
    expect(rep.skipped.map((s) => [s.method, s.fr_model, s.reason])).toEqual([
      ['broken', 'fr-a', 'needs weights'],
      ['broken', 'fr-b', 'needs weights'],
    ]);
    // ρ recomputed from the images: mean brightness of each (proper-aligned = identical 112 crop) against severity
    const { decodeImage } = await import('@aikd/datasets');
    const q: number[] = [], s: number[] = [];
    for (const r of ds.images()) {
      const img = await decodeImage(await ds.readImage(r.id));
      q.push(img.data.reduce((a, v) => a + v, 0) / img.data.length);
      s.push(Number(r.attributes!.severity));
    }
    const bright = rep.rows[0]!;
    expect(bright.rho).toBeLessThan(-0.5);
    expect(bright.rho).toBeCloseTo(spearmanByHand(q, s), 12);
    expect(bright.verdict).toBe('tracks');
    expect(bright.low).toBeLessThanOrEqual(bright.rho);
    expect(bright.high).toBeLessThan(0);
    expect(bright.by_degradation).toEqual({ dark: { faces: 18, below_clean: 18 } });
    expect(rep.rows[2]!.verdict).toBe('inverted');
    expect(rep.rows[2]!.rho).toBeCloseTo(-bright.rho, 12);
    expect(rep.bootstrap).toEqual({ B: 300, level: 0.95, unit: 'identity' });
    expect(rep.content_key).toMatch(/^[0-9a-f]{16,}$/);
    // the same seed: the same intervals; a subset of identities scores fewer images
    expect((await validateMethods(ds, opts)).rows.map((r) => [r.low, r.high])).toEqual(rep.rows.map((r) => [r.low, r.high]));
    const sub = await validateMethods(ds, { ...opts, methods: ['bright'], frModels: ['fr-a'], identities: 3 });
    expect([sub.rows[0]!.images, sub.rows[0]!.identities]).toEqual([12, 3]);
    expect(identitySubset(ds, 3).images().map((r) => r.identity)).toEqual(['p1', 'p1', 'p1', 'p1', 'p3', 'p3', 'p3', 'p3', 'p5', 'p5', 'p5', 'p5']);
  });

  it('a dataset without a severity per image is a clear error', async () => {
    const plain = { ...ds, name: 'plain', images: () => ds.images().map((r) => ({ ...r, attributes: { degradation: 'clean' } })) };
    await expect(validateMethods(plain, { methods: ['x'], frModels: ['y'], open: async () => brightness('x'), bootstrap: 10, seed: 0 })).rejects.toThrow(/plain: image p0\/f__clean-0\.png has no numeric "severity" attribute/);
  });
});
