"""A fine-tuning linter: the classic mistakes that train without an error, found before training.

:func:`check` looks at a model (and, when given, its data) and returns one :class:`Finding` per
problem: what is wrong, what it causes, and the fix. Each rule is one of the lessons' pitfalls:

=======================  ==========================================================================
rule                     what it finds
=======================  ==========================================================================
``batchnorm_updates``    BatchNorm layers of a pretrained base that would update their statistics
``stale_compile``        ``trainable`` changed after the model trained, without compiling again
``untrained_head``       an unfrozen base under a head that was never trained
``high_rate``            a rate of 1e-2 or more for the layers of an unfrozen pretrained base
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
    >>> [finding.rule for finding in tl.checks.check(model, learning_rate=1e-2, output=None)]
    ['untrained_head', 'high_rate']
    >>> tl.checks.check(tl.models.build_transfer_model(image_size=32), output=None)
    []
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from tltutor import compiling, features, models, state, training
from tltutor.data import batches

RULES = ("batchnorm_updates", "stale_compile", "untrained_head", "high_rate", "logits_and_loss", "input_range",
         "augmentation_off", "random_evaluation", "overlapping_splits", "labels_out_of_range")
HIGH_FINE_TUNING_RATE = 1e-2  # lesson 03: 1e-2 took the base itself to chance; 1e-3 with a warm-up paid
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
    return max(nested, key=lambda layer: layer.count_params()) if nested else None


def _random_layers(layer) -> list:
    return [leaf for leaf in models.leaf_layers(layer) if type(leaf).__name__.startswith("Random")]


def _pretrained_trainable(base) -> list:
    """The base's trainable weights that it came with, leaving out layers adapted by LoRA (their ``lora_``
    adapters are new, and the bias beside them is part of the adapted projection)."""
    if base is None:
        return []
    adapted = {weight.path.rsplit("/", 1)[0] for weight in base.weights if "/lora_" in weight.path}
    return [weight for weight in base.trainable_weights if weight.path.rsplit("/", 1)[0] not in adapted]


def _base_trains(base) -> bool:
    return bool(_pretrained_trainable(base))


def _batchnorm_updates(model, base, pretrained):
    if not _base_trains(base) or pretrained is False:
        return []
    updating = [layer.name for layer in models.leaf_layers(base)
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
        rate *= max(multipliers.get(weight.path, 1.0) for weight in _pretrained_trainable(base))
    return rate


_ADAPTIVE_OPTIMIZERS = ("Adam", "AdamW", "LayerwiseAdam", "Nadam", "Adamax", "RMSprop", "Lion")


def _high_rate(model, base, pretrained, learning_rate):
    if not _base_trains(base) or pretrained is False:
        return []
    if learning_rate is None:
        optimizer = compiling.settings_of(getattr(model, "optimizer", None))
        if not getattr(model, "compiled", False) or type(optimizer).__name__ not in _ADAPTIVE_OPTIMIZERS:
            return []  # SGD's rates live on another scale; an uncompiled model has no rate yet
    rate = learning_rate if learning_rate is not None else _base_rate(model, base)
    if rate < HIGH_FINE_TUNING_RATE * (1 - 1e-6):  # a float32 optimizer variable holds 1e-2 as 0.0099999998
        return []
    return [Finding(
        "high_rate",
        f"the unfrozen pretrained layers would train at a learning rate of {rate:g} (with an Adam-like optimizer)",
        "a rate this high wipes out pretrained features in a few steps (lesson 03 measured 1e-2 taking the base "
        "itself to chance: a fresh linear probe of its features fell to chance too)",
        "fine-tune at 1e-3 or lower with a warm-up and a decay (tl.training.fine_tune's default), and choose "
        "the rate on validation, as lesson 03 does")]


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
    for layer in models.leaf_layers(model):
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
    try:
        tops = [layer for layer in model.layers if layer.name != models.BASE_NAME and _random_layers(layer)]
        inputs = model.inputs
    except (AttributeError, ValueError):
        return []  # a subclassed or unbuilt model: no graph to probe
    if not tops or not inputs or len(inputs) != 1:
        return []
    if first_images is None:
        shape = tuple(inputs[0].shape[1:])
        if any(size is None for size in shape):
            return []
        first_images = np.random.default_rng(0).uniform(0, 255, (4, *shape)).astype("float32")
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


def _random_evaluation(passes):
    findings = []
    for name, (first, second) in passes.items():
        if first is None or second is None or first[0] == second[0]:
            continue
        findings.append(Finding(
            "random_evaluation",
            f"the {name} data hold other examples on each pass (random augmentation in its pipeline?)",
            f"every {name} score is then measured on different, altered images: a noisier and usually lower "
            "number, and early stopping and model choice follow the noise",
            f"augment the training data only (in the model, as tltutor does, augmentation is off outside fit()); "
            f"keep the {name} pipeline deterministic"))
    return findings


def _finite(data) -> bool:
    if batches.is_tf_dataset(data):
        return int(data.cardinality()) != -1  # -1: infinite (repeat()); -2: unknown, read once
    return True


def _keys_and_labels(data):
    """The examples' hashes (as a sorted tuple, duplicates kept) and labels, or ``None`` for data this cannot read."""
    if not _finite(data):
        return None
    keys, labels = [], []
    for images, label_batch in batches.iterate(data):
        if isinstance(images, dict):
            return None  # several named inputs (a tokenizer's output, for example): not compared
        images = np.asarray(keras.ops.convert_to_numpy(images), dtype=np.float32)  # uint8 and float alike
        keys += features.image_keys(images)
        labels.append(np.asarray(keras.ops.convert_to_numpy(label_batch)))
    return tuple(sorted(keys)), (np.concatenate(labels) if labels else np.zeros((0,)))


