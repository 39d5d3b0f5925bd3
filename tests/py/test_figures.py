"""`make figures QUICK=1` end to end: every figure is drawn from reduced runs
(analysis/figures.py --quick into a temporary directory, ~1 min of CPU), its
PNG, PDF and CSV are written and non-empty, the captions carry the run's
numbers and their reference, and each figure's claim holds on the numbers
it plots (its CSV).

Tolerances: the CSVs carry 95 % CIs (1.96 standard errors over replicates,
or Wilson intervals for shares), so SE = half-width / 1.96; a claim "a > b"
is asserted as a − b > 2 (or 3) combined SEs, "a = closed form" as within 3
SEs. Seeds are fixed, so the outcome is the same on every run."""
import math
import os
import pathlib
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "analysis"))
import figures_common  # noqa: E402

STEMS = ["fig01_best_of_n", "fig02_twins", "fig03_style_sensitivity", "fig04_maverick",
         "fig05_emoji", "fig06_heatmap", "fig07_fresh", "fig08_share", "fig09_estimators",
         "fig10_real_leaderboard", "fig11_policies"]
Z = 1.959963984540054


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    d = tmp_path_factory.mktemp("figures")
    subprocess.run([sys.executable, str(ROOT / "analysis" / "figures.py"), "--quick", "--out", str(d)],
                   check=True, timeout=900, cwd=ROOT)
    return d


def csv(out, stem):
    return pd.read_csv(out / f"{stem}.csv")


def se(row_or_df):
    return (row_or_df.ci_hi - row_or_df.ci_lo) / (2 * Z)


def z_greater(a, b):
    """(a − b) in units of their combined standard error (rows with value, ci_lo, ci_hi)."""
    return (a.value - b.value) / math.hypot(se(a), se(b))


@pytest.mark.parametrize("stem", STEMS)
def test_files_written(out, stem):
    for ext in ("png", "pdf", "csv"):
        p = out / f"{stem}.{ext}"
        assert p.exists() and p.stat().st_size > 0, p
    assert len(csv(out, stem)) > 0
    assert (out / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / f"{stem}.pdf").read_bytes()[:5] == b"%PDF-"


def test_captions(out):
    text = (out / "captions.md").read_text()
    sections = text.split("\n## Figure ")[1:]
    assert len(sections) == len(STEMS)
    for stem, sec in zip(STEMS, sections):
        assert f"({stem}.png)" in sec
        body = sec.split(")\n\n", 1)[1].split(" *(")[0]
        assert "QUICK" in sec
        assert any(ch.isdigit() for ch in body), stem
        assert 2 <= body.count(". ") + 1 <= 4, (stem, body)   # two or three sentences
    # every figure with a score-inflation number says what it is measured against
    for stem, sec in zip(STEMS, sections):
        if stem in ("fig01_best_of_n", "fig03_style_sensitivity", "fig05_emoji",
                    "fig06_heatmap", "fig07_fresh", "fig11_policies"):
            assert "relative to the" in sec, stem


def test_fig01_identical_variants_follow_closed_form(out):
    t = csv(out, "fig01_best_of_n")
    cf = t[t.series == "closed form"].set_index("N")["mean"]
    ident = t[(t.variants_differ_sd == 0) & (t.series == "inflation bt")]
    assert len(ident) >= 3
    for _, r in ident.iterrows():
        assert abs(r["mean"] - cf[r.N]) <= 3 * r.ci95 / Z, r
    # selection on noise grows with N: the largest N is above N = 1
    lo, hi = ident.iloc[0], ident.iloc[-1]
    assert hi["mean"] - lo["mean"] > 3 * math.hypot(hi.ci95, lo.ci95) / Z
    # differing variants: the vendor gains more over its base than identical ones inflate
    n = ident.N.max()
    g = t[(t.variants_differ_sd > 0) & (t.N == n) & (t.series == "gain over base bt")].iloc[0]
    assert g["mean"] - hi["mean"] > 3 * math.hypot(g.ci95, hi.ci95) / Z


