#!/usr/bin/python3
"""Whole-process timings of the arenasim binary (issue 9), optionally side by
side with a previous build or commit. Prints figures only; asserts nothing.

    bench/bench_cli.py                 figures of this tree
    bench/bench_cli.py --base REV|DIR  the same figures for a previous commit
                                       (built in build/bench-base/REV from a
                                       `git worktree`) or for a built tree DIR,
                                       run interleaved with this tree's, with
                                       the ratio base/new of the medians

Figures (seconds, wall clock, median of --repeat runs; each line also shows
the 1-minute load average before and after, since the machine may be shared):
  sim 1t / sim 2t      simulated battles/s of build/bench/bench_sim (M/s)
  replicate            `arenasim run` of configs/default.yaml with replicates: 1
                       (its neutral rerun included), 1 thread, pinned to one
                       CPU (--cpu; the two vCPUs of a virtual machine need not
                       be equally fast, so an unpinned 1-thread figure
                       depends on where the scheduler put it)
  fit / fit --style    `arenasim fit` on a 1M-battle CSV (40 models, the four
                       style columns of the arena's 2024 set), 2 threads
  style bootstrap      `fit --style --ci bootstrap --bootstrap 100`, 2 threads
  parse                in-process CSV read of the same file (MB/s; bench_fit,
                       this tree only when the base's bench_fit lacks it)
Optional: ARENASIM_BENCH_PEER="command ..." is timed once per repeat as a peer
(e.g. the arena's own rating code on the same CSV, which it gets as $CSV) and
reported as a ratio to `fit --style`.
Targets (not asserted): sim 2t >= 20 M/s; replicate >= 2x faster than the
pre-issue-9 build; fit --style >= 50x faster than the peer; fit <= 0.12 s;
parse >= 400 MB/s; style bootstrap <= 5 s.
"""
import argparse
import os
import pathlib
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load():
    try:
        return float(pathlib.Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


def run(cmd, env=None, cpu=None, **kw):
    """Run cmd to completion (on CPU `cpu` only, where given): (seconds, stdout)."""
    e = dict(os.environ)
    e.update(env or {})
    if cpu is not None:
        kw["preexec_fn"] = lambda: os.sched_setaffinity(0, {cpu})
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, **kw)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {p.returncode}:\n{p.stderr[-2000:]}")
    return dt, p.stdout


def build_base(rev):
    """A built tree for REV (a directory is used as it is)."""
    d = pathlib.Path(rev)
    if d.is_dir() and (d / "bin" / "arenasim").exists():
        return d
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", rev], check=True,
                         capture_output=True, text=True).stdout.strip()
    d = ROOT / "build" / "bench-base" / sha
    if not (d / "Makefile").exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(d), sha], check=True,
                       capture_output=True)
    subprocess.run(["make", "-C", str(d), "-j2", "all", "build/bench/bench_sim", "build/bench/bench_fit"],
                   check=True, capture_output=True)
    return d


def scenario_csv(tree, workdir):
    """1M public battles among 40 models (the bench_sim profiles), via `battles`."""
    cfg = workdir / "b1m.yaml"
    lines = ["seed: 1", "replicates: 1",
             "voters: {count: 1000, beta_mean: {tokens: 0.8, headers: 0.1, lists: 0.1, bold: 0.1},"
             " beta_sd: {tokens: 0.3}, tie_threshold: 0.6, bothbad_share: 0.5}",
             "arena: {public_battles: 1000000}", "models:"]
    for i in range(40):
        lines.append(f"  - {{name: m{i:02d}, theta: {1100 + 8 * i}, style: {{tokens: {300 + 13 * i}, "
                     f"headers: {0.1 * (i % 7):.1f}, lists: {0.3 * (i % 11):.1f}, bold: {0.4 * (i % 9):.1f}}}}}")
    cfg.write_text("\n".join(lines) + "\n")
    raw = workdir / "raw.csv"
    run([str(tree / "bin" / "arenasim"), "battles", str(cfg), "-o", str(raw)])
    # keep the arena's columns: model_a, model_b, winner and the four style pairs
    keep = ["model_a", "model_b", "winner", "sum_assistant_a_tokens", "sum_assistant_b_tokens",
            "header_count_a", "header_count_b", "list_count_a", "list_count_b", "bold_count_a", "bold_count_b"]
    out = workdir / "b1m.csv"
    with open(raw) as f, open(out, "w") as g:
        head = f.readline().rstrip("\n").split(",")
        idx = [head.index(c) for c in keep]
        g.write(",".join(keep) + "\n")
        for line in f:
            x = line.rstrip("\n").split(",")
            g.write(",".join(x[i] for i in idx) + "\n")
    raw.unlink()
    return out


def default_one(workdir):
    text = (ROOT / "configs" / "default.yaml").read_text()
    text, n = re.subn(r"(?m)^replicates:\s*\d+", "replicates: 1", text)
    assert n == 1
    cfg = workdir / "default1.yaml"
    cfg.write_text(text)
    return cfg