def _overlapping_splits(summaries):
    findings = []
    names = list(summaries)
    for position, first in enumerate(names):
        for second in names[position + 1:]:
            shared = set(summaries[first][0]) & set(summaries[second][0])
            if not shared:
                continue
            share = len(shared) / max(1, min(len(set(summaries[first][0])), len(set(summaries[second][0]))))
            findings.append(Finding(
                "overlapping_splits",
                f"{len(shared)} examples are in both {first} and {second} ({share:.0%} of the smaller)",
                f"a score on {second} then measures memory of examples already seen, not generalisation; "
                "choices made on it look better than they are",
                "split once, by example, before any training (tl.data.load_dataset does), and remove duplicates "
                "across the splits"))
    return findings


def _output_units(model) -> int | None:
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        return None
    return int(outputs[0].shape[-1]) if outputs and len(outputs) == 1 and outputs[0].shape[-1] else None


def _loss_name(model) -> str:
    loss = getattr(model, "loss", None)
    return (loss if isinstance(loss, str) else type(loss).__name__).lower().replace("_", "")


def _labels_out_of_range(model, summaries):
    outputs, loss = _output_units(model), _loss_name(model)
    if outputs is None or not any(kind in loss for kind in ("sparsecategorical", "categoricalcrossentropy",
                                                            "binarycrossentropy")):
        return []
    findings = []
    for name, (_, labels) in summaries.items():
        if labels.size == 0:
            continue
        if "sparse" in loss:
            upper = outputs - 1
            values = labels.reshape(-1)
            outside = values[(values < 0) | (values > upper) | (values != np.round(values))]
            wrong = f"{outside.size} {name} labels are not integers in 0..{upper}" if outside.size else None
            example = outside[0] if outside.size else None
        elif "binary" in loss:
            values = labels.reshape(-1)
            outside = values[(values < 0) | (values > 1)]
            wrong = f"{outside.size} {name} labels are outside 0..1" if outside.size else None
            example = outside[0] if outside.size else None
        else:
            width = labels.shape[-1] if labels.ndim == 2 else None
            wrong = (f"the {name} labels are not one-hot rows of {outputs} (shape {labels.shape})"
                     if width != outputs else None)
            example = None
        if wrong:
            findings.append(Finding(
                "labels_out_of_range",
                wrong + (f" (for example {example:g})" if example is not None else "")
                + f"; the head has {outputs} outputs",
                "sparse cross-entropy on TensorFlow's CPU gives a NaN or silently wrong loss for such labels, "
                "and on other devices an error mid-training",
                f"number the classes 0..{outputs - 1}, or build the head with as many outputs as there are classes"))
    return findings


def check(model: keras.Model, train=None, validation_data=None, test=None, *, learning_rate: float | None = None,
          output=print) -> Findings:
    """Look for the classic fine-tuning mistakes in ``model`` and its data; print and return them.

    Args:
        model: a Keras model (tltutor's or your own).
        train, validation_data, test: data as the training verbs take it (``tf.data``, ``PyDataset`` or
            ``(images, labels)`` arrays), all optional. The training data's first batch is used for
            the input-range and augmentation rules; every example is hashed for overlaps, and the
            validation and test data are read twice to see whether they change.
        learning_rate: the rate the base will fine-tune at, if not the one compiled in.
        output: where the report goes (``print`` by default, ``None`` for none).

    Returns:
        :class:`Findings`, empty when nothing was found.
    """
    train, validation_data, test = (training.model_inputs(model, data) for data in (train, validation_data, test))
    base = _base(model)
    pretrained = state.of(model).pretrained_base
    findings = Findings()
    findings += _batchnorm_updates(model, base, pretrained)
    findings += _stale_compile(model)
    findings += _untrained_head(model, base)
    findings += _high_rate(model, base, pretrained, learning_rate)
    findings += _logits_and_loss(model)
    first = batches.first_batch(train) if train is not None else None
    first_images = (None if first is None or isinstance(first[0], dict)
                    else np.asarray(keras.ops.convert_to_numpy(first[0])))
    findings += _input_range(model, first_images)
    findings += _augmentation_off(model, first_images)
    summaries = {name: _keys_and_labels(data) for name, data in
                 (("train", train), ("validation", validation_data), ("test", test)) if data is not None}
    passes = {name: (summaries[name], _keys_and_labels(data)) for name, data in
              (("validation", validation_data), ("test", test)) if data is not None}
    findings += _random_evaluation(passes)
    summaries = {name: summary for name, summary in summaries.items() if summary is not None}
    findings += _overlapping_splits(summaries)
    findings += _labels_out_of_range(model, summaries)
    if output is not None:
        output(str(findings))
    return findings