def test_fig02_twin_gap_matches_closed_form_and_shrinks(out):
    t = csv(out, "fig02_twins")
    m = t[t.series == "mean |gap|"].sort_values("votes_per_checkpoint")
    cf = t[t.series.str.startswith("closed form")].sort_values("votes_per_checkpoint")
    for (_, a), (_, c) in zip(m.iterrows(), cf.iterrows()):
        assert abs(a.value - c.value) <= 3 * se(a), (a, c)
    assert z_greater(m.iloc[0], m.iloc[-1]) > 3
    share = t[t.series == "share |gap| >= 17"].sort_values("votes_per_checkpoint")
    assert share.value.iloc[0] > share.value.iloc[-1]


def test_fig03_real_gain_visible_and_style_grows(out):
    t = csv(out, "fig03_style_sensitivity")
    g = t[t.series == "real_gain"]
    assert (g.ci_lo > 0).all(), "real-gain bars must be visible (tune_mean > 0)"
    s = t[t.series == "style_gain"].sort_values("beta_tokens")
    assert z_greater(s.iloc[-1], s.iloc[0]) > 3
    sh = t[t.series == "share_removed"].sort_values("beta_tokens")
    assert z_greater(sh.iloc[-1], sh.iloc[0]) > 3


def test_fig04_maverick_ranks_in_published_order(out):
    t = csv(out, "fig04_maverick")
    med = t.groupby("series")["rank"].median()
    assert med["listed, raw BT"] <= 3
    assert med["listed, raw BT"] < med["listed, style control"] < med["released, raw BT"]
    assert med["listed, style control"] < med["listed, true rank"]
    assert 28 <= med["released, raw BT"] <= 36


def test_fig05_emoji_control_restores_share(out):
    t = csv(out, "fig05_emoji").rename(columns={"share_removed": "value"})
    without = t[t.control.str.startswith("without")].sort_values("beta_emoji")
    withe = t[t.control.str.startswith("with ")].sort_values("beta_emoji")
    assert z_greater(without.iloc[0], without.iloc[-1]) > 3
    assert z_greater(withe.iloc[-1], without.iloc[-1]) > 3


def test_fig06_heatmap_complete_and_n_matters(out):
    t = csv(out, "fig06_heatmap").rename(columns={"share_removed": "value"})
    assert len(t) == t.N.nunique() * t.beta_tokens.nunique()
    assert (t.ci_lo <= t.value).all() and (t.value <= t.ci_hi).all()
    b = t[t.beta_tokens == t.beta_tokens.min()].sort_values("N")
    assert z_greater(b.iloc[0], b.iloc[-1]) > 2    # selection on noise grows with N


def test_fig07_fresh_votes_remove_the_bias(out):
    t = csv(out, "fig07_fresh").rename(columns={"selection_on_noise": "value"})
    keep = t[t.listed_votes == "keep"].sort_values("fresh_votes")
    assert z_greater(keep.iloc[0], keep.iloc[-1]) > 3          # bias falls with fresh votes
    assert (np.diff(keep.value) < 0).all()
    for _, r in t[t.listed_votes == "fresh"].iterrows():
        assert abs(r.value) <= 3 * se(r), r                    # fresh-only: unbiased


def test_fig08_share_buys_rank(out):
    t = csv(out, "fig08_share").rename(columns={"rank_advantage": "value"})
    bt = t[t.estimator == "bt"].sort_values("testing_share")
    assert z_greater(bt.iloc[-1], bt.iloc[0]) > 3
    assert (np.diff(bt.testing_share) > 0).all() and bt.testing_share.max() < 1


def test_fig09_estimators(out):
    t = csv(out, "fig09_estimators")
    a = t[t.panel == "a"]
    bt = a[a.series == "bt"].sort_values("x")
    sty = a[a.series == "bt_style"].sort_values("x")
    assert z_greater(sty.iloc[-1], sty.iloc[0]) > 3             # τ rises with votes
    assert sty.value.iloc[-1] >= bt.value.iloc[-1]               # raw BT also ranks style
    b = t[t.panel == "b"]
    elo, btb = b[b.series.str.startswith("elo ")], b[b.series.str.startswith("bt ")]
    assert np.median(elo.ci_hi - elo.ci_lo) > 1.0                # Elo depends on battle order
    assert np.max(np.abs(btb.ci_hi - btb.ci_lo)) < 1e-6          # BT does not


