#!/usr/bin/python3
"""Figure 10, the real leaderboard: the Chatbot Arena table of 2024-08-14
(data/arena/, aggregated counts, 1.67 M votes, 129 models) fitted by
`arenasim fit` (Bradley-Terry, anchor mixtral-8x7b-instruct-v0.1 = 1114,
bootstrap CIs): the top models' scores with 95 % CIs and displayed ranks
(1 + models whose CI lies wholly above). Scores: arena points."""
import matplotlib.pyplot as plt
import numpy as np
import yaml

from figures_common import ROOT, save

TITLE = "The real arena, 2024-08-14: scores and displayed ranks fitted by arenasim"
STEM = "fig10_real_leaderboard"
CONFIG = "configs/figures/fig10-real-leaderboard.yaml"


def spec():
    return yaml.safe_load((ROOT / CONFIG).read_text())


def compute(study):
    s = spec()
    args = [str(a) for a in s["fit"]["args"]]
    if study.quick:      # fewer bootstrap rounds
        i = args.index("--bootstrap")
        args[i + 1] = "50"
    t = study.fit(s["fit"]["data"], args, "fig10-real-leaderboard")
    t = t.sort_values(["rank", "model"]).reset_index(drop=True)
    return t.head(int(s["show"])), t, s


def draw(study, out):
    top, full, s = compute(study)
    fig, ax = plt.subplots(figsize=(7, 8))
    y = np.arange(len(top))
    ax.errorbar(top.score, y, xerr=[top.score - top.ci_lo, top.ci_hi - top.score], fmt="o",
                capsize=2, ms=3)
    ax.set_yticks(y, [f"{m}  (#{d})" for m, d in zip(top.model, top.displayed_rank)], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("score (arena points, mixtral-8x7b-instruct-v0.1 = 1114; 95 % bootstrap CI)")
    ax.set_ylabel("model (displayed rank)")
    ax.set_title(TITLE, fontsize=9)
    fig.tight_layout()
    save(out, STEM, fig, top)
    top3 = list(top.model[:3])
    n1 = int(np.sum(full.displayed_rank == 1))
    votes = int(full.battles.sum() // 2)
    match = "the arena's published order" if top3 == s["published_top3"] else \
        f"NOT the published {', '.join(s['published_top3'])}"
    return (f"Fitted on the {votes:,} real votes among {len(full)} models, the top three are "
            f"{', '.join(top3)} ({match}), with {top.score[0]:.0f} points at the top "
            f"[{top.ci_lo[0]:.0f}, {top.ci_hi[0]:.0f}]. {n1} model(s) share displayed rank #1, "
            f"and the {len(top)} models shown span {top.score.iloc[0] - top.score.iloc[-1]:.0f} "
            f"points (anchor mixtral-8x7b-instruct-v0.1 = 1114, as the arena's page shows it).")
