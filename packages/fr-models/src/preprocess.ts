import { tf } from '@aikd/runtime';
import { InputError } from '@aikd/core';
import type { RawImage } from '@aikd/datasets';
import type { ColourOrder } from './types.ts';

function checkCrop(c: RawImage, size: number, i: number): void {
  if (c.width !== size || c.height !== size || c.channels !== 3 || c.data.length !== size * size * 3)
    throw new InputError({ where: `crop ${i}`, expected: `an aligned ${size}×${size} RGB crop`, got: `${c.width}×${c.height}×${c.channels}` });
}

/** Aligned RGB crops → float32 tensor [n, S, S, 3] with 0..255 values. */
export function cropsToPixels(crops: readonly RawImage[], size: number): tf.Tensor4D {
  const n = crops.length;
  const buf = new Float32Array(n * size * size * 3);
  crops.forEach((c, i) => {
    checkCrop(c, size, i);
    buf.set(c.data, i * size * size * 3);
  });
  return tf.tensor4d(buf, [n, size, size, 3]);
}

type OnnxInputSpec = { size: number; colour: ColourOrder; mean: number | [number, number, number]; std: number | [number, number, number]; layout: 'NCHW' | 'NHWC' };

/** n images of S×S interleaved RGB values (image i's from `pixelsOf(i)`) → the model's input layout and scaling.
 * One pass over each image's pixels (the three channels of a pixel together): this runs on every batch. */
function toOnnxInput(n: number, pixelsOf: (i: number) => Uint8Array | Float32Array, p: OnnxInputSpec): Float32Array {
  const { size } = p;
  const mean = typeof p.mean === 'number' ? [p.mean, p.mean, p.mean] : p.mean;
  const std = typeof p.std === 'number' ? [p.std, p.std, p.std] : p.std;
  const hw = size * size;
  const out = new Float32Array(n * hw * 3);
  // network channel c takes RGB channel src[c]
  const src = p.colour === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const [s0, s1, s2] = src as [number, number, number];
  const [m0, m1, m2] = [mean[0]!, mean[1]!, mean[2]!];
  const [i0, i1, i2] = [1 / std[0]!, 1 / std[1]!, 1 / std[2]!];
  // where channel c of pixel k goes: base + c·cStride + k·kStride
  const [cStride, kStride] = p.layout === 'NCHW' ? [hw, 1] : [1, 3];
  const asIs = p.layout === 'NHWC' && src[0] === 0 && mean.every((m) => m === 0) && std.every((s) => s === 1);
  for (let i = 0; i < n; i++) {
    const px = pixelsOf(i);
    const base = i * hw * 3;
    if (asIs) {
      out.set(px, base); // the values as they are (the built-in models normalise inside their graphs)
      continue;
    }
    for (let k = 0, j = 0, o = base; k < hw; k++, j += 3, o += kStride) {
      out[o] = (px[j + s0]! - m0) * i0;
      out[o + cStride] = (px[j + s1]! - m1) * i1;
      out[o + 2 * cStride] = (px[j + s2]! - m2) * i2;
    }
  }
  return out;
}

/**
 * Crops → a flat float32 input for an ONNX model: channel order, (pixel − mean)/std, NCHW or NHWC.
 * Pure TypeScript (ONNX models do not go through tfjs).
 */
export function cropsToOnnxInput(crops: readonly RawImage[], p: OnnxInputSpec): Float32Array {
  crops.forEach((c, i) => checkCrop(c, p.size, i));
  return toOnnxInput(crops.length, (i) => crops[i]!.data, p);
}

/** Float pixels [n, S, S, 3] (0..255 RGB, not rounded) → the same input as `cropsToOnnxInput`. */
export function pixelsToOnnxInput(pixels: Float32Array, n: number, p: OnnxInputSpec): Float32Array {
  const per = p.size * p.size * 3;
  if (pixels.length !== n * per) throw new InputError({ where: 'pixels', expected: `${n}×${p.size}×${p.size}×3 values`, got: `${pixels.length}` });
  return toOnnxInput(n, (i) => pixels.subarray(i * per, (i + 1) * per), p);
}

/** Horizontal mirror of an RGB crop (for flip-sum embeddings and symmetry terms). */
export function flipHorizontal(img: RawImage): RawImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3, d = (y * w + (w - 1 - x)) * 3;
      out[d] = data[s]!;
      out[d + 1] = data[s + 1]!;
      out[d + 2] = data[s + 2]!;
    }
  return { ...img, data: out };
}
