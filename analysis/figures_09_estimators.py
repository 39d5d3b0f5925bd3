#!/usr/bin/python3
"""Figure 9, estimators: (a) Kendall τ between each leaderboard and the true
order vs votes per model, for online Elo (K = 4, in battle order),
Bradley-Terry and style-controlled BT; (b) Elo's dependence on battle order:
one replicate's battles (exported by `arenasim battles`) refitted by
`arenasim fit --elo` in shuffled orders, each model's Elo score range, beside
its BT score, which does not depend on the order. Scores: arena points."""
import subprocess

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from figures_common import BIN, load, mean_ci, save

TITLE = "Estimators: agreement with the truth, and Elo's dependence on battle order"
STEM = "fig09_estimators"
CONFIG = "configs/figures/fig09-estimators.yaml"
QUICK = {"replicates": 20, "sweep.axes.0.values": [1000, 5000, 20000, 100000]}
BATTLES = "arena.public_battles"
ORDER_BATTLES, ORDERS, ORDERS_QUICK = 20000, 30, 10
ANCHOR = "m5=1114"


def order_dependence(study, res, orders):
    """Per-model Elo scores over `orders` shuffles of replicate 0's battles at
    the point with ORDER_BATTLES public battles, and BT on two shuffles."""
    p = int(np.argmin(np.abs(res[BATTLES].values - ORDER_BATTLES)))
    cfg = study.config_path(CONFIG, QUICK)
    src = study.runs / "fig09-battles.csv"
    h5 = study.runs / "fig09-estimators.h5"
    if not src.exists() or src.stat().st_mtime < h5.stat().st_mtime:
        subprocess.run([str(BIN), "battles", str(cfg), "-o", str(src), "--point", str(p),
                        "--replicate", "0"], check=True)
    battles = pd.read_csv(src)
    rng = np.random.default_rng(20240814)
    elo, bt = [], []
    for k in range(orders):
        b = battles.iloc[rng.permutation(len(battles))].copy()
        b["tstamp"] = np.arange(len(b))
        path = study.runs / "fig09-shuffled.csv"
        b.to_csv(path, index=False)
        for args, acc in ((["--elo"], elo), ([], bt if k < 2 else None)):
            if acc is None:
                continue
            o = study.runs / "fig09-fit.csv"
            subprocess.run([str(BIN), "fit", str(path), *args, "--anchor", ANCHOR, "-o", str(o), "--force"],
                           check=True, stdout=subprocess.DEVNULL)
            acc.append(pd.read_csv(o).set_index("model")["score"])
    return pd.DataFrame(elo), pd.DataFrame(bt), int(res[BATTLES].values[p])


def compute(study):
    res = load(study.result(CONFIG, QUICK), "results")
    rows = []
    n_models = res.sizes["model"]
    for p in range(res.sizes["point"]):
        votes = 2 * float(res[BATTLES].values[p]) / n_models
        for est in ("elo", "bt", "bt_style"):
            m, ci = mean_ci(res.kendall_tau.isel(point=p).sel(estimator=est).values, 0)
            rows.append(dict(panel="a", series=est, x=votes, value=m, ci_lo=m - ci, ci_hi=m + ci))
    elo, bt, nb = order_dependence(study, res, ORDERS_QUICK if study.quick else ORDERS)
    theta = res.theta.isel(point=0, replicate=0).to_series()
    for m in sorted(elo.columns, key=lambda m: -theta[m]):
        rows.append(dict(panel="b", series=f"elo {m}", x=theta[m], value=elo[m].mean(),
                         ci_lo=elo[m].min(), ci_hi=elo[m].max()))
        rows.append(dict(panel="b", series=f"bt {m}", x=theta[m], value=bt[m].iloc[0],
                         ci_lo=bt[m].min(), ci_hi=bt[m].max()))
    return pd.DataFrame(rows), elo, bt, nb


def draw(study, out):
    t, elo, bt, nb = compute(study)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    names = {"elo": "online Elo (K = 4)", "bt": "Bradley-Terry", "bt_style": "BT + style control"}
    for i, est in enumerate(("elo", "bt", "bt_style")):
        d = t[(t.panel == "a") & (t.series == est)]
        a.errorbar(d.x * (1 + 0.03 * (i - 1)), d.value, yerr=[d.value - d.ci_lo, d.ci_hi - d.value],
                   marker="o^s"[i], capsize=3, label=names[est])
    a.set_xscale("log")
    a.set_xlabel("votes per model")
    a.set_ylabel("Kendall τ, leaderboard vs true order (95 % CI)")
    a.set_title("(a) agreement with the truth")
    a.legend(frameon=False, fontsize=8)
    d = t[t.panel == "b"]
    for i, (pre, mk, lab) in enumerate((("elo ", "o", f"Elo, range over {len(elo)} battle orders"),
                                        ("bt ", "s", "BT (any order)"))):
        e = d[d.series.str.startswith(pre)]
        b.errorbar(np.arange(len(e)) + 0.15 * (i - 0.5), e.value,
                   yerr=[e.value - e.ci_lo, e.ci_hi - e.value], marker=mk, ls="", capsize=3, label=lab)
    models = [s[4:] for s in d.series if s.startswith("elo ")]
    b.set_xticks(range(len(models)), models, fontsize=7)
    b.set_xlabel("model (true order, best first)")
    b.set_ylabel("score (arena points, anchor m5 = 1114)")
    b.set_title(f"(b) one replicate, {nb:,} battles, shuffled")
    b.legend(frameon=False, fontsize=8)
    fig.suptitle(TITLE, fontsize=11)
    fig.tight_layout()
    save(out, STEM, fig, t)
    aa = t[t.panel == "a"]
    hi = aa.x.max()
    tau = {e: aa[(aa.series == e) & (aa.x == hi)].iloc[0] for e in ("elo", "bt", "bt_style")}
    lo = aa.x.min()
    tau_lo = aa[(aa.series == "bt") & (aa.x == lo)].iloc[0]
    spread = (elo.max() - elo.min())
    return (f"With {hi:,.0f} votes per model, Kendall τ to the true order is {tau['bt'].value:.2f} "
            f"for Bradley-Terry, {tau['bt_style'].value:.2f} with style control and "
            f"{tau['elo'].value:.2f} for online Elo (BT: {tau_lo.value:.2f} at {lo:,.0f} votes). "
            f"Refitting one replicate's {nb:,} battles in {len(elo)} shuffled orders moves each "
            f"model's Elo score over a range of {spread.median():.0f} points (median; up to "
            f"{spread.max():.0f}), while BT's scores differ by at most "
            f"{float((bt.max() - bt.min()).max()):.2g} points between orders.")
