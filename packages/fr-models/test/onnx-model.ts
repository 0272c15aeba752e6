/** A tiny ONNX "recogniser" built in TypeScript (conv → relu → flatten → linear → scale/shift) and its reference. */
import { rngFor } from '@aikd/core';
import { onnxProto } from '../src/index.ts';

const { encodeModel, floatTensor, int64Tensor } = onnxProto;

export const S = 8, C = 4, D = 16;

function randoms(n: number, seed: string, scale = 0.3): Float32Array {
  const r = rngFor(seed);
  return Float32Array.from({ length: n }, () => r.uniform(-scale, scale));
}

export const weights = {
  conv: randoms(C * 3 * 3 * 3, 'conv'),
  convB: randoms(C, 'convb'),
  fc: randoms(D * C * S * S, 'fc', 0.1),
  fcB: randoms(D, 'fcb'),
  mul: randoms(D, 'mul', 1),
  add: randoms(D, 'add', 1),
};

export function tinyRecognizerOnnx(opts: { batchDim?: number | string } = {}): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsets: [{ domain: '', version: 13 }],
    producerName: 'aikd-test',
    graph: {
      name: 'tiny',
      nodes: [
        { name: 'conv', opType: 'Conv', inputs: ['input', 'W', 'B'], outputs: ['c'], attributes: [{ name: 'pads', type: 'ints', value: [1, 1, 1, 1] }, { name: 'kernel_shape', type: 'ints', value: [3, 3] }] },
        { name: 'relu', opType: 'Relu', inputs: ['c'], outputs: ['r'], attributes: [] },
        { name: 'flat', opType: 'Flatten', inputs: ['r'], outputs: ['f'], attributes: [{ name: 'axis', type: 'int', value: 1 }] },
        { name: 'fc', opType: 'Gemm', inputs: ['f', 'FC', 'FCB'], outputs: ['g'], attributes: [{ name: 'transB', type: 'int', value: 1 }] },
        { name: 'mul', opType: 'Mul', inputs: ['g', 'M'], outputs: ['h'], attributes: [] },
        { name: 'add', opType: 'Add', inputs: ['h', 'A'], outputs: ['embedding'], attributes: [] },
      ],
      initializers: [
        floatTensor('W', [C, 3, 3, 3], weights.conv),
        floatTensor('B', [C], weights.convB),
        floatTensor('FC', [D, C * S * S], weights.fc),
        floatTensor('FCB', [D], weights.fcB),
        floatTensor('M', [D], weights.mul),
        floatTensor('A', [D], weights.add),
        int64Tensor('unused_shape', [1], [1]),
      ],
      inputs: [{ name: 'input', elemType: 1, shape: [opts.batchDim ?? 'batch', 3, S, S] }],
      outputs: [{ name: 'embedding', elemType: 1, shape: [opts.batchDim ?? 'batch', D] }],
      valueInfo: [],
    },
  });
}

/** The same network in plain TypeScript, on an NCHW input already normalised. */
export function tinyReference(x: Float32Array): { features: Float32Array; embedding: Float32Array } {
  const f = new Float32Array(C * S * S);
  for (let o = 0; o < C; o++)
    for (let y = 0; y < S; y++)
      for (let xx = 0; xx < S; xx++) {
        let s = weights.convB[o]!;
        for (let i = 0; i < 3; i++)
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const yy = y + ky - 1, xs = xx + kx - 1;
              if (yy < 0 || yy >= S || xs < 0 || xs >= S) continue;
              s += weights.conv[((o * 3 + i) * 3 + ky) * 3 + kx]! * x[(i * S + yy) * S + xs]!;
            }
        f[(o * S + y) * S + xx] = Math.max(0, s);
      }
  const e = new Float32Array(D);
  for (let d = 0; d < D; d++) {
    let s = weights.fcB[d]!;
    for (let k = 0; k < C * S * S; k++) s += weights.fc[d * C * S * S + k]! * f[k]!;
    e[d] = s * weights.mul[d]! + weights.add[d]!;
  }
  return { features: f, embedding: e };
}
