#!/bin/sh
# deps.sh — find the libraries arenasim needs, on Debian or on a cluster.
#
#   scripts/deps.sh build FILE   find GSL, HDF5 (with hdf5_hl) and libyaml and
#                                write their compiler/linker flags to FILE (a
#                                makefile fragment: DEP_CFLAGS, DEP_LIBS,
#                                DEP_HOW); run by make for every build.
#   scripts/deps.sh test         check what `make test` needs (cmocka, the
#                                Python packages, h5diff).
#   scripts/deps.sh all          the same plus what `make figures` needs.
#   scripts/deps.sh cluster-test the Debian packages of `make test-cluster-build`,
#   scripts/deps.sh valgrind     of `make valgrind`,
#   scripts/deps.sh ci           and everything CI needs (.ci/run; Debian only).
#   scripts/deps.sh fuzz         clang and libFuzzer (only `make fuzz` needs them).
#
# Each library is looked for, first match wins:
#   GSL:    GSL_DIR=<prefix>, pkg-config gsl, the compiler's own search path
#   HDF5:   HDF5_DIR=<prefix>, pkg-config hdf5-serial, pkg-config hdf5,
#           `$H5CC -shlib -show` (H5CC defaults to h5cc, then h5pcc, on PATH),
#           the compiler's own search path
#   libyaml: YAML_DIR=<prefix>, pkg-config yaml-0.1, the compiler's own path
# (<prefix> holds include/ and lib/ or lib64/). The user's CPPFLAGS, CFLAGS,
# LDFLAGS and LDLIBS always come too, so plain CFLAGS=-I... LDLIBS=-L...
# work as well. Every library is then checked by compiling, linking and
# running a small program. Library directories outside the system's get an
# rpath, so the binary runs without the modules loaded (e.g. in Slurm jobs).
#
# When something is missing: on Debian (dpkg-query present) the missing
# Debian packages are installed with apt-get as root, or the exact
# `sudo apt-get install` line is printed otherwise; anywhere else one message
# names what to load or set. Nothing is installed when everything is found.
#
# MPI-parallel HDF5: its hdf5.h includes mpi.h. arenasim itself makes no MPI
# call; the MPI compile and link flags are taken from `mpicc` on PATH
# (Open MPI's -showme or MPICH's -show); without mpicc the message says so.
set -eu

BUILD_PKGS="build-essential pkg-config libgsl-dev libhdf5-dev libyaml-dev"
TEST_PKGS="libcmocka-dev python3 python3-h5py python3-numpy python3-scipy python3-statsmodels python3-sklearn python3-pytest python3-yaml hdf5-tools python3-matplotlib python3-xarray python3-h5netcdf python3-pandas"
FIG_PKGS="python3-matplotlib python3-xarray python3-h5netcdf python3-pandas"
FUZZ_PKGS="clang libclang-rt-dev libomp-dev"             # make fuzz only
CLUSTER_TEST_PKGS="lmod hdf5-helpers hdf5-tools libhdf5-openmpi-dev"   # make test-cluster-build
VALGRIND_PKGS="valgrind"                                 # make valgrind
TEST_PY="h5py numpy scipy statsmodels sklearn pytest yaml matplotlib xarray h5netcdf pandas"
FIG_PY="matplotlib"

CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
PYTHON=${PYTHON:-/usr/bin/python3}
CPPFLAGS=${CPPFLAGS:-} CFLAGS=${CFLAGS:-} LDFLAGS=${LDFLAGS:-} LDLIBS=${LDLIBS:-}
GSL_DIR=${GSL_DIR:-} HDF5_DIR=${HDF5_DIR:-} YAML_DIR=${YAML_DIR:-} H5CC=${H5CC:-}

