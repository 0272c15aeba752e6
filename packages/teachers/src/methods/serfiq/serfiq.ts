/**
 * SER-FIQ (Terhörst et al., CVPR 2020), the "same model" variant: T stochastic passes with dropout on the features
 * before the FR model's last linear layer, L2-normalised; quality = 2·sigmoid(−mean pairwise distance).
 * The backbone runs once per image; only the layers after the dropout point run T times, batched over images.
 * Masks are drawn in TypeScript from `rngFor(seed, 'serfiq', id)`, so an image's score does not depend on its batch.
 */
import { z, AikdError, rngFor } from '@aikd/core';
import type { RawImage } from '@aikd/datasets';
import type { Recognizer } from '@aikd/fr-models';
import { SERFIQ_DEFAULTS } from '../../constants.ts';
import { resolveParams } from '../../params.ts';
import type { QualityMethod, QualityMethodOptions, ScoreContext } from '../../types.ts';
import { checkCount, inputOf, openRecognizer } from '../common.ts';
import { dropoutMasks, serfiqDisplayRescale, serfiqFromEmbeddings } from './math.ts';

export const serfiqParams = z.object({
  T: z.number().int().min(2).max(1000).default(SERFIQ_DEFAULTS.T),
  p: z.number().min(0).lt(1).default(SERFIQ_DEFAULTS.p),
  rescale: z.boolean().default(SERFIQ_DEFAULTS.rescale),
  alpha: z.number().positive().default(SERFIQ_DEFAULTS.alpha),
  r: z.number().default(SERFIQ_DEFAULTS.r),
});
export type SerfiqParams = z.output<typeof serfiqParams>;

/** T embeddings of each image through the stochastic head: [T, d] row-major, and d. */
type StochasticHead = (crops: readonly RawImage[], ids: readonly string[], seed: number | string) => Promise<{ emb: Float32Array; d: number }[]>;

/** Largest head input per call (float32 values): T masked copies of several images' features go in at once. */
const HEAD_BATCH_VALUES = 16 << 20;

/**
 * The recogniser's features before its last linear layer once per image, then T masked copies of them through
 * the layers after that point only, several images per head call. Masks come from `rngFor(seed, 'serfiq', id)`.
 */
export function stochasticHead(rec: Recognizer, P: SerfiqParams): StochasticHead {
  const access = rec.penultimate;
  if (!access)
    throw new AikdError(`serfiq needs the activations before the FR model's last linear layer, and "${rec.id}" exposes none (its ONNX graph could not be split there)`);
  return async (crops, ids, seed) => {
    const f = await access.features(crops);
    const fshape = f.shape.slice(1);
    const F = fshape.reduce((a, b) => a * b, 1);
    const perCall = Math.max(1, Math.floor(HEAD_BATCH_VALUES / (P.T * F)));
    const out: { emb: Float32Array; d: number }[] = [];
    for (let start = 0; start < crops.length; start += perCall) {
      const m = Math.min(perCall, crops.length - start);
      const x = new Float32Array(m * P.T * F);
      for (let j = 0; j < m; j++) {
        const i = start + j;
        const mask = dropoutMasks(rngFor(seed, 'serfiq', ids[i]!), P.T, F, P.p);
        const fi = f.data.subarray(i * F, (i + 1) * F);
        const o = j * P.T * F;
        for (let t = 0; t < P.T; t++) for (let k = 0; k < F; k++) x[o + t * F + k] = mask[t * F + k]! * fi[k]!;
      }
      const r = await access.head(x, [m * P.T, ...fshape]);
      if (r.shape.length !== 2 || r.shape[0] !== m * P.T) throw new AikdError(`SER-FIQ: the head returned shape [${r.shape.join(', ')}], expected [${m * P.T}, d]`);
      const d = r.shape[1]!;
      for (let j = 0; j < m; j++) out.push({ emb: r.data.subarray(j * P.T * d, (j + 1) * P.T * d), d });
    }
    return out;
  };
}

export async function createSerfiq(opts: QualityMethodOptions): Promise<QualityMethod> {
  const P = resolveParams('serfiq', serfiqParams, opts.params);
  const { rec, owned } = await openRecognizer(opts);
  let passes: StochasticHead;
  try {
    passes = stochasticHead(rec, P);
  } catch (e) {
    if (owned) await rec.dispose();
    throw e;
  }
  return {
    id: 'serfiq',
    requires: { frModel: true },
    params: { ...P },
    frModel: rec.id,
    weightsHash: rec.spec.weightsHash,
    range: P.rescale
      ? { min: 0, max: 1, note: `display rescale 1/(1+exp(−${P.alpha}(s−${P.r}))) of 2·sigmoid(−mean distance); tuned for ArcFace (s ≈ 0.86–0.90)` }
      : { min: 0, max: 1, note: '2·sigmoid(−mean pairwise distance of T L2-normalised embeddings); the spread depends on the FR model' },
    input: inputOf(rec),
    batchSize: rec.spec.inputSize > 160 ? 4 : 16,
    async score(crops, ctx: ScoreContext) {
      checkCount('serfiq', crops, ctx.ids);
      if (!crops.length) return new Float64Array(0);
      const embs = await passes(crops, ctx.ids, ctx.seed);
      return Float64Array.from(embs, ({ emb, d }) => {
        const s = serfiqFromEmbeddings(emb, P.T, d);
        return P.rescale ? serfiqDisplayRescale(s, P.alpha, P.r) : s;
      });
    },
    async dispose() {
      if (owned) await rec.dispose();
    },
  };
}
