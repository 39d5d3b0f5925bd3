#!/usr/bin/env bash
# test_cluster_build.sh — build and run arenasim as a user of an HPC cluster
# would (`make test-cluster-build`; needs root to set the machine up, so it is
# not part of `make test`; CI runs it from .ci/run). Issue 15.
#
#  1. The ordinary build (make, as root, Debian packages) runs shard 0/2 of
#     configs/examples/sweep-smoke.yaml: the reference.
#  2. GSL, HDF5 (+ hdf5_hl) and libyaml are copied out of their Debian
#     packages (apt-get download; dpkg-deb -x) into a cluster-style software
#     tree SW/<name>/<version>/{include,lib,bin}: GSL with a gsl.pc pointing
#     there; HDF5 with no .pc file, only h5cc (from hdf5-helpers, its paths
#     rewritten); libyaml with neither (found by YAML_DIR=). Lmod modulefiles
#     (Debian's lmod) for the three are written to SW/modulefiles.
#  3. Where `unshare -m` works, the system's copies are hidden for the user's
#     steps: /usr/include/{gsl,hdf5/serial,yaml.h}, /usr/lib/<arch>/hdf5/serial and the
#     gsl/hdf5/yaml .pc files (bind mounts in a private mount namespace).
#     Otherwise only the .pc files are hidden (PKG_CONFIG_LIBDIR) and the
#     checks below still prove which copy was used.
#  4. As a non-root user whose PATH has no dpkg-query, apt-get, h5cc or
#     gsl-config of the system, in a copy of the source tree:
#     A. `module load gsl hdf5 libyaml`, make (GSL by pkg-config, HDF5 by
#        h5cc -show, libyaml by YAML_DIR=$LIBYAML_ROOT), make install
#        PREFIX=$HOME/sw/arenasim; then, with only the user's own `arenasim`
#        module loaded (so the libraries are found by rpath), the installed
#        Slurm array script runs shard 0/2 of the installed example config
#        and the installed analysis module reads the result;
#     B. no modules: make GSL_DIR=... HDF5_DIR=... YAML_DIR=...;
#     C. no modules: make CFLAGS=-I... LDLIBS='-L... -Wl,-rpath,...';
#     D. where Debian's MPI-parallel HDF5 is installed (libhdf5-openmpi-dev,
#        which scripts/deps.sh cluster-test installs): HDF5_DIR= that build,
#        the MPI flags coming from mpicc on PATH.
#     For B, C and D, bin/arenasim runs the same shard.
#  5. Checks: each build's dependency files name only headers under SW
#     (none of /usr/include/{gsl,hdf5,yaml.h}); ldd of each binary resolves
#     libgsl, libhdf5 and libyaml under SW (D: its HDF5 is the system's
#     parallel one); build/config.mk says how each was found; /results and
#     /summary of every build equal the reference bit for bit (h5diff, exact
#     comparison).
# Environment: KEEP=1 keeps the temporary directory; ARENASIM_TEST_USER (the
# user to run as, created if missing; default arenasim-ci).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
CONFIG=configs/examples/sweep-smoke.yaml
TUSER=${ARENASIM_TEST_USER:-arenasim-ci}
log() { echo "[test-cluster-build] $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "must run as root (creates a user, downloads Debian packages, mounts)"
[ -f /etc/debian_version ] || fail "needs Debian (it copies the libraries out of Debian packages)"
scripts/deps.sh cluster-test   # lmod, hdf5-helpers, hdf5-tools

WORK=$(mktemp -d /tmp/arenasim-cluster.XXXXXX)
chmod 755 "$WORK"
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  if [ "${KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  if [ "$rc" -eq 0 ]; then log "PASS"; else log "FAILED (exit $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. reference: the ordinary build --------------------------------------
log "ordinary build and reference shard"
make -s -j2 >/dev/null
mkdir -p "$WORK/ref"
bin/arenasim run "$CONFIG" -o "$WORK/ref/shard-0.h5" --shard 0/2 --quiet

# --- 2. the software tree ---------------------------------------------------
ARCH=$(gcc -print-multiarch)
SW=$WORK/sw
mkdir -p "$WORK/debs" "$WORK/x" "$SW/modulefiles"
chmod 777 "$WORK/debs"   # apt-get download drops privileges to _apt
log "downloading and unpacking the Debian packages"
(cd "$WORK/debs" && apt-get download -qq libgsl-dev libgsl27 libgslcblas0 libhdf5-dev \
  libhdf5-103-1 libhdf5-hl-100 hdf5-helpers libyaml-dev libyaml-0-2 >/dev/null 2>&1) ||
  fail "apt-get download failed (network? apt-get update?)"
for deb in "$WORK"/debs/*.deb; do dpkg-deb -x "$deb" "$WORK/x"; done
X=$WORK/x/usr LX=$WORK/x/usr/lib/$ARCH

G=$SW/gsl/2.7.1
mkdir -p "$G/lib/pkgconfig" "$G/include"
cp -a "$X/include/gsl" "$G/include/"
cp -a "$LX"/libgsl.so* "$LX"/libgslcblas.so* "$G/lib/"
sed -e "s|/usr/lib/$ARCH|$G/lib|g" -e "s|/usr/include|$G/include|g" -e "s|^prefix=/usr|prefix=$G|" \
  -e "s|^exec_prefix=/usr|exec_prefix=$G|" "$LX/pkgconfig/gsl.pc" >"$G/lib/pkgconfig/gsl.pc"

H=$SW/hdf5/1.10.8
mkdir -p "$H/lib" "$H/include" "$H/bin"
cp -a "$X/include/hdf5/serial/." "$H/include/"
cp -a "$LX"/libhdf5_serial.so.* "$LX"/libhdf5_serial_hl.so.* "$H/lib/"
ln -s "$(basename "$(ls "$H"/lib/libhdf5_serial.so.*.*.*)")" "$H/lib/libhdf5.so"
ln -s "$(basename "$(ls "$H"/lib/libhdf5_serial_hl.so.*.*.*)")" "$H/lib/libhdf5_hl.so"
sed -e "s|^prefix=.*|prefix=\"$H\"|" -e 's|^libdir=.*|libdir="${prefix}/lib"|' \
  -e 's|^libdevdir=.*|libdevdir="${prefix}/lib"|' -e 's|^includedir=.*|includedir="${prefix}/include"|' \
  "$X/bin/h5cc" >"$H/bin/h5cc"
chmod 755 "$H/bin/h5cc"

Y=$SW/libyaml/0.2.5
mkdir -p "$Y/lib" "$Y/include"
cp -a "$X/include/yaml.h" "$Y/include/"
cp -a "$LX"/libyaml*.so* "$Y/lib/"

modulefile() {  # modulefile NAME/VERSION PREFIX LUA-LINES...
  local f=$SW/modulefiles/$1.lua p=$2
  shift 2
  mkdir -p "$(dirname "$f")"
  { echo "-- $f: test module (copied from Debian's packages)"; echo "local prefix = \"$p\""
    printf '%s\n' "$@"; } >"$f"
}
modulefile gsl/2.7.1 "$G" 'prepend_path("PKG_CONFIG_PATH", pathJoin(prefix, "lib/pkgconfig"))' \
  'prepend_path("LD_LIBRARY_PATH", pathJoin(prefix, "lib"))' 'setenv("GSL_ROOT", prefix)'
modulefile hdf5/1.10.8 "$H" 'prepend_path("PATH", pathJoin(prefix, "bin"))' \
  'prepend_path("LD_LIBRARY_PATH", pathJoin(prefix, "lib"))' 'setenv("HDF5_ROOT", prefix)'
modulefile libyaml/0.2.5 "$Y" 'prepend_path("LD_LIBRARY_PATH", pathJoin(prefix, "lib"))' \
  'setenv("LIBYAML_ROOT", prefix)'
chmod -R a+rX "$SW"

# --- 3./4. the user's side --------------------------------------------------
if ! id "$TUSER" >/dev/null 2>&1; then
  useradd -M -s /bin/bash -d "$WORK/home" "$TUSER"
fi
HOMED=$WORK/home
mkdir -p "$HOMED/src"
# PATH without the package manager and the system's library helpers.
mkdir -p "$WORK/path"
for d in /usr/local/bin /usr/bin /usr/sbin; do
  for f in "$d"/*; do
    b=${f##*/}
    case "$b" in dpkg*|apt*|h5cc|h5pcc|h5c++|h5fc|gsl-config) continue ;; esac
    [ -e "$WORK/path/$b" ] || ln -s "$f" "$WORK/path/$b"
  done
done
# The source tree as a user gets it (tracked and untracked, not ignored files).
PAR_HDF5=/usr/lib/$ARCH/hdf5/openmpi
VARIANTS="A B C"
[ -f "$PAR_HDF5/include/hdf5.h" ] && VARIANTS="A B C D"
for v in $VARIANTS; do
  mkdir -p "$HOMED/src/$v"
  if git rev-parse --git-dir >/dev/null 2>&1; then
    git ls-files -z -co --exclude-standard | xargs -0 tar -cf - | tar -xf - -C "$HOMED/src/$v"
  else  # no git (e.g. CI unpacked a tarball): everything but the build outputs
    tar -cf - --exclude=./build --exclude=./bin --exclude=./outputs . | tar -xf - -C "$HOMED/src/$v"
  fi
done
chown -R "$TUSER" "$HOMED"

# Hide the system's copies. PCDIR: the system .pc files without ours.
PCDIR=$WORK/pkgconfig
mkdir -p "$PCDIR" "$WORK/empty"
: >"$WORK/empty.h"
for f in /usr/lib/"$ARCH"/pkgconfig/*; do
  case "${f##*/}" in gsl.pc|hdf5*.pc|yaml-0.1.pc) ;; *) [ -e "$f" ] && ln -sf "$f" "$PCDIR/" ;; esac
