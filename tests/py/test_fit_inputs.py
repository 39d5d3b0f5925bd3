"""`arenasim fit` readers (csv, fastchat-json, counts-json, auto-detection)
and bad inputs: exit code 2, a message naming the file (and line or record),
and no output file created."""
import json

import pytest

from fitutil import read_scores, run_fit

CSV_BASIC = """model_a,model_b,winner
A,B,model_a
B,C,model_b
C,A,tie
A,C,model_b
B,A,tie (bothbad)
C,B,model_a
A,B,model_b
"""


def fit_ok(tmp_path, path, *args, name="out.csv"):
    out = tmp_path / name
    p = run_fit(path, "-o", out, *args)
    assert p.returncode == 0, p.stderr
    return read_scores(out)


def test_counts_json_equals_csv(tmp_path):
    csvp = tmp_path / "b.csv"
    csvp.write_text(CSV_BASIC)
    # same battles aggregated: pairs (A,B)=(0,1), (B,C)=(1,2), (A,C)=(0,2)
    counts = {"models": ["A", "B", "C"], "X": [[0, 1], [1, 2], [0, 2]],
              "Y": [[1, 1, 0, 1], [0, 2, 0, 0], [0, 1, 1, 0]]}
    # check: A-B: A wins 1 (A,B,model_a), B wins 1 (A,B,model_b), bothbad 1
    # B-C: B,C,model_b → C wins; C,B,model_a → C wins: wins_j = 2
    # A-C: C,A,tie → tie; A,C,model_b → C wins
    jp = tmp_path / "c.json"
    jp.write_text(json.dumps(counts))
    a = fit_ok(tmp_path, csvp, name="fit_a.csv")
    # (this once wrote b.csv over its own input; fit now refuses that)
    b = fit_ok(tmp_path, jp, "--format", "counts-json", name="fit_b.csv")
    c = fit_ok(tmp_path, jp, name="c.csv")  # auto-detected
    for m in "ABC":
        assert abs(float(a[m]["score"]) - float(b[m]["score"])) < 1e-9
        assert a[m]["score"] == c[m]["score"]
        assert a[m]["battles"] == b[m]["battles"]


def fc_record(ma, mb, win, ta, tb, ha, hb, extra=None):
    rec = {"question_id": "q", "model_a": ma, "model_b": mb, "winner": win, "anony": True,
           "tstamp": 1.7e9, "dedup_tag": {"high_freq": False, "sampled": True},
           "conv_metadata": {"sum_user_tokens": 12, "sum_assistant_a_tokens": ta, "sum_assistant_b_tokens": tb,
                             "header_count_a": {"h1": ha, "h2": 1, "h3": 0, "h4": 0, "h5": 0, "h6": 0},
                             "header_count_b": {"h1": hb, "h2": 0, "h3": 0, "h4": 0, "h5": 0, "h6": 0},
                             "list_count_a": {"ordered": 1, "unordered": ha}, "list_count_b": {"ordered": 0, "unordered": hb},
                             "bold_count_a": {"**": 2, "__": 0}, "bold_count_b": {"**": hb, "__": 1}},
           "judge": "x \u00e9 \"quoted\" \\ /"}
    rec.update(extra or {})
    return rec


def test_fastchat_json_equals_csv_with_style(tmp_path):
    import numpy as np
    g = np.random.default_rng(3)
    names = ["alpha", "beta", "gamma", "delta"]
    recs, lines = [], ["model_a,model_b,winner,sum_assistant_a_tokens,sum_assistant_b_tokens,header_count_a,"
                       "header_count_b,list_count_a,list_count_b,bold_count_a,bold_count_b"]
    for i in range(400):
        a, b = g.choice(4, 2, replace=False)
        win = ["model_a", "model_b", "tie", "tie (bothbad)"][g.integers(0, 4) if i % 3 else g.integers(0, 2)]
        ta, tb = (int(x) for x in g.integers(1, 900, 2))
        ha, hb = (int(x) for x in g.integers(0, 5, 2))
        recs.append(fc_record(names[a], names[b], win, ta, tb, ha, hb))
        lines.append(f"{names[a]},{names[b]},{win},{ta},{tb},{ha + 1},{hb},{1 + ha},{hb},2,{hb + 1}")
    # skipped records (non-anonymous, not sampled) must not count
    recs.append(fc_record("alpha", "beta", "model_a", 1, 1, 0, 0, {"anony": False}))
    recs.append(fc_record("alpha", "beta", "model_a", 1, 1, 0, 0, {"dedup_tag": {"sampled": False}}))
    jp = tmp_path / "battles.json"
    with open(jp, "w") as f:  # pretty-printed, as the arena publishes it
        json.dump(recs, f, indent=1)
    cp = tmp_path / "battles.csv"
    cp.write_text("\n".join(lines) + "\n")
    a = fit_ok(tmp_path, jp, "--style", "--format", "fastchat-json", name="a.csv")
    b = fit_ok(tmp_path, cp, "--style", name="b.csv")
    c = fit_ok(tmp_path, jp, "--style", name="c.csv")
    for m in names:
        assert a[m]["score"] == b[m]["score"] == c[m]["score"]
        assert a[m]["battles"] == b[m]["battles"]
    assert (tmp_path / "a.style.csv").read_text() == (tmp_path / "b.style.csv").read_text()


