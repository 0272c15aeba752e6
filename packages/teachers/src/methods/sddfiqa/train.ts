/** SDD-FIQA trained here: a head regressing the pseudo-labels of the frozen FR model's embeddings. */
import type { HeadTraining } from '../../train/learned.ts';
import { identityOf, rowsOf } from '../../train/learned.ts';
import { sddPseudoLabels } from './labels.ts';
import type { SddfiqaTrainParams } from './params.ts';

export const sddfiqaTraining: HeadTraining = {
  kind: 'head',
  async labels(params, ctx, emb) {
    const p = params as SddfiqaTrainParams;
    const r = sddPseudoLabels(rowsOf(emb), identityOf(ctx.ds), emb.ids, { m: p.m, K: p.K, seed: ctx.seed });
    return { y: r.labels, columns: {}, summary: { label: `Wasserstein-1 of mated vs non-mated similarities, m = ${p.m}, K = ${p.K}, each run normalised to [0, 100]` } };
  },
  loss: (P) => ({ kind: 'smoothl1', beta: P.beta as number }),
};
