"""
Reference values for packages/edc/test/reference.test.ts, computed with numpy from the definitions in issue 3
(written for this repository, not copied from any FIQA code). Run from the repository root:

    python3 packages/edc/scripts/make-reference.py > packages/edc/test/fixtures/reference.json

Each case: similarities, mated flags and pair qualities (quantised, so with ties in quality and similarity), and
- numpy's default linear quantile of the mated similarities (starting-error thresholds),
- the iso threshold at an FMR target, the iso FNM-EDC points and stepwise pAUCs.
The recomputed mode is checked against CR-FIQA's own code instead (make-crfiqa-fixtures.py).
"""
import json
import sys

import numpy as np


def iso_threshold_at_fmr(nonmated, fmr):
    n = len(nonmated)
    values = np.unique(nonmated)
    candidates = list(values) + [float(np.nextafter(values[-1], np.inf))]
    for t in candidates:  # ascending: the first that satisfies is the smallest
        if np.count_nonzero(nonmated >= t) / n <= fmr:
            return float(t)
    raise AssertionError


def iso_curve(sim, q, t):
    order = np.argsort(q, kind="stable")
    qs, ss = q[order], sim[order]
    n = len(qs)
    err = (ss < t).astype(np.int64)
    left = np.cumsum(err[::-1])[::-1]  # errors at positions >= d
    starts = np.concatenate(([0], np.nonzero(qs[1:] != qs[:-1])[0] + 1))
    x = list(starts / n) + [1.0]
    y = list(left[starts] / (n - starts)) + [0.0]
    return x, y


def pauc_step(x, y, limit):
    area = 0.0
    for i in range(len(x)):
        if x[i] >= limit:
            break
        nxt = min(x[i + 1], limit) if i + 1 < len(x) else limit
        area += y[i] * (nxt - x[i])
    return area


def case(seed, n, mated_share, q_levels, s_levels, fmr):
    rng = np.random.default_rng(seed)
    mated = (rng.random(n) < mated_share).astype(np.int64)
    q = np.round(rng.random(n) * q_levels) / q_levels
    noise = rng.normal(0, 0.25, n)
    sim = np.round((np.where(mated == 1, 0.55, 0.1) + 0.3 * (q - 0.5) * mated + noise) * s_levels) / s_levels
    ms, nms = sim[mated == 1], sim[mated == 0]
    out = {
        "seed": seed,
        "similarity": sim.tolist(),
        "mated": mated.tolist(),
        "pair_quality": q.tolist(),
        "quantiles": {str(e): float(np.quantile(ms, e)) for e in (0.0, 0.05, 0.1, 0.37, 0.5, 0.9, 1.0)},
        "fmr": fmr,
    }
    t = iso_threshold_at_fmr(nms, fmr)
    x, y = iso_curve(sim[mated == 1], q[mated == 1], t)
    out["iso"] = {"threshold": t, "x": x, "y": y, "pauc": {"0.2": pauc_step(x, y, 0.2), "0.3": pauc_step(x, y, 0.3)}}
    return out


cases = [
    case(1, 400, 0.5, 20, 50, 0.05),
    case(2, 600, 0.3, 7, 20, 0.02),
    case(3, 250, 0.6, 100, 1000, 0.1),
]
json.dump({"generator": "packages/edc/scripts/make-reference.py", "numpy": np.__version__, "cases": cases}, sys.stdout)
