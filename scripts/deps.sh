#!/bin/sh
# deps.sh — make sure the Debian packages arenasim needs are installed.
# As root: installs what is missing (apt-get). Otherwise: prints the exact
# command to run and fails. Usage: scripts/deps.sh [build|test|all|fuzz]
# (fuzz: clang and its libFuzzer runtime, only for `make fuzz`.)
set -eu
BUILD="build-essential pkg-config libgsl-dev libhdf5-dev libyaml-dev libcmocka-dev"
TEST="python3 python3-h5py python3-numpy python3-scipy python3-statsmodels python3-sklearn python3-pytest python3-yaml hdf5-tools"
FIG="python3-matplotlib python3-xarray python3-h5netcdf python3-pandas"
FUZZ="clang libclang-rt-dev libomp-dev"
case "${1:-all}" in
    build) want="$BUILD" ;;
    test) want="$BUILD $TEST" ;;
    fuzz) want="$BUILD $FUZZ" ;;
    *) want="$BUILD $TEST $FIG" ;;
esac
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "deps: installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "deps: missing Debian packages. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
