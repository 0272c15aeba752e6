/**
 * InsightFace verification `.bin` files (lfw.bin, cfp_fp.bin, cfp_ff.bin, agedb_30.bin, calfw.bin, cplfw.bin,
 * vgg2_fp.bin): a pickle of `(bins, issame_list)` where `bins` holds 2N encoded 112×112 aligned images and pair i
 * is `(bins[2i], bins[2i+1])` with mated flag `issame_list[i]`. Image ids are the zero-padded index (`00000`…),
 * as CR-FIQA's extract_bin.py names them. Folds: 10 contiguous folds over the pairs in file order (the
 * InsightFace/CR-FIQA verification code: KFold(10, shuffle=False)); option `folds` changes the count.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from '@aikd/core';
import { DEFAULT_FOLDS } from '../constants.ts';
import { contiguousFold } from '../pairs.ts';
import { PickleBlob, PickleTuple, describe, readBlob, unpicklePath, type PickleValue } from '../pickle.ts';
import type { ImageRecord, PairRecord } from '../types.ts';
import type { FormatLoader } from './types.ts';

export interface BinContents {
  blobs: PickleBlob[];
  issame: boolean[];
}

/** Check the unpickled value has the `.bin` shape and pull out the blobs and flags. */
export function binContents(value: PickleValue, file: string): BinContents {
  const shape = 'a pickled tuple (list of 2N image bytes, list of N bools)';
  if (!(value instanceof PickleTuple) || value.items.length !== 2) throw new InputError({ file, where: 'top-level object', expected: shape, got: describe(value) });
  const [bins, flags] = value.items;
  if (!Array.isArray(bins)) throw new InputError({ file, where: 'first tuple item', expected: 'a list of image bytes', got: describe(bins) });
  if (!Array.isArray(flags)) throw new InputError({ file, where: 'second tuple item', expected: 'a list of bools (issame_list)', got: describe(flags) });
  bins.forEach((b, i) => {
    if (!(b instanceof PickleBlob)) throw new InputError({ file, where: `image ${i}`, expected: 'bytes (str in Python 2)', got: describe(b) });
  });
  const issame = flags.map((f, i) => {
    if (typeof f === 'boolean') return f;
    if (f === 0 || f === 1) return f === 1;
    throw new InputError({ file, where: `issame_list[${i}]`, expected: 'a bool', got: describe(f) });
  });
  if (bins.length !== 2 * issame.length)
    throw new InputError({ file, expected: `twice as many images as pair flags`, got: `${bins.length} images and ${issame.length} flags` });
  return { blobs: bins as PickleBlob[], issame };
}

export const insightfaceBinFormat: FormatLoader = {
  requiredPaths: ['bin'],
  optionalPaths: [],
  load(ctx) {
    const file = ctx.requirePath('bin');
    const folds = ctx.options.int('folds', DEFAULT_FOLDS, 1);
    const { blobs, issame } = binContents(unpicklePath(file), file);
    const width = Math.max(5, String(blobs.length - 1).length);
    const idOf = (i: number) => String(i).padStart(width, '0');
    const index = new Map<string, number>();
    const images: ImageRecord[] = blobs.map((_, i) => {
      const id = idOf(i);
      index.set(id, i);
      return { id };
    });
    const n = issame.length;
    const pairs: PairRecord[] = issame.map((mated, i) => ({ a: idOf(2 * i), b: idOf(2 * i + 1), mated, fold: contiguousFold(i, n, Math.min(folds, Math.max(n, 1))) }));
    let fh: Promise<FileHandle> | undefined;
    return {
      location: file,
      images,
      pairs,
      pairOrigin: (i) => `${file} pair ${i} (images ${2 * i}, ${2 * i + 1})`,
      async readImage(rec) {
        fh ??= open(file, 'r').catch((e: NodeJS.ErrnoException) => {
          fh = undefined;
          throw new InputError({ file, expected: 'a readable .bin file', got: e.code ?? String(e) });
        });
        return readBlob(await fh, blobs[index.get(rec.id)!]!, file);
      },
      async close() {
        const h = fh;
        fh = undefined;
        if (h) await (await h).close();
      },
    };
  },
};
