"""Privacy, measured: how much a transferred model leaks about which images it was trained on.

A **membership-inference attack** asks of one image: was it in the training set? The simplest works
from the loss alone (Yeom et al. 2018): a model fits its training images more tightly than images it
never saw, so a low loss suggests "member". :func:`attack_auc` scores that attack by its ROC AUC over
members (the training images) and non-members (the test images): 0.5 means the losses tell nothing,
1.0 means they give every member away. Given the classes, it compares members and non-members of the
same class and averages over classes, so that an easy class with many test images cannot pass for a
leak. Shokri et al. (2017) train shadow models for a stronger attack;
the loss threshold is its cheap, strong baseline.

:func:`membership_study` trains four variants on the same small "private" training set of each seed,
two factors crossed: what trains (the new head on the frozen base, or the top blocks fine-tuned
too) and for how long (stopped early on validation, or trained long with no stopping). Rows hold
test and training accuracy, their gap, and the attack's AUC.

Example (about a minute on 2 CPU cores, with Debian's tuxpaint-stamps-default)::

    study = tl.lessons.privacy.membership_study(seeds=(0, 1, 2))
    print(study.summary_table(["test_accuracy", "attack_auc"]))
    print(study.verdict("head, early stopping", "fine-tune, long", "attack_auc", higher_is_better=False))
"""

from __future__ import annotations

import numpy as np

from tltutor import data, freezing, training, validation
from tltutor.lessons.experiments import reset_or_build_model, resolve_settings
from tltutor.report import diagnostics, statistics
from tltutor.report.results import Comparison
from tltutor.runtime.progress import Steps

VARIANTS = ("head, early stopping", "head, long", "fine-tune, early stopping", "fine-tune, long")


def _pairs_ordered(members: np.ndarray, others: np.ndarray) -> float:
    lower = (members[:, None] < others[None, :]).sum() + 0.5 * (members[:, None] == others[None, :]).sum()
    return float(lower / (len(members) * len(others)))


def attack_auc(member_losses, non_member_losses, member_labels=None, non_member_labels=None) -> float:
    """ROC AUC of the loss-threshold attack: the chance a random member has a lower loss than a random non-member.

    Ties count half. 0.5: the losses reveal nothing about membership; 1.0: every member is exposed.
    With the labels, members are compared with non-members of their own class only, and the
    classes' AUCs averaged (classes missing on either side are left out).

    Examples:
        >>> attack_auc([0.1, 0.2], [0.3, 0.4])
        1.0
        >>> attack_auc([0.1, 0.4], [0.1, 0.4])
        0.5
        >>> attack_auc([0.1, 2.0], [0.3, 3.0], [0, 1], [0, 1])   # pooled, class 1's high losses would hide the leak
        1.0
    """
    members, others = _checked_losses(member_losses, non_member_losses)
    if member_labels is None and non_member_labels is None:
        return _pairs_ordered(members, others)
    member_labels, other_labels = np.asarray(member_labels).ravel(), np.asarray(non_member_labels).ravel()
    if member_labels.shape != members.shape or other_labels.shape != others.shape:
        raise validation.InvalidArgumentError("give one label per loss, for the members and for the non-members")
    shared = np.intersect1d(member_labels, other_labels)
    if not len(shared):
        raise validation.InvalidArgumentError("no class has both members and non-members to compare")
    return float(np.mean([_pairs_ordered(members[member_labels == label], others[other_labels == label])
                          for label in shared]))


def _checked_losses(member_losses, non_member_losses) -> tuple[np.ndarray, np.ndarray]:
    members = np.asarray(member_losses, dtype=np.float64).ravel()
    others = np.asarray(non_member_losses, dtype=np.float64).ravel()
    if not len(members) or not len(others):
        raise validation.InvalidArgumentError("the attack needs at least one member and one non-member loss")
    if not (np.all(np.isfinite(members)) and np.all(np.isfinite(others))):
        raise validation.InvalidArgumentError("losses must be finite numbers")
    return members, others


