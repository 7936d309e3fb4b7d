"""Helpers behind notebooks 01-06: DigitsCNN, linear probes, the LR finder, layer-wise rates, diagnostics."""

import keras
import numpy as np
import pytest

from tltutor import backbones, compiling, discriminative, freezing, lr_finder, models, training
from tltutor.backbones import digits_cnn
from tltutor.lessons import exercises, experiments, selection
from tltutor.report import diagnostics, plots
from tltutor.errors import InvalidArgumentError
from tltutor.training import TrainingHistory


def _small_model(num_classes=3):
    base = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, name="low"),
                             keras.layers.Conv2D(4, 3, name="middle"), keras.layers.Conv2D(4, 3, name="top")],
                            name="base")
    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Dense(num_classes, name="classifier")(keras.layers.GlobalAveragePooling2D()(base(inputs)))
    return keras.Model(inputs, outputs)


def test_digits_cnn_is_really_pretrained_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    path = digits_cnn.pretrained_weights_path(seed=0)
    assert path.exists() and (tmp_path / "tltutor" / "digits_cnn_seed0.weights.h5.sha256").exists()
    modified = path.stat().st_mtime_ns
    assert digits_cnn.pretrained_weights_path(seed=0).stat().st_mtime_ns == modified, "the cache is reused"
    pretrained = backbones.build_base("DigitsCNN", image_size=32, weights="digits")
    random = backbones.build_base("DigitsCNN", image_size=32, weights=None)
    assert not np.allclose(pretrained.get_layer("conv1_conv").get_weights()[0],
                           random.get_layer("conv1_conv").get_weights()[0])
    with pytest.raises(InvalidArgumentError, match="pretrained on digits"):
        backbones.build_base("DigitsCNN", weights="imagenet")
    # 0.908 for seed 0 and 0.956-0.986 for seeds 1-5: eight times chance (0.1) is far below every one
    assert digits_cnn.source_accuracy(seed=0) > 0.8, "it really learned its source task"


def test_linear_probe_reports_size_speed_and_accuracy():
    comparison = selection.compare_backbones([("EfficientNetLite0", "imagenet"), ("EfficientNetLite0", None)],
                                             samples_per_class=16, image_size=64, epochs=15,
                                             test_samples_per_class=10, seeds=(0,), progress=None)
    assert comparison.variant_key == "candidate"
    assert comparison.variants == ["EfficientNetLite0 (imagenet)", "EfficientNetLite0 (random)"]
    pretrained, random = ({key: comparison.values(name, key)[0] for key in comparison.rows[0] if key != "candidate"}
                          for name in comparison.variants)
    assert pretrained["base_parameters"] == random["base_parameters"] > 3_000_000
    assert pretrained["feature_size"] == 1280 and pretrained["images_per_second"] > 0
    assert pretrained["steps"] >= pretrained["probe_epochs"] >= 1, "a probe stores its optimizer steps"
    assert pretrained["probe_test_accuracy"] > random["probe_test_accuracy"] + 0.1
    assert exercises.check_best_candidate(comparison, "EfficientNetLite0 (imagenet)")
    assert not exercises.check_best_candidate(comparison, "EfficientNetLite0 (random)")


def test_extractor_health_tells_a_collapsed_extractor_from_a_working_one():
    rows = {row["extractor"]: row for row in selection.extractor_health("digits", image_size=32, images=64)}
    pretrained, adapted, initial = (rows[name] for name in ("imagenet", "random, statistics from the target",
                                                            "random, initial statistics"))
    assert pretrained["effective_dimensions"] > 5 and pretrained["feature_scale"] > 1e-3
    assert initial["feature_scale"] < 1e-6, "at Keras's initial BatchNorm statistics the activations vanish"
    assert adapted["feature_scale"] > 1e-3 and adapted["top_component_share"] < 0.9, "AdaBN keeps them alive"
    with pytest.raises(InvalidArgumentError, match="2 images"):
        selection.feature_health(np.zeros((1, 4)))


def test_range_test_finds_a_rate_below_divergence_and_changes_nothing():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 20)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0)
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(3)])
    compiling.compile_model(model, 1e-3)
    before = [weight.copy() for weight in model.get_weights()]
    result = lr_finder.find_learning_rate(model, (x, y), min_learning_rate=1e-5, max_learning_rate=10.0, steps=80)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert compiling.current_learning_rate(model) == pytest.approx(1e-3)
    assert 1e-4 < result.suggestion < 1.0
    assert result.suggestion <= result.minimum / 10 + 1e-12 or result.minimum <= result.steepest
    assert result.learning_rates == sorted(result.learning_rates)
    assert plots.plot_range_test(result).axes[0].get_xscale() == "log"


