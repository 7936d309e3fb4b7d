"""Scenes with masks and boxes (issue #35): Tux Paint's cut-outs on textures, held-out stamps, bad input refused."""

import time

import numpy as np
import pytest

from tltutor.data import scenes
from tltutor.errors import DatasetError, InvalidArgumentError, UnknownNameError
from tltutor.runtime import system_packages

needs_photos = pytest.mark.skipif(not system_packages.get(scenes.sources.PHOTO_PACKAGE).installed(),
                                  reason="Debian's tuxpaint-stamps-default is not installed (make test installs it "
                                         "as root)")


@needs_photos
def test_each_mask_is_the_pasted_stamp_and_each_box_encloses_it_tightly():
    made = scenes.scenes(8, seed=1)
    assert made.images.shape == (8, 96, 96, 3) and made.images.dtype == np.uint8
    assert made.masks.shape == (8, 96, 96) and made.boxes.shape == (8, 1, 4) and made.labels.shape == (8, 1)
    for mask, (box,), (label,) in zip(made.masks, made.boxes, made.labels):
        assert set(np.unique(mask).tolist()) == {0, label + 1}, "the background and the one object's class"
        rows, columns = np.nonzero(mask)
        assert box.tolist() == [columns.min(), rows.min(), columns.max() + 1, rows.max() + 1]
        side = max(box[2] - box[0], box[3] - box[1])
        assert 0.2 * 96 < side <= 0.7 * 96 + 1, "the object's longer side is 0.35 to 0.7 of the scene's"
    np.testing.assert_array_equal(made.images, scenes.scenes(8, seed=1).images)
    assert not np.array_equal(made.images, scenes.scenes(8, seed=2).images)


@needs_photos
def test_test_scenes_use_only_held_out_stamps_of_every_class():
    train_paths, train_labels, names = scenes.stamp_paths("train")
    test_paths, test_labels, _ = scenes.stamp_paths("test")
    assert not set(train_paths) & set(test_paths)
    assert set(train_labels.tolist()) == set(test_labels.tolist()) == set(range(len(names)))
    assert 0.25 < len(test_paths) / (len(train_paths) + len(test_paths)) < 0.35
    several = scenes.scenes(4, split="test", objects=3, image_size=64, seed=0)
    assert several.boxes.shape == (4, 3, 4) and several.masks.max() <= len(names)
    scenes.check_boxes(several.boxes, 64)
    scenes.check_masks(several.masks, len(names), several.images.shape[1:])


def test_bad_scene_requests_are_refused_before_any_work():
    with pytest.raises(InvalidArgumentError, match="at least one object"):
        scenes.scenes(4, objects=0)
    with pytest.raises(InvalidArgumentError, match="count"):
        scenes.scenes(0)
    with pytest.raises(InvalidArgumentError, match="image_size"):
        scenes.scenes(4, image_size=16)
    with pytest.raises(UnknownNameError):
        scenes.scenes(4, split="validaton")


def test_masks_and_boxes_that_do_not_fit_are_refused_with_what_is_wrong():
    masks = np.zeros((2, 32, 32), np.int64)
    assert scenes.check_masks(masks, 5, (32, 32, 3)).dtype == np.int32
    with pytest.raises(InvalidArgumentError, match="one \\(height, width\\) mask per image"):
        scenes.check_masks(masks, 5, (64, 64, 3))
    masks[1, 3, 3] = 6
    with pytest.raises(InvalidArgumentError, match="the head has 5 classes"):
        scenes.check_masks(masks, 5, (32, 32, 3))
    with pytest.raises(InvalidArgumentError, match="integer class ids"):
        scenes.check_masks(np.zeros((1, 32, 32), np.float32), 5, (32, 32))
    assert scenes.check_boxes([[0, 0, 32, 32], [4, 5, 10, 12]], 32).shape == (2, 4)
    for bad in ([10, 0, 4, 8], [0, 0, 33, 8], [-1, 0, 4, 8], [0, 6, 4, 6]):
        with pytest.raises(InvalidArgumentError, match=r"x1 < x2 and y1 < y2"):
            scenes.check_boxes([[0, 0, 8, 8], bad], 32)
    with pytest.raises(InvalidArgumentError, match="last axis"):
        scenes.check_boxes([1, 2, 3, 4], 32)


def test_scenes_without_the_package_say_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("TLTUTOR_TUXPAINT_STAMPS", str(tmp_path / "absent"))
    with pytest.raises(DatasetError, match="tuxpaint-stamps-default"):
        scenes.scenes(2)


@needs_photos
def test_draw_gives_the_offline_scenes_with_validation_from_the_training_stamps():
    np.testing.assert_array_equal(scenes.draw("tuxpaint_scenes", 3, split="validation", seed=4, image_size=64).masks,
                                  scenes.scenes(3, split="train", seed=4, image_size=64).masks)
    np.testing.assert_array_equal(scenes.draw("tuxpaint_scenes", 3, split="test", seed=0, image_size=64).images,
                                  scenes.scenes(3, split="test", seed=0, image_size=64).images)
    with pytest.raises(UnknownNameError, match="oxford_iiit_pet"):
        scenes.draw("oxford_pets", 3)


