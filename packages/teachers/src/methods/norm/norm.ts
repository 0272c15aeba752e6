/**
 * Quality as the norm of the unnormalised embedding. `magface` (Meng et al., CVPR 2021) is this on a MagFace model,
 * whose training loss ties the norm to quality (ONNX preset `magface`: BGR, [0, 1], 112 px; the user brings the
 * weights). `embedding-norm` is the same computation on any other FR model — named as what it is, because a norm
 * is a calibrated quality only for MagFace-trained models.
 */
import { z, AikdError } from '@aikd/core';
import type { QualityMethod, QualityMethodOptions, ScoreContext } from '../../types.ts';
import { resolveParams } from '../../params.ts';
import { checkCount, inputOf, openRecognizer } from '../common.ts';
import type { OpenedRecognizer } from '../common.ts';

const noParams = z.object({});

function l2(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

function normMethod(id: 'magface' | 'embedding-norm', { rec, owned }: OpenedRecognizer, note: string): QualityMethod {
  return {
    id,
    requires: { frModel: id === 'embedding-norm', training: id === 'magface' },
    params: {},
    frModel: rec.id,
    weightsHash: rec.spec.weightsHash,
    range: { min: 0, max: null, note },
    input: inputOf(rec),
    batchSize: rec.spec.engine === 'onnx' ? 32 : 16,
    async score(crops, ctx: ScoreContext) {
      checkCount(id, crops, ctx.ids);
      if (!crops.length) return new Float64Array(0);
      return Float64Array.from(await rec.embed(crops), l2);
    },
    async dispose() {
      if (owned) await rec.dispose();
    },
  };
}

/** `magface`: always the MagFace model (`opts.onnx` = its file, else the `magface` preset from models.yaml / AIKD_MODELS). */
export async function createMagface(opts: QualityMethodOptions): Promise<QualityMethod> {
  resolveParams('magface', noParams, opts.params);
  if (typeof opts.frModel === 'string' && opts.frModel !== 'magface')
    throw new AikdError(`magface runs on the MagFace model only (got --fr-model ${opts.frModel}); for the norm of another model's embedding use the method "embedding-norm"`);
  let opened: OpenedRecognizer;
  if (opts.frModel && typeof opts.frModel === 'object') opened = { rec: opts.frModel, owned: false };
  else {
    const { createRecognizer } = await import('@aikd/fr-models');
    opened = { rec: await createRecognizer('magface', opts.onnx ? { path: opts.onnx } : {}), owned: true };
  }
  return normMethod('magface', opened, 'MagFace magnitude ‖f‖ (trained within [10, 110]; OFIQ maps it to 0–100)');
}

/** `embedding-norm`: ‖f‖ of any FR model's unnormalised embedding. */
export async function createEmbeddingNorm(opts: QualityMethodOptions): Promise<QualityMethod> {
  resolveParams('embedding-norm', noParams, opts.params);
  const opened = await openRecognizer(opts);
  return normMethod('embedding-norm', opened, `‖f‖ of ${opened.rec.id}'s unnormalised embedding (a quality proxy; calibrated only for MagFace-trained models)`);
}
