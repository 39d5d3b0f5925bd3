"""Faults on disk during `run` (issue 16): a write error (here a file-size
limit, RLIMIT_FSIZE, which fails writes as a full disk does) exits 1 naming
the system error, keeps the .part, and --resume once the limit is gone gives
the same bits as an uninterrupted run; two runs writing the same output: the
second refuses at once (lock file OUT.lock) and the first is not disturbed."""
import os
import resource
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("ARENASIM_BIN", str(REPO / "bin" / "arenasim"))
SMOKE = REPO / "configs" / "examples" / "sweep-smoke.yaml"


def run(*args, limit=None):
    def setlimit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, timeout=300,
                          preexec_fn=setlimit if limit else None)


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        for group in ("results", "summary", "sweep", "axes"):
            f[group].visititems(lambda n, o, g=group: out.__setitem__(f"/{g}/{n}", o[...])
                                if isinstance(o, h5py.Dataset) else None)
    return out


def assert_same_bits(a, b):
    da, db = datasets(a), datasets(b)
    assert sorted(da) == sorted(db)
    def key(a):  # bytes of numbers; strings (object arrays) by value
        return a.tolist() if a.dtype.kind == "O" else a.tobytes()
    bad = [k for k in da if da[k].dtype != db[k].dtype or da[k].shape != db[k].shape
           or key(da[k]) != key(db[k])]
    assert not bad, bad


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    out = tmp_path_factory.mktemp("full") / "full.h5"
    p = run("run", SMOKE, "-o", out, "--quiet")
    assert p.returncode == 0, p.stderr
    return out


# Limits as shares of the finished file: during the layout of the new file,
# after some points, and during the last point.
@pytest.mark.parametrize("share", [0.1, 0.5, 0.8, 0.97])
def test_write_error_keeps_part_and_resume_is_identical(full, tmp_path, share):
    out = tmp_path / "out.h5"
    part = Path(str(out) + ".part")
    limit = int(full.stat().st_size * share)
    p = run("run", SMOKE, "-o", out, "--quiet", limit=limit)
    assert p.returncode == 1, p.stderr
    assert "(File too large)" in p.stderr, p.stderr
    assert not out.exists()
    assert "Segmentation" not in p.stderr and p.returncode > 0
    if share > 0.2:  # the layout fitted, so points were written and kept
        assert part.exists(), p.stderr
        assert f"resume with:\n  arenasim run {SMOKE} -o {out} --resume" in p.stderr
    p = run("run", SMOKE, "-o", out, "--resume")
    assert p.returncode == 0, p.stderr
    redone = p.stderr.count(" done (")
    if share > 0.9:  # points completed before the error are kept, not redone
        assert 0 < redone < 6, p.stderr
    assert out.exists() and not part.exists()
    assert sorted(x.name for x in tmp_path.iterdir() if not x.name.endswith(".damaged")) == ["out.h5"]
    assert_same_bits(full, out)


def test_second_run_on_same_output_refused(tmp_path):
    out = tmp_path / "out.h5"
    lock = Path(str(out) + ".lock")
    first = subprocess.Popen([BIN, "run", SMOKE, "-o", out, "--quiet", "--threads", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 60
        while not (lock.exists() and lock.read_text()) and time.monotonic() < end:
            assert first.poll() is None, first.stderr.read()
            time.sleep(0.02)
        for extra in ([], ["--resume"]):
            p = run("run", SMOKE, "-o", out, "--quiet", *extra)
            if first.poll() is not None:
                pytest.skip("the first run finished before the second started")
            assert p.returncode == 1, p.stderr
            assert f"{out} is being written by another arenasim run (process {first.pid} on" in p.stderr
            assert f"holds {lock}" in p.stderr
        assert first.wait(timeout=300) == 0, first.stderr.read()
    finally:
        if first.poll() is None:
            first.kill()
    assert out.exists() and not lock.exists()
    # and with the first one gone, a run takes the output again
    p = run("run", SMOKE, "-o", tmp_path / "out2.h5", "--quiet")
    assert p.returncode == 0
    assert_same_bits(out, tmp_path / "out2.h5")


def test_lock_of_a_killed_run_is_not_stale(tmp_path):
    out = tmp_path / "out.h5"
    lock = Path(str(out) + ".lock")
    first = subprocess.Popen([BIN, "run", SMOKE, "-o", out, "--quiet", "--threads", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    end = time.monotonic() + 60
    while not lock.exists() and time.monotonic() < end:
        time.sleep(0.02)
    first.kill()
    first.wait()
    assert lock.exists()  # left behind by SIGKILL, but the kernel dropped the lock
    p = run("run", SMOKE, "-o", out, "--resume", "--quiet")
    assert p.returncode == 0, p.stderr
    assert out.exists() and not lock.exists()
