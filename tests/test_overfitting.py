"""Overfitting remedies (notebook 07): each remedy switches on its own thing at a dose that acts, and
a real small-data run measures every arm from the same converged head for the same steps."""

import keras
import numpy as np
import pytest

from tltutor import compiling, data, freezing, models
from tltutor.errors import InvalidArgumentError, UnknownNameError
from tltutor.lessons import forgetting, overfitting


def test_each_remedy_switches_on_only_its_own_setting():
    settings = {remedy: overfitting.remedy_settings(remedy) for remedy in overfitting.REMEDIES}
    assert settings["none"] == overfitting.RemedySettings()
    assert settings["fewer_weights"] == overfitting.RemedySettings(trains_base=False)
    assert settings["augmentation"] == overfitting.RemedySettings(augmentation=True)
    assert settings["dropout"] == overfitting.RemedySettings(dropout=0.5)
    assert settings["weight_decay"] == overfitting.RemedySettings(weight_decay=overfitting.DEFAULT_WEIGHT_DECAY)
    assert settings["l2sp"] == overfitting.RemedySettings(l2sp_alpha=overfitting.DEFAULT_L2SP_ALPHA)
    assert settings["early_stopping"] == overfitting.RemedySettings(early_stopping_patience=5)
    assert overfitting.remedy_settings("dropout", dropout=0.3, weight_decay=0.2).dropout == 0.3


def test_bad_remedy_arguments_are_explained_before_any_training():
    with pytest.raises(UnknownNameError, match="dropout"):
        overfitting.remedy_settings("dropuot")
    with pytest.raises(InvalidArgumentError, match="weight_decay"):
        overfitting.remedy_settings("weight_decay", weight_decay=-1)
    with pytest.raises(InvalidArgumentError, match="l2sp_alpha"):
        overfitting.remedy_settings("l2sp", l2sp_alpha=0)
    with pytest.raises(InvalidArgumentError, match="no overfitting remedy chosen"):
        overfitting.compare_remedies(remedies=())
    with pytest.raises(InvalidArgumentError, match="dropout"):
        overfitting.compare_remedies(remedies=("none", "dropout"), dropout=1.5, seeds=(0,), progress=None)
    with pytest.raises(InvalidArgumentError, match="steps="):
        overfitting.compare_remedies(remedies=("none",), epochs=5, seeds=(0,), progress=None)
    with pytest.raises(InvalidArgumentError, match="weight_decay"):
        compiling.make_optimizer(1e-3, weight_decay=1000)  # would zero every weight in one step
    with pytest.raises(InvalidArgumentError, match="weight_decay"):  # refused before the first arm trains
        overfitting.compare_remedies(remedies=("none", "weight_decay"), learning_rate=0.02, weight_decay=60,
                                     seeds=(0,), progress=None)


def test_weight_decay_shrinkage_is_what_adamw_does_without_a_gradient():
    weight = keras.Variable(np.ones(3, dtype="float32"))
    optimizer = compiling.make_optimizer(1e-3, weight_decay=2.0)
    for _ in range(50):
        optimizer.apply_gradients([(keras.ops.zeros(3), weight)])
    shrunk = 1 - float(keras.ops.convert_to_numpy(weight)[0])
    assert shrunk == pytest.approx(overfitting.weight_decay_shrinkage(2.0, 1e-3, 50), rel=1e-3)
    assert shrunk > 0.09  # a dose that acts: about 10 % over 50 steps


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


@pytest.mark.parametrize("remedy", ["augmentation", "dropout", "weight_decay"])
def test_remedy_model_has_the_layer_or_optimizer_it_names(tiny_data, remedy):
    train, validation, _, info = tiny_data
    model = overfitting.build_model_for_remedy(remedy, backbone="DigitsCNN", num_classes=info.num_classes,
                                               image_size=64)
    history = overfitting.train_with_remedy(model, train, validation, remedy=remedy, steps=5, batch_size=32,
                                            unfreeze_from="conv3_", progress=None)
    assert models.has_augmentation(model) == (remedy == "augmentation")
    assert model.get_layer("head_dropout").rate == (0.5 if remedy == "dropout" else 0.0)
    assert isinstance(model.optimizer, keras.optimizers.AdamW) == (remedy == "weight_decay")
    assert freezing.trainable_summary(model).first_trainable_base_layer.startswith("conv3")
    assert history.steps == 5 and list(history.phase_starts) == [remedy]


