"""The command line as a new user meets it (issue 14):

* every subcommand's --help (and `arenasim help CMD`) exits 0 and names every
  option its parser accepts; the README's command synopsis is checked
  against the parser, so the documentation cannot drift from the code;
* the man page comes from the same tables;
* outputs are never overwritten silently: run, merge, battles and fit -o
  refuse an existing file (exit 2, naming it, file unchanged) unless --force;
* linked sweep axes: a grid with a linked axis has the same points (and the
  same results) as the equivalent zip;
* unknown names in errors list the known ones.
"""
import os
import re
import shutil
import stat

import h5py
import numpy as np
import pytest

from conftest import ROOT, arenasim

SMOKE = ROOT / "configs" / "examples" / "smoke.yaml"
SWEEP = ROOT / "configs" / "examples" / "sweep-smoke.yaml"
OPT = re.compile(r"(?<![\w-])(--?[a-z][a-z-]*)")


def commands():
    """The subcommands the top-level help lists."""
    out = arenasim("help").stdout
    cmds = re.findall(r"^  arenasim (\w+)", out, re.M)
    assert {"run", "check", "report", "fit", "battles", "merge", "help"} <= set(cmds)
    return cmds


def help_options(cmd):
    """Options named in the options section of `arenasim CMD --help`."""
    text = arenasim(cmd, "--help").stdout
    section = text.split("\noptions:\n", 1)[1]
    heads = [m.group(1) for line in section.splitlines()
             for m in [re.match(r"^ {2,6}(-\S.*?)(?: {2,}|$)", line)] if m]
    return {o for h in heads for o in OPT.findall(h)}


