/**
 * Learning rate by measurement (`aikd train --lr-find`): the training run's own data, models and optimizer, with
 * the learning rate of both groups ramped exponentially from `lrMin` to `lrMax` over `steps` optimizer steps (no
 * warm-up, no validation). The loss is smoothed (EMA, bias-corrected); the search stops when it diverges. Suggested
 * lr: where the smoothed loss falls fastest against log lr, before its minimum (the "steepest descent" rule). The
 * curve is a run's metrics (`lr`, `loss`, `loss_smoothed` per step) and the suggestion its summary.
 */
import { initRuntime } from '@aikd/runtime';
import { AikdError, log, progress } from '@aikd/core';
import { Run } from '@aikd/results';
import { referenceDeviations } from './config.ts';
import type { LossWeights } from './losses.ts';
import { createSgd } from './optimizer.ts';
import { prepareTraining, runClip, type TrainInputs } from './prepare.ts';
import { optimizerStep } from './train.ts';

export interface LrFindOptions {
  /** Steps of the ramp (default 200). */
  steps?: number;
  lrMin?: number;
  lrMax?: number;
  /** Stop when the smoothed loss exceeds this multiple of its minimum (default 4). */
  divergeFactor?: number;
  /** EMA factor of the smoothed loss (default 0.9). */
  beta?: number;
  resultsRoot?: string;
  parent?: string;
}

export interface LrFindResult {
  run: Run;
  lrs: number[];
  losses: number[];
  smoothed: number[];
  /** Steepest descent of the smoothed loss against log lr (null when the loss never fell). */
  suggested: number | null;
  /** The lr at the smoothed loss' minimum (a usable lr is usually ~10× lower). */
  minLossLr: number;
  /** The step at which the loss diverged (the search stopped there), if it did. */
  divergedAt: number | null;
}

/** lr of ramp step k of n: lrMin · (lrMax / lrMin)^(k / (n − 1)). */
export function rampLr(k: number, n: number, lrMin: number, lrMax: number): number {
  return n > 1 ? lrMin * (lrMax / lrMin) ** (k / (n - 1)) : lrMin;
}

/** Exponential moving average with bias correction (the first values are not pulled towards 0). */
export function smoothLosses(losses: readonly number[], beta: number): number[] {
  let avg = 0;
  return losses.map((l, i) => {
    avg = beta * avg + (1 - beta) * l;
    return avg / (1 - beta ** (i + 1));
  });
}

/**
 * The lr where the smoothed loss falls fastest against log10 lr, among the points before the loss' minimum; null
 * when it never falls. The slope at point i is taken over ±`window` points (default 5 % of the points, at least 1),
 * and the first `skipStart` points (default 10 %, at least 1) are left out: the first losses of a search
 * are a few noisy batches from the untrained head, whose fall says nothing about the lr (fastai skips them too).
 */
export function steepestDescentLr(lrs: readonly number[], smoothed: readonly number[], opts: { window?: number; skipStart?: number } = {}): number | null {
  const n = smoothed.length;
  const w = opts.window ?? Math.max(1, Math.round(0.05 * n));
  const from = opts.skipStart ?? Math.max(1, Math.round(0.1 * n));
  const end = smoothed.reduce((m, v, i) => (v < smoothed[m]! ? i : m), 0);
  let best: number | null = null, bestSlope = 0;
  for (let i = from; i <= Math.min(end, n - 1 - w); i++) {
    const a = Math.max(from, i - w); // the window never reaches into the skipped start
    const slope = (smoothed[i + w]! - smoothed[a]!) / (Math.log10(lrs[i + w]!) - Math.log10(lrs[a]!));
    if (slope < bestSlope) (bestSlope = slope), (best = i);
  }
  return best === null ? null : lrs[best]!;
}

