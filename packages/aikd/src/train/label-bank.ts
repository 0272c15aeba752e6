/**
 * The label bank: a richer training signal from the same faces (`data.augment: { families, per_face }`). Each
 * training face gets `per_face` seeded variants: its loose crop (256 px, face box 128 px, as the demo set's, so the
 * degradations' strengths mean the same) degraded by one family (blur, motion blur, down-scaling, noise, JPEG,
 * exposure, occlusion, a small pose-like warp) at a strength drawn continuously from U(0, 1). The families cycle
 * from a per-face random offset, so `per_face` = the number of families covers each once; variant k of a face is
 * drawn from (seed, face id, k) alone, so a larger bank contains every variant of a smaller one.
 *
 * Both are cached by content: the variant image (key: the source bytes, id, landmarks, family, strength, seed, k)
 * and the teacher's score of its properly aligned crop (key: the variant's bytes and landmarks + the method, its
 * parameters, weights, input and seed), so each variant is made and scored once. The variants form a dataset of
 * their own (unaligned loose crops with their landmarks): the student sees a `landmark-jitter` crop of a variant,
 * the frozen teacher its aligned crop, as for the originals.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AikdError, cacheDir, configHash, log, progress, rngFor, sha256Hex, stableStringify, writeFileAtomic, writeJsonAtomic } from '@aikd/core';
import { encodePng, type Dataset, type ImageRecord, type Landmarks5, type RawImage } from '@aikd/datasets';
import { alignDatasetInBatches, applyAffineToLandmarks, createProcedure, degrade, degradationFamilies, looseCrop, type Affine, type DegradationName } from '@aikd/alignment';
import type { QualityMethod } from '@aikd/teachers';
import type { SourceImages } from './data.ts';

/** Bumped when the way variants are made or scored changes (old cache entries are then never read). */
const BANK_VERSION = 1;
const CROP_SIZE = 256, CROP_SCALE = 2;

export interface LabelBankOptions {
  families: readonly DegradationName[];
  perFace: number;
  seed: number | string;
}

export interface BankVariant {
  record: ImageRecord;
  parent: string;
  family: DegradationName;
  /** The strength drawn, U(0, 1). */
  severity: number;
  param: string;
  value: number;
}

export interface LabelBank {
  /** The variants as a dataset (unaligned loose crops with landmarks; identities of their faces). */
  dataset: Dataset;
  variants: BankVariant[];
  /** The teacher's raw quality of each variant's aligned crop. */
  labels: Map<string, number>;
  /** What the run records. */
  summary: { families: readonly string[]; per_face: number; seed: number | string; faces: number; variants: number; made: number; scored: number; per_family: Record<string, number>; method_key: string; seconds: number };
}

/** The face box (x, y, w, h) the degradations work on: 2.5 inter-ocular distances wide, centred between eyes and mouth. */
function faceBoxOf(l: Landmarks5): [number, number, number, number] {
  const iod = Math.hypot(l[1][0] - l[0][0], l[1][1] - l[0][1]);
  const cx = (l[0][0] + l[1][0] + l[3][0] + l[4][0]) / 4, cy = (l[0][1] + l[1][1] + l[3][1] + l[4][1]) / 4;
  const side = 2.5 * iod;
  return [cx - side / 2, cy - side / 2, side, side];
}

/** The family and strength of variant k of a face: families cycle from a seeded offset; the strength is U(0, 1). */
export function variantDraw(seed: number | string, id: string, k: number, families: readonly DegradationName[]): { family: DegradationName; severity: number } {
  const offset = rngFor(seed, 'label-bank-offset', id).int(families.length);
  return { family: families[(offset + k) % families.length]!, severity: rngFor(seed, 'label-bank', id, k).next() };
}

/**
 * Make (or read from the cache) the variants of `faces` and have `teacher` score each one's aligned crop once.
 * `faces` carry their reference landmarks (the trainer's `alignProper` filled them in); `src` reads their images.
 */
