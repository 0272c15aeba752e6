/**
 * Acceptance evaluation on the built-in demo dataset (`aikd datasets build demo`): for every method × built-in FR
 * model, Spearman ρ between quality and the recorded degradation severity (expect clearly negative) and the EDC
 * pAUC_norm (FNMR, ISO mode, FMR 1e-3, min pair quality) of the same FR model's comparisons (expect < 1), plus
 * seed determinism of SER-FIQ and FaceQAN. Two reference rows per FR model: a seeded random quality (pAUC_norm ≈ 1)
 * and the oracle −severity.
 *
 *   node --import tsx packages/teachers/scripts/evaluate-demo.ts [--fr-models a,b] [--methods a,b]
 *     [--faceqan-faces N] [--no-determinism] [--out result.json]
 *
 * FaceQAN costs ~50 gradient images per image (≈1 s on mobileface, 6–14 s on the others on a 2-core wasm machine),
 * so on models other than mobileface it runs on every N-th face (all its variants) unless --faceqan-faces 0.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { aikdHome, rngFor, sha256Hex, textTable, AikdError } from '@aikd/core';
import { openDataset, type Dataset, type ImageRecord } from '@aikd/datasets';
import { createRecognizer, embedDataset, scorePairs, rocAuc, type EmbeddingSet } from '@aikd/fr-models';
import { computeEdc } from '@aikd/edc';
import { createQualityMethod, scoreDataset, spearman } from '../src/index.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const frModels = opt('fr-models', 'mobileface,faceapi-resnet,faceres,faceres-deep').split(',');
const methods = opt('methods', 'serfiq,faceqan,embedding-norm,magface').split(',');
const faceqanStride = Number(opt('faceqan-faces', '4'));
const determinism = !args.includes('--no-determinism');
const outFile = opt('out', '');

/** The face an image is a variant of: `<identity>/<face>__<degradation>-<level>.png` → `<identity>/<face>`. */
const faceOf = (r: ImageRecord) => r.id.split('__')[0]!;

/** A view of a dataset with some images (and the pairs between them). */
function subset(ds: Dataset, keep: (r: ImageRecord) => boolean, label: string): Dataset {
  const images = ds.images().filter(keep);
  const ids = new Set(images.map((r) => r.id));
  const pairs = ds.pairs().filter((p) => ids.has(p.a) && ids.has(p.b));
  return { ...ds, name: `${ds.name}[${label}]`, format: ds.format, aligned: ds.aligned, location: ds.location, images: () => images, pairs: () => pairs, image: (id) => (ids.has(id) ? ds.image(id) : undefined), readImage: (id) => ds.readImage(id), close: async () => {} };
}

interface Row {
  fr_model: string;
  method: string;
  images: number;
  rho_severity: number;
  pauc_norm_03: number | null;
  pauc_norm_02: number | null;
  fnmr_at_0: number;
  q_min: number;
  q_max: number;
  images_per_s: number | null;
}

function evaluate(view: Dataset, emb: EmbeddingSet, ids: readonly string[], quality: Float64Array, fr: string, method: string, seconds: number): Row {
  const byId = new Map(ids.map((id, i) => [id, quality[i]!]));
  const images = view.images();
  const sev = images.map((r) => Number(r.attributes?.severity));
  if (sev.some((s) => !Number.isFinite(s))) throw new AikdError(`${view.name}: every image needs a numeric "severity" attribute`);
  const q = images.map((r) => byId.get(r.id) ?? NaN);
  const { pairs, similarity, mated } = scorePairs(view, emb);
  const edc = computeEdc(
    {
      similarity,
      mated: Uint8Array.from(mated, Number),
      qualityA: Float64Array.from(pairs, (p) => byId.get(p.a) ?? NaN),
      qualityB: Float64Array.from(pairs, (p) => byId.get(p.b) ?? NaN),
    },
    { mode: 'iso', operatingPoint: { kind: 'fmr', value: 1e-3 }, discardLimits: [0.2, 0.3], pairQuality: 'min' },
    method,
  );
  const fin = q.filter(Number.isFinite);
  return {
    fr_model: fr,
    method,
    images: images.length,
    rho_severity: spearman(q, sev),
    pauc_norm_03: edc.paucNorm['0.3'] ?? null,
    pauc_norm_02: edc.paucNorm['0.2'] ?? null,
    fnmr_at_0: edc.errorAt0,
    q_min: Math.min(...fin),
    q_max: Math.max(...fin),
    images_per_s: seconds > 0 ? images.length / seconds : null,
  };
}

