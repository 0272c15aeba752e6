import type { Affine, Landmarks5, Point } from '../types.ts';

export const IDENTITY: Affine = [
  [1, 0, 0],
  [0, 1, 0],
];

export function applyAffine(m: Affine, p: readonly [number, number]): Point {
  return [m[0][0] * p[0] + m[0][1] * p[1] + m[0][2], m[1][0] * p[0] + m[1][1] * p[1] + m[1][2]];
}

export function applyAffineToLandmarks(m: Affine, pts: Landmarks5): Landmarks5 {
  return pts.map((p) => applyAffine(m, p)) as Landmarks5;
}

/** `outer ∘ inner`: first `inner`, then `outer`. */
export function composeAffine(outer: Affine, inner: Affine): Affine {
  const [[a, b, c], [d, e, f]] = outer;
  const [[p, q, r], [s, t, u]] = inner;
  return [
    [a * p + b * s, a * q + b * t, a * r + b * u + c],
    [d * p + e * s, d * q + e * t, d * r + e * u + f],
  ];
}

/**
 * The inverse map, computed the way OpenCV's `invertAffineTransform`/`warpAffine` do it (same operations in the
 * same order, so a crop made from it matches OpenCV bit for bit). A singular matrix gives all zeros, as in OpenCV.
 */
export function invertAffine(m: Affine): Affine {
  let D = m[0][0] * m[1][1] - m[0][1] * m[1][0];
  D = D !== 0 ? 1 / D : 0;
  const a11 = m[1][1] * D;
  const a22 = m[0][0] * D;
  const a12 = m[0][1] * -D;
  const a21 = m[1][0] * -D;
  const b1 = -a11 * m[0][2] - a12 * m[1][2];
  const b2 = -a21 * m[0][2] - a22 * m[1][2];
  return [
    [a11, a12, b1],
    [a21, a22, b2],
  ];
}

/** Rotation by `angle` radians (counter-clockwise on screen is negative, as y points down) and uniform `scale`
 * about `centre`, then a shift by (tx, ty). */
export function similarityAbout(centre: readonly [number, number], scale: number, angle: number, tx = 0, ty = 0): Affine {
  const c = Math.cos(angle) * scale;
  const s = Math.sin(angle) * scale;
  const [cx, cy] = centre;
  return [
    [c, -s, cx - c * cx + s * cy + tx],
    [s, c, cy - s * cx - c * cy + ty],
  ];
}

/** Uniform scale of a whole image by `s` under the pixel-centre convention (pixel edges map to pixel edges). */
export function scaleImageMatrix(s: number): Affine {
  return [
    [s, 0, 0.5 * s - 0.5],
    [0, s, 0.5 * s - 0.5],
  ];
}

/**
 * The map taking the square [x0, x0 + side) × [y0, y0 + side) (edge coordinates, i.e. a box as detectors report
 * it) onto a `size` × `size` crop, with pixel centres at integer coordinates on both sides.
 */
export function squareToCropMatrix(x0: number, y0: number, side: number, size: number): Affine {
  const s = size / side;
  return [
    [s, 0, s * (0.5 - x0) - 0.5],
    [0, s, s * (0.5 - y0) - 0.5],
  ];
}

/** Rotation angle (radians) and scale of a similarity's linear part. */
export function similarityParts(m: Affine): { scale: number; angle: number } {
  return { scale: Math.hypot(m[0][0], m[1][0]), angle: Math.atan2(m[1][0], m[0][0]) };
}
