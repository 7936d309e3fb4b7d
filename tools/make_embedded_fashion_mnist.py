"""Recipe for tltutor/assets/fashion_mnist_subset.npz, the embedded offline dataset.

Takes a stratified random subset of real Fashion-MNIST (MIT licence): 500 images per class from
the official training split and 100 per class from the official test split. Source files: the
Debian package ``dataset-fashion-mnist`` (``apt-get install dataset-fashion-mnist``).

    python tools/make_embedded_fashion_mnist.py [/usr/share/datasets/fashion-mnist]
"""

import sys
from pathlib import Path

import numpy as np

from tltutor.data.idx import read_idx

TRAIN_PER_CLASS, TEST_PER_CLASS, SEED = 500, 100, 20261122


def stratified(labels, per_class, rng):
    chosen = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(10)]
    return np.sort(np.concatenate(chosen))


def main(folder="/usr/share/datasets/fashion-mnist"):
    folder = Path(folder)
    rng = np.random.default_rng(SEED)
    arrays = {}
    for split, per_class, prefix in (("train", TRAIN_PER_CLASS, "train"), ("test", TEST_PER_CLASS, "t10k")):
        images = read_idx(folder / f"{prefix}-images-idx3-ubyte.gz")
        labels = read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz")
        keep = stratified(labels, per_class, rng)
        arrays[f"x_{split}"], arrays[f"y_{split}"] = images[keep], labels[keep]
        arrays[f"source_index_{split}"] = keep.astype(np.int32)
    target = Path(__file__).resolve().parents[1] / "tltutor" / "assets" / "fashion_mnist_subset.npz"
    np.savez_compressed(target, **arrays)
    print(target, {key: value.shape for key, value in arrays.items()})


if __name__ == "__main__":
    main(*sys.argv[1:])
