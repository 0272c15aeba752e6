/**
 * Pilot: do the reference defaults and the label bank change how AI-KD students rank real faces never used in
 * training? (issue 23, "On real faces never used in training"). A pilot: one teacher, a few seeds, a tiny hidden set.
 *
 * Hidden set: dlib's `examples/johns` (Debian source package `dlib`, orig tarball; 5 people × 11 face chips of
 * 150 px). Each chip: face found by the workbench's detector (faceapi-ssd, 5 points, on the chip centred in a canvas
 * twice its size: the chips are too tight for the detector otherwise), a 256-px loose crop around it
 * (face box 128 px, as the demo set's), then 5 levels of one degradation (severity 0, 0.25, 0.5, 0.75, 1; the family
 * cycles over the chips). Two test conditions per image: proper alignment and landmark-jitter p = 3 (seed 7).
 *
 * Teacher: SER-FIQ on faceres. Students: mobileface AI-KD trained on the whole demo set with that teacher's labels;
 * configurations × training seeds. Per model, on the hidden set:
 *   ρ(student(x̃), teacher(x))   student on jittered crops vs the teacher on the aligned crops
 *   ρ(teacher(x̃), teacher(x))   the teacher itself from the jittered crops (its own alignment stability)
 *   ρ(q, severity)               quality against the degradation level (negative = tracks it)
 * with identity-bootstrap intervals (5 identities: wide by construction).
 *
 *   node --import tsx packages/aikd/scripts/hidden-faces-pilot.ts --johns DIR [--seeds 1,2] [--configs a,b]
 *        [--epochs 20] [--bank-epochs 4] [--per-face 4] [--out pilot.json]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initRuntime } from '@aikd/runtime';
import { aikdHome, rngFor, textTable } from '@aikd/core';
import { decodeImage, encodePng, openDataset, openDatasetEntry, type Dataset, type ImageRecord } from '@aikd/datasets';
import { applyAffineToLandmarks, createProcedure, degrade, looseCrop, referenceLandmarks, warpAffine, type DegradationName, type Landmarks5 } from '@aikd/alignment';
import { createQualityMethod, scoreDataset, spearman, clusterBootstrap } from '@aikd/teachers';
import { listRuns } from '@aikd/results';
import { configHash } from '@aikd/core';
import { resolveTrainConfig, type TrainConfig } from '../src/train/config.ts';
import { teacherLabels } from '../src/train/command.ts';
import { trainAikd } from '../src/train/train.ts';
import { createAikdMethod } from '../src/method.ts';
import { fitLinearProbe } from './linear-probe.ts';
import { createRecognizer, embedDataset } from '@aikd/fr-models';

const { values: a } = parseArgs({
  options: {
    johns: { type: 'string' },
    seeds: { type: 'string', default: '1,2' },
    configs: { type: 'string', default: 'defaults,bank' },
    /** Evaluate these completed training runs (e.g. the study's students) instead of training --configs × --seeds. */
    runs: { type: 'string' },
    epochs: { type: 'string', default: '20' },
    'bank-epochs': { type: 'string', default: '4' },
    'per-face': { type: 'string', default: '4' },
    out: { type: 'string', default: '' },
    /** The teacher's SER-FIQ passes: as the students' labels were made (the study and the quickstart use 30). */
    'serfiq-T': { type: 'string', default: '100' },
  },
});
const serfiqParams = Number(a['serfiq-T']) === 100 ? {} : { T: Number(a['serfiq-T']) };
if (!a.johns) throw new Error('give --johns DIR (dlib-19.24+dfsg/examples/johns from the Debian dlib source package)');
await initRuntime();

