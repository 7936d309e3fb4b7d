"""Datasets from TensorFlow Datasets: image classification (tf_flowers, cats_vs_dogs, beans, ...) and the
Oxford-IIIT pets' masks.

Offline, tfds retries for minutes before failing. :func:`load` and :func:`load_pet_masks` check
first whether the data is prepared locally and whether the download host answers, so that they fail
within seconds.
"""

from __future__ import annotations

import numpy as np

from tltutor import validation
from tltutor.io import downloads
from tltutor.data.sources import ArraySource
from tltutor.errors import DatasetError

DOWNLOAD_HOST = "storage.googleapis.com"
PETS = "oxford_iiit_pet"
DOWNLOAD_HOSTS = {PETS: "thor.robots.ox.ac.uk"}  # tfds fetches these from their authors, not Google
PET_SPLITS = {"train": "train[:90%]", "validation": "train[90%:]", "test": "test"}  # tfds's own train split, held apart
PET_TRIMAP = {"pet": 1, "background": 2, "outline": 3}  # the pets' masks: each pixel one of these


def _builder(name: str, data_dir=None):
    import tensorflow_datasets as tfds  # tfds only for tfds names

    try:
        return tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        validation.check_name(name, tfds.list_builders(with_community_datasets=False), "tfds dataset")
        raise


def _is_prepared(builder) -> bool:
    import tensorflow as tf  # tfds datasets are TensorFlow datasets

    return tf.io.gfile.exists(f"{builder.data_dir}/dataset_info.json")


def _prepared_builder(name: str, data_dir, instead: str):
    """The builder of ``name``, downloaded and prepared first if it is not yet; offline, a DownloadError in seconds."""
    builder = _builder(name, data_dir)
    if not _is_prepared(builder):
        what = f"the tfds dataset {name!r}"
        downloads.check_reachable(DOWNLOAD_HOSTS.get(name, DOWNLOAD_HOST), what=what,
                                  instead=f"Prepare it on a machine with network, or {instead}.")
        # the whole tfds folder: its downloads/ keeps a half-fetched archive (only entries new since the start go)
        with downloads.guarded_download(what, cache_folder=str(builder.data_dir_root)):
            builder.download_and_prepare()
    return builder


def load(name: str, image_size: int, data_dir=None) -> ArraySource:
    """Load ``name`` as resized uint8 arrays: the train split as the pool, a test split if it has one."""
    import tensorflow as tf  # tfds datasets are TensorFlow datasets

    builder = _prepared_builder(name, data_dir, "pass dataset='folder:<path>' with your own images")
    features = builder.info.features
    if "label" not in features or "image" not in features:
        raise DatasetError(f"tfds dataset {name!r} is not an image-classification dataset (no 'image' and 'label')")
    class_names = tuple(features["label"].names)

    def as_arrays(split):
        dataset = builder.as_dataset(split=split, as_supervised=True)
        dataset = dataset.map(lambda image, label: (
            tf.cast(tf.image.resize(tf.image.grayscale_to_rgb(image) if image.shape[-1] == 1 else image,
                                    (image_size, image_size)), tf.uint8), label))
        images, labels = [], []
        for image_batch, label_batch in dataset.batch(256):
            images.append(image_batch.numpy())
            labels.append(label_batch.numpy())
        return np.concatenate(images), np.concatenate(labels).astype(np.int64)

    splits = builder.info.splits
    x_pool, y_pool = as_arrays("train")
    x_test = y_test = None
    if "test" in splits:
        x_test, y_test = as_arrays("test")
    return ArraySource(name, x_pool, y_pool, x_test, y_test, class_names, f"tfds {name}: {len(x_pool)} train images")


def load_pet_masks(split: str, image_size: int, data_dir=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    """The Oxford-IIIT pets of ``split`` (``train``, ``validation`` or ``test``; validation is the last tenth
    of tfds's train split, which ``train`` leaves out) as ``(images, trimaps, species, species names)``:
    images resized to ``image_size`` (uint8), their masks resized by nearest neighbour and holding
    :data:`PET_TRIMAP`'s values, and each pet's species (0 cat, 1 dog)."""
    import tensorflow as tf  # tfds datasets are TensorFlow datasets

    split = validation.check_name(split, PET_SPLITS, "pets split")
    builder = _prepared_builder(PETS, data_dir, "use the offline scenes, tl.data.scenes.scenes(...)")

    def resized(example):
        image = tf.image.resize(example["image"], (image_size, image_size))
        trimap = tf.image.resize(example["segmentation_mask"], (image_size, image_size), method="nearest")
        return tf.cast(image, tf.uint8), tf.cast(trimap[..., 0], tf.uint8), example["species"]

    images, trimaps, species = [], [], []
    for image_batch, trimap_batch, species_batch in builder.as_dataset(split=PET_SPLITS[split]).map(resized).batch(256):
        images.append(image_batch.numpy())
        trimaps.append(trimap_batch.numpy())
        species.append(species_batch.numpy())
    if not images:
        raise DatasetError(f"the tfds dataset {PETS!r} has no examples in {PET_SPLITS[split]!r}")
    names = tuple(name.lower() for name in builder.info.features["species"].names)
    return np.concatenate(images), np.concatenate(trimaps), np.concatenate(species).astype(np.int32), names
