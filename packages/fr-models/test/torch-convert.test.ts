/**
 * Both routes from one reading of a PyTorch checkpoint — the ONNX file run by onnxruntime-node, and the tf.layers
 * model — against PyTorch itself: its eval-mode outputs on real aligned faces (outputs.json, written by
 * scripts/make-torch-fixtures.py with Debian's python3-torch), for every fixture layout of the paper family (both
 * containers, float16 storage, a `module.` prefix, the CR-FIQA / AI-KD / DifFIQA(R) heads, MagFace's training
 * checkpoint with BN eps 2e-5). The input conventions are applied here from the fixture's description, not from the
 * code under test: RGB (x/255 − 0.5)/0.5 for the insightface family, BGR x/255 for MagFace.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime, createOnnxSession, ort } from '@aikd/runtime';
import { decodeImage, type RawImage } from '@aikd/datasets';
import { importIResNetOnnx, buildIResNet, readTorchModel, torchModelKind, torchOnnxBytes, torchTfjsModel, TORCH_ONNX_OUTPUTS, type TorchModel } from '../src/index.ts';
import { normalisationOf } from '../src/backbones/iresnet/index.ts';

const dir = join(import.meta.dirname, 'fixtures', 'torch');
const outputs = JSON.parse(readFileSync(join(dir, 'outputs.json'), 'utf8')) as { faces: string[] } & Record<string, { embedding?: number[]; quality?: number[] }>;
const tmp = mkdtempSync(join(tmpdir(), 'aikd-torch-convert-'));

/** [file, --as kind, key in outputs.json, BGR x/255 input (MagFace) or RGB (x/255 − 0.5)/0.5]. */
const CASES: [file: string, kind: string, expected: string, bgr01: boolean][] = [
  ['iresnet.pth', 'cosface', 'iresnet', false],
  ['iresnet-legacy.pth', 'cosface', 'iresnet', false],
  ['iresnet-fp16.pth', 'cosface', 'iresnet-fp16', false],
  ['iresnet-module.pth', 'cosface', 'iresnet', false],
  ['crfiqa.pth', 'crfiqa', 'crfiqa', false],
  ['aikd.pth', 'aikd', 'aikd', false],
  ['diffiqa-r.pth', 'diffiqa-r', 'diffiqa-r', false],
  ['magface.pth', 'magface', 'magface', true],
];

let faces: RawImage[];
const N = () => faces.length;

/** NCHW float input written from the fixture's convention (independent of the code under test). */
function nchw(bgr01: boolean): Float32Array {
  const S = faces[0]!.width, hw = S * S;
  const out = new Float32Array(N() * 3 * hw);
  faces.forEach((f, i) => {
    for (let c = 0; c < 3; c++) {
      const src = bgr01 ? 2 - c : c;
      for (let k = 0; k < hw; k++) {
        const x = f.data[k * 3 + src]! / 255;
        out[i * 3 * hw + c * hw + k] = bgr01 ? x : (x - 0.5) / 0.5;
      }
    }
  });
  return out;
}

function cosines(got: ArrayLike<number>, want: readonly number[], n: number): number[] {
  const d = want.length / n;
  return Array.from({ length: n }, (_, i) => {
    let ab = 0, aa = 0, bb = 0;
    for (let j = 0; j < d; j++) {
      const a = got[i * d + j]!, b = want[i * d + j]!;
      ab += a * b;
      aa += a * a;
      bb += b * b;
    }
    return ab / Math.sqrt(aa * bb);
  });
}

const maxAbs = (got: ArrayLike<number>, want: readonly number[]) => Math.max(...want.map((w, i) => Math.abs(got[i]! - w)));
const norms = (e: ArrayLike<number>, n: number) => Array.from({ length: n }, (_, i) => Math.hypot(...Array.from(e).slice((i * e.length) / n, ((i + 1) * e.length) / n)));

