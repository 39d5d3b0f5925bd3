"""The HDF5 result file as netCDF readers see it (issue 11) and as damaged
disks leave it (issue 16).

* xarray (h5netcdf, no phony_dims) opens /results and /summary of a sweep
  result and of a merged sharded one with named dimensions, labels as
  coordinates and the sweep values along `point`; every variable equals what
  h5py reads; a resumed file keeps its scales.
* analysis/arenasim_h5.py: labelled grid over the sweep axes, clear errors.
* format 1 (tests/data/format1-tiny-sweep.h5, written by arenasim before
  dimension scales from tests/configs/good/tiny_sweep.yaml): report prints
  its stored numbers; merge and --resume refuse it with exit 2.
* tests/data/corrupt-h5/: report and merge exit 2 naming a dataset; --resume
  moves the damaged .part aside (its documented contract) or refuses it.
* Damage in the three ways disks do it (bit flips, truncation, overwritten
  blocks), a few hundred copies: exit 0 only when what is read back is
  intact (same report text, same merged data), else exit 2; never a crash
  or a hang (timeouts).
"""
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

from conftest import BIN, ROOT, arenasim

sys.path.insert(0, str(ROOT / "analysis"))
import arenasim_h5 as ah  # noqa: E402

TINY = ROOT / "tests" / "configs" / "good" / "tiny_sweep.yaml"
FORMAT1 = ROOT / "tests" / "data" / "format1-tiny-sweep.h5"
CORRUPT = sorted((ROOT / "tests" / "data" / "corrupt-h5").glob("*.h5"))
SMOKE = ROOT / "configs" / "examples" / "smoke.yaml"
LABELLED = ("model", "estimator", "vendor", "feature")
# damaged copies per way of damaging (bit flips, truncation, overwrite)
DAMAGE_N = int(os.environ.get("ARENASIM_DAMAGE_N", "100"))


def run(*args, timeout=60):
    """Run bin/arenasim; a hang is a test failure, not a stuck suite."""
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("h5")
    full, a, b, merged = d / "full.h5", d / "s0.h5", d / "s1.h5", d / "merged.h5"
    arenasim("run", TINY, "-o", full, "--quiet")
    arenasim("run", TINY, "-o", a, "--shard", "0/2", "--quiet")
    arenasim("run", TINY, "-o", b, "--shard", "1/2", "--quiet")
    arenasim("merge", a, b, "-o", merged)
    return {"full": full, "merged": merged, "dir": d}


def labels(f, name):
    return [x.decode() for x in f[name][()]]


def check_xarray_matches_h5py(path):
    with h5py.File(path, "r") as f:
        assert f.attrs["format_version"] == 2
        axes = {k: labels(f, f"/axes/{k}") for k in LABELLED}
        sweep_names = labels(f, "/sweep/axis_names")
        numeric = f["/sweep/values_numeric"][()]
        for group in ("results", "summary"):
            ds = xr.open_dataset(path, engine="h5netcdf", group=group)
            try:
                n = 0
                for name, obj in f[group].items():
                    if obj.attrs.get("CLASS") == b"DIMENSION_SCALE" or name in sweep_names:
                        continue
                    n += 1
                    var = ds[name]
                    assert list(var.dims) == obj.attrs["dims"].split(","), name
                    assert var.attrs["units"] and var.attrs["long_name"], name
                    ref = obj[()]
                    assert np.array_equal(var.values, ref, equal_nan=ref.dtype.kind == "f"), name
                assert n >= 20
                for k in LABELLED:
                    assert list(ds[k].values) == axes[k], (group, k)
                assert ds["point"].values.tolist() == list(range(numeric.shape[0]))
                if group == "results":
                    assert ds.sizes["replicate"] == 4
                for a, name in enumerate(sweep_names):  # sweep values along point
                    assert ds[name].dims == ("point",) and name in ds.coords
                    assert np.array_equal(ds[name].values, numeric[:, a])
            finally:
                ds.close()
    return True


def test_xarray_opens_sweep_and_merged_result(files):
    assert check_xarray_matches_h5py(files["full"])
    assert check_xarray_matches_h5py(files["merged"])
    # and the merged file is the unsharded one, label for label
    a, b = ah.open_summary(files["full"]), ah.open_summary(files["merged"])
    a.attrs, b.attrs = {}, {}  # the file names
    xr.testing.assert_identical(a, b)


def test_selection_by_label_is_selection_by_index(files):
    ds = ah.open_summary(files["full"])
    with h5py.File(files["full"], "r") as f:
        raw = f["/summary/score_inflation_mean"][()]
        est = labels(f, "/axes/estimator").index("bt_style")
    got = ds.score_inflation_mean.sel(estimator="bt_style", vendor="gamer").values
    assert np.array_equal(got, raw[:, est, 0])


