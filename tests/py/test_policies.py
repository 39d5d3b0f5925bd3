"""The vote and release policies of DESIGN §2 do what they say, checked on
exact battle counts and slot contents of small runs (no statistics):

* listed_votes keep → the listed variant's votes = testing + listed battles;
  fresh → listed battles only;
* unlisted_votes keep → the unlisted variants' votes stay in the fit (the
  public models have more battles than under retract);
* release none / listed / base / variant fill the released slot accordingly;
* sampling: weights favours the heavy model; ci: bootstrap gives finite CIs;
  select_by bt_style runs.
"""
import h5py
import numpy as np

from conftest import arenasim
from test_run import scenario

GAMER = {"vendor": "g", "base": {"name": "gbase", "theta": 1210,
                                 "style": {"tokens": 400, "headers": 1, "lists": 3, "bold": 2}},
         "variants": 4, "tune_sd": 10, "testing_battles": 700, "listed_battles": 300,
         "tuned_style": {"count": 1, "style": {"tokens": 900, "headers": 4, "lists": 8, "bold": 8, "emoji": 5}}}


def run(tmp_path, name, replicates=6, **over):
    g = dict(GAMER)
    g.update(over.pop("g", {}))
    cfg = scenario(tmp_path, f"{name}.yaml", replicates=replicates, gaming=[g], **over)
    out = tmp_path / f"{name}.h5"
    arenasim("run", cfg, "-o", out, "--quiet")
    f = h5py.File(out, "r")
    return {k: f[f"/results/{k}"][0] for k in f["/results"]}


def test_listed_votes_keep_and_fresh(tmp_path):
    keep = run(tmp_path, "keep", g={"listed_votes": "keep"})
    fresh = run(tmp_path, "fresh", g={"listed_votes": "fresh"})
    assert np.all(keep["battles"][:, -2] == 700 + 300)
    assert np.all(fresh["battles"][:, -2] == 300)


def test_unlisted_votes_keep_adds_their_battles(tmp_path):
    ret = run(tmp_path, "ret", g={"unlisted_votes": "retract"})
    kept = run(tmp_path, "kept", g={"unlisted_votes": "keep"})
    public_ret = ret["battles"][:, :6].sum(axis=1)
    public_kept = kept["battles"][:, :6].sum(axis=1)
    # each unlisted variant's 700 testing battles had one public opponent
    assert np.all(public_kept - public_ret == 3 * 700)


def test_release_policies(tmp_path):
    none = run(tmp_path, "none", g={"release": "none"})
    assert np.all(np.isnan(none["score"][:, :, -1])) and np.all(none["rank"][:, :, -1] == 0)
    listed = run(tmp_path, "listed", g={"release": "listed"})
    assert np.array_equal(listed["score"][:, :, -1], listed["score"][:, :, -2], equal_nan=True)
    base = run(tmp_path, "base", g={"release": "base", "release_battles": 900})
    assert np.all(base["battles"][:, -1] == 900)
    assert np.all(base["theta"][:, -1] == 1210)
    var = run(tmp_path, "var", g={"release": "variant", "release_variant": 2, "release_battles": 900})
    assert np.all(var["battles"][:, -1] == 900)
    # the released variant 2 has its own tuned substance, not the base's
    assert np.any(var["theta"][:, -1] != 1210)
    same = var["selected_variant"][:, 0] == 2
    assert np.array_equal(var["theta"][same, -1], var["theta"][same, -2])


def test_weighted_sampling_and_bootstrap_and_style_selection(tmp_path):
    models = [{"name": f"m{i}", "theta": 1300 - 40 * i, "weight": 5.0 if i == 0 else 1.0,
               "style": {"tokens": 300 + 50 * i, "headers": 1, "lists": 3, "bold": 2}} for i in range(6)]
    r = run(tmp_path, "w", replicates=4, models=models,
            arena={"sampling": "weights", "public_battles": 20000},
            leaderboard={"estimators": ["bt", "bt_style", "elo"], "ci": "bootstrap",
                         "bootstrap_rounds": 20, "anchor": {"model": "m3", "score": 1100}},
            g={"select_by": "bt_style"})
    b = r["battles"][:, :6]
    assert np.all(b[:, 0] > 2 * b[:, 1:].max(axis=1))
    lo, hi = r["ci_lo"][:, :2, :6], r["ci_hi"][:, :2, :6]
    anchor = 3
    others = [i for i in range(6) if i != anchor]
    assert np.all(np.isfinite(lo[:, :, others])) and np.all(hi[:, :, others] > lo[:, :, others])
    assert np.all(r["fit_status"] == 0)
    assert np.all((r["selected_variant"][:, 0] >= 0) & (r["selected_variant"][:, 0] < 4))


def test_battles_all_marks_retracted_votes(tmp_path):
    cfg = scenario(tmp_path, "all.yaml", replicates=2, gaming=[dict(GAMER, listed_votes="fresh")])
    csv = tmp_path / "all.csv"
    arenasim("battles", cfg, "-o", csv, "--all", "--replicate", 1)
    rows = [line.split(",") for line in csv.read_text().splitlines()]
    col = {c: k for k, c in enumerate(rows[0])}
    phase_kept = {}
    for r in rows[1:]:
        key = (r[col["phase"]], r[col["kept"]])
        phase_kept[key] = phase_kept.get(key, 0) + 1
    # fresh + retract: every testing vote (4 variants × 700) is retracted
    assert phase_kept == {("public", "1"): 30000, ("testing", "0"): 4 * 700, ("listed", "1"): 300}
    kept = tmp_path / "kept.csv"
    arenasim("battles", cfg, "-o", kept, "--replicate", 1)
    assert len(kept.read_text().splitlines()) == 1 + 30000 + 300
