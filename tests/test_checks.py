"""The fine-tuning linter: each rule fires on a model built to show it, and never on tltutor's defaults."""

import keras
import numpy as np
import pytest

import tltutor as tl
from tltutor import checks

IMAGE_SIZE = 32


@pytest.fixture(scope="module")
def data():
    return tl.data.load_dataset("fashion_mnist_embedded", image_size=IMAGE_SIZE, samples_per_class=6,
                                test_samples_per_class=4, pipeline="arrays", seed=0)


def rules(model, *arguments, **options):
    return checks.check(model, *arguments, output=None, **options).rules


def test_no_false_alarm_along_tltutors_recommended_path(data):
    train, validation, test, info = data
    model = tl.models.build_transfer_model(num_classes=info.num_classes, image_size=IMAGE_SIZE,
                                           augmentation="default")
    assert rules(model, train, validation, test) == []
    tl.training.train_head(model, train, validation, epochs=1, progress=False)
    assert rules(model, train, validation, test) == []
    tl.training.fine_tune(model, train, validation, epochs=1, unfreeze_from="block15_", progress=False)
    assert rules(model, train, validation, test) == []


def test_no_false_alarm_on_tltutors_pipelines():
    train, validation, test, info = tl.data.load_dataset("fashion_mnist_embedded", image_size=IMAGE_SIZE,
                                                         samples_per_class=6, test_samples_per_class=4, seed=0)
    model = tl.models.build_transfer_model(num_classes=info.num_classes, image_size=IMAGE_SIZE)
    assert rules(model, train, validation, test) == []


def test_a_from_scratch_model_may_train_its_batchnorm_at_a_head_rate(data):
    train, validation, _, info = data
    model = tl.models.build_transfer_model(num_classes=info.num_classes, image_size=IMAGE_SIZE, weights=None,
                                           freeze=False)
    assert "batchnorm_updates" not in rules(model, train, validation)
    assert "high_rate" not in rules(model, train, validation)


def test_trainable_batchnorm_in_an_unfrozen_pretrained_base():
    model = tl.models.build_transfer_model(image_size=IMAGE_SIZE)
    tl.freezing.unfreeze(model, "block15_", keep_batchnorm_frozen=False, learning_rate=1e-4)
    found = rules(model)
    assert "batchnorm_updates" in found
    tl.freezing.unfreeze(model, "block15_", learning_rate=1e-4)
    assert "batchnorm_updates" not in rules(model)


def test_trainable_changed_after_the_optimizer_was_built(data):
    train, validation, _, info = data
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="first"), keras.layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(np.zeros((4, 4)), np.zeros(4), verbose=0)
    assert rules(model) == []
    model.get_layer("first").trainable = False
    assert rules(model) == ["stale_compile"]
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert rules(model) == []


def test_unfrozen_base_under_a_new_head_and_a_head_rate():
    model = tl.models.build_transfer_model(image_size=IMAGE_SIZE, freeze=False)
    assert rules(model, learning_rate=1e-2) == ["untrained_head", "high_rate"]
    assert rules(model) == ["untrained_head"]  # the head's own 1e-3: fine_tune's default, with a warm-up
    assert "high_rate" not in rules(model, learning_rate=1e-4)


def test_layer_wise_rates_count_for_the_base(data):
    train, validation, _, info = data
    model = tl.models.build_transfer_model(num_classes=info.num_classes, image_size=IMAGE_SIZE)
    tl.training.train_head(model, train, validation, epochs=1, progress=False)
    tl.freezing.unfreeze(model, "block15_")
    tl.discriminative.compile_discriminative(model, learning_rate=1e-2, layerwise_decay=10)
    assert "high_rate" not in rules(model)
    tl.compiling.compile_model(model, 1e-2)
    assert rules(model) == ["high_rate"]


@pytest.mark.parametrize("activation, from_logits, expected", [
    ("softmax", True, ["logits_and_loss"]), (None, False, ["logits_and_loss"]),
    ("softmax", False, []), (None, True, [])])
def test_output_activation_against_the_loss(activation, from_logits, expected):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation=activation)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
    assert rules(model) == expected


def test_images_scaled_to_0_1_for_a_model_that_scales_itself(data):
    train, validation, _, info = data
    model = tl.models.build_transfer_model(num_classes=info.num_classes, image_size=IMAGE_SIZE)
    images, labels = train
    assert rules(model, (images / 255.0, labels)) == ["input_range"]
    assert rules(model, (images, labels)) == []


