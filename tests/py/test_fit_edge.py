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
