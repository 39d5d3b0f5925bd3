#!/usr/bin/python3
"""Sweep throughput (issue 5): points × replicates × battles per second of a
whole `arenasim run` (simulation, fits, HDF5 writes) on 1 and 2 threads, for
configs/examples/sweep-smoke.yaml (8 replicates per point) and for the same
sweep with 3 replicates per point, which 2 threads do not divide (threads
then start the next point while the current one's last replicate runs;
issue 9), with the 2-thread speed-up of each. Battles are those of the final
leaderboards (retracted testing votes excluded). Prints figures only.
Needs Debian's python3-h5py and python3-numpy."""
import pathlib
import re
import subprocess
import tempfile
import time

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "examples" / "sweep-smoke.yaml"


def sweep(config, d, tag):
    """Run config on 1 and 2 threads; print each figure and the speed-up."""
    secs = {}
    for threads in (1, 2):
        out = pathlib.Path(d) / f"{tag}-t{threads}.h5"
        t0 = time.perf_counter()
        subprocess.run([str(ROOT / "bin" / "arenasim"), "run", str(config), "-o", str(out),
                        "--quiet", "--threads", str(threads)], check=True)
        dt = secs[threads] = time.perf_counter() - t0
        with h5py.File(out, "r") as f:
            b = f["/results/battles"][()]            # point, replicate, model
            models = [m.decode() for m in f["/axes/model"][()]]
            keep = [i for i, m in enumerate(models) if not m.endswith("(released)")]
            battles = np.nansum(b[:, :, keep]) / 2
            points, reps = b.shape[:2]
        print(f"  {threads} thread(s): {points} points x {reps} replicates in {dt:.2f} s: "
              f"{points * reps / dt:.1f} replicates/s, {battles / dt / 1e6:.2f} M battles/s")
    print(f"  2-thread speed-up: {secs[1] / secs[2]:.2f}x")


def main():
    with tempfile.TemporaryDirectory() as d:
        print(f"== sweep throughput ({CONFIG.relative_to(ROOT)})")
        sweep(CONFIG, d, "r8")
        text, n = re.subn(r"(?m)^replicates:\s*\d+", "replicates: 3", CONFIG.read_text())
        assert n == 1
        odd = pathlib.Path(d) / "sweep-smoke-r3.yaml"
        odd.write_text(text)
        print("== the same sweep with 3 replicates per point")
        sweep(odd, d, "r3")


if __name__ == "__main__":
    main()