def _augmented_model(augmentation):
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3))
    outputs = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(augmentation(inputs)))
    model = keras.Model(inputs, outputs)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_augmentation_that_changes_nothing():
    idle = keras.Sequential([keras.layers.RandomRotation(0.0), keras.layers.RandomZoom(0.0)], name="idle")
    assert rules(_augmented_model(idle)) == ["augmentation_off"]
    model = _augmented_model(tl.models.default_augmentation(seed=0))
    random_states = [variable for variable in model.variables if variable.path.endswith("seed_generator_state")]
    before = [keras.ops.convert_to_numpy(variable) for variable in random_states]
    assert rules(model) == []
    after = [keras.ops.convert_to_numpy(variable) for variable in random_states]
    assert all(np.array_equal(a, b) for a, b in zip(before, after)), "the check drew the model's random numbers"


class _Augmented(keras.utils.PyDataset):
    """A validation set augmented in its pipeline: each pass gives other images."""

    def __init__(self, images, labels):
        super().__init__()
        self.images, self.labels, self.generator = images, labels, np.random.default_rng(0)

    def __len__(self):
        return 1

    def __getitem__(self, index):
        flipped = self.images[:, :, ::-1] if self.generator.random() < 0.5 else self.images
        return flipped + self.generator.normal(0, 5, self.images.shape).astype("float32"), self.labels


def test_lora_adapters_are_not_pretrained_weights_at_a_high_rate():
    from tltutor import text

    model = text.build_text_model(sequence_length=16)
    model.get_layer("classifier").kernel.assign(model.get_layer("classifier").kernel + 0.1)  # a trained head
    text.enable_lora(model, rank=2)
    tl.compiling.compile_model(model, 1e-2)
    assert "high_rate" not in rules(model)


def test_sgd_rates_and_an_explicit_rate():
    model = tl.models.build_transfer_model(image_size=IMAGE_SIZE)
    tl.freezing.unfreeze(model, "block15_")
    tl.compiling.compile_model(model, 1e-2)
    model.compile(keras.optimizers.SGD(1e-2), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert "high_rate" not in rules(model)
    assert "high_rate" in rules(model, learning_rate=1e-2)
    assert "high_rate" not in rules(model, learning_rate=1e-3)


def test_models_check_cannot_read_are_skipped_not_failed():
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Subclassed()
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert rules(model, (np.zeros((4, 3), "float32"), np.zeros(4))) == []
    flexible = keras.Sequential([keras.Input((None, None, 3)), keras.layers.RandomFlip(),
                                 keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    flexible.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert rules(flexible) == []


def test_a_reshuffled_validation_pipeline_is_not_augmentation(data):
    tensorflow = pytest.importorskip("tensorflow")
    train, validation, _, info = data
    model = tl.models.build_transfer_model(num_classes=info.num_classes, image_size=IMAGE_SIZE)
    reshuffled = tensorflow.data.Dataset.from_tensor_slices(validation).shuffle(64).batch(8)
    assert rules(model, train, reshuffled) == []
    uint8_test = (validation[0].astype("uint8"), validation[1])
    assert rules(model, train, validation, uint8_test) == ["overlapping_splits"]


def test_validation_augmented_in_its_pipeline(data):
    train, validation, _, info = data
    model = tl.models.build_transfer_model(num_classes=info.num_classes, image_size=IMAGE_SIZE)
    assert rules(model, train, _Augmented(*validation)) == ["random_evaluation"]
    assert rules(model, train, validation) == []


def test_validation_reused_as_test_and_labels_beyond_the_head(data):
    train, validation, test, info = data
    model = tl.models.build_transfer_model(num_classes=info.num_classes, image_size=IMAGE_SIZE)
    assert rules(model, train, validation, validation) == ["overlapping_splits"]
    images, labels = train
    found = checks.check(model, (images, labels + 1), output=None)
    assert found.rules == ["labels_out_of_range"]
    assert "not integers in 0..9" in found[0].problem


def test_the_report_says_the_problem_the_cause_and_the_fix(capsys):
    model = tl.models.build_transfer_model(image_size=IMAGE_SIZE, freeze=False)
    tl.check(model)
    printed = capsys.readouterr().out
    assert "untrained_head" in printed and "why it matters" in printed and "fix: train the head" in printed
    tl.check(tl.models.build_transfer_model(image_size=IMAGE_SIZE))
    assert "none of the classic fine-tuning mistakes" in capsys.readouterr().out
