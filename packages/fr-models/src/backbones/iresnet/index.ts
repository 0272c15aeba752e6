import { readFileSync } from 'node:fs';
import { tf } from '@aikd/runtime';
import { AikdError, InputError, sha256Hex } from '@aikd/core';
import { templateForSize } from '@aikd/alignment';
import type { OnnxPreprocess } from '../../types.ts';
import type { BackboneSource, BackboneSpec } from '../types.ts';
import { buildIResNet, IRESNET_BN_EPS, IRESNET_DEPTHS, layoutName, type IResNetLayout, type IResNetWeights } from './layout.ts';
import { importIResNetOnnx } from './onnx-import.ts';

export { buildIResNet, fromTorchLayout, randomIResNetWeights, iresnetStateDict, IRESNET_DEPTHS, IRESNET_BN_EPS, layoutName, type IResNetLayout, type IResNetWeights, type IResNetStateTensor } from './layout.ts';
export { importIResNetOnnx, type ImportedIResNet } from './onnx-import.ts';

/** The last IBasicBlock of the last stage, and that whole stage, each with the head after it (bn2, fc, features). */
export function iresnetDepths(l: IResNetLayout): BackboneSpec['depths'] {
  const s = l.layers.length, n = l.layers[s - 1]!;
  return {
    'last-block': { from: `layer${s}.${n - 1}.bn1.weight`, covers: `block layer${s}.${n - 1} + bn2, fc, features` },
    'last-stage': { from: `layer${s}.0.bn1.weight`, covers: `stage layer${s} (${n} blocks) + bn2, fc, features` },
  };
}

/** An ONNX preprocessing convention as the in-model normalisation layer of a tfjs copy. */
export function normalisationOf(p: Pick<OnnxPreprocess, 'mean' | 'std' | 'colour'>): BackboneSpec['normalisation'] {
  const three = (x: number | [number, number, number]) => (typeof x === 'number' ? [x, x, x] : [...x]);
  return {
    mean: three(p.mean),
    // multiply by 1/std, as the ONNX recogniser's preprocessing does, so the two see bit-identical inputs
    scale: three(p.std).map((s) => 1 / s),
    op: 'mul',
    channels: p.colour,
  };
}

/**
 * An iResNet backbone from a layout and weights already in tfjs layout (`randomIResNetWeights`, a PyTorch checkpoint's
 * converted tensors). Default input convention RGB (x − 127.5)/127.5, BN eps 1e-5 (insightface).
 */
export function iresnetSourceFromWeights(
  id: string,
  layout: IResNetLayout,
  weights: IResNetWeights,
  source: string,
  opts: { input?: Pick<OnnxPreprocess, 'mean' | 'std' | 'colour'>; bnEps?: number; weightsHash?: string } = {},
): BackboneSource {
  const normalisation = normalisationOf(opts.input ?? { mean: 127.5, std: 127.5, colour: 'RGB' });
  const bnEps = opts.bnEps ?? IRESNET_BN_EPS;
  return {
    spec: {
      id,
      family: 'iresnet',
      recognizer: id,
      inputSize: layout.inputSize,
      template: templateForSize(layout.inputSize),
      embeddingSize: layout.embedding,
      normalisation,
      batchNorm: 'statistics',
      depths: iresnetDepths(layout),
      source,
      weightsHash: opts.weightsHash ?? 'none',
      layout: { name: layoutName(layout), ...layout, bnEps },
    },
    build: (input) => buildIResNet(layout, input, weights, normalisation, bnEps),
    dispose: () => tf.dispose([...weights.values()]),
  };
}

/**
 * An iResNet backbone from a user's ONNX file (a preset such as `cosface`, a models.yaml entry, or `onnx:<path>`).
 * `expect` (`iresnet18` / `iresnet50` / `iresnet100`) checks the stage depths found in the file.
 */
export function createIResNetSource(opts: { id: string; recognizer: string; path: string; preprocess: OnnxPreprocess; expect?: string }): BackboneSource {
  const { path, preprocess: p } = opts;
  if (p.layout !== 'NCHW') throw new AikdError(`${path}: an insightface IResNet export takes NCHW input (the preprocessing says ${p.layout})`);
  const bytes = readFileSync(path);
  const imp = importIResNetOnnx(bytes, path);
  if (imp.layout.inputSize !== p.size) throw new InputError({ file: path, expected: `${p.size}×${p.size} input (from the preprocessing)`, got: `a network for ${imp.layout.inputSize}×${imp.layout.inputSize}` });
  if (opts.expect) {
    const want = IRESNET_DEPTHS[opts.expect];
    if (!want) throw new AikdError(`unknown iResNet variant "${opts.expect}" (expected one of ${Object.keys(IRESNET_DEPTHS).join(', ')})`);
    if (want.join() !== imp.layout.layers.join()) throw new InputError({ file: path, expected: `${opts.expect} (blocks ${want.join('-')})`, got: `blocks ${imp.layout.layers.join('-')}` });
  }
  const normalisation = normalisationOf(p);
  const spec: BackboneSpec = {
    id: opts.id,
    family: 'iresnet',
    recognizer: opts.recognizer,
    inputSize: imp.layout.inputSize,
    template: templateForSize(imp.layout.inputSize),
    embeddingSize: imp.layout.embedding,
    normalisation,
    batchNorm: 'statistics',
    depths: iresnetDepths(imp.layout),
    source: path,
    weightsHash: sha256Hex(bytes).slice(0, 16),
    layout: { name: layoutName(imp.layout), ...imp.layout, onnxBatchNorm: imp.batchNorm, bnEps: imp.bnEps, opset: imp.opset },
  };
  return {
    spec,
    build: (input) => buildIResNet(imp.layout, input, imp.weights, normalisation, imp.bnEps, imp.foldedBatchNorms),
    dispose: () => tf.dispose([...imp.weights.values()]),
  };
}
