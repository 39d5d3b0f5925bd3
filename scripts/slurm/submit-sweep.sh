#!/usr/bin/env bash
# submit-sweep.sh — run an arenasim sweep on Slurm: a job array with one task
# per shard (scripts/slurm/arenasim-array.sbatch), then a merge job
# (scripts/slurm/arenasim-merge.sbatch) that starts only when every task
# succeeded (--dependency=afterok) and writes OUTDIR/merged.h5.
#
#   scripts/slurm/submit-sweep.sh CONFIG OUTDIR NSHARDS [SBATCH_OPTION...]
#
# SBATCH_OPTIONs (e.g. --partition=long --time=04:00:00 --account=X) go to
# both jobs; SBATCH_* environment variables work as usual.
# Environment:
#   ARENASIM_BIN            binary (default: <repo>/bin/arenasim, or
#                           PREFIX/bin/arenasim when installed)
#   ARENASIM_CPUS_PER_TASK  CPUs (= OpenMP threads) per shard task (default 1)
# Prints the job ids on stdout as
#   ARRAY_JOB_ID=<id>
#   MERGE_JOB_ID=<id>
# Shard files: OUTDIR/shard-I.h5, logs: OUTDIR/logs/. Submitting again with
# the same CONFIG, OUTDIR and NSHARDS resumes unfinished shards (finished
# ones exit at once). Exit codes: 0 submitted, 2 bad arguments/config,
# 1 sbatch failed.
set -euo pipefail

usage() {
  echo "usage: $0 CONFIG OUTDIR NSHARDS [SBATCH_OPTION...]" >&2
  exit 2
}
[ $# -ge 3 ] || usage
HERE=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
# Source tree: scripts/slurm/ beside bin/ two levels up. Installed (`make
# install PREFIX=P`): P/bin/arenasim-submit-sweep, P/bin/arenasim and the
# sbatch scripts in P/share/arenasim/slurm/.
if [ -f "$HERE/arenasim-array.sbatch" ]; then
  SBATCH_DIR=$HERE DEFAULT_BIN=$(cd "$HERE/../.." && pwd)/bin/arenasim
else
  SBATCH_DIR=$(cd "$HERE/../share/arenasim/slurm" && pwd) DEFAULT_BIN=$HERE/arenasim
fi
CONFIG=$1 OUTDIR=$2 NSHARDS=$3
shift 3
[[ $NSHARDS =~ ^[1-9][0-9]*$ ]] || { echo "$0: NSHARDS must be a positive integer, got '$NSHARDS'" >&2; exit 2; }
[ -f "$CONFIG" ] || { echo "$0: $CONFIG: no such file" >&2; exit 2; }
CONFIG=$(realpath "$CONFIG")
export ARENASIM_BIN=${ARENASIM_BIN:-$DEFAULT_BIN}
ARENASIM_BIN=$(realpath "$ARENASIM_BIN")
[ -x "$ARENASIM_BIN" ] || { echo "$0: $ARENASIM_BIN is not executable (run make)" >&2; exit 2; }
CPUS=${ARENASIM_CPUS_PER_TASK:-1}

# Validate the config now rather than in every array task.
if ! check=$("$ARENASIM_BIN" check "$CONFIG"); then
  exit 2
fi
npoints=$(printf '%s\n' "$check" | sed -n 's/^# \([0-9][0-9]*\) sweep point(s).*/\1/p' | tail -n1)
if [ -n "$npoints" ] && [ "$NSHARDS" -gt "$npoints" ]; then
  echo "$0: warning: $NSHARDS shards for $npoints point(s): some shards will be empty" >&2
fi

mkdir -p "$OUTDIR/logs"
OUTDIR=$(realpath "$OUTDIR")
# Shard files of an earlier submission with more shards would overlap these.
shopt -s nullglob
for f in "$OUTDIR"/shard-*.h5 "$OUTDIR"/shard-*.h5.part; do
  i=${f##*/shard-}; i=${i%%.*}
  if ! [[ $i =~ ^[0-9]+$ ]] || [ "$i" -ge "$NSHARDS" ]; then
    echo "$0: $f is not one of $NSHARDS shards; use another OUTDIR or remove it" >&2
    exit 2
  fi
done

array=$(sbatch --parsable --job-name=arenasim-sweep --array=0-$((NSHARDS - 1)) \
  --cpus-per-task="$CPUS" --output="$OUTDIR/logs/shard-%a.out" "$@" \
  "$SBATCH_DIR/arenasim-array.sbatch" "$CONFIG" "$OUTDIR" "$NSHARDS") || exit 1
array=${array%%;*}
merge=$(sbatch --parsable --job-name=arenasim-merge --dependency=afterok:"$array" \
  --kill-on-invalid-dep=yes --output="$OUTDIR/logs/merge.out" "$@" \
  "$SBATCH_DIR/arenasim-merge.sbatch" "$OUTDIR" "$NSHARDS" "$OUTDIR/merged.h5") || {
  echo "$0: merge submission failed; cancelling array job $array" >&2
  scancel "$array" || true
  exit 1
}
merge=${merge%%;*}
echo "ARRAY_JOB_ID=$array"
echo "MERGE_JOB_ID=$merge"
echo "$0: $NSHARDS shard task(s) in job $array, merge job $merge -> $OUTDIR/merged.h5" >&2
