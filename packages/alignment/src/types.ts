import type { ImageRecord, Landmarks5, Point, RawImage } from '@aikd/datasets';

export type { ImageRecord, Landmarks5, Point, RawImage };

/** A 2×3 affine matrix [[a, b, c], [d, e, f]] mapping source pixels to crop pixels: x' = a·x + b·y + c, y' = d·x + e·y + f.
 * Pixel coordinates follow OpenCV: integer coordinates are pixel centres, (0, 0) is the centre of the top-left pixel. */
export type Affine = [[number, number, number], [number, number, number]];

export interface AlignmentResult {
  /** The aligned crop (size × size). */
  image: RawImage;
  /** Source pixels → crop pixels. */
  matrix: Affine;
  /** The source-image points the similarity was fitted to (for `bbox`, where nothing is fitted: the template mapped
   * back into the source image through the crop's matrix). */
  landmarks: Landmarks5;
  /** The procedure id (`proper`, `landmark-jitter`, …). */
  procedure: string;
  /** The procedure's parameters plus what this image used (landmark source, drawn jitter, fallback). */
  params: Record<string, unknown>;
}

export interface AlignOptions {
  /** Crop side in pixels (112 for ArcFace-style models). */
  size: number;
  /** Seed of every random draw; streams are keyed by (seed, procedure, epoch, record id). */
  seed: number | string;
  /** Target 5 points for a crop of `size`; default: the ArcFace template scaled to `size`. */
  template?: Landmarks5;
  /** Training epoch (a fresh draw per epoch); default 0. */
  epoch?: number;
  /** The image is an already-aligned crop (Dataset.aligned): with no side-file landmarks, the template scaled to the
   * image's size is taken as its landmarks instead of running a detector. */
  aligned?: boolean;
}

export interface AlignmentProcedure {
  readonly id: string;
  /** Every parameter, defaults resolved (procedure provenance). */
  readonly params: Record<string, unknown>;
  align(img: RawImage, rec: ImageRecord, opts: AlignOptions): Promise<AlignmentResult>;
}

export interface FaceDetection {
  /** [x, y, width, height] in image pixels. */
  box: [number, number, number, number];
  /** Left eye centre, right eye centre, nose tip, left and right mouth corner ("left" as seen in the image). */
  landmarks: Landmarks5;
  score: number;
  /** All points of the landmark model (68 for face-api, 468 for FaceMesh), in image pixels. */
  points?: Point[];
}

export interface FaceDetector {
  readonly id: string;
  detect(img: RawImage): Promise<FaceDetection[]>;
  dispose(): void;
}

export const detectorNames = ['faceapi-ssd', 'faceapi-tiny', 'facemesh'] as const;
export type DetectorName = (typeof detectorNames)[number];

export interface DetectorOptions {
  /** Minimum detection score (default 0.5). */
  minScore?: number;
  /** Drop faces whose box is smaller than this many pixels on its shorter side (default 0). */
  minSize?: number;
  /** At most this many faces, best first (default 100). */
  maxFaces?: number;
  /** TinyFaceDetector input size (multiple of 32, default 416). */
  inputSize?: number;
}

export const procedureNames = ['proper', 'landmark-jitter', 'detector-swap', 'bbox', 'affine-jitter'] as const;
export type ProcedureName = (typeof procedureNames)[number];
