/**
 * DifFIQA: the diffusion arithmetic against an independent numpy reference (scripts/make-diffiqa-fixture.py), the
 * resampling between resolutions, the quality loop with a perfect denoiser and a float64 FR reference, the ONNX
 * denoiser route (generated models, wrong shapes) and the small local UNet.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rngFor } from '@aikd/core';
import { tf } from '@aikd/runtime';
import { onnxProto, type Recognizer } from '@aikd/fr-models';
import type { RawImage } from '@aikd/datasets';
import {
  alphasCumprod,
  areaDownsample,
  bilinearUpsample,
  cosineBetaSchedule,
  createQualityMethod,
  ddimCoefficients,
  ddimTimePairs,
  ddimUpdate,
  diffiqaNoise,
  diffiqaSchedule,
  diffiqaScores,
  pixelEmbedder,
  qSample,
  type Denoiser,
  type DiffiqaSettings,
} from '../src/index.ts';
import { onnxDenoiser } from '../src/methods/diffiqa/denoiser.ts';
import { initUnet, unetForward, unetFromTensors, unetParamCount } from '../src/methods/diffiqa/unet.ts';
import { trainLocalUnet } from '../src/methods/diffiqa/train-unet.ts';
import { readWeights, writeWeights } from '@aikd/runtime';
import { randomCrop, tempDir, tinyFeatures64, tinyHead64, tinyTfjsRecognizer, TS } from './helpers.ts';

const ref = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'diffiqa-reference.json'), 'utf8')) as Record<string, any>;
const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(tol);
};

describe('diffusion arithmetic (cosine schedule, q_sample, DDIM) = the numpy reference', () => {
  const betas = cosineBetaSchedule(1000);
  const ac = alphasCumprod(betas);

  it('cosine β schedule and ᾱ', () => {
    close(betas.subarray(0, 8), ref.betas_head, 1e-15);
    close(betas.subarray(997), ref.betas_tail, 1e-12);
    expect(betas[999]).toBe(0.999); // clipped
    close(ac.subarray(0, 8), ref.alphas_cumprod_head, 1e-15);
    expect(ac[999]).toBeCloseTo(ref.alphas_cumprod_999, 18);
    // by hand: β_0 = 1 − f(1)/f(0), f(t) = cos²((t/1000 + 0.008)/1.008 · π/2)
    const f = (t: number) => Math.cos(((t / 1000 + 0.008) / 1.008) * Math.PI * 0.5) ** 2;
    expect(betas[0]).toBeCloseTo(1 - f(1) / f(0), 15);
  });

  it('q_sample: √ᾱ·x0 + √(1 − ᾱ)·ε', () => {
    expect(Array.from(qSample([1, -1, 0.5], [0, 1, -2], 0.64, new Float64Array(3)))).toEqual([0.8, -0.8 + 0.6, 0.4 - 1.2].map((v) => v));
    close(qSample(ref.x0, ref.noises[0], ac[5]!, new Float64Array(6)), ref.xt, 1e-14);
  });

  it("DDIM time pairs of the original's ddim_sample_at_t", () => {
    expect(ddimTimePairs(5, 6)).toEqual(ref.pairs_5_6);
    expect(ddimTimePairs(5, 6)).toEqual([[4, 3], [3, 2], [2, 1], [1, 0], [0, 0], [0, -1]]);
    expect(ddimTimePairs(10, 3)).toEqual(ref.pairs_10_3);
    expect(ddimTimePairs(1, 1)).toEqual(ref.pairs_1_1);
    expect(() => ddimTimePairs(0, 6)).toThrow(/t must be an integer ≥ 1/);
  });

  it('DDIM coefficients: σ = 0 for a repeated time, and the full reconstruction equals the reference step by step', () => {
    const k = ddimCoefficients(0.9, 0.9, 1);
    expect(k.sigma).toBe(0);
    expect(k.c).toBeCloseTo(Math.sqrt(0.1), 15);
    const img = Float64Array.from(ref.xt as number[]);
    let field = 1;
    ddimTimePairs(5, 6).forEach(([time, next], s) => {
      const out = Array.from(img, (v) => 0.9 * v + 0.01 * time);
      ddimUpdate(img, out, next >= 0 ? ref.noises[field++] : undefined, ac, time, next, 1, true);
      close(img, ref.trace[s], 1e-12);
    });
  });
});

describe('resampling between the FR and the denoiser resolution', () => {
  it('area averaging: block means for integer factors, fractional coverage otherwise', () => {
    // 1 image, 4×4, 1 channel: values 0…15
    const src = Float32Array.from({ length: 16 }, (_, i) => i);
    expect(Array.from(areaDownsample(src, 1, 4, 2, 1))).toEqual([(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4, (8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]);
    // 3 → 2: output 0 covers source [0, 1.5): weights ⅔, ⅓
    const row = Float32Array.from([3, 6, 9, 3, 6, 9, 3, 6, 9]);
    const d = areaDownsample(row, 1, 3, 2, 1);
    close(d, [(2 / 3) * 3 + (1 / 3) * 6, (1 / 3) * 6 + (2 / 3) * 9, (2 / 3) * 3 + (1 / 3) * 6, (1 / 3) * 6 + (2 / 3) * 9], 1e-6);
    expect(Array.from(areaDownsample(src, 1, 4, 4, 1))).toEqual(Array.from(src));
  });

  it('bilinear upsampling with half-pixel centres keeps constants and interpolates', () => {
    close(bilinearUpsample(new Float32Array(2 * 2 * 3).fill(0.25), 1, 2, 5), new Float32Array(75).fill(0.25), 1e-7);
    // 1-D view: [0, 1] → 4 samples at source x = −0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
    const up = bilinearUpsample(Float32Array.from([0, 1, 0, 1]), 1, 2, 4, 1);
    close(up.subarray(0, 4), [0, 0.25, 0.75, 1], 1e-7);
  });
});

/** A denoiser that knows the answer: it returns the clean copies it was told about (pred-x0 exactly right). */
function perfectDenoiser(size: number): Denoiser & { clean?: Float32Array } {
  const d: Denoiser & { clean?: Float32Array } = {
    size,
    description: 'perfect',
    weightsHash: 'perfect',
    async predictX0(x) {
      return d.clean ? d.clean.slice() : x.slice();
    },
    dispose() {},
  };
  return d;
}

