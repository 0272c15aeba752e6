/**
 * What a training (and an lr search) needs before its first step: the identity split and the teacher's labels, the
 * student and teacher models, the reference landmarks and aligned crops, the validation hold-out, label
 * normalisation and the frozen teacher's embeddings; then, per optimizer step, the micro-batches of misaligned crops.
 */
import { tf } from '@aikd/runtime';
import { AikdError, log, progress } from '@aikd/core';
import { splitByIdentity, type Dataset, type RawImage } from '@aikd/datasets';
import { createBackboneSource, cropsToPixels, type BackboneSpec } from '@aikd/fr-models';
import type { TrainConfig } from './config.ts';
import type { QualityMethod } from '@aikd/teachers';
import { alignProper, createJitter, epochOrder, identityHoldout, misalignedCrop, normaliseLabels, sourceImages, stratifiedHoldout, type CropSpec, type TrainItem } from './data.ts';
import { buildLabelBank, type LabelBank } from './label-bank.ts';
import { createAikdModels, teacherForward, type AikdModels } from './model.ts';
import { createClip, referenceLossScale, type GradientClip } from './optimizer.ts';

/** Images per forward/backward pass when the config does not say (wasm memory: iResNet training needs ≤ 8). */
export const DEFAULT_MICRO_BATCH: Record<BackboneSpec['family'], number> = { mobileface: 32, faceres: 8, 'faceapi-resnet': 16, iresnet: 8 };

export interface TrainInputs {
  config: TrainConfig;
  dataset: Dataset;
  /** The teacher method's raw quality of each image's aligned crop (higher = better); images without one are skipped. */
  labels: ReadonlyMap<string, number>;
  /** How the labels were made (method, FR model, file, …), recorded. */
  labelsInfo: Record<string, unknown>;
  /** Opens the teacher method (the caller's labels' method), to score the label bank's variants (`data.augment`). */
  teacher?: () => Promise<QualityMethod>;
}

/** Student inputs of one micro-batch: misaligned pixels, the teacher's embeddings of the aligned crops, labels. */
export interface MicroBatch {
  pixels: tf.Tensor4D;
  teacher: tf.Tensor2D;
  labels: tf.Tensor1D;
}

/** The run's gradient clipping (`train.clip`): for `reference`, the frozen backbone tensors (not the fixed
 * features.weight, which has no gradient in the reference either) and its AMP loss scale (growth every 0.3 epoch). */
export function runClip(models: AikdModels, T: TrainConfig['train'], stepsPerEpoch: number): GradientClip {
  return createClip({
    mode: T.clip,
    maxNorm: T.clip_norm,
    frozen: models.backboneParams.filter((q) => !q.fixed && !models.trainable.backbone.includes(q)),
    lossScale: T.clip_amp_scale ? (step) => referenceLossScale(step, Math.floor(0.3 * stepsPerEpoch)) : undefined,
  });
}

export interface Prepared {
  models: AikdModels;
  spec: BackboneSpec;
  crop: CropSpec;
  micro: number;
  /** Every labelled training item (train + validation), the training part sorted by id, and validation. */
  items: TrainItem[];
  train: TrainItem[];
  val: TrainItem[];
  valCrops: Map<string, RawImage>;
  teacherEmb: Map<string, Float32Array>;
  range: { min: number; max: number };
  stepsPerEpoch: number;
  /** What the run records under `params.data`. */
  data: Record<string, unknown>;
  /** The micro-batches of optimizer step `step` (0-based): the epoch's seeded order, a fresh jitter per epoch. */
  batches(step: number): Promise<MicroBatch[]>;
}