say() { echo "deps: $*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
is_debian() { [ -f /etc/debian_version ] && have dpkg-query; }
# Debian packages of the list "$1" that are not installed.
debian_missing() {
    m=""
    for p in $1; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || m="$m $p"
    done
    echo "$m"
}
# Install the missing packages of "$1" (root) or print the line (not root).
# Returns 0 when something was installed, 1 otherwise.
debian_install() {
    missing=$(debian_missing "$1")
    [ -n "$missing" ] || return 1
    if [ "$(id -u)" = 0 ]; then
        say "installing Debian packages:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
        return 0
    fi
    say "missing Debian packages. Run:"
    say "  sudo apt-get update && sudo apt-get install -y$missing"
    exit 1
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/arenasim-deps.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# --- flags of one library -------------------------------------------------

# libdir PREFIX LIBNAME: PREFIX/lib64 if it holds libLIBNAME, else PREFIX/lib.
libdir() {
    for d in "$1/lib64" "$1/lib"; do
        if ls "$d/lib$2".* >/dev/null 2>&1; then echo "$d"; return; fi
    done
    echo "$1/lib"
}
# rpaths WORDS...: -Wl,-rpath for each -L directory outside the system's.
# As DT_RPATH (--disable-new-dtags), which also serves the libraries' own
# dependencies (libgsl needs libgslcblas; DT_RUNPATH would only serve the
# binary's direct ones), so the binary uses the libraries it was built with
# whatever LD_LIBRARY_PATH a job has.
rpaths() {
    any=""
    for w in "$@"; do
        case "$w" in
            -L/usr/lib|-L/usr/lib/*|-L/usr/lib64|-L/lib|-L/lib/*|-L/lib64) ;;
            -L/*) printf ' -Wl,-rpath,%s' "${w#-L}"; any=1 ;;
        esac
    done
    [ -z "$any" ] || printf ' -Wl,--disable-new-dtags'
}
pc() { have "$PKG_CONFIG" && "$PKG_CONFIG" "$@" 2>/dev/null; }

# Each find_X sets X_CFLAGS, X_LIBS and X_HOW.
find_gsl() {
    if [ -n "$GSL_DIR" ]; then
        d=$(libdir "$GSL_DIR" gsl)
        GSL_CFLAGS="-I$GSL_DIR/include"
        GSL_LIBS="-L$d -lgsl -lgslcblas"
        GSL_HOW="GSL_DIR=$GSL_DIR"
    elif pc --exists gsl; then
        GSL_CFLAGS=$(pc --cflags gsl)
        GSL_LIBS=$(pc --libs gsl)
        GSL_HOW="pkg-config gsl $(pc --modversion gsl)"
    else
        GSL_CFLAGS="" GSL_LIBS="-lgsl -lgslcblas"
        GSL_HOW="compiler search path"
    fi
}

# h5cc_flags: split `$H5CC -shlib -show` into HDF5_CFLAGS / HDF5_LIBS. The
# first word is the compiler h5cc wraps (mpicc for parallel builds: then the
# MPI flags are added by add_mpi).
h5cc_flags() {
    line=$("$H5CC" -shlib -show 2>/dev/null) || line=$("$H5CC" -show) || return 1
    HDF5_CFLAGS="" HDF5_LIBS="" first=1
    for w in $line; do
        if [ $first = 1 ]; then first=0; H5CC_CC=$w; continue; fi
        case "$w" in
            -I*|-D*|-U*|-isystem*) HDF5_CFLAGS="$HDF5_CFLAGS $w" ;;
            -c|-o|-shlib|-noshlib) ;;
            *) HDF5_LIBS="$HDF5_LIBS $w" ;;
        esac
    done
    case "$HDF5_LIBS" in *hdf5_hl*) ;; *) HDF5_LIBS="-lhdf5_hl $HDF5_LIBS" ;; esac
}

find_hdf5() {
    H5CC_CC=""
    if [ -z "$H5CC" ]; then
        if have h5cc; then H5CC=h5cc; elif have h5pcc; then H5CC=h5pcc; fi
    fi
    if [ -n "$HDF5_DIR" ]; then
        d=$(libdir "$HDF5_DIR" hdf5)
        HDF5_CFLAGS="-I$HDF5_DIR/include"
        HDF5_LIBS="-L$d -lhdf5_hl -lhdf5"
        HDF5_HOW="HDF5_DIR=$HDF5_DIR"
    elif pc --exists hdf5-serial; then
        # Debian's hdf5-serial.pc names only -lhdf5; hdf5_hl sits beside it.
        HDF5_CFLAGS=$(pc --cflags hdf5-serial)
        HDF5_LIBS=$(pc --libs hdf5-serial | sed 's/-lhdf5\b/-lhdf5_hl -lhdf5/')
        HDF5_HOW="pkg-config hdf5-serial $(pc --modversion hdf5-serial)"
    elif pc --exists hdf5; then
        HDF5_CFLAGS=$(pc --cflags hdf5)
        if pc --exists hdf5_hl; then
            HDF5_LIBS=$(pc --libs hdf5_hl hdf5)
        else
            HDF5_LIBS=$(pc --libs hdf5 | sed 's/-lhdf5\b/-lhdf5_hl -lhdf5/')
        fi
        case "$HDF5_LIBS" in *hdf5_hl*) ;; *) HDF5_LIBS="-lhdf5_hl $HDF5_LIBS" ;; esac
        HDF5_HOW="pkg-config hdf5 $(pc --modversion hdf5)"
    elif [ -n "$H5CC" ] && h5cc_flags; then
        HDF5_HOW="$H5CC -show ($(command -v "$H5CC"))"
    else
        HDF5_CFLAGS="" HDF5_LIBS="-lhdf5_hl -lhdf5"
        HDF5_HOW="compiler search path"
    fi
}

find_yaml() {
    if [ -n "$YAML_DIR" ]; then
        d=$(libdir "$YAML_DIR" yaml)
        YAML_CFLAGS="-I$YAML_DIR/include"
        YAML_LIBS="-L$d -lyaml"
        YAML_HOW="YAML_DIR=$YAML_DIR"
    elif pc --exists yaml-0.1; then
        YAML_CFLAGS=$(pc --cflags yaml-0.1)
        YAML_LIBS=$(pc --libs yaml-0.1)
        YAML_HOW="pkg-config yaml-0.1 $(pc --modversion yaml-0.1)"
    else
        YAML_CFLAGS="" YAML_LIBS="-lyaml"
        YAML_HOW="compiler search path"
    fi
}

# --- probes ---------------------------------------------------------------

# probe NAME CFLAGS LIBS: compile, link and run $TMP/NAME.c. On failure the
# compiler's or the program's first error lines are in $TMP/NAME.log.
probe() {
    # shellcheck disable=SC2086
    $CC $CPPFLAGS $CFLAGS $2 -o "$TMP/$1" "$TMP/$1.c" $LDFLAGS $3 $LDLIBS -lm \
        >"$TMP/$1.log" 2>&1 && "$TMP/$1" >>"$TMP/$1.log" 2>&1
}
write_probes() {
    cat >"$TMP/gsl.c" <<'EOF'
#include <gsl/gsl_version.h>
#include <gsl/gsl_cdf.h>
int main(void) { return gsl_version[0] == '\0' || gsl_cdf_ugaussian_P(0.0) != 0.5; }
EOF
    cat >"$TMP/hdf5.c" <<'EOF'
#include <hdf5.h>
#include <hdf5_hl.h>
int main(void)
{
    unsigned maj, min, rel;
    htri_t (*volatile is_scale)(hid_t) = H5DSis_scale; /* links hdf5_hl */
    return H5get_libversion(&maj, &min, &rel) < 0 || maj < 1 || is_scale == 0;
}
EOF
    cat >"$TMP/yaml.c" <<'EOF'
#include <yaml.h>
int main(void) { return yaml_get_version_string()[0] == '\0'; }
EOF
    cat >"$TMP/cmocka.c" <<'EOF'
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
static void ok(void **state) { (void)state; assert_true(1); }
int main(void) { const struct CMUnitTest t[] = { cmocka_unit_test(ok) }; return cmocka_run_group_tests(t, NULL, NULL); }
EOF
}

# hdf5_parallel: does the HDF5 found define H5_HAVE_PARALLEL?
hdf5_parallel() {
    for w in $HDF5_CFLAGS; do
        case "$w" in -I*) grep -qs '^#define H5_HAVE_PARALLEL 1' "${w#-I}/H5pubconf.h" && return 0 ;; esac
    done
    [ -n "$H5CC_CC" ] && case "$H5CC_CC" in *mpi*) return 0 ;; esac
    return 1
}
# add_mpi: add the MPI wrapper's compile/link flags to HDF5's.
add_mpi() {
    have mpicc || return 1
    if c=$(mpicc -showme:compile 2>/dev/null) && l=$(mpicc -showme:link 2>/dev/null); then
        HDF5_CFLAGS="$HDF5_CFLAGS $c" HDF5_LIBS="$HDF5_LIBS $l"
    elif s=$(mpicc -show 2>/dev/null); then
        HDF5_CFLAGS="$HDF5_CFLAGS ${s#* }" HDF5_LIBS="$HDF5_LIBS ${s#* }"
    else
        return 1
    fi
    HDF5_HOW="$HDF5_HOW + MPI flags of $(command -v mpicc)"
}

