"""The anchor of `pnpm bench edc`: the same iso FNM-EDC as `aikd edc` (pair quality min, threshold at FMR 1e-3 over
the non-mated similarities, mated comparisons sorted by pair quality with a stable argsort, tie groups discarded
whole, stepwise pAUC at 0.3), written plainly in numpy. Reads the raw little-endian columns the benchmark writes
beside its Arrow file (numpy has no Arrow reader without pyarrow). Prints JSON: pAUC@0.3 and the points.

    python3 edc_numpy.py DIR N [recomputed]

With `recomputed`: the same `--mode recomputed` curve as `aikd edc` (CR-FIQA's ERC: grid k * 0.05, k < 20, over all
pairs sorted by pair quality with a stable argsort, kept = sorted[floor(u * N):]; distances arccos(clip(s)) / pi;
the threshold the candidate distance whose FMR (kept impostors with d <= t) is closest to 1e-3, the largest among
equally close; FNMR = kept genuine with d >= t), trapezoidal pAUC at 0.3. Written the way numpy does it well: one
stable argsort by quality and one per comparison type by distance, then per grid point boolean masks over the
sorted pairs and the closest FMR among the impostor groups' counts (no sort per grid point).
"""
import json
import sys

import numpy as np

d, n = sys.argv[1], int(sys.argv[2])
sim = np.fromfile(f"{d}/similarity.f64", dtype="<f8", count=n)
mated = np.fromfile(f"{d}/mated.u8", dtype=np.uint8, count=n).astype(bool)
q = np.minimum(np.fromfile(f"{d}/quality_a.f64", dtype="<f8", count=n), np.fromfile(f"{d}/quality_b.f64", dtype="<f8", count=n))

if len(sys.argv) > 3 and sys.argv[3] == "recomputed":
    N, target = n, 1e-3
    order = np.argsort(q, kind="stable")
    rank = np.empty(N, dtype=np.int64)
    rank[order] = np.arange(N)
    dist = np.arccos(np.clip(sim, -1, 1)) / np.pi
    og = np.argsort(dist[mated], kind="stable")
    dG, rG = dist[mated][og], rank[mated][og]
    oi = np.argsort(dist[~mated], kind="stable")
    dI, rI = dist[~mated][oi], rank[~mated][oi]
    grid = np.arange(20) * 0.05
    fnmr = []
    for u in grid:
        cut = int(np.floor(u * N))
        dIk, dGk = dI[rI >= cut], dG[rG >= cut]  # still sorted by distance
        nI, nG = dIk.size, dGk.size
        ends = np.flatnonzero(np.r_[dIk[1:] != dIk[:-1], True])  # last impostor of each distance group
        diffs = np.abs((ends + 1) / nI - target)
        # FMR 0 is a candidate when a kept genuine pair lies below every kept impostor; it wins only when strictly closer
        if nG and dGk[0] < dIk[0] and abs(0 / nI - target) < diffs.min():
            below_imp, nxt = -np.inf, dIk[0]
        else:
            e = ends[np.flatnonzero(diffs == diffs.min())[-1]]
            below_imp, nxt = dIk[e], (dIk[e + 1] if e + 1 < nI else np.inf)
        g = np.searchsorted(dGk, nxt, "left") - 1  # the largest kept genuine distance below the next impostor group
        t = max(below_imp, dGk[g] if g >= 0 else -np.inf)
        fnmr.append(1 - np.searchsorted(dGk, t, "left") / nG)
    fnmr = np.array(fnmr)
    keep = grid[1:] <= 0.3 + 1e-9
    pauc = float(np.sum((fnmr[:-1][keep] + fnmr[1:][keep]) / 2 * np.diff(grid)[keep]))
    print(json.dumps({"pauc@0.3": pauc, "points": int(grid.size), "fnmr": fnmr.tolist()}))
    sys.exit(0)

# threshold: the smallest non-mated score t with #(s >= t) / N <= FMR (one sort)
non = np.sort(sim[~mated])
allowed = int(np.floor(1e-3 * non.size))
t = non[non.size - allowed] if allowed > 0 else np.nextafter(non[-1], np.inf)
while allowed > 0 and non.size - allowed - 1 >= 0 and non[non.size - allowed - 1] == t:
    allowed -= 1  # ties at t all match: move up to the next distinct value
    t = non[non.size - allowed] if allowed > 0 else np.nextafter(non[-1], np.inf)

# the curve: a stable argsort by pair quality, errors from each tie group's start on
gen, qg = sim[mated], q[mated]
order = np.argsort(qg, kind="stable")
qs = qg[order]
errors = (gen[order] < t)[::-1].cumsum()[::-1]
starts = np.flatnonzero(np.r_[True, qs[1:] != qs[:-1]])
m = qs.size
x = np.r_[starts / m, 1.0]
y = np.r_[errors[starts] / (m - starts), 0.0]
L = 0.3
keep = x[:-1] < L
pauc = float(np.sum(y[:-1][keep] * (np.minimum(x[1:][keep], L) - x[:-1][keep])))
print(json.dumps({"pauc@0.3": pauc, "points": int(x.size), "threshold": float(t)}))
