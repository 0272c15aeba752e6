/**
 * face-api (vladmandic build, MIT): SSD-MobileNetV1 or TinyFaceDetector boxes, then the 68-point landmark net,
 * reduced to 5 points. The node-wasm bundle requires the workspace's @tensorflow/tfjs, so it runs on the same tfjs
 * engine and backend that @aikd/runtime chose; its weights load from the package's `model/` folder.
 * Input convention (measured on the demo photos): RGB 0–255, as decoded — BGR input lowers the scores and loses faces.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MissingResourceError } from '@aikd/core';
import { tf, initRuntime } from '@aikd/runtime';
import type { DetectorOptions, FaceDetection, FaceDetector, Point, RawImage } from '../../types.ts';
import { IBUG68_TO_5, reduceTo5 } from '../reduce.ts';

const require = createRequire(import.meta.url);

interface FaceApiNet { loadFromDisk(dir: string): Promise<void>; isLoaded: boolean; dispose(throwOnRedispose?: boolean): void }
interface FaceApiResult {
  detection: { score: number; box: { x: number; y: number; width: number; height: number } };
  landmarks: { positions: { x: number; y: number }[] };
}
interface FaceApi {
  nets: Record<'ssdMobilenetv1' | 'tinyFaceDetector' | 'faceLandmark68Net', FaceApiNet>;
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults: number }) => unknown;
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
  detectAllFaces(input: tf.Tensor3D, options: unknown): { withFaceLandmarks(): Promise<FaceApiResult[]> };
}

export type FaceApiKind = 'ssd' | 'tiny';
const netOf = { ssd: 'ssdMobilenetv1', tiny: 'tinyFaceDetector' } as const;

let faceapi: FaceApi | undefined;
const users = new Map<string, number>();

export function faceApiModelDir(): string {
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

const loading = new Map<string, Promise<void>>();

async function acquire(net: keyof FaceApi['nets']): Promise<FaceApi> {
  await initRuntime();
  faceapi ??= require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const api = faceapi;
  users.set(net, (users.get(net) ?? 0) + 1); // counted first, so a concurrent release cannot unload it under us
  try {
    if (!api.nets[net].isLoaded) {
      let p = loading.get(net);
      if (!p) {
        p = api.nets[net].loadFromDisk(faceApiModelDir()).finally(() => loading.delete(net));
        loading.set(net, p);
      }
      await p;
    }
  } catch (e) {
    users.set(net, users.get(net)! - 1);
    throw new MissingResourceError(`face-api model ${net} could not be loaded from ${faceApiModelDir()}: ${(e as Error).message}`);
  }
  return api;
}

function release(net: keyof FaceApi['nets']): void {
  const n = (users.get(net) ?? 1) - 1;
  users.set(net, n);
  if (n === 0 && faceapi?.nets[net].isLoaded) faceapi.nets[net].dispose(false);
}

export async function createFaceApiDetector(kind: FaceApiKind, opts: DetectorOptions = {}): Promise<FaceDetector> {
  const minScore = opts.minScore ?? 0.5;
  const minSize = opts.minSize ?? 0;
  const maxFaces = opts.maxFaces ?? 100;
  const inputSize = opts.inputSize ?? 416;
  const api = await acquire(netOf[kind]);
  try {
    await acquire('faceLandmark68Net');
  } catch (e) {
    release(netOf[kind]);
    throw e;
  }
  let disposed = false;
  return {
    id: `faceapi-${kind}`,
    async detect(img: RawImage): Promise<FaceDetection[]> {
      if (disposed) throw new Error(`faceapi-${kind}: detector used after dispose()`);
      const input = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
      try {
        const options =
          kind === 'ssd'
            ? new api.SsdMobilenetv1Options({ minConfidence: minScore, maxResults: maxFaces })
            : new api.TinyFaceDetectorOptions({ inputSize, scoreThreshold: minScore });
        const found = await api.detectAllFaces(input, options).withFaceLandmarks();
        return found
          .map((r): FaceDetection => {
            const points = r.landmarks.positions.map((p): Point => [p.x, p.y]);
            const b = r.detection.box;
            return { box: [b.x, b.y, b.width, b.height], score: r.detection.score, landmarks: reduceTo5(points, IBUG68_TO_5), points };
          })
          .filter((d) => Math.min(d.box[2], d.box[3]) >= minSize)
          .sort((a, b) => b.score - a.score)
          .slice(0, maxFaces);
      } finally {
        input.dispose();
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      release(netOf[kind]);
      release('faceLandmark68Net');
    },
  };
}
