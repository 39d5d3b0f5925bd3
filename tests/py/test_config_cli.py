"""`arenasim check` on the configs in tests/configs (DESIGN §5: exit codes,
file:line:column in every bad-input message, nothing written on bad input).

Each bad config's first line says where its error is and what it says:
    # expect: LINE:COL message fragment
The binary is $ARENASIM_BIN, default <repo>/bin/arenasim.
"""
import os
import pathlib
import re
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("ARENASIM_BIN", str(REPO / "bin" / "arenasim"))
BAD = sorted((REPO / "tests" / "configs" / "bad").glob("*.yaml"))
GOOD = sorted((REPO / "tests" / "configs" / "good").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+) (.+)$")


def check(path, cwd=None):
    return subprocess.run([BIN, "check", str(path)], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


def expectation(path):
    m = EXPECT.match(path.read_text().split("\n", 1)[0])
    assert m, f"{path.name}: first line must be '# expect: LINE:COL message'"
    return int(m.group(1)), int(m.group(2)), m.group(3)


def test_enough_bad_configs():
    assert len(BAD) >= 25


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_config_exit_2_with_location(path, tmp_path):
    line, col, fragment = expectation(path)
    before = sorted(os.listdir(tmp_path))
    r = check(path, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    assert f"{path}:{line}:{col}: " in r.stderr, r.stderr
    assert fragment in r.stderr, r.stderr
    assert sorted(os.listdir(tmp_path)) == before  # nothing written


def test_unknown_key_hint():
    r = check(REPO / "tests" / "configs" / "bad" / "unknown_key.yaml")
    assert "did you mean 'variants'?" in r.stderr


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    r = check(missing)
    assert r.returncode == 2
    assert str(missing) in r.stderr and "cannot open" in r.stderr
    assert not missing.exists()


@pytest.mark.parametrize("args", [[], ["a.yaml", "b.yaml"], ["--bogus", "a.yaml"]])
def test_bad_usage_exit_2(args):
    r = subprocess.run([BIN, "check"] + args, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "usage" in r.stderr


def points_table(stdout):
    """(n announced, header columns, rows) of the '# N sweep point(s)' table."""
    lines = stdout.splitlines()
    i = next(k for k, s in enumerate(lines) if re.match(r"^# \d+ sweep point\(s\)$", s))
    n = int(lines[i].split()[1])
    header = lines[i + 1][1:].split()
    rows = [s[1:].split() for s in lines[i + 2:]]
    return n, header, rows


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_good_config(path, tmp_path):
    r = check(path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    n, header, rows = points_table(r.stdout)
    assert header[0] == "point"
    assert len(rows) == n and n >= 1
    assert [int(row[0]) for row in rows] == list(range(n))
    assert all(len(row) == len(header) for row in rows)
    # the printed config is itself a valid config that expands identically
    again = tmp_path / "resolved.yaml"
    again.write_text(r.stdout)
    r2 = check(again)
    assert r2.returncode == 0, r2.stderr
    assert r2.stdout == r.stdout


def test_grid_expansion_last_axis_fastest():
    r = check(REPO / "tests" / "configs" / "good" / "maverick_small.yaml")
    n, header, rows = points_table(r.stdout)
    assert header == ["point", "gaming[meta].variants", "voters.beta_mean.tokens"]
    assert n == 9
    assert [row[1:] for row in rows] == [[v, t] for v in ["1", "3", "9"]
                                         for t in ["0", "0.25", "0.5"]]


def test_zip_expansion():
    r = check(REPO / "tests" / "configs" / "good" / "zip_selectors.yaml")
    n, header, rows = points_table(r.stdout)
    assert n == 3
    assert [row[1:] for row in rows] == [["1150", "0", "none", "1000"],
                                         ["1160", "5", "fastchat", "1114"],
                                         ["1170", "10", "arena_rank", "1200"]]


def test_defaults_written_out():
    r = check(REPO / "tests" / "configs" / "good" / "zip_selectors.yaml")
    out = r.stdout
    for key in ["replicates: 5", "length_sd: 0.5", "transform: diff_ratio", "count: 1000",
                "bothbad_share: 0.5", "sampling: uniform",
                "estimators: [bt, bt_style, elo]",
                "style_features: [tokens, headers, lists, bold]", "style_penalty: fastchat",
                "ci: sandwich", "bootstrap_rounds: 100", "ci_level: 0.95", "elo_k: 4",
                "neutral_rerun: false", "listed_votes: keep", "unlisted_votes: retract",
                "release: none", "select_by: bt"]:
        assert key in out, key
