/**
 * Training data (aikd.md §3): per image, the properly aligned crop (teacher input) and a `landmark-jitter` crop from
 * the same source image and reference landmarks (student input, a fresh draw per epoch keyed by (seed, epoch, id));
 * label q = the teacher FIQA method's quality of the aligned image, min-max normalised to [0, 1] on the training
 * split (higher = better). Validation: held-out training identities (or the reference's quality-stratified images),
 * aligned images only.
 */
import { AikdError, rngFor, log } from '@aikd/core';
import { decodeImage, splitByIdentity, subsetDataset, type Dataset, type ImageRecord, type Landmarks5, type RawImage } from '@aikd/datasets';
import { createProcedure, NoFaceError, type AlignmentProcedure } from '@aikd/alignment';

export interface TrainItem {
  id: string;
  /** The record with its reference landmarks filled in (side file, or found once by the detector). */
  record: ImageRecord;
  /** The teacher method's raw score (higher = better). */
  rawQuality: number;
  /** Normalised label in [0, 1] on the training split (validation labels may fall slightly outside). */
  label: number;
}

/**
/**
 * Validation by identity: whole training identities are held out, chosen by the datasets package's identity split
 * (`splitByIdentity`, seeded) of the labelled training images. k identities, the smallest k ≥ ⌈fraction · I⌉ whose
 * images reach `minImages`, but at most ⌈maxFraction · I⌉ (and at most I − 1); the identity split is a seeded
 * shuffle, so more identities only add to the set.
 */
export function identityHoldout<T extends { id: string }>(
  ds: Dataset,
  items: readonly T[],
  opts: { fraction: number; minImages: number; maxFraction: number; seed: number | string },
): { train: T[]; val: T[]; valIdentities: string[]; identities: number; valFraction: number } {
  const ids = new Set(items.map((i) => i.id));
  const view = subsetDataset(ds, (r) => ids.has(r.id), 'aikd-labelled');
  const I = new Set(view.images().map((r) => r.identity ?? `#${r.id}`)).size;
  if (I < 2)
    throw new AikdError(`validation by identity needs at least 2 identities among the ${items.length} labelled training images of ${ds.name} (has ${I}); set data.val_split: stratified`);
  const split = (k: number) => splitByIdentity(view, { testFraction: k / I, seed: opts.seed });
  const lo = Math.min(I - 1, Math.max(1, Math.ceil(opts.fraction * I)));
  const hi = Math.min(I - 1, Math.max(lo, Math.ceil(opts.maxFraction * I)));
  let k = lo;
  // the held-out image count grows with k: binary search for the smallest k reaching minImages
  if (split(lo).test.images().length < opts.minImages) {
    let a = lo, b = hi;
    while (a < b) {
      const m = Math.floor((a + b) / 2);
      if (split(m).test.images().length >= opts.minImages) b = m;
      else a = m + 1;
    }
    k = a;
  }
  const s = split(k);
  const valIds = new Set(s.test.images().map((r) => r.id));
  return { train: items.filter((i) => !valIds.has(i.id)), val: items.filter((i) => valIds.has(i.id)), valIdentities: s.testIdentities, identities: I, valFraction: k / I };
}

/**
 * Quality-stratified hold-out: sort by quality (ties by id), then take n = max(min, round(fraction · N)) items at
 * evenly spaced ranks ⌊(j + ½) · N / n⌋. (The reference code takes every k-th item with k = int(N / (N · 0.01)), which
 * floating point makes 99 instead of 100 for some N, aikd.md §3.2.)
 */
