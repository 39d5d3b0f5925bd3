#!/usr/bin/python3
"""Figure 4, the Maverick case (configs/default.yaml): raw, style-controlled
and true rank of the listed chat-tuned variant and the raw rank of the
released model, as distributions over replicates, beside the published
numbers (#2 raw, about #5 under style control, about #32 released). Ranks:
positions, 1 = top."""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from figures_common import load, save

TITLE = "The Maverick case: simulated ranks beside the published ones"
STEM = "fig04_maverick"
CONFIG = "configs/figures/fig04-maverick.yaml"
QUICK = {"replicates": 12, "leaderboard.estimators": ["bt", "bt_style"],
         "leaderboard.neutral_rerun": False}
PUBLISHED = {"listed, raw BT": 2, "listed, style control": 5, "listed, true rank": np.nan,
             "released, raw BT": 32}


def compute(study):
    res = load(study.result(CONFIG, QUICK), "results")
    models = list(res.model.values)
    listed = next(m for m in models if m.endswith("(listed)"))
    released = next(m for m in models if m.endswith("(released)"))
    series = {
        "listed, raw BT": res["rank"].sel(estimator="bt", model=listed),
        "listed, style control": res["rank"].sel(estimator="bt_style", model=listed),
        "listed, true rank": res.true_rank.sel(model=listed),
        "released, raw BT": res["rank"].sel(estimator="bt", model=released),
    }
    rows = []
    for name, da in series.items():
        for rep, v in enumerate(da.isel(point=0).values):
            rows.append(dict(series=name, replicate=rep, rank=int(v), published=PUBLISHED[name]))
    return pd.DataFrame(rows), len(models)


def draw(study, out):
    t, n_models = compute(study)
    names = list(PUBLISHED)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    data = [t[t.series == s]["rank"].values for s in names]
    ax.boxplot(data, whis=(5, 95), showfliers=True, labels=[s.replace(", ", "\n") for s in names])
    for i, s in enumerate(names):
        x = np.random.default_rng(i).uniform(-0.12, 0.12, len(data[i])) + i + 1
        ax.plot(x, data[i], ".", alpha=0.35, color="C0")
        if np.isfinite(PUBLISHED[s]):
            ax.plot(i + 1.3, PUBLISHED[s], "r*", ms=12, label="published" if i == 0 else None)
    ax.invert_yaxis()
    ax.set_ylabel("leaderboard rank (1 = top; box 25–75 %, whiskers 5–95 %)")
    ax.set_title(TITLE, fontsize=10)
    ax.legend(frameon=False)
    fig.tight_layout()
    save(out, STEM, fig, t)
    med = {s: np.median(t[t.series == s]["rank"]) for s in names}
    q = {s: np.percentile(t[t.series == s]["rank"], [5, 95]) for s in names}
    nrep = int(t.replicate.max()) + 1
    return (f"Over {nrep} replicates of the April 2025 scenario the listed chat-tuned variant ranks "
            f"#{med['listed, raw BT']:.0f} raw [90 %: {q['listed, raw BT'][0]:.0f}–"
            f"{q['listed, raw BT'][1]:.0f}] (published #2) and #{med['listed, style control']:.0f} "
            f"under style control (published about #5), against a true rank of "
            f"#{med['listed, true rank']:.0f}. The plainer released model ranks "
            f"#{med['released, raw BT']:.0f} [{q['released, raw BT'][0]:.0f}–"
            f"{q['released, raw BT'][1]:.0f}] (published about #32); ranks need no score reference.")
