import { AikdError } from '@aikd/core';
import { procedureNames, type AlignmentProcedure, type ProcedureName } from '../types.ts';
import { createProper } from './proper.ts';
import { createLandmarkJitter } from './landmark-jitter.ts';
import { createDetectorSwap } from './detector-swap.ts';
import { createBbox } from './bbox.ts';
import { createAffineJitter } from './affine-jitter.ts';

const registry: Record<ProcedureName, (params?: Record<string, unknown>) => AlignmentProcedure> = {
  proper: createProper,
  'landmark-jitter': createLandmarkJitter,
  'detector-swap': createDetectorSwap,
  bbox: createBbox,
  'affine-jitter': createAffineJitter,
};

/**
 * An alignment procedure by name. Parameters (all recorded in `params`, defaults filled in):
 * - `proper`: detector (faceapi-ssd; used only when the record has no landmarks and is not an aligned crop)
 * - `landmark-jitter`: p (3 source px), detector
 * - `detector-swap`: detector (facemesh)
 * - `bbox`: detector (faceapi-ssd), scale (1: the square of side max(w, h))
 * - `affine-jitter`: rotation (10°), scale (0.1), shift (0.05 of the crop), detector
 */
export function createProcedure(name: ProcedureName, params: Record<string, unknown> = {}): AlignmentProcedure {
  const make = registry[name];
  if (!make) throw new AikdError(`unknown alignment procedure "${String(name)}" (expected one of ${procedureNames.join(', ')})`, 'BAD_PROCEDURE');
  return make(params);
}

export function isProcedureName(s: string): s is ProcedureName {
  return (procedureNames as readonly string[]).includes(s);
}

export { NoFaceError, referenceLandmarks, detectLargest } from './landmarks.ts';
