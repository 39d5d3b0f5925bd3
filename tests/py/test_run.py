"""Integration tests of `arenasim run` / `report` / `battles`: the HDF5
layout of DESIGN §5, reproducibility from the stored config, and statistical
checks of the simulator against closed forms (DESIGN §4):

* no style bias and no selection → score inflation is zero within 4 standard
  errors of the mean over replicates;
* N identical variants, no style bias, selection by raw score → the listed
  variant's inflation is its standard error × E[max of N standard normals].
"""
import math
import pathlib
import subprocess

import h5py
import numpy as np
import pytest
import yaml
from scipy import integrate, stats

from conftest import BIN, ROOT, arenasim

SMOKE = ROOT / "configs" / "examples" / "smoke.yaml"
PROVENANCE = ["version", "git_revision", "compiler", "cflags", "gsl_version",
              "hdf5_version", "host", "started_utc", "threads", "command_line"]


def datasets(f, group):
    out = {}
    f[group].visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return out


def scenario(tmp_path, name, **over):
    """A small neutral scenario (6 public models), modified by `over`."""
    cfg = {
        "seed": 7, "replicates": 40,
        "voters": {"count": 200, "tie_threshold": 0.5, "bothbad_share": 0.5},
        "arena": {"public_battles": 30000},
        "leaderboard": {"estimators": ["bt", "bt_style"], "ci": "sandwich",
                        "anchor": {"model": "m3", "score": 1100}},
        "models": [{"name": f"m{i}", "theta": 1300 - 40 * i,
                    "style": {"tokens": 300 + 50 * i, "headers": 1, "lists": 3, "bold": 2}}
                   for i in range(6)],
        "gaming": [{"vendor": "g", "base": {"name": "gbase", "theta": 1210,
                                            "style": {"tokens": 400, "headers": 1, "lists": 3, "bold": 2}},
                    "variants": 1, "testing_battles": 500, "select_by": "bt"}],
    }
    for k, v in over.items():
        cfg[k] = v
    path = tmp_path / name
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_smoke_layout(tmp_path):
    out = tmp_path / "smoke.h5"
    arenasim("run", SMOKE, "-o", out, "--quiet", "--threads", 2)
    assert out.exists() and not pathlib.Path(str(out) + ".part").exists()
    with h5py.File(out, "r") as f:
        for a in PROVENANCE:
            assert a in f["/provenance"].attrs, a
        assert f["/provenance"].attrs["threads"] == 2
        assert "seed: 20250405" in f["/config"].attrs["yaml"]
        assert f["/sweep/complete"][()].tolist() == [1]
        names = [n.decode() if isinstance(n, bytes) else n for n in f["/axes/model"][()]]
        assert names[-2:] == ["gamer-base (listed)", "gamer-base (released)"]
        for group in ("/results", "/summary"):
            for name, obj in f[group].items():
                dims = obj.attrs["dims"].split(",")
                assert len(dims) == obj.ndim, name
                assert obj.attrs["description"], name
                assert obj.attrs["long_name"] and obj.attrs["units"], name
                if obj.attrs.get("CLASS") == b"DIMENSION_SCALE":
                    assert dims == [name]  # an axis's labels (or index) for netCDF readers
                    continue
                # every axis is attached to the group's scale of that name
                assert [d[0].name for d in obj.dims] == [f"{group}/{d}" for d in dims], name
                assert dims[0] == "point"
                if group == "/results":
                    assert dims[1] == "replicate" and obj.shape[1] == 40
        score = f["/results/score"][()]
        # the anchor keeps its fixed score in every replicate (bt, bt_style)
        anchor = names.index("anchor-8x7b")
        assert np.all(score[0, :, :2, anchor] == 1114.0)
        # decomposition is exact: raw − θ̃_base = gain + selection + style,
        # relative to the field (minus the bt field offset) and to the anchor
        raw = score[0, :, 0, -2] - f["/results/true_score_base"][0, :, 0]
        for suf, off in (("", f["/results/field_offset"][0, :, 0]), ("_anchor", 0.0)):
            total = f["/results/real_gain"][0, :, 0] + f["/results/selection_on_noise" + suf][0, :, 0] + \
                f["/results/style_gain" + suf][0, :, 0]
            assert np.allclose(raw - off, total, atol=1e-9), suf
    rep = arenasim("report", out)
    assert "vendor gamer" in rep.stdout and "share of score inflation removed" in rep.stdout


