"""Sweeps, sharding, merge and resume (DESIGN §5-§6): results are bitwise
identical for any thread count, any shard split + merge, after SIGKILL +
--resume and after SIGTERM + --resume; merge and resume refuse mismatched
inputs with exit 2 and write nothing; Slurm array variables pick the shard;
bad CLI exits 2 and writes nothing.

Every comparison covers ALL datasets under /results and /summary plus
/sweep/complete (np.array_equal, NaN == NaN for floating point data).
Binary: $ARENASIM_BIN, default <repo>/bin/arenasim.
"""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("ARENASIM_BIN", str(REPO / "bin" / "arenasim"))
SMOKE = REPO / "configs" / "examples" / "sweep-smoke.yaml"
N_POINTS = 6  # sweep-smoke: variants [1,3,5] x beta tokens [0.0,0.8]


# ----------------------------------------------------------------- helpers
def run(*args, env=None, timeout=300, cwd=None):
    full_env = dict(os.environ)
    for k in list(full_env):  # never pick a shard by accident
        if k.startswith("SLURM_"):
            del full_env[k]
    if env:
        full_env.update(env)
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=cwd)


def run_ok(*args, **kw):
    p = run(*args, **kw)
    assert p.returncode == 0, f"{args}: exit {p.returncode}\n{p.stderr}"
    return p


def read_all(path):
    """{name: array} for every dataset under /results and /summary, plus
    /sweep/complete."""
    out = {}
    with h5py.File(path, "r") as f:
        for group in ("results", "summary"):
            assert group in f, f"{path}: no /{group}"

            def visit(name, obj, group=group):
                if isinstance(obj, h5py.Dataset):
                    out[f"/{group}/{name}"] = obj[...]
            f[group].visititems(visit)
        out["/sweep/complete"] = f["sweep/complete"][...]
    assert any(k.startswith("/results/") for k in out)
    assert any(k.startswith("/summary/") for k in out)
    return out


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(
        a, b, equal_nan=a.dtype.kind in "fc")


def assert_identical(pa, pb):
    a, b = read_all(pa), read_all(pb)
    assert sorted(a) == sorted(b), f"dataset names differ: {sorted(set(a) ^ set(b))}"
    bad = [k for k in sorted(a) if not same(a[k], b[k])]
    assert not bad, f"{pa} vs {pb}: datasets differ: {bad}"


def complete_of(path):
    with h5py.File(path, "r") as f:
        return f["sweep/complete"][...].astype(int).tolist()


def try_complete(path):
    """/sweep/complete of a file another process is writing, or None."""
    try:
        try:
            f = h5py.File(path, "r", locking=False)
        except TypeError:  # h5py without the locking keyword
            f = h5py.File(path, "r")
        with f:
            return f["sweep/complete"][...].astype(int).tolist()
    except Exception:  # not there yet, locked, or half written
        return None


def slow_config(tmp_path, name="slow.yaml", seed=None):
    """sweep-smoke with more replicates and battles: ~0.3-1 s per point, so a
    run can be interrupted in the middle of the sweep; 8 points."""
    text = SMOKE.read_text()
    subs = [(r"(?m)^replicates: \d+", "replicates: 32"),
            (r"(?m)^  public_battles: \d+", "  public_battles: 40000"),
            (r"values: \[1, 3, 5\]", "values: [1, 3, 5, 7]")]
    if seed is not None:
        subs.append((r"(?m)^seed: \d+", f"seed: {seed}"))
    for pat, rep in subs:
        text, n = re.subn(pat, rep, text)
        assert n == 1, pat
    p = tmp_path / name
    p.write_text(text)
    return p


