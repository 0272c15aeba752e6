/**
 * FaceQnet's labels (Hernandez-Ortega et al., ICB 2019): the similarity between an image and its identity's
 * reference image, normalised. The original picks the reference with the BioLab-ICAO framework (the most
 * ICAO-compliant image of each VGGFace2 identity) and compares with FaceNet. BioLab-ICAO is not available, so the
 * reference here is chosen by an explicit ICAO-style proxy of five criteria, measured on each aligned crop
 * (`measureImage`, blocks of crop side / 14 pixels):
 *
 * - **frontal**: pose deviation from the 5 landmarks (when the dataset has them) — |roll| of the eye line (radians),
 *   |yaw| = offset of the nose from the eye midpoint along the eye line / inter-ocular distance, and
 *   |pitch| = |ln((eye→nose) / (nose→mouth) ÷ the ArcFace template's ratio)|, summed;
 * - **sharp**: the median over blocks of the 4-neighbour Laplacian's variance;
 * - **low noise**: the median block σ of Immerkær's estimator (a mask that cancels image structure to second order);
 * - **well exposed**: |mean grey − 127.5| / 127.5 + the fraction of clipped pixels (≤ 5 or ≥ 250);
 * - **unoccluded**: the fraction of blocks with no texture at all (Laplacian variance < 2), lower = better.
 *
 * Within each identity every criterion is ranked (1 = worst, ties share the average rank, a missing pose ties every
 * image). The reference is the image whose *worst* rank is highest (ICAO compliance means no criterion fails); the
 * rank sum, then dataset order, break ties. Label = (cos(e_i, e_ref) − min) / (max − min) over the labelled images,
 * where the reference compared with itself gives the top value; identities with a single image get no label.
 */
import type { Landmarks5, RawImage } from '@aikd/datasets';
import { ARCFACE_TEMPLATE_112 } from '@aikd/alignment';
import { rankAverage } from '../../stats.ts';
import { checkRows, groupIdentities, normalizeRows, rowDot, type EmbeddingRows } from '../labels-common.ts';

export interface ImageMeasures {
  /** Pose deviation (0 = frontal); NaN without landmarks. */
  pose: number;
  sharpness: number;
  noise: number;
  exposure: number;
  /** Fraction of blocks without any texture (a uniform occluder, clipped areas). */
  flat: number;
}

/** Roll (radians), yaw (nose offset along the eye line / inter-ocular distance) and the eye→nose : nose→mouth ratio
 * measured perpendicular to the eye line. */
function poseParts(l: Landmarks5): { roll: number; yaw: number; ratio: number } {
  const [le, re, nose, lm, rm] = l;
  const ex = re[0] - le[0], ey = re[1] - le[1];
  const iod = Math.hypot(ex, ey);
  if (!(iod > 0)) return { roll: NaN, yaw: NaN, ratio: NaN };
  const ux = ex / iod, uy = ey / iod;
  const mid = [(le[0] + re[0]) / 2, (le[1] + re[1]) / 2] as const;
  const mouth = [(lm[0] + rm[0]) / 2, (lm[1] + rm[1]) / 2] as const;
  const down = (p: readonly number[], q: readonly number[]) => (q[0]! - p[0]!) * -uy + (q[1]! - p[1]!) * ux;
  const upper = down(mid, nose), lower = down(nose, mouth);
  return { roll: Math.atan2(ey, ex), yaw: ((nose[0] - mid[0]) * ux + (nose[1] - mid[1]) * uy) / iod, ratio: upper > 0 && lower > 0 ? upper / lower : NaN };
}

const TEMPLATE_RATIO = poseParts(ARCFACE_TEMPLATE_112).ratio;

/** |roll| + |yaw| + |ln(ratio / the template's)| (0 for a face posed like the ArcFace template, ∞ for a folded one). */
export function poseDeviation(l: Landmarks5): number {
  const p = poseParts(l);
  if (Number.isNaN(p.roll)) return NaN;
  const pitch = Number.isFinite(p.ratio) ? Math.abs(Math.log(p.ratio / TEMPLATE_RATIO)) : Infinity;
  return Math.abs(p.roll) + Math.abs(p.yaw) + pitch;
}

/** ITU-R BT.601 luma of an RGB crop. */
export function grey(img: RawImage): Float64Array {
  const n = img.width * img.height, g = new Float64Array(n);
  for (let i = 0; i < n; i++) g[i] = 0.299 * img.data[3 * i]! + 0.587 * img.data[3 * i + 1]! + 0.114 * img.data[3 * i + 2]!;
  return g;
}

/** Variance of the 4-neighbour Laplacian over the interior pixels of a window (the whole image by default). */
export function laplacianVariance(g: ArrayLike<number>, w: number, h: number, win: { x0: number; y0: number; x1: number; y1: number } = { x0: 0, y0: 0, x1: w, y1: h }): number {
  let s = 0, ss = 0, n = 0;
  for (let y = Math.max(1, win.y0); y < Math.min(h - 1, win.y1); y++)
    for (let x = Math.max(1, win.x0); x < Math.min(w - 1, win.x1); x++) {
      const i = y * w + x;
      const v = g[i - 1]! + g[i + 1]! + g[i - w]! + g[i + w]! - 4 * g[i]!;
      s += v;
      ss += v * v;
      n++;
    }
  return n ? ss / n - (s / n) ** 2 : 0;
}