describe('the DifFIQA loop', () => {
  let rec: Recognizer;
  const P: DiffiqaSettings = { R: 3, t: 5, steps: 6, eta: 1, timesteps: 1000, clip: true };
  const crops = [randomCrop('d0', TS), randomCrop('d1', TS)];
  beforeAll(async () => {
    rec = await tinyTfjsRecognizer();
  });

  /** The clean copies the loop builds for one crop: x then x^f, R times each, in [−1, 1], at D. */
  const cleanCopies = (c: RawImage, R: number, D: number) => {
    const S = c.width, per = S * S * 3;
    const both = new Float32Array(2 * per);
    both.set(Float32Array.from(c.data, (p) => p / 127.5 - 1), 0);
    const f = new Uint8Array(per);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) for (let k = 0; k < 3; k++) f[(y * S + x) * 3 + k] = c.data[(y * S + (S - 1 - x)) * 3 + k]!;
    both.set(Float32Array.from(f, (p) => p / 127.5 - 1), per);
    const d = areaDownsample(both, 2, S, D), pd = D * D * 3, out = new Float32Array(2 * R * pd);
    for (let k = 0; k < 2; k++) for (let r = 0; r < R; r++) out.set(d.subarray(k * pd, (k + 1) * pd), (k * R + r) * pd);
    return out;
  };

  it('with a perfect denoiser the reconstruction is the image: cos̄(x, x̂) = 1 and cos̄(x, x̂^f) = cos(x, x^f)', async () => {
    for (const D of [TS, TS / 2]) {
      const den = perfectDenoiser(D);
      den.clean = cleanCopies(crops[0]!, P.R, D);
      const [t] = await diffiqaScores([crops[0]!], ['img0'], 0, P, den, pixelEmbedder(rec));
      expect(t!.terms[1]).toBeCloseTo(1, 6);
      expect(t!.terms[3]).toBeCloseTo(t!.terms[4], 6);
      expect(t!.terms[0]).toBeLessThan(1);
      expect(t!.quality).toBeCloseTo(t!.terms.reduce((a, b) => a + b, 0) / 5, 12);
    }
  });

  it('the noisy term equals a float64 reference of q_sample + the FR model, with the per-image noise', async () => {
    const R = 2, S = TS, per = S * S * 3, Q: DiffiqaSettings = { ...P, R };
    const den = perfectDenoiser(S);
    den.clean = cleanCopies(crops[1]!, R, S);
    const [t] = await diffiqaScores([crops[1]!], ['img1'], 7, Q, den, pixelEmbedder(rec));
    const { ac, pairs } = diffiqaSchedule(Q);
    const noise = diffiqaNoise(7, 'img1', 1 + pairs.filter(([, n]) => n >= 0).length, R, per)[0]!;
    const e64 = (pix: ArrayLike<number>) => tinyHead64(tinyFeatures64(pix));
    const cos = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i]!, 0) / Math.hypot(...a) / Math.hypot(...b);
    const ex = e64(crops[1]!.data);
    let mean = 0;
    for (let r = 0; r < R; r++) {
      const xt = qSample(den.clean.subarray(r * per, (r + 1) * per), noise.subarray(r * per, (r + 1) * per), ac[5]!, new Float64Array(per));
      mean += cos(ex, e64(xt.map((v) => (v + 1) * 127.5))) / R;
    }
    expect(t!.terms[0]).toBeCloseTo(mean, 5);
  });

  it('scores do not depend on the batch; they depend on the seed', async () => {
    const den = perfectDenoiser(TS); // no `clean`: returns its input (an "identity" denoiser)
    const both = await diffiqaScores(crops, ['a', 'b'], 3, P, den, pixelEmbedder(rec));
    const one = await diffiqaScores([crops[1]!], ['b'], 3, P, den, pixelEmbedder(rec));
    expect(both[1]!.terms).toEqual(one[0]!.terms);
    const other = await diffiqaScores([crops[1]!], ['b'], 4, P, den, pixelEmbedder(rec));
    expect(other[0]!.terms[0]).not.toBe(one[0]!.terms[0]);
  });
});

