import type { DatasetFormat } from '@aikd/core';
import { adienceFormat } from './adience.ts';
import { folderFormat } from './folder.ts';
import { insightfaceBinFormat } from './insightface-bin.ts';
import { lfwFormat } from './lfw.ts';
import { pairListFormat } from './pair-list.ts';
import { xqlfwFormat } from './xqlfw.ts';
import type { FormatLoader } from './types.ts';

/** One loader per format named in datasets.yaml. */
export const formatLoaders: Record<DatasetFormat, FormatLoader> = {
  lfw: lfwFormat,
  xqlfw: xqlfwFormat,
  'insightface-bin': insightfaceBinFormat,
  'pair-list': pairListFormat,
  adience: adienceFormat,
  folder: folderFormat,
};