def test_resume_keeps_the_scales(files):
    """Points 2.. marked incomplete and resumed: same data, scales attached."""
    d = files["dir"]
    out = d / "resumed.h5"
    part = Path(str(out) + ".part")
    shutil.copy(files["full"], part)
    with h5py.File(part, "r+") as f:
        f["/sweep/complete"][2:] = 0
    arenasim("run", TINY, "-o", out, "--resume", "--quiet")
    assert check_xarray_matches_h5py(out)
    a, b = ah.open_results(files["full"]), ah.open_results(out)
    for k in a.data_vars:
        assert np.array_equal(a[k].values, b[k].values, equal_nan=a[k].dtype.kind == "f"), k


def test_grid_over_the_sweep_axes(files):
    g = ah.grid(ah.open_summary(files["full"]))
    assert g.score_inflation_mean.dims[:2] == ("gaming[gamer].variants", "voters.beta_mean.tokens")
    assert g["gaming[gamer].variants"].values.tolist() == [1, 2]
    assert g["voters.beta_mean.tokens"].values.tolist() == [0.0, 0.8]
    with h5py.File(files["full"], "r") as f:  # grid order: last axis fastest
        raw = f["/summary/share_removed"][:, 0]
    assert np.array_equal(g.share_removed.sel(vendor="gamer").values, raw.reshape(2, 2))


def test_select_names_what_is_valid(files):
    ds = ah.open_summary(files["full"])
    with pytest.raises(KeyError, match="no axis 'estimator'; its axes are point, vendor"):
        ah.select(ds.real_gain_mean, estimator="bt")
    with pytest.raises(KeyError, match="'flashi' does not exist; valid: gamer"):
        ah.select(ds.score_inflation_mean, vendor="flashi")
    assert ah.select(ds.score_inflation_mean, vendor="gamer", estimator="bt").dims == ("point",)


def test_format1_file_still_reads():
    """report reads the previous format exactly as that version printed it
    (the fixture's report equals a fresh format-2 run of the same config)."""
    old = run("report", FORMAT1)
    assert old.returncode == 0, old.stderr
    ds = ah.open_summary(FORMAT1)
    assert ah.sweep_axes(ds) == ["gaming[gamer].variants", "voters.beta_mean.tokens"]
    assert list(ds.estimator.values) == ["bt", "bt_style", "elo"]
    with h5py.File(FORMAT1, "r") as f:
        assert "format_version" not in f.attrs
        raw = f["/summary/score_mean"][()]
    assert np.array_equal(ds.score_mean.values, raw, equal_nan=True)


def test_format1_report_shows_the_stored_numbers():
    """The numbers report prints for a format-1 file are the stored ones."""
    text = run("report", FORMAT1).stdout
    with h5py.File(FORMAT1, "r") as f:
        infl = f["/summary/score_inflation_mean"][0, :, 0]
        se = f["/summary/score_inflation_se"][0, :, 0]
    # format 1 stored anchor-relative inflation (before the field reference):
    # report shows it as "vs anchor" and has no field-relative numbers for it
    line = next(l for l in text.splitlines() if "score inflation vs anchor" in l)
    field = next(l for l in text.splitlines() if "score inflation vs field" in l)
    assert field.split(")", 1)[1].split() == ["—"] * 3
    assert line.split(")", 1)[1].split() == [x for m, s in zip(infl, se)
                                             for x in (f"{m:+.1f}", "±", f"{s:.1f}")]


def test_format1_refused_by_merge_and_resume(tmp_path):
    p = run("merge", FORMAT1, "-o", tmp_path / "m.h5")
    assert p.returncode == 2 and "format 1" in p.stderr
    assert not (tmp_path / "m.h5").exists()
    out = tmp_path / "r.h5"
    shutil.copy(FORMAT1, str(out) + ".part")
    p = run("run", TINY, "-o", out, "--resume", "--quiet")
    assert p.returncode == 2 and str(out) in p.stderr  # refused, nothing changed
    assert Path(str(out) + ".part").read_bytes() == FORMAT1.read_bytes()


@pytest.mark.parametrize("bad", CORRUPT, ids=lambda p: p.name)
def test_corrupt_files_exit_2(bad, tmp_path):
    assert len(CORRUPT) == 2
    p = run("report", bad, timeout=120)
    assert p.returncode == 2 and str(bad) in p.stderr, p.stderr
    assert "/summary/" in p.stderr or "/axes/" in p.stderr, p.stderr  # names the dataset
    p = run("merge", bad, "-o", tmp_path / "m.h5", timeout=120)
    assert p.returncode == 2 and str(bad) in p.stderr
    assert not (tmp_path / "m.h5").exists()
    out = tmp_path / "r.h5"
    shutil.copy(bad, str(out) + ".part")
    p = run("run", SMOKE, "-o", out, "--resume", "--quiet", timeout=300)
    # the resume contract (README): a damaged .part of this config is moved
    # aside and its points computed again; never a crash, never kept as is
    assert p.returncode in (0, 2) and str(out) in p.stderr, p.stderr
    if p.returncode == 0:
        assert Path(str(out) + ".part.damaged").exists() and out.exists()


