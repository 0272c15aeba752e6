/**
 * Small real models for the tests, with float64 TypeScript references: a 2-layer tfjs recogniser (features → head)
 * that supports gradients, and tiny ONNX recognisers (one splittable before its last linear layer, one not).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { rngFor } from '@aikd/core';
import { tf, initRuntime } from '@aikd/runtime';
import { alignToTemplate, sharedDetector, templateForSize } from '@aikd/alignment';
import { faceapiModelDir, onnxProto, recognizerFromTensor, type Recognizer, type RecognizerSpec, type TensorRecognizer } from '@aikd/fr-models';
import { decodeImage, type RawImage } from '@aikd/datasets';

export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `aikd-teachers-${label}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function uniforms(n: number, label: string, scale: number): Float32Array {
  const r = rngFor('teachers-test', label);
  return Float32Array.from({ length: n }, () => r.uniform(-scale, scale));
}

/** A random RGB crop (seeded). */
export function randomCrop(seed: number | string, size: number): RawImage {
  const r = rngFor('crop', seed);
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = r.int(256);
  return { data, width: size, height: size, channels: 3 };
}

// ---- tiny tfjs recogniser: x (S×S×3, 0..255) → f = tanh((x/255 − 0.5)·W1) [H] → e = f·W2 + b2 [D] ----
export const TS = 4, TH = 12, TD = 6;
const TIN = TS * TS * 3;
export const tinyW = { W1: uniforms(TIN * TH, 'W1', 0.5), W2: uniforms(TH * TD, 'W2', 0.8), b2: uniforms(TD, 'b2', 0.3) };

export function tinyFeatures64(x: ArrayLike<number>): Float64Array {
  const f = new Float64Array(TH);
  for (let h = 0; h < TH; h++) {
    let s = 0;
    for (let i = 0; i < TIN; i++) s += (x[i]! / 255 - 0.5) * tinyW.W1[i * TH + h]!;
    f[h] = Math.tanh(s);
  }
  return f;
}

export function tinyHead64(f: ArrayLike<number>): Float64Array {
  const e = new Float64Array(TD);
  for (let d = 0; d < TD; d++) {
    let s = tinyW.b2[d]!;
    for (let h = 0; h < TH; h++) s += f[h]! * tinyW.W2[h * TD + d]!;
    e[d] = s;
  }
  return e;
}

export async function tinyTfjsRecognizer(): Promise<Recognizer> {
  await initRuntime();
  const W1 = tf.tensor2d(tinyW.W1, [TIN, TH]);
  const W2 = tf.tensor2d(tinyW.W2, [TH, TD]);
  const b2 = tf.tensor1d(tinyW.b2);
  const tensor: TensorRecognizer = {
    toPixels: (crops) => tf.tensor4d(Float32Array.from(crops.flatMap((c) => Array.from(c.data))), [crops.length, TS, TS, 3]),
    features: (x) => tf.tidy(() => tf.tanh(tf.matMul(tf.sub(tf.div(x.reshape([x.shape[0], TIN]), 255), 0.5), W1))),
    head: (f) => tf.tidy(() => tf.add(tf.matMul(f as tf.Tensor2D, W2), b2) as tf.Tensor2D),
    forward: (x) => tensor.head(tensor.features(x)),
  };
  const spec: RecognizerSpec = {
    id: 'tiny-tfjs',
    description: 'test MLP',
    engine: 'tfjs',
    inputSize: TS,
    template: templateForSize(TS),
    colour: 'RGB',
    normalisation: { mean: [127.5, 127.5, 127.5], std: [255, 255, 255], where: 'in-graph' },
    embeddingSize: TD,
    source: 'test',
    weightsHash: 'tiny-tfjs-v1',
  };
  return recognizerFromTensor(spec, tensor, () => {
    W1.dispose();
    W2.dispose();
    b2.dispose();
  });
}

// ---- tiny ONNX recognisers: input [n,3,OS,OS] → Flatten → Gemm(W1,b1) → Relu → Gemm(W2,b2) ----
export const OS = 6, OH = 10, OD = 5;
const OIN = 3 * OS * OS;
export const onnxW = { W1: uniforms(OH * OIN, 'oW1', 0.2), b1: uniforms(OH, 'ob1', 0.2), W2: uniforms(OD * OH, 'oW2', 1), b2: uniforms(OD, 'ob2', 0.5) };

export function onnxFeatures64(x: ArrayLike<number>): Float64Array {
  const f = new Float64Array(OH);
  for (let h = 0; h < OH; h++) {
    let s = onnxW.b1[h]!;
    for (let i = 0; i < OIN; i++) s += onnxW.W1[h * OIN + i]! * x[i]!;
    f[h] = Math.max(0, s);
  }
  return f;
}

export function onnxHead64(f: ArrayLike<number>): Float64Array {
  const e = new Float64Array(OD);
  for (let d = 0; d < OD; d++) {
    let s = onnxW.b2[d]!;
    for (let h = 0; h < OH; h++) s += onnxW.W2[d * OH + h]! * f[h]!;
    e[d] = s;
  }
  return e;
}

