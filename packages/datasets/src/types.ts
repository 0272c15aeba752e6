/**
 * The contract every loader fulfils and every later package (alignment, fr-models, teachers, aikd, experiments)
 * relies on. One interface for all formats: image records with ids (+ identity labels, landmarks and attributes
 * when known), verification pairs with mated flags and folds, and image bytes read lazily.
 */
import type { DatasetFormat } from '@aikd/core';

export type Point = [number, number];
/** Five points in image pixels: left eye centre, right eye centre, nose tip, left mouth corner, right mouth corner
 * ("left"/"right" as seen in the image, the order of the ArcFace template). */
export type Landmarks5 = [Point, Point, Point, Point, Point];

export interface ImageRecord {
  /** Unique within the dataset and stable across runs (e.g. `Aaron_Eckhart/Aaron_Eckhart_0001.jpg`, or `00042` in a .bin). */
  id: string;
  /** Identity label, when the format says who it is. */
  identity?: string;
  /** Path of the image file, for file-based formats. */
  path?: string;
  /** 5-point landmarks from a side file (or from the demo builder), in this image's pixel frame. */
  landmarks?: Landmarks5;
  /** Face box [x, y, width, height] in pixels, when known. */
  box?: [number, number, number, number];
  /** Free attributes, e.g. the demo set's `degradation` and `severity`. */
  attributes?: Record<string, string | number>;
}

export interface PairRecord {
  a: string;
  b: string;
  mated: boolean;
  /** Protocol fold (0-based) where the format defines folds. */
  fold?: number;
}

export interface Dataset {
  readonly name: string;
  readonly format: DatasetFormat;
  /** Images are already aligned crops (e.g. 112×112 ArcFace crops). */
  readonly aligned: boolean;
  /** Side of the square crops when `aligned`. */
  readonly cropSize?: number;
  /** Where the data lives (for messages and provenance). */
  readonly location: string;
  images(): readonly ImageRecord[];
  pairs(): readonly PairRecord[];
  image(id: string): ImageRecord | undefined;
  /** The encoded bytes (JPEG/PNG/…) of one image, read lazily. */
  readImage(id: string): Promise<Uint8Array>;
  /** Release file handles. */
  close(): Promise<void>;
}

/** A decoded image: interleaved 8-bit RGB, row-major. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}
