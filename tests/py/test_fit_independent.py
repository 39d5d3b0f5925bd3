"""`arenasim fit` against independent fits (statsmodels GLM, scipy) on
synthetic battles, plus known answers: two-model closed form, anchor rule,
CSV schema, --min-battles, Elo, thread invariance of bootstraps."""
import csv
import math

import numpy as np
import pytest

from fitutil import (FEATS, LN10, design, glm_fit, penalised_fit, read_scores, run_fit, synth,
                     write_csv)

PT_TOL = 400 / LN10 * 1e-6  # 1e-6 logits in points
STYLE4 = ["tokens", "headers", "lists", "bold"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("fit")
    s = synth(12345)
    path = d / "battles.csv"
    write_csv(path, s, tstamp=True)
    return s, path, d


def fitted(d, path, *args, name="out.csv"):
    out = d / name
    p = run_fit(path, "-o", out, "--force", *args)  # the module reuses out.csv
    assert p.returncode == 0, p.stderr
    return read_scores(out), out


def scores_of(s, r):
    return {s["names"][i]: 400 * r[i] + 1000 for i in range(len(r))}


def test_bt_matches_statsmodels(data):
    s, path, d = data
    got, _ = fitted(d, path)
    X, y = design(s, [])
    r, _ = glm_fit(X, y, len(s["names"]))
    for m, v in scores_of(s, r).items():
        assert abs(float(got[m]["score"]) - v) < PT_TOL


def test_bt_style_none_matches_statsmodels(data):
    s, path, d = data
    got, out = fitted(d, path, "--style", "--style-penalty", "none")
    X, y = design(s, STYLE4)
    m = len(s["names"])
    r, gam = glm_fit(X, y, m)
    for mm, v in scores_of(s, r).items():
        assert abs(float(got[mm]["score"]) - v) < PT_TOL
    with open(str(out)[:-4] + ".style.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r_["feature"] for r_ in rows] == STYLE4
    for k, r_ in enumerate(rows):
        assert abs(float(r_["coef"]) - gam[k]) < 1e-6
        assert float(r_["ci_lo"]) < float(r_["coef"]) < float(r_["ci_hi"])


@pytest.mark.parametrize("penalty", ["fastchat", "arena_rank"])
def test_bt_style_penalised_matches_scipy(data, penalty):
    s, path, d = data
    feats = STYLE4 + ["emoji"]
    got, out = fitted(d, path, "--style", "--style-penalty", penalty, "--style-features", ",".join(feats))
    X, y = design(s, feats)
    m = len(s["names"])
    r, gam = penalised_fit(X, y, m, penalty)
    for mm, v in scores_of(s, r).items():
        assert abs(float(got[mm]["score"]) - v) < 1e-4
    with open(str(out)[:-4] + ".style.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for k, r_ in enumerate(rows):
        assert abs(float(r_["coef"]) - gam[k]) < 1e-6


@pytest.mark.parametrize("style", [False, True])
def test_sandwich_ci_matches_statsmodels_robust(data, style):
    """Sandwich CIs (bt, and bt_style without penalty): the contrast of each
    model with the mean, from statsmodels' HC0 covariance of the pinned fit."""
    import statsmodels.api as sm
    s, path, d = data
    feats = STYLE4 if style else []
    args = ["--style", "--style-penalty", "none"] if style else []
    got, out = fitted(d, path, *args, name=f"sw{int(style)}.csv")
    X, y = design(s, feats)
    m = len(s["names"])
    res = sm.GLM(y, X[:, 1:], family=sm.families.Binomial()).fit(tol=1e-14, cov_type="HC0")
    V = np.zeros((m, m))
    V[1:, 1:] = np.asarray(res.cov_params())[: m - 1, : m - 1]
    if style:
        se = np.sqrt(np.diag(np.asarray(res.cov_params()))[m - 1:])
        with open(str(out)[:-4] + ".style.csv", newline="") as f:
            for k, r_ in enumerate(csv.DictReader(f)):
                half = (float(r_["ci_hi"]) - float(r_["ci_lo"])) / 2
                assert abs(half - 1.959963984540054 * se[k]) < 1e-7
    C = np.eye(m) - 1.0 / m  # centring contrasts
    Vc = C @ V @ C.T
    z = 1.959963984540054
    for i, name in enumerate(s["names"]):
        half = z * 400 * math.sqrt(Vc[i, i])
        row = got[name]
        assert abs((float(row["ci_hi"]) - float(row["ci_lo"])) / 2 - half) < 1e-4


def test_two_model_closed_form(tmp_path):
    w, l, t = 70, 20, 10
    path = tmp_path / "two.csv"
    with open(path, "w") as f:
        f.write("model_a,model_b,winner\n")
        f.write("A,B,model_a\n" * 40 + "B,A,model_b\n" * 30 + "A,B,model_b\n" * 20 + "A,B,tie\n" * 6
                + "B,A,tie (bothbad)\n" * 4)
    got, _ = fitted(tmp_path, path)
    wr = (w + t / 2) / (w + l + t)
    diff = float(got["A"]["score"]) - float(got["B"]["score"])
    assert abs(diff - 400 * math.log10(wr / (1 - wr))) < 1e-6
    assert abs(float(got["A"]["score"]) + float(got["B"]["score"]) - 2000) < 1e-6


def test_anchor_rule(data):
    s, path, d = data
    free, _ = fitted(d, path, name="free.csv")
    anch, _ = fitted(d, path, "--anchor", "m03=1234.5", name="anch.csv")
    assert abs(float(anch["m03"]["score"]) - 1234.5) < 1e-9
    shift = 1234.5 - float(free["m03"]["score"])
    for m in free:
        assert abs(float(anch[m]["score"]) - float(free[m]["score"]) - shift) < 1e-6
    assert abs(np.mean([float(v["score"]) for v in free.values()]) - 1000) < 1e-6


def test_csv_schema_and_ranks(data):
    s, path, d = data
    _, out = fitted(d, path, "--ci", "bootstrap", "--bootstrap", "30", name="schema.csv")
    with open(out, newline="") as f:
        lines = f.read().splitlines()
    assert lines[0] == "model,score,ci_lo,ci_hi,rank,displayed_rank,battles"
    rows = list(csv.DictReader(lines))
    sc = [float(r["score"]) for r in rows]
    assert sc == sorted(sc, reverse=True)
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    counts = np.bincount(np.concatenate([s["a"], s["b"]]), minlength=len(s["names"]))
    for r in rows:
        i = s["names"].index(r["model"])
        assert int(r["battles"]) == counts[i]
        lo, hi = float(r["ci_lo"]), float(r["ci_hi"])
        assert lo < float(r["score"]) < hi
        disp = 1 + sum(float(q["ci_lo"]) > hi for q in rows if q is not r)
        assert int(r["displayed_rank"]) == disp


def test_min_battles_drops_models_and_their_battles(tmp_path):
    s = synth(7, n_models=5, n=2000, tie_p=0.1)
    # add a rare model with 5 battles
    rare = dict(s)
    names = s["names"] + ["rare"]
    extra = 5
    rare_a = np.concatenate([s["a"], np.full(extra, 5)])
    rare_b = np.concatenate([s["b"], np.arange(extra) % 5])
    rare_out = np.concatenate([s["out"], np.zeros(extra, int)])
    raw = {k: np.concatenate([v, np.full(extra, 100 if k[0] == "tokens" else 1)]) for k, v in s["raw"].items()}
    rare.update(a=rare_a, b=rare_b, out=rare_out, raw=raw, names=names)
    p_all = tmp_path / "all.csv"
    p_base = tmp_path / "base.csv"
    write_csv(p_all, rare)
    write_csv(p_base, s)
    got, _ = fitted(tmp_path, p_all, "--min-battles", "10", name="mb.csv")
    ref, _ = fitted(tmp_path, p_base, name="ref.csv")
    assert "rare" not in got
    for m in ref:
        assert abs(float(got[m]["score"]) - float(ref[m]["score"])) < 1e-9
        assert got[m]["battles"] == ref[m]["battles"]


def test_elo_matches_python(data):
    s, path, d = data
    got, _ = fitted(d, path, "--elo", name="elo.csv")
    R = np.full(len(s["names"]), 1000.0)
    for a, b, o in zip(s["a"], s["b"], s["out"]):
        ea = 1 / (1 + 10 ** ((R[b] - R[a]) / 400))
        sa = 1.0 if o == 0 else 0.0 if o == 1 else 0.5
        R[a] += 4 * (sa - ea)
        R[b] -= 4 * (sa - ea)
    for i, m in enumerate(s["names"]):
        assert abs(float(got[m]["score"]) - R[i]) < 1e-8


def test_bootstrap_thread_invariance(data):
    s, path, d = data
    for extra in ([], ["--style"]):
        _, o1 = fitted(d, path, "--ci", "bootstrap", "--bootstrap", "20", "--threads", "1", *extra, name="t1.csv")
        _, o2 = fitted(d, path, "--ci", "bootstrap", "--bootstrap", "20", "--threads", "2", *extra, name="t2.csv")
        assert open(o1).read() == open(o2).read()
        if extra:
            assert open(str(o1)[:-4] + ".style.csv").read() == open(str(o2)[:-4] + ".style.csv").read()


def test_elo_orders_by_tstamp(tmp_path):
    """With a tstamp column, online Elo runs in time order, not file order."""
    rows = [("A", "B", "model_a", 3.0), ("B", "C", "tie", 1.0), ("C", "A", "model_a", 2.0)]
    p = tmp_path / "t.csv"
    p.write_text("model_a,model_b,winner,tstamp\n" + "".join(f"{a},{b},{w},{t}\n" for a, b, w, t in rows))
    got, _ = fitted(tmp_path, p, "--elo", "--anchor", "A=1000", name="e.csv")
    R = {"A": 1000.0, "B": 1000.0, "C": 1000.0}
    for a, b, w, _t in sorted(rows, key=lambda r: r[3]):
        ea = 1 / (1 + 10 ** ((R[b] - R[a]) / 400))
        sa = {"model_a": 1.0, "model_b": 0.0}.get(w, 0.5)
        R[a] += 4 * (sa - ea)
        R[b] -= 4 * (sa - ea)
    shift = 1000 - R["A"]
    for m in R:
        assert abs(float(got[m]["score"]) - (R[m] + shift)) < 1e-8
