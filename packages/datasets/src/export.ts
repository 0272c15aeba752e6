/**
 * `aikd datasets export NAME --out DIR`: the images as files plus a pair list, for tools that read the CR-FIQA
 * layout — and itself a valid `pair-list` dataset:
 *   DIR/images/<id>[.ext]      original bytes (default), or re-encoded PNG/JPEG
 *   DIR/image_path_list.txt    images/<file> per line
 *   DIR/pair_list.txt          `<file> <file> 1|0 [fold]` (file names relative to images/)
 *   DIR/attributes.csv         image, identity and attributes, when any are known
 *   DIR/landmarks.txt          5-point landmarks, when known
 *   DIR/export.json            where it came from: dataset, format, source, counts, code version
 * Every file is written atomically, the lists last, so an interrupted export never leaves a list naming a
 * half-written image.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve } from 'node:path';
import { AikdError, InputError, codeVersion, configHash, progress as makeProgress, writeFileAtomic, writeJsonAtomic } from '@aikd/core';
import { decodeImage, encodeJpeg, encodePng } from './image-codec.ts';
import type { OpenedDataset } from './open.ts';
import { countDataset } from './summary.ts';
import type { ImageRecord } from './types.ts';

export type ExportImageFormat = 'original' | 'png' | 'jpg';

export interface ExportOptions {
  /** `original` writes the stored bytes unchanged; `png`/`jpg` decode and re-encode. */
  imageFormat?: ExportImageFormat;
  jpegQuality?: number;
  /** Write into a folder that is not empty (files of the same name are replaced). */
  force?: boolean;
}

export interface ExportResult {
  out: string;
  images: number;
  pairs: number;
  files: string[];
}

/** File extension from the first bytes (for ids without one, as in .bin files). */
export function sniffExtension(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return '.jpg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return '.png';
  if (bytes[0] === 0x42 && bytes[1] === 0x4d) return '.bmp';
  if (bytes[0] === 0x52 && bytes[1] === 0x49 && bytes[2] === 0x46 && bytes[3] === 0x46) return '.webp';
  return '.img';
}

function hasExt(id: string): boolean {
  return /\.[A-Za-z0-9]{2,5}$/.test(id.slice(id.lastIndexOf('/') + 1));
}

function csvCell(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest (symlinks resolved). */
function realish(p: string): string {
  const abs = resolve(p);
  if (existsSync(abs)) return realpathSync(abs);
  const up = dirname(abs);
  return up === abs ? abs : join(realish(up), abs.slice(up.length + 1));
}

const inside = (child: string, parent: string) => {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/**
 * Where an export may go: a new or empty folder (or any folder with `force`), never a file, never inside the
 * source dataset's own image folders (it would add images to the dataset it copies). Checked before anything is written.
 */
export function checkExportTarget(ds: OpenedDataset, out: string, opts: { force?: boolean } = {}): void {
  const st = statSync(out, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new InputError({ file: out, expected: 'a folder to export into (or a new path)', got: 'a file' });
  const target = realish(out);
  // the folders a loader scans (LFW, Adience, folder-per-identity): a new sub-folder there becomes a new identity
  for (const [key, p] of Object.entries(ds.paths)) {
    if (!statSync(p, { throwIfNoEntry: false })?.isDirectory()) continue;
    if (inside(target, realpathSync(p)))
      throw new AikdError(`export ${ds.name}: ${out} is inside the dataset's own folder (paths.${key}: ${p}); exporting there would change the dataset it copies — choose a folder outside it`);
  }
  if (st && !opts.force) {
    const entries = readdirSync(out);
    if (entries.length)
      throw new AikdError(`export ${ds.name}: ${out} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, e.g. ${entries.slice(0, 3).join(', ')}); choose an empty folder, or --force to write into it (files of the same name are replaced)`);
  }
}

export async function exportDataset(ds: OpenedDataset, out: string, opts: ExportOptions = {}): Promise<ExportResult> {
  checkExportTarget(ds, out, opts);
  const format = opts.imageFormat ?? 'original';
  const images = ds.images();
  const fileOf = new Map<string, string>();
  const bar = makeProgress(`export ${ds.name}`, images.length);
  for (const rec of images) {
    const id = rec.id;
    if (isAbsolute(id) || normalize(id).split(/[\\/]/).includes('..'))
      throw new InputError({ file: ds.location, where: `image ${id}`, expected: 'an image id that is a relative path inside the dataset', got: id });
    let bytes = await ds.readImage(id);
    let file: string;
    if (format === 'original') file = hasExt(id) ? id : id + sniffExtension(bytes);
    else {
      const img = await decodeImage(bytes, rec.path ?? `${ds.location} image ${id}`);
      bytes = format === 'png' ? await encodePng(img) : await encodeJpeg(img, opts.jpegQuality ?? 95);
      file = (hasExt(id) ? id.slice(0, id.lastIndexOf('.')) : id) + (format === 'png' ? '.png' : '.jpg');
    }
    writeFileAtomic(join(out, 'images', file), bytes);
    fileOf.set(id, file);
    bar.tick();
  }
  bar.done();

  const files = ['image_path_list.txt', 'pair_list.txt'];
  writeFileAtomic(join(out, 'image_path_list.txt'), images.map((r) => `images/${fileOf.get(r.id)}\n`).join(''));
  writeFileAtomic(join(out, 'pair_list.txt'), ds.pairs().map((p) => `${fileOf.get(p.a)} ${fileOf.get(p.b)} ${p.mated ? 1 : 0}${p.fold !== undefined ? ` ${p.fold}` : ''}\n`).join(''));

  const attrKeys = [...new Set(images.flatMap((r) => Object.keys(r.attributes ?? {})))].sort();
  const anyIdentity = images.some((r) => r.identity !== undefined);
  const anyBox = images.some((r) => r.box);
  if (anyIdentity || attrKeys.length || anyBox) {
    const header = ['image', ...(anyIdentity ? ['identity'] : []), ...(anyBox ? ['box_x', 'box_y', 'box_w', 'box_h'] : []), ...attrKeys];
    const row = (r: ImageRecord) =>
      [fileOf.get(r.id), ...(anyIdentity ? [r.identity] : []), ...(anyBox ? [0, 1, 2, 3].map((k) => r.box?.[k]) : []), ...attrKeys.map((k) => r.attributes?.[k])].map(csvCell).join(',');
    writeFileAtomic(join(out, 'attributes.csv'), [header.join(','), ...images.map(row)].join('\n') + '\n');
    files.push('attributes.csv');
  }
  const withLandmarks = images.filter((r) => r.landmarks);
  if (withLandmarks.length) {
    writeFileAtomic(join(out, 'landmarks.txt'), withLandmarks.map((r) => `${fileOf.get(r.id)} ${r.landmarks!.flat().join(' ')}\n`).join(''));
    files.push('landmarks.txt');
  }
  const counts = countDataset(ds);
  writeJsonAtomic(join(out, 'export.json'), {
    dataset: ds.name,
    format: ds.format,
    source: ds.location,
    aligned: ds.aligned,
    crop_size: ds.cropSize ?? null,
    image_format: format,
    counts,
    entry_hash: configHash(ds.entry),
    code_version: codeVersion(),
    exported_at: new Date().toISOString(),
  });
  files.push('export.json');
  return { out, images: images.length, pairs: counts.pairs, files };
}
