"""The anchor of `pnpm bench edc`: the same iso FNM-EDC as `aikd edc` (pair quality min, threshold at FMR 1e-3 over
the non-mated similarities, mated comparisons sorted by pair quality with a stable argsort, tie groups discarded
whole, stepwise pAUC at 0.3), written plainly in numpy. Reads the raw little-endian columns the benchmark writes
beside its Arrow file (numpy has no Arrow reader without pyarrow). Prints JSON: pAUC@0.3 and the points.

    python3 edc_numpy.py DIR N
"""
import json
import sys

import numpy as np

d, n = sys.argv[1], int(sys.argv[2])
sim = np.fromfile(f"{d}/similarity.f64", dtype="<f8", count=n)
mated = np.fromfile(f"{d}/mated.u8", dtype=np.uint8, count=n).astype(bool)
q = np.minimum(np.fromfile(f"{d}/quality_a.f64", dtype="<f8", count=n), np.fromfile(f"{d}/quality_b.f64", dtype="<f8", count=n))

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