def readme_options():
    """{command: options} from the README's command-line block."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## Command line", 1)[1].split("```", 2)[1]
    out, cmd = {}, None
    for line in block.splitlines():
        m = re.match(r"^arenasim (\w+)", line)
        if m:
            cmd = m.group(1)
        if cmd:
            code = line.split("#", 1)[0]
            out.setdefault(cmd, set()).update(OPT.findall(code))
    return out


def accepted(cmd, opt, tmp_path):
    """True when the parser knows opt (its error, if any, is not 'unknown option')."""
    p = arenasim(cmd, opt, "1", "--", str(tmp_path / "nothing"), check=False, cwd=tmp_path)
    return "unknown option" not in p.stderr


CMDS = ["run", "check", "report", "fit", "battles", "merge", "help"]


@pytest.mark.parametrize("cmd", CMDS)
def test_help_exits_0_and_matches_help_cmd(cmd):
    a = arenasim(cmd, "--help")
    b = arenasim("help", cmd)
    c = arenasim(cmd, "-h")
    assert a.stdout == b.stdout == c.stdout
    assert a.stdout.startswith(f"usage: arenasim {cmd}")
    assert "-h, --help" in a.stdout


def test_commands_listed():
    assert commands() == CMDS


@pytest.mark.parametrize("cmd", CMDS)
def test_help_options_are_exactly_what_the_parser_accepts(cmd, tmp_path):
    opts = help_options(cmd)
    assert {"-h", "--help"} <= opts
    for opt in opts:
        assert accepted(cmd, opt, tmp_path), (cmd, opt)
    # the probe can fail: an option the help does not name is unknown
    assert not accepted(cmd, "--no-such-option", tmp_path)


@pytest.mark.parametrize("cmd", ["run", "fit", "battles", "merge"])
def test_readme_synopsis_matches_parser(cmd, tmp_path):
    documented = readme_options()[cmd]
    in_help = help_options(cmd)
    assert documented, cmd
    assert documented <= in_help, (cmd, documented - in_help)
    # every option of the parser, except --help, is in the README synopsis
    missing = {o for o in in_help - documented
               if not any(o in d or d in o for d in documented)} - {"-h", "--help"}
    assert not missing, (cmd, missing)


def test_help_shows_defaults():
    fit = " ".join(arenasim("fit", "--help").stdout.split())  # unwrapped
    for needle in ["(default: fastchat)", "(default: sandwich)", "(default: 100)",
                   "(default: tokens,headers,lists,bold)", "(default: 4)"]:
        assert needle in fit, needle
    assert "(required)" in arenasim("run", "--help").stdout
    assert "0-based" in arenasim("battles", "--help").stdout


def test_man_page_from_the_same_tables():
    man = arenasim("help", "--man").stdout
    assert man.startswith(".TH ARENASIM 1")
    for cmd in CMDS:
        assert f'.SS "arenasim {cmd}"' in man
        for opt in help_options(cmd):
            assert opt.replace("-", "\\-") in man, (cmd, opt)
    assert arenasim("help", "--man", "run", check=False).returncode == 2


def test_unknown_command_lists_commands():
    p = arenasim("help", "runn", check=False)
    assert p.returncode == 2
    assert "run" in p.stderr and "merge" in p.stderr


def test_bad_option_value_exit_2_with_usage():
    p = arenasim("fit", "x.csv", "--ci", "wild", check=False)
    assert p.returncode == 2
    assert "sandwich, bootstrap" in p.stderr and "usage: arenasim fit" in p.stderr


# ---- no silent overwrites ----------------------------------------------------

SENTINEL = b"results of a long day\n"


def refused(p, path):
    assert p.returncode == 2, p.stderr
    assert str(path) in p.stderr and "--force" in p.stderr
    assert path.read_bytes() == SENTINEL


def test_run_refuses_existing_output_and_force_replaces(tmp_path):
    out = tmp_path / "out.h5"
    out.write_bytes(SENTINEL)
    refused(arenasim("run", SMOKE, "-o", out, "--quiet", check=False), out)
    assert not (tmp_path / "out.h5.part").exists()
    arenasim("run", SMOKE, "-o", out, "--quiet", "--force")
    with h5py.File(out, "r") as f:
        assert f["/sweep/complete"][()].all()


def test_run_refuses_to_start_over_an_interrupted_run(tmp_path):
    out, part = tmp_path / "out.h5", tmp_path / "out.h5.part"
    part.write_bytes(SENTINEL)
    p = arenasim("run", SMOKE, "-o", out, "--quiet", check=False)
    assert p.returncode == 2 and str(part) in p.stderr and "--resume" in p.stderr
    assert part.read_bytes() == SENTINEL and not out.exists()
    # a .part next to a finished file: resuming would replace the file
    out.write_bytes(SENTINEL)
    p = arenasim("run", SMOKE, "-o", out, "--resume", "--quiet", check=False)
    assert p.returncode == 2 and "add --force" in p.stderr
    assert out.read_bytes() == SENTINEL and part.read_bytes() == SENTINEL


def test_battles_and_fit_refuse_existing_output(tmp_path):
    csv = tmp_path / "b.csv"
    csv.write_bytes(SENTINEL)
    refused(arenasim("battles", SMOKE, "-o", csv, check=False), csv)
    arenasim("battles", SMOKE, "-o", csv, "--force")
    assert csv.read_text().startswith("model_a,model_b,winner")
    fit = tmp_path / "fit.csv"
    fit.write_bytes(SENTINEL)
    refused(arenasim("fit", csv, "-o", fit, check=False), fit)
    # the style file counts too, and nothing is written when it is refused
    style = tmp_path / "fit2.style.csv"
    style.write_bytes(SENTINEL)
    refused(arenasim("fit", csv, "--style", "-o", tmp_path / "fit2.csv", check=False), style)
    assert not (tmp_path / "fit2.csv").exists()
    arenasim("fit", csv, "-o", fit, "--force")
    assert fit.read_text().startswith("model,score,")


def test_force_never_replaces_a_device_or_fifo(tmp_path):
    """Outputs go to a temporary file renamed into place: with --force that
    rename replaced `-o /dev/null` by a regular file. A FIFO stands in for the
    device here (the same check: not a regular file, not a symbolic link)."""
    csv = tmp_path / "b.csv"
    arenasim("battles", SMOKE, "-o", csv)
    shards = [tmp_path / f"s{i}.h5" for i in range(2)]
    for i, s in enumerate(shards):
        arenasim("run", SWEEP, "-o", s, "--shard", f"{i}/2", "--quiet")
    fifo = tmp_path / "sink"
    os.mkfifo(fifo)
    before = sorted(x.name for x in tmp_path.iterdir())
    for args in (("run", SMOKE, "--quiet"), ("battles", SMOKE), ("fit", csv),
                 ("fit", csv, "--style"), ("merge", *shards)):
        for force in ((), ("--force",)):
            p = arenasim(*args, "-o", fifo, *force, check=False)
            assert p.returncode == 2, (args, force, p.stderr)
            assert f"-o {fifo}: a FIFO" in p.stderr and "regular file" in p.stderr, p.stderr
            assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(x.name for x in tmp_path.iterdir()) == before   # nothing written


def test_merge_refuses_existing_output_and_says_what_it_wrote(tmp_path):
    shards = [tmp_path / f"s{i}.h5" for i in range(2)]
    for i, s in enumerate(shards):
        arenasim("run", SWEEP, "-o", s, "--shard", f"{i}/2", "--quiet")
    out = tmp_path / "merged.h5"
    out.write_bytes(SENTINEL)
    refused(arenasim("merge", *shards, "-o", out, check=False), out)
    p = arenasim("merge", *shards, "-o", out, "--force")
    assert f"wrote {out}" in p.stderr and "6 point(s) from 2 shard(s)" in p.stderr
    with h5py.File(out, "r") as f:
        assert f["/sweep/complete"][()].all()


# ---- linked sweep axes -------------------------------------------------------

BASE = SWEEP.read_text().split("\nsweep:", 1)[0].replace("replicates: 8 ", "replicates: 2 ")
LINKED = BASE + """
sweep:
  axes:
    - paths: ["gaming[gamer].variants", "gaming[gamer].tuned_style.count"]
      values: [[1, 1], [3, 2], [5, 5]]
    - path: voters.beta_mean.tokens
      values: [0.0, 0.8]
