"""Reference numbers for the DifFIQA arithmetic tests (test/fixtures/diffiqa-reference.json).

Independent float64 numpy implementation of the formulas in fiqa-methods.md §1.7 / DifFIQA's diff_gauss.py and
diff_util.py: the cosine beta schedule (s = 0.008, betas clipped to 0.999), alphas_cumprod, q_sample, the DDIM time
pairs of ddim_sample_at_t (linspace(-1, t-1, steps+1) truncated to int, reversed) and the DDIM update with the pred-x0
objective (x0 clipped to [-1, 1], eps = (x_t/sqrt(a) - x0)/sqrt(1/a - 1), sigma = eta*sqrt((1-a/a')(1-a')/(1-a)),
x' = sqrt(a')x0 + sqrt(1-a'-sigma^2) eps + sigma z; x' = x0 when time_next < 0). The "model" is x0 = 0.9*x + 0.01*t.

    python3 packages/teachers/scripts/make-diffiqa-fixture.py
"""
import json
import math
import os

import numpy as np

T, s = 1000, 0.008
x = np.linspace(0, T, T + 1, dtype=np.float64)
f = np.cos(((x / T) + s) / (1 + s) * math.pi * 0.5) ** 2
f = f / f[0]
betas = np.clip(1 - (f[1:] / f[:-1]), 0, 0.999)
ac = np.cumprod(1.0 - betas)


def pairs(t, steps):
    times = np.linspace(-1, t - 1, steps + 1).astype(int)[::-1].tolist()
    return [[a, b] for a, b in zip(times[:-1], times[1:])]


rng = np.random.default_rng(0)
x0 = rng.uniform(-1, 1, 6)
noises = rng.standard_normal((6, 6))  # noise[0] for q_sample, noise[k] for the k-th DDIM pair with time_next >= 0
t, steps, eta = 5, 6, 1.0
xt = math.sqrt(ac[t]) * x0 + math.sqrt(1 - ac[t]) * noises[0]
img = xt.copy()
k = 1
trace = []
for time, nxt in pairs(t, steps):
    out = 0.9 * img + 0.01 * time
    x0h = np.clip(out, -1, 1)
    if nxt < 0:
        img = x0h
    else:
        a, an = ac[time], ac[nxt]
        eps = (math.sqrt(1 / a) * img - x0h) / math.sqrt(1 / a - 1)
        sigma = eta * math.sqrt((1 - a / an) * (1 - an) / (1 - a))
        c = math.sqrt(1 - an - sigma**2)
        img = math.sqrt(an) * x0h + c * eps + sigma * noises[k]
        k += 1
    trace.append(img.tolist())

out = {
    "betas_head": betas[:8].tolist(),
    "betas_tail": betas[-3:].tolist(),
    "alphas_cumprod_head": ac[:8].tolist(),
    "alphas_cumprod_999": float(ac[999]),
    "pairs_5_6": pairs(5, 6),
    "pairs_10_3": pairs(10, 3),
    "pairs_1_1": pairs(1, 1),
    "x0": x0.tolist(),
    "noises": noises.tolist(),
    "xt": xt.tolist(),
    "trace": trace,
}
path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "diffiqa-reference.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=1)
print("wrote", os.path.normpath(path))
