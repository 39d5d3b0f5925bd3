# Shared fixtures of the integration tests (run with Debian's /usr/bin/python3).
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("ARENASIM_BIN", str(ROOT / "bin" / "arenasim"))


def arenasim(*args, check=True, **kw):
    """Run bin/arenasim; returns the CompletedProcess (text mode)."""
    p = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"arenasim {' '.join(map(str, args))} exited {p.returncode}:\n{p.stderr}")
    return p


@pytest.fixture
def run_cli():
    return arenasim