def start(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    return subprocess.Popen([BIN, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def wait_points(proc, part, n=1, timeout=120):
    """Poll the .part file until >= n points are complete; returns the list."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        c = try_complete(part)
        if c is not None and sum(c) >= n:
            return c
        if proc.poll() is not None:
            pytest.fail(f"run ended (exit {proc.returncode}) before it could be "
                        f"interrupted: {proc.stderr.read()}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"no point completed in {part} within {timeout} s")


def listing(d):
    return sorted(p.name for p in Path(d).iterdir())


# ----------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def ref(tmp_path_factory):
    """Single-process, single-thread run of sweep-smoke."""
    d = tmp_path_factory.mktemp("ref")
    out = d / "ref.h5"
    run_ok("run", SMOKE, "-o", out, "--threads", 1, "--quiet")
    assert complete_of(out) == [1] * N_POINTS
    return out


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """sweep-smoke run as shards 0/3, 1/3, 2/3."""
    d = tmp_path_factory.mktemp("shards")
    paths = []
    for i in range(3):
        p = d / f"shard-{i}.h5"
        run_ok("run", SMOKE, "-o", p, "--shard", f"{i}/3", "--quiet", "--threads", 2)
        assert not Path(str(p) + ".part").exists()
        paths.append(p)
    return paths


@pytest.fixture(scope="module")
def slow_ref(tmp_path_factory):
    """Uninterrupted run of the slow config (the target for resume tests)."""
    d = tmp_path_factory.mktemp("slowref")
    cfg = slow_config(d)
    out = d / "slow-ref.h5"
    run_ok("run", cfg, "-o", out, "--threads", 2, "--quiet")
    return cfg, out


# ----------------------------------------------------------------- tests
def test_check_prints_points():
    p = run_ok("check", SMOKE)
    lines = p.stdout.splitlines()
    head = [i for i, l in enumerate(lines) if re.match(r"^#\s+point\s", l)]
    assert len(head) == 1, p.stdout
    rows = [l for l in lines[head[0] + 1:] if re.match(r"^#\s+\d+\s", l)]
    assert [int(r.split()[1]) for r in rows] == list(range(N_POINTS)), p.stdout
    assert f"{N_POINTS} sweep point(s)" in p.stdout


def test_threads_identical(ref, tmp_path):
    # 3 and 5 do not divide the 8 replicates: threads then start the next
    # point while the current one's last replicates run (sweep/sweep.c), so
    # points finish and are written out of order
    for t in (2, 3, 4, 5):
        out = tmp_path / f"t{t}.h5"
        run_ok("run", SMOKE, "-o", out, "--threads", t, "--quiet")
        assert_identical(ref, out)


def test_shards_complete_their_points(shards):
    for i, p in enumerate(shards):
        assert complete_of(p) == [int(k % 3 == i) for k in range(N_POINTS)]


def test_shard_merge_identical(ref, shards, tmp_path):
    out = tmp_path / "merged.h5"
    # order of the shards on the command line does not matter
    run_ok("merge", shards[2], shards[0], shards[1], "-o", out)
    assert not Path(str(out) + ".part").exists()
    assert_identical(ref, out)


def test_merge_refuses_different_configs(shards, tmp_path):
    other_cfg = tmp_path / "other.yaml"
    other_cfg.write_text(re.sub(r"(?m)^seed: \d+", "seed: 1", SMOKE.read_text()))
    other = tmp_path / "other-2.h5"
    run_ok("run", other_cfg, "-o", other, "--shard", "2/3", "--quiet")
    out = tmp_path / "out.h5"
    before = listing(tmp_path)
    p = run("merge", shards[0], shards[1], other, "-o", out)
    assert p.returncode == 2, p.stderr
    assert "config" in p.stderr and str(other) in p.stderr, p.stderr
    assert listing(tmp_path) == before  # neither out.h5 nor out.h5.part


def test_merge_refuses_duplicated_points(shards, tmp_path):
    out = tmp_path / "out.h5"
    p = run("merge", shards[0], shards[1], shards[2], shards[0], "-o", out)
    assert p.returncode == 2, p.stderr
    # shard 0 of 3 owns points 0 and 3
    assert re.search(r"\b0 \(", p.stderr) and re.search(r"\b3 \(", p.stderr), p.stderr
    assert "more than one shard" in p.stderr, p.stderr
    assert listing(tmp_path) == []


def test_merge_refuses_missing_points(shards, tmp_path):
    out = tmp_path / "out.h5"
    p = run("merge", shards[0], shards[1], "-o", out)
    assert p.returncode == 2, p.stderr
    # shard 2 of 3 owns points 2 and 5
    assert re.search(r"missing.*: 2, 5\b", p.stderr), p.stderr
    assert listing(tmp_path) == []


def test_merge_does_not_clobber_existing_output(shards, tmp_path):
    out = tmp_path / "out.h5"
    out.write_bytes(b"keep me")
    p = run("merge", shards[0], shards[1], "-o", out)
    assert p.returncode == 2
    assert out.read_bytes() == b"keep me"


@pytest.mark.parametrize("env,shard", [
    ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, 1),
    ({"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"}, 2),
    # arrays numbered from 1 (sbatch --array=1-3): task 3 is shard 2
    ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"}, 2),
])
def test_slurm_env_picks_shard(env, shard, shards, tmp_path):
    out = tmp_path / "slurm.h5"
    run_ok("run", SMOKE, "-o", out, "--quiet", env=env)
    assert complete_of(out) == [int(k % 3 == shard) for k in range(N_POINTS)]
    assert_identical(shards[shard], out)


def test_shard_flag_overrides_slurm_env(shards, tmp_path):
    out = tmp_path / "s.h5"
    run_ok("run", SMOKE, "-o", out, "--shard", "0/3", "--quiet",
           env={"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"})
    assert_identical(shards[0], out)


def test_bad_slurm_env_exits_2(tmp_path):
    out = tmp_path / "s.h5"
    p = run("run", SMOKE, "-o", out, env={"SLURM_ARRAY_TASK_ID": "3",
                                           "SLURM_ARRAY_TASK_COUNT": "3"})
    assert p.returncode == 2, p.stderr
    assert listing(tmp_path) == []


def test_sigkill_then_resume_identical(slow_ref, tmp_path):
    cfg, ref_out = slow_ref
    out = tmp_path / "k.h5"
    part = Path(str(out) + ".part")
    proc = start("run", cfg, "-o", out, "--threads", 2, "--quiet")
    c = wait_points(proc, part, 1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists(), "run finished before SIGKILL; make the slow config slower"
    assert part.exists()
    assert sum(c) < len(c)
    p = run_ok("run", cfg, "-o", out, "--threads", 2, "--resume", "--quiet")
    assert not part.exists(), p.stderr
    assert_identical(ref_out, out)


def test_sigterm_exit_1_then_resume_identical(slow_ref, tmp_path):
    cfg, ref_out = slow_ref
    out = tmp_path / "t.h5"
    part = Path(str(out) + ".part")
    proc = start("run", cfg, "-o", out, "--threads", 2, "--quiet")
    wait_points(proc, part, 1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "--resume" in err, err
    assert part.exists() and not out.exists()
    done = complete_of(part)
    assert 1 <= sum(done) < len(done)
    # resume with a different thread count: still identical
    run_ok("run", cfg, "-o", out, "--threads", 1, "--resume", "--quiet")
    assert not part.exists()
    assert_identical(ref_out, out)


def test_resume_partial_shard_file_identical(ref, shards, tmp_path):
    """A .part holding some points (here: shard 0's) is completed by
    --resume of the whole sweep; only the missing points are run."""
    out = tmp_path / "r.h5"
    part = Path(str(out) + ".part")
    part.write_bytes(shards[0].read_bytes())
    run_ok("run", SMOKE, "-o", out, "--resume", "--quiet")
    assert_identical(ref, out)


def test_resume_with_changed_config_refuses(shards, tmp_path):
    out = tmp_path / "r.h5"
    part = Path(str(out) + ".part")
    part.write_bytes(shards[0].read_bytes())
    before = part.read_bytes()
    changed = tmp_path / "changed.yaml"
    changed.write_text(SMOKE.read_text().replace("replicates: 8", "replicates: 9"))
    p = run("run", changed, "-o", out, "--resume", "--quiet")
    assert p.returncode == 2, p.stderr
    assert str(part) in p.stderr or "config" in p.stderr, p.stderr
    assert part.read_bytes() == before  # untouched
    assert not out.exists()


def test_resume_of_complete_output_is_noop(ref, tmp_path):
    out = tmp_path / "done.h5"
    out.write_bytes(ref.read_bytes())
    p = run("run", SMOKE, "-o", out, "--resume")
    assert p.returncode == 0, p.stderr
    assert out.read_bytes() == ref.read_bytes()


@pytest.mark.parametrize("args", [
    ["--shard", "3/3"],
    ["--shard", "1/0"],
    ["--shard", "x"],
    ["--threads", "0"],
    ["--threads", "-1"],
    ["--bogus"],
    "no-o",
])
def test_bad_cli_exits_2_writes_nothing(args, tmp_path):
    out = tmp_path / "out.h5"
    if args == "no-o":
        argv = ["run", SMOKE]
    else:
        argv = ["run", SMOKE, "-o", out, *args]
    p = run(*argv, cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    assert p.stderr.strip(), "no message"
    assert listing(tmp_path) == []
