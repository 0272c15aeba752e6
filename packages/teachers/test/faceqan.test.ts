import { describe, expect, it } from 'vitest';
import { tf } from '@aikd/runtime';
import { createRecognizer } from '@aikd/fr-models';
import { attackStep, bimUpdate, createQualityMethod, faceqanNoise, faceqanOne, faceqanParams, faceqanQuality } from '../src/index.ts';
import { rngFor } from '@aikd/core';
import { OS, TD, TH, TS, randomCrop, tempDir, tinyFeatures64, tinyHead64, tinyOnnxFile, tinyTfjsRecognizer, tinyW } from './helpers.ts';

const N = TS * TS * 3;
const emb64 = (x: ArrayLike<number>) => tinyHead64(tinyFeatures64(x));
const cos64 = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) (ab += a[i]! * b[i]!), (aa += a[i]! * a[i]!), (bb += b[i]! * b[i]!);
  return ab / Math.sqrt(aa * bb);
};
/** The attack loss mean_j(1 − cos(b, e(X_j))) in float64. */
const loss64 = (X: ArrayLike<number>, k: number, b: ArrayLike<number>) => {
  let s = 0;
  for (let j = 0; j < k; j++) s += 1 - cos64(b, emb64(Array.from({ length: N }, (_, i) => X[j * N + i]!)));
  return s / k;
};
const flip = (x: ArrayLike<number>) => {
  const out = new Float64Array(N);
  for (let y = 0; y < TS; y++) for (let xx = 0; xx < TS; xx++) for (let c = 0; c < 3; c++) out[(y * TS + (TS - 1 - xx)) * 3 + c] = x[(y * TS + xx) * 3 + c]!;
  return out;
};

describe('FaceQAN aggregation', () => {
  it('q = [(1 + mean S)/2 · clip(1 − std S, 0, 1) · s_f]^p by hand (population std)', () => {
    // S = {0.9, 0.7}: mean 0.8, std 0.1 → 0.9 · 0.9 · s_f
    expect(faceqanQuality([0.9, 0.7], 1, 1)).toBeCloseTo(0.81, 14);
    expect(faceqanQuality([0.9, 0.7], 0.5, 5)).toBeCloseTo(0.405 ** 5, 14);
    expect(faceqanQuality([1, 1, 1], 1, 5)).toBe(1);
    // std 1 (S = ±1) clips the middle factor to 0; a negative symmetry stays negative for odd p
    expect(faceqanQuality([1, -1], 1, 5)).toBe(0);
    expect(faceqanQuality([0.9, 0.7], -1, 5)).toBeCloseTo(-(0.81 ** 5), 14);
  });

  it('defaults are the paper\'s: k 10, l 5, ε 0.001, p 5', () => {
    expect(faceqanParams.parse({})).toEqual({ k: 10, l: 5, epsilon: 0.001, p: 5 });
  });
});

