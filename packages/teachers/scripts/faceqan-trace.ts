/**
 * What FaceQAN's quality is made of on the demo set: per image the attack's similarities S (mean, std, first and
 * last step) and the flip symmetry s_f, their Spearman with the degradation severity, and their means per
 * degradation family. Shows which part of q = [(1 + mean S)/2 · clip(1 − std S) · s_f]^p follows the degradations.
 *
 *   node --import tsx packages/teachers/scripts/faceqan-trace.ts [fr-model=mobileface] [every-nth-face=4] [seed=0]
 */
import { tf, initRuntime } from '@aikd/runtime';
import { openDataset, subsetDataset } from '@aikd/datasets';
import { createRecognizer } from '@aikd/fr-models';
import { alignDataset, createProcedure } from '@aikd/alignment';
import { textTable } from '@aikd/core';
import { FACEQAN_DEFAULTS, faceqanOne, spearman } from '../src/index.ts';

await initRuntime();
const [fr = 'mobileface', strideArg = '4', seedArg = '0'] = process.argv.slice(2);
const stride = Number(strideArg), seed = Number(seedArg);
const ds0 = await openDataset('demo');
const faceOf = (id: string) => id.split('__')[0]!;
const faces = [...new Set(ds0.images().map((r) => faceOf(r.id)))].sort();
const keep = new Set(faces.filter((_, i) => i % stride === 0));
const ds = subsetDataset(ds0, (r) => keep.has(faceOf(r.id)), `every ${stride}th face`);
const rec = await createRecognizer(fr);
const t = await rec.gradients!();
const crops = new Map<string, import('@aikd/datasets').RawImage>();
for await (const it of alignDataset(ds, createProcedure('proper'), { size: rec.spec.inputSize, template: rec.spec.template, seed })) crops.set(it.id, it.image);
const P = { ...FACEQAN_DEFAULTS };
const rows: { deg: string; sev: number; mean: number; std: number; sf: number; q: number; first: number; last: number }[] = [];
for (const r of ds.images()) {
  const px = t.toPixels([crops.get(r.id)!]);
  const tr = await faceqanOne(tf, t, px, r.id, seed, P);
  px.dispose();
  const S = Array.from(tr.S);
  const mean = S.reduce((a, b) => a + b, 0) / S.length;
  const std = Math.sqrt(S.reduce((a, b) => a + (b - mean) ** 2, 0) / S.length);
  const step = (s: number) => S.slice(s * P.k, (s + 1) * P.k).reduce((a, b) => a + b, 0) / P.k;
  rows.push({ deg: String(r.attributes?.degradation), sev: Number(r.attributes?.severity), mean, std, sf: tr.sf, q: tr.q, first: step(0), last: step(P.l - 1) });
}
await rec.dispose();
const keys = ['mean', 'std', 'sf', 'q', 'first', 'last'] as const;
const sev = rows.map((r) => r.sev);
process.stdout.write(`FaceQAN on ${fr}, ${rows.length} demo images (every ${stride}th face), seed ${seed}, k ${P.k} l ${P.l} ε ${P.epsilon} p ${P.p}\n`);
process.stdout.write(textTable(keys.map((k) => ({ part: k, 'ρ(part, severity)': +spearman(rows.map((r) => r[k]), sev).toFixed(3), min: +Math.min(...rows.map((r) => r[k])).toPrecision(4), max: +Math.max(...rows.map((r) => r[k])).toPrecision(4) }))) + '\n\n');
process.stdout.write(
  textTable(
    [...new Set(rows.map((r) => r.deg))].sort().map((d) => {
      const rr = rows.filter((r) => r.deg === d);
      const avg = (k: (typeof keys)[number]) => +(rr.reduce((a, r) => a + r[k], 0) / rr.length).toPrecision(4);
      return { degradation: d, images: rr.length, 'mean S': avg('mean'), 'std S': avg('std'), 'last-step cos': avg('last'), s_f: avg('sf'), q: avg('q') };
    }),
  ) + '\n',
);
