/**
 * The training configuration: `experiments/<file>.yaml` validated by zod (errors name the line and key), then
 * command-line overrides. Every default is the paper's/reference code's value unless noted; the resolved config
 * is what a run records (and what `--resume` rebuilds from).
 */
import { z, loadYamlConfig, AikdError } from '@aikd/core';
import { DEFAULT_JITTER_PX } from '@aikd/alignment';

const positive = z.number().positive();
const fraction = z.number().gt(0).lt(1);

const trainSectionSchema = z
  .object({
    epochs: z.number().int().positive().default(1),
    batch_size: z.number().int().positive().default(64),
    /** Images per forward/backward pass; gradients are accumulated to `batch_size` (memory). Default per backbone. */
    micro_batch: z.number().int().positive().optional(),
    lr_head: positive.default(0.05),
    momentum_head: z.number().min(0).lt(1).default(0.9),
    weight_decay_head: z.number().min(0).default(5e-4),
    lr_backbone: positive.default(0.05),
    momentum_backbone: z.number().min(0).lt(1).default(0.1),
    weight_decay_backbone: z.number().min(0).default(0),
    /** Sine warm-up over this fraction of all steps (reference code: 0.3 · 0.5 of its single epoch). */
    warmup_fraction: z.number().min(0).lt(1).default(0.15),
    /** Global-norm gradient clipping over the trainable tensors. */
    clip_norm: positive.default(5),
    consistency_weight: z.number().min(0).default(1),
    quality_weight: z.number().min(0).default(1),
    smooth_l1_beta: positive.default(0.5),
    /** Validate every N steps (default: 10 % of an epoch's steps, at least 1) and at the end. */
    val_every: z.number().int().positive().optional(),
    /** Validation loss that picks the best checkpoint: `total` (both terms) or `quality` (reference code). */
    val_criterion: z.enum(['total', 'quality']).default('total'),
    /** Save the resumable checkpoint every N steps (default: val_every). */
    checkpoint_every: z.number().int().positive().optional(),
  })
  .strict();

export const trainConfigSchema = z
  .object({
    /** A name for the run (shown in listings). */
    name: z.string().optional(),
    /** Seed of everything random: head initialisation, shuffling, jitter draws (keyed by epoch and image id), splits. */
    seed: z.union([z.number().int(), z.string()]).default(42069),
    data: z
      .object({
        dataset: z.string(),
        /** Hold out this fraction of identities for testing (the study's identity-disjoint test split); 0 = train on all. */
        test_identities: z.number().min(0).lt(1).default(0),
        /** Seed of that identity split (default: `seed`), so runs with different seeds can share one test split. */
        split_seed: z.union([z.number().int(), z.string()]).optional(),
        /** Quality-stratified validation hold-out (aligned images only). */
        val_fraction: fraction.default(0.01),
        /** At least this many validation images (tiny datasets get a larger fraction; the run records it). */
        val_min: z.number().int().min(1).default(8),
        /** landmark-jitter p: each landmark coordinate + U[−p, p] source pixels (student input). */
        jitter_p: z.number().min(0).default(DEFAULT_JITTER_PX),
        /** Detector for images without landmarks. */
        detector: z.enum(['faceapi-ssd', 'faceapi-tiny', 'facemesh']).default('faceapi-ssd'),
      })
      .strict(),
    labels: z
      .object({
        /** The teacher FIQA method (`serfiq`, `faceqan`, `crfiqa:<run-id>`, …). */
        method: z.string(),
        /** FR model the teacher method runs on (default: the student's backbone when it is a built-in model). */
        fr_model: z.string().optional(),
        /** Method parameters. */
        params: z.record(z.string(), z.unknown()).default({}),
        /** The teacher's official weights: a name from `aikd models import` (models.yaml), a .pth or an .onnx file. */
        weights: z.string().optional(),
        /** Precomputed scores instead of scoring here: an Arrow/Parquet file with image_id, quality. */
        scores: z.string().optional(),
        /** Seed of the teacher method's random draws when scoring here (default: `seed`). */
        seed: z.union([z.number().int(), z.string()]).optional(),
      })
      .strict(),
    model: z
      .object({
        /** The FR model whose copy becomes the student (and the frozen teacher). */
        backbone: z.string().default('mobileface'),
        /** For ONNX iResNets: check the depth (iresnet18 / iresnet50 / iresnet100). */
        iresnet: z.string().optional(),
        /** Only the last N parameter tensors of the backbone train (reference code: `limit: 100`). */
        trainable_tensors: z.number().int().min(0).default(100),
        /** Quality head: embedding → hidden → GELU (exact) → 1. */
        head_hidden: z.number().int().positive().default(1024),
      })
      .strict()
      .default({ backbone: 'mobileface', trainable_tensors: 100, head_hidden: 1024 }),
    train: trainSectionSchema.default(() => trainSectionSchema.parse({})),
  })
  .strict();

export type TrainConfigInput = z.input<typeof trainConfigSchema>;
export type TrainConfig = z.output<typeof trainConfigSchema>;

/** Command-line overrides (all optional); `--lr` sets both groups. */
export interface TrainOverrides {
  method?: string;
  labelsFrModel?: string;
  scores?: string;
  backbone?: string;
  dataset?: string;
  testIdentities?: number;
  epochs?: number;
  batch?: number;
  microBatch?: number;
  lr?: number;
  lrHead?: number;
  lrBackbone?: number;
  p?: number;
  seed?: number;
  trainableTensors?: number;
  valEvery?: number;
  name?: string;
}

/** Read a YAML config (optional) and apply overrides; the result is validated again, so flags get the same errors. */
export function resolveTrainConfig(file: string | undefined, o: TrainOverrides = {}): TrainConfig {
  const raw: Record<string, any> = file ? structuredClone(loadYamlConfig(file, trainConfigSchema)) : { data: {}, labels: {}, model: {}, train: {} };
  const set = (section: string, key: string, v: unknown) => {
    if (v === undefined) return;
    raw[section] = { ...(raw[section] ?? {}), [key]: v };
  };
  if (o.name !== undefined) raw.name = o.name;
  if (o.seed !== undefined) raw.seed = o.seed;
  set('data', 'dataset', o.dataset);
  set('data', 'test_identities', o.testIdentities);
  set('data', 'jitter_p', o.p);
  set('labels', 'method', o.method);
  set('labels', 'fr_model', o.labelsFrModel);
  set('labels', 'scores', o.scores);
  set('model', 'backbone', o.backbone);
  set('model', 'trainable_tensors', o.trainableTensors);
  set('train', 'epochs', o.epochs);
  set('train', 'batch_size', o.batch);
  set('train', 'micro_batch', o.microBatch);
  set('train', 'lr_head', o.lrHead ?? o.lr);
  set('train', 'lr_backbone', o.lrBackbone ?? o.lr);
  set('train', 'val_every', o.valEvery);
  const res = trainConfigSchema.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const key = issue.path.join('.');
    const hint = key === 'data.dataset' ? ' (give --dataset or data.dataset)' : key === 'labels.method' ? ' (give --method or labels.method)' : '';
    throw new AikdError(`${file ?? 'training options'}: ${key || '(top level)'}: ${issue.message}${hint}`, 'CONFIG_ERROR');
  }
  return res.data;
}
