"""What early stopping buys: one run trained to its budget against the same run stopped and rewound.

:func:`early_stopping_payoff` trains a head on the frozen base (no dropout, nothing else to hold it
back) twice per seed with the same data and the same order of batches: once for every epoch of its
budget, and once with early stopping on the validation loss, which restores the weights of the best
epoch. Both are read on the same clean test set. A share of the training and validation labels can
be made wrong (:func:`tltutor.lessons.noise.flip_labels`), as in a hastily labelled set: that is where
a head that keeps training learns the wrong labels by heart.
"""

from __future__ import annotations

import numpy as np

from tltutor import backbones, data, models, training, validation
from tltutor.lessons import noise
from tltutor.report import calibration
from tltutor.report.results import Comparison
from tltutor.runtime.progress import Steps

LAST_EPOCH = "last epoch"
EARLY_STOPPING = "early stopping"


def arm_name(stopping: str, wrong_label_rate: float) -> str:
    """The row name of one arm: ``"early stopping, 20 % wrong labels"``."""
    return f"{stopping}, {round(100 * wrong_label_rate)} % wrong labels"


def early_stopping_payoff(dataset: str = data.OFFLINE_DEFAULT, *, wrong_label_rates=(0.0, 0.2), seeds=(0, 1, 2),
                          backbone: str = backbones.OFFLINE_DEFAULT, image_size: int = 96,
                          samples_per_class: int = 100, test_samples_per_class: int | None = None,
                          epochs: int = 60, patience: int = 10, progress=True) -> Comparison:
    """Test accuracy and log-loss at the last epoch against the early-stopped, restored weights.

    Rows are keyed by ``"run"`` (:func:`arm_name`) and carry ``wrong_label_rate``, ``test_accuracy``,
    ``test_nll`` (on the clean test labels), the optimizer ``steps``, the ``epochs`` trained, the
    ``best_epoch`` (lowest validation loss) and ``validation_loss_rise`` (last minus lowest). The
    last-epoch runs keep their histories, for a plot.

    Examples:
        >>> early_stopping_payoff(wrong_label_rates=(1.0,))
        Traceback (most recent call last):
        ...
        tltutor.errors.InvalidArgumentError: the noise rate must be in [0, 1), got 1.0
    """
    rates = [float(rate) for rate in wrong_label_rates]
    for rate in rates:
        noise.flip_labels([0, 1], 2, rate)  # checks the rate before any work
    epochs = validation.check_epochs(epochs)
    patience = validation.check_positive_int(patience, "patience")
    comparison = Comparison("run", settings={"dataset": dataset, "backbone": backbone, "image_size": image_size,
                                             "samples_per_class": samples_per_class, "epochs": epochs,
                                             "patience": patience, "dropout": 0.0})
    steps = Steps(len(seeds) * len(rates), "early stopping", output=progress)
    for seed in seeds:
        train, validation_data, test, info = data.load_dataset(
            dataset, image_size=image_size, samples_per_class=samples_per_class,
            test_samples_per_class=test_samples_per_class, seed=seed, pipeline="arrays")
        comparison.dataset = info
        for rate in rates:
            train_labels, _ = noise.flip_labels(train[1], info.num_classes, rate, seed=seed)
            validation_labels, _ = noise.flip_labels(validation_data[1], info.num_classes, rate, seed=seed + 1000)
            for stopping, stopping_patience in ((LAST_EPOCH, None), (EARLY_STOPPING, patience)):
                model = models.build_transfer_model(backbone, info.num_classes, image_size=image_size, dropout=0.0,
                                                    seed=seed)
                history = training.train_head(model, (train[0], train_labels), (validation_data[0], validation_labels),
                                              epochs=epochs, early_stopping_patience=stopping_patience,
                                              progress=False, seed=seed)
                test_labels, test_logits = training.predict_logits(model, test)
                losses = history.metric("val_loss")
                comparison.add(arm_name(stopping, rate), seed, history=history if stopping == LAST_EPOCH else None,
                               wrong_label_rate=rate, steps=history.steps, epochs=history.epochs,
                               best_epoch=int(np.argmin(losses)) + 1,
                               validation_loss_rise=round(losses[-1] - min(losses), 4),
                               test_accuracy=round(float(np.mean(test_logits.argmax(-1) == test_labels)), 4),
                               test_nll=round(calibration.negative_log_likelihood(test_logits, test_labels), 4))
            steps.advance(f"{round(100 * rate)} % wrong labels, seed {seed}")
    return comparison
