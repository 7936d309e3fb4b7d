"""Overfitting on small data: the four classic remedies, each measured on its own and all together.

Every remedy trains the same model the same way: the pretrained base unfrozen from
``unfreeze_from`` (BatchNorm stays frozen) and a new head, trained together on the small training
set. Only one thing changes per remedy:

- ``"none"``: no dropout, no augmentation, no weight decay, every epoch kept (the baseline);
- ``"augmentation"``: random flips, rotations, zooms and shifts as layers inside the model;
- ``"dropout"``: dropout before the new head;
- ``"weight_decay"``: AdamW's decoupled weight decay;
- ``"early_stopping"``: stop when the validation loss stops improving and restore the best weights;
- ``"all"``: the four together.

Example::

    comparison = tl.lessons.overfitting.compare_remedies(samples_per_class=20, seeds=(0, 1, 2))
    print(comparison.summary_table(["test_accuracy", "gap"]))
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tltutor import backbones, compiling, data, training, validation
from tltutor.lessons.experiments import reset_or_build_model
from tltutor.report.results import Comparison
from tltutor.runtime import profile
from tltutor.runtime.progress import Steps

REMEDIES = ("none", "augmentation", "dropout", "weight_decay", "early_stopping", "all")


@dataclass(frozen=True)
class RemedySettings:
    """What one remedy switches on; the strengths are those :func:`remedy_settings` was given."""

    augmentation: bool = False
    dropout: float = 0.0
    weight_decay: float = 0.0
    early_stopping_patience: int | None = None


def remedy_settings(remedy: str, *, dropout: float = 0.5, weight_decay: float = 0.1,
                    early_stopping_patience: int = 5) -> RemedySettings:
    """The :class:`RemedySettings` of one name in :data:`REMEDIES`.

    >>> remedy_settings("dropout")
    RemedySettings(augmentation=False, dropout=0.5, weight_decay=0.0, early_stopping_patience=None)
    """
    remedy = validation.check_name(remedy, REMEDIES, "overfitting remedy")
    everything = remedy == "all"
    return RemedySettings(
        augmentation=everything or remedy == "augmentation",
        dropout=validation.check_fraction(dropout, "dropout") if everything or remedy == "dropout" else 0.0,
        weight_decay=(validation.check_fraction(weight_decay, "weight_decay")
                      if everything or remedy == "weight_decay" else 0.0),
        early_stopping_patience=(validation.check_positive_int(early_stopping_patience, "early_stopping_patience")
                                 if everything or remedy == "early_stopping" else None),
    )


def build_model_for_remedy(remedy: str = "none", *, backbone: str = backbones.OFFLINE_DEFAULT, num_classes: int = 10,
                           image_size: int | None = None, learning_rate: float = 3e-4, seed: int = 0,
                           **strengths):
    """A transfer model with the remedy's dropout, augmentation and weight decay built in, the head drawn from ``seed``.

    ``strengths`` go to :func:`remedy_settings` (``dropout``, ``weight_decay``, ``early_stopping_patience``).
    The model is built once per configuration and reset on later calls
    (:func:`tltutor.lessons.experiments.reset_or_build_model`): use it before the next call.
    """
    settings = remedy_settings(remedy, **strengths)
    model = reset_or_build_model(backbone, num_classes, seed=seed, image_size=image_size, dropout=settings.dropout,
                                 augmentation="default" if settings.augmentation else None)
    compiling.compile_model(model, learning_rate, weight_decay=settings.weight_decay or None)
    return model


def train_with_remedy(model, train, validation_data, *, remedy: str = "none", epochs: int = 30,
                      learning_rate: float = 3e-4, unfreeze_from="block11_", batch_size: int = 32,
                      progress=True, seed: int | None = None, **strengths) -> training.TrainingHistory:
    """Train the head and the top blocks of a model from :func:`build_model_for_remedy` together.

    The remedy's early stopping applies here; its other parts are in the model already.
    """
    settings = remedy_settings(remedy, **strengths)
    return training.fine_tune(model, train, validation_data, epochs=validation.check_epochs(epochs), schedule="constant",
                              learning_rate=learning_rate, unfreeze_from=unfreeze_from,
                              early_stopping_patience=settings.early_stopping_patience, batch_size=batch_size,
                              phase=remedy, progress=progress, seed=seed)


def compare_remedies(dataset: str = data.OFFLINE_DEFAULT, *, remedies=REMEDIES, seeds=None,
                     samples_per_class: int = 20, image_size: int | None = None,
                     backbone: str = backbones.OFFLINE_DEFAULT, epochs: int = 30, learning_rate: float = 3e-4,
                     unfreeze_from="block11_", test_samples_per_class: int | None = None, progress=True,
                     **strengths) -> Comparison:
    """Train once per remedy and seed from the same start; a :class:`Comparison` keyed by ``"remedy"``.

    Each row has the accuracy on the training images (in inference mode, so dropout and
    augmentation are off), on validation and on test, the ``gap`` between training and test
    accuracy, the epochs actually run and the seconds taken.
    """
    remedies = validation.check_choices(remedies, REMEDIES, "overfitting remedy")
    settings = profile.defaults()
    settings.update({key: value for key, value in dict(image_size=image_size, seeds=seeds,
                                                       test_samples_per_class=test_samples_per_class).items()
                     if value is not None})
    seeds = validation.check_seeds(settings["seeds"])
    comparison = Comparison("remedy", settings=dict(backbone=backbone, epochs=epochs, learning_rate=learning_rate,
                                                    unfreeze_from=unfreeze_from, samples_per_class=samples_per_class,
                                                    image_size=settings["image_size"], seeds=seeds, **strengths))
    steps = Steps(len(remedies) * len(seeds), "remedies", output=progress)
    for seed in seeds:
        train, validation_data, test, info = data.load_dataset(
            dataset, image_size=settings["image_size"], samples_per_class=samples_per_class, validation_split=0.5,
            test_samples_per_class=settings["test_samples_per_class"], seed=seed, pipeline="arrays")
        comparison.dataset = info
        for remedy in remedies:
            started = time.perf_counter()
            model = build_model_for_remedy(remedy, backbone=backbone, num_classes=info.num_classes,
                                           image_size=info.image_size, learning_rate=learning_rate, seed=seed,
                                           **strengths)
            history = train_with_remedy(model, train, validation_data, remedy=remedy, epochs=epochs,
                                        learning_rate=learning_rate, unfreeze_from=unfreeze_from, progress=False,
                                        seed=seed, **strengths)
            train_accuracy = training.evaluate(model, train)["accuracy"]
            test_accuracy = training.evaluate(model, test)["accuracy"]
            comparison.add(remedy, seed, history=history,
                           train_accuracy=round(train_accuracy, 4),
                           validation_accuracy=round(training.evaluate(model, validation_data)["accuracy"], 4),
                           test_accuracy=round(test_accuracy, 4), gap=round(train_accuracy - test_accuracy, 4),
                           epochs=history.epochs, seconds=round(time.perf_counter() - started, 1))
            steps.advance(f"{remedy}, seed {seed}")
    return comparison