def measures(tree, csv, cfg1, workdir, cpu):
    """name -> (function returning a value, unit, higher_is_better)."""
    exe = str(tree / "bin" / "arenasim")
    bsim = tree / "build" / "bench" / "bench_sim"
    bfit = tree / "build" / "bench" / "bench_fit"
    two = {"OMP_NUM_THREADS": "2"}
    seq = iter(range(10**9))

    def out():
        """A fresh output name per run: fit and run refuse to overwrite."""
        return str(workdir / f"o_{tree.name}_{next(seq)}.csv")
    later_2t = []  # the 2-thread figures of the bench_sim runs made for the 1-thread row

    def sim(threads):
        def f():
            if threads == 2 and later_2t:
                return later_2t.pop(0)
            _, txt = run([str(bsim)], env={"ARENASIM_BENCH_SIM_ONLY": "1"})
            got = {int(t): float(v) for t, v in re.findall(r"battles/s, (\d) thread\(s\): ([0-9.]+) M", txt)}
            if threads == 1:
                later_2t.append(got[2])
            return got[threads]
        return f

    def parse():
        src = tree / "bench" / "bench_fit.c"
        if not bfit.exists() or "ARENASIM_BENCH_PARSE_ONLY" not in src.read_text():
            return float("nan")  # a base from before the parse figure
        _, txt = run([str(bfit)], env={"ARENASIM_BENCH_CSV": str(csv), "ARENASIM_BENCH_PARSE_ONLY": "1"})
        m = re.search(r"csv parse.*?: ([0-9.]+) MB/s", txt)
        return float(m.group(1)) if m else float("nan")

    return {
        "sim 1t (M battles/s)": (sim(1), True),
        "sim 2t (M battles/s)": (sim(2), True),
        "replicate, default.yaml (s)": (lambda: run([exe, "run", str(cfg1), "-o", out() + ".h5",
                                                      "--quiet", "--threads", "1"], cpu=cpu)[0], False),
        "fit (s)": (lambda: run([exe, "fit", str(csv), "--threads", "2", "-o", out()])[0], False),
        "fit --style (s)": (lambda: run([exe, "fit", str(csv), "--style", "--threads", "2", "-o", out()])[0],
                            False),
        "style bootstrap x100 (s)": (lambda: run([exe, "fit", str(csv), "--style", "--ci", "bootstrap",
                                                  "--bootstrap", "100", "--threads", "2", "-o", out()])[0],
                                     False),
        "csv parse (MB/s)": (parse, True),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", help="commit or built tree to compare against")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", help="regex of the figures to run")
    ap.add_argument("--cpu", type=int, default=min(os.sched_getaffinity(0)),
                    help="CPU of the 1-thread whole-process figures (default: the first one "
                         "this process may use; -1: unpinned)")
    a = ap.parse_args()
    cpu = None if a.cpu < 0 else a.cpu
    trees = [("new", ROOT)]
    if a.base:
        trees.insert(0, ("base", build_base(a.base)))
    with tempfile.TemporaryDirectory() as d:
        w = pathlib.Path(d)
        csv = scenario_csv(ROOT, w)
        cfg1 = default_one(w)
        ms = {name: measures(tree, csv, cfg1, w, cpu) for name, tree in trees}
        peer = os.environ.get("ARENASIM_BENCH_PEER")
        print(f"== whole-process timings ({csv.stat().st_size / 1e6:.0f} MB CSV, "
              f"{a.repeat} runs each, interleaved; median; 1-thread runs on "
              f"{'any CPU' if cpu is None else f'CPU {cpu}'})")
        hdr = f"  {'figure':30s}" + "".join(f"{n:>10s}" for n, _ in trees)
        if a.base:
            hdr += f"{'new/base':>10s}"
        print(hdr + "   load before-after")
        names = list(ms["new"])
        if a.only:
            names = [n for n in names if re.search(a.only, n)]
        if peer:
            names.append("peer (s)")
        for name in names:
            vals = {n: [] for n, _ in trees}
            l0 = load()
            for _ in range(a.repeat):
                for n, _ in trees:
                    if name == "peer (s)":
                        if n == "new":
                            t0 = time.perf_counter()
                            subprocess.run(peer, shell=True, check=True, capture_output=True,
                                           env=dict(os.environ, CSV=str(csv)))
                            vals[n].append(time.perf_counter() - t0)
                        continue
                    try:
                        vals[n].append(ms[n][name][0]())
                    except (RuntimeError, KeyError) as e:
                        print(f"  {name}: {n}: {e}", file=sys.stderr)
            med = {n: statistics.median(v) if v else float("nan") for n, v in vals.items()}
            line = f"  {name:30s}" + "".join(f"{med[n]:10.3f}" for n, _ in trees)
            if a.base:
                hib = ms["new"].get(name, (None, False))[1]
                r = med["new"] / med["base"] if hib else med["base"] / med["new"]
                line += f"{r:9.2f}x"
            print(line + f"   {l0:.2f}-{load():.2f}", flush=True)
        if peer:
            print("  (peer ratio: peer / new fit --style, from the two medians above)")
    if a.base:
        print("  new/base: speed-up of this tree (>1 = faster), from the medians")


if __name__ == "__main__":
    main()