export async function prepareTraining(inputs: TrainInputs): Promise<Prepared> {
  const cfg = inputs.config;
  const ds = inputs.dataset;
  const T = cfg.train;
  // ---- which images: the identity split (datasets' one split, as teachers and experiments hold out), and the
  // teacher's labels (checked before anything is built)
  const splitSeed = cfg.data.split_seed ?? cfg.seed;
  const held = cfg.data.test_identities > 0 ? splitByIdentity(ds, { testFraction: cfg.data.test_identities, seed: splitSeed }) : undefined;
  const split = { train: (held?.train ?? ds).images(), test: held?.test.images() ?? [], testIdentities: held?.testIdentities ?? [] };
  const labelled = split.train.filter((r) => Number.isFinite(inputs.labels.get(r.id)));
  const unlabelled = split.train.length - labelled.length;
  if (!labelled.length && split.train.length)
    throw new AikdError(`none of the ${split.train.length} training images of ${ds.name} has a teacher quality (labels: ${String(inputs.labelsInfo.file ?? inputs.labelsInfo.method)}); the labels' image ids must be the dataset's, e.g. "${split.train[0]!.id}"`);
  if (unlabelled) log.warn(`${unlabelled} training image(s) have no teacher quality and are skipped`);
  const source = await createBackboneSource(cfg.model.backbone, { expect: cfg.model.iresnet });
  const models = createAikdModels(source, { seed: cfg.seed, trainableTensors: cfg.model.trainable_tensors, trainDepth: cfg.model.train_depth, headHidden: cfg.model.head_hidden });
  source.dispose();
  const spec = models.spec;
  const crop: CropSpec = { size: spec.inputSize, template: spec.template, seed: cfg.seed, aligned: ds.aligned };
  const micro = T.micro_batch ?? DEFAULT_MICRO_BATCH[spec.family];

  // ---- data: reference landmarks, validation hold-out, label normalisation
  const src = sourceImages(ds);
  const bar0 = progress(`align ${ds.name} (proper, ${spec.inputSize}px)`, labelled.length);
  const aligned = await alignProper(labelled, src, crop, cfg.data.detector, () => bar0.tick());
  bar0.done();
  const items: TrainItem[] = aligned.records.map((record) => ({ id: record.id, record, rawQuality: inputs.labels.get(record.id)!, label: NaN }));
  const hold: { train: TrainItem[]; val: TrainItem[]; valFraction: number; valIdentities?: string[]; identities?: number } =
    cfg.data.val_split === 'identity'
      ? identityHoldout(ds, items, { fraction: cfg.data.val_fraction, minImages: cfg.data.val_min_images, maxFraction: cfg.data.val_max_fraction, seed: cfg.seed })
      : stratifiedHoldout(items, cfg.data.val_fraction, cfg.data.val_min);
  // ---- the label bank: degraded variants of the training faces (not of validation), scored by the teacher
  let bank: LabelBank | undefined;
  const bankItems: TrainItem[] = [];
  if (cfg.data.augment) {
    if (!inputs.teacher) throw new AikdError('data.augment: the label bank needs the teacher method to score its variants (labels.method run here, not labels.scores from a file)');
    const teacher = await inputs.teacher();
    try {
      bank = await buildLabelBank(
        hold.train.map((i) => i.record),
        src,
        (id) => ds.readImage(id),
        teacher,
        { families: cfg.data.augment.families, perFace: cfg.data.augment.per_face, seed: cfg.labels.seed ?? cfg.seed, datasetName: ds.name },
      );
    } finally {
      await teacher.dispose();
    }
    const scoredVariants = bank.variants.filter((v) => Number.isFinite(bank!.labels.get(v.record.id)));
    const bankSrc = sourceImages(bank.dataset);
    const alignedBank = await alignProper(scoredVariants.map((v) => v.record), bankSrc, { ...crop, aligned: false }, cfg.data.detector);
    for (const r of alignedBank.records) {
      bankItems.push({ id: r.id, record: r, rawQuality: bank.labels.get(r.id)!, label: NaN });
      aligned.crops.set(r.id, alignedBank.crops.get(r.id)!);
    }
    items.push(...bankItems);
  }
  const range = normaliseLabels([...hold.train, ...bankItems], hold.val);
  const train = [...hold.train, ...bankItems].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const val = hold.val;
  // the student's source images: the dataset's, and the bank's variants
  const studentSrc = bank ? sourceImages(unionDataset(ds, bank.dataset)) : src;

  // ---- the frozen teacher's targets: embeddings of the aligned crops, once (it never changes)
  const teacherEmb = new Map<string, Float32Array>();
  for (let i = 0; i < items.length; i += micro) {
    const chunk = items.slice(i, i + micro);
    const e = tf.tidy(() => teacherForward(models.teacher, cropsToPixels(chunk.map((c) => aligned.crops.get(c.id)!), spec.inputSize)));
    const data = e.dataSync() as Float32Array;
    e.dispose();
    chunk.forEach((c, k) => teacherEmb.set(c.id, data.slice(k * spec.embeddingSize, (k + 1) * spec.embeddingSize)));
  }
  const valCrops = new Map(val.map((v) => [v.id, aligned.crops.get(v.id)!]));
  aligned.crops.clear();

  const stepsPerEpoch = Math.ceil(train.length / T.batch_size);
  const data = {
    dataset: ds.name,
    images: ds.images().length,
    identity_split: { test_fraction: cfg.data.test_identities, seed: splitSeed, test_identities: split.testIdentities.length, ...(split.testIdentities.length ? { held_out: split.testIdentities } : {}), train_images: split.train.length, test_images: split.test.length },
    unlabelled,
    no_face: aligned.noFace,
    train: train.length,
    val: val.length,
    val_split: cfg.data.val_split,
    val_fraction_used: hold.valFraction,
    val_fraction_asked: cfg.data.val_fraction,
    ...(hold.valIdentities ? { val_identities: hold.valIdentities.length, train_identities: hold.identities! - hold.valIdentities.length } : {}),
    ...(bank ? { augment: { ...bank.summary, used: bankItems.length, faces_trained: hold.train.length } } : {}),
    jitter: { procedure: 'landmark-jitter', p: cfg.data.jitter_p, keyed_by: '(seed, epoch, image id)' },
  };

  const jitter = createJitter(cfg.data.jitter_p, cfg.data.detector);
  let order: number[] = [];
  let orderEpoch = -1;
  const batches = async (s: number): Promise<MicroBatch[]> => {
    const epoch = Math.floor(s / stepsPerEpoch);
    if (epoch !== orderEpoch) {
      order = epochOrder(train.length, cfg.seed, epoch);
      orderEpoch = epoch;
    }
    const k = s % stepsPerEpoch;
    const batch = order.slice(k * T.batch_size, (k + 1) * T.batch_size).map((i) => train[i]!);
    const parts: MicroBatch[] = [];
    for (let i = 0; i < batch.length; i += micro) {
      const mb = batch.slice(i, i + micro);
      const crops = await Promise.all(mb.map((it) => misalignedCrop(jitter, studentSrc, it, crop, epoch)));
      parts.push({
        pixels: cropsToPixels(crops, spec.inputSize),
        teacher: tf.tensor2d(concat(mb.map((it) => teacherEmb.get(it.id)!)), [mb.length, spec.embeddingSize]),
        labels: tf.tensor1d(mb.map((it) => it.label)),
      });
    }
    return parts;
  };
  return { models, spec, crop, micro, items, train, val, valCrops, teacherEmb, range, stepsPerEpoch, data, batches };
}

/** Two datasets' images read as one (the training images and the label bank's variants). */
function unionDataset(a: Dataset, b: Dataset): Dataset {
  const inB = new Set(b.images().map((r) => r.id));
  return { ...a, name: `${a.name}+${b.name}`, images: () => [...a.images(), ...b.images()], image: (id) => (inB.has(id) ? b.image(id) : a.image(id)), readImage: (id) => (inB.has(id) ? b.readImage(id) : a.readImage(id)) };
}

export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
