#!/usr/bin/python3
"""Read arenasim result files: labelled access to /results and /summary.

    r = Result("outputs/default.h5")
    r.summary("score_inflation_mean", estimator="bt", vendor="meta")  # -> array over points
    r.results("score", estimator="bt_style", model="x (listed)")       # -> point × replicate

Axis names come from each dataset's `dims` attribute; labels from /axes.
Needs Debian's python3-h5py and python3-numpy.
"""
import h5py
import numpy as np


def _labels(ds):
    return [x.decode() if isinstance(x, bytes) else x for x in ds[()]]


class Result:
    def __init__(self, path):
        self.path = path
        with h5py.File(path, "r") as f:
            self.axes = {k: _labels(f["/axes"][k]) for k in f["/axes"]}
            self.axis_names = _labels(f["/sweep/axis_names"])
            self.values = f["/sweep/values"][()]
            self.values_numeric = f["/sweep/values_numeric"][()]
            self.complete = f["/sweep/complete"][()].astype(bool)
            self.config = f["/config"].attrs["yaml"]

    def axis_values(self, name):
        """Numeric values of a sweep axis, one per point."""
        return self.values_numeric[:, self.axis_names.index(name)]

    def _select(self, group, name, sel):
        with h5py.File(self.path, "r") as f:
            ds = f[f"/{group}/{name}"]
            dims = ds.attrs["dims"].split(",")
            data = ds[()]
        index = []
        for d in dims:
            if d in sel:
                index.append(self.axes[d].index(sel[d]))
            else:
                index.append(slice(None))
        return data[tuple(index)]

    def summary(self, name, **sel):
        return self._select("summary", name, sel)

    def results(self, name, **sel):
        return self._select("results", name, sel)
