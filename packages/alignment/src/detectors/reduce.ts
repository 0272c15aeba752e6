import type { Landmarks5, Point } from '../types.ts';

function mean(points: readonly Point[], idx: readonly number[]): Point {
  let x = 0, y = 0;
  for (const i of idx) {
    x += points[i]![0];
    y += points[i]![1];
  }
  return [x / idx.length, y / idx.length];
}

/** iBUG 68-point indices: 36–41 is the eye on the image's left (the subject's right), 42–47 the other one,
 * 30 the nose tip, 48 and 54 the outer mouth corners (image left, image right). Checked by measurement on the
 * face-api demo photos: mean x of 36–41 < mean x of 42–47 and x(48) < x(54) on every upright face. */
export const IBUG68_TO_5 = { leftEye: [36, 37, 38, 39, 40, 41], rightEye: [42, 43, 44, 45, 46, 47], nose: [30], leftMouth: [48], rightMouth: [54] } as const;

/** MediaPipe FaceMesh (468) indices. MediaPipe's "right eye" (33…133) is the subject's right, i.e. the image's left
 * in an unmirrored photo (checked by measurement). Eye centre = mean of the eye's upper and lower lid contour
 * (both corners included), nose tip 1, outer lip corners 61 / 291. */
export const FACEMESH_TO_5 = {
  leftEye: [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173],
  rightEye: [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398],
  nose: [1],
  leftMouth: [61],
  rightMouth: [291],
} as const;

export function reduceTo5(points: readonly Point[], map: typeof IBUG68_TO_5 | typeof FACEMESH_TO_5): Landmarks5 {
  return [mean(points, map.leftEye), mean(points, map.rightEye), mean(points, map.nose), mean(points, map.leftMouth), mean(points, map.rightMouth)];
}