def test_stored_config_reproduces_the_file(tmp_path):
    a = tmp_path / "a.h5"
    arenasim("run", SMOKE, "-o", a, "--quiet")
    with h5py.File(a, "r") as f:
        text = f["/config"].attrs["yaml"]
    cfg = tmp_path / "resolved.yaml"
    cfg.write_text(text)
    b = tmp_path / "b.h5"
    arenasim("run", cfg, "-o", b, "--quiet", "--threads", 1)
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        assert fa["/config"].attrs["hash"] == fb["/config"].attrs["hash"]
        for g in ("/results", "/summary"):
            da, db = datasets(fa, g), datasets(fb, g)
            assert da.keys() == db.keys()
            for k in da:
                assert np.array_equal(da[k], db[k], equal_nan=da[k].dtype.kind == "f"), k


def test_no_bias_no_selection_has_no_inflation(tmp_path):
    cfg = scenario(tmp_path, "neutral.yaml", replicates=60)
    out = tmp_path / "n.h5"
    arenasim("run", cfg, "-o", out, "--quiet")
    with h5py.File(out, "r") as f:
        infl = f["/results/score_inflation"][0, :, :2, 0]   # replicate × (bt, bt_style)
        gain = f["/results/real_gain"][0, :, 0]
    assert np.all(gain == 0.0)
    for e in range(2):
        x = infl[:, e]
        se = x.std(ddof=1) / math.sqrt(len(x))
        assert abs(x.mean()) < 4 * se, (e, x.mean(), se)


def expected_max_std_normal(n):
    f = lambda x: x * n * stats.norm.pdf(x) * stats.norm.cdf(x) ** (n - 1)
    return integrate.quad(f, -12, 12)[0]


def test_best_of_n_matches_expected_maximum(tmp_path):
    N, R = 10, 120
    cfg = scenario(tmp_path, "bestof.yaml", replicates=R,
                   arena={"public_battles": 60000},
                   gaming=[{"vendor": "g", "base": {"name": "gbase", "theta": 1210,
                                                    "style": {"tokens": 400, "headers": 1, "lists": 3, "bold": 2}},
                            "variants": N, "testing_battles": 600, "select_by": "bt"}])
    out = tmp_path / "b.h5"
    arenasim("run", cfg, "-o", out, "--quiet")
    with h5py.File(out, "r") as f:
        infl = f["/results/score_inflation"][0, :, 0, 0]
        lo = f["/results/ci_lo"][0, :, 0, -2]
        hi = f["/results/ci_hi"][0, :, 0, -2]
    # per-variant standard error from the sandwich CIs (95 %)
    se_variant = np.mean((hi - lo) / (2 * stats.norm.ppf(0.975)))
    want = se_variant * expected_max_std_normal(N)
    se_mean = infl.std(ddof=1) / math.sqrt(R)
    # tolerance: 4 standard errors of the mean + 5 % for the CI-based SE,
    # which also carries the anchor's (small) uncertainty
    assert abs(infl.mean() - want) < 4 * se_mean + 0.05 * want, (infl.mean(), want, se_mean)
    assert want > 10 * se_mean  # the effect is real, not within noise


