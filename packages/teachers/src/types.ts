/**
 * The contract of a FIQA method. Every method — the seven of the paper, `embedding-norm`, and trained AI-KD
 * students (`aikd:<run-id>`) — scores aligned face crops; higher = better quality.
 */
import type { Landmarks5, RawImage } from '@aikd/datasets';
import type { Recognizer } from '@aikd/fr-models';

export const METHOD_IDS = ['serfiq', 'faceqan', 'magface', 'embedding-norm', 'crfiqa', 'sddfiqa', 'faceqnet', 'diffiqa', 'diffiqa-r'] as const;
export type MethodId = (typeof METHOD_IDS)[number];

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
  /** Raw score range, for the record ("higher = better" always). */
  readonly range: { min: number | null; max: number | null; note?: string };
  /** The crops it wants: square side and the 5-point template they are aligned to. */
  readonly input: { size: number; template: Landmarks5 };
  score(crops: readonly RawImage[], ctx: ScoreContext): Promise<Float64Array>;
  dispose(): Promise<void> | void;
}

export interface QualityMethodOptions {
  /** FR model name or an open recogniser (methods that need one). */
  frModel?: string | Recognizer;
  /** Method parameters (override the defaults; recorded). */
  params?: Record<string, unknown>;
  /** Official weights for learned methods. */
  onnx?: string;
}

/** Factories for methods defined outside this package (e.g. the AI-KD trainer registers `aikd:`). */
export type QualityMethodFactory = (spec: string, opts: QualityMethodOptions) => Promise<QualityMethod>;
