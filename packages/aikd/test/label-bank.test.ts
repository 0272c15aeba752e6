/** The label bank: seeded degraded variants of the training faces, made and scored once (cached by content). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initRuntime } from '@aikd/runtime';
import { sha256Hex } from '@aikd/core';
import { decodeImage, type Dataset } from '@aikd/datasets';
import { disposeSharedDetectors } from '@aikd/alignment';
import { createQualityMethod, type QualityMethod } from '@aikd/teachers';
import { buildLabelBank, variantDraw } from '../src/train/label-bank.ts';
import { sourceImages } from '../src/train/data.ts';
import { resolveTrainConfig, LABEL_BANK_FAMILIES } from '../src/train/config.ts';
import { trainAikd } from '../src/train/train.ts';
import { facesDataset } from './faces.ts';

let ds: Dataset;
let home: string;
let norm: QualityMethod;
const saved = process.env.AIKD_HOME;
/** The teacher, with a count of the images it scored. */
let scoredImages = 0;
const teacher = (): QualityMethod => ({
  ...norm,
  async score(crops, ctx) {
    scoredImages += crops.length;
    return norm.score(crops, ctx);
  },
  async dispose() {},
});

beforeAll(async () => {
  await initRuntime();
  home = mkdtempSync(join(tmpdir(), 'aikd-bank-'));
  process.env.AIKD_HOME = home;
  ds = await facesDataset();
  norm = await createQualityMethod('embedding-norm', { frModel: 'mobileface' });
}, 120_000);
afterAll(async () => {
  await norm.dispose();
  await disposeSharedDetectors();
  if (saved === undefined) delete process.env.AIKD_HOME;
  else process.env.AIKD_HOME = saved;
  rmSync(home, { recursive: true, force: true });
});

const build = (perFace: number, seed: number, families = LABEL_BANK_FAMILIES) =>
  buildLabelBank(ds.images(), sourceImages(ds), (id) => ds.readImage(id), teacher(), { families, perFace, seed, datasetName: ds.name });
const bytesOf = async (bank: Awaited<ReturnType<typeof build>>) => Promise.all(bank.variants.map(async (v) => sha256Hex(await bank.dataset.readImage(v.record.id))));

describe('label bank', () => {
  it('variant k of a face: families cycle from a seeded offset (per_face = 8 covers each once), strengths drawn from U(0, 1)', () => {
    const draws = Array.from({ length: 8 }, (_, k) => variantDraw(5, 'face-a', k, LABEL_BANK_FAMILIES));
    expect(new Set(draws.map((d) => d.family)).size).toBe(8);
    const offset = (LABEL_BANK_FAMILIES as readonly string[]).indexOf(draws[0]!.family);
    draws.forEach((d, k) => expect<string>(d.family).toBe(LABEL_BANK_FAMILIES[(offset + k) % 8]!));
    expect(draws.every((d) => d.severity >= 0 && d.severity < 1)).toBe(true);
    expect(new Set(draws.map((d) => d.severity)).size).toBe(8); // continuous, not levels
    expect(variantDraw(5, 'face-a', 3, LABEL_BANK_FAMILIES)).toEqual(draws[3]); // a draw depends on (seed, face, k) only
    expect(variantDraw(6, 'face-a', 3, LABEL_BANK_FAMILIES)).not.toEqual(draws[3]);
  });

  it('the same seed gives the same variants and labels, made and scored once; another seed other variants', async () => {
    scoredImages = 0;
    const a = await build(2, 1);
    const faces = ds.images().length;
    expect(a.variants.length).toBe(2 * faces);
    expect([a.summary.made, a.summary.scored, scoredImages]).toEqual([2 * faces, 2 * faces, 2 * faces]);
    // each variant: its parent's identity, the drawn family and strength, landmarks, a finite teacher quality
    for (const v of a.variants) {
      expect(v.record.identity).toBe(ds.image(v.parent)!.identity);
      expect({ family: v.family, severity: v.severity }).toEqual(variantDraw(1, v.parent, Number(v.record.id.split('#bank')[1]), LABEL_BANK_FAMILIES));
      expect(v.record.landmarks).toHaveLength(5);
      expect(Number.isFinite(a.labels.get(v.record.id))).toBe(true);
    }
    const img = await decodeImage(await a.dataset.readImage(a.variants[0]!.record.id));
    expect([img.width, img.height]).toEqual([256, 256]);

    // again: everything from the cache, bit-identical, no scoring
    scoredImages = 0;
    const b = await build(2, 1);
    expect([b.summary.made, b.summary.scored, scoredImages]).toEqual([0, 0, 0]);
    expect(await bytesOf(b)).toEqual(await bytesOf(a));
    expect([...b.labels]).toEqual([...a.labels]);

    // another seed: other variants (and new scores)
    const c = await build(2, 2);
    expect(c.summary.made).toBe(2 * faces);
    const hashesA = await bytesOf(a);
    expect((await bytesOf(c)).filter((h, i) => h === hashesA[i]).length).toBe(0);
  });

  it('a larger bank contains the smaller one: only the new variants are made and scored', async () => {
    const small = await build(2, 1);
    scoredImages = 0;
    const large = await build(4, 1);
    const faces = ds.images().length;
    expect([large.summary.made, large.summary.scored, scoredImages]).toEqual([2 * faces, 2 * faces, 2 * faces]);
    const smallIds = new Set(small.variants.map((v) => v.record.id));
    for (const v of large.variants.filter((x) => smallIds.has(x.record.id))) expect(large.labels.get(v.record.id)).toBe(small.labels.get(v.record.id));
  });

  it('the trainer uses it: variants of the training faces only, labels normalised over both, the count recorded', async () => {
    const cfg = resolveTrainConfig(undefined, { dataset: ds.name, method: 'embedding-norm', labelsFrModel: 'mobileface', batch: 8, epochs: 1, microBatch: 8, seed: 1, augmentPerFace: 2, lr: 1e-3 });
    expect(cfg.data.augment).toEqual({ families: [...LABEL_BANK_FAMILIES], per_face: 2 });
    const labels = new Map(ds.images().map((r, i) => [r.id, 10 + i]));
    const r = await trainAikd({ config: cfg, dataset: ds, labels, labelsInfo: { method: 'embedding-norm' }, teacher: async () => teacher() }, { resultsRoot: join(home, 'results') });
    const data = (r.run.info.params as { data: { train: number; val: number; augment: { variants: number; used: number; faces_trained: number } } }).data;
    // 6 faces, one identity validates: 5 training faces × 2 variants
    expect([data.val, data.augment.faces_trained, data.augment.variants, data.augment.used, data.train]).toEqual([1, 5, 10, 10, 15]);
    expect(r.steps).toBe(2); // 15 training items, batch 8
    expect((r.run.info.params as { deviations: { option: string }[] }).deviations.map((d) => d.option)).toContain('data.augment');
    r.models.dispose();
  });
});