export async function buildLabelBank(faces: readonly ImageRecord[], src: SourceImages, sourceBytes: (id: string) => Promise<Uint8Array>, teacher: QualityMethod, opts: LabelBankOptions & { datasetName: string }): Promise<LabelBank> {
  const t0 = performance.now();
  if (!(Number.isInteger(opts.perFace) && opts.perFace >= 1)) throw new AikdError(`data.augment.per_face: expected an integer ≥ 1 (got ${opts.perFace})`);
  if (!opts.families.length) throw new AikdError('data.augment.families: give at least one degradation family');
  for (const f of opts.families) if (!(degradationFamilies as readonly string[]).includes(f)) throw new AikdError(`data.augment.families: unknown family "${f}" (expected ${degradationFamilies.join(', ')})`);
  if (!teacher.weightsHash) throw new AikdError(`data.augment: the teacher ${teacher.id} has no weights hash, so its scores of the variants cannot be cached`);
  const dir = cacheDir('label-bank');
  const bytesById = new Map<string, Uint8Array>();
  const variants: BankVariant[] = [];
  let made = 0;
  const bar = progress(`label bank ${opts.datasetName} (${faces.length} faces × ${opts.perFace})`, faces.length * opts.perFace);
  for (const face of faces) {
    if (!face.landmarks) throw new AikdError(`label bank: face ${face.id} has no reference landmarks`);
    const srcHash = sha256Hex(await sourceBytes(face.id));
    let crop: { image: RawImage; matrix: Affine } | undefined;
    for (let k = 0; k < opts.perFace; k++) {
      const { family, severity } = variantDraw(opts.seed, face.id, k, opts.families);
      const id = `${face.id}#bank${k}`;
      const key = sha256Hex(stableStringify({ v: BANK_VERSION, src: srcHash, id: face.id, landmarks: face.landmarks, family, severity, seed: String(opts.seed), k, crop: [CROP_SIZE, CROP_SCALE] }));
      const base = join(dir, 'variants', key.slice(0, 2), key);
      let meta: { landmarks: Landmarks5; param: string; value: number };
      if (existsSync(base + '.json') && existsSync(base + '.png')) {
        meta = JSON.parse(readFileSync(base + '.json', 'utf8'));
        bytesById.set(id, new Uint8Array(readFileSync(base + '.png')));
      } else {
        crop ??= looseCrop(await src.read(face.id), faceBoxOf(face.landmarks), CROP_SIZE, CROP_SCALE);
        const inCrop = applyAffineToLandmarks(crop.matrix, face.landmarks);
        const d = await degrade(family, crop.image, severity, rngFor(opts.seed, 'label-bank-degrade', face.id, k), faceBoxOf(inCrop));
        meta = { landmarks: applyAffineToLandmarks(d.geometry, inCrop), param: d.param, value: d.value };
        const png = await encodePng(d.image);
        mkdirSync(join(dir, 'variants', key.slice(0, 2)), { recursive: true });
        // the PNG first, the JSON last: a variant counts as cached only when both are complete
        writeFileAtomic(base + '.png', png);
        writeJsonAtomic(base + '.json', { ...meta, parent: face.id, family, severity, k, seed: String(opts.seed), version: BANK_VERSION });
        bytesById.set(id, png);
        made++;
      }
      variants.push({
        record: { id, identity: face.identity, landmarks: meta.landmarks, attributes: { parent: face.id, degradation: family, severity, [meta.param]: meta.value } },
        parent: face.id,
        family,
        severity,
        param: meta.param,
        value: meta.value,
      });
      bar.tick();
    }
  }
  bar.done(`(${made} made, ${variants.length - made} cached)`);
  const records = variants.map((v) => v.record);
  const byId = new Map(records.map((r) => [r.id, r]));
  const dataset: Dataset = {
    name: `${opts.datasetName}+label-bank`,
    format: 'folder',
    aligned: false,
    location: join(dir, 'variants'),
    images: () => records,
    pairs: () => [],
    image: (id) => byId.get(id),
    readImage: async (id) => {
      const b = bytesById.get(id);
      if (!b) throw new AikdError(`label bank: no variant ${id}`);
      return b;
    },
    close: async () => {},
  };
  const { labels, scored, methodKey } = await scoreVariants(dataset, teacher, opts.seed, join(dir, 'scores'));
  const per_family: Record<string, number> = {};
  for (const v of variants) per_family[v.family] = (per_family[v.family] ?? 0) + 1;
  const summary = { families: [...opts.families], per_face: opts.perFace, seed: opts.seed, faces: faces.length, variants: variants.length, made, scored, per_family, method_key: methodKey, seconds: (performance.now() - t0) / 1000 };
  return { dataset, variants, labels, summary };
}

/**
 * The teacher's quality of every variant's properly aligned crop, through a per-variant cache (one JSON file per
 * method configuration: content key → score), so only variants never scored before are scored.
 */
async function scoreVariants(ds: Dataset, method: QualityMethod, seed: number | string, dir: string): Promise<{ labels: Map<string, number>; scored: number; methodKey: string }> {
  const methodKey = configHash({ v: BANK_VERSION, method: method.id, params: method.params, weightsHash: method.weightsHash, frModel: method.frModel ?? null, size: method.input.size, template: method.input.template, seed: String(seed), alignment: 'proper' });
  const file = join(dir, `${methodKey}.json`);
  const cache: Record<string, number> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const contentKey = async (r: ImageRecord) => sha256Hex(sha256Hex(await ds.readImage(r.id)) + stableStringify({ id: r.id, landmarks: r.landmarks }));
  const keys = new Map<string, string>();
  for (const r of ds.images()) keys.set(r.id, await contentKey(r));
  const missing = ds.images().filter((r) => !(keys.get(r.id)! in cache));
  if (missing.length) {
    const ids = new Set(missing.map((r) => r.id));
    const view: Dataset = { ...ds, name: `${ds.name}[unscored]`, images: () => missing, image: (id) => (ids.has(id) ? ds.image(id) : undefined) };
    const bar = progress(`score label bank ${method.id}${method.frModel ? ` (${method.frModel})` : ''}`, missing.length);
    await alignDatasetInBatches(view, createProcedure('proper'), { size: method.input.size, seed, template: method.input.template }, method.batchSize ?? 16, async ({ ids: batchIds, crops }) => {
      const q = await method.score(crops, { ids: batchIds, seed });
      batchIds.forEach((id, i) => (cache[keys.get(id)!] = q[i]!));
      bar.tick(crops.length);
    });
    bar.done();
    mkdirSync(dir, { recursive: true });
    writeJsonAtomic(file, cache);
  }
  const labels = new Map(ds.images().map((r) => [r.id, cache[keys.get(r.id)!]!]));
  const bad = [...labels].filter(([, v]) => !Number.isFinite(v));
  if (bad.length) log.warn(`label bank: ${bad.length} variant(s) got no finite quality from ${method.id} and are left out, e.g. ${bad[0]![0]}`);
  return { labels, scored: missing.length, methodKey };
}
