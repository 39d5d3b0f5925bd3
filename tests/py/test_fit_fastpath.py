"""The CSV reader's fast line path (issue 9): plain lines are split eight
bytes at a time, their counts converted without strtod and model names
looked up by their bytes; every other line goes through the general RFC 4180
splitter. These tests write the same battles so that every line takes the
fast path, so that every line takes the general one (all fields quoted), and
in mixed odd shapes, and require byte-identical `fit` outputs for several
thread counts, from a file and from a pipe; model names that the byte keys
could confuse (same first and last eight bytes, prefixes, a 300 KB name,
bytes after a NUL) must keep their own battle counts, checked against counts
made here in Python. Plain `fit` (which keeps no per-battle rows) must give
the output of the same battles read as fastchat-json (a table built row by
row)."""
import collections
import csv
import json
import os
import random
import subprocess

import pytest

from fitutil import BIN

COLS = ["model_a", "model_b", "winner", "tstamp", "sum_assistant_a_tokens", "sum_assistant_b_tokens",
        "header_count_a", "header_count_b", "list_count_a", "list_count_b", "bold_count_a", "bold_count_b"]
WIN = ["model_a", "model_b", "tie", "tie (bothbad)"]
BIG = "big" + "x" * 300000  # a name longer than the 64 KiB read block
NAMES = ["a", "b2", "c" * 7, "d" * 8, "e" * 9, "f" * 15, "f" * 16, "f" * 17,
         "same-start-AAAA-same-end", "same-start-BBBB-same-end",  # equal first/last 8 bytes
         "same-start-AAAAA-same-end",
         "pre", "pref", "prefix", "gpt-4o-2024-05-13", "claude-3-5-sonnet-20240620", "ünïcödé-模型", BIG]
N_ROWS = 40000  # ≈ 1.7 MB + 80 lines with the 300 KB name ≈ 26 MB: 3 chunks with 3 threads


def battles(seed=11):
    rnd = random.Random(seed)
    rows = []
    for i in range(N_ROWS):
        a, b = rnd.sample(NAMES if i % 500 == 7 else NAMES[:-1], 2)
        rows.append([a, b, rnd.choice(WIN), f"{1.7e9 + i * 0.37:.2f}"] +
                    [str(rnd.choice([0, 0, 1, 2, 3, rnd.randint(0, 4000)])) for _ in range(8)])
    return rows


def quote(x):
    return '"' + x.replace('"', '""') + '"'


def fast_text(rows):
    return ",".join(COLS) + "\n" + "".join(",".join(r) + "\n" for r in rows)


def slow_text(rows):
    """Every field quoted: no line takes the fast path."""
    return ",".join(COLS) + "\n" + "".join(",".join(quote(x) for x in r) + "\n" for r in rows)


def odd_text(rows):
    """Mixed: CRLF, '\\r' runs at line ends, a quoted field now and then,
    blank lines, leading zeros and '.0' (the strtod path), a final line
    without '\\n'."""
    out = [",".join(COLS) + "\r\n"]
    for i, r in enumerate(rows):
        r = list(r)
        k = i % 7
        if k == 1:
            r[0] = quote(r[0])
        elif k == 2:
            r[5] = "00" + r[5]
        elif k == 3:
            r[6] = r[6] + ".0"
        elif k == 4:
            r[3] = " " + r[3]
        end = ["\n", "\r\n", "\r\r\n"][i % 3]
        out.append(",".join(r) + (end if i + 1 < len(rows) else ""))
        if i % 4999 == 0:
            out.append("\n" if i % 2 else " \t\r\n")
    return "".join(out)


def fit(path, out, *args, threads=1, stdin=None):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    p = subprocess.run([BIN, "fit", str(path), "-o", str(out), *args], capture_output=True, env=env,
                       input=stdin, timeout=300)
    assert p.returncode == 0, p.stderr.decode()
    return out.read_bytes() + (out.with_name(out.stem + ".style.csv").read_bytes() if "--style" in args else b"")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("fastpath")
    rows = battles()
    paths = {}
    for name, text in [("fast", fast_text(rows)), ("slow", slow_text(rows)), ("odd", odd_text(rows))]:
        paths[name] = d / f"{name}.csv"
        paths[name].write_text(text, encoding="utf-8")
    assert paths["fast"].stat().st_size > 3 * 2**20  # ≥ 1 MiB per chunk: 3 chunks with 3 threads
    return rows, paths


@pytest.mark.parametrize("args", [("--style",), ()], ids=["style", "plain"])
def test_fast_slow_and_odd_lines_agree(tmp_path, files, args):
    rows, paths = files
    outs = {}
    for name, path in paths.items():
        for t in (1, 3):
            outs[name, t] = fit(path, tmp_path / f"{name}{t}.csv", *args, threads=t)
    outs["pipe", 2] = fit("/dev/stdin", tmp_path / "pipe.csv", *args, threads=2,
                          stdin=paths["fast"].read_bytes())
    ref = outs["slow", 1]
    for k, v in outs.items():
        assert v == ref, f"{k} differs from the all-quoted file"


