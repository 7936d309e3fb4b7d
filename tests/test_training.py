import numpy as np
import pytest

from tltutor import experiments, models, training
from tltutor.data import pipelines
from tltutor.errors import InvalidArgumentError


def test_cached_features_are_the_models_own_features_in_order(tiny_data):
    _, validation, _, _ = tiny_data
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=64)
    features, labels = training.extract_features(model, validation)
    images, expected_labels = pipelines.to_numpy(validation)
    np.testing.assert_array_equal(labels, expected_labels)
    direct = models.feature_extractor(model).predict(images, verbose=0)
    np.testing.assert_allclose(features, direct, rtol=1e-4, atol=1e-4)
    assert features.shape == (30, 1280)


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
    training.gradual_unfreeze(model, train, validation, points=["block15_", "block13_"], epochs_per_stage=1,
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


def test_compare_strategies_shows_transfer_beating_scratch():
    comparison = experiments.compare_strategies(samples_per_class=16, image_size=64, head_epochs=10,
                                                fine_tune_epochs=1, scratch_epochs=1, test_samples_per_class=10,
                                                progress=None)
    rows = {row["strategy"]: row for row in comparison.rows}
    assert list(rows) == ["scratch", "feature_extraction", "fine_tuning"]
    assert rows["feature_extraction"]["trainable_parameters"] == 12_810
    assert rows["scratch"]["trainable_parameters"] > rows["fine_tuning"]["trainable_parameters"] > 12_810
    assert rows["feature_extraction"]["test_accuracy"] > rows["scratch"]["test_accuracy"] + 0.2
    assert comparison.histories["fine_tuning"].phase_starts["fine-tune"] == comparison.histories["feature_extraction"].epochs