describe('FaceQAN gradient step on a small model', async () => {
  const rec = await tinyTfjsRecognizer();
  const t = (await rec.gradients!())!;
  const x = randomCrop(11, TS);
  const k = 3;
  // copies at the noise scale of a real run plus a few grey levels, with some pixels on the clamp bounds
  const X0 = new Float32Array(k * N);
  const noise = faceqanNoise(4, 'img', k, N, 3);
  for (let i = 0; i < k * N; i++) X0[i] = Math.min(255, Math.max(0, x.data[i % N]! + noise[i]!));
  X0[0] = 0;
  X0[1] = 255;
  const clean = tf.tidy(() => t.forward(t.toPixels([x])));
  const b = Array.from(await clean.data());

  it('cosines and the input gradient match central finite differences of a float64 reference', async () => {
    const Xt = tf.tensor4d(X0, [k, TS, TS, 3]);
    const { cos, grad } = attackStep(tf, t.forward, clean, Xt, true);
    const c = await cos.data();
    for (let j = 0; j < k; j++) expect(c[j]).toBeCloseTo(cos64(b, emb64(X0.subarray(j * N, (j + 1) * N))), 5);
    const g = await grad!.data();
    const h = 0.01; // grey levels; the model is smooth (tanh), so O(h²) truncation is ~1e-10 here
    const fd = new Float64Array(k * N);
    const Xp = Float64Array.from(X0);
    for (let i = 0; i < k * N; i++) {
      Xp[i] = X0[i]! + h;
      const up = loss64(Xp, k, b);
      Xp[i] = X0[i]! - h;
      const down = loss64(Xp, k, b);
      Xp[i] = X0[i]!;
      fd[i] = (up - down) / (2 * h);
    }
    const scale = Math.max(...fd.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    for (let i = 0; i < k * N; i++) expect(Math.abs(g[i]! - fd[i]!)).toBeLessThan(1e-3 * scale);
    // the gradient is per copy: copy j's pixels get (1/k)·∂(1 − cos_j)/∂X_j
    for (const v of [cos, grad!, Xt]) v.dispose();
  });

  it('a BIM step is clamp(X + ε·sign(∇), −255, 255) (the official [−1, 1] clamp of [0, 1] images) and pushes the copies away', async () => {
    const Xt = tf.tensor4d(X0, [k, TS, TS, 3]);
    const { cos, grad } = attackStep(tf, t.forward, clean, Xt, true);
    const g = await grad!.data();
    const eps = 0.255;
    const next = bimUpdate(tf, Xt, grad!, eps);
    const got = await next.data();
    for (let i = 0; i < k * N; i++) expect(got[i]).toBeCloseTo(Math.min(255, Math.max(-255, X0[i]! + eps * Math.sign(g[i]!))), 4);
    expect(got[1]).toBeLessThanOrEqual(255);
    expect(loss64(got, k, b)).toBeGreaterThan(loss64(X0, k, b));
    for (const v of [cos, grad!, Xt, next]) v.dispose();
  });

  it('a BIM step moves every pixel whose gradient is non-zero, however small (torch.sign, not the wasm Sign kernel)', async () => {
    const g = tf.tensor4d([1e-9, -3e-8, 1.1e-7, -2e-12, 0, 5, -5, 1e-30], [1, 2, 2, 2]);
    const X = tf.zeros([1, 2, 2, 2]) as tf.Tensor4D;
    expect(Array.from(await bimUpdate(tf, X, g, 0.5).data())).toEqual([0.5, -0.5, 0.5, -0.5, 0, 0.5, -0.5, 0.5]);
    tf.dispose([g, X]);
  });

  it('the trace: S starts at the noisy copies, falls step by step, s_f is the mirror cosine, q aggregates them', async () => {
    const P = { k: 4, l: 5, epsilon: 0.01, p: 5 };
    const px = t.toPixels([x]);
    const tr = await faceqanOne(tf, t, px, 'face-1', 7, P);
    expect(tr.S).toHaveLength(20);
    const n0 = faceqanNoise(7, 'face-1', 4, N, 0.01 * 255);
    for (let j = 0; j < 4; j++) {
      const copy = Array.from({ length: N }, (_, i) => Math.min(255, Math.max(-255, Math.fround(x.data[i]! + n0[j * N + i]!))));
      expect(tr.S[j]).toBeCloseTo(cos64(b, emb64(copy)), 5);
    }
    const stepMeans = [0, 1, 2, 3, 4].map((s) => tr.S.slice(s * 4, s * 4 + 4).reduce((a, v) => a + v, 0) / 4);
    for (let s = 1; s < 5; s++) expect(stepMeans[s]).toBeLessThan(stepMeans[s - 1]!);
    expect(tr.sf).toBeCloseTo(cos64(emb64(x.data), emb64(flip(x.data))), 5);
    expect(tr.q).toBe(faceqanQuality(tr.S, tr.sf, 5));
    px.dispose();
  });

  it('same seed → identical; another seed → a small difference; batches do not matter', async () => {
    const m = await createQualityMethod('faceqan', { frModel: rec });
    const crops = [x, randomCrop(12, TS)];
    const a = await m.score(crops, { ids: ['x', 'y'], seed: 0 });
    expect(await m.score(crops, { ids: ['x', 'y'], seed: 0 })).toEqual(a);
    expect((await m.score([crops[1]!], { ids: ['y'], seed: 0 }))[0]).toBe(a[1]);
    const other = await m.score(crops, { ids: ['x', 'y'], seed: 1 });
    for (let i = 0; i < 2; i++) {
      expect(other[i]).not.toBe(a[i]);
      expect(Math.abs(other[i]! - a[i]!)).toBeLessThan(0.01 * Math.abs(a[i]!));
    }
    expect(m.requires).toEqual({ frModel: true, gradients: true });
    expect(m.params).toMatchObject({ k: 10, l: 5, epsilon: 0.001, epsilon_pixels: 0.255 });
  });
});

/**
 * FaceQAN as the official code computes it (`calculate_qs.py`, `bim_attack.py`, `util.py`, `symmetry.py`), written
 * out in float64 for the tiny model with its analytic input gradient: images in [0, 1] (`ToTensor`), the model
 * normalising inside; k copies + U(−ε, ε), clamped to [−1, 1]; per step: embeddings of the copies, loss
 * mean_j(1 − cos(base, e_j)), X ← clamp(X + ε·sign(∂loss/∂X), −1, 1), then S gets the cosines of the copies *before*
 * the update; s_f = cos(emb(x), emb(flip x)); q = F(S, s_f) with numpy's mean and population std over all l·k values.
 * The noise draws are the method's seeded stream (torch's RNG cannot be reproduced), scaled to [0, 1] units.
 */
function officialFaceqan(x255: ArrayLike<number>, id: string, seed: number, P: { k: number; l: number; epsilon: number; p: number }, clampLo = -1) {
  const x01 = Float64Array.from(x255, (v) => v / 255);
  const model = (v01: ArrayLike<number>) => emb64(Array.from(v01, (v) => v * 255));
  const base = model(x01);
  const rng = rngFor(seed, 'faceqan', id);
  const clamp = (v: number) => Math.min(1, Math.max(clampLo, v));
  let X = Array.from({ length: P.k }, () => Float64Array.from(x01, (v) => clamp(v + rng.uniform(-P.epsilon * 255, P.epsilon * 255) / 255)));
  const S: number[] = [];
  for (let it = 0; it < P.l; it++) {
    const cosines: number[] = [];
    const next = X.map((xj) => {
      // forward: a = (x − 0.5)·W1, f = tanh(a), e = f·W2 + b2
      const a = new Float64Array(TH);
      for (let h = 0; h < TH; h++) for (let i = 0; i < N; i++) a[h] += (xj[i]! - 0.5) * tinyW.W1[i * TH + h]!;
      const f = a.map(Math.tanh);
      const e = tinyHead64(f);
      const nb = Math.hypot(...base), ne = Math.hypot(...e);
      const c = e.reduce((s, v, d) => s + v * base[d]!, 0) / (nb * ne);
      cosines.push(c);
      // ∂(1 − cos)/∂e, back through W2, tanh and W1 (the 1/k of the mean does not change a sign)
      const ge = e.map((v, d) => -(base[d]! / (nb * ne) - (c * v) / (ne * ne)));
      const gf = new Float64Array(TH);
      for (let h = 0; h < TH; h++) for (let d = 0; d < TD; d++) gf[h] += ge[d]! * tinyW.W2[h * TD + d]!;
      const gx = new Float64Array(N);
      for (let i = 0; i < N; i++) for (let h = 0; h < TH; h++) gx[i] += gf[h]! * (1 - f[h]! ** 2) * tinyW.W1[i * TH + h]!;
      return Float64Array.from(xj, (v, i) => clamp(v + P.epsilon * Math.sign(gx[i]!)));
    });
    X = next;
    S.push(...cosines);
  }
  const mean = S.reduce((s, v) => s + v, 0) / S.length;
  const std = Math.sqrt(S.reduce((s, v) => s + (v - mean) ** 2, 0) / S.length);
  const sf = cos64(model(x01), model(flip(x01)));
  return { S, sf, q: (((1 + mean) / 2) * Math.min(1, Math.max(0, 1 - std)) * sf) ** P.p };
}

describe('FaceQAN against the official algorithm (float64 re-implementation)', async () => {
  const rec = await tinyTfjsRecognizer();
  const t = await rec.gradients!();
  // a crop with black and white pixels, where the clamp matters; ε large enough for the attack to move the copies
  const x = randomCrop(21, TS);
  for (let i = 0; i < N; i += 5) x.data[i] = i % 10 === 0 ? 0 : 255;
  const P = { k: 5, l: 5, epsilon: 0.02, p: 5 };

  it('S (every step, every copy), s_f and q equal the official computation', async () => {
    const px = t.toPixels([x]);
    const ours = await faceqanOne(tf, t, px, 'face', 3, P);
    px.dispose();
    const ref = officialFaceqan(x.data, 'face', 3, P);
    expect(ours.S).toHaveLength(ref.S.length);
    for (let i = 0; i < ref.S.length; i++) expect(ours.S[i]).toBeCloseTo(ref.S[i]!, 5);
    expect(ours.sf).toBeCloseTo(ref.sf, 5);
    expect(ours.q).toBeCloseTo(ref.q, 5);
    // the attack did something: the last step's cosines are clearly below the first's
    expect(Math.min(...ref.S.slice(-P.k))).toBeLessThan(Math.min(...ref.S.slice(0, P.k)) - 1e-3);
    // and the clamp is part of what is checked: clamping to the image range [0, 1] instead gives other cosines
    const imageClamp = officialFaceqan(x.data, 'face', 3, P, 0);
    expect(Math.max(...imageClamp.S.map((v, i) => Math.abs(v - ref.S[i]!)))).toBeGreaterThan(1e-4);
  });
});

describe('FaceQAN needs input gradients', () => {
  it('an ONNX model is a clear error', async () => {
    const dir = tempDir('faceqan-onnx');
    const rec = await createRecognizer(`onnx:${tinyOnnxFile(dir)}`, { preprocess: { size: OS } });
    await expect(createQualityMethod('faceqan', { frModel: rec })).rejects.toThrow(/faceqan needs input gradients; ".*" is an ONNX model .*use a tfjs model \(faceres, faceres-deep, faceapi-resnet, mobileface\)/);
    await rec.dispose();
  });

  it('runs on a built-in graph model (mobileface, with the wasm gradient kernels)', async () => {
    const m = await createQualityMethod('faceqan', { frModel: 'mobileface', params: { k: 2, l: 2 } });
    expect(m.input.size).toBe(112);
    const q = await m.score([randomCrop(1, 112)], { ids: ['r'], seed: 0 });
    expect(Number.isFinite(q[0])).toBe(true);
    expect(Math.abs(q[0]!)).toBeLessThanOrEqual(1);
    await m.dispose();
  });
});
