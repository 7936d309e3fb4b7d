import numpy as np
import pytest

from tltutor import features, models, training
from tltutor.lessons import experiments
from tltutor.data import pipelines
from tltutor.errors import InvalidArgumentError


def test_cached_features_are_the_models_own_features_in_order(tiny_data):
    _, validation, _, _ = tiny_data
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=64)
    pooled, labels = features.pooled_features(model, validation)
    images, expected_labels = pipelines.to_numpy(validation)
    np.testing.assert_array_equal(labels, expected_labels)
    direct = models.feature_extractor(model).predict(images, verbose=0)
    np.testing.assert_allclose(pooled, direct, rtol=1e-4, atol=1e-4)
    assert pooled.shape == (30, 1280)


def test_head_on_cached_features_trains_the_full_models_head(tiny_data):
    train, validation, test, _ = tiny_data
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=64)
    before = model.get_layer("classifier").get_weights()[0].copy()
    history = training.train_head(model, train, validation, epochs=8, early_stopping_patience=None)
    assert not np.allclose(before, model.get_layer("classifier").get_weights()[0])
    assert history.phase_starts == {"head": 0} and history.epochs == 8
    assert training.evaluate(model, test)["accuracy"] > 0.4  # chance is 0.1


def test_history_records_phase_starts(tiny_data):
    train, validation, _, _ = tiny_data
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=64)
    history = training.train_head(model, train, validation, epochs=2, early_stopping_patience=None)
    training.gradual_unfreeze(model, train, validation, unfreeze_points=["block15_", "block13_"], epochs_per_stage=1,
                              history=history)
    assert history.phase_starts == {"head": 0, "unfreeze 1: block15_": 2, "unfreeze 2: block13_": 3}
    assert [record["epoch"] for record in history.records] == [1, 2, 3, 4]
    assert all("val_accuracy" in record for record in history.records)


def test_early_stopping_restores_the_best_weights():
    callbacks = training.callbacks_for(2)
    assert callbacks[0].restore_best_weights and callbacks[0].patience == 2
    assert training.callbacks_for(None) == []


@pytest.mark.parametrize("arguments", [dict(epochs=0), dict(epochs=2.5), dict(learning_rate=0), dict(learning_rate=float("nan"))])
def test_nonsense_training_arguments(tiny_data, arguments):
    train, validation, _, _ = tiny_data
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=64)
    with pytest.raises(InvalidArgumentError):
        training.train_head(model, train, validation, **arguments)


def test_compare_strategies_runs_every_strategy_on_the_same_seeds():
    comparison = experiments.compare_strategies(samples_per_class=16, image_size=64, head_epochs=10,
                                                fine_tune_epochs=1, test_samples_per_class=10, seeds=(0, 1),
                                                progress=None)
    assert comparison.variants == ["pixels", "scratch", "feature_extraction", "head_continued", "fine_tuning"]
    assert comparison.seeds == (0, 1) and len(comparison.rows) == 10
    rows = {row["strategy"]: row for row in comparison.rows if row["seed"] == 0}
    assert rows["feature_extraction"]["trainable_parameters"] == rows["head_continued"]["trainable_parameters"] == 12_810
    assert rows["fine_tuning"]["trainable_parameters"] > 12_810
    # the control trains the head for exactly fine-tuning's steps, from the same head
    assert rows["head_continued"]["steps"] == rows["fine_tuning"]["steps"] > rows["feature_extraction"]["steps"]
    assert comparison.history("head_continued").phase_starts["head continued"] == rows["feature_extraction"]["epochs"]
    assert 0 < rows["pixels"]["test_balanced_accuracy"] <= 1
    for strategy in ("pixels", "feature_extraction", "fine_tuning"):  # real learning: chance is 0.1
        assert min(comparison.values(strategy, "test_accuracy")) > 0.3, strategy
    history = comparison.history("fine_tuning")
    assert history.phase_starts["fine-tune"] == comparison.history("feature_extraction").epochs
    assert comparison.history("scratch").phase_starts == {"scratch": 0}


def _dense_model(*names):
    import keras

    return keras.Sequential([keras.Input((4,))] + [keras.layers.Dense(3, name=name) for name in names])


def test_alternating_ways_of_compiling_keep_their_traced_steps():
    from tltutor import compiling

    x, y = np.random.default_rng(0).normal(size=(16, 4)).astype("float32"), np.arange(16) % 3
    top = _dense_model("dense")
    plain = compiling.compile_model(_dense_model("other"), 1e-3)
    decayed = compiling.compile_model(_dense_model("other"), 1e-3, weight_decay=0.01)
    first = compiling.compile_or_reuse(top, plain)
    first.fit(x, y, epochs=1, verbose=0)
    second = compiling.compile_or_reuse(top, decayed)
    second.fit(x, y, epochs=1, verbose=0)
    assert second is not first and second.layers[-1] is first.layers[-1]  # a copy sharing the layers
    assert type(second.optimizer).__name__ == "AdamW" and type(first.optimizer).__name__ == "Adam"
    again = compiling.compile_or_reuse(top, plain, 1e-4)
    assert again is first and again.train_function is not None  # not compiled again: the step is kept
    assert float(again.optimizer.learning_rate) == pytest.approx(1e-4) and int(again.optimizer.iterations) == 0


