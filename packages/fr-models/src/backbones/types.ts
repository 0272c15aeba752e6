import type { tf } from '@aikd/runtime';
import type { Landmarks5 } from '@aikd/datasets';

/** What a trainable backbone takes and gives; recorded in every training run. */
export interface BackboneSpec {
  /** `mobileface`, `faceres`, `faceres-deep`, `faceapi-resnet`, or an ONNX iResNet (`cosface`, `onnx:<path>`, …). */
  id: string;
  family: 'mobileface' | 'faceres' | 'faceapi-resnet' | 'iresnet';
  /** The frozen fr-models recogniser it reproduces (`createRecognizer(recognizer)`), for parity checks. */
  recognizer: string;
  inputSize: number;
  template: Landmarks5;
  embeddingSize: number;
  /** How 0..255 RGB pixels become network input (a layer inside the model). */
  normalisation: { mean: number[]; scale: number[]; op: 'mul' | 'div'; channels: 'RGB' | 'BGR' };
  /**
   * `folded`: the source graph has BatchNorm folded into conv weights and per-channel constants, so there are no
   * statistics: it trains as frozen BN (only the folded scale/shift tensors can move). `statistics`: real BN layers
   * (tf.layers BatchNormalization with running statistics), which a trainer may run in training mode (batch
   * statistics, running statistics updated) or frozen; BNs an ONNX export folded into a convolution are per-channel
   * affine layers here, as in `folded`.
   */
  batchNorm: 'folded' | 'statistics';
  /**
   * Where `--train-depth last-block` and `last-stage` start: the first parameter tensor of each (in forward order;
   * each depth trains that tensor and every one after it, i.e. the backbone's own output layers too) and what that
   * covers. `head` trains no backbone tensor, `all` every one.
   */
  depths: Record<'last-block' | 'last-stage', { from: string; covers: string }>;
  /** Where the weights came from and a content hash. */
  source: string;
  weightsHash: string;
  /** For iResNets: stage depths, widths, and how BN arrived in the ONNX file. */
  layout?: Record<string, unknown>;
}

/** One parameter tensor, in the order PyTorch's `model.parameters()` (or the graph's forward order) lists them. */
export interface ParamRef {
  /** Stable name: the graph weight name, or the insightface state-dict key (`layer3.22.bn3.bias`). */
  name: string;
  variable: tf.LayerVariable;
  /** Never trained (insightface's `features.weight`, fixed at 1 with requires_grad = False). */
  fixed?: boolean;
}

export interface BackboneBuild {
  /** Embedding [n, embeddingSize], unnormalised. */
  output: tf.SymbolicTensor;
  params: ParamRef[];
  /** The activations before the last linear layer (where SER-FIQ drops out), when the builder marks them; the
   * layers from there to `output` form a chain. */
  penultimate?: tf.SymbolicTensor;
}

/** A backbone's architecture + source weights: `build` makes an independent copy each time (student, teacher). */
export interface BackboneSource {
  readonly spec: BackboneSpec;
  /** Adds the layers from `input` (pixels [n, S, S, 3], 0..255 RGB) to the embedding; weights come from the source. */
  build(input: tf.SymbolicTensor): BackboneBuild;
  /** Release the source weights (built copies keep their own). */
  dispose(): void;
}

/** One built copy as a model of its own. */
export interface TrainableBackbone {
  readonly spec: BackboneSpec;
  readonly model: tf.LayersModel;
  readonly params: ParamRef[];
  /** Name of the layer whose output is `BackboneBuild.penultimate`. */
  readonly penultimate?: string;
}
