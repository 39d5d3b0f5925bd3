#!/bin/sh
# check-layers.sh — enforce the one-way layout of sim/ (README "Code layout"):
# a file in sim/DIR/ may include only headers of its own folder or of a folder
# earlier in LAYERS, and a folder's private headers (*_internal.h,
# config_schema.h) only from inside that folder. Prints each violation as
# FILE:LINE: and exits 1 if there is any. Usage: scripts/check-layers.sh [LAYERS...]
set -eu
cd "$(dirname "$0")/.."
LAYERS=${*:-"base params config rating arena io game sweep cmd"}
rank() {
    i=0
    for l in $LAYERS; do
        [ "$l" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done
    echo -1
}
bad=0
for f in sim/*/*.c sim/*/*.h; do
    dir=$(basename "$(dirname "$f")")
    r=$(rank "$dir")
    if [ "$r" -lt 0 ]; then
        echo "$f: folder '$dir' is not in the layer list ($LAYERS)"; bad=1; continue
    fi
    grep -n '^#include "' "$f" | while IFS= read -r line; do
        n=${line%%:*}
        inc=$(printf '%s' "$line" | sed 's/.*#include "\([^"]*\)".*/\1/')
        case $inc in */*) ;; *) [ "$inc" = version.h ] && continue
            echo "$f:$n: include \"$inc\" without its folder"; continue ;; esac
        idir=${inc%%/*}
        ir=$(rank "$idir")
        if [ "$ir" -lt 0 ] || [ "$ir" -gt "$r" ]; then
            echo "$f:$n: $dir/ includes $inc from a layer above it"
        fi
        case $inc in *_internal.h|config/config_schema.h)
            [ "$idir" = "$dir" ] || { echo "$f:$n: $inc is private to sim/$idir/"; } ;;
        esac
    done
done > build/layers.txt 2>&1 || true
if [ -s build/layers.txt ]; then
    cat build/layers.txt
    exit 1
fi
echo "layers: every include of sim/ runs one way ($LAYERS)"
