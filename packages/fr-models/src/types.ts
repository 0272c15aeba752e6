import type { tf } from '@aikd/runtime';
import type { Landmarks5, RawImage } from '@aikd/datasets';

export type ColourOrder = 'RGB' | 'BGR';

/** What a recogniser expects and gives; recorded in the provenance of every embedding file. */
export interface RecognizerSpec {
  id: string;
  description: string;
  /** `tfjs`: runs in the tensor backend (gradients, features, training); `onnx`: onnxruntime-node (inference only). */
  engine: 'tfjs' | 'onnx';
  /** Square input side in pixels. */
  inputSize: number;
  /** 5-point template the crops are aligned to, in input pixels. */
  template: Landmarks5;
  /** Channel order the network wants (crops are always RGB; the recogniser swaps if needed). */
  colour: ColourOrder;
  /** How 0..255 pixels become network input: value = (pixel − mean) / std, per channel in network order. */
  normalisation: { mean: [number, number, number]; std: [number, number, number]; where: 'in-graph' | 'before-model' };
  embeddingSize: number;
  /** Where the weights come from (npm package file or user path) and a content hash for caching. */
  source: string;
  weightsHash: string;
  /** How the input convention was established (e.g. measured verification AUC). */
  conventionNote?: string;
}

/** Tensor-level access for methods that need more than embeddings (tfjs recognisers only). */
export interface TensorRecognizer {
  /** Crops (RGB, inputSize²) → float32 pixels [n, S, S, 3] in 0..255 RGB: the space FIQA perturbations live in. */
  toPixels(crops: readonly RawImage[]): tf.Tensor4D;
  /** Differentiable: pixels (0..255 RGB) → unnormalised embeddings [n, d]. */
  forward(pixels: tf.Tensor4D): tf.Tensor2D;
  /** The activations just before the last fully connected layer (where SER-FIQ applies dropout). */
  features(pixels: tf.Tensor4D): tf.Tensor;
  /** The last layer(s): head(features(x)) equals forward(x). */
  head(features: tf.Tensor): tf.Tensor2D;
}

export interface Recognizer {
  readonly id: string;
  readonly spec: RecognizerSpec;
  /** Unnormalised embeddings of aligned RGB crops (inputSize × inputSize). */
  embed(crops: readonly RawImage[]): Promise<Float32Array[]>;
  /** Present for tfjs recognisers: input gradients, penultimate features, head. */
  readonly tensor?: TensorRecognizer;
  /** Present for ONNX recognisers whose graph could be split before the last linear layer (for SER-FIQ). */
  readonly onnxHead?: OnnxHeadAccess;
  dispose(): Promise<void> | void;
}

/** ONNX recognisers split at their last linear layer: backbone features once, then the head many times. */
export interface OnnxHeadAccess {
  featureShape: number[];
  features(crops: readonly RawImage[]): Promise<{ data: Float32Array; shape: number[] }>;
  head(features: Float32Array, shape: number[]): Promise<{ data: Float32Array; shape: number[] }>;
}

export interface RecognizerOptions {
  /** For `onnx:<path>` and presets: override the preprocessing. */
  preprocess?: Partial<OnnxPreprocess>;
  /** Path of a user's ONNX file for a preset (else models.yaml / AIKD_MODELS). */
  path?: string;
}

export interface OnnxPreprocess {
  size: number;
  colour: ColourOrder;
  /** (pixel − mean) / std, pixel in 0..255, per channel in network order; a number applies to all three. */
  mean: number | [number, number, number];
  std: number | [number, number, number];
  layout: 'NCHW' | 'NHWC';
  /** Input tensor name (default: the model's first input). */
  input?: string;
  /** Embedding output name (default: the first rank-2 output with more than one column). */
  output?: string;
}
