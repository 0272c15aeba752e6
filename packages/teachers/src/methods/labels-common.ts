/** What the label generators share: embeddings as rows, L2-normalised in float64, and identities as indices. */
import { AikdError } from '@aikd/core';

/** n embeddings of dimension dim, row-major. */
export interface EmbeddingRows {
  n: number;
  dim: number;
  data: ArrayLike<number>;
}

/** Rows scaled to unit length (float64); a zero row stays zero. */
export function normalizeRows(e: EmbeddingRows): Float64Array {
  const out = new Float64Array(e.n * e.dim);
  for (let i = 0; i < e.n; i++) {
    let s = 0;
    for (let k = 0; k < e.dim; k++) s += e.data[i * e.dim + k]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let k = 0; k < e.dim; k++) out[i * e.dim + k] = e.data[i * e.dim + k]! * inv;
  }
  return out;
}

/** Dot product of rows i and j of a row-major matrix (cosine on normalised rows). */
export function rowDot(m: Float64Array, dim: number, i: number, j: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += m[i * dim + k]! * m[j * dim + k]!;
  return s;
}

/** Identity names sorted, each image's index into them, and the images of each identity (in input order). */
export function groupIdentities(identities: readonly string[], method: string, min = 2): { names: string[]; of: Int32Array; members: number[][] } {
  const names = [...new Set(identities)].sort();
  if (names.length < min) throw new AikdError(`${method} labels need at least ${min} identities (got ${names.length})`);
  const at = new Map(names.map((n, i) => [n, i]));
  const of = Int32Array.from(identities, (x) => at.get(x)!);
  const members = names.map(() => [] as number[]);
  of.forEach((k, i) => members[k]!.push(i));
  return { names, of, members };
}

export function checkRows(e: EmbeddingRows, identities: readonly string[], method: string): void {
  if (e.n !== identities.length) throw new AikdError(`${method} labels: ${e.n} embeddings but ${identities.length} identities`);
  if (e.data.length !== e.n * e.dim) throw new AikdError(`${method} labels: ${e.data.length} values for ${e.n} × ${e.dim} embeddings`);
}
