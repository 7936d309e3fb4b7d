"""Every bad input a student is likely to try gets a clear error that says what to do."""

import numpy as np
import pytest

from tltutor import backbones, compiling, data, models, training, validation
from tltutor.io import weights_files
from tltutor.errors import DatasetError, InvalidArgumentError, UnknownNameError, WeightsError

from conftest import random_images


@pytest.mark.parametrize("value", [0, -1e-3, 2.0, float("inf"), "0.1", True])
def test_learning_rates_that_make_no_sense(value):
    with pytest.raises(InvalidArgumentError, match="learning_rate"):
        validation.check_learning_rate(value)


@pytest.mark.parametrize("value", [0, -3, 2.5, "5", 100_000])
def test_epoch_counts_that_make_no_sense(value):
    with pytest.raises(InvalidArgumentError, match="epochs"):
        validation.check_epochs(value)


@pytest.mark.parametrize("value", [1, 0, -2, 2.0, "10", True])
def test_num_classes_below_two_or_not_a_count(value):
    with pytest.raises(InvalidArgumentError, match="num_classes"):
        models.build_transfer_model(num_classes=value, image_size=32, weights=None)


def test_unknown_dataset_and_backbone_suggest_the_closest_names():
    with pytest.raises(UnknownNameError, match="Did you mean 'fashion_mnist'"):
        data.load_dataset("fashon_mnist")
    with pytest.raises(UnknownNameError, match="Did you mean 'ResNet50'"):
        backbones.get("resnet-50")


def test_image_size_below_the_backbones_minimum():
    with pytest.raises(InvalidArgumentError, match="minimum of 32"):
        models.build_transfer_model("MobileNetV2", 10, image_size=16, weights=None)


@pytest.mark.parametrize("images, match", [
    (np.zeros((4, 8, 8, 4), np.uint8), "shape"),
    (np.zeros((8, 8), np.uint8), "shape"),
    (np.zeros((0, 8, 8, 3), np.uint8), "empty"),
    (np.full((4, 8, 8, 3), 0.5, np.float32), "scaled to \\[0, 1\\]"),
    (np.full((4, 8, 8, 3), -1.0, np.float32), "0..255"),
    (np.array([["a"]] * 4), "numbers"),
])
def test_images_of_the_wrong_shape_range_or_type(images, match):
    with pytest.raises(InvalidArgumentError, match=match):
        data.load_arrays(images, np.arange(len(images)) % 2, image_size=32)


@pytest.mark.parametrize("labels, error, match", [
    (np.array([0, 1, 2, 7] * 5), DatasetError, "no images"),
    (np.array([0, 1, -1, 1] * 5), InvalidArgumentError, "labels must lie in"),
    (np.array(["cat", "dog"] * 10), InvalidArgumentError, "integer class indices"),
    (np.array([0.5, 1.0] * 10), InvalidArgumentError, "whole class indices"),
    (np.zeros(20, int), InvalidArgumentError, "at least 2"),
    (np.arange(19) % 2, DatasetError, "one label per image"),
])
def test_labels_out_of_range_of_the_wrong_type_or_count(labels, error, match):
    with pytest.raises(error, match=match):
        data.load_arrays(np.zeros((20, 8, 8), np.uint8), labels, image_size=32)


def test_own_arrays_become_pipelines():
    images = np.random.default_rng(0).integers(0, 256, (40, 12, 12), dtype=np.uint8)
    train, _, test, info = data.load_arrays(images, np.arange(40) % 2, ["even", "odd"], image_size=32,
                                            batch_size=4)
    batch, labels = next(iter(train))
    assert tuple(batch.shape) == (4, 32, 32, 3) and info.class_names == ("even", "odd") and info.test_count == 8


def test_training_data_that_does_not_fit_the_model_is_refused_before_training():
    model = models.build_transfer_model("EfficientNetLite0", 3, image_size=32, weights=None)
    compiling.compile_model(model)
    with pytest.raises(InvalidArgumentError, match=r"expects inputs of shape \(32, 32, 3\)"):
        training.train_all(model, (random_images(8, size=48), np.zeros(8, int)), None, epochs=1)
    with pytest.raises(InvalidArgumentError, match=r"labels must lie in \[0, 3\)"):
        training.train_all(model, (random_images(8, size=32), np.arange(8)), None, epochs=1)


def test_samples_per_class_larger_than_the_data():
    with pytest.raises(DatasetError, match="Lower samples_per_class"):
        data.load_dataset(samples_per_class=10_000)


def test_weights_file_for_another_architecture_names_the_first_mismatching_layer(tmp_path):
    three_classes = models.build_transfer_model("EfficientNetLite0", 3, image_size=32, weights=None)
    path = tmp_path / "three.weights.h5"
    three_classes.save_weights(path)
    five_classes = models.build_transfer_model("EfficientNetLite0", 5, image_size=32, weights=None)
    with pytest.raises(WeightsError, match="layer 'classifier'.*shape \\(1280, 3\\) in the file but \\(1280, 5\\)"):
        weights_files.load_weights_checked(five_classes, path)
    other_backbone = models.build_transfer_model("MobileNetV2", 3, image_size=32, weights=None)
    with pytest.raises(WeightsError, match="another architecture"):
        weights_files.load_weights_checked(other_backbone, path)
    same = models.build_transfer_model("EfficientNetLite0", 3, image_size=32, weights=None)
    weights_files.load_weights_checked(same, path)
    np.testing.assert_array_equal(same.get_layer("classifier").get_weights()[0],
                                  three_classes.get_layer("classifier").get_weights()[0])


def test_a_file_that_is_not_a_weights_file(tmp_path):
    model = models.build_transfer_model("EfficientNetLite0", 3, image_size=32, weights=None)
    bad = tmp_path / "notes.weights.h5"
    bad.write_text("not hdf5")
    with pytest.raises(WeightsError, match="not a readable Keras weights file"):
        weights_files.load_weights_checked(model, bad)
    with pytest.raises(WeightsError, match="does not exist"):
        weights_files.load_weights_checked(model, tmp_path / "missing.weights.h5")
