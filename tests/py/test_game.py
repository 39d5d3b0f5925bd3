"""Arena policies and strategic vendors (issue "which rules stop the gaming"),
checked at reduced size against limits derived on paper. Statistical checks
use fixed seeds and a tolerance of 3 standard errors of the mean over
replicates (SE = sd / sqrt(replicates)); each comes with a counterpart that
shows the check could fail (the ungoverned quantity is many SE from 0).
"""
import h5py
import numpy as np
import pytest

from conftest import arenasim
from test_run import scenario

NEUTRAL = {"count": 200, "tie_threshold": 0.5, "bothbad_share": 0.5}


def vendor(name="g", theta=1210, **over):
    v = {"vendor": name, "base": {"name": f"{name}base", "theta": theta,
                                  "style": {"tokens": 400, "headers": 1, "lists": 3, "bold": 2}},
         "variants": 1, "testing_battles": 300, "select_by": "bt"}
    v.update(over)
    return v


def run(tmp_path, name, *extra, **over):
    cfg = scenario(tmp_path, f"{name}.yaml", **over)
    out = tmp_path / f"{name}.h5"
    arenasim("run", cfg, "-o", out, "--quiet", "--threads", 2, *extra)
    return out


def read(out, group="results"):
    with h5py.File(out, "r") as f:
        return {k: f[f"/{group}/{k}"][()] for k in f[f"/{group}"]}


def mean_se(x):
    x = x[np.isfinite(x)]
    return x.mean(), x.std(ddof=1) / np.sqrt(len(x))


def test_fresh_votes_remove_selection_on_noise(tmp_path):
    # identical variants (tune_sd 0, one style): under fresh votes the listed
    # score uses only votes cast after the pick, so its selection-on-noise
    # (score_bt_style − θ̃_listed) has mean 0.
    g = vendor(variants=8, testing_battles=1500, listed_battles=2000)
    kw = dict(replicates=60, voters=NEUTRAL, gaming=[g])
    fresh = read(run(tmp_path, "fresh", policy={"fresh_votes": True}, **kw))
    keep = read(run(tmp_path, "keep", **kw))
    m, se = mean_se(fresh["selection_on_noise"][0, :, 0])
    assert abs(m) < 3 * se, (m, se)
    m, se = mean_se(keep["selection_on_noise"][0, :, 0])
    assert m > 5 * se, (m, se)  # without the policy the winner's curse is plain
    # 8 variants ≤ provisional_min_variants 10: never provisional; with 2000
    # fresh votes ≥ a threshold of 2000 neither
    assert not fresh["provisional"].any()


def test_provisional_rule(tmp_path):
    g = vendor(variants=12, testing_battles=50, listed_battles=500)
    res = read(run(tmp_path, "prov", replicates=2, voters=NEUTRAL, gaming=[g],
                   policy={"fresh_votes": True}))
    assert res["provisional"].all()  # 12 > 10 variants, 500 < 2000 fresh votes


@pytest.mark.parametrize("n", [1, 10, 50])
def test_selection_corrected_unbiased_for_identical_variants(tmp_path, n):
    g = vendor(variants=n, testing_battles=200, listed_battles=200)
    res = read(run(tmp_path, f"corr{n}", replicates=60, voters=NEUTRAL, gaming=[g],
                   policy={"selection_correction": "pooled"}))
    m, se = mean_se(res["corrected_inflation"][0, :, 0, 0])  # bt board
    assert abs(m) < 3 * se, (n, m, se)
    if n >= 10:  # the uncorrected listed score is inflated many SE
        m, se = mean_se(res["score_inflation"][0, :, 0, 0])
        assert m > 5 * se, (n, m, se)


def sweep(*axes):
    return {"mode": "grid", "axes": [{"path": p, "values": v} for p, v in axes]}


def game_of(out):
    return read(out, "game")


def test_variant_cap_best_response_is_the_cap(tmp_path):
    # identical variants, zero cost, payoff = score: more variants only add
    # selection on noise, so the best response is as many as allowed (K = 4)
    g = vendor(variants=1, testing_battles=300)
    out = run(tmp_path, "cap", replicates=40, voters=NEUTRAL, gaming=[g],
              policy={"max_variants": 4}, game={"payoff": "score", "board": "bt"},
              sweep=sweep(("gaming[g].variants", [1, 2, 4, 8])))
    gm = game_of(out)
    assert gm["status"].tolist() == [0]
    assert gm["variants"][0, 0] == 4


def test_style_cost_with_complete_style_control_gives_no_style(tmp_path):
    # voters reward length and markdown only, style control covers every
    # feature: tuned style buys nothing on the bt_style board (in expectation;
    # its residual is a few points of noise) and costs 20 per unit intensity
    voters = dict(NEUTRAL, beta_mean={"tokens": 0.8, "headers": 0.2, "lists": 0.2, "bold": 0.2})
    tuned = {"count": 1, "style": {"tokens": 1200, "headers": 5, "lists": 10, "bold": 10, "emoji": 6}}
    g = vendor(tuned_style=tuned, testing_battles=1500)
    board = {"estimators": ["bt", "bt_style"], "ci": "sandwich",
             "style_features": ["tokens", "headers", "lists", "bold", "emoji"],
             "anchor": {"model": "m3", "score": 1100}}
    models = [{"name": f"m{i}", "theta": 1300 - 40 * i,  # one uses emoji: not a constant column
               "style": {"tokens": 300 + 50 * i, "headers": 1, "lists": 3, "bold": 2, "emoji": i % 2}}
              for i in range(6)]
    out = run(tmp_path, "style", replicates=40, voters=voters, gaming=[g], leaderboard=board,
              models=models, game={"payoff": "score", "board": "bt_style", "cost_style": 20},
              sweep=sweep(("gaming[g].style_intensity", [0, 0.5, 1])))
    gm = game_of(out)
    assert gm["status"].tolist() == [0]
    assert gm["style_intensity"][0, 0] == 0
    # the raw board would reward the style by far more than its cost
    s = read(out, "summary")["listed_score_mean"]
    assert s[2, 0, 0] - s[0, 0, 0] > 20


