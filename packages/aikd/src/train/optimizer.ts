/**
 * PyTorch's SGD (dampening 0, no Nesterov) with parameter groups, and `clip_grad_norm_`, written out so the
 * semantics are exactly the reference code's:
 *   d = g + wd · w;  v = d on the first step, else μ · v + d;  w ← w − lr · v
 * and clipping by the global L2 norm over the trainable tensors: g ← g · min(1, max / (‖g‖ + 1e-6)).
 * tfjs' own momentum optimizer differs (its accumulator starts at zero and it has no weight decay).
 */
import { tf } from '@aikd/runtime';
import { AikdError } from '@aikd/core';
import type { ParamRef } from '@aikd/fr-models';

export interface SgdGroup {
  name: string;
  params: ParamRef[];
  lr: number;
  momentum: number;
  weightDecay: number;
}

export interface Sgd {
  readonly groups: readonly SgdGroup[];
  /** Apply one step with gradients keyed by parameter name; `lrFactor` scales every group's lr (warm-up). */
  step(grads: Map<string, tf.Tensor>, lrFactor: number): void;
  /** Momentum buffers by parameter name (for checkpoints); absent before the first step. */
  state(): Map<string, tf.Tensor>;
  load(state: Map<string, tf.Tensor>): void;
  dispose(): void;
}

export function createSgd(groups: SgdGroup[]): Sgd {
  const buffers = new Map<string, tf.Variable>();
  const names = new Set<string>();
  for (const g of groups) for (const p of g.params) {
    if (names.has(p.name)) throw new AikdError(`SGD: parameter ${p.name} is in two groups`);
    names.add(p.name);
  }
  return {
    groups,
    step(grads, lrFactor) {
      for (const g of groups) {
        const lr = g.lr * lrFactor;
        for (const p of g.params) {
          const grad = grads.get(p.name);
          if (!grad) throw new AikdError(`SGD: no gradient for ${p.name}`);
          tf.tidy(() => {
            const w = p.variable.read();
            const d = g.weightDecay ? tf.add(grad, tf.mul(w, g.weightDecay)) : grad;
            let v = d;
            if (g.momentum) {
              const buf = buffers.get(p.name);
              if (buf) {
                buf.assign(tf.add(tf.mul(buf, g.momentum), d));
                v = buf;
              } else {
                buffers.set(p.name, tf.keep(tf.variable(d.clone(), false)));
                v = d;
              }
            }
            p.variable.write(tf.sub(w, tf.mul(v, lr)));
          });
        }
      }
    },
    state: () => new Map(buffers),
    load(state) {
      for (const [name, t] of state) {
        if (!names.has(name)) throw new AikdError(`SGD state: unknown parameter ${name}`);
        buffers.get(name)?.dispose();
        buffers.set(name, tf.variable(t.clone(), false));
      }
    },
    dispose() {
      for (const b of buffers.values()) b.dispose();
      buffers.clear();
    },
  };
}

/** Global L2 norm of the gradients and the clipped gradients (a new map; the caller disposes both maps). */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { norm: number; clipped: Map<string, tf.Tensor> } {
  const norm = Math.sqrt(tf.tidy(() => tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g)))).dataSync()[0]!));
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  const clipped = new Map<string, tf.Tensor>();
  for (const [k, g] of grads) clipped.set(k, coef < 1 ? tf.mul(g, coef) : g.clone());
  return { norm, clipped };
}

/**
 * Gradient clipping, two ways (`train.clip`):
 * - `trainable`: the global L2 norm over the trainable tensors only (clip_grad_norm_ on what the optimizer updates);
 * - `reference`: what the reference code's `clip_grad_norm_(student_model.parameters(), 5)` does (aikd.md §5). The
 *   backbone tensors outside the optimizer keep requires_grad, and `optimizer.zero_grad()` never clears them, so
 *   their gradients accumulate over all steps; with AMP they also stay multiplied by the GradScaler's loss scale
 *   (`unscale_` only unscales the optimizer's tensors: 128 at first, doubling every growth interval without
 *   overflow). The norm counts those accumulators, and the clip coefficient scales them too. The effect: an
 *   implicit learning-rate decay that grows with the accumulators.
 */
export interface GradientClip {
  readonly mode: 'trainable' | 'reference';
  /** Tensors whose gradients the clip needs besides the trainable ones (reference: the frozen backbone tensors). */
  readonly extra: readonly ParamRef[];
  /**
   * Clip the gradients of step `step` (0-based): `grads` has the trainable tensors' and the extra ones' (both
   * consumed); returns the norm the reference computes and the clipped trainable gradients (a new map).
   */
  clip(grads: Map<string, tf.Tensor>, step: number): { norm: number; clipped: Map<string, tf.Tensor> };
  /** The accumulators, by parameter name (for checkpoints). */
  state(): Map<string, tf.Tensor>;
  load(state: Map<string, tf.Tensor>): void;
  dispose(): void;
}

export function createClip(opts: { mode: 'trainable' | 'reference'; maxNorm: number; frozen?: readonly ParamRef[]; lossScale?: (step: number) => number }): GradientClip {
  const extra = opts.mode === 'reference' ? [...(opts.frozen ?? [])] : [];
  const extraNames = new Set(extra.map((p) => p.name));
  const acc = new Map<string, tf.Tensor>();
  return {
    mode: opts.mode,
    extra,
    clip(grads, step) {
      if (opts.mode === 'trainable') {
        const r = clipByGlobalNorm(grads, opts.maxNorm);
        tf.dispose([...grads.values()]);
        return r;
      }
      const scale = opts.lossScale?.(step) ?? 1;
      const own = new Map<string, tf.Tensor>();
      for (const [name, g] of grads) {
        if (!extraNames.has(name)) {
          own.set(name, g);
          continue;
        }
        const prev = acc.get(name);
        acc.set(name, tf.tidy(() => (prev ? tf.add(prev, tf.mul(g, scale)) : tf.mul(g, scale))));
        prev?.dispose();
        g.dispose();
      }
      const sq = (m: Map<string, tf.Tensor>) => (m.size ? tf.tidy(() => tf.addN([...m.values()].map((t) => tf.sum(tf.square(t)))).dataSync()[0]!) : 0);
      const norm = Math.sqrt(sq(own) + sq(acc));
      const coef = Math.min(1, opts.maxNorm / (norm + 1e-6));
      const clipped = new Map<string, tf.Tensor>();
      for (const [k, g] of own) clipped.set(k, coef < 1 ? tf.mul(g, coef) : g.clone());
      if (coef < 1)
        for (const [k, a] of acc) {
          acc.set(k, tf.mul(a, coef));
          a.dispose();
        }
      tf.dispose([...own.values()]);
      return { norm, clipped };
    },
    state: () => new Map(acc),
    load(state) {
      for (const [name, t] of state) {
        if (!extraNames.has(name)) throw new AikdError(`clip state: ${name} is not a frozen tensor of this run`);
        acc.get(name)?.dispose();
        acc.set(name, t.clone());
      }
    },
    dispose() {
      tf.dispose([...acc.values()]);
      acc.clear();
    },
  };
}

/**
 * The reference's GradScaler loss scale at step `step` (0-based): `init` (128), doubled after every `interval`
 * overflow-free steps (`growth_interval = pretrain_end`, 0.3 of an epoch; overflows are not emulated).
 */
export function referenceLossScale(step: number, interval: number, init = 128): number {
  return init * 2 ** Math.floor(step / Math.max(1, interval));
}