# check_build: find and probe the three libraries; FAILED lists the missing.
check_build() {
    find_gsl; find_hdf5; find_yaml
    FAILED=""
    probe gsl "$GSL_CFLAGS" "$GSL_LIBS" || FAILED="$FAILED gsl"
    if ! probe hdf5 "$HDF5_CFLAGS" "$HDF5_LIBS"; then
        if hdf5_parallel; then
            HDF5_PARALLEL=1
            if add_mpi && probe hdf5 "$HDF5_CFLAGS" "$HDF5_LIBS"; then :; else FAILED="$FAILED hdf5"; fi
        else
            FAILED="$FAILED hdf5"
        fi
    fi
    probe yaml "$YAML_CFLAGS" "$YAML_LIBS" || FAILED="$FAILED yaml"
}

# explain LIB: what was tried and what to load or set.
explain() {
    case "$1" in
        gsl) tried=$GSL_HOW var=GSL_DIR mod=gsl libs="-lgsl -lgslcblas" hdr=gsl/gsl_version.h ;;
        hdf5) tried=$HDF5_HOW var=HDF5_DIR mod=hdf5 libs="-lhdf5_hl -lhdf5" hdr=hdf5.h ;;
        yaml) tried=$YAML_HOW var=YAML_DIR mod=libyaml libs="-lyaml" hdr=yaml.h ;;
    esac
    say "$1 not usable (found by: $tried):"
    sed -n '1,4s/^/deps:     /p' "$TMP/$1.log" >&2
    if [ "$1" = hdf5 ] && [ "${HDF5_PARALLEL:-0}" = 1 ]; then
        say "  this HDF5 is the MPI-parallel build (its hdf5.h includes mpi.h): also load"
        say "  your MPI module so that mpicc is on PATH, or run make CC=mpicc."
    fi
    say "  load its module (e.g. module load $mod), or set $var=<prefix with include/ and lib/>,"
    say "  or pass CFLAGS=-I<dir of $hdr> LDLIBS='-L<libdir> $libs'."
}