def test_range_test_changes_the_rate_every_batch_even_with_several_steps_per_execution():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(640, 20)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(2)])
    compiling.compile_model(model, 1e-3, steps_per_execution=4)  # what an accelerator gets by default
    result = lr_finder.find_learning_rate(model, (x, y), steps=20)
    assert len(set(result.learning_rates)) == len(result.learning_rates) == 20
    assert model.steps_per_execution == 4


def test_range_test_records_each_batchs_own_loss_not_the_running_mean():
    import tensorflow as tf

    x = np.ones((64, 4), "float32")
    y = np.repeat([0, 1], 16).tolist() * 2  # batches of 16: all class 0, then all class 1, and again
    favours_class_0 = keras.layers.Dense(2, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant([2.0, 0.0]))
    model = keras.Sequential([keras.Input((4,)), favours_class_0])
    compiling.compile_model(model, 1e-3)
    batches = tf.data.Dataset.from_tensor_slices((x, np.asarray(y, "int64"))).batch(16)
    result = lr_finder.find_learning_rate(model, batches, min_learning_rate=1e-9, max_learning_rate=1e-8, steps=12,
                                         divergence=100.0)
    expected = [float(np.log1p(np.exp(-2.0))), float(np.log1p(np.exp(2.0)))] * 6  # cross-entropy of each batch
    np.testing.assert_allclose(result.losses, expected, rtol=1e-4)


def test_suggestion_reads_the_slope_across_neighbours_not_one_noisy_step():
    rates = np.logspace(-6, 0, 61)
    losses = 2 - 0.1 * np.tanh(2 * (np.log10(rates) + 2))  # steepest at 1e-2: 0.2 per decade
    losses[10] -= 0.05  # one noisy batch early on: 0.25 per decade from its neighbours alone
    suggestion, steepest, minimum = lr_finder.suggest(rates, losses)
    assert steepest == pytest.approx(1e-2, rel=0.3)


def test_suggestion_is_the_steepest_descent_on_a_known_curve():
    rates = np.logspace(-6, 0, 61)
    losses = 2 - np.tanh(2 * (np.log10(rates) + 3)) + np.where(rates > 1e-1, 50 * (rates - 1e-1), 0)
    suggestion, steepest, minimum = lr_finder.suggest(rates, losses)
    assert steepest == pytest.approx(1e-3, rel=0.3)
    assert suggestion == min(steepest, minimum / 10)
    flat_then_falling = np.concatenate([[1.0, 0.99], np.linspace(1.0, 1.0, 29), 1 - 0.5 * np.tanh(np.linspace(0, 3, 30))])
    suggestion, steepest, minimum = lr_finder.suggest(rates, flat_then_falling)
    assert suggestion == steepest, "a noisy minimum at the start must not drag the suggestion down"
    rising = np.linspace(1.0, 2.0, 61)
    rising[[6, 8]] = 0.9, 0.8  # a converged model: noise at the start, then only a rise
    suggestion, steepest, minimum = lr_finder.suggest(rates, rising)
    assert minimum > steepest and suggestion == rates[0], "a suggestion below the tested rates is not a result"


def test_layerwise_rates_scale_each_groups_first_adam_step():
    model = _small_model()
    groups = discriminative.base_layer_groups(model, groups=3)
    assert [[layer.name for layer in group] for group in groups] == [["top"], ["middle"], ["low"]]
    rates = discriminative.compile_discriminative(model, learning_rate=1e-2, layerwise_decay=2.0, groups=3)
    assert list(rates.values()) == pytest.approx([1e-2, 5e-3, 2.5e-3, 1.25e-3])
    before = {variable.path: keras.ops.convert_to_numpy(variable).copy() for variable in model.trainable_variables}
    x = np.random.default_rng(0).normal(size=(16, 8, 8, 3)).astype("float32")
    model.train_on_batch(x, np.arange(16) % 3)
    # Adam's first step moves each weight by about the rate (the gradient's sign times rate).
    for path, expected in [("classifier/kernel", 1e-2), ("base/top/kernel", 5e-3), ("base/low/kernel", 1.25e-3)]:
        variable = next(v for v in model.trainable_variables if v.path == path)
        step = np.abs(keras.ops.convert_to_numpy(variable) - before[path]).max()
        assert step == pytest.approx(expected, rel=0.05), path