export function stratifiedHoldout<T extends { id: string; rawQuality: number }>(items: readonly T[], fraction: number, min: number): { train: T[]; val: T[]; valFraction: number } {
  const sorted = [...items].sort((a, b) => a.rawQuality - b.rawQuality || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const N = sorted.length;
  const n = Math.min(Math.max(min, Math.round(fraction * N)), Math.floor(N / 2));
  if (n < 1) throw new AikdError(`${N} labelled images are too few to hold out a validation set (need at least 2)`);
  const pick = new Set(Array.from({ length: n }, (_, j) => Math.floor(((j + 0.5) * N) / n)));
  return { train: sorted.filter((_, i) => !pick.has(i)), val: sorted.filter((_, i) => pick.has(i)), valFraction: n / N };
}

/** Min-max over the training split; validation labels use the same range. */
export function normaliseLabels<T extends { rawQuality: number; label: number }>(train: T[], val: T[]): { min: number; max: number } {
  let min = Infinity, max = -Infinity;
  for (const t of train) {
    min = Math.min(min, t.rawQuality);
    max = Math.max(max, t.rawQuality);
  }
  const span = max - min;
  if (!(span > 0)) throw new AikdError(`the teacher's qualities on the training split are all ${min}: nothing to learn from`);
  for (const t of [...train, ...val]) t.label = (t.rawQuality - min) / span;
  return { min, max };
}

export interface SourceImages {
  /** The decoded source image of a record (kept in memory while the budget allows). */
  read(id: string): Promise<RawImage>;
}

export function sourceImages(ds: Dataset, budgetBytes = 768 * 2 ** 20): SourceImages {
  const cache = new Map<string, RawImage>();
  let bytes = 0;
  return {
    async read(id) {
      const hit = cache.get(id);
      if (hit) return hit;
      const img = await decodeImage(await ds.readImage(id), `${ds.location}: ${id}`);
      if (bytes + img.data.length <= budgetBytes) {
        cache.set(id, img);
        bytes += img.data.length;
      }
      return img;
    },
  };
}

export interface CropSpec {
  size: number;
  template: Landmarks5;
  seed: number | string;
  aligned: boolean;
}

/**
 * The properly aligned crop of every record, with the reference landmarks it used written into the record (so the
 * detector runs at most once per image; `landmark-jitter` then perturbs exactly these points). Records where no
 * face is found are dropped and listed.
 */
export async function alignProper(
  records: readonly ImageRecord[],
  src: SourceImages,
  spec: CropSpec,
  detector: string,
  onItem?: () => void,
): Promise<{ records: ImageRecord[]; crops: Map<string, RawImage>; noFace: string[] }> {
  const proper = createProcedure('proper', { detector });
  const out: ImageRecord[] = [], crops = new Map<string, RawImage>(), noFace: string[] = [];
  for (const rec of records) {
    try {
      const r = await proper.align(await src.read(rec.id), rec, { size: spec.size, seed: spec.seed, template: spec.template, aligned: spec.aligned });
      out.push({ ...rec, landmarks: r.landmarks });
      crops.set(rec.id, r.image);
    } catch (e) {
      if (!(e instanceof NoFaceError)) throw e;
      noFace.push(rec.id);
    }
    onItem?.();
  }
  if (noFace.length) log.warn(`${noFace.length} image(s) without a face are left out of training, e.g. ${noFace.slice(0, 3).join(', ')}`);
  return { records: out, crops, noFace };
}

/** The student's input for (epoch, item): landmark-jitter p from the reference landmarks, drawn from (seed, epoch, id). */
export function createJitter(p: number, detector: string): AlignmentProcedure {
  return createProcedure('landmark-jitter', { p, detector });
}

export async function misalignedCrop(jitter: AlignmentProcedure, src: SourceImages, item: TrainItem, spec: CropSpec, epoch: number): Promise<RawImage> {
  return (await jitter.align(await src.read(item.id), item.record, { size: spec.size, seed: spec.seed, template: spec.template, aligned: spec.aligned, epoch })).image;
}

/** Epoch order: a shuffle drawn from (seed, 'shuffle', epoch), the same in every run and after a resume. */
export function epochOrder(n: number, seed: number | string, epoch: number): number[] {
  return rngFor(seed, 'shuffle', epoch).shuffle(Array.from({ length: n }, (_, i) => i));
}
