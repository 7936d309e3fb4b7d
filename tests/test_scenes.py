"""Scenes with masks and boxes (issue #35): Tux Paint's cut-outs on textures, held-out stamps, bad input refused."""

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
