"""Gradual unfreezing and discriminative rates (lesson 04), each against its control, at one step budget.

ULMFiT (Howard & Ruder 2018) protects the layers nearest the input in two ways: **gradual
unfreezing** trains the top group first and unfreezes one group more toward the input per stage,
each stage warming its rate up again (:func:`tltutor.training.gradual_unfreeze`); **discriminative
rates** give each group, going toward the input, a rate divided by a further 2.6
(:mod:`tltutor.discriminative`). :func:`schedule_study` starts every arm of a seed from the same
trained head and gives every arm the same optimizer steps, rate peak and warm-up + cosine schedule:

- ``head continued``: the base stays frozen; the head trains on. The control for any fine-tuning
  gain: without it, a gain could be the head's extra steps.
- ``all at once``: the whole unfrozen part from the lowest point at one rate.
- ``all at once, same mean rate``: one rate equal to the discriminative arm's mean rate per weight
  (:func:`tltutor.discriminative.mean_multiplier`). Discriminative rates also lower the average
  rate; this arm tells the two apart.
- ``discriminative``: layer-wise rates.
- ``gradual``: one epoch per stage, the last stage (everything unfrozen) gets the remaining epochs.

Example (about four minutes on 2 CPU cores)::

    study = tl.lessons.unfreezing.schedule_study(seeds=(0, 1, 2, 3))
    print(study.summary_table(["test_accuracy", "fine_tune_steps"]))
"""

from __future__ import annotations

import time

from tltutor import backbones, data, discriminative, freezing, training, validation
from tltutor.lessons import experiments
from tltutor.lessons.experiments import reset_or_build_model
from tltutor.report import diagnostics
from tltutor.report.results import Comparison
from tltutor.runtime.progress import Steps

HEAD = "head"
HEAD_CONTINUED = "head continued"
ALL_AT_ONCE = "all at once"
SAME_MEAN_RATE = "all at once, same mean rate"
DISCRIMINATIVE = "discriminative"
GRADUAL = "gradual"
ARMS = (HEAD_CONTINUED, ALL_AT_ONCE, SAME_MEAN_RATE, DISCRIMINATIVE, GRADUAL)
UNFREEZE_POINTS = ("block11_", "block08_", "block05_")


def early_layers(model, unfreeze_points) -> list:
    """The base layers that only the last stage trains (``block05_`` to ``block07_`` by default), BatchNorm left out.

    BatchNorm stays frozen (:func:`tltutor.freezing.unfreeze`), and its moving statistics would drown
    the kernels' movement (:func:`tltutor.freezing.tuned_layers`).
    """
    return freezing.tuned_layers(model, unfreeze_points[-1], until=unfreeze_points[-2])


