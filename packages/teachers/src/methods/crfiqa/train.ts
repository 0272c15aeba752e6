/** CR-FIQA trained here: a head regressing the certainty ratio of the frozen FR model's embeddings. */
import type { HeadTraining } from '../../train/learned.ts';
import { identityOf, rowsOf } from '../../train/learned.ts';
import { certaintyRatios } from './labels.ts';

export const crfiqaTraining: HeadTraining = {
  kind: 'head',
  async labels(_P, ctx, emb) {
    const r = certaintyRatios(rowsOf(emb), identityOf(ctx.ds), emb.ids);
    return { y: r.ratio, columns: { ccs: r.ccs, nnccs: r.nnccs }, summary: { label: 'CCS/NNCCS (identity centres = normalised mean embeddings of the training identities)' } };
  },
  loss: (P) => ({ kind: 'smoothl1', beta: P.beta as number }),
};
