/**
 * Scoring image files as a researcher has them ("which of my images are bad?"): each file's largest face is
 * detected and aligned to the method's input (or, with `aligned`, the file is taken as an aligned crop and
 * resized), then scored. Files without a face, or that do not decode, get no score and say why.
 */
import { join } from 'node:path';
import { progress } from '@aikd/core';
import { FileCropper, listImageFiles, type Recognizer } from '@aikd/fr-models';
import type { RawImage } from '@aikd/datasets';
import type { QualityMethod } from './types.ts';

export interface ImageFileScore {
  /** Path relative to the folder. */
  file: string;
  /** Higher = better; null when there is no crop. */
  quality: number | null;
  error?: string;
}

/** The cropper only reads `spec.inputSize` and `spec.template` of the recogniser it is given. */
function cropTarget(m: QualityMethod): Recognizer {
  return { spec: { inputSize: m.input.size, template: m.input.template } } as unknown as Recognizer;
}

export async function scoreImageFiles(dir: string, method: QualityMethod, opts: { aligned?: boolean; seed?: number | string; batchSize?: number } = {}): Promise<ImageFileScore[]> {
  const files = listImageFiles(dir);
  const cropper = new FileCropper(cropTarget(method), !!opts.aligned);
  const seed = opts.seed ?? 0;
  const out: ImageFileScore[] = [];
  const bar = progress(`score ${method.id} images`, files.length);
  const batchSize = opts.batchSize ?? method.batchSize ?? 16;
  let batch: { file: string; crop: RawImage; slot: number }[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const q = await method.score(
      batch.map((b) => b.crop),
      { ids: batch.map((b) => b.file), seed },
    );
    batch.forEach((b, i) => (out[b.slot]!.quality = q[i]!));
    bar.tick(batch.length);
    batch = [];
  };
  try {
    for (const f of files) {
      const c = await cropper.crop(join(dir, f), f);
      out.push({ file: f, quality: null, ...(c.error ? { error: c.error } : {}) });
      if (!c.crop) {
        bar.tick();
        continue;
      }
      batch.push({ file: f, crop: c.crop, slot: out.length - 1 });
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } finally {
    bar.done();
    await cropper.dispose();
  }
  return out;
}

const csvCell = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** `aikd score --images … --out scores.csv`: file, quality and, for a file without a score, why (no face, undecodable). */
export function imageScoresCsv(records: readonly ImageFileScore[]): string {
  return ['file,quality,error', ...records.map((r) => `${csvCell(r.file)},${r.quality ?? ''},${csvCell(r.error ?? '')}`)].join('\n') + '\n';
}
