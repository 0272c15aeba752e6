/**
 * `trainMethod` end to end on a tiny labelled dataset with a real FR model (mobileface): the run record, metrics,
 * checkpoint and labels table; `<method>:<run-id>` scoring the same as the stored predictions; parameter and FR
 * checks when opening; DifFIQA's local UNet and DifFIQA(R) on its scores.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, encodePng, openDatasetEntry, type OpenedDataset } from '@aikd/datasets';
import { readResultTable, readRunRecord, runsDir } from '@aikd/results';
import { createProcedure } from '@aikd/alignment';
import { createRecognizer, withFeatureCache, type Recognizer } from '@aikd/fr-models';
import { certaintyRatios, createQualityMethod, frozenFeatures, trainMethod, type TrainedMethodRun } from '../src/index.ts';
import { bits, counted, randomCrop, realFaces, tempDir } from './helpers.ts';

const root = tempDir('teacher');
const results = join(root, 'results');
const saved = { home: process.env.AIKD_HOME, results: process.env.AIKD_RESULTS };
let ds: OpenedDataset;
let rec: Recognizer;
const ids: string[] = [];

beforeAll(async () => {
  process.env.AIKD_HOME = join(root, 'home');
  process.env.AIKD_RESULTS = join(root, 'default-results');
  for (let p = 0; p < 4; p++)
    for (let k = 0; k < 3; k++) {
      const id = `p${p}/img${k}.png`;
      mkdirSync(join(root, 'crops', `p${p}`), { recursive: true });
      // images of one identity share a base pattern, so the FR model sees some identity structure
      const base = randomCrop(`base${p}`, 112), noise = randomCrop(`n${p}-${k}`, 112);
      writeFileSync(join(root, 'crops', id), await encodePng({ ...base, data: base.data.map((v, i) => (i % 7 === k ? noise.data[i]! : v)) }));
      ids.push(id);
    }
  ds = await openDatasetEntry({ name: 'tiny-ids', format: 'folder', paths: { images: join(root, 'crops') }, aligned: true, crop_size: 112 }, { dataRoot: root });
  rec = await createRecognizer('mobileface');
}, 120_000); // the first use converts mobileface to ONNX in this fresh AIKD_HOME: over the default 10 s on a busy machine
afterAll(async () => {
  await rec.dispose();
  await ds.close();
  for (const [k, v] of [['AIKD_HOME', saved.home], ['AIKD_RESULTS', saved.results]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const fast = { epochs: 4, batchSize: 4, valFraction: 0.25 };
const crops = async () => Promise.all(ids.map(async (id) => decodeImage(await ds.readImage(id))));

describe('trainMethod: regressors', () => {
  let cr: TrainedMethodRun;

  it('CR-FIQA: a teacher-train run under the parent, with metrics, the best head, and a labels table', async () => {
    cr = await trainMethod('crfiqa', { dataset: ds, frModel: 'mobileface', params: fast, seed: 0, parent: 'exp-1', root: results, testIdentities: ['q9'] });
    expect(cr.methodId).toBe(`crfiqa:${cr.runId}`);
    const dir = join(runsDir(results), cr.runId);
    const run = readRunRecord(join(dir, 'run.json'));
    expect(run).toMatchObject({ kind: 'teacher-train', parent: 'exp-1', status: 'completed' });
    expect(run.params).toMatchObject({ method: 'crfiqa', dataset: 'tiny-ids', fr_model: 'mobileface', seed: 0, test_identities: ['q9'], params: { epochs: 4, beta: 0.5, hidden: 64, input: 'embedding' } });
    expect(run.summary).toMatchObject({ method_id: cr.methodId, images: 12, labelled: 12, train_images: 9, val_images: 3, val_identities: 1 });
    expect(existsSync(join(dir, 'head', 'head.json')) && existsSync(join(dir, 'head', 'head.bin'))).toBe(true);
    const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; name: string });
    expect(metrics.filter((m) => m.name === 'train_loss')).toHaveLength(4 * 3); // 9 images in batches of 4, 4 epochs
    expect(metrics.filter((m) => m.name === 'val_loss')).toHaveLength(4);
    // the labels are CCS/NNCCS of the same embeddings
    const { table, provenance } = readResultTable(join(dir, 'teacher_labels.arrow'));
    expect(provenance).toMatchObject({ kind: 'teacher_labels', method: 'crfiqa', fr_model: 'mobileface', dataset: 'tiny-ids', run_id: cr.runId });
    expect(table.getChild('image_id')!.toArray()).toEqual(ids);
    const emb = await frozenFeatures(ds, rec, { input: 'embedding', procedure: createProcedure('proper'), seed: 0 });
    expect(emb.fromCache).toBe(true); // computed once, by the training
    const want = certaintyRatios({ n: 12, dim: emb.featureShape[0]!, data: emb.X }, ids.map((i) => i.split('/')[0]!)).ratio;
    expect(Array.from(table.getChild('label')!.toArray() as Float64Array)).toEqual(Array.from(want));
    expect(new Set(table.getChild('split')!.toArray() as string[])).toEqual(new Set(['train', 'val']));
    // scoring with crfiqa:<run-id> gives the stored predictions
    const m = await createQualityMethod(cr.methodId, { root: results, frModel: rec });
    expect(m.frModel).toBe('mobileface');
    const q = await m.score(await crops(), { ids, seed: 0 });
    const stored = table.getChild('prediction')!.toArray() as Float64Array;
    q.forEach((v, i) => expect(v).toBeCloseTo(stored[i]!, 5));
    await m.dispose();
  });

  it('opening a run checks the FR model, the method and the training parameters', async () => {
    await expect(createQualityMethod(cr.methodId, { root: results, frModel: 'faceres' })).rejects.toThrow(/is a head on mobileface's embedding; it cannot score with faceres/);
    await expect(createQualityMethod(cr.methodId, { root: results, frModel: rec, params: { epochs: 9 } })).rejects.toThrow(/was trained with epochs = 4, not 9/);
    await expect(createQualityMethod(cr.methodId, { root: results, frModel: rec, params: { R: 2 } })).rejects.toThrow(/unknown parameter R/);
    const same = await createQualityMethod(cr.methodId, { root: results, frModel: rec, params: { epochs: 4, beta: 0.5 } }); // what an experiment passes
    await same.dispose();
    await expect(createQualityMethod(`sddfiqa:${cr.runId}`, { root: results, frModel: rec })).rejects.toThrow(/is a "teacher-train" run of crfiqa, not a sddfiqa training run/);
    await expect(createQualityMethod('crfiqa:no-such-run', { root: results })).rejects.toThrow(/no run "no-such-run"/);
    await expect(trainMethod('serfiq', { dataset: ds, frModel: rec, seed: 0, root: results })).rejects.toThrow(/"serfiq" is not a learned method/);
    await expect(trainMethod('crfiqa', { dataset: ds, frModel: rec, seed: 0, root: results, params: { hiden: 3 } })).rejects.toThrow(/crfiqa: unknown parameter hiden/);
  });

  it('crfiqa:<run-id> (embedding and features heads) scores real faces bit-for-bit the same through the feature cache, reusing the forward pass of the method before it', async () => {
    const faces = await realFaces(rec);
    const faceIds = faces.map((_, i) => `face${i}`);
    const crf = await trainMethod('crfiqa', { dataset: ds, frModel: rec, params: { ...fast, input: 'features' }, seed: 0, root: results });
    for (const [run, first, feature] of [
      [cr.methodId, 'embedding-norm', 'embed'],
      [crf.methodId, 'serfiq', 'features'],
    ] as const) {
      const plain = await createQualityMethod(run, { root: results, frModel: rec, featureCache: false });
      const q0 = await plain.score(faces, { ids: faceIds, seed: 0 });
      await plain.dispose();
      const c = counted(rec);
      const dir = tempDir(`head-features-${feature}`);
      const before = await createQualityMethod(first, { frModel: withFeatureCache(c.rec, dir), params: first === 'serfiq' ? { T: 4 } : {} });
      await before.score(faces, { ids: faceIds, seed: 0 });
      await before.dispose();
      expect(c.calls[feature]).toBe(faces.length);
      const head = await createQualityMethod(run, { root: results, frModel: withFeatureCache(c.rec, dir) });
      const q1 = await head.score(faces, { ids: faceIds, seed: 0 });
      await head.dispose();
      expect(c.calls.embed + c.calls.features, run).toBe(faces.length); // the head ran no FR forward pass
      expect(q0.every(Number.isFinite)).toBe(true);
      expect(bits(q1), run).toEqual(bits(q0));
    }
  });

  it('SDD-FIQA and FaceQnet train too; their tables carry the labels in [0, 100] and the references', async () => {
    const sdd = await trainMethod('sddfiqa', { dataset: ds, frModel: rec, params: { ...fast, m: 2, K: 3 }, seed: 1, root: results });
    const t1 = readResultTable(join(runsDir(results), sdd.runId, 'teacher_labels.arrow')).table;
    const l1 = Array.from(t1.getChild('label')!.toArray() as Float64Array);
    expect(Math.min(...l1)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...l1)).toBeLessThanOrEqual(100);
    const fq = await trainMethod('faceqnet', { dataset: ds, frModel: rec, params: fast, seed: 0, root: results });
    const t2 = readResultTable(join(runsDir(results), fq.runId, 'teacher_labels.arrow')).table;
    const refs = t2.getChild('reference')!.toArray() as string[];
    expect(new Set(refs).size).toBe(4); // one reference per identity, from that identity
    refs.forEach((r, i) => expect(r.split('/')[0]).toBe(ids[i]!.split('/')[0]));
    const l2 = Array.from(t2.getChild('label')!.toArray() as Float64Array);
    refs.forEach((r, i) => r === ids[i] && expect(l2[i]).toBe(1));
    expect(fq.summary).toMatchObject({ references: 4 });
  });
});

describe('trainMethod: DifFIQA and DifFIQA(R)', () => {
  const unet = { size: 28, channels: [4, 8], timeDim: 8, trainSteps: 6, batchSize: 4, evalEvery: 3 };

  it('diffiqa trains the local UNet; diffiqa:<run-id> scores around any FR model; diffiqa-r distils its min-max scores with L1', async () => {
    const d = await trainMethod('diffiqa', { dataset: ds, frModel: rec, params: unet, seed: 0, root: results });
    expect(d.methodId).toBe(`diffiqa:${d.runId}`);
    expect(d.summary.unet).toMatch(/small local UNet: \d+ parameters, 28×28, channels 4\/8, pred-x0, 6 Adam steps — not the paper's UNet/);
    const m = await createQualityMethod(d.methodId, { root: results, frModel: rec, params: { R: 1 } });
    expect(m.params).toMatchObject({ R: 1, t: 5, steps: 6, denoiser_size: 28 });
    expect(String(m.params.denoiser)).toMatch(/small local UNet of run .*not the paper's UNet/);
    const q = await m.score((await crops()).slice(0, 2), { ids: ids.slice(0, 2), seed: 0 });
    q.forEach((v) => expect(v > 0 && v <= 1).toBe(true));
    await m.dispose();

    const r = await trainMethod('diffiqa-r', { dataset: ds, frModel: rec, params: { ...fast, R: 1, diffiqa: d.methodId }, seed: 0, root: results });
    expect(r.summary).toMatchObject({ denoiser: `local UNet diffiqa:${d.runId}`, denoiser_run: d.runId });
    const t = readResultTable(join(runsDir(results), r.runId, 'teacher_labels.arrow')).table;
    const raw = Array.from(t.getChild('diffiqa')!.toArray() as Float64Array), lab = Array.from(t.getChild('label')!.toArray() as Float64Array);
    const lo = Math.min(...raw), hi = Math.max(...raw);
    raw.forEach((v, i) => expect(lab[i]).toBeCloseTo((v - lo) / (hi - lo), 12));
    // the first two raw scores are the ones just computed (same seed, R, UNet and FR model)
    expect(raw.slice(0, 2)).toEqual(Array.from(q));
    expect(readRunRecord(join(runsDir(results), r.runId, 'run.json')).params).toMatchObject({ params: { R: 1, diffiqa: d.methodId } });
  });

  it('diffiqa-r without a denoiser trains a local UNet first, as a child run', async () => {
    const r = await trainMethod('diffiqa-r', { dataset: ds, frModel: rec, params: { ...fast, R: 1, unetSize: 28, unetChannels: [4], unetSteps: 2 }, seed: 2, root: results });
    const child = readRunRecord(join(runsDir(results), String(r.summary.denoiser_run), 'run.json'));
    expect(child).toMatchObject({ kind: 'teacher-train', parent: r.runId, status: 'completed', params: { method: 'diffiqa', params: { size: 28, channels: [4], trainSteps: 2 } } });
  });
});