"""
ZIP = BASE + """
sweep:
  mode: zip
  axes:
    - path: gaming[gamer].variants
      values: [1, 1, 3, 3, 5, 5]
    - path: gaming[gamer].tuned_style.count
      values: [1, 1, 2, 2, 5, 5]
    - path: voters.beta_mean.tokens
      values: [0.0, 0.8, 0.0, 0.8, 0.0, 0.8]
"""


def points(stdout):
    lines = stdout.splitlines()
    i = next(k for k, s in enumerate(lines) if re.match(r"^# \d+ sweep point\(s\)$", s))
    return lines[i + 1][1:].split(), [s[1:].split() for s in lines[i + 2:]]


def test_linked_axis_grid_equals_zip(tmp_path):
    lp, zp = tmp_path / "linked.yaml", tmp_path / "zip.yaml"
    lp.write_text(LINKED)
    zp.write_text(ZIP)
    lc, zc = arenasim("check", lp).stdout, arenasim("check", zp).stdout
    assert points(lc) == points(zc)
    header, rows = points(lc)
    assert header[1:] == ["gaming[gamer].variants", "gaming[gamer].tuned_style.count",
                          "voters.beta_mean.tokens"]
    assert len(rows) == 6
    assert "# sweep: grid 3 x 2" in lc
    assert "linked (sweep.axes[0], one grid axis): gaming[gamer].variants + " \
           "gaming[gamer].tuned_style.count" in lc
    # the resolved config keeps the link and reloads to the same expansion
    again = tmp_path / "again.yaml"
    again.write_text(lc)
    assert arenasim("check", again).stdout == lc
    assert "paths: [" in lc
    # and the runs agree bitwise, point by point
    lo, zo = tmp_path / "l.h5", tmp_path / "z.h5"
    arenasim("run", lp, "-o", lo, "--quiet")
    arenasim("run", zp, "-o", zo, "--quiet")
    with h5py.File(lo, "r") as a, h5py.File(zo, "r") as b:
        assert [x for x in a["/sweep/axis_names"][()]] == [x for x in b["/sweep/axis_names"][()]]
        assert (a["/sweep/values"][()] == b["/sweep/values"][()]).all()
        # which axes share a grid dimension: the linked pair, then tokens
        assert list(a["/sweep/axis_dim"][()]) == [0, 0, 1]
        assert a["/sweep"].attrs["mode"] in ("grid", b"grid")
        assert b["/sweep"].attrs["mode"] in ("zip", b"zip")
        for name in ["score", "ci_lo", "selected_variant", "battles"]:
            assert np.array_equal(a["/results/" + name][()], b["/results/" + name][()],
                                  equal_nan=True), name


@pytest.mark.parametrize("values,needle", [
    ("[[1, 1], [3], [5, 5]]", "expected a list of 2 values"),
    ("[[1, 1], 3]", "got a scalar"),
    ("[[1, 1], [3, 4]]", "4 style-tuned variants but only 3 variants"),
])
def test_linked_axis_errors(tmp_path, values, needle):
    p = tmp_path / "bad.yaml"
    p.write_text(BASE + f"""
sweep:
  axes:
    - paths: ["gaming[gamer].variants", "gaming[gamer].tuned_style.count"]
      values: {values}
""")
    r = arenasim("check", p, check=False)
    assert r.returncode == 2 and needle in r.stderr, r.stderr
    assert re.search(re.escape(str(p)) + r":\d+:\d+: ", r.stderr)


def test_linked_axis_takes_no_range(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(BASE + """
sweep:
  axes:
    - paths: ["gaming[gamer].variants"]
      range: {from: 1, to: 3, steps: 3}
""")
    r = arenasim("check", p, check=False)
    assert r.returncode == 2 and "tuples" in r.stderr


def test_unknown_vendor_in_sweep_path_lists_vendors(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(BASE + """
sweep:
  axes:
    - path: gaming[flashi].variants
      values: [1, 2]
