/**
 * An experiment's `train:` section of an AI-KD method → the trainer's config sections. Light (no tfjs): the method
 * catalogue's descriptor checks experiment files with it before any work, and the experiment trainer builds its
 * configuration with it.
 */
import { AikdError } from '@aikd/core';
import type { TrainableMethodSpec } from '@aikd/teachers/catalogue';

const DATA_KEYS = new Set(['augment', 'jitter_p', 'val_split', 'val_fraction', 'val_min_images', 'val_max_fraction', 'val_min', 'detector']);
const MODEL_KEYS = new Set(['trainable_tensors', 'train_depth', 'head_hidden', 'iresnet']);
const TRAIN_KEYS = new Set([
  'epochs', 'batch_size', 'micro_batch', 'lr_head', 'momentum_head', 'weight_decay_head', 'lr_backbone', 'momentum_backbone',
  'weight_decay_backbone', 'warmup_fraction', 'clip_norm', 'consistency_weight', 'quality_weight', 'smooth_l1_beta', 'val_every',
  'val_start_fraction', 'val_at_end', 'val_criterion', 'bn', 'clip', 'clip_amp_scale', 'checkpoint_every',
]);

/** The sections of the trainer's config an experiment's `train:` settings go to (`dataset` is the experiment's). */
export function aikdTrainSections(m: Pick<TrainableMethodSpec, 'label' | 'train'>): { data: Record<string, unknown>; model: Record<string, unknown>; train: Record<string, unknown> } {
  const out = { data: {} as Record<string, unknown>, model: {} as Record<string, unknown>, train: {} as Record<string, unknown> };
  for (const [k, v] of Object.entries(m.train ?? {})) {
    if (k === 'dataset') continue;
    if (k === 'lr') {
      out.train.lr_head = v;
      out.train.lr_backbone = v;
    } else if (DATA_KEYS.has(k)) out.data[k] = v;
    else if (MODEL_KEYS.has(k)) out.model[k] = v;
    else if (TRAIN_KEYS.has(k)) out.train[k] = v;
    else throw new AikdError(`method ${m.label}: train.${k} is not a training setting (expected dataset, lr, ${[...DATA_KEYS, ...MODEL_KEYS, ...TRAIN_KEYS].join(', ')})`);
  }
  return out;
}
