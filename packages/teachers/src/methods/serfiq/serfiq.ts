/**
 * SER-FIQ (Terhörst et al., CVPR 2020), the "same model" variant: T stochastic passes with dropout on the features
 * before the FR model's last linear layer, L2-normalised; quality = 2·sigmoid(−mean pairwise distance).
 * The backbone runs once per image; only the head runs T times, as one [T, …] tensor op per image. Masks are drawn
 * in TypeScript from `rngFor(seed, 'serfiq', id)`, so an image's score does not depend on its batch.
 */
import { z, AikdError, rngFor } from '@aikd/core';
import type { RawImage } from '@aikd/datasets';
import type { OnnxHeadAccess, Recognizer, TensorRecognizer } from '@aikd/fr-models';
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

/** T embeddings of one image through the stochastic head: [T, d] row-major, and d. */
type StochasticHead = (crops: readonly RawImage[], ids: readonly string[], seed: number | string) => Promise<{ emb: Float32Array; d: number }[]>;

function tensorHead(t: TensorRecognizer, P: SerfiqParams): StochasticHead {
  return async (crops, ids, seed) => {
    const { tf } = await import('@aikd/runtime');
    const feats = tf.tidy(() => t.features(t.toPixels(crops)));
    try {
      const fshape = feats.shape.slice(1);
      const F = fshape.reduce((a, b) => a * b, 1);
      const out: { emb: Float32Array; d: number }[] = [];
      for (let i = 0; i < crops.length; i++) {
        const mask = dropoutMasks(rngFor(seed, 'serfiq', ids[i]!), P.T, F, P.p);
        const e = tf.tidy(() => {
          const fi = feats.slice([i, ...fshape.map(() => 0)], [1, ...fshape]);
          return t.head(tf.mul(fi, tf.tensor(mask, [P.T, ...fshape])));
        });
        const d = e.shape[1];
        out.push({ emb: (await e.data()) as Float32Array, d });
        e.dispose();
      }
      return out;
    } finally {
      feats.dispose();
    }
  };
}

function onnxHeadPasses(h: OnnxHeadAccess, P: SerfiqParams): StochasticHead {
  return async (crops, ids, seed) => {
    const f = await h.features(crops);
    const fshape = f.shape.slice(1);
    const F = fshape.reduce((a, b) => a * b, 1);
    const out: { emb: Float32Array; d: number }[] = [];
    for (let i = 0; i < crops.length; i++) {
      const x = dropoutMasks(rngFor(seed, 'serfiq', ids[i]!), P.T, F, P.p);
      const fi = f.data.subarray(i * F, (i + 1) * F);
      for (let t = 0; t < P.T; t++) for (let k = 0; k < F; k++) x[t * F + k] = x[t * F + k]! * fi[k]!;
      const r = await h.head(x, [P.T, ...fshape]);
      if (r.shape.length !== 2 || r.shape[0] !== P.T) throw new AikdError(`SER-FIQ: the ONNX head returned shape [${r.shape.join(', ')}], expected [${P.T}, d]`);
      out.push({ emb: r.data, d: r.shape[1]! });
    }
    return out;
  };
}

export function stochasticHead(rec: Recognizer, P: SerfiqParams): StochasticHead {
  if (rec.tensor) return tensorHead(rec.tensor, P);
  if (rec.onnxHead) return onnxHeadPasses(rec.onnxHead, P);
  throw new AikdError(`serfiq needs the activations before the FR model's last linear layer, and "${rec.id}" exposes none (its ONNX graph could not be split there)`);
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
