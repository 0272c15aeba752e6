/**
 * ONNX recognisers (`onnx:<path>` and the paper's presets), run by onnxruntime-node: pure inference, the fast
 * route (≈ PyTorch speed on CPU). Preprocessing is explicit: size, colour order, (x − mean)/std, layout.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createOnnxSession, ort, type OnnxSession } from '@aikd/runtime';
import { InputError, fileSha256 } from '@aikd/core';
import { templateForSize } from '@aikd/alignment';
import type { RawImage } from '@aikd/datasets';
import { cropsToOnnxInput, pixelsToOnnxInput } from '../preprocess.ts';
import type { OnnxPreprocess, PenultimateAccess, Recognizer, RecognizerSpec } from '../types.ts';
import { splitBeforeLastLinear } from './split.ts';

const triple = (x: number | [number, number, number]): [number, number, number] => (typeof x === 'number' ? [x, x, x] : x);

function checkInput(session: OnnxSession, p: OnnxPreprocess, file: string): string {
  const name = p.input ?? session.inputs[0]?.name;
  const info = session.inputs.find((i) => i.name === name);
  if (!info) throw new InputError({ file, expected: `an input named "${name}" (the model has ${session.inputs.map((i) => i.name).join(', ')})` });
  const shape = info.shape;
  if (shape) {
    const want = p.layout === 'NCHW' ? [3, p.size, p.size] : [p.size, p.size, 3];
    const got = shape.slice(1);
    const bad = shape.length !== 4 || got.some((d, i) => typeof d === 'number' && d > 0 && d !== want[i]);
    if (bad)
      throw new InputError({
        file,
        where: `input "${name}"`,
        expected: `shape [batch, ${want.join(', ')}] (${p.layout}, ${p.size}×${p.size}); set the preprocessing size/layout to match`,
        got: `[${shape.join(', ')}]`,
      });
  }
  return name!;
}

function pickOutput(session: OnnxSession, p: OnnxPreprocess, file: string): string {
  if (p.output) {
    if (!session.outputs.some((o) => o.name === p.output))
      throw new InputError({ file, expected: `an output named "${p.output}"`, got: `outputs ${session.outputs.map((o) => o.name).join(', ')}` });
    return p.output;
  }
  const emb = session.outputs.find((o) => o.shape?.length === 2 && (typeof o.shape[1] !== 'number' || o.shape[1] > 1));
  return (emb ?? session.outputs[0]!).name;
}

/**
 * Images per ONNX Runtime call. A batch runs in parts this big so that a layer's activations stay in the CPU's
 * caches: batch 32 as four runs of 8 took mobileface from 0.80 to 0.50 CPU ms/img (1 thread) and faceapi-resnet
 * from 8.3 to 6.8 (2 cores, AVX2). An image's values do not depend on the images run beside it (up to float
 * rounding where a kernel is chosen by batch size).
 */
export const ONNX_CHUNK = 8;

export interface OnnxRecognizerOptions {
  id?: string;
  description?: string;
  /** Spec fields the file cannot say (the built-in models: their template, normalisation inside the graph, source). */
  spec?: Partial<RecognizerSpec>;
  /** Where the penultimate features are when the model gives them as an output: that output's name and a model
   * from it to the embedding. Otherwise the graph is split before its last linear layer, if it can be. */
  head?: { model: string | Uint8Array; featureName: string };
}