export async function lrFind(inputs: TrainInputs, opts: LrFindOptions = {}): Promise<LrFindResult> {
  const report = await initRuntime();
  const cfg = inputs.config;
  const T = cfg.train;
  const steps = opts.steps ?? 200, lrMin = opts.lrMin ?? 1e-6, lrMax = opts.lrMax ?? 1;
  if (!(steps >= 3)) throw new AikdError(`--lr-find-steps: at least 3 steps (got ${steps})`);
  if (!(lrMin > 0 && lrMax > lrMin)) throw new AikdError(`--lr-find: expected 0 < lr-min < lr-max (got ${lrMin}, ${lrMax})`);
  const p = await prepareTraining(inputs);
  const { models, spec, stepsPerEpoch } = p;
  const run = Run.create({
    kind: 'lr-find',
    name: cfg.name,
    params: { config: cfg, backbone: spec, labels: inputs.labelsInfo, data: p.data, ramp: { steps, lr_min: lrMin, lr_max: lrMax, groups: 'both groups get the ramp lr', divergence: `smoothed loss > ${opts.divergeFactor ?? 4} × its minimum`, smoothing: opts.beta ?? 0.9 }, deviations: referenceDeviations(cfg) },
    backend: report.backend,
    root: opts.resultsRoot,
    parent: opts.parent,
  });
  const sgd = createSgd([
    { name: 'head', params: models.trainable.head, lr: 1, momentum: T.momentum_head, weightDecay: T.weight_decay_head },
    { name: 'backbone', params: models.trainable.backbone, lr: 1, momentum: T.momentum_backbone, weightDecay: T.weight_decay_backbone },
  ]);
  const clip = runClip(models, T, stepsPerEpoch);
  const weights: LossWeights = { consistency: T.consistency_weight, quality: T.quality_weight, beta: T.smooth_l1_beta };
  const bnTraining = T.bn === 'train' && spec.batchNorm === 'statistics';
  const lrs: number[] = [], losses: number[] = [];
  let smoothed: number[] = [];
  let divergedAt: number | null = null;
  const bar = progress(`lr search ${spec.id} ← ${cfg.labels.method} (${lrMin}…${lrMax})`, steps);
  try {
    for (let s = 0; s < steps; s++) {
      const lr = rampLr(s, steps, lrMin, lrMax);
      const parts = await p.batches(s);
      const { terms, gradNorm } = optimizerStep(models.student, [...models.trainable.head, ...models.trainable.backbone], sgd, parts, weights, clip, s, lr, bnTraining);
      lrs.push(lr);
      losses.push(terms.loss);
      smoothed = smoothLosses(losses, opts.beta ?? 0.9);
      const sm = smoothed.at(-1)!;
      run.logMetrics({ lr, loss: terms.loss, loss_smoothed: sm, loss_consistency: terms.loss_consistency, loss_quality: terms.loss_quality, grad_norm: gradNorm }, s + 1);
      bar.tick();
      const best = Math.min(...smoothed);
      if (!Number.isFinite(terms.loss) || (s >= 5 && sm > (opts.divergeFactor ?? 4) * best)) {
        divergedAt = s + 1;
        break;
      }
    }
  } catch (e) {
    bar.done('(failed)');
    run.fail(e);
    throw e;
  } finally {
    sgd.dispose();
    clip.dispose();
    models.dispose();
  }
  const finite = smoothed.map((v) => (Number.isFinite(v) ? v : Infinity));
  const minAt = finite.reduce((m, v, i) => (v < finite[m]! ? i : m), 0);
  const suggested = steepestDescentLr(lrs, finite);
  bar.done(`suggested lr ${suggested?.toPrecision(2) ?? '– (the loss never fell)'}${divergedAt ? `, diverged at step ${divergedAt} (lr ${lrs.at(-1)!.toPrecision(2)})` : ''}`);
  if (suggested === null) log.warn(`lr search: the smoothed loss never fell between lr ${lrMin} and ${lrs.at(-1)}; widen the range or check the labels`);
  run.setSummary({ suggested_lr: suggested, suggestion: 'steepest descent of the smoothed loss vs log lr (first 10 % of the points skipped, slope over ±5 %)', min_loss_lr: lrs[minAt]!, min_loss_lr_over_10: lrs[minAt]! / 10, min_loss: finite[minAt]!, steps_run: lrs.length, diverged_at_step: divergedAt });
  run.finish();
  return { run, lrs, losses, smoothed, suggested, minLossLr: lrs[minAt]!, divergedAt };
}
