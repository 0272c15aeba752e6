/**
 * A whole `Recognizer` from a recogniser's differentiable tfjs form: what every tfjs recogniser (the built-in graph
 * models' tfjs forms, `tfjs:<name>`, test models) shares. Embeddings, float-pixel embeddings and the penultimate
 * features all go through the same `TensorRecognizer`.
 */
import { tf } from '@aikd/runtime';
import { InputError } from '@aikd/core';
import type { RawImage } from '@aikd/datasets';
import type { Recognizer, RecognizerSpec, TensorRecognizer } from '../types.ts';

async function read(t: tf.Tensor): Promise<{ data: Float32Array; shape: number[] }> {
  try {
    return { data: (await t.data()) as Float32Array, shape: t.shape.slice() };
  } finally {
    t.dispose();
  }
}

/** Rows of an [n, d] result, checked against the expected size. */
function rows(data: Float32Array, n: number, dim: number): Float32Array[] {
  if (data.length !== n * dim) throw new InputError({ where: 'embedding output', expected: `${n}×${dim} values`, got: `${data.length}` });
  return Array.from({ length: n }, (_, i) => data.slice(i * dim, (i + 1) * dim));
}

export function recognizerFromTensor(spec: RecognizerSpec, tensor: TensorRecognizer, dispose: () => void | Promise<void>): Recognizer {
  const S = spec.inputSize;
  return {
    id: spec.id,
    spec,
    async embed(crops: readonly RawImage[]) {
      if (!crops.length) return [];
      return rows((await read(tf.tidy(() => tensor.forward(tensor.toPixels(crops))))).data, crops.length, spec.embeddingSize);
    },
    async embedPixels(pixels, n) {
      if (!n) return [];
      return rows((await read(tf.tidy(() => tensor.forward(tf.tensor4d(pixels, [n, S, S, 3]))))).data, n, spec.embeddingSize);
    },
    penultimate: {
      features: (crops) => read(tf.tidy(() => tensor.features(tensor.toPixels(crops)))),
      head: (features, shape) => read(tf.tidy(() => tensor.head(tf.tensor(features, shape)))),
    },
    gradients: async () => tensor,
    dispose,
  };
}
