"""Pickled score dicts as FIQA tools write them (AI-KD's quality-scores.pkl, FaceQAN's results.pkl), for the
import tests: several protocols, Python floats and numpy scalars / one-element arrays.
Run: python3 packages/teachers/scripts/make-pickle-fixtures.py  (needs numpy)"""
import os
import pickle

import numpy as np

out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures")
os.makedirs(out, exist_ok=True)

paths = [
    "/data/aligned/id0/a.png",
    "/data/aligned/id0/b.png",
    "/data/aligned/id1/c d.png",  # a space in the name
    "/data/aligned/id1/é.png",  # non-ASCII
]
plain = {p: v for p, v in zip(paths, [0.5, 0.25, -1.125, 1e-3])}

for proto in (0, 2, 4, 5):
    with open(os.path.join(out, f"scores-p{proto}.pkl"), "wb") as f:
        pickle.dump(plain, f, protocol=proto)

numpy_values = {
    paths[0]: np.float32(0.5),
    paths[1]: np.float64(0.25),
    paths[2]: np.float16(-1.125),
    paths[3]: np.array(1e-3, dtype=np.float32),  # 0-d array
    "/data/aligned/id2/e.png": np.array([2.0], dtype=">f8"),  # one element, big-endian
    "/data/aligned/id2/f.png": np.int64(3),
}
for proto in (2, 4):
    with open(os.path.join(out, f"scores-numpy-p{proto}.pkl"), "wb") as f:
        pickle.dump(numpy_values, f, protocol=proto)

with open(os.path.join(out, "not-a-dict.pkl"), "wb") as f:
    pickle.dump([("a.png", 0.5)], f, protocol=4)
with open(os.path.join(out, "string-value.pkl"), "wb") as f:
    pickle.dump({"a.png": "high"}, f, protocol=4)