def test_recompile_keeps_the_traced_step_only_while_nothing_that_trains_changed():
    from tltutor import compiling

    x, y = np.random.default_rng(0).normal(size=(16, 4)).astype("float32"), np.arange(16) % 3
    model = compiling.compile_model(_dense_model("lower", "upper"), 1e-3)
    compiling.recompile(model)
    model.fit(x, y, epochs=1, verbose=0)
    compiling.recompile(model, 1e-4)
    assert model.train_function is not None and int(model.optimizer.iterations) == 0
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)
    model.get_layer("lower").trainable = False
    compiling.recompile(model)
    assert model.train_function is None and len(model.trainable_variables) == 2
    model.fit(x, y, epochs=1, verbose=0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")  # compiled elsewhere: not ours to keep
    compiling.recompile(model)
    assert model.train_function is None


def test_warmup_cosine_rises_then_decays_and_hands_back_the_compiled_rate():
    import keras

    from tltutor import compiling, schedules

    rates = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

    x = np.random.default_rng(0).normal(size=(320, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    compiling.compile_model(model, 1e-2)
    model.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[schedules.WarmupCosine(), Record()])
    assert len(rates) == 20 and rates[0] == pytest.approx(5e-3) and rates[1] == pytest.approx(1e-2)
    assert rates[1] > rates[10] > rates[-1] and rates[-1] == pytest.approx(0, abs=1e-9)
    assert compiling.current_learning_rate(model) == pytest.approx(1e-2)
    with pytest.raises(InvalidArgumentError, match="schedule"):
        schedules.callbacks("triangle")


def test_fine_tuning_with_a_schedule_moves_the_unfrozen_weights(tiny_data):
    from tltutor import freezing
    from tltutor.report import diagnostics

    train, validation, _, _ = tiny_data
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=64)
    training.train_head(model, train, validation, epochs=3, progress=False, seed=0)
    layer = freezing.get_base(model).get_layer("block15_project_conv")
    start = layer.get_weights()
    training.fine_tune(model, train, validation, epochs=2, learning_rate=1e-3, unfreeze_from="block15_",
                       schedule="warmup_cosine", early_stopping_patience=None, progress=False, seed=0)
    assert diagnostics.relative_weight_change(start, layer.get_weights()) > 0
    with pytest.raises(InvalidArgumentError, match="schedule"):
        training.fine_tune(model, train, validation, schedule="triangle")


def test_fine_tuning_gain_gives_fine_tuning_and_its_control_the_same_steps_from_one_converged_head():
    from tltutor.lessons import experiments

    gains = experiments.fine_tuning_gain(
        {"fashion_mnist_embedded": dict(sizes=(4,), seeds=(0, 1), test_samples_per_class=5)}, image_size=32,
        steps=6, batch_size=16, progress=False)
    assert gains.variants == ["head", "head continued", "fine-tuned"]
    heads = gains.where(variant="head").rows
    assert all(row["converged"] and row["solver_iterations"] > 0 for row in heads)
    # 40 training images in batches of 16: 3 steps an epoch, so 6 steps are 2 whole epochs
    assert {row["fine_tune_steps"] for row in gains.rows if row["variant"] != "head"} == {6}
    assert all(row["weight_change_percent"] > 0 for row in gains.where(variant="fine-tuned").rows)
    assert all(row["weight_change_percent"] == 0 for row in gains.where(variant="head continued").rows)
    (row,) = experiments.fine_tuning_gains(gains)
    verdict = gains.verdict("fine-tuned", "head continued")
    assert row["gain"] == round(float(verdict.difference), 4) and row["low"] <= row["gain"] <= row["high"]
    (against_head,) = experiments.fine_tuning_gains(gains, against="head")
    assert against_head["gain"] == round(float(gains.verdict("fine-tuned", "head").difference), 4)


def test_early_stopping_needs_thirty_validation_examples_and_waits_out_the_warm_up():
    import numpy as np

    lines = []
    few = (np.zeros((29, 8, 8, 3), np.float32), np.zeros(29, np.int32))
    assert training.early_stopping_for(3, few, epochs=20, progress=lines.append) == []
    assert "29 validation examples are too few" in lines[0] and "all 20 epochs" in lines[0]
    enough = (np.zeros((30, 8, 8, 3), np.float32), np.zeros(30, np.int32))
    [constant] = training.early_stopping_for(3, enough, epochs=20, progress=False)
    [warmed] = training.early_stopping_for(3, enough, epochs=20, schedule="warmup_cosine", progress=False)
    assert constant.start_from_epoch == 0 and warmed.start_from_epoch == 2  # the warm-up: a tenth of 20 epochs
    assert training.early_stopping_for(None, enough, epochs=20) == []


def test_histories_count_optimizer_steps_per_phase(tiny_data):
    train, validation, _, info = tiny_data
    model = models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=64)
    history = training.train_head(model, train, validation, epochs=3, early_stopping_patience=None, progress=False)
    history = training.fine_tune(model, train, validation, epochs=2, unfreeze_from="block15_", history=history,
                                 early_stopping_patience=None, progress=False)
    batches_per_epoch = -(-info.train_count // 32)
    assert history.phase_steps() == {"head": 3 * batches_per_epoch, "fine-tune": 2 * batches_per_epoch}
    assert history.steps == 5 * batches_per_epoch


def test_step_counts_hold_when_keras_runs_several_steps_per_call():
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), steps_per_execution=4)
    counter = training.StepCounter()
    result = model.fit(np.zeros((20, 4)), np.zeros(20), batch_size=2, epochs=2, callbacks=[counter], verbose=0)
    assert result.history["steps"] == [10, 10]  # 20 examples in batches of 2, though Keras reports every 4th
    assert int(model.optimizer.iterations.numpy()) == 20


