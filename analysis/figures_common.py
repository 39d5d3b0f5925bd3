#!/usr/bin/python3
"""Shared machinery of the paper figures (analysis/figures.py drives them).

- `load(h5, group)`: an xarray.Dataset of /results or /summary with named
  dimensions (from each dataset's `dims` attribute), the labels of /axes as
  coordinates, and every sweep axis's values as a coordinate along `point`.
- `Study`: where a figure's config, reduced (QUICK) config and result file
  live, and `Study.result(...)`, which runs `bin/arenasim run` when the result
  is missing or older than the config or the binary (what `make` would do).
- `save(...)`: writes a figure as PNG and PDF and the plotted numbers as CSV.

Units: scores and inflation in arena points (P(A beats B) = 1/(1 +
10^((R_B − R_A)/400))), ranks as positions (1 = top), shares in [0, 1].
Needs Debian's python3-h5py, -numpy, -scipy, -matplotlib, -xarray, -pandas, -yaml.
"""
import copy
import os
import pathlib
import subprocess

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402
import yaml  # noqa: E402
from scipy import integrate, stats  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(os.environ.get("ARENASIM_BIN", ROOT / "bin" / "arenasim"))
Z95 = stats.norm.ppf(0.975)


def _text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def load(path, group="summary"):
    """/results or /summary of a result file as an xarray.Dataset with
    labelled dimensions (point, replicate, estimator, model, vendor, feature);
    sweep axes are coordinates along `point` named by their config path."""
    with h5py.File(path, "r") as f:
        ds = xr.Dataset()
        for name, d in f[group].items():
            if not isinstance(d, h5py.Dataset):
                continue
            dims = _text(d.attrs["dims"]).split(",")
            ds[name] = xr.DataArray(d[()], dims=dims,
                                    attrs={"description": _text(d.attrs.get("description", ""))})
        for axis in f["axes"]:
            if axis in ds.dims:
                ds.coords[axis] = [_text(x) for x in f["axes"][axis][()]]
        names = [_text(x) for x in f["sweep/axis_names"][()]]
        numeric = f["sweep/values_numeric"][()]
        text = f["sweep/values"][()]
        for i, name in enumerate(names):
            col = numeric[:, i]
            ds.coords[name] = ("point", col if np.all(np.isfinite(col))
                               else np.array([_text(v) for v in text[:, i]]))
        ds.attrs["config"] = _text(f["config"].attrs["yaml"])
        ds.attrs["field_relative"] = int("score_inflation_anchor" in f["results"])
    return ds


def reference(ds):
    """Which reference a file's score_inflation / decomposition use, in words
    (the field-relative measure of issue 13 when the file has it)."""
    if ds.attrs.get("field_relative"):
        return "relative to the field (median displacement of the public models)"
    anchor = yaml.safe_load(ds.attrs["config"]).get("leaderboard", {}).get("anchor")
    if anchor:
        return f"relative to the anchor ({anchor['model']} = {anchor['score']:g})"
    return "relative to the mean of the shown models"


def expected_max(n):
    """E[max of n independent standard normals] (numerical integral)."""
    f = lambda x: x * n * stats.norm.pdf(x) * stats.norm.cdf(x) ** (n - 1)  # noqa: E731
    return integrate.quad(f, -12, 12)[0]


def set_path(cfg, dotted, value):
    """cfg['a']['b'][0]['c'] = value for dotted 'a.b.0.c' (integers index lists)."""
    keys = [int(k) if k.isdigit() else k for k in dotted.split(".")]
    node = cfg
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value


class Study:
    """One figure's simulation: its config in configs/figures/, its result
    file in OUT/runs/ (full size) or OUT/runs-quick/ (QUICK, reduced by the
    overrides `quick`, a dict of dotted config paths → values)."""

    def __init__(self, out, quick, log=print):
        self.out, self.quick, self.log = pathlib.Path(out), quick, log
        self.runs = self.out / ("runs-quick" if quick else "runs")
        self.runs.mkdir(parents=True, exist_ok=True)

    def config_path(self, config, overrides):
        src = ROOT / config
        if not self.quick or not overrides:
            return src
        cfg = yaml.safe_load(src.read_text())
        cfg = copy.deepcopy(cfg)
        for k, v in overrides.items():
            set_path(cfg, k, v)
        dst = self.runs / src.name
        text = f"# QUICK reduction of {config} (analysis/figures.py); do not edit\n" + \
            yaml.safe_dump(cfg, sort_keys=False)
        if not dst.exists() or dst.read_text() != text:   # keep mtime when unchanged
            dst.write_text(text)
        return dst

    def result(self, config, quick=None):
        """Path of the up-to-date result of `config` (run when stale)."""
        src = ROOT / config
        cfg = self.config_path(config, quick)
        h5 = self.runs / (src.stem + ".h5")
        newest = max(src.stat().st_mtime, cfg.stat().st_mtime, BIN.stat().st_mtime)
        if not h5.exists() or h5.stat().st_mtime < newest:
            self.log(f"  run {config}{' (QUICK)' if self.quick and quick else ''}")
            # --force: a stale result (older than its config or the binary) is replaced
            subprocess.run([str(BIN), "run", str(cfg), "-o", str(h5), "--quiet", "--force"],
                           check=True)
        return h5

    def fit(self, data, args, name):
        """`arenasim fit DATA ARGS -o OUT/runs/NAME.csv` when stale; its table."""
        src = ROOT / data
        csv = self.runs / f"{name}.csv"
        newest = max(src.stat().st_mtime, BIN.stat().st_mtime)
        if not csv.exists() or csv.stat().st_mtime < newest:
            self.log(f"  fit {data}")
            subprocess.run([str(BIN), "fit", str(src), *args, "-o", str(csv), "--force"],
                           check=True, stdout=subprocess.DEVNULL)
        return pd.read_csv(csv)


def save(out, stem, fig, table):
    """Write OUT/STEM.png, .pdf and .csv (the DataFrame `table`: exactly the
    numbers drawn)."""
    out = pathlib.Path(out)
    fig.savefig(out / f"{stem}.png", dpi=150)
    fig.savefig(out / f"{stem}.pdf")
    plt.close(fig)
    table.to_csv(out / f"{stem}.csv", index=False, float_format="%.6g")


def mean_ci(x, axis):
    """Mean over `axis` of an array with NaNs, and the half-width of its
    normal 95 % CI (1.96 standard errors over the finite replicates)."""
    x = np.asarray(x, dtype=float)
    n = np.sum(np.isfinite(x), axis=axis)
    m = np.nanmean(x, axis=axis)
    sd = np.nanstd(x, axis=axis, ddof=1)
    return m, Z95 * sd / np.sqrt(n)
