"""sampling: arena — the arena's published sampling policy (README
"Sampling"): realised vote shares of one exported replicate follow the
policy within binomial error (3 standard errors of a share p over n
battles, sqrt(p(1−p)/n); for a waiting time, the negative binomial's sd).
"""
import csv
import math

import yaml

from conftest import arenasim


def battles(tmp_path, name, arena, gaming=(), spacing=10, n_models=20):
    cfg = {"seed": 11, "replicates": 1,
           "voters": {"count": 200, "tie_threshold": 0.5},
           "arena": dict({"sampling": "arena"}, **arena),
           "leaderboard": {"estimators": ["bt"]},
           "models": [{"name": f"m{i}", "theta": 1400 - spacing * i, "style": {"tokens": 400}}
                      for i in range(n_models)],
           "gaming": list(gaming)}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = tmp_path / f"{name}.csv"
    arenasim("battles", path, "-o", out, "--all")  # retracted testing votes too
    with open(out) as f:
        return list(csv.DictReader(f))


def variants(n, n_test, weight=1):
    return [{"vendor": "g", "base": {"name": "gb", "theta": 1300, "style": {"tokens": 400}},
             "variants": n, "testing_battles": n_test, "weight": weight}]


def within(k, n, p):
    return abs(k / n - p) < 3 * math.sqrt(p * (1 - p) / n), (k, n, k / n, p)


def test_new_model_weight_until_its_votes(tmp_path):
    # 20 public models of weight 1 and one new variant of weight 5: it is the
    # first model of a battle with p = 5/25 until it has 3000 votes, then 1/21
    rows = battles(tmp_path, "new", {"public_battles": 20000, "top_weight": 1,
                                     "unreleased_share": 1}, variants(1, 10 ** 6))
    hit = [i for i, r in enumerate(rows) if "gb#v0" in (r["model_a"], r["model_b"])]
    p1, n_new = 5 / 25, 3000
    wait = hit[n_new - 1] + 1  # battles until its 3000th vote: negative binomial
    assert abs(wait - n_new / p1) < 3 * math.sqrt(n_new * (1 - p1)) / p1, wait
    after = len(rows) - wait
    ok, info = within(len(hit) - n_new, after, 1 / 21)
    assert ok, info
    # the counterpart: without the new-model weight its early share is 1/21
    assert n_new / wait > 1.5 / 21


def test_top_k_weight_from_the_current_leaderboard(tmp_path):
    # 20 public models 50 points apart: once the refitted board has sorted
    # them, the top 10 are each first in a battle with p = 3/40, the rest 1/40
    rows = battles(tmp_path, "top", {"public_battles": 60000, "refit_every": 2000}, spacing=50)
    late = rows[20000:]  # the board is settled (each model has ~2000 votes)
    top = {f"m{i}" for i in range(10)}
    k = sum(r["model_a"] in top for r in late)
    ok, info = within(k, len(late), 30 / 40)
    assert ok, info


def test_provider_cap_on_unreleased_votes(tmp_path):
    # 10 new variants of weight 5 would take 50/70 of the first draws; the cap
    # holds the provider's unreleased models to 20 % of all battles
    rows = battles(tmp_path, "cap", {"public_battles": 20000, "top_weight": 1},
                   variants(10, 5000))
    k = sum(r["phase"] == "testing" for r in rows)
    ok, info = within(k, len(rows), 0.2)
    assert ok, info
    # the realised total stops short of the 50 000 testing votes asked for
    assert k < 50000
