#!/usr/bin/python3
"""Regenerate the figures into outputs/figures/ (run by `make figures`).

Figure 1 (best-of-N): score inflation of the listed variant vs the number of
  private variants N, style-neutral voters; with the closed form
  SE × E[max of N standard normals] (SE from the sandwich CIs).
Figure 2 (style sensitivity): decomposition of the listed variant's raw
  inflation into style and selection-on-noise as voters' length sensitivity
  grows; and the share removed by style control.
Figure 3 (Maverick case): raw vs style-controlled rank of every model in the
  default scenario's first replicate.

Each figure's sweep is run with bin/arenasim when its result file is missing
or older than its config. Needs Debian's python3-matplotlib, -h5py, -scipy.
"""
import os
import pathlib
import subprocess
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy import integrate, stats

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "analysis"))
from arenasim_h5 import Result  # noqa: E402

BIN = ROOT / "bin" / "arenasim"
OUT = ROOT / "outputs"
FIG = OUT / "figures"


def run(config, name):
    cfg, h5 = ROOT / config, OUT / f"{name}.h5"
    if not h5.exists() or h5.stat().st_mtime < cfg.stat().st_mtime:
        subprocess.run([str(BIN), "run", str(cfg), "-o", str(h5)], check=True)
    return Result(h5)


def expected_max(n):
    f = lambda x: x * n * stats.norm.pdf(x) * stats.norm.cdf(x) ** (n - 1)
    return integrate.quad(f, -12, 12)[0]


def fig_best_of_n():
    r = run("configs/figures/fig-best-of-n.yaml", "fig-best-of-n")
    n = r.axis_values("gaming[gamer].variants")
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for est, marker, dx in (("bt", "o", -0.25), ("bt_style", "s", 0.25)):
        m = r.summary("score_inflation_mean", estimator=est, vendor="gamer")
        se = r.summary("score_inflation_se", estimator=est, vendor="gamer")
        ax.errorbar(n + dx, m, yerr=2 * se, marker=marker, ls="", capsize=3,
                    label=f"{est} (mean ± 2 se)")
    lo = r.results("ci_lo", estimator="bt", model="gamer-base (listed)")
    hi = r.results("ci_hi", estimator="bt", model="gamer-base (listed)")
    se_variant = np.nanmean((hi - lo) / (2 * stats.norm.ppf(0.975)), axis=1)
    grid = np.arange(1, int(n.max()) + 1)
    ax.plot(grid, np.interp(grid, n, se_variant) * [expected_max(k) for k in grid], "k-",
            lw=1, label="SE × E[max of N normals]")
    ax.set_xlabel("private variants tested (N)")
    ax.set_ylabel("score inflation vs field (arena points)")
    ax.set_title("Selection on noise alone")
    ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(FIG / "fig1_best_of_n.png", dpi=150)


def fig_style_sensitivity():
    r = run("configs/figures/fig-style-sensitivity.yaml", "fig-style-sensitivity")
    beta = r.axis_values("voters.beta_mean.tokens")
    style = r.summary("style_gain_mean", vendor="gamer")
    sel = r.summary("selection_on_noise_mean", vendor="gamer")
    gain = r.summary("real_gain_mean", vendor="gamer")
    share = r.summary("share_removed", vendor="gamer")
    lo, hi = r.summary("share_removed_ci_lo", vendor="gamer"), r.summary("share_removed_ci_hi", vendor="gamer")
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    w = 0.8 * (beta[1] - beta[0]) if len(beta) > 1 else 0.1
    a.bar(beta, gain, w, label="real gain")
    a.bar(beta, sel, w, bottom=gain, label="selection on noise (+ uncontrolled emoji)")
    a.bar(beta, style, w, bottom=gain + sel, label="style (removed by style control)")
    a.set_xlabel("voters' mean length sensitivity β̄_tokens")
    a.set_ylabel("listed raw score − θ̃_base, vs field (points)")
    a.legend(frameon=False, fontsize=7)
    b.errorbar(beta, share, yerr=[share - lo, hi - share], marker="o", capsize=3)
    b.set_xlabel("β̄_tokens")
    b.set_ylabel("share of inflation removed (vs field)")
    b.set_ylim(-0.1, 1.05)
    fig.tight_layout()
    fig.savefig(FIG / "fig2_style_sensitivity.png", dpi=150)


def fig_maverick():
    r = run("configs/default.yaml", "default")
    raw = r.results("rank", estimator="bt")[0, 0]
    sty = r.results("rank", estimator="bt_style")[0, 0]
    names = r.axes["model"]
    ok = (raw > 0) & (sty > 0)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(raw[ok], sty[ok], s=12)
    for i in np.flatnonzero(ok):
        if "(" in names[i] or raw[i] <= 3:
            ax.annotate(names[i], (raw[i], sty[i]), fontsize=7)
    lim = max(raw.max(), sty.max()) + 1
    ax.plot([0, lim], [0, lim], "k:", lw=0.8)
    ax.set_xlabel("rank, raw BT")
    ax.set_ylabel("rank, style control")
    ax.set_title("Default scenario, replicate 0")
    fig.tight_layout()
    fig.savefig(FIG / "fig3_maverick_ranks.png", dpi=150)


def main():
    FIG.mkdir(parents=True, exist_ok=True)
    fig_best_of_n()
    fig_style_sensitivity()
    if (ROOT / "configs" / "default.yaml").exists():
        fig_maverick()
    print(f"figures written to {FIG}")


if __name__ == "__main__":
    main()