def test_fig10_real_top_three(out):
    t = csv(out, "fig10_real_leaderboard")
    assert list(t.model[:3]) == ["chatgpt-4o-latest", "gemini-1.5-pro-exp-0801",
                                 "gpt-4o-2024-05-13"]
    assert (np.diff(t.score) <= 0).all()
    assert ((t.ci_lo <= t.score) & (t.score <= t.ci_hi)).all()
    assert (t.displayed_rank <= t["rank"]).all()


# Figure 11. The game picks the best mean payoff, and strategies within
# game.tie_se = 1 SE of it are near-ties that go to the cheapest, so which N
# (and, under style control, which style) the vendor picks is often a
# near-tie decided by the seed. The claims are therefore stated on the
# differences that explain the choices, from the "strategy" rows (every
# strategy's payoff and inflation with 95 % CIs). Each strategy is its own
# sweep point, and points draw independent random streams (seed, point,
# replicate), so the SE of a difference is the two SEs in quadrature.
# Thresholds: "a > b" is a − b > 3 SE (a false failure when the effect is
# exactly absent: 0.13 %); "a ≈ b" is |a − b| ≤ 3 SE (0.27 %); "a does
# not pay" is a − b < 3 SE. The QUICK size of figures_11_policies.py is
# chosen so that the real effects sit far enough above these thresholds to
# pass for any seed (its docstring gives the power).

def fig11(out):
    t = csv(out, "fig11_policies")
    pols = list(dict.fromkeys(t.policy))
    assert len(pols) == 4, pols
    return t, pols


def fig11_policy(pols, fresh, board):
    return next(p for p in pols if f"fresh_votes={fresh}" in p and p.endswith(f"board={board}"))


def fig11_diff(t, pol, est, col, a, b):
    """(value at strategy a) − (value at strategy b), a and b = (N, style), of
    column col ("payoff" or "inflation") under policy pol, and its SE."""
    s = t[(t.kind == "strategy") & (t.policy == pol) & (t.estimator == est)]
    s = s.set_index(["N", "style_intensity"])
    lo, hi = ("payoff_ci_lo", "payoff_ci_hi") if col == "payoff" else ("ci_lo", "ci_hi")
    ra, rb = s.loc[a], s.loc[b]
    return ra[col] - rb[col], math.hypot(ra[hi] - ra[lo], rb[hi] - rb[lo]) / (2 * Z)


def test_fig11_strategy_rows_are_the_games_payoffs(out):
    t, pols = fig11(out)
    e, s = t[t.kind == "equilibrium"], t[t.kind == "strategy"]
    assert (e.status == 0).all()                                  # an equilibrium for each policy
    assert len(s) == len(pols) * 2 * s.N.nunique() * s.style_intensity.nunique()
    for (pol, est), g in s.groupby(["policy", "estimator"]):
        c = g[g.chosen == 1]
        assert len(c) == 1, (pol, est)
        r = e[(e.policy == pol) & (e.estimator == est)].iloc[0]
        for col in ("N", "style_intensity", "payoff", "payoff_ci_lo", "payoff_ci_hi", "inflation"):
            assert c[col].iloc[0] == r[col], (pol, est, col)
        # the game's rule: no strategy beats the choice by more than tie_se = 1 combined SE
        # (1e-3: the CSV's 6 significant digits)
        for _, o in g.iterrows():
            d, sd = fig11_diff(t, pol, est, "payoff", (o.N, o.style_intensity),
                               (c.N.iloc[0], c.style_intensity.iloc[0]))
            assert d <= 1 * sd + 1e-3, (pol, o)


def test_fig11_payoffs_are_the_games_own(out):
    """The strategy rows read /summary/payoff_mean and payoff_se: the mean and
    SE over replicates of /results/payoff, and at each policy's equilibrium
    exactly the payoff /game reports."""
    with h5py.File(out / "runs-quick" / "fig11-policies.h5", "r") as f:
        pay, pm, pse = (f[k][()] for k in ("results/payoff", "summary/payoff_mean", "summary/payoff_se"))
        point, gm = f["game/point"][()], f["game/payoff_mean"][()]
    n = pay.shape[1]
    np.testing.assert_allclose(pay.mean(axis=1), pm, rtol=0, atol=1e-9)
    np.testing.assert_allclose(pay.std(axis=1, ddof=1) / math.sqrt(n), pse, rtol=0, atol=1e-9)
    assert (point >= 0).all()
    np.testing.assert_array_equal(gm, pm[point])                  # bit for bit


