"""Helpers for the `arenasim fit` tests: synthetic battles, running the CLI,
and independent reference fits (statsmodels / scipy) of the estimators of
DESIGN §3. Ratings r are in log10-odds; scores in arena points."""
import csv
import math
import os
import subprocess

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("ARENASIM_BIN", os.path.join(REPO, "bin", "arenasim"))
LN10 = math.log(10.0)
FEATS = ["tokens", "headers", "lists", "bold", "emoji"]
COLS = {
    "tokens": ("sum_assistant_a_tokens", "sum_assistant_b_tokens"),
    "headers": ("header_count_a", "header_count_b"),
    "lists": ("list_count_a", "list_count_b"),
    "bold": ("bold_count_a", "bold_count_b"),
    "emoji": ("emoji_count_a", "emoji_count_b"),
}
WIN = ["model_a", "model_b", "tie", "tie (bothbad)"]


def run_fit(*args):
    """Run `arenasim fit ARGS`; returns CompletedProcess (text)."""
    return subprocess.run([BIN, "fit", *map(str, args)], capture_output=True, text=True, timeout=300)


def read_scores(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {r["model"]: r for r in rows}


def synth(seed, n_models=6, n=3000, tie_p=0.2, beta=(0.5, 0.3, 0.2, 0.25, 0.0)):
    """Synthetic battles: dict of numpy arrays (a, b, outcome, raw counts)."""
    g = np.random.default_rng(seed)
    theta = g.normal(0, 0.3, n_models)              # log10-odds
    base_len = g.uniform(200, 800, n_models)
    a = g.integers(0, n_models, n)
    b = (a + g.integers(1, n_models, n)) % n_models  # never a == b
    raw = {}
    for side, idx in (("a", a), ("b", b)):
        tok = base_len[idx] * np.exp(g.normal(0, 0.5, n))
        raw["tokens", side] = np.round(tok).astype(int)
        for f, rate in (("headers", 0.004), ("lists", 0.01), ("bold", 0.02), ("emoji", 0.002)):
            raw[f, side] = g.poisson(rate * tok)
    eta = LN10 * (theta[a] - theta[b])
    for k, f in enumerate(FEATS):
        x, y = raw[f, "a"], raw[f, "b"]
        eta = eta + beta[k] * (x - y) / (x + y + 1)
    p = 1 / (1 + np.exp(-eta))
    u = g.uniform(size=n)
    out = np.where(u < tie_p, 2 + (g.uniform(size=n) < 0.5), np.where(g.uniform(size=n) < p, 0, 1))
    names = [f"m{i:02d}" for i in range(n_models)]
    return {"a": a, "b": b, "out": out, "raw": raw, "names": names}


def write_csv(path, s, feats=FEATS, tstamp=False):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        hdr = ["model_a", "model_b", "winner"] + (["tstamp"] if tstamp else [])
        for ft in feats:
            hdr += list(COLS[ft])
        w.writerow(hdr)
        for i in range(len(s["a"])):
            row = [s["names"][s["a"][i]], s["names"][s["b"][i]], WIN[s["out"][i]]]
            if tstamp:
                row.append(1.7e9 + i)
            for ft in feats:
                row += [int(s["raw"][ft, "a"][i]), int(s["raw"][ft, "b"][i])]
            w.writerow(row)


def design(s, feats):
    """X (n × (m + F)) with ln10·(e_a − e_b) and z-scored d; y ∈ {1, 0, ½}."""
    n, m = len(s["a"]), len(s["names"])
    X = np.zeros((n, m + len(feats)))
    X[np.arange(n), s["a"]] += LN10
    X[np.arange(n), s["b"]] -= LN10
    for k, ft in enumerate(feats):
        x, y = s["raw"][ft, "a"].astype(float), s["raw"][ft, "b"].astype(float)
        d = (x - y) / (x + y + 1)
        X[:, m + k] = (d - d.mean()) / d.std()
    y = np.where(s["out"] == 0, 1.0, np.where(s["out"] == 1, 0.0, 0.5))
    return X, y


def glm_fit(X, y, m):
    """Unpenalised fit by statsmodels GLM Binomial (fractional y), model 0
    pinned; returns (r centred, gamma)."""
    import statsmodels.api as sm
    res = sm.GLM(y, X[:, 1:], family=sm.families.Binomial()).fit(tol=1e-14, maxiter=200)
    theta = np.concatenate([[0.0], res.params])
    r = theta[:m] - theta[:m].mean()
    return r, theta[m:]


def penalised_fit(X, y, m, penalty):
    """scipy minimisation of the documented penalised losses."""
    from scipy.optimize import minimize
    n, P = X.shape
    lam = np.zeros(P)
    scale = 1.0
    if penalty == "fastchat":
        lam[:] = 0.25
        free = np.arange(P)
    else:  # arena_rank: weighted mean NLL + 0.5‖γ‖², r0 pinned (the loss is shift-invariant in r)
        lam[m:] = 0.5
        scale = 1.0 / n
        free = np.arange(1, P)
    wt = np.ones(n)
    if penalty == "arena_rank":  # row weight 1/max(n_pair, 50), normalised to mean 1
        a, b = X[:, :m].argmax(axis=1), X[:, :m].argmin(axis=1)
        _, inv, cnt = np.unique(np.minimum(a, b) * m + np.maximum(a, b), return_inverse=True,
                                return_counts=True)
        wt = 1.0 / np.maximum(cnt[inv], 50)
        wt /= wt.mean()

    def full(t):
        th = np.zeros(P)
        th[free] = t
        return th

    def f(t):
        th = full(t)
        eta = X @ th
        nll = np.logaddexp(0, eta) - y * eta
        return scale * (wt * nll).sum() + (lam * th * th).sum()

    def grad(t):
        th = full(t)
        p = 1 / (1 + np.exp(-(X @ th)))
        return (scale * (X.T @ (wt * (p - y))) + 2 * lam * th)[free]

    def hess(t):
        th = full(t)
        p = 1 / (1 + np.exp(-(X @ th)))
        H = scale * (X.T * (wt * p * (1 - p))) @ X + np.diag(2 * lam)
        return H[np.ix_(free, free)]

    res = minimize(f, np.zeros(len(free)), jac=grad, hess=hess, method="trust-exact",
                   options={"gtol": 1e-12, "maxiter": 500})
    th = full(res.x)
    r = th[:m]
    if penalty != "fastchat":
        r = r - r.mean()
    return r, th[m:]