def test_names_keep_their_own_counts(tmp_path, files):
    rows, paths = files
    want = collections.Counter()
    for r in rows:
        want[r[0]] += 1
        want[r[1]] += 1
    out = tmp_path / "n.csv"
    fit(paths["fast"], out, threads=3)
    csv.field_size_limit(2 * len(BIG))
    with open(out, newline="", encoding="utf-8") as f:
        got = {r["model"]: int(r["battles"]) for r in csv.DictReader(f)}
    assert got == dict(want)


def test_bytes_after_nul_are_cut_as_before(tmp_path):
    """A name is the field's text up to a NUL byte (the splitter's strings);
    the fast path leaves such lines to it, so 'ab\\0c' stays 'ab'."""
    rnd = random.Random(2)
    lines, nul = [], []
    for i in range(3000):
        a, b = rnd.sample(["ab", "cd", "ef"], 2)
        w = rnd.choice(WIN)
        lines.append(f"{a},{b},{w}\n")
        nul.append(f"{a}{chr(0) + 'zz' if i % 3 == 0 else ''},{b},{w}\n")
    p, q = tmp_path / "p.csv", tmp_path / "q.csv"
    p.write_text("model_a,model_b,winner\n" + "".join(lines))
    q.write_text("model_a,model_b,winner\n" + "".join(nul))
    assert fit(p, tmp_path / "p_out.csv") == fit(q, tmp_path / "q_out.csv")


def test_plain_fit_table_equals_row_by_row_table(tmp_path, files):
    """Plain fit keeps no rows (the table is summed per chunk); fastchat-json
    builds the table battle by battle: the outputs must be byte-identical."""
    rows, paths = files
    recs = [{"model_a": r[0], "model_b": r[1], "winner": r[2], "anony": True} for r in rows]
    jp = tmp_path / "b.json"
    jp.write_text(json.dumps(recs))
    a = fit(paths["fast"], tmp_path / "csv.csv", threads=3)
    b = fit(jp, tmp_path / "json.csv", "--format", "fastchat-json")
    assert a == b


def limit_file(path, bad_line=None):
    """3.4-5 MB: 130,000 battles among 10 models, then 5,000 battles that each
    bring one new model (all in the last chunk with 3 threads), then 100 more.
    Returns the line number and name of the 4,097th model."""
    rnd = random.Random(4)
    base = [f"base{i}" for i in range(10)]
    lines = ["model_a,model_b,winner"]
    seen = list(base)
    for _ in range(130000):
        a, b = rnd.sample(base, 2)
        lines.append(f"{a},{b},{rnd.choice(WIN)},{'x' * 20}")
    at = None
    for i in range(5000):
        lines.append(f"{base[i % 10]},new{i},model_a,{'x' * 20}")
        seen.append(f"new{i}")
        if at is None and len(seen) > 4096:
            at = (len(lines), f"new{i}")
    lines += [f"{base[0]},{base[1]},tie,{'x' * 20}"] * 100
    if bad_line:
        lines[bad_line - 1] = "base0,base1,nobody," + "x" * 20
    lines[0] += ",pad"
    path.write_text("\n".join(lines) + "\n")
    return at


@pytest.mark.parametrize("args", [("--style", "--style-features", "tokens"), ()], ids=["style", "plain"])
def test_model_limit_found_in_a_late_chunk(tmp_path, args):
    """The model limit crossed in the last chunk, whose own map passes the
    limit (it stops counting pairs): the sequential re-read names the line
    and model as before, for any thread count; an earlier bad line wins."""
    p = tmp_path / "many.csv"
    line, name = limit_file(p)
    if args:  # the style columns: every line needs them
        text = p.read_text().replace(",pad\n", ",sum_assistant_a_tokens,sum_assistant_b_tokens\n", 1)
        p.write_text(text.replace(",xxxxxxxxxxxxxxxxxxxx\n", ",5,7\n"))
    assert p.stat().st_size > 3 * 2**20  # 3 chunks with 3 threads
    for t in (1, 3):
        env = dict(os.environ, OMP_NUM_THREADS=str(t))
        r = subprocess.run([BIN, "fit", str(p), *args], capture_output=True, text=True, env=env, timeout=300)
        assert r.returncode == 2
        assert f"{p}:{line}: model '{name}' is model number 4097, more than the limit of 4096" in r.stderr, r.stderr
    q = tmp_path / "bad_first.csv"
    limit_file(q, bad_line=70000)
    for t in (1, 3):
        env = dict(os.environ, OMP_NUM_THREADS=str(t))
        r = subprocess.run([BIN, "fit", str(q)], capture_output=True, text=True, env=env, timeout=300)
        assert r.returncode == 2
        assert f"{q}:70000: unknown winner 'nobody'" in r.stderr, r.stderr