// ---- the hidden set, written once as a folder dataset with landmarks and attributes
const FAMILIES: DegradationName[] = ['blur', 'noise', 'jpeg', 'downup', 'exposure', 'occlusion', 'motion-blur'];
const LEVELS = [0, 0.25, 0.5, 0.75, 1];
const hiddenDir = join(aikdHome(), 'pilot', 'johns-hidden');
async function buildHidden(): Promise<Dataset> {
  const lm: string[] = [], attrs = ['image,identity,degradation,severity,chip'];
  const people = readdirSync(a.johns!).sort();
  let chip = 0;
  for (const person of people)
    for (const f of readdirSync(join(a.johns!, person)).sort()) {
      const img = await decodeImage(readFileSync(join(a.johns!, person, f)));
      const rec: ImageRecord = { id: `${person}/${f}`, identity: person };
      let landmarks: Landmarks5;
      try {
        // dlib's chips are tight: the detector finds the face on the chip centred in a canvas twice its size
        const pad = img.width / 2;
        const canvas = warpAffine(img, [[1, 0, pad], [0, 1, pad]], img.width * 2, img.height * 2);
        landmarks = (await referenceLandmarks(canvas, rec, { size: 112, seed: 0 }, 'faceapi-ssd')).landmarks.map(([x, y]) => [x - pad, y - pad]) as Landmarks5;
      } catch {
        process.stderr.write(`no face in ${rec.id}, left out\n`);
        continue;
      }
      const iod = Math.hypot(landmarks[1][0] - landmarks[0][0], landmarks[1][1] - landmarks[0][1]);
      const cx = (landmarks[0][0] + landmarks[1][0] + landmarks[3][0] + landmarks[4][0]) / 4, cy = (landmarks[0][1] + landmarks[1][1] + landmarks[3][1] + landmarks[4][1]) / 4;
      const box: [number, number, number, number] = [cx - 1.25 * iod, cy - 1.25 * iod, 2.5 * iod, 2.5 * iod];
      const crop = looseCrop(img, box, 256, 2);
      const inCrop = applyAffineToLandmarks(crop.matrix, landmarks);
      const family = FAMILIES[chip % FAMILIES.length]!;
      for (const s of LEVELS) {
        const d = s === 0 ? { image: crop.image, geometry: [[1, 0, 0], [0, 1, 0]] as const } : await degrade(family, crop.image, s, rngFor(0, 'hidden', rec.id, s), [64, 64, 128, 128]);
        const id = `${person}/${f.replace(/\.jpg$/, '')}__${s === 0 ? 'clean' : family}-${s}.png`;
        mkdirSync(join(hiddenDir, 'images', person), { recursive: true });
        writeFileSync(join(hiddenDir, 'images', id), await encodePng(d.image));
        lm.push(`${id} ${applyAffineToLandmarks(d.geometry as never, inCrop).flat().map((v) => v.toFixed(3)).join(' ')}`);
        attrs.push(`${id},${person},${s === 0 ? 'clean' : family},${s},${chip}`);
      }
      chip++;
    }
  writeFileSync(join(hiddenDir, 'landmarks.txt'), lm.join('\n') + '\n');
  writeFileSync(join(hiddenDir, 'attributes.csv'), attrs.join('\n') + '\n');
  return openDatasetEntry({ name: 'johns-hidden', format: 'folder', paths: { images: join(hiddenDir, 'images') }, landmarks: join(hiddenDir, 'landmarks.txt'), attributes: join(hiddenDir, 'attributes.csv') }, { dataRoot: hiddenDir });
}
const hidden = await buildHidden();
const sev = hidden.images().map((r) => Number(r.attributes!.severity));
const ident = hidden.images().map((r) => r.identity!);
process.stderr.write(`hidden set: ${hidden.images().length} images, ${new Set(ident).size} people\n`);

// ---- teacher on the hidden set: aligned and jittered
const teacher = await createQualityMethod('serfiq', { frModel: 'faceres', params: serfiqParams });
const jitter = createProcedure('landmark-jitter', { p: 3 });
const scoreOn = async (m: Parameters<typeof scoreDataset>[1], cond: 'proper' | 'jitter') =>
  Array.from((await scoreDataset(hidden, m, { alignment: cond === 'proper' ? 'proper' : jitter, seed: 7 })).quality);
const tAl = await scoreOn(teacher, 'proper');
const tJit = await scoreOn(teacher, 'jitter');
await teacher.dispose();

// ---- students
const demo = await openDataset('demo');
function config(kind: string, seed: number): TrainConfig {
  const bank = kind.startsWith('bank');
  const c = resolveTrainConfig(undefined, {
    dataset: 'demo',
    method: 'serfiq',
    labelsFrModel: 'faceres',
    backbone: 'mobileface',
    epochs: Number(bank ? a['bank-epochs'] : a.epochs),
    batch: 16,
    lr: 1e-3,
    seed,
    name: `hidden-faces pilot ${kind} seed ${seed}`,
    ...(bank ? { augmentPerFace: Number(a['per-face']) } : {}),
  });
  c.labels.seed = 0; // one set of labels (and one label bank) for every training seed
  if (kind.endsWith('-head')) c.model.train_depth = 'head';
  if (kind.endsWith('-stage')) c.model.train_depth = 'last-stage';
  return c;
}
const studentRun = async (cfg: TrainConfig) => {
  const want = configHash(cfg);
  const done = listRuns().filter((r) => r.kind === 'train' && r.status === 'completed' && configHash((r.params as { config?: unknown }).config) === want).at(-1);
  if (done) return done.id;
  const { labels, info, teacher: open } = await teacherLabels(cfg, demo);
  const r = await trainAikd({ config: cfg, dataset: demo, labels, labelsInfo: info, teacher: open });
  r.models.dispose();
  return r.run.id;
};

