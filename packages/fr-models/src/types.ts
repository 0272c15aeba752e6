import type { tf } from '@aikd/runtime';
import type { Landmarks5, RawImage } from '@aikd/datasets';

export type ColourOrder = 'RGB' | 'BGR';

/** What a recogniser expects and gives; recorded in the provenance of every embedding file. */
export interface RecognizerSpec {
  id: string;
  description: string;
  /** Where `embed` runs: `tfjs` in the tensor backend, `onnx` in onnxruntime-node (the built-in models too; their
   * input gradients come from their tfjs form, `Recognizer.gradients()`). */
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

/** A recogniser's differentiable tfjs form (`Recognizer.gradients()`). */
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
  /** The same for float pixels that are not 8-bit crops (DifFIQA's diffusion outputs): `pixels` is [n, S, S, 3]
   * row-major, 0..255 RGB, passed on without rounding. */
  embedPixels(pixels: Float32Array, n: number): Promise<Float32Array[]>;
  /** The activations before the last linear layer and the layers after them (SER-FIQ; heads' `features` input).
   * Absent for ONNX models whose graph could not be split there. */
  readonly penultimate?: PenultimateAccess;
  /** The differentiable tfjs form (input gradients: FaceQAN). tfjs recognisers have it at once; the built-in models,
   * which run on ONNX Runtime, load their tfjs graph on the first call. Absent for ONNX models. */
  gradients?(): Promise<TensorRecognizer>;
  dispose(): Promise<void> | void;
}

/** A recogniser split before its last linear layer: the backbone's features once, then the head as often as needed. */
export interface PenultimateAccess {
  /** Features of crops: row-major [n, …shape]; activation maps in NHWC order on every engine. */
  features(crops: readonly RawImage[]): Promise<{ data: Float32Array; shape: number[] }>;
  /** Embeddings [m, d] of features [m, …shape] (any m: SER-FIQ passes T masked copies of each image's features). */
  head(features: Float32Array, shape: number[]): Promise<{ data: Float32Array; shape: number[] }>;
}

export interface RecognizerOptions {
  /** A built-in model in its tfjs form, as it ships (default: ONNX Runtime for inference, tfjs behind `gradients()`). */
  engine?: 'tfjs';
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