def test_csv_quoting_and_crlf(tmp_path):
    p = tmp_path / "q.csv"
    p.write_bytes(b'\xef\xbb\xbfmodel_a,model_b,winner\r\n"m,1",B,model_a\r\nB,"m,1",model_a\r\n"m,1",B,tie\r\n')
    got = fit_ok(tmp_path, p)
    assert set(got) == {"m,1", "B"}


def test_stdout_table(tmp_path):
    p = tmp_path / "b.csv"
    p.write_text(CSV_BASIC)
    r = run_fit(p)
    assert r.returncode == 0, r.stderr
    assert "rank" in r.stdout and "A" in r.stdout


# ---- bad inputs ------------------------------------------------------------------

BAD = [
    # (name, file content or None for a missing file, extra args, expected substrings)
    ("malformed_row", "model_a,model_b,winner\nA,B,model_a\nA,B\n", [], [":3:", "fields"]),
    ("unknown_winner", "model_a,model_b,winner\nA,B,model_a\nA,B,draw\n", [], [":3:", "draw"]),
    ("self_battle", "model_a,model_b,winner\nA,B,model_a\nB,A,tie\nC,C,model_a\n", [], [":4:", "itself"]),
    ("missing_style_cols", "model_a,model_b,winner\nA,B,model_a\nB,A,model_a\n", ["--style"],
     [":1:", "sum_assistant_a_tokens"]),
    ("empty_file", "", [], [":1:", "empty"]),
    ("header_only", "model_a,model_b,winner\n", [], ["no battles"]),
    ("bad_anchor", "model_a,model_b,winner\nA,B,model_a\nB,A,model_a\n", ["--anchor", "Z=1000"], ["'Z'"]),
    ("bad_penalty", "model_a,model_b,winner\nA,B,model_a\nB,A,model_a\n", ["--style-penalty", "ridge"], ["ridge"]),
    ("missing_file", None, [], ["cannot open"]),
    ("bad_count", "model_a,model_b,winner,sum_assistant_a_tokens,sum_assistant_b_tokens\nA,B,model_a,x,3\n",
     ["--style", "--style-features", "tokens"], [":2:", "sum_assistant_a_tokens"]),
    ("disconnected", "model_a,model_b,winner\nA,B,model_a\nB,A,model_a\nC,D,model_a\nD,C,model_a\n", [],
     ["not connected"]),
    ("only_wins", "model_a,model_b,winner\nA,B,model_a\nA,C,model_a\nB,C,model_a\nC,B,model_a\n", [],
     ["'A'", "only wins"]),
    ("json_truncated", '[{"model_a": "A", "model_b": "B", "winner": "model_a"}, {"model_a": "A", "mod',
     [], ["record 2"]),
    ("json_bad_winner", '[\n{"model_a": "A", "model_b": "B", "winner": "model_a"},\n'
     '{"model_a": "A", "model_b": "B", "winner": "A"}\n]', [], ["line 3", "record 2", "unknown winner"]),
    ("counts_bad_index", '{"models": ["A", "B"], "X": [[0, 2]], "Y": [[1, 1, 0, 0]]}', [], ["\"X\" entry 0"]),
    ("counts_with_style", '{"models": ["A", "B"], "X": [[0, 1]], "Y": [[1, 1, 0, 0]]}', ["--style"], ["counts-json"]),
    ("bad_bootstrap", "model_a,model_b,winner\nA,B,model_a\nB,A,model_a\n", ["--bootstrap", "0"], ["--bootstrap"]),
    ("constant_feature", "model_a,model_b,winner,sum_assistant_a_tokens,sum_assistant_b_tokens\n"
     "A,B,model_a,5,5\nB,A,model_a,5,5\nA,B,tie,5,5\n", ["--style", "--style-features", "tokens"], ["constant"]),
]


@pytest.mark.parametrize("name,content,args,expect", BAD, ids=[b[0] for b in BAD])
def test_bad_input(tmp_path, name, content, args, expect):
    ext = ".json" if content and content.lstrip()[:1] in "[{" else ".csv"
    path = tmp_path / (name + ext)
    if content is not None:
        path.write_text(content)
    out = tmp_path / "out.csv"
    r = run_fit(path, "-o", out, *args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert not out.exists()
    assert not (tmp_path / "out.style.csv").exists()
    assert list(tmp_path.glob("out.csv.tmp*")) == []
    if name not in ("bad_penalty", "bad_bootstrap"):
        assert str(path) in r.stderr, r.stderr
    for e in expect:
        assert e in r.stderr, r.stderr
