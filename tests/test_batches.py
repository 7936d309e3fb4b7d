"""The TensorFlow-free data path: resizing with keras.ops, PyDataset batches, and one way to walk any data."""

import numpy as np
import pytest

from tltutor import data, models, training
from tltutor.data import batches, pipelines
from tltutor.errors import InvalidArgumentError, UnknownNameError


def test_resize_turns_grey_into_rgb_and_keeps_the_0_255_range():
    images = np.zeros((3, 28, 28), np.uint8)
    images[:, :14] = 255
    resized = batches.resize_images(images, 56)
    assert resized.shape == (3, 56, 56, 3) and resized.dtype == np.uint8
    assert resized[:, :20].min() == 255 and resized[:, -20:].max() == 0
    np.testing.assert_array_equal(resized[..., 0], resized[..., 2])


def test_image_batches_cover_every_image_once_and_reshuffle_each_epoch():
    images = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1).repeat(3, axis=-1)
    dataset = batches.ImageBatches(images, np.arange(10), batch_size=4, shuffle=True, seed=0)
    assert len(dataset) == 3
    first_epoch = np.concatenate([dataset[index][1] for index in range(len(dataset))])
    dataset.on_epoch_end()
    second_epoch = np.concatenate([dataset[index][1] for index in range(len(dataset))])
    assert sorted(first_epoch) == list(range(10)) == sorted(second_epoch)
    assert list(first_epoch) != list(second_epoch)
    image_batch, label_batch = dataset[0]
    assert image_batch.dtype == np.float32 and label_batch.dtype == np.int32
    np.testing.assert_array_equal(image_batch[:, 0, 0, 0], label_batch)  # each label stays with its image
    with pytest.raises(IndexError):
        dataset[3]


def test_iterate_walks_arrays_pydatasets_and_tf_data_alike(tiny_data):
    _, validation, _, _ = tiny_data
    images, labels = pipelines.to_numpy(validation)
    as_batches = batches.ImageBatches(images.astype(np.uint8), labels, batch_size=7)
    for source in (validation, (images, labels), as_batches):
        walked_images, walked_labels = batches.to_numpy(source, batch_size=7)
        np.testing.assert_array_equal(walked_labels, labels)
        np.testing.assert_allclose(walked_images, images)


def test_pydataset_pipeline_gives_the_same_images_as_tf_data():
    common = dict(image_size=48, samples_per_class=4, test_samples_per_class=3, seed=1)
    *_, tf_test, tf_info = data.load_dataset(**common, pipeline="tf.data")
    *_, py_test, py_info = data.load_dataset(**common, pipeline="pydataset")
    assert isinstance(py_test, batches.ImageBatches) and tf_info == py_info
    tf_images, tf_labels = pipelines.to_numpy(tf_test)
    py_images, py_labels = pipelines.to_numpy(py_test)
    np.testing.assert_array_equal(tf_labels, py_labels)
    # Two resizing implementations: the same picture, within a grey level or two on average.
    assert np.abs(tf_images - py_images).mean() < 2.0


def test_training_helpers_accept_a_pydataset():
    train, validation, test, info = data.load_dataset(image_size=32, samples_per_class=8, test_samples_per_class=4,
                                                      pipeline="pydataset")
    model = models.build_transfer_model("DigitsCNN", info.num_classes, image_size=32, weights="digits")
    history = training.train_head(model, train, validation, epochs=2, early_stopping_patience=None)
    history = training.fine_tune(model, train, validation, epochs=1, history=history)
    assert history.epochs == 3 and np.isfinite(history.metric("val_loss")).all()
    assert 0 <= training.evaluate(model, test)["accuracy"] <= 1


def test_pipeline_choice_is_checked(monkeypatch):
    with pytest.raises(UnknownNameError, match="pydataset"):
        data.load_dataset(image_size=32, samples_per_class=2, pipeline="pydatset")
    monkeypatch.setattr(batches, "tensorflow_available", lambda: False)
    assert pipelines.resolve_kind("auto") == "pydataset"
    with pytest.raises(InvalidArgumentError, match="needs TensorFlow"):
        pipelines.resolve_kind("tf.data")
