#!/usr/bin/python3
"""Sweep throughput (issue 5): points × replicates × battles per second of a
whole `arenasim run` (simulation, fits, HDF5 writes) on 1 and 2 threads, for
configs/examples/sweep-smoke.yaml. Battles are those of the final
leaderboards (retracted testing votes excluded). Prints figures only.
Needs Debian's python3-h5py and python3-numpy."""
import pathlib
import subprocess
import tempfile
import time

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "examples" / "sweep-smoke.yaml"


def main():
    print(f"== sweep throughput ({CONFIG.relative_to(ROOT)})")
    with tempfile.TemporaryDirectory() as d:
        for threads in (1, 2):
            out = pathlib.Path(d) / f"t{threads}.h5"
            t0 = time.perf_counter()
            subprocess.run([str(ROOT / "bin" / "arenasim"), "run", str(CONFIG), "-o", str(out),
                            "--quiet", "--threads", str(threads)], check=True)
            dt = time.perf_counter() - t0
            with h5py.File(out, "r") as f:
                b = f["/results/battles"][()]            # point, replicate, model
                models = [m.decode() for m in f["/axes/model"][()]]
                keep = [i for i, m in enumerate(models) if not m.endswith("(released)")]
                battles = np.nansum(b[:, :, keep]) / 2
                points, reps = b.shape[:2]
            print(f"  {threads} thread(s): {points} points x {reps} replicates in {dt:.2f} s: "
                  f"{points * reps / dt:.1f} replicates/s, {battles / dt / 1e6:.2f} M battles/s")


if __name__ == "__main__":
    main()
