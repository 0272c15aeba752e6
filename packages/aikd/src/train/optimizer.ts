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