def attack_roc(member_losses, non_member_losses) -> tuple[np.ndarray, np.ndarray]:
    """``(false positive rates, true positive rates)`` of the loss threshold at every distinct loss.

    The attack calls an image a member when its loss is at or below the threshold; a false positive
    is a non-member so called. One global threshold, as an attacker without the classes would use.

    Examples:
        >>> fpr, tpr = attack_roc([0.1, 0.2], [0.15, 0.4])
        >>> fpr.tolist(), tpr.tolist()
        ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    members, others = _checked_losses(member_losses, non_member_losses)
    thresholds = np.unique(np.concatenate([members, others]))
    fpr = np.concatenate([[0.0], [float(np.mean(others <= value)) for value in thresholds]])
    tpr = np.concatenate([[0.0], [float(np.mean(members <= value)) for value in thresholds]])
    return fpr, tpr


def tpr_at_fpr(member_losses, non_member_losses, fpr: float) -> float:
    """The share of members the loss threshold exposes while wrongly accusing at most ``fpr`` of non-members.

    AUC averages over every threshold, including ones no attacker would use; what matters is how many
    members are caught with very few false accusations (Carlini et al. 2022). With ``n`` non-members,
    rates below ``1/n`` can only be read as "no false positive at all".

    Examples:
        >>> tpr_at_fpr([0.01, 0.02, 0.5], [0.1, 0.6, 0.7, 0.8], 0.0)   # two members below every non-member
        0.6667
        >>> tpr_at_fpr([0.5, 0.6], [0.1, 0.2], 0.05)                      # members look like non-members
        0.0
    """
    fpr = validation.check_number(fpr, "fpr", low=0, high=1)
    rates, caught = attack_roc(member_losses, non_member_losses)
    return round(float(caught[rates <= fpr].max()), 4)


def example_losses(model, dataset) -> tuple[np.ndarray, np.ndarray, float]:
    """``(labels, losses, accuracy)`` from one pass: each example's cross-entropy, what the attacker observes."""
    labels, logits = training.predict_logits(model, dataset)
    return labels, diagnostics.losses_per_example(labels, logits), float(np.mean(np.argmax(logits, axis=-1) == labels))


