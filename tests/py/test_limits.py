"""Limits on what arenasim reads (README "Limits"): each is checked before
the work it bounds starts, and breaking one is bad input (exit 2) with a
message that names the limit and where it was broken. Limits that guard
against hangs are checked with a subprocess timeout far above the time the
rejection takes (a fraction of a second), not with a speed target."""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("ARENASIM_BIN", str(REPO / "bin" / "arenasim"))

MODELS = """models:
  - {name: a, theta: 1000, style: {tokens: 100}}
  - {name: b, theta: 1100, style: {tokens: 200}}
"""


def arenasim(*args, cwd=None, timeout=60):
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


def test_deep_flow_nesting_rejected_at_once(tmp_path):
    # 100,000 nested flow lists took 45 s before the limit (quadratic in libyaml).
    for sep in ("", "\n"):
        p = tmp_path / "deep.yaml"
        n = 100_000
        p.write_text("seed: 1\nx: " + ("[" + sep) * n + ("]" + sep) * n)
        r = arenasim("check", p, timeout=10)
        assert r.returncode == 2, r.stderr
        assert f"{p}:" in r.stderr
        assert ("nesting deeper than 64 levels" in r.stderr or
                "more than the limit of 65536 bytes" in r.stderr), r.stderr


def test_deep_block_nesting_names_line(tmp_path):
    p = tmp_path / "block.yaml"
    p.write_text("seed: 1\n" + "".join(" " * i + f"k{i}:\n" for i in range(100)))
    r = arenasim("check", p)
    assert r.returncode == 2
    assert f"{p}:66:65:" in r.stderr and "nesting deeper than 64 levels" in r.stderr, r.stderr


def test_nesting_at_the_limit_is_not_a_limit_error(tmp_path):
    # 63 flow lists inside the top mapping: 64 levels, allowed by the limit
    # (the config is then wrong for the schema, which says so).
    p = tmp_path / "ok.yaml"
    p.write_text("seed: 1\narena: " + "[" * 63 + "]" * 63 + "\n")
    r = arenasim("check", p)
    assert r.returncode == 2
    assert "nesting deeper" not in r.stderr and "arena" in r.stderr, r.stderr


def test_long_line(tmp_path):
    p = tmp_path / "long.yaml"
    p.write_text("seed: 1\n# " + "x" * 70_000 + "\n" + MODELS)
    r = arenasim("check", p)
    assert r.returncode == 2
    assert f"{p}:2:65537: line is 70002 bytes long, more than the limit of 65536 bytes" in r.stderr


def test_config_size(tmp_path):
    p = tmp_path / "big.yaml"
    with open(p, "w") as f:
        f.write("seed: 1\n")
        line = "# " + "y" * 1000 + "\n"
        for _ in range(17 * 1024):
            f.write(line)
    r = arenasim("check", p)
    assert r.returncode == 2
    assert f"{p}: the config is" in r.stderr and "more than the limit of 16 MiB" in r.stderr


# ---- battle logs -------------------------------------------------------------------

def fit(*args):
    return arenasim("fit", *args)


def test_battle_log_model_limit_csv(tmp_path):
    p = tmp_path / "many.csv"
    p.write_text("model_a,model_b,winner\n" + "".join(f"m{i},m{i + 1},model_a\n" for i in range(4096)))
    r = fit(p)
    assert r.returncode == 2
    assert (f"{p}:4097: model 'm4096' is model number 4097, more than the limit of 4096 models"
            in r.stderr), r.stderr


def test_battle_log_model_limit_counts_json(tmp_path):
    import json
    p = tmp_path / "many.json"
    p.write_text(json.dumps({"models": [f"m{i}" for i in range(4097)], "X": [[0, 1]], "Y": [[1, 1, 0, 0]]}))
    r = fit(p)
    assert r.returncode == 2
    assert '"models" lists more than 4096 models (the limit)' in r.stderr, r.stderr
    # 4096 models is within the limit (the models without battles are dropped)
    p.write_text(json.dumps({"models": [f"m{i}" for i in range(4096)], "X": [[0, 1]], "Y": [[1, 1, 0, 0]]}))
    r = fit(p)
    assert r.returncode == 0 and "dropped 4094 model(s)" in r.stderr, r.stderr