// ---- a generated ONNX "UNet": x0 = k_c · x + 0.01 · t (per channel k = 0.9, 0.8, 0.7) ----
function unetOnnx(dir: string, name: string, shape: (number | string)[], timeType: 'int64' | 'float' = 'int64'): string {
  const { encodeModel, floatTensor, int64Tensor } = onnxProto;
  const nodes = [
    ...(timeType === 'int64' ? [{ name: 'cast', opType: 'Cast', inputs: ['t'], outputs: ['tf'], attributes: [{ name: 'to', type: 'int' as const, value: 1 }] }] : []),
    { name: 'reshape', opType: 'Reshape', inputs: [timeType === 'int64' ? 'tf' : 't', 'shape'], outputs: ['tr'], attributes: [] },
    { name: 'tscale', opType: 'Mul', inputs: ['tr', 'c'], outputs: ['tc'], attributes: [] },
    { name: 'xscale', opType: 'Mul', inputs: ['x', 'k'], outputs: ['xs'], attributes: [] },
    { name: 'add', opType: 'Add', inputs: ['xs', 'tc'], outputs: ['x0'], attributes: [] },
  ];
  const bytes = encodeModel({
    irVersion: 8,
    opsets: [{ domain: '', version: 13 }],
    producerName: 'aikd-teachers-test',
    graph: {
      name: 'unet',
      nodes,
      initializers: [int64Tensor('shape', [4], [-1, 1, 1, 1]), floatTensor('c', [1], [0.01]), floatTensor('k', [1, shape[1] as number, 1, 1], [0.9, 0.8, 0.7, 0.6].slice(0, shape[1] as number))],
      inputs: [
        { name: 'x', elemType: 1, shape },
        { name: 't', elemType: timeType === 'int64' ? 7 : 1, shape: ['batch'] },
      ],
      outputs: [{ name: 'x0', elemType: 1, shape }],
      valueInfo: [],
    },
  });
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('ONNX denoiser (the user UNet route)', () => {
  const dir = tempDir('unet');

  it('NHWC in, NCHW to the model, pred-x0 back; int64 or float time steps', async () => {
    for (const tt of ['int64', 'float'] as const) {
      const den = await onnxDenoiser(unetOnnx(dir, `u-${tt}.onnx`, ['batch', 3, 2, 2], tt));
      expect(den.size).toBe(2);
      const x = Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i / 24 - 0.5);
      const y = await den.predictX0(x, 2, 4);
      close(y, Array.from(x, (v, i) => [0.9, 0.8, 0.7][i % 3]! * v + 0.04), 1e-6);
      await den.dispose();
    }
  });

  it('wrong shapes are clear errors naming the file and the shape', async () => {
    await expect(onnxDenoiser(unetOnnx(dir, 'u4.onnx', ['batch', 4, 8, 8]))).rejects.toThrow(/u4\.onnx.*input "x".*3 channels.*got \[batch, 4, 8, 8\]/s);
    await expect(onnxDenoiser(unetOnnx(dir, 'ud.onnx', ['batch', 3, 'h', 'w']))).rejects.toThrow(/symbolic size.*unetSize/);
    const den = await onnxDenoiser(unetOnnx(dir, 'ud2.onnx', ['batch', 3, 'h', 'w']), { size: 4 });
    expect(den.size).toBe(4);
    await den.dispose();
    await expect(onnxDenoiser(unetOnnx(dir, 'u8.onnx', ['batch', 3, 8, 8]), { size: 4 })).rejects.toThrow(/expected side 4 \(unetSize\).*got \[batch, 3, 8, 8\]/s);
  });

  it('`diffiqa --onnx` scores with it around the FR model, as the loop does; a denoiser larger than the crops is refused', async () => {
    const rec = await tinyTfjsRecognizer();
    const file = unetOnnx(dir, 'u-ok.onnx', ['batch', 3, 2, 2]);
    const m = await createQualityMethod('diffiqa', { onnx: file, frModel: rec, params: { R: 2 } });
    expect(m.params).toMatchObject({ R: 2, t: 5, steps: 6, eta: 1, denoiser_size: 2 });
    expect(m.weightsHash).toMatch(/\+tiny-tfjs-v1$/);
    const crops = [randomCrop('o0', TS), randomCrop('o1', TS)];
    const q = await m.score(crops, { ids: ['o0', 'o1'], seed: 1 });
    const den = await onnxDenoiser(file);
    const direct = await diffiqaScores(crops, ['o0', 'o1'], 1, { R: 2, t: 5, steps: 6, eta: 1, timesteps: 1000, clip: true }, den, pixelEmbedder(rec));
    expect(Array.from(q)).toEqual(direct.map((t) => t.quality));
    await den.dispose();
    await m.dispose();
    const big = await createQualityMethod('diffiqa', { onnx: unetOnnx(dir, 'u-big.onnx', ['batch', 3, 8, 8]), frModel: rec });
    await expect(big.score(crops, { ids: ['o0', 'o1'], seed: 1 })).rejects.toThrow(/denoiser works at 8×8, larger than tiny-tfjs's 4×4/);
    await big.dispose();
    await expect(createQualityMethod('diffiqa', { frModel: rec })).rejects.toThrow(/diffiqa needs a denoiser: your UNet as ONNX.*aikd method train --method diffiqa/s);
  });
});

describe('the small local UNet', () => {
  const cfg = { size: 8, channels: [4, 8], timeDim: 8 };

  it('starts as the identity (x̂0 = x_t) and has the expected parameters', () => {
    const P = initUnet(cfg, 0);
    const x = tf.randomUniform([2, 8, 8, 3], -1, 1) as tf.Tensor4D;
    const y = unetForward(P, cfg, x, tf.tensor1d([3, 50]));
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(Object.values(P).reduce((a, v) => a + v.size, 0)).toBe(unetParamCount(cfg));
    tf.dispose([x, y, ...Object.values(P)]);
    expect(() => initUnet({ ...cfg, size: 7 }, 0)).toThrow(/divisible by 2/);
  });

  it('training lowers the validation loss; the best weights survive a save and load', async () => {
    const r = rngFor('unet-data');
    // smooth images: a random colour per 4×4 quadrant
    const img = () => {
      const q = Array.from({ length: 4 }, () => [r.uniform(-1, 1), r.uniform(-1, 1), r.uniform(-1, 1)]);
      return Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => q[(Math.floor(i / 3 / 8) >= 4 ? 2 : 0) + ((i / 3) % 8 >= 4 ? 1 : 0)]![i % 3]!);
    };
    const pack = (n: number) => {
      const data = new Float32Array(n * 192);
      for (let i = 0; i < n; i++) data.set(img(), i * 192);
      return { data, n };
    };
    const evals: number[] = [];
    const res = await trainLocalUnet(cfg, pack(24), pack(8), { steps: 200, batchSize: 8, lr: 3e-3, tMax: 100, timesteps: 1000, seed: 0, evalEvery: 50, onEval: (_s, v) => evals.push(v) });
    expect(evals).toHaveLength(4);
    expect(res.bestValLoss).toBe(Math.min(...evals));
    expect(res.bestValLoss!).toBeLessThan(evals[0]! * 0.9);
    const dir = tempDir('unet-w');
    const manifest = await writeWeights(join(dir, 'u.bin'), res.params);
    const loaded = unetFromTensors(cfg, readWeights(join(dir, 'u.bin'), manifest));
    const x = tf.tensor4d(pack(2).data, [2, 8, 8, 3]);
    const a = unetForward(res.params, cfg, x, tf.tensor1d([5, 5])), b = unetForward(loaded, cfg, x, tf.tensor1d([5, 5]));
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b, ...Object.values(res.params), ...Object.values(loaded)]);
  });
});