def test_battles_export_refits_to_stored_scores(tmp_path):
    """battles → fit --config: the round trip needs no option beyond the
    config (anchor, penalty, features, CI come from it) and no renaming (the
    export uses the result file's model labels)."""
    out = tmp_path / "s.h5"
    arenasim("run", SMOKE, "-o", out, "--quiet")
    csv = tmp_path / "battles.csv"
    arenasim("battles", SMOKE, "-o", csv, "--point", 0, "--replicate", 3)
    header = csv.read_text().splitlines()[0].split(",")
    for col in ["model_a", "model_b", "winner", "phase", "sum_assistant_a_tokens",
                "header_count_b", "list_count_a", "bold_count_b", "emoji_count_a"]:
        assert col in header
    with h5py.File(out, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["/axes/model"][()]]
        score = f["/results/score"][0, 3]
        lo, hi = f["/results/ci_lo"][0, 3], f["/results/ci_hi"][0, 3]
    fitted = tmp_path / "fit.csv"
    arenasim("fit", csv, "--config", SMOKE, "-o", fitted)
    styled = tmp_path / "fit_style.csv"
    arenasim("fit", csv, "--style", "--config", SMOKE, "-o", styled)
    # score, and the sandwich CI bounds, agree for bt (e = 0) and bt_style (e = 1)
    for e, path in ((0, fitted), (1, styled)):
        lines = path.read_text().splitlines()
        col = {c: k for k, c in enumerate(lines[0].split(","))}
        seen = set()
        for line in lines[1:]:
            v = line.split(",")
            i = names.index(v[col["model"]])  # the result file's label, as written
            seen.add(names[i])
            for name, stored in (("score", score), ("ci_lo", lo), ("ci_hi", hi)):
                assert abs(float(v[col[name]]) - stored[e, i]) < 1e-6, (e, v[0], name)
        assert "gamer-base (listed)" in seen and "gamer-base (released)" in seen


def test_fit_config_needs_no_anchor_option(tmp_path):
    """Without --config (or --anchor) fit centres the scores: the config's
    anchor is what makes them equal to the stored ones."""
    csv = tmp_path / "b.csv"
    arenasim("battles", SMOKE, "-o", csv)
    plain, cfg = tmp_path / "plain.csv", tmp_path / "cfg.csv"
    arenasim("fit", csv, "-o", plain)
    arenasim("fit", csv, "--config", SMOKE, "-o", cfg)
    def score_of(path, model):
        for line in path.read_text().splitlines()[1:]:
            v = line.split(",")
            if v[0] == model:
                return float(v[1])
    assert abs(score_of(cfg, "anchor-8x7b") - 1114) < 1e-6
    assert abs(score_of(plain, "anchor-8x7b") - 1114) > 1
    # a command-line option wins over the config
    over = tmp_path / "over.csv"
    arenasim("fit", csv, "--config", SMOKE, "--anchor", "anchor-8x7b=1000", "-o", over)
    assert abs(score_of(over, "anchor-8x7b") - 1000) < 1e-6


