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

/** n images of S×S interleaved RGB values (image i's from `pixelsOf(i)`) → the model's input layout and scaling. */
function toOnnxInput(n: number, pixelsOf: (i: number) => ArrayLike<number>, p: OnnxInputSpec): Float32Array {
  const { size } = p;
  const mean = typeof p.mean === 'number' ? [p.mean, p.mean, p.mean] : p.mean;
  const std = typeof p.std === 'number' ? [p.std, p.std, p.std] : p.std;
  const hw = size * size;
  const out = new Float32Array(n * hw * 3);
  const src = p.colour === 'BGR' ? [2, 1, 0] : [0, 1, 2]; // network channel c takes RGB channel src[c]
  for (let i = 0; i < n; i++) {
    const px = pixelsOf(i);
    const base = i * hw * 3;
    for (let ch = 0; ch < 3; ch++) {
      const s = src[ch]!, m = mean[ch]!, inv = 1 / std[ch]!;
      if (p.layout === 'NCHW') {
        const o = base + ch * hw;
        for (let k = 0; k < hw; k++) out[o + k] = (px[k * 3 + s]! - m) * inv;
      } else for (let k = 0; k < hw; k++) out[base + k * 3 + ch] = (px[k * 3 + s]! - m) * inv;
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
