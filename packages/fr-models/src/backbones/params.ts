import { tf } from '@aikd/runtime';
import { AikdError } from '@aikd/core';
import type { BackboneSpec, ParamRef } from './types.ts';

/** How much of a backbone trains: nothing (`head`: only AI-KD's quality head), its last block, its last stage, or all of it. */
export const TRAIN_DEPTHS = ['head', 'last-block', 'last-stage', 'all'] as const;
export type TrainDepth = (typeof TRAIN_DEPTHS)[number];

/**
 * The number of last parameter tensors (forward order) a depth trains on a backbone: 0, all, or the suffix starting
 * at the tensor `spec.depths[depth].from` names. Give the count to `makeLastTrainable`.
 */
export function trainDepthTensors(spec: BackboneSpec, params: readonly ParamRef[], depth: TrainDepth): number {
  if (depth === 'head') return 0;
  if (depth === 'all') return params.length;
  const d = spec.depths[depth];
  const i = params.findIndex((p) => p.name === d.from);
  if (i < 0) throw new AikdError(`${spec.id}: --train-depth ${depth} starts at tensor "${d.from}", which the backbone does not have`);
  return params.length - i;
}

/** Registers parameters in forward order while a builder adds layers. */
export class ParamList {
  readonly list: ParamRef[] = [];
  /** The weights of `layer` (already built) under the given names, in the layer's weight order; `null` skips one
   * (e.g. BN moving statistics, which are state, not parameters). */
  add(layer: tf.layers.Layer, names: (string | null)[], fixed: string[] = []): void {
    const ws = layer.weights;
    if (ws.length !== names.length) throw new AikdError(`layer ${layer.name}: has ${ws.length} weights, expected ${names.length}`);
    names.forEach((name, i) => {
      if (name) this.list.push({ name, variable: ws[i]!, ...(fixed.includes(name) ? { fixed: true } : {}) });
    });
  }
}

/** Give a built layer its weights, checking shapes (values are copied; the source tensors stay with the caller). */
export function setLayerWeights(layer: tf.layers.Layer, values: tf.Tensor[]): void {
  const ws = layer.weights;
  if (ws.length !== values.length) throw new AikdError(`layer ${layer.name}: ${values.length} weight tensors for ${ws.length} weights`);
  ws.forEach((w, i) => {
    const v = values[i]!;
    if (w.shape.join(',') !== v.shape.join(','))
      throw new AikdError(`layer ${layer.name}, weight ${w.originalName}: shape [${v.shape}] does not fit [${w.shape}]`);
  });
  layer.setWeights(values);
}

/**
 * Freeze everything except the last `n` parameter tensors (as the reference code's `limit: 100` does with
 * `list(model.parameters())[-n:]`); fixed tensors stay frozen even when they are among the last n. Frozen layers
 * are frozen at the layer level as well, so nothing else about them is trainable.
 * Returns the trainable parameters, in order.
 */
export function makeLastTrainable(model: tf.LayersModel, params: readonly ParamRef[], n: number): ParamRef[] {
  if (!Number.isInteger(n) || n < 0) throw new AikdError(`trainable tensors: expected an integer >= 0 (got ${n})`);
  const chosen = new Set(params.slice(Math.max(0, params.length - n)).filter((p) => !p.fixed).map((p) => p.variable));
  for (const layer of model.layers) {
    const any = layer.weights.some((w) => chosen.has(w));
    layer.trainable = any;
    if (any) for (const w of layer.weights) w.trainable = chosen.has(w);
  }
  return params.filter((p) => chosen.has(p.variable));
}

/** Freeze a whole model (the teacher). */
export function freezeAll(model: tf.LayersModel): void {
  for (const layer of model.layers) layer.trainable = false;
}
