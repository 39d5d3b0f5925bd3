#!/usr/bin/env bash
# test_slurm.sh — end-to-end test of the Slurm scripts on a private one-node
# cluster (`make test-slurm`; needs root, starts munged/slurmctld/slurmd, so
# it is not part of `make test`):
#   1. start the cluster (scripts/slurm-local/start-slurm.sh) on its own
#      directory and ports,
#   2. scripts/slurm/submit-sweep.sh configs/examples/sweep-smoke.yaml into a
#      temporary OUTDIR with 3 shards (array job + dependent merge job),
#   3. wait for the merge job (timeout), check every task and the merge
#      succeeded and each shard holds exactly its points,
#   4. compare OUTDIR/merged.h5 with a single-process run: every dataset
#      under /results and /summary and /sweep/complete bitwise equal,
#   5. stop the cluster (also on failure). Exit 0 only if all of this holds.
# Environment: ARENASIM_TEST_SLURM_TIMEOUT (s, default 300), KEEP=1 keeps the
# temporary directory, SLURM_LOCAL_DIR / SLURM_LOCAL_CTLD_PORT /
# SLURM_LOCAL_SLURMD_PORT as for start-slurm.sh (defaults here: a directory
# under /tmp and ports 6917/6918, so a cluster on the default ports is not
# disturbed).
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO" || exit 1
PY=/usr/bin/python3
BIN=${ARENASIM_BIN:-$REPO/bin/arenasim}
CONFIG=configs/examples/sweep-smoke.yaml
NSHARDS=3
TIMEOUT=${ARENASIM_TEST_SLURM_TIMEOUT:-300}
export SLURM_LOCAL_DIR=${SLURM_LOCAL_DIR:-/tmp/arenasim-test-slurm/cluster}
export SLURM_LOCAL_CTLD_PORT=${SLURM_LOCAL_CTLD_PORT:-6917}
export SLURM_LOCAL_SLURMD_PORT=${SLURM_LOCAL_SLURMD_PORT:-6918}

log() { echo "[test-slurm] $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "must run as root (starts munged/slurmctld/slurmd)"
[ -x "$BIN" ] || fail "$BIN not built (make)"

WORK=$(mktemp -d /tmp/arenasim-test-slurm.XXXXXX)
chmod 755 "$WORK"
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -d "$WORK/sweep/logs" ]; then
    for f in "$WORK"/sweep/logs/*; do echo "----- $f" >&2; tail -n 20 "$f" >&2; done
  fi
  bash "$REPO/scripts/slurm-local/stop-slurm.sh" || true
  if [ "${KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  if [ "$rc" -eq 0 ]; then log "PASS"; else log "FAILED (exit $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "starting the local Slurm cluster in $SLURM_LOCAL_DIR"
bash "$REPO/scripts/slurm-local/start-slurm.sh" || fail "could not start the cluster"
export SLURM_CONF=$SLURM_LOCAL_DIR/etc/slurm.conf

log "submitting $CONFIG as $NSHARDS shards"
ids=$(ARENASIM_BIN=$BIN scripts/slurm/submit-sweep.sh "$CONFIG" "$WORK/sweep" "$NSHARDS") ||
  fail "submit-sweep.sh failed"
echo "$ids"
array=$(sed -n 's/^ARRAY_JOB_ID=\([0-9][0-9]*\)$/\1/p' <<<"$ids")
merge=$(sed -n 's/^MERGE_JOB_ID=\([0-9][0-9]*\)$/\1/p' <<<"$ids")
{ [ -n "$array" ] && [ -n "$merge" ]; } || fail "no job ids in submit-sweep.sh output"

# Job states: accounting is off in this cluster, so ask slurmctld (it keeps
# finished jobs for MinJobAge=300 s).
states() {  # states JOBID -> one JobState per job / array task
  scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2
}
end=$((SECONDS + TIMEOUT))
while :; do
  st=$(states "$merge")
  case "$st" in
    COMPLETED) break ;;
    PENDING|RUNNING|CONFIGURING|COMPLETING|"") ;;
    *) log "array job $array: $(states "$array" | tr '\n' ' ')"
       fail "merge job $merge ended in state $st" ;;
  esac
  [ $SECONDS -lt $end ] || { scancel "$array" "$merge" 2>/dev/null
                             fail "timed out after ${TIMEOUT}s (merge job $merge: ${st:-?})"; }
  sleep 1
done
log "merge job $merge COMPLETED"

task_states=$(states "$array" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
log "array job $array task states: $task_states"
[ "$(states "$array" | grep -c '^COMPLETED$')" = "$NSHARDS" ] ||
  fail "not all $NSHARDS array tasks COMPLETED: $task_states"
[ -f "$WORK/sweep/merged.h5" ] || fail "no $WORK/sweep/merged.h5"
ls "$WORK"/sweep/*.part >/dev/null 2>&1 && fail "leftover .part files: $(ls "$WORK"/sweep/*.part)"

log "single-process reference run"
"$BIN" run "$CONFIG" -o "$WORK/single.h5" --quiet || fail "reference run failed"

log "comparing merged.h5 with the single-process run"
"$PY" - "$WORK/sweep/merged.h5" "$WORK/single.h5" "$WORK/sweep" "$NSHARDS" <<'PYEOF' || fail "merged output differs"
import sys
import h5py
import numpy as np

merged, single, sweepdir, nshards = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def read_all(path):
    out = {}
    with h5py.File(path, "r") as f:
        for group in ("results", "summary"):
            f[group].visititems(lambda n, o, g=group: out.__setitem__(f"/{g}/{n}", o[...])
                                if isinstance(o, h5py.Dataset) else None)
        out["/sweep/complete"] = f["sweep/complete"][...]
    return out


a, b = read_all(merged), read_all(single)
ok = True
if sorted(a) != sorted(b):
    print("dataset names differ:", sorted(set(a) ^ set(b)))
    ok = False
n_results = sum(k.startswith("/results/") for k in a)
n_summary = sum(k.startswith("/summary/") for k in a)
if not n_results or not n_summary:
    print("no /results or /summary datasets")
    ok = False
for k in sorted(set(a) & set(b)):
    x, y = a[k], b[k]
    if x.dtype != y.dtype or x.shape != y.shape or not np.array_equal(
            x, y, equal_nan=x.dtype.kind in "fc"):
        print("differs:", k)
        ok = False
npts = len(b["/sweep/complete"])
if not b["/sweep/complete"].all():
    print("single run incomplete")
    ok = False
for i in range(nshards):
    with h5py.File(f"{sweepdir}/shard-{i}.h5", "r") as f:
        c = f["sweep/complete"][...].astype(int).tolist()
    want = [int(p % nshards == i) for p in range(npts)]
    if c != want:
        print(f"shard-{i}.h5 complete {c}, expected {want}")
        ok = False
print(f"compared {n_results} /results and {n_summary} /summary datasets, "
      f"{npts} points, {nshards} shards: {'identical' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
PYEOF
exit 0