""")
    r = arenasim("check", p, check=False)
    assert r.returncode == 2
    assert "no entry of gaming has vendor 'flashi'" in r.stderr
    assert "gamer" in r.stderr.split("flashi", 1)[1]


def test_unknown_anchor_lists_models(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(BASE.replace("model: anchor-8x7b", "model: anchor-8x7"))
    r = arenasim("check", p, check=False)
    assert r.returncode == 2 and "'anchor-8x7' is not the name" in r.stderr
    assert "anchor-8x7b" in r.stderr and "frontier-a" in r.stderr
    csv = tmp_path / "b.csv"
    arenasim("battles", SMOKE, "-o", csv)
    r = arenasim("fit", csv, "--anchor", "nobody=1000", check=False)
    assert r.returncode == 2 and "'nobody' is not among" in r.stderr
    assert "anchor-8x7b" in r.stderr.split("nobody", 1)[1]


# ---- battles → fit round trip on a sweep point with several variants ------------

def test_round_trip_at_a_sweep_point(tmp_path):
    """Point 4 (5 variants, one tuned) of the sweep, computed alone as shard
    4/6; battles of replicate 1 refitted with --config --point 4 alone give
    the stored bt_style scores of every shown model."""
    out = tmp_path / "p4.h5"
    arenasim("run", SWEEP, "-o", out, "--shard", "4/6", "--quiet")
    csv = tmp_path / "b.csv"
    arenasim("battles", SWEEP, "-o", csv, "--point", 4, "--replicate", 1)
    fit = tmp_path / "fit.csv"
    arenasim("fit", csv, "--style", "--config", SWEEP, "--point", 4, "-o", fit)
    with h5py.File(out, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["/axes/model"][()]]
        stored = f["/results/score"][4, 1, 1]
    got = {}
    for line in fit.read_text().splitlines()[1:]:
        v = line.split(",")
        got[v[0]] = float(v[1])
    for i, n in enumerate(names):
        if not np.isnan(stored[i]):
            assert abs(got[n] - stored[i]) < 1e-6, n
    assert "gamer-base (listed)" in got


def test_linked_strategy_axis_is_one_game_dimension(tmp_path):
    """A game over a linked axis (variants with tuned_style.count) has 3
    strategies, not 3 x 3 with holes: check accepts it and the run's policy
    table has one row per policy."""
    p = tmp_path / "game.yaml"
    p.write_text(LINKED.replace("\nsweep:", "\ngame: {payoff: rank}\nsweep:", 1))
    arenasim("check", p)
    out = tmp_path / "g.h5"
    arenasim("run", p, "-o", out, "--quiet")
    with h5py.File(out, "r") as f:
        assert "game" in f
    rep = arenasim("report", out).stdout
    assert "voters.beta_mean.tokens=0.8" in rep


# ---- report ----------------------------------------------------------------------

def many_models(tmp_path, n_models, sweep=""):
    cfg = ("seed: 3\nreplicates: 2\nvoters: {count: 50}\narena: {public_battles: 3000}\n"
           "leaderboard: {estimators: [bt, bt_style]}\nmodels:\n")
    for i in range(n_models):
        cfg += f"  - {{name: m{i:02d}, theta: {1300 - 10 * i}, style: {{tokens: 400}}}}\n"
    cfg += ("gaming:\n  - vendor: g\n    base: {name: gb, theta: 1200, style: {tokens: 400}}\n"
            "    variants: 3\n    testing_battles: 300\n    release: base\n"
            "    release_battles: 300\n" + sweep)
    p = tmp_path / "many.yaml"
    p.write_text(cfg)
    out = tmp_path / "many.h5"
    arenasim("run", p, "-o", out, "--quiet")
    return arenasim("report", out).stdout


def test_report_counts_the_models_it_does_not_show(tmp_path):
    text = many_models(tmp_path, 14)  # 14 public + listed + released = 16 rows
    board = text.split("  leaderboard (", 1)[1].split("\n\n", 1)[0].splitlines()
    rows = [s for s in board if re.match(r"^    \S", s) and not s.startswith("    model")
            and not s.startswith("    (")]
    more = re.search(r"\((\d+) more models", "\n".join(board))
    assert more, board
    assert len(rows) + int(more.group(1)) == 16, (len(rows), more.group(1))


def test_compact_report_shows_removed_with_its_ci(tmp_path):
    sweep = ("sweep:\n  axes:\n    - path: voters.beta_mean.tokens\n"
             "      values: [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]\n")
    text = many_models(tmp_path, 4, sweep)
    assert "removed [95% CI]" in text
    line = [s for s in text.splitlines() if re.match(r"^8 ", s)][0]
    assert re.search(r"(-?\d+\.\d\d|nan) \[(-?\d+\.\d\d|nan), (-?\d+\.\d\d|nan)\]$", line), line
