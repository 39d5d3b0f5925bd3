"""The CSV reader's parallel, strtod-free parse (issue 9): a file large
enough to be cut into several chunks gives byte-identical `fit` output for
any thread count and the same output as the same battles written plainly;
numbers in the shapes the fast path leaves to strtod keep their values;
errors late in the file name the right line whatever the chunking."""
import os
import random

import pytest

from fitutil import run_fit

HEADER = ("model_a,model_b,winner,tstamp,sum_assistant_a_tokens,sum_assistant_b_tokens,"
          "header_count_a,header_count_b\n")
WIN = ["model_a", "model_b", "tie", "tie (bothbad)"]
N_ROWS = 80000  # ≈ 3.5 MB: 3+ chunks of ≥ 1 MiB with 4 threads


def battles(seed=5):
    """Rows (a, b, winner, tstamp, ta, tb, ha, hb); model 'late, quoted' first
    appears in the last tenth of the file."""
    rnd = random.Random(seed)
    models = [f"m{i}" for i in range(12)]
    rows = []
    for i in range(N_ROWS):
        pool = models + (["late, quoted"] if i > 0.9 * N_ROWS else [])
        a, b = rnd.sample(pool, 2)
        rows.append((a, b, rnd.choice(WIN), 1.7e9 + i * 0.25, rnd.randint(1, 2000),
                     rnd.randint(1, 2000), rnd.randint(0, 9), rnd.randint(0, 9)))
    return rows


def q(name):
    return '"' + name.replace('"', '""') + '"' if ("," in name or '"' in name) else name


def plain(rows):
    return HEADER + "".join(f"{q(a)},{q(b)},{w},{t!r},{ta},{tb},{ha},{hb}\n"
                            for a, b, w, t, ta, tb, ha, hb in rows)


def odd(rows):
    """The same values in shapes the fast path hands to strtod or must skip:
    trailing '.0', exponents, signs, leading spaces and zeros, CRLF, blank lines."""
    out = [HEADER.replace("\n", "\r\n")]
    for i, (a, b, w, t, ta, tb, ha, hb) in enumerate(rows):
        ta_s = [str(ta), f"{ta}.0", f"{ta / 10:g}e1" if ta % 10 == 0 else f" {ta}", f"00{ta}"][i % 4]
        t_s = [repr(t), "+" + repr(t)][i % 2]
        out.append(f"{q(a)},{q(b)},{w},{t_s},{ta_s},{tb},{ha},{hb}\r\n")
        if i % 9973 == 0:
            out.append("  \r\n")
    return "".join(out)


def fit(tmp_path, path, threads, name):
    out = tmp_path / name
    env_keep = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        p = run_fit(path, "--style", "--style-features", "tokens,headers", "-o", out)
    finally:
        if env_keep is None:
            del os.environ["OMP_NUM_THREADS"]
        else:
            os.environ["OMP_NUM_THREADS"] = env_keep
    return p, out


@pytest.fixture(scope="module")
def rows():
    return battles()


def test_chunks_and_shapes_identical(tmp_path, rows):
    a = tmp_path / "plain.csv"
    a.write_text(plain(rows))
    b = tmp_path / "odd.csv"
    b.write_text(odd(rows))
    assert a.stat().st_size > 3 * 2**20
    outs = []
    for path, threads in ((a, 1), (a, 4), (b, 1), (b, 3)):
        p, out = fit(tmp_path, path, threads, f"o_{path.stem}_{threads}.csv")
        assert p.returncode == 0, p.stderr
        outs.append((out.read_text(), out.with_suffix(".style.csv").read_text()))
    assert all(o == outs[0] for o in outs[1:])
    assert "late, quoted" in outs[0][0]


@pytest.mark.parametrize("bad,expect", [
    ("-3", "sum_assistant_a_tokens"), ("nan", "sum_assistant_a_tokens"), ("1x", "sum_assistant_a_tokens"),
    ("", "sum_assistant_a_tokens"), ("0x10", None)])
def test_late_error_line(tmp_path, rows, bad, expect):
    text = plain(rows).splitlines(keepends=True)
    line = len(text) - 7  # 1-based line number of the bad row
    a, b, w, t, *_ = rows[line - 2]
    text[line - 1] = f"{q(a)},{q(b)},{w},{t!r},{bad},5,1,1\n"
    path = tmp_path / "bad.csv"
    path.write_text("".join(text))
    for threads in (1, 4):
        p, out = fit(tmp_path, path, threads, f"o{threads}.csv")
        if expect is None:  # strtod accepts hexadecimal: still a valid count
            assert p.returncode == 0, p.stderr
            continue
        assert p.returncode == 2, p.stderr
        assert f"{path}:{line}:" in p.stderr and expect in p.stderr, p.stderr
        assert not out.exists()