def membership_study(dataset: str = "tuxpaint_photos", *, samples_per_class: int = 10, seeds=None,
                     variants=VARIANTS, image_size: int = 96, head_epochs: int = 100, long_head_epochs: int = 300,
                     fine_tune_epochs: int = 30, learning_rate: float = 1e-3, unfreeze_from: str = "block11_",
                     validation_split: float = 0.6, backbone: str = "EfficientNetLite0", progress=True) -> Comparison:
    """Test accuracy and the loss-threshold attack's AUC for each variant, keyed by ``"variant"``.

    For each seed the head is trained first, stopped early on validation (patience 20, best weights
    restored). ``"head, long"`` then trains it ``long_head_epochs`` more with no stopping. The two
    fine-tuning variants start from the early-stopped head and unfreeze the base from
    ``unfreeze_from`` at ``learning_rate`` with a warm-up and cosine decay for ``fine_tune_epochs``:
    ``"early stopping"`` stops on validation (patience 5, best weights restored), ``"long"`` runs
    every epoch. Members are the training images; non-members the test images, which no variant saw;
    the attack compares them class by class (:func:`attack_auc`); rows also hold the AUC of one threshold
    for every class (``attack_auc_one_threshold``), the share of members that threshold exposes at 1 % and
    5 % false positives (:func:`tpr_at_fpr`) and each variant's optimizer ``steps``,
    the head's included. ``validation_split`` 0.6 gives 6 validation images per class at 10, 30 in all
    on the photographs: early stopping judges on no fewer. The first seed's losses are kept in ``settings["losses"]`` (per variant: ``members``,
    ``non_members``) for :func:`tltutor.report.plots.plot_loss_distributions`.
    """
    variants = validation.check_choices(variants, VARIANTS, "privacy variant")
    settings = resolve_settings(seeds=seeds, image_size=image_size)
    learning_rate = validation.check_learning_rate(learning_rate)
    comparison = Comparison("variant", settings=dict(
        dataset=dataset, samples_per_class=samples_per_class, image_size=settings["image_size"],
        head_epochs=head_epochs, long_head_epochs=long_head_epochs, fine_tune_epochs=fine_tune_epochs,
        learning_rate=learning_rate, unfreeze_from=unfreeze_from, attack="loss threshold (Yeom et al. 2018)",
        validation_split=validation_split, losses={}))
    steps = Steps(len(settings["seeds"]) * len(variants), "membership inference", output=progress)
    for seed in settings["seeds"]:
        train, validation_data, test, info = data.load_dataset(
            dataset, image_size=settings["image_size"], samples_per_class=samples_per_class,
            validation_split=validation_split, seed=seed, pipeline="arrays")
        model = reset_or_build_model(backbone, info.num_classes, seed=seed, image_size=settings["image_size"])
        head = training.train_head(model, train, validation_data, epochs=head_epochs, early_stopping_patience=20,
                                   progress=False, seed=seed)
        head_weights = model.get_weights()
        for variant in variants:
            model.set_weights(head_weights)
            steps_taken = head.steps
            if variant == "head, long":
                steps_taken += training.train_head(model, train, validation_data, epochs=long_head_epochs,
                                                   early_stopping_patience=None, progress=False, seed=seed).steps
            elif variant.startswith("fine-tune"):
                steps_taken += training.fine_tune(
                    model, train, validation_data, epochs=fine_tune_epochs, learning_rate=learning_rate,
                    unfreeze_from=unfreeze_from, schedule="warmup_cosine", progress=False, seed=seed,
                    early_stopping_patience=5 if variant.endswith("early stopping") else None).steps
            member_labels, member_losses, train_accuracy = example_losses(model, train)
            non_member_labels, non_member_losses, test_accuracy = example_losses(model, test)
            if seed == settings["seeds"][0]:
                comparison.settings["losses"][variant] = {
                    "members": [float(f"{loss:.4g}") for loss in member_losses],
                    "non_members": [float(f"{loss:.4g}") for loss in non_member_losses]}
            comparison.add(variant, seed, test_accuracy=round(test_accuracy, 4),
                           train_accuracy=round(train_accuracy, 4), gap=round(train_accuracy - test_accuracy, 4),
                           attack_auc=round(attack_auc(member_losses, non_member_losses, member_labels,
                                                       non_member_labels), 4),
                           attack_auc_one_threshold=round(attack_auc(member_losses, non_member_losses), 4),
                           tpr_at_1_percent_fpr=tpr_at_fpr(member_losses, non_member_losses, 0.01),
                           tpr_at_5_percent_fpr=tpr_at_fpr(member_losses, non_member_losses, 0.05),
                           steps=steps_taken, samples_per_class=samples_per_class,
                           members=len(member_losses), non_members=len(non_member_losses))
            if variant.startswith("fine-tune"):
                freezing.freeze_base(model)
            steps.advance(f"{variant}, seed {seed}")
    return comparison


def leak_verdicts(study: Comparison, metric: str = "attack_auc") -> dict:
    """Each variant's attack AUC against 0.5, the AUC of losses that reveal nothing, over seeds.

    A verdict reads "no leak (0.5) beats <variant>" when the variant leaks measurably (a lower AUC is better).
    """
    verdicts = {}
    for variant in study.variants:
        values = study.values(variant, metric)
        verdicts[variant] = statistics.compare([0.5] * len(values), values, "no leak (0.5)", variant,
                                               metric=metric.replace("_", " "), higher_is_better=False)
    return verdicts
