"""Overfitting remedies (notebook 07): each remedy switches on its own thing, and a real small-data
run shows the baseline's train-test gap."""

import keras
import pytest

from tltutor import compiling, freezing, models
from tltutor.errors import InvalidArgumentError, UnknownNameError
from tltutor.lessons import overfitting


def test_each_remedy_switches_on_only_its_own_setting():
    settings = {remedy: overfitting.remedy_settings(remedy) for remedy in overfitting.REMEDIES}
    assert settings["none"] == overfitting.RemedySettings()
    assert settings["augmentation"] == overfitting.RemedySettings(augmentation=True)
    assert settings["dropout"] == overfitting.RemedySettings(dropout=0.5)
    assert settings["weight_decay"] == overfitting.RemedySettings(weight_decay=0.1)
    assert settings["early_stopping"] == overfitting.RemedySettings(early_stopping_patience=5)
    assert settings["all"] == overfitting.RemedySettings(True, 0.5, 0.1, 5)
    assert overfitting.remedy_settings("dropout", dropout=0.3, weight_decay=0.2).dropout == 0.3


def test_bad_remedy_arguments_are_explained():
    with pytest.raises(UnknownNameError, match="dropout"):
        overfitting.remedy_settings("dropuot")
    with pytest.raises(InvalidArgumentError, match="weight_decay"):
        overfitting.remedy_settings("weight_decay", weight_decay=1.5)
    with pytest.raises(InvalidArgumentError, match="no overfitting remedy chosen"):
        overfitting.compare_remedies(remedies=())


def test_weight_decay_gives_adamw_and_survives_recompiling():
    model = models.build_transfer_model("DigitsCNN", 3, weights="digits", image_size=32)
    compiling.compile_model(model, 1e-3, weight_decay=0.1)
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    freezing.unfreeze(model, None, learning_rate=1e-4)  # recompiles
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    assert model.optimizer.weight_decay == pytest.approx(0.1)
    assert compiling.current_learning_rate(model) == pytest.approx(1e-4)
    compiling.compile_model(model, 1e-3)
    assert not isinstance(model.optimizer, keras.optimizers.AdamW)
    with pytest.raises(InvalidArgumentError, match="weight_decay"):
        compiling.compile_model(model, 1e-3, weight_decay=-0.1)


def test_remedy_model_has_the_layers_and_optimizer_it_names(tiny_data):
    train, validation, _, info = tiny_data
    model = overfitting.build_model_for_remedy("all", backbone="DigitsCNN", num_classes=info.num_classes,
                                               image_size=64)
    history = overfitting.train_with_remedy(model, train, validation, remedy="all", epochs=1, unfreeze_from="conv3_")
    assert models.has_augmentation(model)
    assert model.get_layer("head_dropout").rate == 0.5
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    assert freezing.trainable_summary(model).first_trainable_base_layer.startswith("conv3")
    assert history.epochs == 1 and list(history.phase_starts) == ["all"]


def test_compare_remedies_measures_the_gap_on_real_small_data():
    comparison = overfitting.compare_remedies(remedies=("none", "early_stopping"), backbone="DigitsCNN",
                                              samples_per_class=16, image_size=64, unfreeze_from=None, epochs=30,
                                              learning_rate=3e-3, early_stopping_patience=1, seeds=(0,),
                                              test_samples_per_class=10, progress=None)
    assert comparison.variants == ["none", "early_stopping"] and len(comparison.histories) == 2
    baseline = {key: comparison.values("none", key)[0] for key in ("epochs", "gap", "train_accuracy", "test_accuracy")}
    assert baseline["epochs"] == 30
    assert baseline["gap"] == pytest.approx(baseline["train_accuracy"] - baseline["test_accuracy"], abs=1e-3)
    assert baseline["gap"] > 0.05  # overfitting, measured: 0.100 to 0.206 over seeds 0-7
    assert comparison.values("early_stopping", "epochs")[0] < 30
    # stopped early, it fits its training images less (by at least 0.08 on seeds 0-7); its gap may tie
    assert comparison.values("early_stopping", "train_accuracy")[0] < baseline["train_accuracy"]
