/**
 * One folder per identity: `<root>/<identity>/…/<file>.{jpg,png,…}`; ids are paths relative to the root. Pairs are
 * generated with a seed: every mated pair plus as many non-mated pairs drawn at random (`non_mated: balanced`,
 * the default), with `max_mated` / `non_mated` / `seed` / `max_pairs` to change that. The built-in demo set uses
 * this format with a landmarks file and an attributes CSV beside the images.
 */
import { join } from 'node:path';
import type { ImageRecord } from '../types.ts';
import { isDirectory, listImageFiles } from '../text-files.ts';
import { pairGenerator } from './generated-pairs.ts';
import type { FormatLoader } from './types.ts';

export const folderFormat: FormatLoader = {
  requiredPaths: ['images'],
  optionalPaths: [],
  load(ctx) {
    const root = ctx.requirePath('images');
    const generate = pairGenerator(ctx, 'balanced');
    if (!isDirectory(root)) {
      ctx.sink.report({ severity: 'error', file: root, expected: 'a folder with one sub-folder of images per identity', got: 'no such folder' });
      return { location: root, images: [], pairs: [] };
    }
    const images: ImageRecord[] = [];
    const loose: string[] = [];
    for (const rel of listImageFiles(root)) {
      const slash = rel.indexOf('/');
      if (slash < 0) loose.push(rel);
      else images.push({ id: rel, identity: rel.slice(0, slash), path: join(root, rel) });
    }
    if (loose.length)
      ctx.sink.report({ severity: 'warning', file: root, expected: 'images inside identity folders', got: `${loose.length} image(s) directly in the folder, ignored (e.g. ${loose[0]})` });
    return { location: root, images, generatePairs: generate, imageRoot: root };
  },
};
