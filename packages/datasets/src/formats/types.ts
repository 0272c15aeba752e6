/** What every format module provides, and what the common opener gives it. */
import type { DatasetEntry } from '@aikd/core';
import type { OptionReader } from '../config.ts';
import type { ProblemSink } from '../problems.ts';
import type { ImageRecord, PairRecord } from '../types.ts';

export interface LoaderContext {
  readonly entry: DatasetEntry;
  /** datasets.yaml (for messages about the entry). */
  readonly configFile: string;
  /** Absolute path of a `paths:` key, or undefined when the entry does not give it. */
  path(key: string): string | undefined;
  /** Absolute path of a `paths:` key the format needs (error naming the entry when absent). */
  requirePath(key: string): string;
  readonly options: OptionReader;
  readonly sink: ProblemSink;
}

export interface LoadedParts {
  /** Where the data lives (folder or file), for messages and provenance. */
  location: string;
  images: ImageRecord[];
  /** Pairs fixed by a protocol file. */
  pairs?: PairRecord[];
  /** Pairs generated from the images (after side files, so an `identity` attribute column counts). */
  generatePairs?: (images: readonly ImageRecord[]) => PairRecord[];
  /** Where pair i came from, e.g. "lfw/pairs.txt line 17", for problem reports. */
  pairOrigin?: (index: number) => string | undefined;
  /** Folder the image ids are relative to (side files may name images relative to it). */
  imageRoot?: string;
  /** Encoded bytes of an image; default: read `record.path`. */
  readImage?: (record: ImageRecord) => Promise<Uint8Array>;
  close?: () => Promise<void>;
}

export interface FormatLoader {
  /** `paths:` keys the format needs; a dataset is present when all of them exist. */
  readonly requiredPaths: readonly string[];
  /** Other `paths:` keys it understands. */
  readonly optionalPaths: readonly string[];
  load(ctx: LoaderContext): LoadedParts | Promise<LoadedParts>;
}