// the demo set may be rebuilt (same ids, new pixels) by `aikd datasets build demo`: say so if it happens mid-run
const buildFile = join(aikdHome(), 'datasets', 'demo', 'build.json');
const buildHash = () => sha256Hex(readFileSync(buildFile));
const builtAtStart = buildHash();
const ds = await openDataset('demo');
const rows: Row[] = [];
const verification: { fr_model: string; auc: number; pairs: number; mated: number }[] = [];
const seedRows: Record<string, unknown>[] = [];
for (const fr of frModels) {
  const rec = await createRecognizer(fr);
  // no embedding cache: its key is the dataset's ids, not its pixels (a rebuilt demo set would reuse stale embeddings)
  const emb = await embedDataset(ds, rec, { alignment: 'proper', seed: 0, cache: false });
  const all = scorePairs(ds, emb);
  verification.push({ fr_model: fr, auc: rocAuc(all.similarity, all.mated), pairs: all.pairs.length, mated: all.mated.filter(Boolean).length });
  const ids = ds.images().map((r) => r.id);
  const rnd = rngFor(0, 'evaluate-demo', 'random');
  rows.push(evaluate(ds, emb, ids, Float64Array.from(ids, () => rnd.next()), fr, 'random (reference)', 0));
  rows.push(evaluate(ds, emb, ids, Float64Array.from(ds.images(), (r) => -Number(r.attributes?.severity)), fr, '−severity (oracle)', 0));
  for (const name of methods) {
    let method;
    try {
      method = await createQualityMethod(name, name === 'magface' ? {} : { frModel: rec });
    } catch (e) {
      process.stderr.write(`skip ${name} on ${fr}: ${(e as Error).message}\n`);
      continue;
    }
    if (name === 'magface' && fr !== frModels[0]) {
      await method.dispose();
      continue; // MagFace has its own model: once is enough
    }
    let view: Dataset = ds;
    if (name === 'faceqan' && fr !== 'mobileface' && faceqanStride > 1) {
      const faces = [...new Set(ds.images().map(faceOf))].sort();
      const keep = new Set(faces.filter((_, i) => i % faceqanStride === 0));
      view = subset(ds, (r) => keep.has(faceOf(r)), `every ${faceqanStride}th face`);
    }
    const set = await scoreDataset(view, method, { alignment: 'proper', seed: 0 });
    rows.push(evaluate(view, emb, set.ids, set.quality, name === 'magface' ? 'magface' : fr, name + (view === ds ? '' : ` (${view.images().length} img)`), set.seconds));
    await method.dispose();
    process.stderr.write(textTable([rows[rows.length - 1]! as unknown as Record<string, unknown>]) + '\n');
  }
  if (determinism && fr === 'mobileface')
    for (const name of ['serfiq', 'faceqan']) {
      if (!methods.includes(name)) continue;
      const m = await createQualityMethod(name, { frModel: rec });
      const a = await scoreDataset(ds, m, { seed: 0 });
      const again = await scoreDataset(ds, m, { seed: 0, cache: false });
      const b = await scoreDataset(ds, m, { seed: 1 });
      const d = Array.from(a.quality, (v, i) => Math.abs(v - b.quality[i]!));
      const spread = Math.max(...a.quality) - Math.min(...a.quality);
      seedRows.push({
        method: name,
        fr_model: fr,
        same_seed_identical: a.quality.every((v, i) => v === again.quality[i]),
        max_abs_diff_seed_0_vs_1: Math.max(...d),
        mean_abs_diff: d.reduce((s, v) => s + v, 0) / d.length,
        relative_to_range: Math.max(...d) / spread,
        spearman_seed_0_vs_1: spearman(a.quality, b.quality),
      });
      await m.dispose();
    }
  await rec.dispose();
}
await ds.close();
if (buildHash() !== builtAtStart) process.stderr.write(`warning: the demo dataset was rebuilt during the evaluation (${buildFile} changed); run it again\n`);

const fmt = (r: Row) => ({ ...r, rho_severity: +r.rho_severity.toFixed(3), pauc_norm_03: r.pauc_norm_03 === null ? null : +r.pauc_norm_03.toFixed(3), pauc_norm_02: r.pauc_norm_02 === null ? null : +r.pauc_norm_02.toFixed(3), fnmr_at_0: +r.fnmr_at_0.toFixed(4), q_min: +r.q_min.toPrecision(4), q_max: +r.q_max.toPrecision(4), images_per_s: r.images_per_s === null ? null : +r.images_per_s.toPrecision(3) });
process.stdout.write(`\nverification (demo, proper alignment):\n${textTable(verification)}\n\nquality vs severity and EDC (FNMR @ FMR 1e-3, iso, min pair quality):\n${textTable(rows.map(fmt) as unknown as Record<string, unknown>[])}\n`);
if (seedRows.length) process.stdout.write(`\nseed determinism:\n${textTable(seedRows)}\n`);
if (outFile) writeFileSync(resolve(outFile), JSON.stringify({ verification, rows, seeds: seedRows }, null, 2));