def test_two_vendor_dominant_equilibrium(tmp_path):
    # each vendor's listed score rises with its own variants (selection on
    # noise) whatever the other does: the equilibrium is (4, 4)
    vs = [vendor("a", 1210), vendor("b", 1190)]
    out = run(tmp_path, "two", replicates=30, voters=NEUTRAL, gaming=vs,
              game={"payoff": "score", "board": "bt"},
              sweep=sweep(("gaming[a].variants", [1, 4]), ("gaming[b].variants", [1, 4])))
    gm = game_of(out)
    assert gm["status"].tolist() == [0]
    assert gm["variants"][0].tolist() == [4, 4]
    assert gm["strategic"].tolist() == [1, 1]


def test_game_layout_and_sharded_equals_unsharded(tmp_path):
    g = vendor(variants=1, testing_battles=200)
    kw = dict(replicates=6, voters=NEUTRAL, gaming=[g],
              game={"payoff": "rank", "board": "bt_style", "cost_per_variant": 0.1},
              sweep=sweep(("policy.fresh_votes", [False, True]), ("gaming[g].variants", [1, 3]),
                          ("gaming[g].style_intensity", [0, 1])))
    kw["gaming"][0].update(listed_battles=300, tuned_style={"count": 1, "style": {"tokens": 900}})
    cfg = scenario(tmp_path, "sh.yaml", **kw)
    full = tmp_path / "full.h5"
    arenasim("run", cfg, "-o", full, "--quiet")
    parts = []
    for i in range(3):
        p = tmp_path / f"s{i}.h5"
        arenasim("run", cfg, "-o", p, "--quiet", "--shard", f"{i}/3")
        with h5py.File(p, "r") as f:
            assert "game" not in f  # a shard cannot play the game
        parts.append(p)
    merged = tmp_path / "merged.h5"
    arenasim("merge", *parts, "-o", merged)
    with h5py.File(full, "r") as a, h5py.File(merged, "r") as b:
        assert sorted(a["game"]) == sorted(b["game"])
        for group in ("game", "results", "summary"):
            for k in a[group]:
                x, y = a[f"{group}/{k}"][()], b[f"{group}/{k}"][()]
                if x.dtype.kind == "O":  # strings
                    assert x.tolist() == y.tolist(), (group, k)
                else:
                    assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), (group, k)
        for k, d in a["game"].items():
            dims = d.attrs["dims"].split(",")
            assert len(dims) == d.ndim and dims[0] in ("policy", "vendor"), k
            assert d.attrs["description"], k
        assert a["game/policy"].shape == (2,)
    rep = arenasim("report", full).stdout
    assert "Which policy stops the gaming?" in rep and "policy.fresh_votes=true" in rep


def test_game_needs_a_full_grid(tmp_path):
    g = vendor()
    cfg = scenario(tmp_path, "zip.yaml", gaming=[g], game={},
                   sweep={"mode": "zip", "axes": [
                       {"path": "gaming[g].variants", "values": [1, 2]},
                       {"path": "policy.disclosure", "values": [False, True]}]})
    for cmd in (("check", cfg), ("run", cfg, "-o", tmp_path / "z.h5")):
        p = arenasim(*cmd, check=False)
        assert p.returncode == 2 and "sweep.mode: grid" in p.stderr, p.stderr
    assert not (tmp_path / "z.h5").exists()
    cfg = scenario(tmp_path, "nostrat.yaml", gaming=[g], game={})
    p = arenasim("check", cfg, check=False)
    assert p.returncode == 2 and "no strategy axes" in p.stderr


def test_caps_disclosure_and_list_is_ship_exact(tmp_path):
    # exact counts, no statistics: 6 variants asked, cap 4, budget 1000 votes
    # → 4 variants × 250 votes; the listed one keeps 250 + 300 listed votes
    g = vendor(variants=6, testing_battles=700, listed_battles=300, release="base",
               release_battles=500)
    kw = dict(replicates=3, voters=NEUTRAL, gaming=[g])
    res = read(run(tmp_path, "caps", policy={"max_variants": 4, "max_testing_votes": 1000}, **kw))
    assert np.all(res["selected_variant"][0, :, 0] < 4)
    assert np.all(res["battles"][0, :, -2] == 250 + 300)
    plain = read(run(tmp_path, "plain", **kw))
    shown = read(run(tmp_path, "disc", policy={"disclosure": True}, **kw))
    # disclosure keeps the 5 unlisted variants' 700 votes, each with a public opponent
    pub = slice(0, 6)
    assert np.all(shown["battles"][0, :, pub].sum(axis=1) - plain["battles"][0, :, pub].sum(axis=1)
                  == 5 * 700)
    # ... and shows them: the last public model ranks 5 places lower
    assert np.all(shown["rank"][0, :, 0, :].max(axis=1) == plain["rank"][0, :, 0, :].max(axis=1) + 5)
    ship = read(run(tmp_path, "ship", policy={"list_is_ship": True}, **kw))
    assert np.array_equal(ship["score"][0, :, :, -1], ship["score"][0, :, :, -2], equal_nan=True)
    assert np.all(np.isnan(plain["payoff"]))  # no game block, no payoff
