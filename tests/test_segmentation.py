"""Dense heads on pretrained bases (issue #35): the segmentation model, its training verbs, its scores, lesson 20."""

import keras
import numpy as np
import pytest

from conftest import random_images
from tltutor import checks, features, freezing, models, training
from tltutor.data import scenes
from tltutor.errors import InvalidArgumentError, UnknownNameError
from tltutor.lessons import exercises, segmentation
from tltutor.runtime import system_packages

needs_photos = pytest.mark.skipif(not system_packages.get(scenes.sources.PHOTO_PACKAGE).installed(),
                                  reason="Debian's tuxpaint-stamps-default is not installed (make test installs it "
                                         "as root)")


@pytest.fixture(scope="module")
def model():
    return models.build_segmentation_model(num_classes=3, image_size=64)


def _square_masks(count, size=64, seed=0):
    """Masks with one square of class 1 to 3 each, and images whose square is brighter than the rest."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 120, (count, size, size, 3)).astype("float32")
    masks = np.zeros((count, size, size), np.int32)
    for index in range(count):
        top, left = rng.integers(0, size // 2, 2)
        masks[index, top:top + size // 3, left:left + size // 3] = 1 + index % 3
        images[index][masks[index] > 0] += 120.0
    return images, masks


def test_the_decoder_reads_one_map_per_stride_and_gives_a_logit_per_pixel_and_class(model):
    base = model.get_layer("base")
    assert [64 // shape[1] for shape in base.output_shape] == [4, 8, 16, 32]
    assert [layer.name for layer in model.layers][-3:] == ["decoder", "classifier", "full_resolution"]
    assert model.output_shape == (None, 64, 64, 4), "the background and three classes"
    assert model.loss.get_config()["from_logits"] is True
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in model._flatten_layers())
    summary = freezing.trainable_summary(model)
    assert summary.trainable_base_layers == 0 and summary.trainable_parameters == freezing.count_parameters(
        model.get_layer("decoder").trainable_weights + model.get_layer("classifier").trainable_weights)


def test_feature_taps_work_for_a_keras_applications_backbone_and_refuse_too_few_strides():
    from tltutor import backbones

    base = backbones.build_base("MobileNetV2", image_size=96, weights=None)
    taps = models.feature_taps(base)
    strides = [96 // base.get_layer(name).output.shape[1] for name in taps]
    assert strides == [4, 8, 16, 32]
    tiny = backbones.build_base("EfficientNetLite0", image_size=32, weights=None)
    assert len(models.feature_taps(tiny)) >= 2
    with pytest.raises(InvalidArgumentError, match="at least two"):
        models.feature_taps(tiny, strides=(32,))
    with pytest.raises(InvalidArgumentError, match="multiple of 32"):
        models.build_segmentation_model(num_classes=2, image_size=100)


def test_a_new_head_redraws_the_decoder_too_the_same_for_the_same_seed():
    model = models.build_segmentation_model(num_classes=3, image_size=64, seed=0)
    before = [weight.copy() for weight in model.get_layer("decoder").get_weights() + model.get_layer(
        "classifier").get_weights()]
    models.reinitialize_head(model, seed=5)
    drawn = model.get_layer("decoder").get_weights() + model.get_layer("classifier").get_weights()
    kernels = [index for index, weight in enumerate(before) if weight.ndim > 1]
    assert all(not np.allclose(drawn[index], before[index]) for index in kernels), "every kernel redrawn"
    assert models.head_is_new(model)
    models.reinitialize_head(model, seed=0)
    again = model.get_layer("decoder").get_weights() + model.get_layer("classifier").get_weights()
    assert all(np.array_equal(first, second) for first, second in zip(before, again)), "seed 0 draws the built head"


def test_train_head_trains_the_decoder_on_kept_maps_and_leaves_the_base_alone():
    model = models.build_segmentation_model(num_classes=3, image_size=64, seed=1)
    images, masks = _square_masks(16)
    base_before = [weight.copy() for weight in model.get_layer("base").get_weights()]
    decoder_before = model.get_layer("decoder").get_weights()[0].copy()
    features.clear()
    history = training.train_head(model, (images, masks), None, epochs=2, batch_size=8, progress=False)
    assert history.steps == 4
    assert features.cache.nbytes > 0, "the frozen base's maps were kept"
    for before, after in zip(base_before, model.get_layer("base").get_weights()):
        np.testing.assert_array_equal(before, after)
    assert not np.allclose(model.get_layer("decoder").get_weights()[0], decoder_before)
    kept, labels = features.outputs_of(models.feature_extractor(model), (images, masks))
    assert [array.shape[1] for array in kept] == [16, 8, 4, 2] and labels.shape == masks.shape


def test_fine_tune_unfreezes_the_base_keeps_batchnorm_frozen_and_learns_squares():
    model = models.build_segmentation_model(num_classes=3, image_size=64, seed=0)
    images, masks = _square_masks(48)
    training.train_head(model, (images, masks), None, epochs=20, batch_size=16, progress=False,
                        learning_rate=3e-3)
    statistics = [np.array(layer.moving_mean) for layer in model.get_layer("base").layers
                  if isinstance(layer, keras.layers.BatchNormalization)]
    training.fine_tune(model, (images, masks), None, epochs=2, batch_size=16, progress=False)
    summary = freezing.trainable_summary(model)
    batchnorm_layers = sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.get_layer("base").layers)
    assert summary.trainable_base_layers > 0 and summary.frozen_batchnorm_layers == batchnorm_layers > 0
    after = [np.array(layer.moving_mean) for layer in model.get_layer("base").layers
             if isinstance(layer, keras.layers.BatchNormalization)]
    assert all(np.array_equal(first, second) for first, second in zip(statistics, after))
    predicted = segmentation.predict_masks(model, images)
    assert segmentation.foreground_iou(predicted, masks) > 0.5, "bright squares are found"


def test_the_check_reads_masks_and_refuses_class_ids_the_head_cannot_output(model):
    images, masks = _square_masks(4)
    assert not checks.check(model, (images, masks), output=None)
    found = checks.check(model, (images, masks + 1), output=None)
    assert "labels_out_of_range" in found.rules, found
    with pytest.raises(InvalidArgumentError, match="num_classes"):
        models.build_segmentation_model(num_classes=0, image_size=64)


def test_a_segmentation_model_saves_and_loads_safely(model, tmp_path):
    path = models.save_model(model, tmp_path / "segmentation.keras")
    loaded = models.load_model(path)
    images = random_images(2)
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-5)


def test_mean_iou_foreground_iou_and_box_iou_on_hand_made_masks():
    truth = np.zeros((1, 4, 4), np.int32)
    truth[0, :2, :2] = 1
    assert segmentation.mean_iou(truth, truth, num_classes=2) == 1.0
    shifted = np.zeros_like(truth)
    shifted[0, :2, 1:3] = 1
    # background: 10 shared of 14; class 1: 2 shared of 6; class 2 is neither present nor predicted
    assert segmentation.mean_iou(shifted, truth, num_classes=2) == pytest.approx((10 / 14 + 2 / 6) / 2)
    assert segmentation.foreground_iou(np.full_like(truth, 2), truth) == pytest.approx(4 / 16)
    assert segmentation.foreground_iou(np.zeros_like(truth), np.zeros_like(truth)) == 1.0, "nothing, rightly"
    with pytest.raises(InvalidArgumentError, match="num_classes"):
        segmentation.mean_iou(truth, truth, num_classes=0)
    np.testing.assert_allclose(segmentation.box_iou([[0, 0, 2, 2], [0, 0, 1, 1], [0, 0, 0, 0]],
                                                    [[0, 0, 2, 2], [2, 2, 3, 3], [0, 0, 1, 1]]), [1.0, 0.0, 0.0])
    with pytest.raises(InvalidArgumentError, match="differ in shape"):
        segmentation.mean_iou(truth[0], truth, num_classes=2)


def test_boxes_from_masks_take_the_largest_region_and_its_most_frequent_class():
    mask = np.zeros((2, 10, 10), np.int32)
    mask[0, 1:4, 2:8] = 2
    mask[0, 2, 2] = 3
    mask[0, 8, 8] = 1  # a speck: not the object
    boxes, labels = segmentation.boxes_from_masks(mask)
    assert boxes[0].tolist() == [2, 1, 8, 4] and labels[0] == 1
    assert boxes[1].tolist() == [0, 0, 0, 0] and labels[1] == -1, "nothing predicted: no box"


def test_background_subtraction_finds_a_coloured_object_but_also_a_distractor():
    images = np.full((2, 32, 32, 3), 100, np.uint8)
    masks = np.zeros((2, 32, 32), np.int32)
    images[:, 4:14, 4:14] = (200, 40, 40)
    masks[:, 4:14, 4:14] = 1
    train = scenes.Scenes(images, masks, np.zeros((2, 1, 4)), np.zeros((2, 1)), ("red",))
    baseline = segmentation.BackgroundSubtraction(train, train)
    assert segmentation.foreground_iou(baseline.predict(images), masks) >= 0.96, "all but the corners the opening trims"
    cluttered = images.copy()
    cluttered[:, 16:30, 16:30] = (40, 40, 200)  # a larger blue distractor that belongs to the background
    assert segmentation.foreground_iou(baseline.predict(cluttered), masks) == 0.0


def test_labels_of_the_wrong_shape_are_refused_before_any_work_and_masks_evaluate_whole(model):
    images, masks = _square_masks(8)
    with pytest.raises(InvalidArgumentError, match="one \\(height, width\\) mask per image"):
        training.train_head(model, (images, masks[:, ::2, ::2]), None, epochs=1, progress=False)
    with pytest.raises(InvalidArgumentError, match="one \\(height, width\\) mask per image"):
        training.train_head(model, (images, np.ones(8, np.int32)), None, epochs=1, progress=False)
    with pytest.raises(InvalidArgumentError, match="head has 3 classes"):
        training.train_head(model, (images, masks + 1), None, epochs=1, progress=False)
    classifier = models.build_transfer_model("EfficientNetLite0", 3, image_size=64)
    with pytest.raises(InvalidArgumentError, match="One-hot"):
        training.train_head(classifier, (images, np.eye(3)[np.arange(8) % 3]), None, epochs=1, progress=False)
    training.train_head(classifier, (images, (np.arange(8) % 3)[:, None]), None, epochs=1, progress=False)
    saved = features.cache.max_bytes
    try:
        for budget in (saved, 1):  # kept maps, and too small a cache: the model runs on the images
            features.cache.max_bytes = budget
            labels, logits = training.predict_logits(model, (images, masks))
            assert labels.shape == masks.shape and logits.shape == (8, 64, 64, 4)
            assert 0.0 <= training.evaluate(model, (images, masks))["accuracy"] <= 1.0
    finally:
        features.cache.max_bytes = saved


def test_the_comparison_refuses_bad_requests_before_any_work():
    with pytest.raises(UnknownNameError):
        segmentation.compare_segmentation_strategies(strategies=["frozen", "psychic"], progress=False)
    with pytest.raises(InvalidArgumentError, match="training size"):
        segmentation.compare_segmentation_strategies(sizes=(20, 0), progress=False)
    with pytest.raises(InvalidArgumentError, match="head_learning_rate"):
        segmentation.compare_segmentation_strategies(head_learning_rate=0.0, progress=False)
    with pytest.raises(InvalidArgumentError, match="multiple of 25"):
        segmentation.compare_segmentation_strategies(head_steps=30, progress=False)
    with pytest.raises(InvalidArgumentError, match="among the sizes"):
        segmentation.compare_segmentation_strategies(sizes=(20, 50), fine_tune_sizes=(200,), progress=False)
    with pytest.raises(InvalidArgumentError, match="multiple of 25"):
        segmentation.trained_model("frozen", steps=10)
    with pytest.raises(InvalidArgumentError, match="on_trained"):
        segmentation.compare_segmentation_strategies(on_trained="frozen", progress=False)
    with pytest.raises(InvalidArgumentError, match="0..255"):
        segmentation.BackgroundSubtraction.predict(None, np.zeros((2, 8, 8, 3)) + 0.5)


@needs_photos
def test_every_arm_stores_its_steps_and_scores_on_held_out_scenes():
    seen = {}

    def on_trained(strategy, size, seed, model, test, predicted):
        np.testing.assert_array_equal(predicted, segmentation.predict_masks(model, test.images))
        seen[strategy] = segmentation.scores(predicted, test)["mean_iou"]

    comparison = segmentation.compare_segmentation_strategies(
        sizes=(8,), seeds=(0,), strategies=["background_subtraction", "random", "frozen", "head_only"], head_steps=25,
        steps=25, test_scenes=12, on_trained=on_trained, progress=False)
    assert seen == {row["strategy"]: row["mean_iou"] for row in comparison.rows if row["strategy"] in seen}, \
        "on_trained sees each network the row scored, before the next run reuses it"
    assert set(seen) == {"random", "frozen", "head_only"}
    steps = {row["strategy"]: row["steps"] for row in comparison.rows}
    assert steps == {"background_subtraction": 0, "random": 25, "frozen": 25, "head_only": 50}
    for row in comparison.rows:
        assert 0.0 <= row["mean_iou"] <= 1.0 and 0.0 <= row["box_accuracy"] <= 1.0 and row["size"] == 8
    trainable = {row["strategy"]: row["trainable_parameters"] for row in comparison.rows}
    assert trainable["random"] == trainable["frozen"] == trainable["head_only"] > trainable["background_subtraction"] == 0


def test_the_mask_to_box_exercise_accepts_a_right_function_and_explains_a_wrong_one(capsys):
    def right(mask):
        rows, columns = np.nonzero(mask)
        return columns.min(), rows.min(), columns.max() + 1, rows.max() + 1

    def inclusive(mask):
        rows, columns = np.nonzero(mask)
        return columns.min(), rows.min(), columns.max(), rows.max()

    def transposed(mask):
        rows, columns = np.nonzero(mask)
        return rows.min(), columns.min(), rows.max() + 1, columns.max() + 1

    assert exercises.check_mask_to_box(right)
    assert not exercises.check_mask_to_box(inclusive)
    assert "one past the last" in capsys.readouterr().out
    assert not exercises.check_mask_to_box(transposed)
    assert not exercises.check_mask_to_box(lambda mask: None)
    assert "raised TypeError" in capsys.readouterr().out
    assert not exercises.check_mask_to_box("not a function")


def _coloured_squares(count, size=64, seed=0):
    """Images with one square each, red (class 0) or blue (class 1), at a random place and size; its box."""
    rng = np.random.default_rng(seed)
    images = np.full((count, size, size, 3), 90.0, np.float32)
    boxes, labels = np.zeros((count, 4), np.float32), np.arange(count) % 2
    for index in range(count):
        side = int(rng.integers(size // 4, size // 2))
        left, top = rng.integers(0, size - side, 2)
        images[index, top:top + side, left:left + side] = (220, 30, 30) if labels[index] == 0 else (30, 30, 220)
        boxes[index] = (left, top, left + side, top + side)
    return images, boxes, labels


def test_a_localisation_model_learns_one_box_and_class_per_image_on_kept_features():
    images, boxes, labels = _coloured_squares(96)
    model = models.build_localisation_model(num_classes=2, image_size=64, seed=0)
    assert model.output_shape == (None, 6) and isinstance(model.get_layer("pooling"), keras.layers.Flatten)
    assert not checks.check(model, (images, models.box_targets(boxes, labels, 64, 2)), output=None)
    targets = models.box_targets(boxes, labels, 64, 2)
    features.clear()
    training.train_head(model, (images[:64], targets[:64]), None, epochs=150, batch_size=16, progress=False,
                        early_stopping_patience=None)
    assert features.cache.nbytes > 0, "the head trained on the frozen base's kept features"
    predicted, classes = models.predict_boxes(model, images[64:])
    assert (predicted[:, 2:] >= predicted[:, :2]).all() and predicted.max() <= 64
    assert (classes == labels[64:]).mean() >= 0.9
    constant = np.median(boxes[:64], axis=0)  # the best guess that ignores the image
    learned, guessed = segmentation.box_iou(predicted, boxes[64:]).mean(), segmentation.box_iou(
        np.repeat(constant[None], 32, axis=0), boxes[64:]).mean()
    assert learned > guessed + 0.1, (learned, guessed)


def test_localisation_targets_are_checked_before_training():
    model = models.build_localisation_model(num_classes=2, image_size=64, seed=0)
    images, boxes, labels = _coloured_squares(4)
    with pytest.raises(InvalidArgumentError, match="x1 < x2"):
        models.box_targets(boxes[:, [2, 1, 0, 3]], labels, 64, 2)
    with pytest.raises(InvalidArgumentError, match="labels must lie in"):
        models.box_targets(boxes, labels + 2, 64, 2)
    with pytest.raises(InvalidArgumentError, match="tl.models.box_targets"):
        training.train_head(model, (images, boxes), None, epochs=1, progress=False)
    with pytest.raises(InvalidArgumentError, match="predicts no boxes"):
        models.predict_boxes(models.build_segmentation_model(num_classes=2, image_size=64), images)
    with pytest.raises(UnknownNameError):
        models.build_transfer_model(image_size=64, pooling="maximum")


def test_a_localisation_model_saves_and_loads_with_its_loss(tmp_path):
    model = models.build_localisation_model(num_classes=3, image_size=64, seed=0, box_weight=2.0)
    loaded = models.load_model(models.save_model(model, tmp_path / "boxes.keras"))
    assert loaded.loss.num_classes == 3 and loaded.loss.box_weight == 2.0
    images = random_images(2)
    np.testing.assert_allclose(models.predict_boxes(loaded, images)[0], models.predict_boxes(model, images)[0],
                               atol=1e-3)