/** Immerkær (1996): σ = √(π/2) / (6 (w−2)(h−2)) · Σ |I ∗ [[1,−2,1],[−2,4,−2],[1,−2,1]]| over the interior of a window. */
export function noiseSigma(g: ArrayLike<number>, w: number, h: number, win: { x0: number; y0: number; x1: number; y1: number } = { x0: 0, y0: 0, x1: w, y1: h }): number {
  let s = 0, n = 0;
  for (let y = Math.max(1, win.y0); y < Math.min(h - 1, win.y1); y++)
    for (let x = Math.max(1, win.x0); x < Math.min(w - 1, win.x1); x++) {
      const i = y * w + x;
      s += Math.abs(g[i - w - 1]! - 2 * g[i - w]! + g[i - w + 1]! - 2 * g[i - 1]! + 4 * g[i]! - 2 * g[i + 1]! + g[i + w - 1]! - 2 * g[i + w]! + g[i + w + 1]!);
      n++;
    }
  return n ? (Math.sqrt(Math.PI / 2) * s) / (6 * n) : 0;
}

const median = (v: number[]) => {
  const a = [...v].sort((x, y) => x - y);
  return a.length ? (a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2) : 0;
};

/** Block statistics of a grey crop (blocks of `block` pixels): median Laplacian variance (sharpness), median
 * Immerkær σ (noise), and the fraction of blocks whose Laplacian variance is below 2 (no texture at all). Medians
 * keep a few strong edges (an occluder's border) or flat patches from deciding. */
export function blockStats(g: ArrayLike<number>, w: number, h: number, block = 16): { sharpness: number; noise: number; flat: number } {
  const lap: number[] = [], sig: number[] = [];
  for (let y0 = 0; y0 + block <= h; y0 += block)
    for (let x0 = 0; x0 + block <= w; x0 += block) {
      const win = { x0, y0, x1: x0 + block, y1: y0 + block };
      lap.push(laplacianVariance(g, w, h, win));
      sig.push(noiseSigma(g, w, h, win));
    }
  return { sharpness: median(lap), noise: median(sig), flat: lap.length ? lap.filter((v) => v < FLAT_LAPLACIAN_VARIANCE).length / lap.length : 0 };
}

/** A block with a Laplacian variance below this (grey levels²) has no texture. */
const FLAT_LAPLACIAN_VARIANCE = 2;

export function exposureDeviation(g: ArrayLike<number>): number {
  let s = 0, clipped = 0;
  for (let i = 0; i < g.length; i++) {
    s += g[i]!;
    if (g[i]! <= 5 || g[i]! >= 250) clipped++;
  }
  return Math.abs(s / g.length - 127.5) / 127.5 + clipped / g.length;
}

export function measureImage(crop: RawImage, landmarks?: Landmarks5): ImageMeasures {
  const g = grey(crop);
  const block = Math.max(4, Math.round(crop.width / 14));
  return { pose: landmarks ? poseDeviation(landmarks) : NaN, ...blockStats(g, crop.width, crop.height, block), exposure: exposureDeviation(g) };
}

/** The criteria, each oriented so that higher = more compliant. */
export const ICAO_PROXY_CRITERIA: Record<string, (m: ImageMeasures) => number> = {
  frontal: (m) => -m.pose,
  sharp: (m) => m.sharpness,
  'low noise': (m) => -m.noise,
  'well exposed': (m) => -m.exposure,
  unoccluded: (m) => -m.flat,
};

/**
 * Per identity (sorted names), the index of its reference image. Each criterion is ranked within the identity
 * (1 = worst; ties share the average rank; a missing pose ties every image); the reference is the image whose worst
 * rank is highest — compliance means no criterion fails — with the rank sum, then dataset order, breaking ties.
 */
export function chooseReferences(measures: readonly ImageMeasures[], identities: readonly string[]): Map<string, number> {
  const { names, members } = groupIdentities(identities, 'FaceQnet', 1);
  const out = new Map<string, number>();
  members.forEach((rows, c) => {
    const ranks = Object.values(ICAO_PROXY_CRITERIA).map((f) => rankAverage(rows.map((i) => { const v = f(measures[i]!); return Number.isNaN(v) ? 0 : v; })));
    let best = 0, bestKey: [number, number] = [-Infinity, -Infinity];
    rows.forEach((_, k) => {
      const key: [number, number] = [Math.min(...ranks.map((r) => r[k]!)), ranks.reduce((a, r) => a + r[k]!, 0)];
      if (key[0] > bestKey[0] || (key[0] === bestKey[0] && key[1] > bestKey[1])) (bestKey = key), (best = k);
    });
    out.set(names[c]!, rows[best]!);
  });
  return out;
}

export interface FaceqnetLabels {
  /** Normalised similarity to the reference, [0, 1]; NaN for identities with one image. */
  labels: Float64Array;
  /** Raw cosine to the reference. */
  cosine: Float64Array;
  /** Index of each image's reference. */
  reference: Int32Array;
  min: number;
  max: number;
}

export function faceqnetLabels(e: EmbeddingRows, identities: readonly string[], references: Map<string, number>): FaceqnetLabels {
  checkRows(e, identities, 'FaceQnet');
  const { members, of, names } = groupIdentities(identities, 'FaceQnet', 1);
  const X = normalizeRows(e);
  const cosine = new Float64Array(e.n).fill(NaN);
  const reference = new Int32Array(e.n).fill(-1);
  for (let i = 0; i < e.n; i++) {
    if (members[of[i]!]!.length < 2) continue;
    const r = references.get(names[of[i]!]!)!;
    reference[i] = r;
    cosine[i] = r === i ? 1 : rowDot(X, e.dim, i, r);
  }
  let min = Infinity, max = -Infinity;
  for (const c of cosine) if (Number.isFinite(c)) (min = Math.min(min, c)), (max = Math.max(max, c));
  const labels = cosine.map((c) => (Number.isFinite(c) ? (max > min ? (c - min) / (max - min) : 1) : NaN));
  return { labels, cosine, reference, min, max };
}