done
HIDE=""
if unshare -m true 2>/dev/null; then
  HIDE="mount --bind $WORK/empty /usr/include/gsl && mount --bind $WORK/empty /usr/include/hdf5/serial &&
    mount --bind $WORK/empty.h /usr/include/yaml.h && mount --bind $WORK/empty /usr/lib/$ARCH/hdf5/serial &&
    mount --bind $PCDIR /usr/lib/$ARCH/pkgconfig"
  PCENV=""
  log "system copies hidden by bind mounts (private mount namespace)"
else
  PCENV="export PKG_CONFIG_LIBDIR=$PCDIR"
  log "unshare -m not permitted: hiding only the system .pc files (PKG_CONFIG_LIBDIR)"
fi

cat >"$WORK/user.sh" <<EOF
set -euo pipefail
export PATH=$WORK/path
$PCENV
step() { echo "[test-cluster-build] user \$(id -un): \$*" >&2; }
if command -v dpkg-query >/dev/null; then echo "dpkg-query is on PATH" >&2; exit 1; fi
module use $SW/modulefiles

step "A: module load gsl hdf5 libyaml; make; make install"
module load gsl hdf5 libyaml
cd \$HOME/src/A
make -s -j2 YAML_DIR=\$LIBYAML_ROOT
make -s install PREFIX=\$HOME/sw/arenasim YAML_DIR=\$LIBYAML_ROOT
module purge
mkdir -p \$HOME/modulefiles/arenasim
cat >\$HOME/modulefiles/arenasim/local.lua <<'LUA'
local prefix = pathJoin(os.getenv("HOME"), "sw/arenasim")
prepend_path("PATH", pathJoin(prefix, "bin"))
prepend_path("PYTHONPATH", pathJoin(prefix, "share/arenasim/python"))
LUA
module use \$HOME/modulefiles
module load arenasim
step "A: installed Slurm array script, shard 0/2 (libraries by rpath only)"
test "\$(command -v arenasim)" = "\$HOME/sw/arenasim/bin/arenasim"
mkdir -p \$HOME/runA
SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_JOB_ID=1 bash \$HOME/sw/arenasim/share/arenasim/slurm/arenasim-array.sbatch \\
  \$HOME/sw/arenasim/share/arenasim/configs/examples/sweep-smoke.yaml \$HOME/runA 2
