/**
 * The learned methods (CR-FIQA, SDD-FIQA, FaceQnet, DifFIQA, DifFIQA(R)) share one shape of descriptor:
 * official weights as ONNX, or a training here (`aikd method train`, an experiment) scored as `<id>:<run-id>`.
 * `learnedMethod(def)` builds it from what the method folder says: its titles, its official network's convention,
 * its training parameters and how it is trained (`training()`: labels for a head on frozen features, or a trainer
 * of its own). Light: the training code is imported when a training starts.
 */
import { AikdError, type z } from '@aikd/core';
import { identityOf as recordIdentity, type Dataset } from '@aikd/datasets';
import type { AlignmentProcedure } from '@aikd/alignment';
import type { Recognizer } from '@aikd/fr-models';
import { frModelCatalogue } from '@aikd/fr-models/catalogue';
import type { Run } from '@aikd/results';
import { DEFAULT_FR_MODEL, METHOD_TRAIN_RUN_KIND } from '../constants.ts';
import { officialWeightsRoute, onnxRegressorParams, type OnnxConvention } from '../methods/official.ts';
import type { MethodDescriptor, MethodNeeds, MethodTrainer, PaperRef } from '../catalogue/types.ts';
import type { QualityMethod, QualityMethodOptions } from '../types.ts';
import type { FrozenFeatures } from './features.ts';
import type { LossSpec } from './head.ts';

/** What a training of a learned method works with (one `teacher-train` run). */
export interface MethodTrainContext {
  ds: Dataset;
  rec: Recognizer;
  procedure: AlignmentProcedure;
  seed: number | string;
  run: Run;
  root?: string;
}

/** A method's training labels: one per image of the dataset (NaN = no label), extra table columns, a summary. */
export interface LabelSet {
  y: Float64Array;
  /** Extra per-image columns for the `teacher_labels` table. */
  columns: Record<string, Float64Array | string[]>;
  summary: Record<string, unknown>;
}

/** A regression head on frozen FR features, trained on the method's labels (the regressors). */
export interface HeadTraining {
  kind: 'head';
  labels(P: Record<string, unknown>, ctx: MethodTrainContext, embeddings: FrozenFeatures): Promise<LabelSet>;
  loss(P: Record<string, unknown>): LossSpec;
}

/** A trainer of its own (DifFIQA's local UNet): writes its checkpoint into the run, returns the summary. */
export interface OwnTraining {
  kind: 'own';
  train(P: Record<string, unknown>, ctx: MethodTrainContext): Promise<Record<string, unknown>>;
}

export type LearnedTraining = HeadTraining | OwnTraining;

/** Each image's identity (images without one are their own identity). */
export const identityOf = (ds: Dataset): string[] => ds.images().map(recordIdentity);

/** Frozen features as label-generator rows. */
export const rowsOf = (f: FrozenFeatures) => ({ n: f.ids.length, dim: f.featureShape.reduce((a, b) => a * b, 1), data: f.X });

/** Seconds to two decimals, for summaries. */
export const round2 = (s: number): number => Math.round(s * 100) / 100;

/** A learned method's descriptor: what `trainMethod` and `<id>:<run-id>` need besides the common fields. */
export interface LearnedMethodDescriptor extends MethodDescriptor {
  readonly trainer: MethodTrainer & { readonly params: z.ZodObject };
  readonly runs: NonNullable<MethodDescriptor['runs']>;
  /** How `trainMethod` trains it. */
  training(): Promise<LearnedTraining>;
}

export function isLearnedMethod(d: MethodDescriptor | undefined): d is LearnedMethodDescriptor {
  return !!d && typeof (d as Partial<LearnedMethodDescriptor>).training === 'function' && d.trainer?.runKind === METHOD_TRAIN_RUN_KIND;
}