def test_fig11_style_pays_only_on_the_raw_board(out):
    t, pols = fig11(out)
    for fresh in ("false", "true"):
        raw, sty = fig11_policy(pols, fresh, "bt"), fig11_policy(pols, fresh, "bt_style")
        for n in sorted(set(t.N)):
            d, sd = fig11_diff(t, raw, "bt", "payoff", (n, 1), (n, 0))
            assert d > 3 * sd, (raw, n, d, sd)                    # the tuned style pays ...
            d, sd = fig11_diff(t, sty, "bt", "payoff", (n, 1), (n, 0))
            assert d < 3 * sd, (sty, n, d, sd)                    # ... not under style control
        # far from a near-tie (> 3 SE against the rule's 1 SE), so the choice is asserted
        assert t[(t.kind == "equilibrium") & (t.policy == raw)].style_intensity.eq(1).all()


def fig11_pooled(t, pols, fresh, n0, n1):
    """Style-controlled inflation at (n1, style 0) − at (n0, style 0), averaged
    over the two boards of one vote policy, and its SE. The board shown
    (game.board) enters only the payoff, not the votes or the fits, so the two
    policies are independent replicates of the same selection; pooling them
    halves the variance of the estimate."""
    ds = [fig11_diff(t, fig11_policy(pols, fresh, b), "bt_style", "inflation", (n1, 0), (n0, 0))
          for b in ("bt", "bt_style")]
    return (ds[0][0] + ds[1][0]) / 2, math.hypot(ds[0][1], ds[1][1]) / 2


def test_fig11_selection_on_noise_and_fresh_votes(out):
    t, pols = fig11(out)
    n0, n1 = t.N.min(), t.N.max()
    # keeping the testing votes: best of n1 inflates the style-controlled score (selection on noise)
    d, sd = fig11_pooled(t, pols, "false", n0, n1)
    assert d > 3 * sd, (d, sd)
    # fresh votes: none of it is left, at either N and at the best response
    d, sd = fig11_pooled(t, pols, "true", n0, n1)
    assert abs(d) <= 3 * sd, (d, sd)
    fresh = fig11_policy(pols, "true", "bt_style")
    r = t[(t.kind == "equilibrium") & (t.policy == fresh) & (t.estimator == "bt_style")].iloc[0]
    assert abs(r.inflation) <= 3 * se(r), r


def test_loader_matches_h5py(out):
    h5 = next((out / "runs-quick").glob("fig07-fresh.h5"))
    for group in ("results", "summary"):
        ds = figures_common.load(h5, group)
        with h5py.File(h5, "r") as f:
            for name, d in f[group].items():
                assert list(ds[name].dims) == d.attrs["dims"].split(",")
                raw = d[()]
                if raw.dtype.kind in "SO":                 # labels (dimension scales): text
                    raw = np.array([x.decode() if isinstance(x, bytes) else x for x in raw])
                np.testing.assert_array_equal(ds[name].values, raw)
            models = [m.decode() for m in f[group]["model"][()]]
        assert list(ds.model.values) == models
    assert list(ds["gaming[gamer].listed_votes"].values) == ["keep"] * 3 + ["fresh"] * 3


def test_up_to_date_results_are_not_rerun(out):
    fit = out / "runs-quick" / "fig10-real-leaderboard.csv"
    before = fit.stat().st_mtime_ns
    subprocess.run([sys.executable, str(ROOT / "analysis" / "figures.py"), "--quick", "--out",
                    str(out), "--only", "fig10"], check=True, timeout=300, cwd=ROOT,
                   capture_output=True)
    assert fit.stat().st_mtime_ns == before
    os.utime(fit, ns=(0, 0))                                     # older than the data: rerun
    subprocess.run([sys.executable, str(ROOT / "analysis" / "figures.py"), "--quick", "--out",
                    str(out), "--only", "fig10"], check=True, timeout=300, cwd=ROOT,
                   capture_output=True)
    assert fit.stat().st_mtime_ns > 0
    # redrawing one figure keeps the other captions
    assert (out / "captions.md").read_text().count("\n## Figure ") == len(STEMS)