/usr/bin/python3 - \$HOME/runA/shard-0.h5 <<'PY'
import os, sys
import arenasim_h5
assert arenasim_h5.__file__.startswith(os.path.expanduser("~/sw/arenasim/")), arenasim_h5.__file__
complete = arenasim_h5.open_summary(sys.argv[1])["complete"].values
n = int(complete.sum())
assert 0 < n < len(complete), (n, len(complete))  # shard 0 of 2: some points, not all
print("[test-cluster-build] installed analysis module read", n, "complete point(s)", file=sys.stderr)
PY
ldd \$HOME/sw/arenasim/bin/arenasim >\$HOME/ldd-A.txt
module purge

step "B: make GSL_DIR= HDF5_DIR= YAML_DIR="
cd \$HOME/src/B
make -s -j2 GSL_DIR=$G HDF5_DIR=$H YAML_DIR=$Y
ldd bin/arenasim >\$HOME/ldd-B.txt
mkdir -p \$HOME/runB
bin/arenasim run $CONFIG -o \$HOME/runB/shard-0.h5 --shard 0/2 --threads 2 --quiet

step "C: make CFLAGS=-I... LDLIBS=-L..."
cd \$HOME/src/C
make -s -j2 CFLAGS="-I$G/include -I$H/include -I$Y/include" \\
  LDLIBS="-L$G/lib -L$H/lib -L$Y/lib -Wl,-rpath,$G/lib:$H/lib:$Y/lib -Wl,--disable-new-dtags"
