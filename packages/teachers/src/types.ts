/**
 * The contract of a FIQA method. Every method of the catalogue (catalogue/, one descriptor per method folder) — the
 * seven of the paper, `embedding-norm`, and trained AI-KD students (`aikd:<run-id>`) — scores aligned face crops;
 * higher = better quality.
 */
import type { Landmarks5, RawImage } from '@aikd/datasets';
import type { Recognizer } from '@aikd/fr-models';

export interface MethodRequirements {
  /** Needs a face-recognition model (`--fr-model`). */
  frModel?: boolean;
  /** Needs input gradients (tfjs recognisers only). */
  gradients?: boolean;
  /** Needs a trained network of its own (a training run or official ONNX weights). */
  training?: boolean;
}

export interface ScoreContext {
  /** Image ids, parallel to the crops: randomness is drawn per id (`rngFor(seed, method, id)`), so scores do not
   * depend on batch composition or processing order. */
  ids: readonly string[];
  seed: number | string;
}

export interface QualityMethod {
  /** Method id as used in result files: `serfiq`, …, or `aikd:<run-id>`, `crfiqa:<run-id>`. */
  readonly id: string;
  readonly requires: MethodRequirements;
  /** Resolved parameters (recorded in provenance). */
  readonly params: Record<string, unknown>;
  /** The FR model it runs on, if any. */
  readonly frModel?: string;
  /** Content hash of the weights the scores depend on (FR model or the method's own network); part of cache keys. */
  readonly weightsHash?: string;
  /** Code version of the package that implements it, when that is not this one (`aikd:<run-id>`); part of cache keys. */
  readonly codeVersion?: string;
  /** Raw score range, for the record ("higher = better" always). */
  readonly range: { min: number | null; max: number | null; note?: string };
  /** The crops it wants: square side and the 5-point template they are aligned to. */
  readonly input: { size: number; template: Landmarks5 };
  /** Images per `score` call that keep memory bounded and the backend busy (scoreDataset's default batch). */
  readonly batchSize?: number;
  score(crops: readonly RawImage[], ctx: ScoreContext): Promise<Float64Array>;
  dispose(): Promise<void> | void;
}

export interface QualityMethodOptions {
  /** FR model name or an open recogniser (methods that need one). An open recogniser stays the caller's to dispose. */
  frModel?: string | Recognizer;
  /** Method parameters (override the defaults; recorded). */
  params?: Record<string, unknown>;
  /** Official weights for learned methods (for `magface`: the MagFace ONNX file, else models.yaml / AIKD_MODELS). */
  onnx?: string;
  /**
   * Official weights by name or file, for the methods whose official network is a PyTorch checkpoint (fr-models'
   * kinds: crfiqa, diffiqa-r, magface, aikd): a models.yaml entry written by `aikd models import`, a `.pth` file
   * (converted into the cache now), or an ONNX file. The catalogue resolves it to `onnx` before opening the method.
   */
  weights?: string;
  /** Read and write the FR model's features through the per-crop feature cache (default true; methods that need
   * input gradients or float pixels bypass it). Off, every call runs the FR model. */
  featureCache?: boolean;
  /** Results root the runs of `<id>:<run-id>` are in (default AIKD_RESULTS or `<workspace>/results`). */
  root?: string;
}

/** What `listMethods()` (and `aikd methods list`) says about a method. */
export interface MethodInfo {
  /** Method id, or `<prefix>:<…>` for registered families. */
  id: string;
  title: string;
  description: string;
  /** The paper, e.g. "Terhörst et al., CVPR 2020". */
  paper?: string;
  requires: MethodRequirements;
  /** Whether it can run here now (its weights and runtime are present). */
  available: boolean;
  /** FR models it runs on (for methods that need one), the default first. */
  frModels?: string[];
  /** Default parameters. */
  params?: Record<string, unknown>;
  /** What is missing, or how to get scores otherwise. */
  note?: string;
}