build() {
    out=$1
    # The inputs of the search; FILE is rewritten only when they change.
    key=$(printf '%s|' "$CC" "$CPPFLAGS" "$CFLAGS" "$LDFLAGS" "$LDLIBS" "$GSL_DIR" \
        "$HDF5_DIR" "$YAML_DIR" "$H5CC" "$PKG_CONFIG" "${PKG_CONFIG_PATH:-}" "${PATH:-}" \
        "${CPATH:-}" "${C_INCLUDE_PATH:-}" "${LIBRARY_PATH:-}" "${LD_LIBRARY_PATH:-}" \
        "$(cksum <"$0")" | cksum | cut -d' ' -f1)
    [ -f "$out" ] && [ "$(sed -n '1s/^# key //p' "$out")" = "$key" ] && exit 0
    if ! have "$CC"; then
        if is_debian && debian_install "$BUILD_PKGS"; then :; else
            say "no C compiler: '$CC' is not on PATH (load a compiler module or set CC=)"; exit 1
        fi
    fi
    write_probes
    check_build
    if [ -n "$FAILED" ] && is_debian && debian_install "$BUILD_PKGS"; then
        check_build
    fi
    if [ -n "$FAILED" ]; then
        say "cannot build arenasim: missing or unusable:$FAILED"
        for l in $FAILED; do explain "$l"; done
        say "see README.md, \"Building on a cluster\"."
        exit 1
    fi
    # shellcheck disable=SC2086
    rp=$(rpaths $GSL_LIBS $HDF5_LIBS $YAML_LIBS)
    {
        echo "# key $key"
        echo "# written by scripts/deps.sh; remade when the search's inputs change"
        echo "DEP_CFLAGS := $(echo $GSL_CFLAGS $HDF5_CFLAGS $YAML_CFLAGS)"
        echo "DEP_LIBS := $(echo $GSL_LIBS $HDF5_LIBS $YAML_LIBS $rp)"
        echo "DEP_HOW := gsl: $GSL_HOW; hdf5: $HDF5_HOW; yaml: $YAML_HOW"
    } >"$out.new"
    mv "$out.new" "$out"
    say "gsl: $GSL_HOW; hdf5: $HDF5_HOW; yaml: $YAML_HOW"
}

