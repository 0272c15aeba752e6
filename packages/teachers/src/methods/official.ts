/**
 * Official weights of a learned method, exported to ONNX (`--onnx FILE`): the network's input convention (each
 * method folder's `official.ts`, fiqa-methods.md §1.3–1.7) and the scoring parameters of the ONNX route.
 */
import { z } from '@aikd/core';

/** `mean`/`std` map 0..255 pixels; `colour` is the network's channel order; `layout` is the default when the
 * model's input shape does not tell (rank-4 input with 3 at position 1 = NCHW, at position 3 = NHWC). */
export interface OnnxConvention {
  size: number;
  colour: 'RGB' | 'BGR';
  mean: number;
  std: number;
  layout: 'NCHW' | 'NHWC';
  clip: readonly [number, number] | null;
  note: string;
}

export const onnxRegressorParams = z.object({
  /** Name of the quality output (default: the one output of shape [batch, 1] or [batch]). */
  output: z.string().optional(),
});
