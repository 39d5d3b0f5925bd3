#!/usr/bin/python3
"""Figure 11, policies: at a strategic vendor's best response under each
arena policy (from /game, written by `arenasim run` for a config with a
game: block), the listed model's score inflation on the raw and the
style-controlled board (95 % CI over the replicates of the equilibrium's
sweep point), the chosen number of variants N and style intensity, and the
vendor's payoff. Points: arena points."""
import h5py
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from figures_common import _text, load, mean_ci, reference, save

TITLE = "Policies: inflation left once the vendor best-responds"
STEM = "fig11_policies"
CONFIG = "configs/figures/fig11-policies.yaml"
QUICK = {"replicates": 12, "arena.public_battles": 20000, "sweep.axes.2.values": [1, 20]}


def compute(study):
    h5 = study.result(CONFIG, QUICK)
    res = load(h5, "results")
    with h5py.File(h5, "r") as f:
        g = f["game"]
        policies = [_text(x) for x in g["policy"][()]]
        vendors = [_text(x) for x in g["vendor"][()]]
        v = vendors.index("gamer")
        game = {k: g[k][()] for k in ("point", "status", "variants", "style_intensity",
                                      "testing_votes", "payoff_mean", "payoff_ci_lo", "payoff_ci_hi")}
    rows = []
    for i, pol in enumerate(policies):
        p = int(game["point"][i])
        for est in ("bt", "bt_style"):
            if p < 0:
                m = ci = np.nan
            else:
                m, ci = mean_ci(res.score_inflation.isel(point=p).sel(estimator=est, vendor="gamer").values, 0)
            rows.append(dict(policy=pol, status=int(game["status"][i]), N=game["variants"][i, v],
                             style_intensity=game["style_intensity"][i, v],
                             testing_votes=game["testing_votes"][i, v], estimator=est,
                             inflation=m, ci_lo=m - ci, ci_hi=m + ci,
                             payoff=game["payoff_mean"][i, v], payoff_ci_lo=game["payoff_ci_lo"][i, v],
                             payoff_ci_hi=game["payoff_ci_hi"][i, v]))
    return pd.DataFrame(rows), reference(res)


def short(policy):
    return (policy.replace("policy.fresh_votes=", "fresh votes: ").replace("game.board=", "board: ")
            .replace(", ", "\n"))


def draw(study, out):
    t, ref = compute(study)
    pols = list(dict.fromkeys(t.policy))
    x = np.arange(len(pols))
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [3, 2]})
    for j, est in enumerate(("bt", "bt_style")):
        d = t[t.estimator == est].set_index("policy").loc[pols]
        a.bar(x + (j - 0.5) * 0.38, d.inflation, 0.38, yerr=[d.inflation - d.ci_lo, d.ci_hi - d.inflation],
              capsize=3, label={"bt": "raw BT", "bt_style": "style control"}[est])
    d = t[t.estimator == "bt"].set_index("policy").loc[pols]
    top = t.groupby("policy").ci_hi.max().loc[pols]
    for i, pol in enumerate(pols):
        a.annotate(f"N = {d.N[pol]:.0f}\nstyle {d.style_intensity[pol]:.0f}", (x[i], top[pol]),
                   ha="center", va="bottom", fontsize=7)
    a.axhline(0, color="k", lw=0.5)
    a.set_xticks(x, [short(p) for p in pols], fontsize=7)
    a.set_ylabel("listed model: score − true score, vs field\n(arena points, 95 % CI)")
    a.set_xlabel("arena policy (vendor's best response above the bars)")
    a.set_title("inflation at the best response")
    a.legend(frameon=False, fontsize=8)
    b.errorbar(x, d.payoff, yerr=[d.payoff - d.payoff_ci_lo, d.payoff_ci_hi - d.payoff], marker="o",
               ls="", capsize=3)
    b.set_xticks(x, [short(p) for p in pols], fontsize=7)
    b.set_ylabel("vendor's payoff: board score − costs (points, 95 % CI)")
    b.set_title("what gaming pays")
    fig.suptitle(TITLE, fontsize=11)
    fig.tight_layout()
    save(out, STEM, fig, t)
    s = t[t.estimator == "bt_style"].set_index("policy")
    r = t[t.estimator == "bt"].set_index("policy")
    p0 = next(p for p in pols if "fresh_votes=false" in p and "board=bt" in p and "bt_style" not in p)
    p1 = next(p for p in pols if "fresh_votes=false" in p and "bt_style" in p)
    p2 = next(p for p in pols if "fresh_votes=true" in p and "bt_style" in p)
    return (f"When the arena shows raw BT the vendor's best response is N = {r.N[p0]:.0f} with style "
            f"intensity {r.style_intensity[p0]:.0f}, inflating its listed model by "
            f"{r.inflation[p0]:+.1f} points; with the style-controlled board it drops the tuned style "
            f"(intensity {s.style_intensity[p1]:.0f}) and tests N = {s.N[p1]:.0f} variants instead, "
            f"leaving {s.inflation[p1]:+.1f} [{s.ci_lo[p1]:+.1f}, {s.ci_hi[p1]:+.1f}] points of "
            f"selection on noise. Adding fresh-vote re-rating makes testing worthless (N = "
            f"{s.N[p2]:.0f}) and leaves {s.inflation[p2]:+.1f} [{s.ci_lo[p2]:+.1f}, "
            f"{s.ci_hi[p2]:+.1f}] (inflation {ref}).")
