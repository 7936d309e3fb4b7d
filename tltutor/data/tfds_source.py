"""Image-classification datasets from TensorFlow Datasets (tf_flowers, cats_vs_dogs, beans, ...).

Offline, tfds retries for minutes before failing. :func:`load` checks first whether the data is
prepared locally and whether the download host answers, so that it fails within seconds.
"""

from __future__ import annotations

import numpy as np

from tltutor import validation
from tltutor.io import downloads
from tltutor.data.sources import ArraySource
from tltutor.errors import DatasetError

DOWNLOAD_HOST = "storage.googleapis.com"


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


def load(name: str, image_size: int, data_dir=None) -> ArraySource:
    """Load ``name`` as resized uint8 arrays: the train split as the pool, a test split if it has one."""
    import tensorflow as tf  # tfds datasets are TensorFlow datasets

    builder = _builder(name, data_dir)
    if not _is_prepared(builder):
        what = f"the tfds dataset {name!r}"
        downloads.check_reachable(DOWNLOAD_HOST, what=what, instead="Prepare it on a machine with network, "
                                  "or pass dataset='folder:<path>' with your own images.")
        with downloads.guarded_download(what, cache_folder=builder.data_dir):
            builder.download_and_prepare()
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
