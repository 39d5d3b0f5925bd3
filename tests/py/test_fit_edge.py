"""`arenasim fit` on inputs at the edges (issue 16): style columns the fit
does not use are validated all the same; and the numerical edge cases of the
estimators (zero-variance style features, a model without losses, a
disconnected comparison graph, a single model, huge counts, ties only) give a
clear result or a clear error, never a NaN without a warning."""
import csv
import json
import math

import pytest

from fitutil import read_scores, run_fit

HEAD = "model_a,model_b,winner,sum_assistant_a_tokens,sum_assistant_b_tokens\n"


@pytest.mark.parametrize("style", [[], ["--style", "--style-features", "tokens"]],
                         ids=["without-style", "with-style"])
@pytest.mark.parametrize("value", ["-5", "abc", "nan", "inf", ""])
def test_csv_unused_style_column_validated(tmp_path, style, value):
    p = tmp_path / "b.csv"
    p.write_text(HEAD + "A,B,model_a,10,3\nB,A,tie,4,4\nA,B,model_b,7," + value + "\n")
    out = tmp_path / "out.csv"
    r = run_fit(p, "-o", out, *style)
    assert r.returncode == 2, r.stderr
    assert f"{p}:4: column sum_assistant_b_tokens: expected a count ≥ 0" in r.stderr, r.stderr
    assert not out.exists()


def test_csv_unused_emoji_column_validated(tmp_path):
    # emoji is never in the default feature set: checked when present.
    p = tmp_path / "b.csv"
    p.write_text("model_a,model_b,winner,emoji_count_a\nA,B,model_a,1\nB,A,model_a,-1\n")
    r = run_fit(p)
    assert r.returncode == 2
    assert "b.csv:3: column emoji_count_a: expected a count ≥ 0, got '-1'" in r.stderr, r.stderr


def test_fastchat_unused_style_count_validated(tmp_path):
    recs = [{"model_a": "A", "model_b": "B", "winner": "model_a",
             "conv_metadata": {"sum_assistant_a_tokens": 5, "sum_assistant_b_tokens": 3,
                               "bold_count_a": {"**": -2, "__": 0}, "bold_count_b": 1}},
            {"model_a": "B", "model_b": "A", "winner": "model_a"}]
    p = tmp_path / "b.json"
    p.write_text(json.dumps(recs))
    for args in ([], ["--style", "--style-features", "tokens"]):
        r = run_fit(p, *args)
        assert r.returncode == 2, r.stderr
        assert "conv_metadata.bold_count_a: expected a count ≥ 0, got -2" in r.stderr, r.stderr


# ---- numerical edge cases ------------------------------------------------------

STYLE_HEAD = ("model_a,model_b,winner,sum_assistant_a_tokens,sum_assistant_b_tokens,"
              "header_count_a,header_count_b,list_count_a,list_count_b,bold_count_a,bold_count_b\n")


def no_nan(r, *paths):
    text = r.stdout + r.stderr + "".join(p.read_text() for p in paths if p.exists())
    assert "nan" not in text.lower(), text


def write_counts(path, models, pairs, counts):
    path.write_text(json.dumps({"models": models, "X": pairs, "Y": counts}))


def test_zero_variance_style_feature(tmp_path):
    p = tmp_path / "zv.csv"
    rows = ["A,B,model_a,5,5,0,1,0,0,0,0", "B,C,model_b,5,5,1,0,0,0,0,0", "C,A,tie,5,5,0,0,0,0,0,0",
            "A,C,model_b,5,5,0,0,0,0,0,0", "B,A,model_a,5,5,0,0,0,0,0,0"]
    p.write_text(STYLE_HEAD + "\n".join(rows) + "\n")
    out = tmp_path / "o.csv"
    r = run_fit(p, "--style", "-o", out)
    assert r.returncode == 2
    assert "style feature 'tokens' is constant over all 5 battles" in r.stderr, r.stderr
    assert not out.exists()
    # without the constant feature the same battles fit
    r = run_fit(p, "--style", "--style-features", "headers", "-o", out)
    assert r.returncode == 0, r.stderr
    no_nan(r, out)


NO_LOSS = ["A,B,model_a,5,7,0,1,0,0,0,0", "B,C,model_b,9,5,0,0,2,0,0,0", "C,B,model_a,5,3,0,0,0,1,0,0",
           "A,C,model_a,4,5,1,0,0,0,3,0", "B,A,model_b,8,5,0,0,0,0,0,1"]


