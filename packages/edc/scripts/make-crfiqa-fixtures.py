"""
Fixtures for packages/edc/test/crfiqa-parity.test.ts, made by CR-FIQA's own ERC code (fdbtrs/CR-FIQA, `ERC/erc.py`
`getFNMRFixedTH` and `ERC/roc.py` `get_eer_threshold`) and the real `sklearn.metrics.auc`.

The reference code is NOT part of this repository: this script loads it at run time from a clone of
github.com/fdbtrs/CR-FIQA (default: the bare mirror /work/.mirror/fdbtrs+CR-FIQA/repo, read with `git show`), and
only its outputs are committed. Two shims let the 2023 code run on today's Python, neither changes a computed value:
`np.int` (removed in numpy 1.24; roc.py compares dtypes against it) is set to `int`, and `tqdm` / `matplotlib`
(imported by erc.py for progress bars and plots, not used by getFNMRFixedTH) are replaced by empty modules.

Run with Debian's Python (python3-numpy 1.24, python3-sklearn 1.2), from the repository root:

    /usr/bin/python3 packages/edc/scripts/make-crfiqa-fixtures.py [path/to/CR-FIQA.git]

Writes packages/edc/test/fixtures/crfiqa/case-<k>.csv (similarity, mated, quality_a, quality_b; similarities
written with repr(), so they round-trip exactly) and crfiqa-erc.json with, per case and FMR target (1e-2, 1e-3,
1e-4): the FNMR at the 20 grid points and the thresholds (angular distances) exactly as the reference computed them,
and the AUC as erc.py's `save_pdf` computes it (`metrics.auc(unconsidered_rates / 100, fnmr)`).

The reference sorts pair qualities with `np.argsort` (quicksort, not stable). Where qualities tie, the order of a
tie group at a cut is then numpy's, not a documented one; the script runs the reference twice, once as it is and once
with `np.argsort` forced to kind="stable" (input order within a tie), and records both. Cases without tied
qualities give the same result both ways (checked here).
"""
import importlib.util
import json
import math
import os
import subprocess
import sys
import types

import numpy as np
import sklearn
from sklearn import metrics

MIRROR = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror/fdbtrs+CR-FIQA/repo"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "crfiqa")


def git(*args):
    return subprocess.run(["git", "--git-dir", MIRROR, *args], check=True, capture_output=True, text=True).stdout


def load_reference():
    """ERC.roc and ERC.erc as modules, from the mirror's HEAD."""
    np.int = int  # removed in numpy 1.24; roc.py only compares dtypes with it
    for name in ("tqdm", "matplotlib", "matplotlib.pyplot", "matplotlib.font_manager"):
        m = types.ModuleType(name)
        sys.modules[name] = m
    sys.modules["tqdm"].tqdm = lambda x, *a, **k: x
    sys.modules["matplotlib.font_manager"].FontProperties = object
    sys.modules["matplotlib"].pyplot = sys.modules["matplotlib.pyplot"]
    pkg = types.ModuleType("ERC")
    pkg.__path__ = []
    sys.modules["ERC"] = pkg
    mods = {}
    for name in ("roc", "erc"):
        spec = importlib.util.spec_from_loader(f"ERC.{name}", loader=None)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[f"ERC.{name}"] = mod
        exec(compile(git("show", f"HEAD:ERC/{name}.py"), f"CR-FIQA/ERC/{name}.py", "exec"), mod.__dict__)
        setattr(pkg, name, mod)
        mods[name] = mod
    return mods["erc"], mods["roc"]


erc, roc = load_reference()


def run_reference(feat_pairs, qlts, stable):
    """getFNMRFixedTH as committed; records the thresholds its get_eer_threshold returns at each grid point."""
    thresholds = []
    original_threshold = erc.get_eer_threshold
    original_argsort = np.argsort

    def recording(*a, **k):
        t = original_threshold(*a, **k)
        thresholds.append([float(x) for x in t])
        return t

    erc.get_eer_threshold = recording
    if stable:
        np.argsort = lambda a, *args, **kw: original_argsort(a, kind="stable")
    try:
        fnmr2, fnmr3, fnmr4, rates = erc.getFNMRFixedTH(feat_pairs, qlts, dist_type="cosine", desc=True)
    finally:
        erc.get_eer_threshold = original_threshold
        np.argsort = original_argsort
    return {"fnmr": [list(map(float, fnmr2)), list(map(float, fnmr3)), list(map(float, fnmr4))], "thresholds": thresholds, "rates": rates}


def auc_as_save_pdf(fnmr):
    # save_pdf: unconsidered_rates = 100 * np.arange(0, 0.98, 0.05); metrics.auc(np.array(unconsidered_rates[:n] / 100), np.array(fnmr))
    unconsidered_rates = 100 * np.arange(0, 0.98, 0.05)
    return float(metrics.auc(np.array(unconsidered_rates[: len(fnmr)] / 100), np.array(fnmr)))