export async function createOnnxRecognizer(path: string, p: OnnxPreprocess, meta: OnnxRecognizerOptions = {}): Promise<Recognizer> {
  const session = await createOnnxSession(path);
  const inputName = checkInput(session, p, path);
  const outputName = pickOutput(session, p, path);
  const id = meta.id ?? `onnx:${path}`;
  let embeddingSize = 0;
  const declared = session.outputs.find((o) => o.name === outputName)?.shape;
  if (declared && typeof declared[1] === 'number') embeddingSize = declared[1];
  const spec: RecognizerSpec = {
    id,
    description: meta.description ?? `ONNX model ${basename(path)}`,
    engine: 'onnx',
    inputSize: p.size,
    template: templateForSize(p.size),
    colour: p.colour,
    normalisation: { mean: triple(p.mean), std: triple(p.std), where: 'before-model' },
    embeddingSize,
    source: path,
    weightsHash: meta.spec?.weightsHash ?? (await fileSha256(path)).slice(0, 16),
    ...meta.spec,
  };
  const dims = (n: number) => (p.layout === 'NCHW' ? [n, 3, p.size, p.size] : [n, p.size, p.size, 3]);
  /** `outName` for n images, run ONNX_CHUNK images at a time; the parts joined along the batch axis. */
  const run = async (s: OnnxSession, input: Float32Array, n: number, outName: string): Promise<{ data: Float32Array; dims: number[] }> => {
    const per = input.length / n;
    const parts: ort.Tensor[] = [];
    for (let i = 0; i < n; i += ONNX_CHUNK) {
      const m = Math.min(ONNX_CHUNK, n - i);
      parts.push((await s.run({ [inputName]: new ort.Tensor('float32', input.subarray(i * per, (i + m) * per), dims(m)) }, [outName]))[outName]!);
    }
    const first = parts[0]!;
    if (parts.length === 1) return { data: first.data as Float32Array, dims: [...first.dims] };
    const data = new Float32Array(parts.reduce((a, t) => a + t.data.length, 0));
    let at = 0;
    for (const t of parts) {
      data.set(t.data as Float32Array, at);
      at += t.data.length;
    }
    return { data, dims: [parts.reduce((a, t) => a + t.dims[0]!, 0), ...first.dims.slice(1)] };
  };
  const embeddings = async (input: Float32Array, n: number) => {
    if (!n) return [];
    const t = await run(session, input, n, outputName);
    if (t.dims.length !== 2 || t.dims[0] !== n)
      throw new InputError({ file: path, where: `output "${outputName}"`, expected: `embeddings of shape [${n}, d]`, got: `[${t.dims.join(', ')}]` });
    const d = t.dims[1]!;
    spec.embeddingSize = d;
    const data = t.data;
    return Array.from({ length: n }, (_, i) => data.slice(i * d, (i + 1) * d));
  };

  let penultimate: PenultimateAccess | undefined;
  // the feature sessions open on first use: most commands never need the features
  let sessions: Promise<[OnnxSession, OnnxSession]> | undefined;
  const split = meta.head
    ? { featureName: meta.head.featureName, outputName, backbone: session, head: meta.head.model }
    : (() => {
        const s = splitBeforeLastLinear(new Uint8Array(readFileSync(path)), outputName);
        return s && { featureName: s.featureName, outputName: s.outputName, backbone: s.backbone, head: s.head };
      })();
  if (split) {
    const open = () =>
      (sessions ??= Promise.all([
        split.backbone instanceof Uint8Array ? createOnnxSession(split.backbone, { label: `${path} (backbone)` }) : Promise.resolve(split.backbone as OnnxSession),
        createOnnxSession(split.head, { label: `${path} (head)` }),
      ]));
    penultimate = {
      async features(crops) {
        const t = await run((await open())[0], cropsToOnnxInput(crops, p), crops.length, split.featureName);
        return { data: t.data, shape: t.dims };
      },
      async head(features, shape) {
        const hd = (await open())[1];
        const res = await hd.run({ [split.featureName]: new ort.Tensor('float32', features, shape) }, [split.outputName]);
        const t = res[split.outputName]!;
        return { data: t.data as Float32Array, shape: [...t.dims] };
      },
    };
  }

  return {
    id,
    spec,
    penultimate,
    embed: async (crops) => embeddings(cropsToOnnxInput(crops, p), crops.length),
    embedPixels: async (pixels, n) => embeddings(pixelsToOnnxInput(pixels, n, p), n),
    async dispose() {
      if (sessions) for (const s of await sessions) if (s !== session) await s.release();
      await session.release();
    },
  };
}