const estimates = new Map<string, { jitTeacher: number; jitSeverity: number }[]>();
const ci = (q: number[], ref: number[]) => {
  const by = new Map<string, number[]>();
  ident.forEach((p, i) => by.set(p, [...(by.get(p) ?? []), i]));
  const r = clusterBootstrap([...by.values()], (idx) => spearman(idx.map((i) => q[i]!), idx.map((i) => ref[i]!)), { B: 1000, rng: rngFor(0, 'pilot') });
  return `${r.estimate.toFixed(2)} [${r.low.toFixed(2)}, ${r.high.toFixed(2)}]`;
};
const rows: Record<string, unknown>[] = [
  { model: 'teacher SER-FIQ/faceres', seed: '', 'ρ(q(x̃), teacher(x))': ci(tJit, tAl), 'ρ(q(x̃), severity)': ci(tJit, sev), 'ρ(q(x), severity)': ci(tAl, sev) },
];
const raw: Record<string, unknown>[] = [{ model: 'teacher', aligned: tAl, jittered: tJit }];
// ---- the linear-probe bound: ridge on the frozen mobileface embedding of the demo set's aligned crops (all 416, more
// than any student saw) → the teacher's labels (seed 0, as the students'), applied to the hidden jittered crops
{
  const rec = await createRecognizer('mobileface');
  const m = await createQualityMethod('serfiq', { frModel: 'faceres', params: serfiqParams });
  const lab = await scoreDataset(demo, m, { alignment: 'proper', seed: 0 });
  await m.dispose();
  const de = await embedDataset(demo, rec, { alignment: 'proper', seed: 0 });
  const li = new Map(lab.ids.map((id, i) => [id, lab.quality[i]!]));
  const X = de.ids.map((_, i) => de.data.subarray(i * de.dim, (i + 1) * de.dim));
  const probe = fitLinearProbe(X, de.ids.map((id) => li.get(id)!), de.ids.map((id) => demo.image(id)?.identity ?? id));
  const hidEmb = async (alignment: 'proper' | typeof jitter) => {
    const e = await embedDataset(hidden, rec, { alignment, seed: 7 });
    const at = new Map(e.ids.map((id, i) => [id, i]));
    return hidden.images().map((r) => probe.predict(e.data.subarray(at.get(r.id)! * e.dim, (at.get(r.id)! + 1) * e.dim)));
  };
  const pJit = await hidEmb(jitter), pAl = await hidEmb('proper');
  await rec.dispose();
  rows.push({ model: `linear probe on frozen mobileface (demo, λ ${probe.lambda}, CV ρ ${probe.cvRho.toFixed(2)})`, seed: '', 'ρ(q(x̃), teacher(x))': ci(pJit, tAl), 'ρ(q(x̃), severity)': ci(pJit, sev), 'ρ(q(x), severity)': ci(pAl, sev) });
  raw.push({ model: 'linear probe', aligned: pAl, jittered: pJit });
  process.stderr.write(textTable([rows.at(-1)!]) + '\n');
}
const evaluate = async (model: string, seed: number | string, id: string) => {
  const m = await createAikdMethod(id);
  const sJit = await scoreOn(m, 'jitter');
  const sAl = await scoreOn(m, 'proper');
  await m.dispose();
  rows.push({ model, seed, run: id, 'ρ(q(x̃), teacher(x))': ci(sJit, tAl), 'ρ(q(x̃), severity)': ci(sJit, sev), 'ρ(q(x), severity)': ci(sAl, sev) });
  const group = model.replace(/ seed \d+$/, '');
  estimates.set(group, [...(estimates.get(group) ?? []), { jitTeacher: spearman(sJit, tAl), jitSeverity: spearman(sJit, sev) }]);
  raw.push({ model, seed, run: id, aligned: sAl, jittered: sJit });
  process.stderr.write(textTable([rows.at(-1)!]) + '\n');
};
if (a.runs)
  for (const id of a.runs.split(',')) {
    const r = listRuns().find((x) => x.id === id);
    const cfg = (r?.params as { config?: TrainConfig } | undefined)?.config;
    await evaluate(`student ${cfg?.name ?? id}`, cfg?.seed ?? '', id);
  }
else
  for (const kind of a.configs!.split(','))
    for (const seed of a.seeds!.split(',').map(Number)) await evaluate(`student ${kind}`, seed, await studentRun(config(kind, seed)));
await demo.close();
// students grouped by configuration (the run name without its seed): mean ± SD of the point estimates over seeds
const msd = (xs: number[]) => {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)) : NaN;
  return `${m.toFixed(2)} ± ${Number.isFinite(sd) ? sd.toFixed(2) : '–'}`;
};
const groups = [...estimates].map(([model, es]) => ({ model, seeds: es.length, 'ρ(q(x̃), teacher(x))': msd(es.map((e) => e.jitTeacher)), 'ρ(q(x̃), severity)': msd(es.map((e) => e.jitSeverity)) }));
if (groups.length) process.stdout.write(`\nstudents by configuration (mean ± SD over seeds):\n${textTable(groups)}\n`);
process.stdout.write(`\nhidden faces (${hidden.images().length} images of ${new Set(ident).size} people; Spearman with identity-bootstrap 95 % intervals, B 1000, seed 0):\n${textTable(rows)}\n`);
if (a.out) writeFileSync(a.out, JSON.stringify({ serfiq: { T: Number(a['serfiq-T']) }, ids: hidden.images().map((r) => r.id), severity: sev, identity: ident, rows, groups, raw }, null, 1));
