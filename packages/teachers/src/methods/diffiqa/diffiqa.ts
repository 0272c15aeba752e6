/**
 * DifFIQA as a FIQA method: `diffiqa --onnx UNET.onnx` (the user's UNet, e.g. the paper's exported) or
 * `diffiqa:<run-id>` (the small local UNet of a `method train --method diffiqa` run), around any FR model (default
 * faceres; the paper uses CosFace R100, the ONNX preset `cosface`). The loop is loop.ts.
 */
import { z, AikdError } from '@aikd/core';
import { resolveParams } from '../../params.ts';
import type { QualityMethod, QualityMethodOptions } from '../../types.ts';
import { checkCount, inputOf, openRecognizer, type OpenedRecognizer } from '../common.ts';
import { onnxDenoiser } from './denoiser.ts';
import { diffiqaScoreParams } from './params.ts';

export { diffiqaScoreParams, type DiffiqaScoreParams } from './params.ts';
import { diffiqaSchedule, diffiqaScores, pixelEmbedder, type Denoiser, type DiffiqaSettings } from './loop.ts';

/** The method object around a denoiser and an open FR model (both disposed with it when owned). */
export function diffiqaMethod(id: string, denoiser: Denoiser, { rec, owned }: OpenedRecognizer, P: DiffiqaSettings, extra: Record<string, unknown> = {}): QualityMethod {
  const schedule = diffiqaSchedule(P);
  const embed = pixelEmbedder(rec);
  return {
    id,
    requires: { frModel: true, training: true },
    params: { ...P, denoiser: denoiser.description, denoiser_size: denoiser.size, ...extra },
    frModel: rec.id,
    weightsHash: `${denoiser.weightsHash}+${rec.spec.weightsHash}`,
    range: { min: -1, max: 1, note: `mean of five cosines (R = ${P.R} repeats, t = ${P.t}, ${P.steps} DDIM steps, η = ${P.eta}); denoiser: ${denoiser.description}` },
    input: inputOf(rec),
    // one image is 2 + 4R FR passes and 2R·steps denoiser passes: keep calls short
    batchSize: 2,
    async score(crops, ctx) {
      checkCount(id, crops, ctx.ids);
      if (denoiser.size > rec.spec.inputSize)
        throw new AikdError(`${id}: the denoiser works at ${denoiser.size}×${denoiser.size}, larger than ${rec.id}'s ${rec.spec.inputSize}×${rec.spec.inputSize} crops; use an FR model with a larger input`);
      const traces = await diffiqaScores(crops, ctx.ids, ctx.seed, P, denoiser, embed, schedule);
      return Float64Array.from(traces, (t) => t.quality);
    },
    async dispose() {
      await denoiser.dispose();
      if (owned) await rec.dispose();
    },
  };
}

/** `diffiqa` with the user's ONNX UNet. */
export async function createDiffiqa(opts: QualityMethodOptions): Promise<QualityMethod> {
  const P = resolveParams('diffiqa', diffiqaScoreParams.extend({ unetSize: z.number().int().positive().optional() }), opts.params);
  if (!opts.onnx)
    throw new AikdError(
      'diffiqa needs a denoiser: your UNet as ONNX (--onnx UNET.onnx: pred-x0, cosine schedule, 1000 steps; inputs [batch, 3, D, D] in [−1, 1] and the time step), ' +
        'or train the small local one with `aikd method train --method diffiqa --dataset NAME` and score with diffiqa:<run-id>',
    );
  const { unetSize, ...settings } = P;
  const denoiser = await onnxDenoiser(opts.onnx, { size: unetSize });
  let opened: OpenedRecognizer;
  try {
    opened = await openRecognizer({ ...opts, featureCache: false }); // embeddings of diffused pixels: nothing to cache
  } catch (e) {
    await denoiser.dispose();
    throw e;
  }
  return diffiqaMethod('diffiqa', denoiser, opened, settings, { unet: opts.onnx });
}
