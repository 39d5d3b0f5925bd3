#!/usr/bin/python3
"""Open arenasim result files as labelled xarray Datasets.

    import arenasim_h5 as ah
    ds = ah.open_summary("outputs/default.h5")        # /summary, one value per point
    ds.score_inflation_mean.sel(estimator="bt_style", vendor="meta")
    ah.grid(ds).score_inflation_mean                  # point -> one axis per sweep parameter
    ah.select(ds.score_mean, estimator="bt", model="x (listed)")   # .sel with clear errors
    res = ah.open_results("outputs/default.h5")       # /results, point x replicate x ...

Result files of format 2 carry HDF5 dimension scales, so this is xarray's own
`open_dataset(path, engine="h5netcdf", group=...)`; each sweep axis is a
coordinate along `point` (named by its config path) and `complete` marks the
points finished in the file. Format-1 files (older arenasim, no scales) are
built from their `dims` attributes and /axes labels instead.
Needs Debian's python3-xarray, python3-h5netcdf, python3-h5py, python3-numpy.
"""
import h5py
import numpy as np
import xarray as xr

__all__ = ["open_summary", "open_results", "open_group", "sweep_axes", "grid", "select"]


def _text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def _labels(ds):
    return [_text(x) for x in ds[()]]


def _format(f):
    return int(f.attrs.get("format_version", 1))


def _legacy(path, group):
    """A format-1 group as a Dataset: dims from each dataset's `dims`
    attribute, labels from /axes, sweep values from /sweep."""
    with h5py.File(path, "r") as f:
        coords = {k: _labels(f["/axes"][k]) for k in f["/axes"]}
        names = _labels(f["/sweep/axis_names"])
        num = f["/sweep/values_numeric"][()]
        vals = f["/sweep/values"][()]
        data = {}
        for name, d in f[group].items():
            attrs = {k: _text(v) for k, v in d.attrs.items()}
            data[name] = (tuple(attrs["dims"].split(",")), d[()], attrs)
        n = f["/sweep/complete"].shape[0]
    coords["point"] = np.arange(n)
    for a, name in enumerate(names):
        col = num[:, a]
        coords[name] = ("point", col if not np.isnan(col).any()
                        else np.array([_text(v) for v in vals[:, a]], dtype=object))
    ds = xr.Dataset(data)
    return ds.assign_coords({k: v for k, v in coords.items()
                             if k in ds.dims or (isinstance(v, tuple) and "point" in ds.dims)})


def open_group(path, group):
    """Group `group` ("summary", "results", or one another module adds) of
    a result file, loaded into memory, with `complete` along point."""
    with h5py.File(path, "r") as f:
        fmt = _format(f)
        complete = f["/sweep/complete"][()].astype(bool)
        if group.strip("/") not in f:
            raise KeyError(f"{path}: no group /{group.strip('/')}; groups: "
                           + ", ".join(k for k in f if isinstance(f[k], h5py.Group)))
    if fmt >= 2:
        with xr.open_dataset(path, engine="h5netcdf", group=group) as ds:
            ds = ds.load()
    else:
        ds = _legacy(path, "/" + group.strip("/"))
    if "point" in ds.dims:
        ds = ds.assign_coords(complete=("point", complete))
    ds.attrs["source"] = str(path)
    return ds


def open_summary(path):
    """/summary of a result file: per-point summaries as an xarray Dataset
    (stable entry point for analysis and figure code)."""
    return open_group(path, "summary")


def open_results(path):
    """/results of a result file: per-replicate values as an xarray Dataset."""
    return open_group(path, "results")


def sweep_axes(ds):
    """Names of the sweep axes: the coordinates along `point` other than
    `complete`, in the order the config lists them."""
    return [k for k, c in ds.coords.items()
            if c.dims == ("point",) and k not in ("point", "complete")]


def grid(ds):
    """The point axis turned into one axis per sweep parameter, in the
    config's order and where `point` was (a grid sweep becomes an N-d
    labelled array). Axes that move together (zip, linked
    axes) keep the first as the grid axis and the others as coordinates.
    A dataset without sweep axes is returned unchanged."""
    axes = sweep_axes(ds)
    if not axes:
        return ds
    index, seen = [], None
    for a in axes:  # an axis that is a function of earlier ones is not an index
        vals = [tuple(ds[b].values[p] for b in index + [a]) for p in range(ds.sizes["point"])]
        combos = len(set(vals))
        if seen is None or combos > seen:
            index.append(a)
            seen = combos
    sizes = [len(np.unique(ds[a].values)) for a in index]
    if int(np.prod(sizes)) != ds.sizes["point"] or seen != ds.sizes["point"]:
        raise ValueError(
            f"the sweep is not a grid over {', '.join(index)} "
            f"({' x '.join(map(str, sizes))} != {ds.sizes['point']} points); "
            "select along `point` instead")
    extra = [a for a in axes if a not in index]
    out = ds.reset_coords(extra + ["complete"]) if extra or "complete" in ds.coords else ds
    out = out.set_index(point=index).unstack("point").transpose(*index, ...)
    return out.set_coords([a for a in extra + ["complete"] if a in out])


def select(da, **labels):
    """`da.sel(**labels)` that names what went wrong: a selector for an axis
    the variable does not have, or a label that axis does not hold, is a
    KeyError listing the valid ones."""
    for dim, value in labels.items():
        if dim not in da.dims:
            raise KeyError(f"{da.name}: no axis {dim!r}; its axes are {', '.join(da.dims)}")
        if dim in da.coords:
            valid = [_text(v) for v in da.coords[dim].values]
            wanted = value if isinstance(value, (list, tuple)) else [value]
            missing = [w for w in wanted if _text(w) not in valid and w not in list(da.coords[dim].values)]
            if missing:
                raise KeyError(f"{da.name}: {dim} {', '.join(map(repr, missing))} does not exist; "
                               f"valid: {', '.join(valid)}")
    return da.sel(**labels)