def test_pet_trimaps_become_species_masks_with_the_outline_and_a_tight_box():
    trimaps = np.full((2, 8, 8), 2, np.uint8)  # background everywhere
    trimaps[0, 2:5, 3:6] = 1
    trimaps[0, 1, 3:6] = 3  # the outline belongs to the pet
    trimaps[1, 6:8, 0:2] = 1
    made = scenes.pets_from_trimaps(np.zeros((2, 8, 8, 3), np.uint8), trimaps, [1, 0], ("cat", "dog"))
    assert made.class_names == ("cat", "dog") and made.labels.tolist() == [[1], [0]]
    assert set(np.unique(made.masks[0]).tolist()) == {0, 2} and (made.masks[0] == 2).sum() == 12
    assert made.boxes[:, 0].tolist() == [[3, 1, 6, 5], [0, 6, 2, 8]]
    scenes.check_boxes(made.boxes, 8)
    trimaps[1] = 2
    with pytest.warns(UserWarning, match="1 of 2 pets have no pet pixel"):
        kept = scenes.pets_from_trimaps(np.zeros((2, 8, 8, 3), np.uint8), trimaps, [1, 0], ("cat", "dog"))
    assert kept.labels.tolist() == [[1]] and kept.boxes.shape == (1, 1, 4)
    trimaps[0] = 2
    with pytest.raises(DatasetError, match="no trimap holds a pet pixel"):
        scenes.pets_from_trimaps(np.zeros((2, 8, 8, 3), np.uint8), trimaps, [1, 0], ("cat", "dog"))


def test_pets_offline_fail_within_seconds_and_name_the_offline_scenes(tmp_path, monkeypatch):
    import socket

    from tltutor.errors import DownloadError

    def unreachable(*arguments, **keywords):
        raise OSError("network is unreachable")

    monkeypatch.setattr(socket, "create_connection", unreachable)  # offline even on a machine with network
    started = time.perf_counter()
    with pytest.raises(DownloadError, match=r"oxford_iiit_pet.*tl\.data\.scenes\.scenes"):
        scenes.oxford_pets(4, data_dir=str(tmp_path))
    assert time.perf_counter() - started < 20
    assert not list(tmp_path.iterdir()), "nothing half-written"


@pytest.fixture
def mocked_pets(monkeypatch):
    """tfds's own test double stands in for the download: 70 pets per split, each with a square pet in its trimap;
    yields the splits tfds was asked for."""
    tfds = pytest.importorskip("tensorflow_datasets")
    import tensorflow as tf

    from tltutor.data import tfds_source

    asked = []

    def as_dataset(builder, split, **_):
        asked.append(str(split))
        trimap = np.full((20, 30, 1), 2, np.uint8)
        trimap[5:15, 10:20] = 1
        examples = [{"image": np.full((20, 30, 3), 3 * index, np.uint8), "label": index % 37, "species": index % 2,
                     "file_name": f"pet_{index}", "segmentation_mask": trimap,
                     "head_bbox": np.zeros(4, np.float32)} for index in range(70)]
        return tf.data.Dataset.from_generator(lambda: iter(examples),
                                              output_signature=builder.info.features.get_tensor_spec())

    monkeypatch.setattr(tfds_source, "_is_prepared", lambda builder: True)
    scenes._pets.cache_clear()
    try:
        with tfds.testing.mock_data(as_dataset_fn=as_dataset):
            yield asked
    finally:
        scenes._pets.cache_clear()


def test_pets_are_read_through_tfds_split_by_split(mocked_pets):
    train = scenes.oxford_pets(3, split="train", image_size=40, seed=0)
    held_out = scenes.draw("oxford_iiit_pet", 5, split="validation", image_size=40)
    with pytest.raises(InvalidArgumentError, match="has 70 photographs; ask for at most"):
        scenes.oxford_pets(71, split="test", image_size=40)
    with pytest.raises(InvalidArgumentError, match="seed"):
        scenes.oxford_pets(3, seed=-1)
    assert mocked_pets == ["train[:90%]", "train[90%:]", "test"]
    assert train.images.shape == (3, 40, 40, 3) and train.class_names == ("cat", "dog")
    assert not np.array_equal(train.images, scenes.oxford_pets(3, split="train", image_size=40, seed=1).images)
    for mask, (box,), (label,) in zip(held_out.masks, held_out.boxes, held_out.labels):
        assert set(np.unique(mask).tolist()) == {0, label + 1}
        np.testing.assert_allclose(box, [40 * 10 / 30, 40 * 5 / 20, 40 * 20 / 30, 40 * 15 / 20], atol=1)


def test_lesson_20s_comparison_runs_on_the_pets(mocked_pets):
    from tltutor.lessons import segmentation

    comparison = segmentation.compare_segmentation_strategies(
        dataset="oxford_iiit_pet", sizes=(10,), seeds=(0,), strategies=("background_subtraction",), test_scenes=8,
        progress=False)
    assert comparison.settings["dataset"] == "oxford_iiit_pet" and comparison.settings["classes"] == ["cat", "dog"]
    assert 0 <= comparison.rows[0]["mean_iou"] <= 1
    assert sorted(set(mocked_pets)) == ["test", "train[90%:]", "train[:90%]"]