@pytest.mark.parametrize("args,needle", [
    (["run", "missing.yaml", "-o", "{tmp}/x.h5"], "missing.yaml"),
    (["run", str(SMOKE), "-o", "{tmp}/nodir/x.h5"], "does not exist"),
    (["run", str(SMOKE)], "missing -o"),
    (["run", str(SMOKE), "-o", "{tmp}/x.h5", "--threads", "zero"], "--threads"),
    (["run", str(SMOKE), "-o", "{tmp}/x.h5", "--bogus"], "unknown option"),
    (["battles", str(SMOKE), "-o", "{tmp}/x.h5", "--point", "5"], "--point 5"),
    (["report", "{tmp}/x.h5"], "x.h5"),
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, args, needle):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    p = arenasim(*args, check=False)
    assert p.returncode == 2, p.stderr
    assert needle in p.stderr
    assert not any(tmp_path.iterdir())


def test_report_names_missing_dataset(tmp_path):
    bad = tmp_path / "bad.h5"
    with h5py.File(bad, "w") as f:
        f.create_group("config").attrs["yaml"] = "seed: 1"
    p = arenasim("report", bad, check=False)
    assert p.returncode == 2 and "/sweep/complete" in p.stderr
    text = tmp_path / "text.h5"
    text.write_text("not hdf5")
    p = arenasim("report", text, check=False)
    assert p.returncode == 2 and "not an HDF5 file" in p.stderr


def test_kill_during_file_creation_still_resumes(tmp_path):
    """A SIGKILL in the first milliseconds (while the HDF5 file is being laid
    out) must never leave a .part that --resume cannot open."""
    import signal
    import time
    sweep = ROOT / "configs" / "examples" / "sweep-smoke.yaml"
    for k, delay in enumerate([0.0, 0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02]):
        out = tmp_path / f"k{k}.h5"
        p = subprocess.Popen([BIN, "run", str(sweep), "-o", str(out), "--quiet"])
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        r = arenasim("run", sweep, "-o", out, "--resume", "--quiet", check=False)
        assert r.returncode == 0, (delay, r.stderr)
        with h5py.File(out, "r") as f:
            assert f["/sweep/complete"][()].all()


def test_slurm_partial_resubmission_is_refused(tmp_path):
    env = dict(__import__("os").environ, SLURM_ARRAY_TASK_ID="2", SLURM_ARRAY_TASK_COUNT="1",
               SLURM_ARRAY_TASK_MIN="2", SLURM_ARRAY_TASK_MAX="2")
    out = tmp_path / "e.h5"
    r = subprocess.run([BIN, "run", str(SMOKE), "-o", str(out)], env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "--shard I/N" in r.stderr
    assert not any(tmp_path.iterdir())


def test_fits_without_finite_mle_are_rated_and_flagged(tmp_path):
    """27 variants with 3 testing battles each: some variant wins or loses all
    of them, so the selection fit has no finite MLE. The arena's fits always
    return a number, so the replicate is rated with the fallback ridge
    (fit_status 3), kept in the summaries, and the report says so."""
    cfg = scenario(tmp_path, "few.yaml", replicates=10,
                   gaming=[{"vendor": "g", "base": {"name": "gbase", "theta": 1210,
                                                    "style": {"tokens": 400, "headers": 1, "lists": 3, "bold": 2}},
                            "variants": 27, "testing_battles": 3}])
    out = tmp_path / "few.h5"
    arenasim("run", cfg, "-o", out, "--quiet")
    with h5py.File(out, "r") as f:
        status = f["/results/fit_status"][0]               # replicate × estimator
        fails = f["/summary/fit_failures"][0]
        ridge = f["/summary/ridge_fits"][0]
        score = f["/results/score"][0]
    assert (status[:, :2] == 3).any()
    assert np.all(fails[:2] == 0)
    assert np.array_equal(ridge[:2], (status[:, :2] == 3).sum(axis=0))
    assert np.all(np.isfinite(score[:, :2, :-1]))  # every shown slot (the last: no release)
    assert "rated with a tiny ridge" in arenasim("report", out).stdout


def test_resume_moves_a_damaged_part_aside(tmp_path):
    sweep = ROOT / "configs" / "examples" / "sweep-smoke.yaml"
    ref, out = tmp_path / "ref.h5", tmp_path / "out.h5"
    arenasim("run", sweep, "-o", ref, "--quiet")
    part = pathlib.Path(str(out) + ".part")
    part.write_bytes(ref.read_bytes()[:5000])          # a truncated file
    r = arenasim("run", sweep, "-o", out, "--resume")
    assert "moved it to" in r.stderr and pathlib.Path(str(part) + ".damaged").exists()
    with h5py.File(ref, "r") as a, h5py.File(out, "r") as b:
        for g in ("/results", "/summary"):
            da, db = datasets(a, g), datasets(b, g)
            for k in da:
                assert np.array_equal(da[k], db[k], equal_nan=da[k].dtype.kind == "f"), k


def test_report_of_a_sweep_has_one_line_per_point(tmp_path):
    cfg = ROOT / "tests" / "configs" / "good" / "maverick_small.yaml"
    out = tmp_path / "sweep.h5"
    arenasim("run", cfg, "-o", out, "--quiet")
    text = arenasim("report", out).stdout
    assert "sweep values are gaming[meta].variants, voters.beta_mean.tokens" in text
    lines = [l for l in text.splitlines() if l[:1].isdigit()]
    assert [int(l.split()[0]) for l in lines] == list(range(9))
    with h5py.File(out, "r") as f:
        med = f["/summary/listed_rank_median"][:, 0, 0]
    assert [l.split()[3] for l in lines] == [f"#{m:.0f}" for m in med]
