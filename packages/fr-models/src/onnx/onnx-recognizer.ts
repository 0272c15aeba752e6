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
import { cropsToOnnxInput } from '../preprocess.ts';
import type { OnnxHeadAccess, OnnxPreprocess, Recognizer, RecognizerSpec } from '../types.ts';
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

export async function createOnnxRecognizer(
  path: string,
  p: OnnxPreprocess,
  meta: { id?: string; description?: string } = {},
): Promise<Recognizer> {
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
    weightsHash: (await fileSha256(path)).slice(0, 16),
  };
  const dims = (n: number) => (p.layout === 'NCHW' ? [n, 3, p.size, p.size] : [n, p.size, p.size, 3]);
  const runEmbed = async (s: OnnxSession, crops: readonly RawImage[], outName: string) => {
    const input = new ort.Tensor('float32', cropsToOnnxInput(crops, p), dims(crops.length));
    const res = await s.run({ [inputName]: input }, [outName]);
    return res[outName]!;
  };

  let head: OnnxHeadAccess | undefined;
  const split = splitBeforeLastLinear(new Uint8Array(readFileSync(path)), outputName);
  if (split) {
    const [bb, hd] = await Promise.all([createOnnxSession(split.backbone, { label: `${path} (backbone)` }), createOnnxSession(split.head, { label: `${path} (head)` })]);
    head = {
      featureShape: [],
      async features(crops) {
        const t = await runEmbed(bb, crops, split.featureName);
        return { data: t.data as Float32Array, shape: [...t.dims] };
      },
      async head(features, shape) {
        const res = await hd.run({ [split.featureName]: new ort.Tensor('float32', features, shape) }, [split.outputName]);
        const t = res[split.outputName]!;
        return { data: t.data as Float32Array, shape: [...t.dims] };
      },
    };
  }

  return {
    id,
    spec,
    onnxHead: head,
    async embed(crops) {
      if (!crops.length) return [];
      const t = await runEmbed(session, crops, outputName);
      if (t.dims.length !== 2 || t.dims[0] !== crops.length)
        throw new InputError({ file: path, where: `output "${outputName}"`, expected: `embeddings of shape [${crops.length}, d]`, got: `[${t.dims.join(', ')}]` });
      const d = t.dims[1]!;
      spec.embeddingSize = d;
      const data = t.data as Float32Array;
      return crops.map((_, i) => data.slice(i * d, (i + 1) * d));
    },
    dispose: () => session.release(),
  };
}