@pytest.mark.parametrize("args", [[], ["--style", "--style-penalty", "none"],
                                  ["--style", "--style-penalty", "arena_rank"], ["--ci", "bootstrap"]])
def test_model_without_losses_is_an_error(tmp_path, args):
    p = tmp_path / "nl.csv"
    p.write_text(STYLE_HEAD + "\n".join(NO_LOSS) + "\n")
    r = run_fit(p, *args)
    assert r.returncode == 2, r.stderr
    assert "model 'A' has only wins: its BT rating is infinite" in r.stderr, r.stderr


def test_model_without_losses_penalised_fit_is_finite(tmp_path):
    # the fastchat penalty (ridge on every parameter) makes the MLE finite
    p = tmp_path / "nl.csv"
    p.write_text(STYLE_HEAD + "\n".join(NO_LOSS) + "\n")
    out = tmp_path / "o.csv"
    r = run_fit(p, "--style", "--style-penalty", "fastchat", "-o", out)
    assert r.returncode == 0, r.stderr
    no_nan(r, out)
    s = read_scores(out)
    assert int(s["A"]["rank"]) == 1
    assert all(math.isfinite(float(v["score"])) for v in s.values())


def test_disconnected_graph_names_both_groups(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("model_a,model_b,winner\nA,B,model_a\nB,A,model_a\nC,D,model_a\nD,C,tie\n")
    r = run_fit(p)
    assert r.returncode == 2
    assert "comparison graph not connected: model 'C' never meets the group of model 'A'" in r.stderr


def test_single_model(tmp_path):
    p = tmp_path / "one.json"
    write_counts(p, ["A"], [], [])
    r = run_fit(p)
    assert r.returncode == 2
    assert '"models" lists 1 model(s); a leaderboard needs at least 2' in r.stderr, r.stderr
    c = tmp_path / "one.csv"  # two models, one dropped by --min-battles
    c.write_text("model_a,model_b,winner\nA,B,model_a\nA,C,model_b\n")
    r = run_fit(c, "--min-battles", "2")
    assert r.returncode == 2
    assert "only 1 model(s) with at least 2 battles; need 2" in r.stderr, r.stderr


BASE_Y = [[30, 20, 5, 5], [25, 25, 10, 0], [40, 10, 2, 3]]


def fit_scaled(tmp_path, k):
    p = tmp_path / f"k{k}.json"
    write_counts(p, ["A", "B", "C"], [[0, 1], [1, 2], [0, 2]], [[v * k for v in y] for y in BASE_Y])
    out = tmp_path / f"k{k}.csv"
    r = run_fit(p, "-o", out)
    assert r.returncode == 0, r.stderr
    no_nan(r, out)
    return read_scores(out)


def test_huge_counts_scale_exactly(tmp_path):
    # Multiplying every count by k leaves the MLE unchanged and divides the
    # sandwich sd by √k (H and G both scale by k). Up to 2^53 the counts are
    # exact; before the fix the CIs at 10^12 were noise of tens of points.
    one = fit_scaled(tmp_path, 1)
    for k in (2 ** 20, 2 ** 40, 2 ** 46):  # largest count 40·2^46 < 2^53
        big = fit_scaled(tmp_path, k)
        for m in "ABC":
            assert abs(float(big[m]["score"]) - float(one[m]["score"])) < 1e-6
            w1 = float(one[m]["ci_hi"]) - float(one[m]["ci_lo"])
            wk = float(big[m]["ci_hi"]) - float(big[m]["ci_lo"])
            assert abs(wk * math.sqrt(k) / w1 - 1) < 1e-3, (m, k, wk, w1)


def test_counts_at_2_to_53_rejected(tmp_path):
    p = tmp_path / "h.json"
    write_counts(p, ["A", "B"], [[0, 1]], [[2 ** 53, 1, 0, 0]])
    r = run_fit(p)
    assert r.returncode == 2
    assert '"Y" entry 0: 9007199254740992 is not below 2^53' in r.stderr, r.stderr


def test_ties_only(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("model_a,model_b,winner\nA,B,tie\nB,A,tie\nB,C,tie (bothbad)\nC,A,tie\n")
    out = tmp_path / "o.csv"
    r = run_fit(p, "-o", out)
    assert r.returncode == 0, r.stderr
    no_nan(r, out)
    assert "warning" in r.stderr and "every battle is a tie" in r.stderr
    s = read_scores(out)
    assert {float(v["score"]) for v in s.values()} == {1000.0}
    assert all(v["displayed_rank"] == "1" for v in s.values())
