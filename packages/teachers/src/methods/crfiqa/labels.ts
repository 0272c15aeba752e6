/**
 * CR-FIQA's label (Boutros et al., CVPR 2023; `fdbtrs/CR-FIQA` losses.py, train_cr_fiqa.py): the certainty ratio
 * CCS / NNCCS, where CCS is the cosine between a sample and its own class centre and NNCCS the largest cosine to any
 * other class centre; the code divides directly (no ε). In the original the centres are the ArcFace head's class
 * weights, trained jointly with the backbone; with a frozen FR model they are the identities' normalised mean
 * embeddings (mean of the L2-normalised training embeddings, the sample itself included, as its class weight
 * includes it in training).
 *
 * The ratio is only a certainty where NNCCS > 0: with a single identity there is no other centre, and a sample
 * whose nearest other centre is orthogonal or opposite (NNCCS ≤ 0, e.g. with two or three identities whose centres
 * point apart) gets an unbounded or sign-flipped label. Both stop with an error naming the cause and the images.
 */
import { AikdError } from '@aikd/core';
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

/** `ids` (parallel to the rows) name the images in errors; without them, errors give row indices. */
export function certaintyRatios(e: EmbeddingRows, identities: readonly string[], ids?: readonly string[]): CertaintyRatios {
  checkRows(e, identities, 'CR-FIQA');
  const distinct = [...new Set(identities)];
  if (distinct.length < 2)
    throw new AikdError(
      `CR-FIQA labels need at least 2 identities: the label CCS/NNCCS divides by NNCCS, the cosine to the nearest *other* identity's centre, which does not exist with ${distinct.length} (${distinct.length ? `only "${distinct[0]}"` : 'no images'}); train on a split with more identities`,
    );
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
  const bad = [...nnccs.keys()].filter((i) => !(nnccs[i]! > 0));
  if (bad.length) {
    const name = (i: number) => (ids ? `"${ids[i]}"` : `row ${i}`);
    const worst = bad.reduce((a, i) => (nnccs[i]! < nnccs[a]! ? i : a), bad[0]!);
    throw new AikdError(
      `CR-FIQA labels: NNCCS (the cosine to the nearest other identity's centre) is ≤ 0 for ${bad.length} of ${e.n} images, e.g. ${name(worst)} of identity "${identities[worst]}" (NNCCS ${nnccs[worst]!.toFixed(4)}, CCS ${ccs[worst]!.toFixed(4)}): ` +
        `CCS/NNCCS would be unbounded or change sign there. The ${k} identity centres point apart (too few identities, or an FR model whose embeddings share no common direction); use more identities`,
    );
  }
  return { ccs, nnccs, ratio, identities: names, centres: C };
}
