#!/usr/bin/python3
"""Figure 5, what style control misses: the share of the listed variant's
score inflation that style control removes vs voters' mean emoji
sensitivity, with the 2024 control set (no emoji) and with emoji added.
Shares are 1 − mean(inflation_style)/mean(inflation_raw), 95 % delta-method CI."""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from figures_common import load, reference, save

TITLE = "What style control misses: emoji"
STEM = "fig05_emoji"
CONFIGS = {"without emoji (2024 set)": "configs/figures/fig05-emoji.yaml",
           "with emoji (2025 set)": "configs/figures/fig05-emoji-controlled.yaml"}
QUICK = {"replicates": 15, "sweep.axes.0.values": [0, 0.5, 1.0], "arena.public_battles": 30000}
BETA = "voters.beta_mean.emoji"


def compute(study):
    rows, ref = [], None
    for label, cfg in CONFIGS.items():
        h5 = study.result(cfg, QUICK)
        s = load(h5, "summary").sel(vendor="gamer")
        ref = reference(s)
        for p in range(s.sizes["point"]):
            sp = s.isel(point=p)
            rows.append(dict(control=label, beta_emoji=float(sp[BETA]),
                             share_removed=float(sp.share_removed),
                             ci_lo=float(sp.share_removed_ci_lo), ci_hi=float(sp.share_removed_ci_hi),
                             inflation_raw=float(sp.score_inflation_mean.sel(estimator="bt")),
                             inflation_style=float(sp.score_inflation_mean.sel(estimator="bt_style"))))
    return pd.DataFrame(rows), ref


def draw(study, out):
    t, ref = compute(study)
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, label in enumerate(CONFIGS):
        d = t[t.control == label]
        ax.errorbar(d.beta_emoji + (i - 0.5) * 0.02, d.share_removed,
                    yerr=[d.share_removed - d.ci_lo, d.ci_hi - d.share_removed],
                    marker="os"[i], capsize=3, label=f"style control {label}")
    ax.set_xlabel("voters' mean emoji sensitivity, mean β_emoji (log-odds per unit g)")
    ax.set_ylabel("share of score inflation removed\n(field-relative, 95 % CI)")
    ax.set_ylim(None, 1.05)
    ax.set_title(TITLE)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    save(out, STEM, fig, t)
    hi = t.beta_emoji.max()
    w0 = t[(t.control == list(CONFIGS)[0]) & (t.beta_emoji == 0)].iloc[0]
    w1 = t[(t.control == list(CONFIGS)[0]) & (t.beta_emoji == hi)].iloc[0]
    e1 = t[(t.control == list(CONFIGS)[1]) & (t.beta_emoji == hi)].iloc[0]
    return (f"Without emoji in the controlled set, the share of the chat-tuned variant's inflation "
            f"that style control removes falls from {w0.share_removed:.2f} with emoji-indifferent "
            f"voters to {w1.share_removed:.2f} [{w1.ci_lo:.2f}, {w1.ci_hi:.2f}] at β̄_emoji = "
            f"{hi:g}; adding emoji to the control restores it to {e1.share_removed:.2f} "
            f"[{e1.ci_lo:.2f}, {e1.ci_hi:.2f}]. Inflation is measured {ref}.")
