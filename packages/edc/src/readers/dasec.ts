import { readFileSync, existsSync } from 'node:fs';
import { InputError, describeValue } from '@aikd/core';
import type { LoadedComparisons, MethodComparisons } from '../types.ts';

/**
 * The JSON layout of the public EDC example code (dasec/quality-assessment-evaluation):
 * `{"similarity_scores": {"type": "mated" | "nonmated", "scores_by_pair_ids": {"A-B": s, …}},
 *   "quality_scores_by_sample_id_per_algorithm": {alg: {sampleId: q, …}, …}}`.
 * Every algorithm becomes a method. As an extension `similarity_scores` may also be a list of such blocks (e.g. one
 * mated and one non-mated). A quality of null means the quality could not be assessed; a pair naming a sample
 * that an algorithm has no entry for is an error.
 */
export function readDasecJson(file: string): LoadedComparisons {
  if (!existsSync(file)) throw new InputError({ file, expected: 'an existing JSON file' });
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError({ file, expected: 'JSON', got: (e as Error).message.split('\n')[0] });
  }
  const err = (key: string, expected: string, ...got: unknown[]) =>
    new InputError({ file, where: `key "${key}"`, expected, ...(got.length ? { got: describeValue(got[0]) } : {}) });
  const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
  if (!isObject(doc)) throw new InputError({ file, expected: 'a JSON object with "similarity_scores" and "quality_scores_by_sample_id_per_algorithm"' });

  const qualitiesByAlg = doc['quality_scores_by_sample_id_per_algorithm'];
  if (!isObject(qualitiesByAlg) || Object.keys(qualitiesByAlg).length === 0)
    throw err('quality_scores_by_sample_id_per_algorithm', 'an object {algorithm: {sample id: quality}} with at least one algorithm', qualitiesByAlg);
  const algorithms = Object.keys(qualitiesByAlg);
  const sampleIds = new Set<string>();
  for (const alg of algorithms) {
    const q = qualitiesByAlg[alg];
    if (!isObject(q)) throw err(`quality_scores_by_sample_id_per_algorithm.${alg}`, 'an object {sample id: quality}', q);
    for (const [id, v] of Object.entries(q)) {
      if (v !== null && typeof v !== 'number')
        throw err(`quality_scores_by_sample_id_per_algorithm.${alg}.${id}`, 'a number (or null for a failed quality)', v);
      sampleIds.add(id);
    }
  }

  const raw = doc['similarity_scores'];
  const blocks = Array.isArray(raw) ? raw : [raw];
  const pairsA: string[] = [];
  const pairsB: string[] = [];
  const pairIds: string[] = [];
  const similarity: number[] = [];
  const mated: number[] = [];
  /** Unordered pair → where it was labelled, and how: one pair labelled mated and non-mated is an error. */
  const labelled = new Map<string, { key: string; type: string }>();
  blocks.forEach((block, b) => {
    const base = Array.isArray(raw) ? `similarity_scores[${b}]` : 'similarity_scores';
    if (!isObject(block)) throw err(base, 'an object {"type", "scores_by_pair_ids"}', block);
    const type = typeof block['type'] === 'string' ? block['type'].toLowerCase().replace(/[-_ ]/g, '') : undefined;
    if (type !== 'mated' && type !== 'nonmated') throw err(`${base}.type`, '"mated" or "nonmated"', block['type']);
    const scores = block['scores_by_pair_ids'];
    if (!isObject(scores)) throw err(`${base}.scores_by_pair_ids`, 'an object {"A-B": similarity}', scores);
    for (const [pairId, s] of Object.entries(scores)) {
      const key = `${base}.scores_by_pair_ids.${pairId}`;
      if (typeof s !== 'number' || !Number.isFinite(s)) throw err(key, 'a finite similarity score', s);
      const [a, b2] = splitPairId(pairId, sampleIds, () => err(key, 'a pair id "A-B" naming two known sample ids', pairId));
      const unordered = a < b2 ? `${a}\n${b2}` : `${b2}\n${a}`;
      const before = labelled.get(unordered);
      if (before && before.type !== type) throw new InputError({ file, where: `key "${key}"`, expected: 'each pair labelled once', got: `${type === 'mated' ? 'mated' : 'non-mated'} here, ${before.type === 'mated' ? 'mated' : 'non-mated'} at "${before.key}"` });
      labelled.set(unordered, { key, type });
      pairsA.push(a);
      pairsB.push(b2);
      pairIds.push(pairId);
      similarity.push(s);
      mated.push(type === 'mated' ? 1 : 0);
    }
  });
  if (similarity.length === 0) throw err('similarity_scores', 'at least one scored pair');

  const sim = Float64Array.from(similarity);
  const matedArr = Uint8Array.from(mated);
  const methods: MethodComparisons[] = algorithms.map((alg) => {
    const q = qualitiesByAlg[alg] as Record<string, number | null>;
    const qa = new Float64Array(sim.length);
    const qb = new Float64Array(sim.length);
    const look = (id: string, i: number): number => {
      if (!Object.hasOwn(q, id))
        throw err(`quality_scores_by_sample_id_per_algorithm.${alg}`, `a quality for sample "${id}" (pair "${pairIds[i]}")`, 'no entry');
      const v = q[id];
      return v === null || v === undefined ? NaN : v;
    };
    for (let i = 0; i < sim.length; i++) {
      qa[i] = look(pairsA[i]!, i);
      qb[i] = look(pairsB[i]!, i);
    }
    return { method: alg, similarity: sim, mated: matedArr, qualityA: qa, qualityB: qb };
  });
  return { file, format: 'dasec-json', methods, notes: [] };
}

/** "A-B" → [A, B]; with several "-", the one split whose halves are both known sample ids. */
function splitPairId(id: string, known: Set<string>, fail: () => Error): [string, string] {
  const cuts: number[] = [];
  for (let i = id.indexOf('-'); i >= 0; i = id.indexOf('-', i + 1)) if (i > 0 && i < id.length - 1) cuts.push(i);
  if (cuts.length === 1) return [id.slice(0, cuts[0]), id.slice(cuts[0]! + 1)];
  const ok = cuts.filter((i) => known.has(id.slice(0, i)) && known.has(id.slice(i + 1)));
  if (ok.length !== 1) throw fail();
  return [id.slice(0, ok[0]), id.slice(ok[0]! + 1)];
}
