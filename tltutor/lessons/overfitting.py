"""Overfitting on small data: the classic remedies, each measured against the same overfitting run.

Every arm starts from the same head, fitted to convergence on the frozen base's features
(:func:`tltutor.lessons.experiments.fit_head_by_logistic_regression`), and then trains for the
same number of optimizer steps at the same constant rate. The baseline, ``"none"``, unfreezes the
base from ``unfreeze_from`` (BatchNorm stays frozen) and trains it with the head: about a million
weights against a few dozen images. Each other arm changes one thing:

- ``"fewer_weights"``: the base stays frozen and only the head trains (the head-only control);
- ``"augmentation"``: random flips, rotations, zooms and shifts as layers inside the model;
- ``"dropout"``: dropout before the new head;
- ``"weight_decay"``: decoupled weight decay, every weight shrunk towards zero at each step
  (Keras 3's ``Adam(weight_decay=...)`` is already AdamW);
- ``"l2sp"``: a penalty that pulls each base weight back towards its pretrained value
  (:class:`tltutor.lessons.forgetting.L2SP`);
- ``"early_stopping"``: stop when the validation loss stops improving and restore the best weights.

Example::

    comparison = tl.lessons.overfitting.compare_remedies(samples_per_class=10, seeds=(0, 1, 2))
    print(comparison.summary_table(["test_accuracy", "gap", "steps"]))
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tltutor import backbones, compiling, data, freezing, training, validation
from tltutor.data import batches
from tltutor.lessons import forgetting
from tltutor.lessons.experiments import epochs_for_steps, fit_head_by_logistic_regression, reset_or_build_model
from tltutor.report import diagnostics
from tltutor.report.results import Comparison
from tltutor.runtime import profile
from tltutor.runtime.progress import Steps

REMEDIES = ("none", "fewer_weights", "augmentation", "dropout", "weight_decay", "l2sp", "early_stopping")
STRENGTHS = ("dropout", "weight_decay", "l2sp_alpha", "early_stopping_patience")
DEFAULT_WEIGHT_DECAY = 1.0
# L2-SP's penalty passes through Adam's scaling, so its strength is read off its effect: here 0.01 lets
# the top block move about a third as far as with no remedy (lesson 10's 300 would pin it in place).
DEFAULT_L2SP_ALPHA = 0.01


@dataclass(frozen=True)
class RemedySettings:
    """What one remedy switches on; the strengths are those :func:`remedy_settings` was given."""

    trains_base: bool = True
    augmentation: bool = False
    dropout: float = 0.0
    weight_decay: float = 0.0
    l2sp_alpha: float = 0.0
    early_stopping_patience: int | None = None


def remedy_settings(remedy: str, *, dropout: float = 0.5, weight_decay: float = DEFAULT_WEIGHT_DECAY,
                    l2sp_alpha: float = DEFAULT_L2SP_ALPHA, early_stopping_patience: int = 5) -> RemedySettings:
    """The :class:`RemedySettings` of one name in :data:`REMEDIES`.

    >>> remedy_settings("dropout")
    RemedySettings(trains_base=True, augmentation=False, dropout=0.5, weight_decay=0.0, l2sp_alpha=0.0, early_stopping_patience=None)
    >>> remedy_settings("fewer_weights").trains_base
    False
    """
    remedy = validation.check_name(remedy, REMEDIES, "overfitting remedy")
    return RemedySettings(
        trains_base=remedy != "fewer_weights",
        augmentation=remedy == "augmentation",
        dropout=validation.check_fraction(dropout, "dropout") if remedy == "dropout" else 0.0,
        weight_decay=(validation.check_number(weight_decay, "weight_decay", low=0, high=100, low_inclusive=False)
                      if remedy == "weight_decay" else 0.0),
        l2sp_alpha=(validation.check_number(l2sp_alpha, "l2sp_alpha", low=0, high=10_000, low_inclusive=False)
                    if remedy == "l2sp" else 0.0),
        early_stopping_patience=(validation.check_positive_int(early_stopping_patience, "early_stopping_patience")
                                 if remedy == "early_stopping" else None),
    )


def weight_decay_shrinkage(weight_decay: float, learning_rate: float, steps: int) -> float:
    """The fraction by which decoupled weight decay alone shrinks a weight over ``steps`` steps.

    Each step multiplies every weight by ``1 - learning_rate × weight_decay``:

    >>> round(weight_decay_shrinkage(0.1, 3e-4, 40), 5)     # a dose too small to matter: about 0.1 %
    0.0012
    >>> round(weight_decay_shrinkage(1.0, 1e-3, 100), 3)   # lesson 07's: about 10 %
    0.095
    """
    return 1 - (1 - learning_rate * weight_decay) ** steps


def build_model_for_remedy(remedy: str = "none", *, backbone: str = backbones.OFFLINE_DEFAULT, num_classes: int = 10,
                           image_size: int | None = None, learning_rate: float = 1e-3, seed: int = 0,
                           **strengths):
    """A transfer model with the remedy's dropout, augmentation and weight decay built in, the head drawn from ``seed``.

    ``strengths`` go to :func:`remedy_settings`. The model is built once per configuration and
    reset on later calls (:func:`tltutor.lessons.experiments.reset_or_build_model`): use it before
    the next call.
    """
    settings = remedy_settings(remedy, **strengths)
    model = reset_or_build_model(backbone, num_classes, seed=seed, image_size=image_size, dropout=settings.dropout,
                                 augmentation="default" if settings.augmentation else None)
    compiling.compile_model(model, learning_rate, weight_decay=settings.weight_decay or None)
    return model


def train_with_remedy(model, train, validation_data, *, remedy: str = "none", steps: int = 100,
                      learning_rate: float = 1e-3, unfreeze_from="block15_", batch_size: int = 5,
                      progress=True, seed: int | None = None, **strengths) -> training.TrainingHistory:
    """Train a model from :func:`build_model_for_remedy` for ``steps`` optimizer steps at a constant rate.

    ``"fewer_weights"`` trains the head alone; every other remedy trains the head and the base from
    ``unfreeze_from`` together, with the remedy's early stopping or L2-SP penalty (removed again
    afterwards). The budget is whole epochs: at least ``steps`` steps.
    """
    settings = remedy_settings(remedy, **strengths)
    if not isinstance(train, tuple):
        train = batches.to_numpy(train)  # arrays, so that ``batch_size`` sets the step count
    epochs = epochs_for_steps(validation.check_positive_int(steps, "steps"), len(train[1]), batch_size)
    common = dict(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size, schedule="constant",
                  early_stopping_patience=settings.early_stopping_patience, phase=remedy, progress=progress,
                  seed=seed)
    if not settings.trains_base:
        return training.train_head(model, train, validation_data, **common)
    if settings.l2sp_alpha:
        forgetting.attach_l2sp(model, settings.l2sp_alpha)
    try:
        return training.fine_tune(model, train, validation_data, unfreeze_from=unfreeze_from, **common)
    finally:
        forgetting.detach_l2sp(model)


def _unfrozen_weights(model, unfreeze_from) -> list:
    return [weight for layer in freezing.tuned_layers(model, unfreeze_from) for weight in layer.get_weights()]


def compare_remedies(dataset: str = data.OFFLINE_DEFAULT, *, remedies=REMEDIES, seeds=None,
                     samples_per_class: int = 10, validation_split: float = 0.6, image_size: int | None = None,
                     backbone: str = backbones.OFFLINE_DEFAULT, steps: int = 100, batch_size: int = 5,
                     learning_rate: float = 1e-3, unfreeze_from="block15_", test_samples_per_class: int | None = None,
                     progress=True, **strengths) -> Comparison:
    """Every remedy from the same converged head, for the same steps; a :class:`Comparison` keyed by ``"remedy"``.

    For each seed the head is fitted once by logistic regression on the frozen features (row
    ``"head"``, the start of every arm). Each remedy's row has the accuracy on the training images
    (in inference mode, so dropout and augmentation are off), on validation and on test, the
    ``gap`` between training and test accuracy, the validation loss at the start and at the end,
    the optimizer ``steps`` and epochs run (for early stopping also ``steps_kept``, those of the
    epoch it restored), ``weight_change_percent`` (how far the unfrozen base moved,
    ``100 × ‖w − w₀‖ / ‖w₀‖``, BatchNorm left out) and the seconds taken. Keras counts L2-SP's
    penalty in the validation loss of its training history; the ``validation_loss`` columns do not.
    """
    remedies = validation.check_choices(remedies, REMEDIES, "overfitting remedy")
    settings = profile.defaults()
    settings.update({key: value for key, value in dict(image_size=image_size, seeds=seeds,
                                                       test_samples_per_class=test_samples_per_class).items()
                     if value is not None})
    seeds = validation.check_seeds(settings["seeds"])
    steps = validation.check_positive_int(steps, "steps")
    unknown = sorted(set(strengths) - set(STRENGTHS))
    if unknown:
        raise validation.InvalidArgumentError(
            f"compare_remedies got {', '.join(unknown)}: the budget is steps= (optimizer steps) and batch_size=; "
            f"the remedies' strengths are {', '.join(STRENGTHS)}")
    for remedy in remedies:
        remedy_settings(remedy, **strengths)  # a bad strength is refused before any training
    if "weight_decay" in remedies:
        compiling.make_optimizer(learning_rate, weight_decay=remedy_settings("weight_decay", **strengths).weight_decay)
    comparison = Comparison("remedy", settings=dict(
        dataset=dataset, backbone=backbone, steps=steps, batch_size=batch_size, learning_rate=learning_rate,
        schedule="constant", unfreeze_from=unfreeze_from, samples_per_class=samples_per_class,
        validation_split=validation_split, image_size=settings["image_size"], seeds=seeds,
        test_samples_per_class=settings["test_samples_per_class"],
        head="logistic regression on the frozen features, fitted to convergence",
        strengths={name: getattr(remedy_settings(name, **strengths), field) for name, field in
                   (("dropout", "dropout"), ("weight_decay", "weight_decay"), ("l2sp", "l2sp_alpha"),
                    ("early_stopping", "early_stopping_patience"))}))
    progress_steps = Steps(len(remedies) * len(seeds), "remedies", output=progress)
    for seed in seeds:
        train, validation_data, test, info = data.load_dataset(
            dataset, image_size=settings["image_size"], samples_per_class=samples_per_class,
            validation_split=validation_split, test_samples_per_class=settings["test_samples_per_class"],
            seed=seed, pipeline="arrays")
        comparison.dataset = info
        head_recorded = False
        for remedy in remedies:
            started = time.perf_counter()
            model = build_model_for_remedy(remedy, backbone=backbone, num_classes=info.num_classes,
                                           image_size=info.image_size, learning_rate=learning_rate, seed=seed,
                                           **strengths)
            freezing.freeze_base(model)
            fitted = fit_head_by_logistic_regression(model, train, seed=seed)
            start_loss = training.evaluate(model, validation_data)["loss"]
            if not head_recorded:
                comparison.add("head", seed, **fitted, **_scores(model, train, validation_data, test),
                               validation_loss=round(start_loss, 4))
                head_recorded = True
            start = _unfrozen_weights(model, unfreeze_from)
            history = train_with_remedy(model, train, validation_data, remedy=remedy, steps=steps,
                                        learning_rate=learning_rate, unfreeze_from=unfreeze_from,
                                        batch_size=batch_size, progress=False, seed=seed, **strengths)
            moved = diagnostics.relative_weight_change(start, _unfrozen_weights(model, unfreeze_from))
            scores = _scores(model, train, validation_data, test)
            kept = {}
            if remedy_settings(remedy, **strengths).early_stopping_patience:
                losses = history.metric("val_loss")
                judged = len(validation_data[1]) >= training.MIN_VALIDATION_FOR_EARLY_STOPPING
                kept_epochs = losses.index(min(losses)) + 1 if judged else len(losses)  # the epoch restored
                kept = dict(steps_kept=kept_epochs * history.steps // history.epochs)
            comparison.add(remedy, seed, history=history, **scores,
                           validation_loss_at_start=round(start_loss, 4),
                           validation_loss=round(training.evaluate(model, validation_data)["loss"], 4),
                           steps=history.steps, epochs=history.epochs, **kept,
                           weight_change_percent=round(100 * moved, 4),
                           seconds=round(time.perf_counter() - started, 1))
            freezing.freeze_base(model)
            progress_steps.advance(f"{remedy}, seed {seed}")
    return comparison


def _scores(model, train, validation_data, test) -> dict:
    train_accuracy = training.evaluate(model, train)["accuracy"]
    test_scores = training.evaluate(model, test)
    return dict(train_accuracy=round(train_accuracy, 4),
                validation_accuracy=round(training.evaluate(model, validation_data)["accuracy"], 4),
                test_accuracy=round(test_scores["accuracy"], 4), test_loss=round(test_scores["loss"], 4),
                gap=round(train_accuracy - test_scores["accuracy"], 4))

