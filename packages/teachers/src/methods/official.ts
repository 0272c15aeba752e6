/**
 * Official weights of a learned method, exported to ONNX (`--onnx FILE`): the network's input convention (each
 * method folder's `official.ts`, fiqa-methods.md §1.3–1.7) and the scoring parameters of the ONNX route.
 */
import { z, AikdError } from '@aikd/core';
import { OFFICIAL_WEIGHTS, TORCH_MODEL_KINDS, importCommand, kindInput, kindOfMethod, type TorchModelKindId } from '@aikd/fr-models/weights';

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

/**
 * The convention of a method whose official network is published as a PyTorch checkpoint of this kind: its input is
 * the kind's (fr-models' kinds.ts, described there once), the same whether the user exported the ONNX file or
 * `aikd models import` converted it.
 */
export function checkpointConvention(kind: TorchModelKindId, clip: OnnxConvention['clip'], note: string): OnnxConvention {
  const p = kindInput(TORCH_MODEL_KINDS[kind]);
  if (typeof p.mean !== 'number' || typeof p.std !== 'number') throw new AikdError(`model kind ${kind}: a per-channel convention does not fit an OnnxConvention`);
  return { size: p.size, colour: p.colour, mean: p.mean, std: p.std, layout: p.layout, clip, note };
}

/**
 * How a method gets its official PyTorch weights, when it has any (its checkpoint kind): `--weights` with the names
 * `aikd models import` gives the registry's files, e.g. "--weights NAME|FILE.pth (aikd models import 181952backbone.pth
 * --as crfiqa → crfiqa-l; …)".
 */
export function officialWeightsRoute(method: string): string | undefined {
  const kind = kindOfMethod(method);
  if (!kind) return undefined;
  const files = OFFICIAL_WEIGHTS.filter((w) => w.kind === kind.id);
  return `--weights NAME|FILE.pth${files.length ? ` (${files.map((w) => `${importCommand(w)} → ${w.model}`).join('; ')})` : ''}`;
}