/**
 * The check every route passes: the acceptance bounds (embeddings at cosine ≥ 0.99999 per face, quality within 1e-4;
 * MagFace's quality is the norm), and tighter ones at about 10× the agreement measured (1 − cos ≤ 1e-9, quality within
 * 5e-6; measured: 1 − cos ≤ 2e-13, |Δq| ≤ 7e-7): building MagFace with insightface's BN eps 1e-5 instead of its 2e-5
 * moves the norm by 4.7e-5 and 1 − cos to 2.5e-11 — inside the acceptance bounds, caught by the tight ones.
 */
function expectMatchesPyTorch(expected: string, embedding: ArrayLike<number> | undefined, quality: ArrayLike<number> | undefined, embeddingOnly = false) {
  const want = outputs[expected]!;
  if (want.embedding) {
    expect(embedding).toBeDefined();
    expect(embedding!.length).toBe(want.embedding.length);
    for (const c of cosines(embedding!, want.embedding, N())) {
      expect(c).toBeGreaterThanOrEqual(0.99999);
      expect(1 - c).toBeLessThanOrEqual(1e-9);
    }
  }
  if (want.quality && !embeddingOnly) {
    const q = expected === 'magface' ? norms(embedding!, N()) : quality;
    expect(q).toBeDefined();
    expect(q!.length).toBe(N());
    expect(maxAbs(q!, want.quality)).toBeLessThanOrEqual(1e-4);
    expect(maxAbs(q!, want.quality)).toBeLessThanOrEqual(5e-6);
  }
}

const models = new Map<string, TorchModel>();
const model = async (file: string, kind: string) => {
  const key = `${file}|${kind}`;
  if (!models.has(key)) models.set(key, await readTorchModel(join(dir, file), torchModelKind(kind)));
  return models.get(key)!;
};

beforeAll(async () => {
  await initRuntime();
  faces = await Promise.all(outputs.faces.map(async (f) => decodeImage(new Uint8Array(readFileSync(join(dir, 'faces', f))), f)));
  expect(faces.length).toBe(readdirSync(join(dir, 'faces')).length);
  expect(faces.length).toBeGreaterThanOrEqual(6);
}, 60_000);

afterAll(() => {
  for (const d of tfDisposers) d();
});
const tfDisposers: (() => void)[] = [];

describe('ONNX route (written by the project’s ONNX writer, run by onnxruntime-node) = PyTorch on real aligned faces', () => {
  for (const [file, kind, expected, bgr01] of CASES) {
    it(`${file} --as ${kind}`, async () => {
      const m = await model(file, kind);
      const path = join(tmp, `${file}.onnx`);
      writeFileSync(path, torchOnnxBytes(m));
      const session = await createOnnxSession(path);
      try {
        expect(session.inputs.map((i) => i.name)).toEqual([TORCH_ONNX_OUTPUTS.input]);
        const names = session.outputs.map((o) => o.name);
        expect(names).toEqual(m.architecture.head ? ['embedding', 'quality'] : ['embedding']);
        const S = faces[0]!.width;
        const res = await session.run({ input: new ort.Tensor('float32', nchw(bgr01), [N(), 3, S, S]) }, names);
        expectMatchesPyTorch(expected, res.embedding!.data as Float32Array, res.quality?.data as Float32Array | undefined);
      } finally {
        await session.release();
      }
    });
  }

  it('the heads are what the paper family trains: qs / linear Linear(E → 1), AI-KD Linear(E → 2E) → GELU (erf) → Linear(2E → 1)', async () => {
    const bytes = torchOnnxBytes(await model('aikd.pth', 'aikd'));
    const { onnxProto } = await import('../src/index.ts');
    const g = onnxProto.decodeModel(bytes).graph;
    const after = (name: string) => g.nodes.filter((n) => n.inputs.includes(name)).map((n) => n.opType);
    expect(after('embedding')).toEqual(['Gemm']);
    expect(g.nodes.filter((n) => n.name.startsWith('quality_head')).map((n) => n.opType)).toEqual(['Gemm', 'Div', 'Erf', 'Add', 'Mul', 'Mul', 'Gemm']);
    expect(g.initializers.find((t) => t.name === 'quality_head.l1.weight')!.dims).toEqual([64, 32]);
  });
});