ldd bin/arenasim >\$HOME/ldd-C.txt
mkdir -p \$HOME/runC
bin/arenasim run $CONFIG -o \$HOME/runC/shard-0.h5 --shard 0/2 --quiet

if [ -d \$HOME/src/D ]; then
  step "D: MPI-parallel HDF5: make HDF5_DIR=$PAR_HDF5"
  cd \$HOME/src/D
  make -s -j2 GSL_DIR=$G HDF5_DIR=$PAR_HDF5 YAML_DIR=$Y
  ldd bin/arenasim >\$HOME/ldd-D.txt
  mkdir -p \$HOME/runD
  bin/arenasim run $CONFIG -o \$HOME/runD/shard-0.h5 --shard 0/2 --quiet
fi
EOF
chmod 644 "$WORK/user.sh"

log "user $TUSER builds, installs and runs"
RUN_USER="runuser -u $TUSER -- env -i HOME=$HOMED USER=$TUSER LOGNAME=$TUSER TERM=dumb bash -l $WORK/user.sh"
if [ -n "$HIDE" ]; then
  unshare -m --propagation private bash -c "$HIDE && $RUN_USER" || fail "the user's build failed"
else
  $RUN_USER || fail "the user's build failed"
fi

# --- 5. checks --------------------------------------------------------------
for v in $VARIANTS; do
  src=$HOMED/src/$v
  how=$(sed -n 's/^DEP_HOW := //p' "$src/build/config.mk")
  log "$v: $how"
  case $v in
    A) want=("gsl: pkg-config gsl" "hdf5: h5cc -show" "yaml: YAML_DIR=$Y") ;;
    B) want=("gsl: GSL_DIR=$G" "hdf5: HDF5_DIR=$H" "yaml: YAML_DIR=$Y") ;;
    C) want=("gsl: compiler search path" "hdf5: compiler search path" "yaml: compiler search path") ;;
    D) want=("gsl: GSL_DIR=$G" "hdf5: HDF5_DIR=$PAR_HDF5 + MPI flags of" "yaml: YAML_DIR=$Y") ;;
  esac
  for w in "${want[@]}"; do
    [[ $how == *"$w"* ]] || fail "$v: expected '$w' in build/config.mk, got: $how"
  done
  # Headers actually compiled against (from the -MMD dependency files).
  hdrs=$(cat "$src"/build/obj/*/*.d | tr ' \\' '\n\n' | grep -E '/(gsl/gsl_[a-z_]*|hdf5|H5[A-Za-z]*|yaml)\.h$' | sort -u)
  [ -n "$hdrs" ] || fail "$v: no library headers in the dependency files"
  outside=$(grep -v "^$SW/" <<<"$hdrs" || true)
  [ $v = D ] && outside=$(grep -Ev "^(/usr/include/hdf5/openmpi|$PAR_HDF5)/" <<<"$outside" || true)
  [ -z "$outside" ] || { echo "$outside" >&2; fail "$v: headers above from outside $SW"; }
  ldd_file=$HOMED/ldd-$v.txt
  # (libhdf5_serial_hl is loaded only once arenasim calls into it.)
  libs="libgsl.so libgslcblas.so libhdf5_serial.so libyaml-0.so"
  [ $v = D ] && libs="libgsl.so libgslcblas.so libyaml-0.so"
  for lib in $libs; do
    grep -q "$lib.* => $SW/" "$ldd_file" || { cat "$ldd_file" >&2; fail "$v: $lib not resolved under $SW"; }
  done
  if grep -E 'gsl|hdf5|yaml' "$ldd_file" | grep -v " => $SW/" | grep -v 'libhdf5_openmpi' >&2; then
    fail "$v: the libraries above resolve outside $SW"
  fi
done

for v in $VARIANTS; do
  out=$HOMED/run$v/shard-0.h5
  [ -f "$out" ] || fail "$v: no $out"
  for g in /results /summary; do
    h5diff "$WORK/ref/shard-0.h5" "$out" "$g" "$g" >"$WORK/h5diff.txt" 2>&1 ||
      { head -20 "$WORK/h5diff.txt" >&2; fail "$v: $g differs from the ordinary build"; }
  done
  log "$v: /results and /summary identical to the ordinary build"
done
