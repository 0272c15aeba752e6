/** What the recogniser-based methods share: opening the FR model and describing their input. */
import { AikdError } from '@aikd/core';
import type { Recognizer } from '@aikd/fr-models';
import { frModelCatalogue } from '@aikd/fr-models/catalogue';
import { DEFAULT_FR_MODEL } from '../constants.ts';
import type { QualityMethodOptions } from '../types.ts';

export interface OpenedRecognizer {
  rec: Recognizer;
  /** Dispose it with the method (we opened it); false when the caller passed an open recogniser. */
  owned: boolean;
}

/** The method's FR model: the caller's open recogniser or a new one, its features read through the per-crop feature
 * cache unless `opts.featureCache` is false (wrapping leaves the caller's recogniser undisposed and unchanged). */
export async function openRecognizer(opts: QualityMethodOptions, fallback = DEFAULT_FR_MODEL): Promise<OpenedRecognizer> {
  const { createRecognizer, withFeatureCache } = await import('@aikd/fr-models');
  const cached = (rec: Recognizer) => (opts.featureCache === false ? rec : withFeatureCache(rec));
  if (opts.frModel && typeof opts.frModel === 'object') return { rec: cached(opts.frModel), owned: false };
  return { rec: cached(await createRecognizer(opts.frModel ?? fallback)), owned: true };
}

export function inputOf(rec: Recognizer): { size: number; template: Recognizer['spec']['template'] } {
  return { size: rec.spec.inputSize, template: rec.spec.template };
}

/** The error for a method that needs tfjs tensors (input gradients) on a recogniser that has none. */
export function needsTensors(method: string, rec: Recognizer, what: string): AikdError {
  return new AikdError(
    `${method} ${what}; "${rec.id}" is an ${rec.spec.engine.toUpperCase()} model (inference only) — use a tfjs model (${frModelCatalogue.tfjsIds().join(', ')}) or import scores computed elsewhere (aikd score import)`,
  );
}

export function checkCount(method: string, crops: readonly unknown[], ids: readonly string[]): void {
  if (crops.length !== ids.length) throw new AikdError(`${method}: ${crops.length} crops but ${ids.length} ids (they must be parallel)`);
}
