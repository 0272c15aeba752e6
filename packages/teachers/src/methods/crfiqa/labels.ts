/**
 * CR-FIQA's label (Boutros et al., CVPR 2023; `fdbtrs/CR-FIQA` losses.py, train_cr_fiqa.py): the certainty ratio
 * CCS / NNCCS, where CCS is the cosine between a sample and its own class centre and NNCCS the largest cosine to any
 * other class centre; the code divides directly (no ε). In the original the centres are the ArcFace head's class
 * weights, trained jointly with the backbone; with a frozen FR model they are the identities' normalised mean
 * embeddings (mean of the L2-normalised training embeddings, the sample itself included, as its class weight
 * includes it in training).
 */
import { checkRows, groupIdentities, normalizeRows, type EmbeddingRows } from '../labels-common.ts';

export interface CertaintyRatios {
  /** Cosine to the own identity centre. */
  ccs: Float64Array;
  /** Largest cosine to another identity centre. */
  nnccs: Float64Array;
  /** CCS / NNCCS, the regression target. */
  ratio: Float64Array;
  identities: string[];
  /** Unit-length centres [identities, dim], row-major. */
  centres: Float64Array;
}

export function certaintyRatios(e: EmbeddingRows, identities: readonly string[]): CertaintyRatios {
  checkRows(e, identities, 'CR-FIQA');
  const { names, of, members } = groupIdentities(identities, 'CR-FIQA');
  const X = normalizeRows(e);
  const d = e.dim, k = names.length;
  const centres = new Float64Array(k * d);
  members.forEach((rows, c) => {
    for (const i of rows) for (let q = 0; q < d; q++) centres[c * d + q]! += X[i * d + q]!;
  });
  const C = normalizeRows({ n: k, dim: d, data: centres });
  const ccs = new Float64Array(e.n), nnccs = new Float64Array(e.n), ratio = new Float64Array(e.n);
  for (let i = 0; i < e.n; i++) {
    let own = 0, other = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += X[i * d + q]! * C[c * d + q]!;
      if (c === of[i]) own = s;
      else if (s > other) other = s;
    }
    ccs[i] = own;
    nnccs[i] = other;
    ratio[i] = own / other;
  }
  return { ccs, nnccs, ratio, identities: names, centres: C };
}
