import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf, initRuntime } from '@aikd/runtime';
import { createRecognizer } from '@aikd/fr-models';
import { disposeSharedDetectors } from '@aikd/alignment';
import type { RawImage } from '@aikd/datasets';
import { createBackboneSource, instantiate, makeLastTrainable, importIResNetOnnx, trainDepthTensors } from '../src/backbones/index.ts';
import { alignFaces, sourceFaces, type SourceFace } from './faces.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'iresnet');

function cosines(a: tf.Tensor, b: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(tf.sum(tf.mul(tf.div(a, tf.norm(a, 2, 1, true)), tf.div(b, tf.norm(b, 2, 1, true))), 1).dataSync()));
}

let faces: SourceFace[];
beforeAll(async () => {
  await initRuntime();
  faces = await sourceFaces();
}, 120_000);
afterAll(() => disposeSharedDetectors());

/** --train-depth per backbone as the README's table documents it: [first tensor, tensors from it to the end]. */
const DEPTHS: Record<string, Record<'last-block' | 'last-stage', [string, number]> & { all: number }> = {
  mobileface: { 'last-block': ['stage4_unit1_conv1_df', 7], 'last-stage': ['stage4_unit1_conv0_0_weight', 10], all: 33 },
  faceres: { 'last-block': ['conv_dw_13/depthwise_kernel', 5], 'last-stage': ['conv_dw_12/depthwise_kernel', 10], all: 67 },
  'faceres-deep': { 'last-block': ['conv_dw_13/depthwise_kernel', 5], 'last-stage': ['conv_dw_12/depthwise_kernel', 10], all: 67 },
  'faceapi-resnet': { 'last-block': ['conv256_down_out/conv1/conv/filters', 9], 'last-stage': ['conv256_down/conv1/conv/filters', 33], all: 117 },
};

function expectDepths(spec: Parameters<typeof trainDepthTensors>[0], params: Parameters<typeof trainDepthTensors>[1], doc: (typeof DEPTHS)[string]) {
  expect(trainDepthTensors(spec, params, 'head')).toBe(0);
  expect(trainDepthTensors(spec, params, 'all')).toBe(doc.all);
  expect(params.length).toBe(doc.all);
  for (const d of ['last-block', 'last-stage'] as const) {
    const n = trainDepthTensors(spec, params, d);
    expect([params[params.length - n]!.name, n], d).toEqual(doc[d]);
  }
}

describe('rebuilt tfjs graph models match the frozen recognisers on real aligned faces', () => {
  for (const name of ['mobileface', 'faceres', 'faceres-deep', 'faceapi-resnet'] as const) {
    it(name, async () => {
      expect(faces.length).toBeGreaterThanOrEqual(4);
      const src = await createBackboneSource(name);
      const bb = instantiate(src);
      // the model as it ships (its tfjs graph), not the ONNX form converted from this rebuild
      const rec = await createRecognizer(name, { engine: 'tfjs' });
      expect(src.spec.inputSize).toBe(rec.spec.inputSize);
      expect(src.spec.template).toEqual(rec.spec.template);
      expect(src.spec.normalisation.channels).toBe(rec.spec.colour);
      const t = await rec.gradients!();
      const x = t.toPixels(alignFaces(faces, src.spec.inputSize, src.spec.template));
      const ref = t.forward(x);
      const got = bb.model.predict(x) as tf.Tensor;
      expect(got.shape).toEqual([faces.length, src.spec.embeddingSize]);
      for (const c of cosines(ref, got)) expect(c).toBeGreaterThan(0.9999);
      // not just the direction: the values themselves (the same kernels run, up to summation order)
      expect(tf.max(tf.abs(tf.sub(ref, got))).dataSync()[0]).toBeLessThan(1e-4 * tf.max(tf.abs(ref)).dataSync()[0]! + 1e-5);
      // and different faces still give different embeddings (the check above is not vacuous)
      expect(cosines(got.slice([0, 0], [1, -1]), got.slice([1, 0], [1, -1]))[0]).toBeLessThan(0.99);
      // --train-depth: the documented tensors, and "last stage" starts where the last resolution change happens
      expectDepths(src.spec, bb.params, DEPTHS[name]!);
      const side = (layer: string) => (bb.model.getLayer(layer).outputShape as number[])[1];
      if (name === 'mobileface') expect([side('stage3_unit1_conv2_df'), side('stage4_unit1_conv0_0_weight'), side('stage4_unit1_conv0_1_df')]).toEqual([7, 7, 4]);
      if (name.startsWith('faceres')) expect([side('conv_pw_11'), side('conv_dw_12'), side('conv_pw_13')]).toEqual([14, 7, 7]);
      if (name === 'faceapi-resnet') expect([(bb.model.getLayer('conv128_2.conv2.conv').outputShape as number[])[3], (bb.model.getLayer('conv256_down.conv1.conv').outputShape as number[])[3]]).toEqual([128, 256]);
      tf.dispose([x, ref, got]);
      bb.model.dispose();
      src.dispose();
      await rec.dispose();
    });
  }
});

