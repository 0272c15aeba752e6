import { readFileSync } from 'node:fs';
import { tf } from '@aikd/runtime';
import { AikdError, InputError, sha256Hex } from '@aikd/core';
import { templateForSize } from '@aikd/alignment';
import type { OnnxPreprocess } from '../../types.ts';
import type { BackboneSource, BackboneSpec } from '../types.ts';
import { buildIResNet, IRESNET_DEPTHS, layoutName, type IResNetLayout, type IResNetWeights } from './layout.ts';
import { importIResNetOnnx } from './onnx-import.ts';

export { buildIResNet, randomIResNetWeights, iresnetStateDict, IRESNET_DEPTHS, layoutName, type IResNetLayout, type IResNetWeights, type IResNetStateTensor } from './layout.ts';
export { importIResNetOnnx, type ImportedIResNet } from './onnx-import.ts';

/** An iResNet backbone from a layout and weights already in tfjs layout (e.g. `randomIResNetWeights`). */
export function iresnetSourceFromWeights(id: string, layout: IResNetLayout, weights: IResNetWeights, source: string): BackboneSource {
  const normalisation: BackboneSpec['normalisation'] = { mean: [127.5, 127.5, 127.5], scale: [1 / 127.5, 1 / 127.5, 1 / 127.5], op: 'mul', channels: 'RGB' };
  return {
    spec: {
      id,
      family: 'iresnet',
      recognizer: id,
      inputSize: layout.inputSize,
      template: templateForSize(layout.inputSize),
      embeddingSize: layout.embedding,
      normalisation,
      batchNorm: 'frozen-statistics',
      source,
      weightsHash: 'none',
      layout: { name: layoutName(layout), ...layout },
    },
    build: (input) => buildIResNet(layout, input, weights, normalisation),
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
  const three = (x: number | [number, number, number]) => (typeof x === 'number' ? [x, x, x] : [...x]);
  const normalisation: BackboneSpec['normalisation'] = {
    mean: three(p.mean),
    // multiply by 1/std, as the ONNX recogniser's preprocessing does, so the two see bit-identical inputs
    scale: three(p.std).map((s) => 1 / s),
    op: 'mul',
    channels: p.colour,
  };
  const spec: BackboneSpec = {
    id: opts.id,
    family: 'iresnet',
    recognizer: opts.recognizer,
    inputSize: imp.layout.inputSize,
    template: templateForSize(imp.layout.inputSize),
    embeddingSize: imp.layout.embedding,
    normalisation,
    batchNorm: 'frozen-statistics',
    source: path,
    weightsHash: sha256Hex(bytes).slice(0, 16),
    layout: { name: layoutName(imp.layout), ...imp.layout, onnxBatchNorm: imp.batchNorm, opset: imp.opset },
  };
  return {
    spec,
    build: (input) => buildIResNet(imp.layout, input, imp.weights, normalisation),
    dispose: () => tf.dispose([...imp.weights.values()]),
  };
}
