/**
 * The training configuration: `experiments/<file>.yaml` validated by zod (errors name the line and key), then
 * command-line overrides. Every default is the paper's/reference code's value unless noted; the resolved config
 * is what a run records (and what `--resume` rebuilds from).
 */
import { z, loadYamlConfig, AikdError } from '@aikd/core';
import { DEFAULT_JITTER_PX, degradationFamilies } from '@aikd/alignment';
import { TRAIN_DEPTHS, type TrainDepth } from '@aikd/fr-models';

/** The default families of the label bank (the issue's eight; the demo set's large in-plane `rotation` is optional). */
export const LABEL_BANK_FAMILIES = ['blur', 'motion-blur', 'downup', 'noise', 'jpeg', 'exposure', 'occlusion', 'pose'] as const;

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
    /** Global-norm gradient clipping at this norm. */
    clip_norm: positive.default(5),
    /**
     * What the clipping norm counts: `trainable` (the tensors the optimizer updates) or `reference` (the reference
     * code: also the frozen backbone tensors' gradients, which it never clears, so they accumulate over all steps:
     * an implicit lr decay, aikd.md §5).
     */
    clip: z.enum(['trainable', 'reference']).default('trainable'),
    /**
     * With `clip: reference`, multiply the frozen tensors' gradients by the reference's AMP loss scale (its
     * GradScaler: 128, doubling every 0.3 epoch; `unscale_` never reaches them), as the reference code does.
     */
    clip_amp_scale: z.boolean().default(true),
    consistency_weight: z.number().min(0).default(1),
    quality_weight: z.number().min(0).default(1),
    smooth_l1_beta: positive.default(0.5),
    /** Validate every N steps (default: 10 % of an epoch's steps, at least 1, as the reference code's `validate_every: 0.1`). */
    val_every: z.number().int().positive().optional(),
    /**
     * No validation until this fraction of all steps has passed, nor before the warm-up ends (reference code: only
     * after `pretrain_end` = 0.3 of its epoch, twice its warm-up).
     */
    val_start_fraction: z.number().min(0).max(1).default(0.3),
    /** Also validate after the last step, so every run has a best checkpoint (the reference code does not). */
    val_at_end: z.boolean().default(true),
    /** Validation loss that picks the best checkpoint: `quality` (reference code) or `total` (both terms). */
    val_criterion: z.enum(['quality', 'total']).default('quality'),
    /**
     * BatchNorm of the student while it trains: `train` (batch statistics, running statistics updated, as PyTorch's
     * `model.train()` in the reference code) or `frozen` (running statistics, inference mode). Only backbones with
     * real BN layers (ONNX iResNets) have any; the built-in graph models have BN folded into constants.
     */
    bn: z.enum(['train', 'frozen']).default('train'),
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
        /**
         * How validation images are held out (aligned images only): `identity` (whole training identities, the
         * datasets package's identity split, so validation measures unseen people) or `stratified` (the reference
         * code: every k-th image in quality order).
         */
        val_split: z.enum(['identity', 'stratified']).default('identity'),
        /** Share held out for validation (reference code: 1 %): of the identities (`identity`) or images (`stratified`). */
        val_fraction: fraction.default(0.01),
        /**
         * `identity`: more identities are held out until validation has this many images, up to `val_max_fraction`
         * of the training identities (so small datasets validate on 15 % of their identities, enough to rank
         * checkpoints).
         */
        val_min_images: z.number().int().min(1).default(500),
        val_max_fraction: fraction.default(0.15),
        /** `stratified`: at least this many validation images. */
        val_min: z.number().int().min(1).default(8),
        /**
         * The label bank: `per_face` seeded degraded variants of every training face (families cycled, strengths
         * drawn from U(0, 1)), each scored once by the teacher on its aligned crop; the student trains on them too.
         */
        augment: z
          .object({
            families: z.array(z.enum(degradationFamilies)).min(1).default([...LABEL_BANK_FAMILIES]),
            per_face: z.number().int().min(1).default(4),
          })
          .strict()
          .optional(),
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
        /**
         * How much of the backbone trains, the same idea on every backbone (`head`, `last-block`, `last-stage`, `all`;
         * mapped per backbone in fr-models' backbones table). When given it replaces `trainable_tensors`.
         */
        train_depth: z.enum(TRAIN_DEPTHS).optional(),
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
  trainDepth?: TrainDepth;
  valEvery?: number;
  valCriterion?: 'quality' | 'total';
  valSplit?: 'identity' | 'stratified';
  bn?: 'train' | 'frozen';
  clip?: 'trainable' | 'reference';
  /** Label bank: variants per face (families: the config's, else the default eight). */
  augmentPerFace?: number;
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
  set('model', 'train_depth', o.trainDepth);
  set('train', 'epochs', o.epochs);
  set('train', 'batch_size', o.batch);
  set('train', 'micro_batch', o.microBatch);
  set('train', 'lr_head', o.lrHead ?? o.lr);
  set('train', 'lr_backbone', o.lrBackbone ?? o.lr);
  set('train', 'val_every', o.valEvery);
  set('train', 'val_criterion', o.valCriterion);
  set('train', 'bn', o.bn);
  set('train', 'clip', o.clip);
  if (o.augmentPerFace !== undefined) raw.data = { ...(raw.data ?? {}), augment: { ...(raw.data?.augment ?? {}), per_face: o.augmentPerFace } };
  set('data', 'val_split', o.valSplit);
  const res = trainConfigSchema.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const key = issue.path.join('.');
    const hint = key === 'data.dataset' ? ' (give --dataset or data.dataset)' : key === 'labels.method' ? ' (give --method or labels.method)' : '';
    throw new AikdError(`${file ?? 'training options'}: ${key || '(top level)'}: ${issue.message}${hint}`, 'CONFIG_ERROR');
  }
  return res.data;
}