def test_a_comparison_row_stores_its_historys_steps_unless_given():
    from tltutor.report.results import Comparison

    history = training.TrainingHistory()
    history.add_phase("head", {"accuracy": [0.4, 0.5], "steps": [15, 15]}, seconds=1.0)
    history.add_phase("fine-tune", {"accuracy": [0.6], "steps": [40]}, seconds=1.0)
    comparison = Comparison("arm")
    assert comparison.add("counted", 0, history=history, test_accuracy=0.6)["steps"] == 70
    assert comparison.add("given", 0, history=history, steps=12)["steps"] == 12
    assert "steps" not in comparison.add("no history", 0, test_accuracy=0.5)


def test_augmented_outputs_are_the_frozen_parts_outputs_on_fresh_renderings_each_epoch(tiny_data):
    import keras

    from tltutor import freezing

    train, _, _, _ = tiny_data
    images, labels = pipelines.to_numpy(train)
    model = models.build_transfer_model("DigitsCNN", 10, weights="digits", image_size=64, augmentation="default")
    freezing.unfreeze(model, "conv3_")
    bottom, _ = features.frozen_split(model)
    identity = keras.layers.Identity()
    unchanged = training.AugmentedOutputs(identity, bottom, images, labels, batch_size=32, seed=0)
    outputs, batch_labels = unchanged[0]
    order = unchanged.permutation[:32]
    np.testing.assert_allclose(outputs, bottom.predict(images[order], verbose=0), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(batch_labels, labels[order])
    assert len(unchanged) == int(np.ceil(len(labels) / 32))
    augmented = training.AugmentedOutputs(model.get_layer(models.AUGMENTATION_NAME), bottom, images, labels,
                                          batch_size=32, seed=0)
    first = augmented.outputs.copy()
    augmented.on_epoch_end()
    assert not np.allclose(first, augmented.outputs)  # a new rendering of every image
    assert not np.allclose(first, bottom.predict(images, verbose=0))


def test_fine_tuning_an_augmented_model_trains_on_the_frozen_parts_outputs(tiny_data, monkeypatch):
    from tltutor import freezing

    train, validation = (pipelines.to_numpy(part) for part in tiny_data[:2])
    model = models.build_transfer_model("DigitsCNN", 10, weights="digits", image_size=64, augmentation="default")
    training.train_head(model, train, validation, epochs=1, progress=False)
    built = []
    original = training.AugmentedOutputs.__init__
    monkeypatch.setattr(training.AugmentedOutputs, "__init__",
                        lambda self, *args, **kwargs: (built.append(self), original(self, *args, **kwargs))[1])
    start = [weight.copy() for weight in freezing.get_base(model).get_weights()]
    history = training.fine_tune(model, train, validation, epochs=2, learning_rate=1e-3, unfreeze_from="conv3_",
                                 early_stopping_patience=None, progress=False, seed=0)
    assert len(built) == 1 and history.steps == 2 * int(np.ceil(len(train[1]) / 32))
    moved = [not np.allclose(a, b) for a, b in zip(start, freezing.get_base(model).get_weights())]
    assert any(moved)
    training.fine_tune(model, train, validation, epochs=1, use_cached_features=False, unfreeze_from="conv3_",
                       progress=False)
    assert len(built) == 1  # asked to train on images, it does
