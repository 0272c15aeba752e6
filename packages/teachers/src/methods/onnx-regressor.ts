/**
 * Official weights of the learned regressors, exported to ONNX (`--onnx FILE`): CR-FIQA (the `qs` output of its
 * iResNet), SDD-FIQA (IR-50 regressor), FaceQnet v1 (Keras ResNet-50, output clipped to [0, 1]) and DifFIQA(R). Each
 * runs with its own input convention (its folder's `official.ts`); a model whose input does not have the
 * convention's size is refused with the shape it has and the one expected.
 */
import { basename } from 'node:path';
import { InputError, fileSha256 } from '@aikd/core';
import { createOnnxSession, ort, type OnnxSession, type OnnxValueInfo } from '@aikd/runtime';
import { templateForSize } from '@aikd/alignment';
import { cropsToOnnxInput } from '@aikd/fr-models';
import { onnxRegressorParams, type OnnxConvention } from './official.ts';
import { resolveParams } from '../params.ts';
import type { QualityMethod } from '../types.ts';
import { checkCount } from './common.ts';

export { onnxRegressorParams };

const dimOk = (d: number | string | undefined, want: number) => typeof d !== 'number' || d <= 0 || d === want;

/** The layout the model's input declares (3 channels at position 1 or 3), else the convention's default. */
function inputLayout(method: string, c: OnnxConvention, file: string, info: OnnxValueInfo): 'NCHW' | 'NHWC' {
  const shape = info.shape;
  const expected = `[batch, 3, ${c.size}, ${c.size}] or [batch, ${c.size}, ${c.size}, 3] (${c.note})`;
  if (!shape) return c.layout;
  if (shape.length !== 4) throw new InputError({ file, where: `input "${info.name}"`, expected: `an image batch ${expected}`, got: `[${shape.join(', ')}]` });
  const nchw = shape[1] === 3 && dimOk(shape[2], c.size) && dimOk(shape[3], c.size);
  const nhwc = shape[3] === 3 && dimOk(shape[1], c.size) && dimOk(shape[2], c.size);
  if (nchw && nhwc) return c.layout;
  if (nchw) return 'NCHW';
  if (nhwc) return 'NHWC';
  throw new InputError({ file, where: `input "${info.name}"`, expected: `${method} crops of ${c.size}×${c.size}: ${expected}`, got: `[${shape.join(', ')}]` });
}

function pickOutput(session: OnnxSession, file: string, name?: string): string {
  if (name) {
    if (!session.outputs.some((o) => o.name === name)) throw new InputError({ file, expected: `an output named "${name}"`, got: `outputs ${session.outputs.map((o) => o.name).join(', ')}` });
    return name;
  }
  const scalar = session.outputs.filter((o) => o.shape && (o.shape.length === 1 || (o.shape.length === 2 && o.shape[1] === 1)));
  if (scalar.length === 1) return scalar[0]!.name;
  if (session.outputs.length === 1) return session.outputs[0]!.name;
  throw new InputError({
    file,
    expected: 'one quality output of shape [batch, 1] (or give its name with --param output=NAME)',
    got: `outputs ${session.outputs.map((o) => `${o.name} [${o.shape?.join(', ') ?? '?'}]`).join(', ')}`,
  });
}

/** `method` with its official weights `file`, run with the network's input convention `conv`. */
export async function createOnnxRegressor(method: string, conv: OnnxConvention, file: string, params?: Record<string, unknown>): Promise<QualityMethod> {
  const P = resolveParams(method, onnxRegressorParams, params);
  const session = await createOnnxSession(file);
  try {
    const input = session.inputs[0]!;
    if (session.inputs.length !== 1) throw new InputError({ file, expected: `one image input (${conv.note})`, got: `inputs ${session.inputs.map((i) => i.name).join(', ')}` });
    const layout = inputLayout(method, conv, file, input);
    const output = pickOutput(session, file, P.output);
    const pre = { size: conv.size, colour: conv.colour, mean: conv.mean, std: conv.std, layout } as const;
    const dims = (n: number) => (layout === 'NCHW' ? [n, 3, conv.size, conv.size] : [n, conv.size, conv.size, 3]);
    const clip = conv.clip;
    return {
      id: method,
      requires: { training: true },
      params: { onnx: file, output, layout, convention: conv.note },
      weightsHash: (await fileSha256(file)).slice(0, 16),
      range: clip ? { min: clip[0], max: clip[1], note: `official ${method} weights (${basename(file)}), clipped to [${clip.join(', ')}]` } : { min: null, max: null, note: `official ${method} weights (${basename(file)}), raw output` },
      input: { size: conv.size, template: templateForSize(conv.size) },
      batchSize: 32,
      async score(crops, ctx) {
        checkCount(method, crops, ctx.ids);
        if (!crops.length) return new Float64Array(0);
        const res = await session.run({ [input.name]: new ort.Tensor('float32', cropsToOnnxInput(crops, pre), dims(crops.length)) }, [output]);
        const t = res[output]!;
        if (t.data.length !== crops.length)
          throw new InputError({ file, where: `output "${output}"`, expected: `one quality per image ([${crops.length}, 1])`, got: `[${t.dims.join(', ')}]` });
        const q = Float64Array.from(t.data as Float32Array);
        return clip ? q.map((v) => Math.min(clip[1], Math.max(clip[0], v))) : q;
      },
      dispose: () => session.release(),
    };
  } catch (e) {
    await session.release();
    throw e;
  }
}