/** The model file; `linearHead: false` gives one with no linear layer at the end (cannot be split for SER-FIQ). */
export function tinyOnnxFile(dir: string, opts: { linearHead?: boolean } = {}): string {
  const { encodeModel, floatTensor } = onnxProto;
  const linear = opts.linearHead !== false;
  const bytes = encodeModel({
    irVersion: 8,
    opsets: [{ domain: '', version: 13 }],
    producerName: 'aikd-teachers-test',
    graph: {
      name: 'tiny',
      nodes: linear
        ? [
            { name: 'flat', opType: 'Flatten', inputs: ['input'], outputs: ['x'], attributes: [{ name: 'axis', type: 'int', value: 1 }] },
            { name: 'fc1', opType: 'Gemm', inputs: ['x', 'W1', 'b1'], outputs: ['h'], attributes: [{ name: 'transB', type: 'int', value: 1 }] },
            { name: 'relu', opType: 'Relu', inputs: ['h'], outputs: ['f'], attributes: [] },
            { name: 'fc2', opType: 'Gemm', inputs: ['f', 'W2', 'b2'], outputs: ['embedding'], attributes: [{ name: 'transB', type: 'int', value: 1 }] },
          ]
        : [
            { name: 'flat', opType: 'Flatten', inputs: ['input'], outputs: ['x'], attributes: [{ name: 'axis', type: 'int', value: 1 }] },
            { name: 'relu', opType: 'Relu', inputs: ['x'], outputs: ['embedding'], attributes: [] },
          ],
      initializers: linear ? [floatTensor('W1', [OH, OIN], onnxW.W1), floatTensor('b1', [OH], onnxW.b1), floatTensor('W2', [OD, OH], onnxW.W2), floatTensor('b2', [OD], onnxW.b2)] : [],
      inputs: [{ name: 'input', elemType: 1, shape: ['batch', 3, OS, OS] }],
      outputs: [{ name: 'embedding', elemType: 1, shape: ['batch', linear ? OD : OIN] }],
      valueInfo: [],
    },
  });
  const path = join(dir, linear ? 'tiny.onnx' : 'tiny-nolinear.onnx');
  writeFileSync(path, bytes);
  return path;
}

/** A one-layer ONNX "recogniser" of any input size (Flatten → Gemm): e = W·x + b, x the preprocessed NCHW input. */
export function linearOnnxFile(dir: string, size: number, d = 4): { path: string; W: Float32Array; b: Float32Array } {
  const { encodeModel, floatTensor } = onnxProto;
  const n = 3 * size * size;
  const W = uniforms(d * n, `lin${size}`, 0.05);
  const b = uniforms(d, `linb${size}`, 1);
  const bytes = encodeModel({
    irVersion: 8,
    opsets: [{ domain: '', version: 13 }],
    producerName: 'aikd-teachers-test',
    graph: {
      name: 'linear',
      nodes: [
        { name: 'flat', opType: 'Flatten', inputs: ['input'], outputs: ['x'], attributes: [{ name: 'axis', type: 'int', value: 1 }] },
        { name: 'fc', opType: 'Gemm', inputs: ['x', 'W', 'b'], outputs: ['embedding'], attributes: [{ name: 'transB', type: 'int', value: 1 }] },
      ],
      initializers: [floatTensor('W', [d, n], W), floatTensor('b', [d], b)],
      inputs: [{ name: 'input', elemType: 1, shape: ['batch', 3, size, size] }],
      outputs: [{ name: 'embedding', elemType: 1, shape: ['batch', d] }],
      valueInfo: [],
    },
  });
  const path = join(dir, `linear-${size}.onnx`);
  writeFileSync(path, bytes);
  return { path, W, b };
}

// ---- real faces and counted forward passes (the feature cache's tests) ----
const samplePhoto = (n: number) => join(faceapiModelDir(), '..', 'demo', `sample${n}.jpg`);

/** The faces of face-api's sample1..2.jpg, aligned to `rec`'s template and size. */
export async function realFaces(rec: Recognizer): Promise<RawImage[]> {
  const det = await sharedDetector('faceapi-ssd');
  const out: RawImage[] = [];
  for (const n of [1, 2]) {
    const photo = await decodeImage(new Uint8Array(readFileSync(samplePhoto(n))));
    for (const f of await det.detect(photo)) out.push(alignToTemplate(photo, f.landmarks, rec.spec.inputSize, rec.spec.template).image);
  }
  return out;
}

/** `rec` with its forward passes counted: images through `embed` and through `penultimate.features`. */
export function counted(rec: Recognizer): { rec: Recognizer; calls: { embed: number; features: number; head: number } } {
  const calls = { embed: 0, features: 0, head: 0 };
  const p = rec.penultimate;
  return {
    calls,
    rec: {
      id: rec.id,
      spec: rec.spec,
      embed: (crops) => ((calls.embed += crops.length), rec.embed(crops)),
      embedPixels: (px, n) => rec.embedPixels(px, n),
      ...(p ? { penultimate: { features: (crops) => ((calls.features += crops.length), p.features(crops)), head: (f, s) => ((calls.head += 1), p.head(f, s)) } } : {}),
      dispose: () => rec.dispose(),
    },
  };
}

/** A score array's bits, for bit-for-bit comparisons. */
export const bits = (q: Float64Array) => Array.from(new Uint32Array(q.buffer, q.byteOffset, q.length * 2));
