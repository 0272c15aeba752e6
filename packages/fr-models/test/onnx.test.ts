import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rngFor } from '@aikd/core';
import type { RawImage } from '@aikd/datasets';
import { createRecognizer, cropsToOnnxInput, onnxProto, splitBeforeLastLinear, recognizerMissing, recognizerWeightFiles } from '../src/index.ts';
import { D, S, tinyRecognizerOnnx, tinyReference } from './onnx-model.ts';
import { ONNX_CHUNK } from '../src/onnx/onnx-recognizer.ts';

let dir: string;
let modelPath: string;
const crops: RawImage[] = [0, 1, 2].map((k) => {
  const r = rngFor('crop', k);
  return { width: S, height: S, channels: 3, data: Uint8Array.from({ length: S * S * 3 }, () => r.int(256)) };
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aikd-onnx-'));
  modelPath = join(dir, 'tiny.onnx');
  writeFileSync(modelPath, tinyRecognizerOnnx());
});

describe('ONNX protobuf', () => {
  it('round-trips a model', () => {
    const bytes = tinyRecognizerOnnx();
    const m = onnxProto.decodeModel(bytes);
    expect(m.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'Flatten', 'Gemm', 'Mul', 'Add']);
    expect(m.graph.inputs[0]).toEqual({ name: 'input', elemType: 1, shape: ['batch', 3, S, S] });
    expect(m.graph.nodes[0]!.attributes).toEqual([{ name: 'pads', type: 'ints', value: [1, 1, 1, 1] }, { name: 'kernel_shape', type: 'ints', value: [3, 3] }]);
    expect(m.graph.initializers.find((t) => t.name === 'unused_shape')!.int64Data).toEqual([1]);
    expect(Array.from(onnxProto.tensorFloats(m.graph.initializers.find((t) => t.name === 'M')!)).length).toBe(D);
    expect(onnxProto.encodeModel(m)).toEqual(bytes);
  });
});

