#!/usr/bin/env python3
"""Reference fixtures for the alignment tests, written independently of the TypeScript code (numpy only).

1. warp-reference.json: cv2.warpAffine(src, M, (w, h)) with INTER_LINEAR + BORDER_CONSTANT 0, re-implemented from
   OpenCV's algorithm (imgwarp.cpp): invert M (invertAffineTransform's arithmetic), inverse-map every output pixel
   centre in 1/1024-px fixed point (saturate_cast<int> = round half to even), add the INTER_LINEAR rounding delta
   (16), shift to 1/32 px (INTER_BITS = 5), split into integer pixel + 5-bit fractions, look the bilinear weights up
   in the 32x32 table of 15-bit integer weights (built from float32 coefficients, sums fixed to 32768 as
   initInterTab2D does), read missing neighbours as 0, and cast with (sum + 2^14) >> 15. Also stores an exact
   floating-point bilinear warp (no fixed point) for comparison.
2. umeyama-reference.json: the least-squares similarity by Umeyama's SVD method with the reflection correction
   (what skimage.transform.SimilarityTransform.estimate does), on noisy and mirrored point sets.

Run from the package folder:  python3 scripts/make-fixtures.py   (numpy >= 1.20; deterministic)
"""
import base64
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
TEMPLATE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]])


# ---------------------------------------------------------------- warp (OpenCV fixed point)
def cv_invert(M):
    M = [float(v) for v in M.reshape(-1)]
    D = M[0] * M[4] - M[1] * M[3]
    D = 1.0 / D if D != 0 else 0.0
    A11, A22 = M[4] * D, M[0] * D
    M[0] = A11
    M[1] *= -D
    M[3] *= -D
    M[4] = A22
    b1 = -M[0] * M[2] - M[1] * M[5]
    b2 = -M[3] * M[2] - M[4] * M[5]
    M[2], M[5] = b1, b2
    return np.array(M, dtype=np.float64).reshape(2, 3)


def bilinear_table():
    """initInterTab2D(INTER_LINEAR, fixedpt=true): tab[ty*32+tx] = 2x2 int weights."""
    n = 32
    tab = np.zeros((n * n, 2, 2), dtype=np.int64)
    for ty in range(n):
        fy = np.float32(ty) * np.float32(1.0 / n)
        vy = np.array([np.float32(1) - fy, fy], dtype=np.float32)
        for tx in range(n):
            fx = np.float32(tx) * np.float32(1.0 / n)
            vx = np.array([np.float32(1) - fx, fx], dtype=np.float32)
            w = np.outer(vy, vx).astype(np.float32) * np.float32(32768)
            iw = np.rint(w.astype(np.float64)).astype(np.int64)
            diff = int(iw.sum()) - 32768
            if diff != 0:  # never happens for bilinear with 32 steps, kept for fidelity
                flat = iw.reshape(-1)
                if diff < 0:
                    flat[np.argmax(flat)] -= diff
                else:
                    flat[np.argmin(flat)] -= diff
            tab[ty * n + tx] = iw
    return tab


TAB = bilinear_table()


def fetch_zero(src, yy, xx):
    h, w, _ = src.shape
    ok = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)
    v = src[np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)].astype(np.int64)
    return v * ok[..., None]


def warp_affine_cv(src, M, w, h):
    iM = cv_invert(M)
    xs = np.arange(w, dtype=np.float64)
    ys = np.arange(h, dtype=np.float64)
    adelta = np.rint(iM[0, 0] * xs * 1024).astype(np.int64)
    bdelta = np.rint(iM[1, 0] * xs * 1024).astype(np.int64)
    X0 = np.rint((iM[0, 1] * ys + iM[0, 2]) * 1024).astype(np.int64) + 16
    Y0 = np.rint((iM[1, 1] * ys + iM[1, 2]) * 1024).astype(np.int64) + 16
    X = (X0[:, None] + adelta[None, :]) >> 5
    Y = (Y0[:, None] + bdelta[None, :]) >> 5
    sx = np.clip(X >> 5, -32768, 32767)
    sy = np.clip(Y >> 5, -32768, 32767)
    wt = TAB[(Y & 31) * 32 + (X & 31)]  # (h, w, 2, 2)
    acc = (fetch_zero(src, sy, sx) * wt[..., 0, 0, None] + fetch_zero(src, sy, sx + 1) * wt[..., 0, 1, None]
           + fetch_zero(src, sy + 1, sx) * wt[..., 1, 0, None] + fetch_zero(src, sy + 1, sx + 1) * wt[..., 1, 1, None])
    return np.clip((acc + (1 << 14)) >> 15, 0, 255).astype(np.uint8)


