import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { AikdError, InputError, emit, log, textTable, writeFileAtomic } from '@aikd/core';
import { decodeImage, encodeJpeg, encodePng, openDataset, type ImageRecord, type Landmarks5 } from '@aikd/datasets';
import { alignDataset, alignmentCacheDir } from './align-dataset.ts';
import { disposeSharedDetectors } from './detectors/index.ts';
import { createProcedure, isProcedureName } from './procedures/index.ts';
import { buildDemoDataset } from './demo/build.ts';

/** A numeric seed stays a number (so `--seed 7` and `seed: 7` in code draw the same stream). */
export function parseSeed(s: string): number | string {
  return /^-?\d+$/.test(s.trim()) ? Number(s) : s;
}

export function parseLandmarksArg(s: string): Landmarks5 {
  const v = s.split(/[,\s]+/).filter(Boolean).map(Number);
  if (v.length !== 10 || !v.every(Number.isFinite)) throw new InputError({ where: '--landmarks', expected: '10 numbers x1,y1,…,x5,y5', got: JSON.stringify(s) });
  return [0, 1, 2, 3, 4].map((i) => [v[2 * i]!, v[2 * i + 1]!]) as Landmarks5;
}

export function parseParams(list: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new InputError({ where: '--param', expected: 'key=value', got: JSON.stringify(kv) });
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

export async function runAlignCommand(opts: {
  image?: string; landmarks?: string; procedure: string; param?: string[]; size: number; seed: string; epoch?: number; aligned?: boolean; out?: string; dataset?: string; config?: string; data?: string;
}): Promise<void> {
  if (!!opts.image === !!opts.dataset) throw new AikdError('aikd align: give either --image FILE (with --out) or --dataset NAME');
  if (!isProcedureName(opts.procedure)) throw new AikdError(`unknown procedure ${opts.procedure}`);
  const procedure = createProcedure(opts.procedure, parseParams(opts.param));
  const seed = parseSeed(opts.seed);
  try {
    if (opts.image) {
      if (!opts.out) throw new AikdError('aikd align --image: --out FILE is required (where the crop goes)');
      const img = await decodeImage(new Uint8Array(readFileSync(opts.image)), opts.image);
      const rec: ImageRecord = { id: basename(opts.image), path: opts.image, ...(opts.landmarks ? { landmarks: parseLandmarksArg(opts.landmarks) } : {}) };
      const r = await procedure.align(img, rec, { size: opts.size, seed, epoch: opts.epoch, aligned: opts.aligned });
      const ext = extname(opts.out).toLowerCase();
      writeFileAtomic(opts.out, ext === '.jpg' || ext === '.jpeg' ? await encodeJpeg(r.image, 95) : await encodePng(r.image));
      const result = { matrix: r.matrix, landmarks: r.landmarks, procedure: r.procedure, seed, params: r.params, out: opts.out };
      emit(result, () => `${r.procedure}: ${opts.image} → ${opts.out} (${opts.size}×${opts.size}); matrix ${JSON.stringify(r.matrix.map((row) => row.map((v) => Number(v.toFixed(6)))))}`);
      return;
    }
    const ds = await openDataset(opts.dataset!, { config: opts.config, dataRoot: opts.data });
    try {
      const alignOpts = { size: opts.size, seed, epoch: opts.epoch };
      let count = 0, cached = 0, fallbacks = 0;
      for await (const item of alignDataset(ds, procedure, alignOpts)) {
        count++;
        if (item.cached) cached++;
        if (item.fallback) fallbacks++;
      }
      const result = { dataset: ds.name, procedure: procedure.id, params: procedure.params, size: opts.size, seed, images: count, cached, fallbacks, cache: alignmentCacheDir(procedure, alignOpts) };
      emit(result, () => textTable([result], ['dataset', 'procedure', 'size', 'seed', 'images', 'cached', 'fallbacks']) + `\ncache: ${result.cache}`);
    } finally {
      await ds.close();
    }
  } finally {
    await disposeSharedDetectors();
  }
}

export async function runBuildCommand(name: string, opts: { seed: string; levels: number; out?: string }): Promise<void> {
  if (name !== 'demo') throw new AikdError(`aikd datasets build: only the built-in dataset "demo" can be built (got "${name}")`);
  const r = await buildDemoDataset({ seed: parseSeed(opts.seed), levels: opts.levels, out: opts.out });
  emit(r, () =>
    [
      `demo dataset → ${r.out}`,
      `  ${r.identities} identities, ${r.faces} faces, ${r.images} images (${r.variantsPerFace} per face), ${r.genuinePairs} genuine / ${r.impostorPairs} impostor image pairs possible`,
      `  ${r.sourcesRead} photos read, ${r.excluded.length} faces excluded by the label file${r.unlabelled.length ? `, ${r.unlabelled.length} unlabelled` : ''}${r.missing.length ? `, ${r.missing.length} labelled faces not found` : ''}`,
      `  seed ${r.seed}, ${r.levels} level(s), ${r.seconds} s`,
    ].join('\n'),
  );
  if (r.unlabelled.length || r.missing.length) log.warn('the label file does not match the detections exactly; see above');
}