export interface LearnedMethodDef {
  id: string;
  title: string;
  paper: PaperRef;
  description: string;
  /** The official network as ONNX, when the method has one; else `open` is the method's own. */
  official?: OnnxConvention;
  /** Scoring parameters of `<id>` (default: those of the ONNX route). */
  params?: z.ZodObject;
  /** Open `<id>` without a run (default: the official ONNX weights, or the error saying how to get weights). */
  open?(opts: QualityMethodOptions): Promise<QualityMethod>;
  needs?: Partial<MethodNeeds>;
  frModels?(): string[];
  /** `methods list`'s note when not available as is. */
  note?: string;
  trainParams: z.ZodObject;
  training(): Promise<LearnedTraining>;
  /** Its runs: title and description in `methods list`; `open` defaults to a trained head (`openTrainedHead`). */
  runs: { description: string; frModels?(): string[]; open?(d: LearnedMethodDescriptor, runId: string, opts: QualityMethodOptions): Promise<QualityMethod> };
  cost?: number;
}

/** The error of a learned method opened without weights: the two ways to get them. */
export function needsWeights(id: string, title: string, official: OnnxConvention | undefined): AikdError {
  const route = officialWeightsRoute(id);
  const pth = route ? `, or the official weights: ${route}` : '';
  const onnx = official ? ` or the official weights as ONNX (--onnx FILE: ${official.note})` : '';
  return new AikdError(`method "${id}" (${title}) needs trained weights: train it here with \`aikd method train --method ${id} --dataset NAME\` and score with ${id}:<run-id>${pth}${onnx}`);
}

const tfjsAndOnnx = () => [...frModelCatalogue.tfjsIds(), 'ONNX models'];

export function learnedMethod(def: LearnedMethodDef): LearnedMethodDescriptor {
  const d: LearnedMethodDescriptor = {
    id: def.id,
    title: def.title,
    paper: def.paper,
    description: def.description,
    needs: {
      frModel: true,
      frFeatures: ['embedding'],
      gradients: false,
      training: true,
      weights: def.official ? `official weights: ${officialWeightsRoute(def.id) ? `${officialWeightsRoute(def.id)}, or ` : ''}ONNX (--onnx FILE; ${def.official.note})` : undefined,
      ...def.needs,
    },
    params: def.params ?? onnxRegressorParams,
    frModels: def.frModels,
    status: () => ({
      available: false,
      note: def.note ?? `needs weights: ${officialWeightsRoute(def.id) ? `official ${officialWeightsRoute(def.id)}, ` : ''}official ONNX (--onnx FILE; ${def.official?.note}) or aikd method train --method ${def.id} → ${def.id}:<run-id>`,
    }),
    open:
      def.open ??
      (async (o) => {
        if (!o.onnx || !def.official) throw needsWeights(def.id, def.title, def.official);
        return (await import('../methods/onnx-regressor.ts')).createOnnxRegressor(def.id, def.official, o.onnx, o.params);
      }),
    runs: {
      title: `${def.title} (trained here)`,
      description: def.runs.description,
      note: `aikd method train --method ${def.id} --dataset NAME [--fr-model FR] → ${def.id}:<run-id>`,
      example: `${def.id}:${METHOD_TRAIN_RUN_KIND}-20261128-120000-abc123`,
      frModels: def.runs.frModels ?? tfjsAndOnnx,
      open: (runId, opts) => (def.runs.open ? def.runs.open(d, runId, opts) : import('./load.ts').then((m) => m.openTrainedHead(d, runId, opts))),
    },
    trainer: {
      runKind: METHOD_TRAIN_RUN_KIND,
      params: def.trainParams,
      command: `aikd method train --method ${def.id} --dataset NAME`,
      // inside an experiment: trained on its training split with a frozen FR model (default faceres);
      // no reuse across experiments (a head trains in seconds; within an experiment the unit's own run is reused)
      train: async (req) => {
        const { trainLearnedMethod } = await import('./trainer.ts');
        const t = await trainLearnedMethod(d, { dataset: req.data.dataset, frModel: req.method.frModel ?? DEFAULT_FR_MODEL, params: req.method.params, seed: req.seed, parent: req.parent, root: req.root });
        return { methodId: t.methodId, runId: t.runId, summary: t.summary };
      },
    },
    training: def.training,
    cost: def.cost,
  };
  return d;
}