describe('ONNX recogniser', () => {
  it('gives the reference embedding with the declared preprocessing (RGB, (x−127.5)/127.5, NCHW)', async () => {
    const rec = await createRecognizer(`onnx:${modelPath}`, { preprocess: { size: S } });
    const got = await rec.embed(crops);
    expect(rec.spec).toMatchObject({ engine: 'onnx', inputSize: S, colour: 'RGB', embeddingSize: D });
    const input = cropsToOnnxInput(crops, { size: S, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW' });
    crops.forEach((_, i) => {
      const ref = tinyReference(input.subarray(i * 3 * S * S, (i + 1) * 3 * S * S)).embedding;
      for (let d = 0; d < D; d++) expect(got[i]![d]).toBeCloseTo(ref[d]!, 4);
    });
    await rec.dispose();
  });

  it('a batch larger than one ONNX Runtime call runs in parts, each image giving its own embedding and features', async () => {
    const many: RawImage[] = Array.from({ length: 2 * ONNX_CHUNK + 3 }, (_, k) => {
      const r = rngFor('many', k);
      return { width: S, height: S, channels: 3, data: Uint8Array.from({ length: S * S * 3 }, () => r.int(256)) };
    });
    const rec = await createRecognizer(`onnx:${modelPath}`, { preprocess: { size: S } });
    const got = await rec.embed(many);
    const feats = await rec.penultimate!.features(many);
    expect(got).toHaveLength(many.length);
    expect(feats.shape).toEqual([many.length, 4 * S * S]);
    const input = cropsToOnnxInput(many, { size: S, colour: 'RGB', mean: 127.5, std: 127.5, layout: 'NCHW' });
    const F = 4 * S * S;
    many.forEach((_, i) => {
      const ref = tinyReference(input.subarray(i * 3 * S * S, (i + 1) * 3 * S * S));
      for (let d = 0; d < D; d++) expect(got[i]![d]).toBeCloseTo(ref.embedding[d]!, 4);
      for (let f = 0; f < F; f += 37) expect(feats.data[i * F + f]).toBeCloseTo(ref.features[f]!, 4);
    });
    // the same image alone gives the same values as inside the batch
    const alone = await rec.embed([many[2 * ONNX_CHUNK + 1]!]);
    for (let d = 0; d < D; d++) expect(alone[0]![d]).toBeCloseTo(got[2 * ONNX_CHUNK + 1]![d]!, 5);
    await rec.dispose();
  });

  it('BGR preprocessing swaps the channels', async () => {
    const rgb = cropsToOnnxInput(crops.slice(0, 1), { size: S, colour: 'RGB', mean: 0, std: 1, layout: 'NCHW' });
    const bgr = cropsToOnnxInput(crops.slice(0, 1), { size: S, colour: 'BGR', mean: 0, std: 1, layout: 'NCHW' });
    expect(Array.from(bgr.subarray(0, S * S))).toEqual(Array.from(rgb.subarray(2 * S * S)));
    expect(rgb[0]).toBe(crops[0]!.data[0]);
    const nhwc = cropsToOnnxInput(crops.slice(0, 1), { size: S, colour: 'RGB', mean: 0, std: 1, layout: 'NHWC' });
    expect(Array.from(nhwc)).toEqual(Array.from(crops[0]!.data));
  });

  it('splits before the last linear layer: head(features) = embedding', async () => {
    const split = splitBeforeLastLinear(tinyRecognizerOnnx())!;
    expect(split.featureName).toBe('f');
    expect(onnxProto.decodeModel(split.head).graph.nodes.map((n) => n.opType)).toEqual(['Gemm', 'Mul', 'Add']);
    const rec = await createRecognizer(`onnx:${modelPath}`, { preprocess: { size: S } });
    const feats = await rec.penultimate!.features(crops);
    expect(feats.shape).toEqual([3, 4 * S * S]);
    const head = await rec.penultimate!.head(feats.data, feats.shape);
    const emb = await rec.embed(crops);
    for (let i = 0; i < 3; i++) for (let d = 0; d < D; d++) expect(head.data[i * D + d]).toBeCloseTo(emb[i]![d]!, 5);
    await rec.dispose();
  });

  it('wrong input size, missing output and missing files are clear errors', async () => {
    await expect(createRecognizer(`onnx:${modelPath}`, { preprocess: { size: 112 } })).rejects.toThrow(/tiny\.onnx, input "input": expected shape \[batch, 3, 112, 112\].*got \[batch, 3, 8, 8\]/);
    await expect(createRecognizer(`onnx:${modelPath}`, { preprocess: { size: S, output: 'logits' } })).rejects.toThrow(/expected an output named "logits" \(got outputs embedding\)/);
    await expect(createRecognizer(`onnx:${join(dir, 'nope.onnx')}`)).rejects.toThrow(/ONNX model not found: .*nope\.onnx — bring your own weights/);
    const saved = process.env.AIKD_MODELS;
    process.env.AIKD_MODELS = dir;
    try {
      await expect(createRecognizer('adaface')).rejects.toThrow(/FR model "adaface" needs your ONNX weights — bring your weights.*adaface\.onnx \(AIKD_MODELS\)/);
    } finally {
      if (saved === undefined) delete process.env.AIKD_MODELS;
      else process.env.AIKD_MODELS = saved;
    }
    // a models.yaml entry (or an onnx: path) that names a folder says so, instead of "not found"
    const folder = join(dir, 'weights-folder');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'adaface_ir101.onnx'), 'x');
    const yaml = join(dir, 'models.yaml');
    writeFileSync(yaml, `models:\n  adaface:\n    path: ${folder}\n`);
    process.env.AIKD_MODELS = yaml;
    try {
      await expect(createRecognizer('adaface')).rejects.toThrow(`${yaml}, models.adaface.path: expected the path of an ONNX file for FR model "adaface" (got a folder, ${folder} (it holds adaface_ir101.onnx: give the file))`);
      expect(recognizerMissing('adaface')[0]).toMatch(/got a folder/);
    } finally {
      if (saved === undefined) delete process.env.AIKD_MODELS;
      else process.env.AIKD_MODELS = saved;
    }
    await expect(createRecognizer(`onnx:${folder}`)).rejects.toThrow(`${folder}: expected an ONNX model file (got a folder: give the path of the .onnx file in it)`);
    expect(recognizerMissing(`onnx:${folder}`)).toEqual([`${folder} (a folder: expected an ONNX file)`]);
    const garbage = join(dir, 'garbage.onnx');
    writeFileSync(garbage, 'not a model');
    await expect(createRecognizer(`onnx:${garbage}`)).rejects.toThrow(/garbage\.onnx: expected a valid ONNX model/);
  });

  it('names its weight files without loading the model (what results computed with it depend on)', () => {
    expect(recognizerWeightFiles(`onnx:${modelPath}`)).toEqual([modelPath]);
    expect(recognizerWeightFiles(`onnx:${join(dir, 'nope.onnx')}`)).toEqual([]);
    for (const name of ['mobileface', 'faceres', 'faceres-deep', 'faceapi-resnet']) {
      const files = recognizerWeightFiles(name);
      expect(files.length, name).toBe(2);
      expect(files.every((f) => existsSync(f)), name).toBe(true);
    }
    expect(recognizerWeightFiles('faceapi-resnet')[1]).toMatch(/face_recognition_model\.bin$/);
  });

  it('a crop of the wrong size is rejected with its index', async () => {
    const rec = await createRecognizer(`onnx:${modelPath}`, { preprocess: { size: S } });
    await expect(rec.embed([crops[0]!, { ...crops[1]!, width: 4 }])).rejects.toThrow(/crop 1: expected an aligned 8×8 RGB crop/);
    await rec.dispose();
  });
});