def make_case(seed, n, mated_share, quality_levels, pool_share, genuine_noise, dim=32):
    """
    Random embeddings with ties: a share of the pairs reuse one of 12 embedding pairs from a pool (cosines 0.2 … 0.9),
    so they have bit-identical similarities; mated pairs draw from the whole pool, non-mated pairs from its cosines
    up to 0.6, so genuine and impostor pairs tie at the same distance in the impostor tail, where the tie rules
    differ. quality_levels = 0: continuous qualities (no ties); otherwise integers 0..levels-1 (big tie groups).
    Genuine pairs whose worse sample has a higher quality are more similar (quality helps).
    """
    rng = np.random.default_rng(seed)
    mated = (rng.random(n) < mated_share).astype(int)
    if quality_levels:
        qa = rng.integers(0, quality_levels, n).astype(float)
        qb = rng.integers(0, quality_levels, n).astype(float)
        worse = np.minimum(qa, qb) / quality_levels
    else:
        qa = np.round(rng.random(n), 6)
        qb = np.round(rng.random(n), 6)
        worse = np.minimum(qa, qb)
    a = rng.normal(size=(n, dim))
    noise = genuine_noise * (1.5 - worse)[:, None] * rng.normal(size=(n, dim))
    b = np.where(mated[:, None] == 1, a + noise, rng.normal(size=(n, dim)))
    cos = np.linspace(0.2, 0.9, 12)
    pa = rng.normal(size=(12, dim))
    pa /= np.linalg.norm(pa, axis=1, keepdims=True)
    u = rng.normal(size=(12, dim))
    u -= np.sum(u * pa, axis=1, keepdims=True) * pa
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    pb = cos[:, None] * pa + np.sqrt(1 - cos**2)[:, None] * u
    use_pool = rng.random(n) < pool_share
    k = np.where(mated == 1, rng.integers(0, 12, n), rng.integers(0, int(np.sum(cos <= 0.6 + 1e-12)), n))
    a = np.where(use_pool[:, None], pa[k], a)
    b = np.where(use_pool[:, None], pb[k], b)
    return a, b, mated, qa, qb


def cosine_as_reference(a, b):
    # erc.distance_ (cosine): dot / norm, clipped; computed row by row, so any subset gives the same values
    dot = np.sum(np.multiply(a, b), axis=1)
    norm = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.clip(dot / norm, -1.0, 1.0)


CASES = [
    # seed, n, mated share, quality levels (0 = continuous), share of pairs from the tie pool, genuine noise
    (11, 300, 0.5, 0, 0.3, 0.8),
    (12, 1000, 0.3, 0, 0.2, 1.2),
    (13, 3000, 0.2, 0, 0.1, 0.9),
    (14, 1500, 0.4, 7, 0.25, 1.0),
    (15, 6000, 0.15, 25, 0.05, 1.3),
    (16, 10000, 0.1, 0, 0.02, 1.1),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    out_cases = []
    for seed, n, mated_share, levels, pool, noise in CASES:
        a, b, mated, qa, qb = make_case(seed, n, mated_share, levels, pool, noise)
        sim = cosine_as_reference(a, b)
        # the per-row similarity does not depend on which rows are evaluated together
        sub = np.random.default_rng(0).permutation(n)[: n // 3]
        assert np.array_equal(cosine_as_reference(a[sub], b[sub]), sim[sub])
        feat_pairs = {i: [a[i], b[i], int(mated[i])] for i in range(n)}
        # erc.load_quality_pair: min(float(quality_a), float(quality_b))
        qlts = [min(float(x), float(y)) for x, y in zip(qa, qb)]
        as_is = run_reference(feat_pairs, qlts, stable=False)
        stable = run_reference(feat_pairs, qlts, stable=True)
        if not levels:
            assert as_is["fnmr"] == stable["fnmr"], "no quality ties, yet the two sorts differ"
        grid = [float(u) for u in as_is["rates"]]
        name = f"case-{seed}.csv"
        with open(os.path.join(OUT, name), "w") as f:
            f.write("similarity,mated,quality_a,quality_b\n")
            for i in range(n):
                f.write(f"{float(sim[i])!r},{int(mated[i])},{float(qa[i])!r},{float(qb[i])!r}\n")
        targets = [1e-2, 1e-3, 1e-4]
        out_cases.append(
            {
                "file": name,
                "seed": seed,
                "n": n,
                "n_mated": int(mated.sum()),
                "quality_ties": bool(levels),
                "distinct_similarities": int(len(np.unique(sim))),
                "grid": grid,
                "targets": {
                    str(t): {
                        "fnmr": stable["fnmr"][j],
                        "thresholds": [th[j] for th in stable["thresholds"]],
                        "auc": auc_as_save_pdf(stable["fnmr"][j]),
                        "fnmr_quicksort": as_is["fnmr"][j],
                        "auc_quicksort": auc_as_save_pdf(as_is["fnmr"][j]),
                    }
                    for j, t in enumerate(targets)
                },
            }
        )
    meta = {
        "generator": "packages/edc/scripts/make-crfiqa-fixtures.py",
        "reference": {"repository": "github.com/fdbtrs/CR-FIQA", "commit": git("rev-parse", "HEAD").strip(), "files": ["ERC/erc.py", "ERC/roc.py"]},
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "notes": [
            "fnmr/thresholds/auc: the reference with np.argsort forced to kind='stable' (ties in quality in input order)",
            "fnmr_quicksort/auc_quicksort: the reference exactly as committed (np.argsort default, not stable)",
            "thresholds: angular distances arccos(cos)/pi returned by get_eer_threshold, one per grid point",
        ],
        "cases": out_cases,
    }
    with open(os.path.join(OUT, "crfiqa-erc.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    for c in out_cases:
        diff = sum(
            1
            for t in c["targets"].values()
            for x, y in zip(t["fnmr"], t["fnmr_quicksort"])
            if x != y
        )
        print(f"{c['file']}: n={c['n']} mated={c['n_mated']} distinct s={c['distinct_similarities']} quality ties={c['quality_ties']} "
              f"fnmr@1e-3[0]={c['targets']['0.001']['fnmr'][0]:.4f} auc@1e-3={c['targets']['0.001']['auc']:.5f} "
              f"grid points where quicksort differs from stable: {diff}")


main()