def damage(data, how, rng):
    b = bytearray(data)
    if how == "bitflip":
        for _ in range(rng.randint(1, 20)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif how == "truncate":
        b = b[:rng.randrange(len(b))]
    else:
        at, n = rng.randrange(len(b)), rng.randint(1, 512)
        b[at:at + n] = bytes(rng.randrange(256) for _ in range(min(n, len(b) - at)))
    return bytes(b)


def h5_data(path):
    out = {}
    with h5py.File(path, "r") as f:
        for g in ("results", "summary"):
            f[g].visititems(lambda n, o: out.__setitem__(f"{g}/{n}", o[()])
                            if isinstance(o, h5py.Dataset) else None)
    return out


def same_data(a, b):
    return a.keys() == b.keys() and all(
        np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f") for k in a)


@pytest.mark.parametrize("how", ["bitflip", "truncate", "overwrite"])
def test_damaged_files_exit_0_only_when_intact(files, how, tmp_path):
    """report and merge on DAMAGE_N damaged copies; --resume on every tenth.
    Exit 0 only with the undamaged file's report text / merged data / final
    data; otherwise exit 2 with a message naming the file; never anything
    else (a crash is a negative return code, a hang a timeout)."""
    src = files["full"]
    data = src.read_bytes()
    work = tmp_path / "x.h5"
    shutil.copy(src, work)
    want_report = run("report", work).stdout
    arenasim("merge", work, "-o", tmp_path / "ref-merge.h5")
    want_merge = h5_data(tmp_path / "ref-merge.h5")
    want_full = h5_data(src)
    rng = random.Random(f"{how}-16")
    seen = {"report": [0, 0], "merge": [0, 0]}  # exit 0, exit 2
    for k in range(DAMAGE_N):
        work.write_bytes(damage(data, how, rng))
        ctx = f"{how} copy {k}"
        p = run("report", work, timeout=60)
        assert p.returncode in (0, 2), (ctx, p.returncode, p.stderr)
        seen["report"][p.returncode // 2] += 1
        if p.returncode == 0:  # report reads /summary and the labels only
            assert p.stdout == want_report, ctx
        else:
            assert str(work) in p.stderr, (ctx, p.stderr)
        m = tmp_path / "m.h5"
        p = run("merge", work, "-o", m, timeout=60)
        assert p.returncode in (0, 2), (ctx, p.returncode, p.stderr)
        seen["merge"][p.returncode // 2] += 1
        if p.returncode == 0:  # merge reads every dataset
            assert same_data(h5_data(m), want_merge), ctx
            m.unlink()
        else:
            assert not m.exists() and str(work) in p.stderr, (ctx, p.stderr)
        if k % 10 == 0:  # --resume: a damaged .part is moved aside and recomputed
            out = tmp_path / "r.h5"
            part = Path(str(out) + ".part")
            shutil.copy(work, part)
            p = run("run", TINY, "-o", out, "--resume", "--quiet", timeout=120)
            assert p.returncode in (0, 2), (ctx, p.returncode, p.stderr)
            if p.returncode == 0:
                assert same_data(h5_data(out), want_full), ctx
                out.unlink()
            for q in tmp_path.glob("r.h5.part*"):
                q.unlink()
    # the damage was real: copies were refused (truncation: every one)
    print(f"\n{how}: exit 0 (intact), exit 2: {seen}")
    if how == "truncate":
        assert seen["merge"][1] == DAMAGE_N, seen
    else:
        assert seen["merge"][1] > 0, seen


def test_xarray_opens_game(tmp_path):
    """/game (written after the points) goes through the same helper: named
    dimensions, policy and vendor labels as coordinates."""
    from test_game import NEUTRAL, sweep, vendor
    from test_run import scenario
    g = vendor(variants=1, testing_battles=200, listed_battles=300)
    cfg = scenario(tmp_path, "game.yaml", replicates=4, voters=NEUTRAL, gaming=[g],
                   game={"payoff": "rank", "board": "bt_style"},
                   sweep=sweep(("policy.fresh_votes", [False, True]), ("gaming[g].variants", [1, 2])))
    out = tmp_path / "game.h5"
    arenasim("run", cfg, "-o", out, "--quiet")
    with h5py.File(out, "r") as f:
        policies, vendors = labels(f, "/game/policy"), labels(f, "/game/vendor")
        ds = xr.open_dataset(out, engine="h5netcdf", group="game")
        try:
            assert list(ds.policy.values) == policies and list(ds.vendor.values) == vendors
            assert list(ds.estimator.values) == labels(f, "/axes/estimator")
            for name, obj in f["game"].items():
                if obj.attrs.get("CLASS") != b"DIMENSION_SCALE":
                    assert list(ds[name].dims) == obj.attrs["dims"].split(","), name
                    assert np.array_equal(ds[name].values, obj[()], equal_nan=True), name
        finally:
            ds.close()