def test_layerwise_optimizer_survives_a_safe_mode_round_trip(tmp_path):
    model = _small_model()
    discriminative.compile_discriminative(model, 1e-3, layerwise_decay=2.6)
    path = tmp_path / "layerwise.keras"
    models.save_model(model, path)
    loaded = models.load_model(path)
    assert isinstance(loaded.optimizer, compiling.LayerwiseAdam)
    assert loaded.optimizer.multipliers == model.optimizer.multipliers


def test_layerwise_rates_need_an_unfrozen_base_and_a_sensible_decay():
    model = _small_model()
    freezing.freeze_base(model)
    with pytest.raises(InvalidArgumentError, match="unfreeze"):
        discriminative.compile_discriminative(model)
    freezing.unfreeze(model)
    with pytest.raises(InvalidArgumentError, match="layerwise_decay"):
        discriminative.compile_discriminative(model, layerwise_decay=0.5)


def _history(train_accuracy, validation_accuracy, train_loss, validation_loss):
    history = TrainingHistory()
    history.add_phase("head", {"accuracy": train_accuracy, "val_accuracy": validation_accuracy,
                               "loss": train_loss, "val_loss": validation_loss}, 1.0)
    return history


def test_overfitting_verdicts():
    overfit = _history([0.6, 0.8, 0.95, 0.99], [0.6, 0.7, 0.7, 0.68], [1.0, 0.6, 0.2, 0.05], [1.0, 0.8, 0.9, 1.1])
    assert diagnostics.generalization_gap(overfit)[-1] == pytest.approx(0.31)
    assert diagnostics.overfitting_verdict(overfit).startswith("overfitting: validation loss was best at epoch 2")
    healthy = _history([0.6, 0.7], [0.62, 0.71], [1.0, 0.8], [0.95, 0.78])
    assert diagnostics.overfitting_verdict(healthy).startswith("no sign of overfitting")
    assert exercises.check_final_gap(overfit, 0.31) and not exercises.check_final_gap(overfit, 0.1)


def test_per_class_report_and_balanced_accuracy():
    true = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 0, 0, 0, 0, 1, 2, 0])
    rows = diagnostics.per_class_report(true, predicted, ["a", "b", "c"])
    assert [row["class"] for row in rows] == ["b", "c", "a"]
    assert rows[-1] == {"class": "a", "recall": 1.0, "precision": 0.6667, "support": 4}
    assert diagnostics.balanced_accuracy(true, predicted, 3) == pytest.approx((1 + 0.5 + 0.5) / 3)


def test_data_size_grid_runs_each_size_and_seed_and_keeps_the_size(monkeypatch):
    calls = []

    def fake_run_seed(spec, train, validation, test, info, *, seed, strategies, comparison, samples_per_class,
                      **ignored):
        calls.append((samples_per_class, seed, len(train[1])))
        for strategy in strategies:
            comparison.add(strategy, seed, samples_per_class=samples_per_class,
                           test_accuracy=0.5 + samples_per_class / (100 if strategy == "feature_extraction" else 40))

    monkeypatch.setattr(experiments, "run_seed", fake_run_seed)
    grid = experiments.data_size_grid((4, 8), ("feature_extraction", "fine_tuning"), image_size=32, seeds=(0, 1),
                                      test_samples_per_class=5, progress=None)
    assert calls == [(4, 0, 40), (4, 1, 40), (8, 0, 80), (8, 1, 80)]
    assert grid.where(samples_per_class=8).values("fine_tuning", "test_accuracy") == [0.7, 0.7]
    with pytest.raises(InvalidArgumentError, match="where"):
        grid.values("fine_tuning", "test_accuracy")  # two sizes per seed: ambiguous


def test_layerwise_rates_do_not_carry_over_to_a_later_plain_fine_tune(tiny_data):
    train, validation, _, _ = tiny_data
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=64)
    training.fine_tune(model, train, validation, epochs=1, unfreeze_from="block15_", layerwise_decay=2.6,
                       progress=False)
    assert isinstance(model.optimizer, compiling.LayerwiseAdam)
    training.fine_tune(model, train, validation, epochs=1, unfreeze_from="block15_", progress=False)
    assert not getattr(model.optimizer, "multipliers", None)