def test_battle_log_line_and_string_limits(tmp_path):
    big = "x" * (16 * 2 ** 20 + 1)
    c = tmp_path / "long.csv"
    c.write_text("model_a,model_b,winner\nA,B,model_a\n" + big + "\n")
    r = fit(c)
    assert r.returncode == 2
    assert f"{c}:3: line longer than 16 MiB (the limit)" in r.stderr, r.stderr
    j = tmp_path / "long.json"
    j.write_text('[{"model_a": "A", "model_b": "B", "winner": "model_a", "judge": "' + big + '"}]')
    r = fit(j)
    assert r.returncode == 2
    assert "record 1: a string longer than 16 MiB (the limit)" in r.stderr, r.stderr


# ---- resources of a run ----------------------------------------------------------

def big_config(tmp_path, battles=None, replicates=None, sweep_steps=None):
    text = "seed: 1\n"
    if replicates:
        text += f"replicates: {replicates}\n"
    text += f"arena: {{public_battles: {battles or 1000}}}\n" + MODELS
    if sweep_steps:
        text += ("sweep:\n  axes:\n    - {path: voters.tie_threshold, range: "
                 f"{{from: 0, to: 1, steps: {sweep_steps}}}}}\n")
    p = tmp_path / "big.yaml"
    p.write_text(text)
    return p


def test_run_refuses_what_does_not_fit_in_memory(tmp_path):
    # 10^11 battles of about 100 bytes each: terabytes on any machine
    cfg = big_config(tmp_path, battles=10 ** 11)
    out = tmp_path / "out.h5"
    r = arenasim("run", cfg, "-o", out, "--threads", 2)
    assert r.returncode == 2, r.stderr
    assert "point 0 needs about" in r.stderr and "TiB of memory with 2 thread(s), more than the" in r.stderr
    assert "pass --force to run anyway" in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["big.yaml"]  # nothing written


@pytest.mark.skipif(bool(os.environ.get("ARENASIM_SANITIZE")),
                    reason="AddressSanitizer reserves terabytes of address space for its "
                           "shadow memory, so no binary built with it runs under RLIMIT_AS; "
                           "the plain `make test` runs this test")
def test_memory_limit_follows_ulimit_and_force_overrides(tmp_path):
    import resource
    cfg = big_config(tmp_path, battles=20_000_000)  # about 2 GiB for the battle buffer
    out = tmp_path / "out.h5"

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    def run(*extra):
        return subprocess.run([BIN, "run", str(cfg), "-o", str(out), "--threads", "1", *extra],
                              capture_output=True, text=True, timeout=120, preexec_fn=cap)
    r = run()
    assert r.returncode == 2, r.stderr
    assert "needs about" in r.stderr and "more than the 1 GiB this process may use" in r.stderr, r.stderr
    r = run("--force")  # tried, and the allocation fails as the estimate said
    assert r.returncode == 1, r.stderr
    assert "out of memory" in r.stderr, r.stderr


def test_run_refuses_an_output_larger_than_the_disk(tmp_path):
    # 10^5 replicates x 10^6 points: petabytes of results, little memory per point
    cfg = big_config(tmp_path, replicates=100_000, sweep_steps=1_000_000)
    r = arenasim("run", cfg, "-o", tmp_path / "out.h5")
    assert r.returncode == 2, r.stderr
    assert "the results of this run take up to" in r.stderr and "(uncompressed), more than the" in r.stderr
    assert f"free where {tmp_path / 'out.h5'} goes" in r.stderr


def test_sweep_point_and_model_limits(tmp_path):
    cfg = big_config(tmp_path, sweep_steps=1_000_001)
    r = arenasim("check", cfg)
    assert r.returncode == 2 and "1000000" in r.stderr, r.stderr
    p = tmp_path / "models.yaml"
    p.write_text("seed: 1\narena: {public_battles: 10}\nmodels:\n" +
                 "".join(f"  - {{name: m{i}, theta: 1000, style: {{tokens: 100}}}}\n" for i in range(513)))
    r = arenasim("check", p)
    assert r.returncode == 2 and "expected 2 to 512 entries, got 513" in r.stderr, r.stderr
