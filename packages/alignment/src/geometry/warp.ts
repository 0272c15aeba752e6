import { AikdError } from '@aikd/core';
import type { Affine, RawImage } from '../types.ts';
import { invertAffine } from './affine.ts';

// OpenCV's fixed-point constants for warpAffine + remap with INTER_LINEAR on 8-bit images (imgwarp.cpp).
const INTER_BITS = 5;
const INTER_TAB_SIZE = 1 << INTER_BITS; // sub-pixel positions per pixel: 32
const AB_BITS = 10; // max(10, INTER_BITS)
const AB_SCALE = 1 << AB_BITS;
const ROUND_DELTA = AB_SCALE / INTER_TAB_SIZE / 2; // INTER_LINEAR rounds coordinates to the nearest 1/32 px
const COEF_BITS = 15; // INTER_REMAP_COEF_BITS: bilinear weights sum to 32768
const COEF_ROUND = 1 << (COEF_BITS - 1);
const SHORT_MIN = -32768, SHORT_MAX = 32767;

/** cvRound / saturate_cast<int>(double): round half to even (the FPU default), saturated to int32. */
function cvRound(v: number): number {
  if (v >= 2147483647) return 2147483647;
  if (v <= -2147483648) return -2147483648;
  const r = Math.round(v);
  // Math.round rounds halves up; OpenCV's rint rounds them to even.
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function saturateShort(v: number): number {
  return v < SHORT_MIN ? SHORT_MIN : v > SHORT_MAX ? SHORT_MAX : v;
}

/**
 * `cv2.warpAffine(img, m, (width, height))` with the defaults the reference code uses: bilinear (INTER_LINEAR),
 * BORDER_CONSTANT with 0. `m` maps source pixels to output pixels (inverted internally, as OpenCV does), and the
 * arithmetic is OpenCV's: inverse-mapped coordinates in 1/1024 px fixed point, rounded to 1/32 px, bilinear
 * weights from the 32×32 table in units of 1/32768, (Σ w·v + 16384) >> 15. Output pixels whose 2×2 neighbourhood
 * lies partly outside the source blend with 0; wholly outside they are 0.
 */
export function warpAffine(img: RawImage, m: Affine, width: number, height: number): RawImage {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0))
    throw new AikdError(`warpAffine: output size must be positive integers (got ${width}×${height})`);
  if (!m.flat().every(Number.isFinite)) throw new AikdError(`warpAffine: matrix is not finite (${JSON.stringify(m)})`);
  const cn = img.channels;
  const sw = img.width, sh = img.height;
  if (img.data.length !== sw * sh * cn) throw new AikdError(`warpAffine: image data has ${img.data.length} bytes, expected ${sw}×${sh}×${cn}`);
  const src = img.data;
  const out = new Uint8Array(width * height * cn);
  const inv = invertAffine(m);
  const [M0, M1, M2] = inv[0];
  const [M3, M4, M5] = inv[1];
  const adelta = new Int32Array(width), bdelta = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    adelta[x] = cvRound(M0 * x * AB_SCALE);
    bdelta[x] = cvRound(M3 * x * AB_SCALE);
  }
  const width1 = Math.max(sw - 1, 0), height1 = Math.max(sh - 1, 0);
  const rowStep = sw * cn;
  for (let y = 0; y < height; y++) {
    const X0 = cvRound((M1 * y + M2) * AB_SCALE) + ROUND_DELTA;
    const Y0 = cvRound((M4 * y + M5) * AB_SCALE) + ROUND_DELTA;
    let o = y * width * cn;
    for (let x = 0; x < width; x++, o += cn) {
      const X = (X0 + adelta[x]!) >> (AB_BITS - INTER_BITS);
      const Y = (Y0 + bdelta[x]!) >> (AB_BITS - INTER_BITS);
      const sx = saturateShort(X >> INTER_BITS);
      const sy = saturateShort(Y >> INTER_BITS);
      const ax = X & (INTER_TAB_SIZE - 1), ay = Y & (INTER_TAB_SIZE - 1);
      // (1 − fx)(1 − fy)·32768 etc. with fx = ax/32: exact integers, summing to 32768.
      const w00 = (INTER_TAB_SIZE - ax) * (INTER_TAB_SIZE - ay) * 32;
      const w01 = ax * (INTER_TAB_SIZE - ay) * 32;
      const w10 = (INTER_TAB_SIZE - ax) * ay * 32;
      const w11 = ax * ay * 32;
      if (sx >= 0 && sx < width1 && sy >= 0 && sy < height1) {
        const p = sy * rowStep + sx * cn;
        for (let k = 0; k < cn; k++) {
          const v = src[p + k]! * w00 + src[p + k + cn]! * w01 + src[p + k + rowStep]! * w10 + src[p + k + rowStep + cn]! * w11;
          out[o + k] = (v + COEF_ROUND) >> COEF_BITS;
        }
      } else if (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0) {
        // wholly outside: the border value 0 (out is zero-filled)
      } else {
        // straddles the border: missing neighbours read as 0
        const x0ok = sx >= 0 && sx < sw, x1ok = sx + 1 >= 0 && sx + 1 < sw;
        const y0ok = sy >= 0 && sy < sh, y1ok = sy + 1 >= 0 && sy + 1 < sh;
        for (let k = 0; k < cn; k++) {
          let v = 0;
          if (y0ok && x0ok) v += src[sy * rowStep + sx * cn + k]! * w00;
          if (y0ok && x1ok) v += src[sy * rowStep + (sx + 1) * cn + k]! * w01;
          if (y1ok && x0ok) v += src[(sy + 1) * rowStep + sx * cn + k]! * w10;
          if (y1ok && x1ok) v += src[(sy + 1) * rowStep + (sx + 1) * cn + k]! * w11;
          out[o + k] = (v + COEF_ROUND) >> COEF_BITS;
        }
      }
    }
  }
  return { data: out, width, height, channels: img.channels };
}
