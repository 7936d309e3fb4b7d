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

    train, validation, test, info = tl.data.load_dataset(samples_per_class=10)
    comparison = tl.overfitting.compare_remedies(train, validation, test, num_classes=info.num_classes,
                                                 image_size=info.image_size, epochs=30)
    print(comparison.table())
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tltutor import backbones, experiments, models, reproducibility, training, validation

REMEDIES = ("none", "augmentation", "dropout", "weight_decay", "early_stopping", "all")


@dataclass(frozen=True)
class RemedySettings:
    """What one remedy switches on; the strengths are those :func:`remedy_settings` was given."""

    augmentation: bool = False
    dropout: float = 0.0
    weight_decay: float = 0.0
    early_stopping_patience: int | None = None


def remedy_settings(remedy: str, *, dropout: float = 0.5, weight_decay: float = 0.1,
                    patience: int = 5) -> RemedySettings:
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
        early_stopping_patience=(validation.check_positive_int(patience, "patience")
                                 if everything or remedy == "early_stopping" else None),
    )


def train_with_remedy(train, validation_data, *, remedy: str = "none", backbone: str = backbones.OFFLINE_DEFAULT,
                      num_classes: int = 10, image_size: int | None = None, epochs: int = 30,
                      learning_rate: float = 3e-4, unfreeze_from="block11_", seed: int = 0,
                      **strengths):
    """Build a fresh transfer model and train its head and top blocks with one remedy.

    ``strengths`` go to :func:`remedy_settings` (``dropout``, ``weight_decay``, ``patience``).
    Returns the model and its :class:`tltutor.training.TrainingHistory`.
    """
    settings = remedy_settings(remedy, **strengths)
    epochs = validation.check_epochs(epochs)
    reproducibility.seed_everything(seed)
    model = models.build_transfer_model(backbone, num_classes, weights="pretrained", image_size=image_size,
                                        dropout=settings.dropout,
                                        augmentation="default" if settings.augmentation else None, seed=seed)
    training.compile_model(model, learning_rate, weight_decay=settings.weight_decay or None)
    history = training.fine_tune(model, train, validation_data, epochs=epochs, learning_rate=learning_rate,
                                 unfreeze_from=unfreeze_from,
                                 early_stopping_patience=settings.early_stopping_patience, phase=remedy)
    return model, history


def compare_remedies(train, validation_data, test, *, remedies=REMEDIES, backbone: str = backbones.OFFLINE_DEFAULT,
                     num_classes: int = 10, image_size: int | None = None, epochs: int = 30,
                     learning_rate: float = 3e-4, unfreeze_from="block11_", seed: int = 0, progress=print,
                     **strengths) -> experiments.Comparison:
    """Train once per remedy from the same start; one row per remedy, with its history kept.

    Each row has the accuracy on the training images (in inference mode, so dropout and
    augmentation are off), on validation and on test, the ``gap`` between training and test
    accuracy, the epochs actually run and the seconds taken.
    """
    remedies = [validation.check_name(remedy, REMEDIES, "overfitting remedy") for remedy in remedies]
    if not remedies:
        raise validation.InvalidArgumentError(f"remedies is empty; choose from {list(REMEDIES)}")
    comparison = experiments.Comparison(settings=dict(backbone=backbone, epochs=epochs, learning_rate=learning_rate,
                                                      unfreeze_from=unfreeze_from, seed=seed, **strengths))
    for remedy in remedies:
        if progress:
            progress(f"{remedy} ...")
        started = time.perf_counter()
        model, history = train_with_remedy(train, validation_data, remedy=remedy, backbone=backbone,
                                           num_classes=num_classes, image_size=image_size, epochs=epochs,
                                           learning_rate=learning_rate, unfreeze_from=unfreeze_from, seed=seed,
                                           **strengths)
        train_accuracy = training.evaluate(model, train)["accuracy"]
        test_accuracy = training.evaluate(model, test)["accuracy"]
        comparison.histories[remedy] = history
        comparison.rows.append({
            "remedy": remedy,
            "train_accuracy": round(train_accuracy, 4),
            "validation_accuracy": round(training.evaluate(model, validation_data)["accuracy"], 4),
            "test_accuracy": round(test_accuracy, 4),
            "gap": round(train_accuracy - test_accuracy, 4),
            "epochs": history.epochs,
            "wall_seconds": round(time.perf_counter() - started, 1),
        })
    return comparison