describe('tf.layers route (the trainable iResNet + head, from the same reading) = PyTorch on real aligned faces', () => {
  for (const [file, kind, expected] of CASES) {
    it(`${file} --as ${kind}`, async () => {
      const m = await model(file, kind);
      const t = torchTfjsModel(m);
      tfDisposers.push(() => t.dispose());
      const S = faces[0]!.width;
      const pixels = tf.tensor4d(Float32Array.from(faces.flatMap((f) => Array.from(f.data))), [N(), S, S, 3]);
      const out = t.model.predict(pixels) as tf.Tensor | tf.Tensor[];
      const [e, q] = Array.isArray(out) ? out : [out];
      expectMatchesPyTorch(expected, e!.dataSync() as Float32Array, q?.dataSync() as Float32Array | undefined);
      tf.dispose([pixels, ...(Array.isArray(out) ? out : [out])]);
      // every parameter of PyTorch's model.parameters() is here (BN statistics are buffers), in its order: backbone, then head
      const head = m.architecture.head;
      const last = head ? `${head.prefix}${head.kind === 'mlp' ? 'l2' : ''}`.replace(/\.$/, '') : 'features';
      expect(t.params.map((p) => p.name).slice(-2)).toEqual([`${last}.weight`, `${last}.bias`]);
      expect(t.params).toHaveLength([...m.tensors.keys()].filter((k) => !/running_(mean|var)$/.test(k)).length);
    }, 60_000);
  }

  it('input gradients flow through the whole network to the pixels (AI-KD: ∂quality/∂pixels)', async () => {
    const t = torchTfjsModel(await model('aikd.pth', 'aikd'));
    tfDisposers.push(() => t.dispose());
    const S = faces[0]!.width;
    const x = tf.tensor4d(Float32Array.from(Array.from(faces[0]!.data)), [1, S, S, 3]);
    const g = tf.grad((p: tf.Tensor) => ((t.model.apply(p) as tf.Tensor[])[1] as tf.Tensor).sum())(x);
    const v = g.dataSync();
    expect(v.every(Number.isFinite)).toBe(true);
    expect(Math.max(...Array.from(v, Math.abs))).toBeGreaterThan(0);
    tf.dispose([x, g]);
  });
});

describe('the written ONNX file is also what `tfjs:<model>` reads (the iResNet ONNX importer)', () => {
  for (const [file, kind, expected, bgr01] of CASES.filter(([f]) => ['iresnet.pth', 'magface.pth', 'crfiqa.pth'].includes(f))) {
    it(`${file}: importer finds the layout, the BN eps (${bgr01 ? '2e-5' : '1e-5'}) and weights that give PyTorch's embedding`, async () => {
      const m = await model(file, kind);
      const imp = importIResNetOnnx(torchOnnxBytes(m), file);
      expect(imp.layout).toEqual(m.architecture.backbone);
      expect(imp.bnEps).toBeCloseTo(m.architecture.bnEps, 10);
      expect(imp.batchNorm.foldedIntoConv).toBe(0);
      const input = tf.input({ shape: [112, 112, 3] });
      const norm = normalisationOf(bgr01 ? { mean: 0, std: 255, colour: 'BGR' } : { mean: 127.5, std: 127.5, colour: 'RGB' });
      const net = tf.model({ inputs: input, outputs: buildIResNet(imp.layout, input, imp.weights, norm, imp.bnEps).output });
      const pixels = tf.tensor4d(Float32Array.from(faces.flatMap((f) => Array.from(f.data))), [N(), 112, 112, 3]);
      const e = net.predict(pixels) as tf.Tensor;
      expectMatchesPyTorch(expected, e.dataSync() as Float32Array, undefined, kind === 'crfiqa');
      tf.dispose([pixels, e, ...imp.weights.values()]);
      net.dispose();
    }, 60_000);
  }
});