# check_test MODE: cmocka links, the Python modules import, h5diff runs.
check_test() {
    write_probes
    FAILED=""
    CM_CFLAGS=$(pc --cflags cmocka || true) CM_LIBS=$(pc --libs cmocka || echo -lcmocka)
    probe cmocka "$CM_CFLAGS" "$CM_LIBS" || FAILED="$FAILED cmocka"
    mods=$TEST_PY
    [ "$1" = all ] && mods="$mods $FIG_PY"
    for m in $mods; do
        "$PYTHON" -c "import $m" >/dev/null 2>&1 || FAILED="$FAILED python:$m"
    done
    have h5diff || FAILED="$FAILED h5diff"
}

tests() {
    pkgs="$BUILD_PKGS $TEST_PKGS"
    [ "$1" = all ] && pkgs="$pkgs $FIG_PKGS"
    check_test "$1"
    if [ -n "$FAILED" ] && is_debian && debian_install "$pkgs"; then
        check_test "$1"
    fi
    [ -z "$FAILED" ] && exit 0
    say "the tests need:$FAILED"
    case "$FAILED" in *cmocka*) sed -n '1,3s/^/deps:     /p' "$TMP/cmocka.log" >&2
        say "  cmocka: load its module or pass CFLAGS=-I... LDLIBS=-L... (it links -lcmocka)" ;; esac
    case "$FAILED" in *python:*) say "  Python modules for $PYTHON (or set PYTHON=): h5py numpy scipy statsmodels scikit-learn pytest pyyaml${FIG_PY:+ (figures: matplotlib)}" ;; esac
    case "$FAILED" in *h5diff*) say "  h5diff: HDF5's command-line tools on PATH (the hdf5 module usually has them)" ;; esac
    exit 1
}

case "${1:-}" in
    build) [ $# -eq 2 ] || { echo "usage: $0 build FILE" >&2; exit 2; }; build "$2" ;;
    test|all) tests "$1" ;;
    cluster-test) is_debian && debian_install "$CLUSTER_TEST_PKGS" || true ;;
    valgrind) is_debian && debian_install "$VALGRIND_PKGS" || true ;;
    ci) is_debian || { echo "deps: ci needs Debian" >&2; exit 1; }
        debian_install "$BUILD_PKGS $TEST_PKGS $FIG_PKGS $CLUSTER_TEST_PKGS $VALGRIND_PKGS" || true ;;
    fuzz) if have "${FUZZ_CC:-clang}"; then exit 0; fi
          if is_debian && debian_install "$FUZZ_PKGS"; then exit 0; fi
          say "make fuzz needs clang with libFuzzer (Debian: $FUZZ_PKGS)"; exit 1 ;;
    *) echo "usage: $0 build FILE | test | all | cluster-test | valgrind | ci | fuzz" >&2; exit 2 ;;
esac
