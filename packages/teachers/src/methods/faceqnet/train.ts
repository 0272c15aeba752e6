/** FaceQnet trained here: a head regressing the similarity to each identity's ICAO-style reference image. */
import { alignedCrops } from '../../train/features.ts';
import type { HeadTraining } from '../../train/learned.ts';
import { identityOf, rowsOf } from '../../train/learned.ts';
import { chooseReferences, faceqnetLabels, measureImage } from './labels.ts';

export const faceqnetTraining: HeadTraining = {
  kind: 'head',
  async labels(_P, ctx, emb) {
    const ids = emb.ids, identities = identityOf(ctx.ds);
    const crops = await alignedCrops(ctx.ds, ctx.procedure, ctx.rec.spec.inputSize, ctx.rec.spec.template, ctx.seed);
    const measures = crops.map((c, i) => measureImage(c, ctx.ds.image(ids[i]!)?.landmarks));
    const refs = chooseReferences(measures, identities);
    const r = faceqnetLabels(rowsOf(emb), identities, refs);
    return {
      y: r.labels,
      columns: { reference_cosine: r.cosine, reference: Array.from(r.reference, (k) => (k >= 0 ? ids[k]! : '')), pose_deviation: Float64Array.from(measures, (m) => m.pose), sharpness: Float64Array.from(measures, (m) => m.sharpness), noise_sigma: Float64Array.from(measures, (m) => m.noise), exposure_deviation: Float64Array.from(measures, (m) => m.exposure) },
      summary: { label: `(cos(e, e_ref) − ${r.min.toFixed(4)}) / (${r.max.toFixed(4)} − ${r.min.toFixed(4)}); reference = ICAO-style proxy (frontal, sharp, low noise, well exposed, unoccluded; the best worst rank)`, references: refs.size },
    };
  },
  loss: (P) => ({ kind: (P.loss as 'l1' | 'l2') ?? 'l2' }),
};