def schedule_study(dataset: str = data.OFFLINE_DEFAULT, *, backbone: str = backbones.OFFLINE_DEFAULT,
                   image_size: int = 64, samples_per_class: int = 100, test_samples_per_class: int | None = None,
                   seeds=(0, 1, 2, 3), learning_rate: float = training.FINE_TUNE_LEARNING_RATE, epochs: int = 4,
                   unfreeze_points=UNFREEZE_POINTS, layerwise_decay: float = discriminative.ULMFIT_DECAY,
                   head_epochs: int = 60, arms=ARMS, progress=True) -> Comparison:
    """Every arm of :data:`ARMS` from the same trained head per seed; a :class:`Comparison` by ``"schedule"``.

    The head trains first (early stopping on validation, at most ``head_epochs``) and is a row of
    its own. Every arm then trains ``epochs`` epochs (the same optimizer steps) at a peak rate of
    ``learning_rate``, warmed up over a tenth of its steps and decayed to zero (gradual unfreezing:
    per stage). Rows store the steps, the validation and test accuracy, the largest fall of
    validation accuracy from one epoch to the next (from the head's own), and how far the early
    layers (:func:`early_layers`) moved, in % of their pretrained weights.
    """
    seeds = validation.check_seeds(seeds)
    epochs = validation.check_epochs(epochs)
    learning_rate = validation.check_learning_rate(learning_rate)
    unfreeze_points = list(unfreeze_points)
    if len(unfreeze_points) < 2:
        raise validation.InvalidArgumentError("unfreeze_points needs at least two points, top first, "
                                              f"e.g. {list(UNFREEZE_POINTS)}; got {unfreeze_points}")
    if epochs < len(unfreeze_points):
        raise validation.InvalidArgumentError(f"epochs={epochs} leaves no epoch for some of the "
                                              f"{len(unfreeze_points)} stages of gradual unfreezing: give at least "
                                              f"{len(unfreeze_points)}")
    arms = [validation.check_name(arm, ARMS, "arm") for arm in arms]
    settings = dict(dataset=dataset, backbone=backbone, image_size=image_size, samples_per_class=samples_per_class,
                    seeds=list(seeds), learning_rate=learning_rate, epochs=epochs, schedule="warmup_cosine",
                    unfreeze_points=unfreeze_points, layerwise_decay=layerwise_decay, head_epochs=head_epochs)
    study = Comparison("schedule", settings=settings)
    steps = Steps(len(seeds) * (len(arms) + 1), "unfreezing", output=progress)
    for seed in seeds:
        train, validation_data, test, info = data.load_dataset(
            dataset, image_size=image_size, samples_per_class=samples_per_class,
            test_samples_per_class=test_samples_per_class, seed=seed, pipeline="arrays")
        model = reset_or_build_model(backbone, info.num_classes, seed=seed, image_size=image_size)
        freezing.check_unfreeze_points(model, unfreeze_points)  # before any training
        base_layers = early_layers(model, unfreeze_points)
        started = time.perf_counter()
        history = training.train_head(model, train, validation_data, epochs=head_epochs, progress=False, seed=seed)
        head_weights = model.get_weights()
        head_validation = training.evaluate(model, validation_data)["accuracy"]
        study.add(HEAD, seed, strategy=HEAD, steps=history.steps, epochs=history.epochs,
                  **experiments.scores(model, validation_data, test, info.num_classes), largest_validation_drop=0.0,
                  early_block_change_percent=0.0, seconds=round(time.perf_counter() - started, 1))
        steps.advance(f"head, seed {seed}")
        pretrained = [weight for layer in base_layers for weight in layer.get_weights()]
        for arm in arms:
            model.set_weights(head_weights)
            started = time.perf_counter()
            history, rate = _train_arm(arm, model, train, validation_data, seed=seed, epochs=epochs,
                                       learning_rate=learning_rate, unfreeze_points=unfreeze_points,
                                       layerwise_decay=layerwise_decay)
            curve = [head_validation] + history.metric("val_accuracy")
            moved = diagnostics.relative_weight_change(
                pretrained, [weight for layer in base_layers for weight in layer.get_weights()])
            study.add(arm, seed, history=history, strategy=arm, learning_rate=rate, fine_tune_steps=history.steps,
                      epochs=history.epochs, **experiments.scores(model, validation_data, test, info.num_classes),
                      largest_validation_drop=round(max([0.0] + [a - b for a, b in zip(curve, curve[1:])]), 4),
                      early_block_change_percent=round(100 * moved, 4), seconds=round(time.perf_counter() - started, 1))
            steps.advance(f"{arm}, seed {seed}")
        freezing.freeze_base(model)
    study.dataset = info
    return study


def _train_arm(arm, model, train, validation_data, *, seed, epochs, learning_rate, unfreeze_points, layerwise_decay):
    """``(history, the arm's single rate or its head's rate)`` after training ``arm`` from the head's weights."""
    common = dict(early_stopping_patience=None, schedule="warmup_cosine", progress=False, seed=seed)
    if arm == HEAD_CONTINUED:
        return training.train_head(model, train, validation_data, epochs=epochs, learning_rate=learning_rate,
                                   **common), learning_rate
    if arm == GRADUAL:
        return training.gradual_unfreeze(model, train, validation_data, unfreeze_points=unfreeze_points,
                                         epochs_per_stage=1, final_stage_epochs=epochs - len(unfreeze_points) + 1,
                                         learning_rate=learning_rate, progress=False, seed=seed), learning_rate
    rate, decay = learning_rate, None
    if arm == SAME_MEAN_RATE:
        freezing.unfreeze(model, unfreeze_points[-1])
        rate = learning_rate * discriminative.mean_multiplier(model, layerwise_decay)
    elif arm == DISCRIMINATIVE:
        decay = layerwise_decay
    return training.fine_tune(model, train, validation_data, epochs=epochs, learning_rate=rate,
                              unfreeze_from=unfreeze_points[-1], layerwise_decay=decay, **common), rate