def _trained_change(model, train, validation, remedy, start, **strengths):
    model.set_weights(start)
    before = [weight for layer in freezing.tuned_layers(model, "conv2_") for weight in layer.get_weights()]
    overfitting.train_with_remedy(model, train, validation, remedy=remedy, steps=10, batch_size=16,
                                  unfreeze_from="conv2_", progress=None, seed=0, **strengths)
    after = [weight for layer in freezing.tuned_layers(model, "conv2_") for weight in layer.get_weights()]
    freezing.freeze_base(model)
    return float(np.linalg.norm(np.concatenate([np.ravel(a - b) for a, b in zip(after, before)])))


def test_l2sp_holds_the_base_near_its_start_even_after_a_step_was_traced_without_it(tiny_data):
    train, validation, _, info = tiny_data
    model = overfitting.build_model_for_remedy("none", backbone="DigitsCNN", num_classes=info.num_classes,
                                               image_size=64)
    start = model.get_weights()
    free = _trained_change(model, train, validation, "none", start)  # traces the step without a penalty
    held = _trained_change(model, train, validation, "l2sp", start, l2sp_alpha=1_000)
    frozen = _trained_change(model, train, validation, "fewer_weights", start)
    assert free > 0 and held < free / 3
    assert frozen == 0.0
    assert not any(isinstance(variable.regularizer, forgetting.L2SP) for variable in model.weights)


def test_tuned_layers_leave_out_batchnorm_and_the_frozen_part():
    model = models.build_transfer_model("DigitsCNN", 3, weights="digits", image_size=32)
    layers = freezing.tuned_layers(model, "conv3_")
    assert layers and all(not isinstance(layer, keras.layers.BatchNormalization) for layer in layers)
    assert all(layer.name >= "conv3" for layer in layers)
    assert len(freezing.tuned_layers(model, None)) > len(layers)
    middle = freezing.tuned_layers(model, "conv2_", until="conv3_")
    assert [layer.name for layer in middle] == ["conv2_conv"]
    for start, end in (("conv3_", "conv2_"), ("conv3_", "conv3_")):
        with pytest.raises(InvalidArgumentError, match="must come after unfreeze_from"):
            freezing.tuned_layers(model, start, until=end)
    with pytest.raises(InvalidArgumentError, match="no layer with weights"):
        freezing.tuned_layers(model, "conv2_bn", until="conv3_")  # BatchNorm, an activation and a pooling
    with pytest.raises(InvalidArgumentError, match="until=99 is outside"):
        freezing.tuned_layers(model, "conv2_", until=99)


def test_compare_remedies_measures_each_arm_from_the_same_head_on_real_small_data():
    comparison = overfitting.compare_remedies(
        data.OFFLINE_DEFAULT, remedies=("none", "fewer_weights", "early_stopping"), backbone="DigitsCNN",
        samples_per_class=4, validation_split=0.8, image_size=64, unfreeze_from="conv3_", steps=60, batch_size=8,
        learning_rate=3e-3, early_stopping_patience=1, seeds=(0,), test_samples_per_class=10, progress=None)
    assert comparison.variants == ["head", "none", "fewer_weights", "early_stopping"]
    value = {variant: {key: comparison.values(variant, key)[0] for key in
                       ("steps", "gap", "train_accuracy", "test_accuracy", "weight_change_percent")}
             for variant in comparison.variants[1:]}
    assert value["none"]["steps"] == 60 and value["fewer_weights"]["steps"] == 60
    assert value["none"]["gap"] == pytest.approx(value["none"]["train_accuracy"] - value["none"]["test_accuracy"],
                                                 abs=1e-3)
    assert value["none"]["weight_change_percent"] > 0 and value["fewer_weights"]["weight_change_percent"] == 0
    assert value["early_stopping"]["steps"] < 60
    kept = comparison.values("early_stopping", "steps_kept")[0]  # 5 steps an epoch
    assert 0 < kept < value["early_stopping"]["steps"] and kept % 5 == 0
    # every arm starts from the head, fitted once: the last arm's start is the head's loss
    assert comparison.values("head", "validation_loss")[0] == comparison.values("early_stopping",
                                                                                "validation_loss_at_start")[0]