describe('trainable tensors and saving', () => {
  it('"last N" picks the last N parameter tensors in forward order; only those are trainable', async () => {
    const src = await createBackboneSource('mobileface');
    const bb = instantiate(src);
    expect(bb.params.length).toBe(33);
    const chosen = makeLastTrainable(bb.model, bb.params, 5);
    expect(chosen.map((p) => p.name)).toEqual(['stage4_unit1_conv2_df', 'stage4_unit1_prelu2_gamma', 'dense/kernel', 'batchnorm0/mul', 'batchnorm0/sub']);
    expect(new Set(bb.model.trainableWeights.map((w) => w.originalName))).toEqual(new Set(chosen.map((p) => p.variable.originalName)));
    expect(makeLastTrainable(bb.model, bb.params, 100).length).toBe(33);
    bb.model.dispose();
    src.dispose();
  });

  it('model.save() writes the changed weights and custom layers load back', async () => {
    const src = await createBackboneSource('faceapi-resnet'); // uses PixelNormalize, ChannelAffine, ZeroChannels
    const bb = instantiate(src);
    const x = tf.randomUniform([2, src.spec.inputSize, src.spec.inputSize, 3], 0, 255, 'float32', 7);
    // "train": move one parameter tensor
    const p = bb.params.find((q) => q.name === 'conv256_down_out/conv2/scale/weights')!;
    p.variable.write(tf.mul(p.variable.read(), 1.5));
    const before = bb.model.predict(x) as tf.Tensor;
    let saved: tf.io.ModelArtifacts | undefined;
    await bb.model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const after = loaded.predict(x) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(before, after))).dataSync()[0]).toBe(0);
    const rec = await createRecognizer('faceapi-resnet', { engine: 'tfjs' });
    // the saved model is the changed one, not the original
    expect(tf.max(tf.abs(tf.sub((await rec.gradients!()).forward(x as tf.Tensor4D), after))).dataSync()[0]).toBeGreaterThan(1e-3);
    await rec.dispose();
    loaded.dispose();
    bb.model.dispose();
    src.dispose();
  });
});

