"""A fine-tuning linter: the classic mistakes that train without an error, found before training.

:func:`check` looks at a model (and, when given, its data) and returns one :class:`Finding` per
problem: what is wrong, what it causes, and the fix. Each rule is one of the lessons' pitfalls:

=======================  ==========================================================================
rule                     what it finds
=======================  ==========================================================================
``batchnorm_updates``    BatchNorm layers of a pretrained base that would update their statistics
``stale_compile``        ``trainable`` changed after the model trained, without compiling again
``untrained_head``       an unfrozen base under a head that was never trained
``high_rate``            a rate of 1e-3 or more for the layers of an unfrozen pretrained base
``logits_and_loss``      a softmax output with ``from_logits=True``, or logits with ``from_logits=False``
``input_range``          0..1 images fed to a model that scales 0..255 itself
``augmentation_off``     augmentation layers in the model that change nothing in training
``random_evaluation``    validation or test data that change from one pass to the next (augmented)
``overlapping_splits``   the same example in two of train, validation and test
``labels_out_of_range``  labels the head cannot output
=======================  ==========================================================================

The rules that read data run only on the data given; the others need the model alone.

Examples:
    >>> import tltutor as tl
    >>> model = tl.models.build_transfer_model(image_size=32, freeze=False)   # base unfrozen, head new
    >>> [finding.rule for finding in tl.checks.check(model, output=None)]
    ['untrained_head', 'high_rate']
    >>> tl.checks.check(tl.models.build_transfer_model(image_size=32), output=None)
    []
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import keras
import numpy as np

from tltutor import compiling, models, state
from tltutor.data import batches

RULES = ("batchnorm_updates", "stale_compile", "untrained_head", "high_rate", "logits_and_loss", "input_range",
         "augmentation_off", "random_evaluation", "overlapping_splits", "labels_out_of_range")
HIGH_FINE_TUNING_RATE = 1e-3
_PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid")


@dataclass(frozen=True)
class Finding:
    """One problem: the ``rule`` that found it, what is wrong, what it causes and how to fix it."""

    rule: str
    problem: str
    consequence: str
    fix: str

    def __str__(self):
        return f"✗ {self.rule}: {self.problem}\n    why it matters: {self.consequence}\n    fix: {self.fix}"


class Findings(list):
    """The findings of :func:`check`, a list that prints as a report."""

    @property
    def rules(self) -> list[str]:
        return [finding.rule for finding in self]

    def __str__(self):
        if not self:
            return "✓ none of the classic fine-tuning mistakes found"
        return "\n".join(str(finding) for finding in self)


def _base(model: keras.Model):
    names = [layer.name for layer in model.layers]
    if models.BASE_NAME in names:
        return model.get_layer(models.BASE_NAME)
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model) and layer.weights
              and not _random_layers(layer)]
    return nested[0] if nested else None


def _leaves(layer):
    inner = getattr(layer, "layers", None)
    if not inner:
        return [layer]
    return [leaf for child in inner for leaf in _leaves(child)]


def _random_layers(layer) -> list:
    return [leaf for leaf in _leaves(layer) if type(leaf).__name__.startswith("Random")]


def _base_trains(base) -> bool:
    return base is not None and bool(base.trainable_weights)


def _batchnorm_updates(model, base, pretrained):
    if not _base_trains(base) or pretrained is False:
        return []
    updating = [layer.name for layer in _leaves(base)
                if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]
    if not updating:
        return []
    return [Finding(
        "batchnorm_updates",
        f"{len(updating)} BatchNorm layers of the pretrained base are trainable (first: {updating[0]})",
        "in Keras 3 a trainable BatchNorm layer runs in training mode during fit(), even inside a base called "
        "with training=False: it replaces ImageNet's statistics with those of small batches of your data, "
        "and accuracy drops in the first epoch",
        "keep them frozen: tl.freezing.unfreeze(model, ...) does (keep_batchnorm_frozen=True), or set "
        "layer.trainable = False on each BatchNormalization layer, then compile again")]


def _stale_compile(model):
    if not getattr(model, "compiled", False):
        return []
    built = compiling.built_for(model.optimizer)
    if built is None or set(built) == set(state.trainable_ids(model)):
        return []
    return [Finding(
        "stale_compile",
        "trainable was changed after the model last trained, without compiling again",
        "Keras keeps training the variables it trained before: the layers you unfroze stay frozen "
        "(or the ones you froze keep training), and nothing says so",
        "compile the model again after changing trainable (tl.freezing.unfreeze and tl.freezing.freeze_base "
        "do it for you)")]


def _untrained_head(model, base):
    if not _base_trains(base) or models.head_is_new(model) is not True:
        return []
    return [Finding(
        "untrained_head",
        "the base is unfrozen but the new head has never been trained",
        "the random head sends large, meaningless gradients into the pretrained layers in the first steps, "
        "and they lose part of what they learned before the head is any good",
        "train the head on the frozen base first (tl.training.train_head), then unfreeze and fine-tune "
        "(tl.training.fine_tune does both steps in this order)")]


def _base_rate(model, base) -> float:
    rate = compiling.current_learning_rate(model)
    multipliers = getattr(compiling.settings_of(model.optimizer), "multipliers", None)
    if multipliers:
        base_paths = {variable.path for variable in base.trainable_weights}
        rate *= max((multiplier for path, multiplier in multipliers.items() if path in base_paths), default=1.0)
    return rate


def _high_rate(model, base, pretrained, learning_rate):
    if not _base_trains(base) or pretrained is False or not getattr(model, "compiled", False):
        return []
    rate = learning_rate if learning_rate is not None else _base_rate(model, base)
    if rate < HIGH_FINE_TUNING_RATE:
        return []
    return [Finding(
        "high_rate",
        f"the unfrozen pretrained layers would train at a learning rate of {rate:g}",
        "a head-training rate applied to pretrained weights can wipe out their features in a few steps "
        "(lesson 03 measured 1e-2 falling to chance)",
        "fine-tune at about a tenth of the head's rate (tl.training.fine_tune's default), or choose the rate on "
        "validation with a warm-up (schedule='warmup_cosine'), as lesson 03 does")]


def _output_activation(model) -> str | None:
    layer = model.layers[-1]
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", None)


def _loss_from_logits(model) -> bool | None:
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        return False if "crossentropy" in loss else None
    if loss is None or not hasattr(loss, "get_config"):
        return None
    config = loss.get_config()
    return config.get("from_logits") if "crossentropy" in type(loss).__name__.lower() else None


def _logits_and_loss(model):
    activation, from_logits = _output_activation(model), _loss_from_logits(model)
    if activation is None or from_logits is None:
        return []
    if activation in _PROBABILITY_ACTIVATIONS and from_logits:
        return [Finding(
            "logits_and_loss",
            f"the output layer applies {activation}, and the loss is told its inputs are logits (from_logits=True)",
            f"{activation} is applied twice: the loss sees squashed values, its gradients are tiny, and training "
            "stalls, often predicting one class for everything",
            f"remove the {activation} from the last layer (tltutor's heads output logits), or compile with "
            "from_logits=False")]
    if activation == "linear" and not from_logits:
        return [Finding(
            "logits_and_loss",
            "the output layer gives logits, and the loss treats them as probabilities (from_logits=False)",
            "the loss clips the raw scores into 0..1: negative logits give no gradient and training stalls or "
            "diverges",
            "compile with keras.losses.SparseCategoricalCrossentropy(from_logits=True), as tltutor does")]
    return []


def _expects_0_to_255(model) -> bool:
    for layer in _leaves(model):
        if isinstance(layer, keras.layers.Rescaling) and float(np.max(np.abs(layer.scale))) <= 1 / 100:
            return True
        if isinstance(layer, keras.layers.Normalization) and layer.built and \
                float(np.max(keras.ops.convert_to_numpy(layer.mean))) > 2:
            return True
    return False


def _input_range(model, first_images):
    if first_images is None or first_images.ndim != 4 or not _expects_0_to_255(model):
        return []
    largest = float(np.max(first_images))
    if largest > 1.0 + 1e-6:
        return []
    return [Finding(
        "input_range",
        f"the images go up to {largest:.2f}, but the model scales 0..255 inputs itself",
        "the backbone sees nearly black images: every input looks alike to it, and its features carry "
        "almost nothing about your classes",
        "feed 0..255 pixel values (do not divide by 255 yourself; the model's preprocessing layers do the "
        "scaling its backbone expects)")]


def _augmentation_off(model, first_images):
    tops = [layer for layer in model.layers if layer.name != models.BASE_NAME and _random_layers(layer)]
    if not tops or len(model.inputs) != 1:
        return []
    if first_images is None:
        first_images = np.random.default_rng(0).uniform(0, 255, (4, *model.input_shape[1:])).astype("float32")
    seeds = [variable for variable in model.variables if variable.path.endswith("seed_generator_state")]
    saved = [keras.ops.convert_to_numpy(variable) for variable in seeds]
    try:
        probe = keras.Model(model.inputs[0], tops[0].output)
        images = np.asarray(first_images[:8], "float32")
        plain = keras.ops.convert_to_numpy(probe(images, training=False))
        changed = any(not np.allclose(keras.ops.convert_to_numpy(probe(images, training=True)), plain)
                      for _ in range(3))
    except (ValueError, AttributeError, TypeError):
        return []  # a layer Keras cannot name the output of: no verdict rather than a wrong one
    finally:
        for variable, value in zip(seeds, saved):
            variable.assign(value)
    if changed:
        return []
    return [Finding(
        "augmentation_off",
        f"the model has augmentation layers ({tops[0].name}) but they do not change the images in training",
        "the network sees the same images every epoch: augmentation's protection against memorising "
        "is not there, though the model looks as if it had it",
        "give the layers non-zero strengths and do not call them with training=False inside a layer of your "
        "own (Keras switches them on in fit() and off in predict()), or pass augmentation='default' to "
        "tl.models.build_transfer_model")]


def _first_images_twice(data):
    first = batches.first_batch(data)
    second = batches.first_batch(data)
    if first is None or second is None:
        return None
    return (np.asarray(keras.ops.convert_to_numpy(first[0])), np.asarray(keras.ops.convert_to_numpy(second[0])))


def _random_evaluation(named_data):
    findings = []
    for name, data in named_data:
        passes = _first_images_twice(data)
        if passes is None or passes[0].shape != passes[1].shape or np.array_equal(*passes):
            continue
        findings.append(Finding(
            "random_evaluation",
            f"the {name} data change from one pass to the next (augmentation or shuffling in its pipeline)",
            f"random augmentation makes every {name} score a different, noisier and usually lower number; "
            "early stopping and model choice then follow the noise",
            f"augment the training data only (in the model, as tltutor does, augmentation is off outside fit()); "
            f"keep the {name} pipeline deterministic"))
    return findings


def _keys_and_labels(data):
    keys, labels = set(), []
    for images, label_batch in batches.iterate(data):
        images = np.asarray(keras.ops.convert_to_numpy(images))
        keys.update(hashlib.sha1(np.ascontiguousarray(image).tobytes()).digest() for image in images)
        labels.append(np.asarray(keras.ops.convert_to_numpy(label_batch)))
    return keys, (np.concatenate(labels) if labels else np.zeros((0,)))


def _overlapping_splits(summaries):
    findings = []
    names = list(summaries)
    for position, first in enumerate(names):
        for second in names[position + 1:]:
            shared = summaries[first][0] & summaries[second][0]
            if not shared:
                continue
            share = len(shared) / max(1, min(len(summaries[first][0]), len(summaries[second][0])))
            findings.append(Finding(
                "overlapping_splits",
                f"{len(shared)} examples are in both {first} and {second} ({share:.0%} of the smaller)",
                f"a score on {second} then measures memory of examples already seen, not generalisation; "
                "choices made on it look better than they are",
                "split once, by example, before any training (tl.data.load_dataset does), and remove duplicates "
                "across the splits"))
    return findings


def _labels_out_of_range(model, summaries):
    outputs = int(model.output_shape[-1])
    findings = []
    for name, (_, labels) in summaries.items():
        if labels.size == 0 or (labels.ndim == 2 and labels.shape[-1] == outputs > 1):
            continue
        values = labels.reshape(-1)
        upper = 1 if outputs == 1 else outputs - 1
        outside = values[(values < 0) | (values > upper) | (values != np.round(values))]
        if outside.size:
            findings.append(Finding(
                "labels_out_of_range",
                f"{outside.size} {name} labels are outside 0..{upper} (for example {outside[0]:g}); "
                f"the head has {outputs} outputs",
                "sparse cross-entropy on TensorFlow's CPU gives a NaN or silently wrong loss for such labels, "
                "and on other devices an error mid-training",
                f"number the classes 0..{upper}, or build the head with as many outputs as there are classes"))
    return findings


def check(model: keras.Model, train=None, validation=None, test=None, *, learning_rate: float | None = None,
          output=print) -> Findings:
    """Look for the classic fine-tuning mistakes in ``model`` and its data; print and return them.

    Args:
        model: a Keras model (tltutor's or your own).
        train, validation, test: data as the training verbs take it (``tf.data``, ``PyDataset`` or
            ``(images, labels)`` arrays), all optional. The training data's first batch is used for
            the input-range and augmentation rules; every example is hashed for overlaps.
        learning_rate: the rate the base will fine-tune at, if not the one compiled in.
        output: where the report goes (``print`` by default, ``None`` for none).

    Returns:
        :class:`Findings`, empty when nothing was found.
    """
    base = _base(model)
    pretrained = state.of(model).pretrained_base
    findings = Findings()
    findings += _batchnorm_updates(model, base, pretrained)
    findings += _stale_compile(model)
    findings += _untrained_head(model, base)
    findings += _high_rate(model, base, pretrained, learning_rate)
    findings += _logits_and_loss(model)
    first = batches.first_batch(train) if train is not None else None
    first_images = None if first is None else np.asarray(keras.ops.convert_to_numpy(first[0]))
    findings += _input_range(model, first_images)
    findings += _augmentation_off(model, first_images)
    findings += _random_evaluation([(name, data) for name, data in (("validation", validation), ("test", test))
                                    if data is not None])
    summaries = {name: _keys_and_labels(data) for name, data in
                 (("train", train), ("validation", validation), ("test", test)) if data is not None}
    findings += _overlapping_splits(summaries)
    findings += _labels_out_of_range(model, summaries)
    if output is not None:
        output(str(findings))
    return findings
