/**
 * A method descriptor: everything the workbench says about a FIQA method, in one place (its folder's
 * `descriptor.ts`). The CLI's help and `methods list`, the experiment schema and planner, the availability check,
 * the trainers, the dashboard's labels and the README's methods table all read descriptors; none keeps a list.
 */
import type { z } from '@aikd/core';
import type { Dataset } from '@aikd/datasets';
import type { QualityMethod, QualityMethodOptions } from '../types.ts';

/**
 * What a method reads from its FR model (fr-models' feature cache holds each once per crop and model):
 * - `embedding`: the final (unnormalised) embedding;
 * - `penultimate`: the activations before the last linear layer (SER-FIQ's dropout input; a head's `features`).
 */
import type { FrFeature } from '@aikd/fr-models';
export type { FrFeature };

export interface MethodNeeds {
  /** Runs on an FR model the user picks (`--fr-model`, an experiment's `fr_model`; the backbone AI-KD distils). */
  frModel: boolean;
  /** What it reads from that FR model (empty when it reads nothing from one the user picks). */
  frFeatures: readonly FrFeature[];
  /** Input gradients through the FR model (tfjs models only). */
  gradients: boolean;
  /** A network of its own: trained here (`trainer`) or official weights the user brings (`weights`). */
  training: boolean;
  /** Files the user brings when it is not trained here, e.g. "official ONNX regressor (--onnx FILE)". */
  weights?: string;
  /** A teacher method whose qualities it learns (AI-KD): experiments give it as `teacher:`. */
  teacher?: boolean;
}

export interface PaperRef {
  /** "Terhörst et al., CVPR 2020" */
  cite: string;
  title: string;
  /** The official code, `owner/repo` on GitHub. */
  code?: string;
}

/** `methods list`'s verdict: can `aikd score --method <id>` run here as it is, and what to know. */
export interface MethodStatus {
  available: boolean;
  note?: string;
}

/** Runs of a method trained here, scored as `<id>:<run-id>`. */
export interface MethodRuns {
  title: string;
  description: string;
  /** How to get one. */
  note: string;
  example: string;
  /** FR models its runs score with (for `methods list`). */
  frModels?(): string[];
  open(runId: string, opts: QualityMethodOptions): Promise<QualityMethod>;
}

/** A method as an experiment (or another trainer) describes it; experiments' `MethodSpec` is one. */
export interface TrainableMethodSpec {
  id: string;
  /** Label in tables, e.g. `aikd(serfiq)`. */
  label: string;
  frModel?: string;
  params: Record<string, unknown>;
  onnx?: string;
  /** Official weights by name or file (`aikd models import`). */
  weights?: string;
  teacher?: TrainableMethodSpec;
  /** The experiment's `train:` section (trainer settings). */
  train?: Record<string, unknown>;
}

export interface MethodTrainRequest {
  method: TrainableMethodSpec;
  /** The training data (already the training split: identity-disjoint from any evaluation data). */
  data: {
    dataset: Dataset;
    /** The dataset's name in datasets.yaml. */
    name: string;
    /** How run names describe it, e.g. `demo@test (train part, split 0.5/0)`. */
    description: string;
  };
  seed: number | string;
  /** Parent run (the experiment). */
  parent?: string;
  /** Results root (default AIKD_RESULTS or `<workspace>/results`). */
  root?: string;
  /** Where the method came from: a trainer that needs another method trained first (AI-KD's learned teacher) asks it. */
  catalogue: { get(id: string): MethodDescriptor | undefined };
  /**
   * The key of everything the training depends on (data content, method, weights, code), from an experiment's
   * training unit: a trainer that reuses a finished training from elsewhere reuses only one made with the same key.
   */
  inputs?: string;
}

export interface TrainedMethod {
  /** The id to score with, e.g. `aikd:<run-id>`, `crfiqa:<run-id>`. */
  methodId: string;
  runId: string;
  summary?: Record<string, unknown>;
}

export interface MethodTrainer {
  /** Kind of its training runs in the results folder. */
  readonly runKind: string;
  /** Training parameters with their defaults (absent when the trainer has a configuration of its own, as AI-KD). */
  readonly params?: z.ZodObject;
  /** How a user starts a training on the command line. */
  readonly command: string;
  /**
   * Check an experiment's `train:` settings beyond `dataset` (throws naming the first one it does not take). Absent:
   * the section takes only `dataset`, and the training parameters go in `params` (checked against `params` above).
   */
  checkSettings?(method: Pick<TrainableMethodSpec, 'label' | 'train'>): void;
  train(req: MethodTrainRequest): Promise<TrainedMethod>;
}

export interface MethodDescriptor {
  /** Id on the command line, in experiment files and result tables (lower-case letters, digits, "-"). */
  readonly id: string;
  /** Display name (tables, dashboard). */
  readonly title: string;
  readonly paper?: PaperRef;
  readonly description: string;
  readonly needs: MethodNeeds;
  /** Scoring parameters (`--param k=v`, an experiment's `params:`): the schema with its defaults. */
  readonly params: z.ZodObject;
  /** FR models it runs on, the default first (for `methods list`). */
  frModels?(): string[];
  /** Default: available, with no note. */
  status?(): MethodStatus | Promise<MethodStatus>;
  /** What this machine lacks to run it, beyond its FR model and `--onnx` file (paths or sentences; empty = nothing). */
  missing?(): string[] | Promise<string[]>;
  /** Open it (`serfiq`, `crfiqa --onnx FILE`, …). */
  open(opts: QualityMethodOptions): Promise<QualityMethod>;
  /** Its runs trained here, `<id>:<run-id>`. */
  readonly runs?: MethodRuns;
  /** How it is trained here (inside experiments, and from the command line). */
  readonly trainer?: MethodTrainer;
  /** Rough seconds per image on wasm on the cheapest FR model, for balancing experiment shards. */
  readonly cost?: number;
  /**
   * The workspace package whose code computes it (default `teachers`): that package's code version is part of the
   * key of every experiment unit that scores or trains with it, so a change to its code recomputes those units.
   */
  readonly package?: string;
}