describe('iResNet from ONNX (fixture exported by PyTorch: scripts/make-iresnet-fixture.py)', () => {
  const meta = JSON.parse(readFileSync(join(FIXTURE, 'fixture.json'), 'utf8')) as { parameter_names: string[]; layers: number[]; widths: number[]; embedding: number; input: { shape: number[] } };
  const [n, size] = meta.input.shape as [number, number];
  const px = new Uint8Array(readFileSync(join(FIXTURE, 'input-pixels.u8')));
  const crops: RawImage[] = Array.from({ length: n }, (_, i) => ({ width: size, height: size, channels: 3, data: px.slice(i * size * size * 3, (i + 1) * size * size * 3) }));
  const torchBytes = readFileSync(join(FIXTURE, 'torch-embedding.f32'));
  const torchOut = new Float32Array(torchBytes.buffer, torchBytes.byteOffset, torchBytes.byteLength / 4);

  for (const form of ['folded', 'unfused'] as const) {
    it(`${form} BatchNorm: same embedding as onnxruntime and PyTorch, PyTorch's parameter list`, async () => {
      const file = join(FIXTURE, `iresnet-${form}.onnx`);
      const src = await createBackboneSource(`onnx:${file}`);
      expect(src.spec.layout).toMatchObject({ layers: meta.layers, widths: meta.widths, embedding: meta.embedding, inputSize: size });
      const bn = src.spec.layout!.onnxBatchNorm as { unfused: number; foldedIntoConv: number };
      // 31 BNs in this layout; the folded export folds the 21 that follow a conv
      expect(bn).toEqual(form === 'folded' ? { unfused: 10, foldedIntoConv: 21 } : { unfused: 31, foldedIntoConv: 0 });
      const bb = instantiate(src);
      // --train-depth on iResNet-18's layout: the last block / the last stage of layer4, each with bn2, fc, features
      expectDepths(src.spec, bb.params, { 'last-block': ['layer4.1.bn1.weight', 15], 'last-stage': ['layer4.0.bn1.weight', 27], all: 94 });
      // BNs folded into a convolution have no statistics: per-channel affine layers, never batch-normalised
      const classes = bb.model.layers.map((l) => l.getClassName());
      expect([classes.filter((c) => c === 'BatchNormalization').length, classes.filter((c) => c === 'AikdChannelAffine').length]).toEqual(form === 'folded' ? [10, 21] : [31, 0]);
      expect(src.spec.batchNorm).toBe('statistics');
      expect(bb.params.map((p) => p.name)).toEqual(meta.parameter_names);
      expect(bb.params.filter((p) => p.fixed).map((p) => p.name)).toEqual(['features.weight']);
      const got = bb.model.predict(tf.tensor4d(Float32Array.from(px), [n, size, size, 3])) as tf.Tensor2D;
      const rec = await createRecognizer(`onnx:${file}`, { preprocess: { size } });
      const ort = tf.tensor2d((await rec.embed(crops)).flatMap((e) => Array.from(e)), [n, meta.embedding]);
      const torch = tf.tensor2d(torchOut, [n, meta.embedding]);
      for (const c of [...cosines(ort, got), ...cosines(torch, got)]) expect(c).toBeGreaterThan(0.9999);
      expect(tf.max(tf.abs(tf.sub(ort, got))).dataSync()[0]).toBeLessThan(1e-4);
      await rec.dispose();
      bb.model.dispose();
      src.dispose();
    });
  }

  it("training mode: batch statistics, and running statistics move as PyTorch's BN with momentum 0.1", async () => {
    const src = await createBackboneSource(`onnx:${join(FIXTURE, 'iresnet-unfused.onnx')}`);
    const bb = instantiate(src);
    const x = tf.tensor4d(Float32Array.from(px), [n, size, size, 3]);
    const bn = bb.model.getLayer('bn1'); // the stem BN, after conv1
    const [mean0, var0] = bn.getWeights().slice(2).map((t) => t.dataSync().slice());
    // its input: the stem convolution's output for this batch, per channel mean and (biased) variance over N, H, W
    const conv = tf.model({ inputs: bb.model.inputs, outputs: bb.model.getLayer('conv1').output as tf.SymbolicTensor });
    const c = conv.predict(x) as tf.Tensor4D;
    const [bm, bv] = [tf.mean(c, [0, 1, 2]), tf.moments(c, [0, 1, 2]).variance].map((t) => t.dataSync());
    const inference = (bb.model.apply(x, { training: false }) as tf.Tensor).dataSync();
    expect(Array.from(bn.getWeights()[2]!.dataSync())).toEqual(Array.from(mean0!)); // inference mode leaves them
    const training = (bb.model.apply(x, { training: true }) as tf.Tensor).dataSync();
    const [mean1, var1] = bn.getWeights().slice(2).map((t) => t.dataSync());
    for (let k = 0; k < mean0!.length; k++) {
      expect(mean1![k]).toBeCloseTo(0.9 * mean0![k]! + 0.1 * bm![k]!, 4);
      // PyTorch would use the unbiased batch variance here (× N·H·W / (N·H·W − 1), 1.00004 for this batch)
      expect(var1![k]).toBeCloseTo(0.9 * var0![k]! + 0.1 * bv![k]!, 3);
    }
    // batch statistics change the output
    expect(Math.max(...Array.from(training, (v, i) => Math.abs(v - inference[i]!)))).toBeGreaterThan(1e-3);
    tf.dispose([x, c]);
    bb.model.dispose();
    src.dispose();
  });

  it('a model that is not an iResNet is refused with the file and what was expected', () => {
    const bytes = readFileSync(join(FIXTURE, 'iresnet-unfused.onnx'));
    expect(() => importIResNetOnnx(new Uint8Array(bytes.subarray(0, 1000)), 'cut.onnx')).toThrow(/cut\.onnx/);
  });
});
