#!/usr/bin/python3
"""Figure 2, identical twins: the score gap between two identical public
checkpoints vs votes per checkpoint (the distribution over replicates, its
mean against the closed form σ_gap·√(2/π) with σ_gap from the sandwich CIs),
and how often a gap as large as a reported real case (17 points, 4 models
in between) happens. Points: arena points; votes per checkpoint."""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from figures_common import Z95, load, mean_ci, save

TITLE = "Identical twins: how far apart the leaderboard puts two identical checkpoints"
STEM = "fig02_twins"
CONFIG = "configs/figures/fig02-twins.yaml"
QUICK = {"replicates": 80, "sweep.axes.0.values": [11000, 55000, 220000]}
REAL_GAP, REAL_BETWEEN = 17.0, 4      # 1069 − 1052; models ranked in between


def wilson(k, n):
    """Wilson 95 % interval of a binomial share k/n."""
    p, z = k / n, Z95
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return c - h, c + h


def compute(study):
    res = load(study.result(CONFIG, QUICK), "results")
    s = res.score.sel(estimator="bt")
    r = res["rank"].sel(estimator="bt")
    rows = []
    for p in range(res.sizes["point"]):
        gap = np.abs(s.isel(point=p).sel(model="twin-a") - s.isel(point=p).sel(model="twin-b")).values
        between = np.abs(r.isel(point=p).sel(model="twin-a") - r.isel(point=p).sel(model="twin-b")).values - 1
        votes = float(res.battles.isel(point=p).sel(model=["twin-a", "twin-b"]).mean())
        se = [(res.ci_hi - res.ci_lo).isel(point=p).sel(estimator="bt", model=m).values / (2 * Z95)
              for m in ("twin-a", "twin-b")]
        sd_gap = float(np.sqrt(np.mean(se[0] ** 2 + se[1] ** 2)))
        m, ci = mean_ci(gap, 0)
        add = lambda series, v, lo, hi: rows.append(  # noqa: E731
            dict(votes_per_checkpoint=votes, series=series, value=v, ci_lo=lo, ci_hi=hi))
        add("mean |gap|", m, m - ci, m + ci)
        add("closed form sd_gap*sqrt(2/pi)", sd_gap * np.sqrt(2 / np.pi), np.nan, np.nan)
        for q in (5, 25, 50, 75, 95):
            add(f"|gap| q{q:02d}", np.percentile(gap, q), np.nan, np.nan)
        n = len(gap)
        for series, k in ((f"share |gap| >= {REAL_GAP:g}", np.sum(gap >= REAL_GAP)),
                          (f"share >= {REAL_BETWEEN} models between", np.sum(between >= REAL_BETWEEN))):
            lo, hi = wilson(k, n)
            add(series, k / n, lo, hi)
    return pd.DataFrame(rows)


def draw(study, out):
    t = compute(study)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    v = np.unique(t.votes_per_checkpoint)
    q = {k: t[t.series == f"|gap| q{k:02d}"].value.values for k in (5, 25, 50, 75, 95)}
    a.fill_between(v, q[5], q[95], alpha=0.2, label="5–95 % of replicates")
    a.fill_between(v, q[25], q[75], alpha=0.35, label="25–75 %")
    d = t[t.series == "mean |gap|"]
    a.errorbar(d.votes_per_checkpoint, d.value, yerr=[d.value - d.ci_lo, d.ci_hi - d.value],
               marker="o", capsize=3, ls="", label="mean |gap| (95 % CI)")
    cf = t[t.series.str.startswith("closed form")]
    a.plot(cf.votes_per_checkpoint, cf.value, "k-", lw=1, label="closed form σ_gap·√(2/π)")
    a.axhline(REAL_GAP, color="r", ls="--", lw=1, label="reported real case: 17 points")
    a.set_xscale("log")
    a.set_xlabel("votes per checkpoint")
    a.set_ylabel("|score gap| between twins (arena points)")
    a.set_title("gap between identical checkpoints")
    a.legend(frameon=False, fontsize=7)
    for series, mk in ((f"share |gap| >= {REAL_GAP:g}", "o"),
                       (f"share >= {REAL_BETWEEN} models between", "s")):
        d = t[t.series == series]
        b.errorbar(d.votes_per_checkpoint, d.value, yerr=[d.value - d.ci_lo, d.ci_hi - d.value],
                   marker=mk, capsize=3, label=series.replace("share ", "gap ").replace(">=", "≥"))
    b.set_xscale("log")
    b.set_xlabel("votes per checkpoint")
    b.set_ylabel("share of replicates (95 % Wilson CI)")
    b.set_title("as large as the reported case")
    b.legend(frameon=False, fontsize=7)
    fig.suptitle(TITLE, fontsize=11)
    fig.tight_layout()
    save(out, STEM, fig, t)
    lo_v, hi_v = v.min(), v.max()
    pick = lambda s, vv: t[(t.series == s) & (t.votes_per_checkpoint == vv)].iloc[0]  # noqa: E731
    m0 = pick("mean |gap|", lo_v)
    c0 = pick("closed form sd_gap*sqrt(2/pi)", lo_v)
    p0 = pick(f"share |gap| >= {REAL_GAP:g}", lo_v)
    b0 = pick(f"share >= {REAL_BETWEEN} models between", lo_v)
    p1 = pick(f"share |gap| >= {REAL_GAP:g}", hi_v)
    return (f"Two identical checkpoints with {lo_v:,.0f} votes each are shown {m0.value:.1f} points "
            f"apart on average [{m0.ci_lo:.1f}, {m0.ci_hi:.1f}] (raw BT; a difference needs no "
            f"reference), against {c0.value:.1f} from the closed form σ_gap·√(2/π). A gap of 17 points or more, like the reported 1052 vs 1069, happens in "
            f"{100 * p0.value:.0f} % of replicates [{100 * p0.ci_lo:.0f}–{100 * p0.ci_hi:.0f} %] "
            f"and 4 or more models between them in {100 * b0.value:.0f} %; with {hi_v:,.0f} votes "
            f"each the 17-point gap happens in {100 * p1.value:.1f} %.")