def warp_affine_float(src, M, w, h):
    """Exact bilinear sampling at the inverse-mapped pixel centres, zero outside, rounded to the nearest level."""
    A = np.vstack([M, [0, 0, 1]])
    iA = np.linalg.inv(A)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    sxf = iA[0, 0] * gx + iA[0, 1] * gy + iA[0, 2]
    syf = iA[1, 0] * gx + iA[1, 1] * gy + iA[1, 2]
    x0 = np.floor(sxf).astype(np.int64)
    y0 = np.floor(syf).astype(np.int64)
    fx = (sxf - x0)[..., None]
    fy = (syf - y0)[..., None]
    acc = (fetch_zero(src, y0, x0) * (1 - fx) * (1 - fy) + fetch_zero(src, y0, x0 + 1) * fx * (1 - fy)
           + fetch_zero(src, y0 + 1, x0) * (1 - fx) * fy + fetch_zero(src, y0 + 1, x0 + 1) * fx * fy)
    return np.clip(np.rint(acc), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- Umeyama (SVD)
def umeyama(src, dst):
    n, dim = src.shape
    ms, md = src.mean(0), dst.mean(0)
    sc, dc = src - ms, dst - md
    A = dc.T @ sc / n
    d = np.ones(dim)
    if np.linalg.det(A) < 0:
        d[-1] = -1
    U, S, Vt = np.linalg.svd(A)
    R = U @ np.diag(d) @ Vt
    var = sc.var(0).sum()
    scale = (S @ d) / var
    t = md - scale * R @ ms
    return np.hstack([scale * R, t[:, None]])


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode('ascii')


def similarity(scale, angle, tx, ty):
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    return np.array([[c, -s, tx], [s, c, ty]])


def main():
    rng = np.random.default_rng(20240415)
    os.makedirs(OUT, exist_ok=True)

    # A 61x47 RGB source with smooth ramps, hard edges and texture, so every interpolation detail shows.
    H, W = 47, 61
    yy, xx = np.mgrid[0:H, 0:W]
    src = np.zeros((H, W, 3), dtype=np.float64)
    src[..., 0] = 4 * xx + 1.5 * yy
    src[..., 1] = 127 + 100 * np.sin(xx / 3.1) * np.cos(yy / 4.7)
    src[..., 2] = np.where(((xx // 6) + (yy // 5)) % 2 == 0, 230, 20)
    src += rng.normal(0, 6, src.shape)
    src = np.clip(np.rint(src), 0, 255).astype(np.uint8)

    # Landmarks of a synthetic face in the source (for the realistic "align to template" case).
    face = np.array([[20.3, 17.8], [39.6, 19.1], [30.2, 28.7], [22.7, 37.4], [37.9, 38.3]])
    cases = [
        ('align-112', umeyama(face, TEMPLATE_112), 112, 112),
        ('rotate-scale-up', similarity(2.3, 0.41, -12.7, 5.3), 40, 36),
        ('rotate-scale-down', similarity(0.43, -1.2, 6.1, 30.2), 32, 33),
        ('shear-general', np.array([[0.9, 0.35, -3.25], [-0.2, 1.15, 2.5]]), 48, 40),
        ('reflection', np.array([[-1.0, 0.0, 60.0], [0.0, 1.0, 0.0]]), 61, 47),
        ('half-pixel-shift', np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -0.5]]), 61, 47),
        ('mostly-outside', similarity(1.0, 0.3, 40.0, -25.0), 30, 30),
    ]
    warp = {'source': {'width': W, 'height': H, 'rgb_base64': b64(src)}, 'cases': []}
    for name, M, w, h in cases:
        ref = warp_affine_cv(src, M, w, h)
        flt = warp_affine_float(src, M, w, h)
        warp['cases'].append({'name': name, 'matrix': M.tolist(), 'width': w, 'height': h, 'opencv_rgb_base64': b64(ref),
                              'float_rgb_base64': b64(flt)})
    with open(os.path.join(OUT, 'warp-reference.json'), 'w') as f:
        json.dump(warp, f)

    # Umeyama cases: noisy similarity images of face-like points, general point clouds, and mirrored sets.
    ume = []
    for i in range(12):
        n = 5 if i < 8 else int(rng.integers(3, 12))
        src_pts = rng.uniform(0, 250, (n, 2)) if (i % 2 or n != 5) else TEMPLATE_112 * rng.uniform(0.5, 3) + rng.uniform(-50, 200, 2)
        M = similarity(rng.uniform(0.2, 4), rng.uniform(-np.pi, np.pi), *rng.uniform(-100, 100, 2))
        dst = src_pts @ M[:, :2].T + M[:, 2] + rng.normal(0, rng.uniform(0.1, 8), (n, 2))
        ume.append({'kind': 'noisy-similarity', 'src': src_pts.tolist(), 'dst': dst.tolist(), 'matrix': umeyama(src_pts, dst).tolist()})
    for i in range(4):
        src_pts = rng.uniform(0, 200, (5, 2))
        dst = src_pts.copy()
        dst[:, 0] = -dst[:, 0] + rng.uniform(0, 300)  # a mirror image: the best fit would be a reflection
        dst += rng.normal(0, 2, dst.shape)
        ume.append({'kind': 'mirrored', 'src': src_pts.tolist(), 'dst': dst.tolist(), 'matrix': umeyama(src_pts, dst).tolist()})
    with open(os.path.join(OUT, 'umeyama-reference.json'), 'w') as f:
        json.dump({'cases': ume}, f, indent=0)

    for c in warp['cases']:
        a = np.frombuffer(base64.b64decode(c['opencv_rgb_base64']), np.uint8).astype(int)
        b = np.frombuffer(base64.b64decode(c['float_rgb_base64']), np.uint8).astype(int)
        print(f"{c['name']:18s} fixed-point vs exact bilinear: mean |diff| {np.abs(a - b).mean():.3f}, max {np.abs(a - b).max()}")


if __name__ == '__main__':
    main()