/**
 * The reference code's value of every option where this trainer offers another (aikd.md §3–§5), and why one might
 * differ. `referenceDeviations(cfg)` lists the options a run sets differently; each run records that list.
 */
export const REFERENCE_OPTIONS: { option: string; reference: unknown; note: string; when?: (cfg: TrainConfig) => boolean }[] = [
  { option: 'train.epochs', reference: 1, note: 'one epoch of VGGFace2 in the reference; small datasets need more passes' },
  { option: 'train.batch_size', reference: 64, note: '' },
  { option: 'train.lr_head', reference: 0.05, note: 'without the reference clipping the head diverges at 0.05 on the built-in models (README)' },
  { option: 'train.lr_backbone', reference: 0.05, note: '' },
  { option: 'train.momentum_head', reference: 0.9, note: '' },
  { option: 'train.momentum_backbone', reference: 0.1, note: '' },
  { option: 'train.weight_decay_head', reference: 5e-4, note: '' },
  { option: 'train.weight_decay_backbone', reference: 0, note: '' },
  { option: 'train.warmup_fraction', reference: 0.15, note: 'sine warm-up over pretrain 0.3 × warmup 0.5 of the epoch' },
  { option: 'train.clip_norm', reference: 5, note: '' },
  { option: 'train.clip', reference: 'reference', note: "the reference's norm also counts the frozen tensors' ever-accumulating gradients (× its AMP loss scale): an implicit lr decay, aikd.md §5" },
  { option: 'train.consistency_weight', reference: 1, note: '' },
  { option: 'train.quality_weight', reference: 1, note: '' },
  { option: 'train.smooth_l1_beta', reference: 0.5, note: '' },
  { option: 'train.val_start_fraction', reference: 0.3, note: 'validation only after pretrain_end' },
  { option: 'train.val_at_end', reference: false, note: 'here every run gets a checkpoint even when no validation falls after val_start_fraction' },
  { option: 'train.val_criterion', reference: 'quality', note: 'the reference picks the checkpoint by the validation quality loss alone' },
  { option: 'train.bn', reference: 'train', note: 'PyTorch model.train(): batch statistics, running statistics updated' },
  { option: 'data.val_split', reference: 'stratified', note: 'a 1 % quality-stratified hold-out of images is a few images on small datasets and shares people with training' },
  { option: 'data.val_fraction', reference: 0.01, note: '' },
  { option: 'data.jitter_p', reference: 3, note: '' },
  { option: 'data.augment', reference: undefined, note: 'the reference trains on the images as they are; the label bank adds scored degraded variants' },
  { option: 'model.trainable_tensors', reference: 100, note: 'the last 100 parameter tensors (limit: 100)', when: (c) => c.model.train_depth === undefined },
  { option: 'model.train_depth', reference: undefined, note: 'the reference trains the last 100 parameter tensors (of an iResNet-100: from block 22 of stage 3 on); the built-in backbones have fewer than 100 in all' },
  { option: 'model.head_hidden', reference: 1024, note: '' },
];

const at = (cfg: unknown, path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], cfg);

export function referenceDeviations(cfg: TrainConfig): { option: string; value: unknown; reference: unknown; note?: string }[] {
  return REFERENCE_OPTIONS.filter((r) => (r.when?.(cfg) ?? true) && at(cfg, r.option) !== r.reference).map((r) => ({ option: r.option, value: at(cfg, r.option), reference: r.reference, ...(r.note ? { note: r.note } : {}) }));
}
