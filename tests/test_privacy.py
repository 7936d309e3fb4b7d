"""Lesson 16's privacy measurement: the loss-threshold membership attack and the study around it."""

import numpy as np
import pytest

from tltutor.errors import InvalidArgumentError
from tltutor.lessons import privacy
from tltutor.report import plots


def test_the_attack_auc_is_the_share_of_member_non_member_pairs_ordered_by_loss():
    rng = np.random.default_rng(0)
    members, others = rng.exponential(0.2, 40), rng.exponential(1.0, 60)
    by_pairs = np.mean([[1.0 if m < o else 0.5 if m == o else 0.0 for o in others] for m in members])
    assert privacy.attack_auc(members, others) == pytest.approx(by_pairs)
    assert privacy.attack_auc(others, members) == pytest.approx(1 - by_pairs)
    same = rng.exponential(1.0, 500)
    assert abs(privacy.attack_auc(same[:250], same[250:]) - 0.5) < 0.06, "one distribution: no leak"
    with pytest.raises(InvalidArgumentError, match="member"):
        privacy.attack_auc([], [0.1])


def test_the_attack_compares_members_with_non_members_of_their_own_class():
    # an easy class (low losses) with few members and many non-members would pass for a leak when pooled
    members, member_labels = np.array([2.0, 2.1, 0.1]), np.array([1, 1, 0])
    others, other_labels = np.array([2.05, 0.1, 0.1, 0.1, 0.1]), np.array([1, 0, 0, 0, 0])
    assert privacy.attack_auc(members, others) < 0.4
    assert privacy.attack_auc(members, others, member_labels, other_labels) == pytest.approx((0.5 + 0.5) / 2)
    with pytest.raises(InvalidArgumentError, match="both members and non-members"):
        privacy.attack_auc([0.1], [0.2], [0], [1])
    with pytest.raises(InvalidArgumentError, match="one label per loss"):
        privacy.attack_auc([0.1, 0.2], [0.2], [0], [0])
    with pytest.raises(InvalidArgumentError, match="finite"):
        privacy.attack_auc([np.nan], [0.1])


def test_a_head_trained_long_on_few_images_leaks_membership():
    study = privacy.membership_study("fashion_mnist_embedded", samples_per_class=5, seeds=(0, 1),
                                     variants=("head, early stopping", "head, long"), image_size=32,
                                     long_head_epochs=60, progress=None)
    assert study.variants == ["head, early stopping", "head, long"]
    assert all(row["members"] == 50 and 0 <= row["attack_auc"] <= 1 for row in study.rows)
    assert min(study.values("head, long", "attack_auc")) > 0.6, "a memorised training set is visible in the losses"
    losses = study.settings["losses"]["head, long"]
    assert len(losses["members"]) == 50 and np.median(losses["members"]) < np.median(losses["non_members"])
    verdicts = privacy.leak_verdicts(study)
    assert verdicts["head, long"].measurable and verdicts["head, long"].winner == "no leak (0.5)"
    assert verdicts["head, long"].difference < -0.1
    figure = plots.plot_loss_distributions(study.settings["losses"])
    assert len(figure.axes) == 2


def test_an_unknown_variant_is_refused_before_any_training():
    with pytest.raises(InvalidArgumentError, match="privacy variant"):
        privacy.membership_study(variants=("head, forever",), progress=None)


def test_tpr_at_low_fpr_reads_the_attack_where_an_attacker_would():
    rng = np.random.default_rng(0)
    non_members = rng.exponential(1.0, 1000)
    # Same distribution: AUC 0.5, and at 1 % false positives about 1 % of members caught.
    same = rng.exponential(1.0, 1000)
    assert abs(privacy.tpr_at_fpr(same, non_members, 0.01) - 0.01) < 0.02
    # A few members memorised far below every non-member: a modest AUC, yet exposed with no false accusation.
    exposed = np.concatenate([np.full(100, 1e-6), rng.exponential(1.0, 900)])
    assert privacy.attack_auc(exposed, non_members) < 0.6
    assert privacy.tpr_at_fpr(exposed, non_members, 0.0) >= 0.1
    fpr, tpr = privacy.attack_roc(exposed, non_members)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1 and np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    with pytest.raises(InvalidArgumentError):
        privacy.tpr_at_fpr(exposed, non_members, 1.5)


def test_roc_curves_are_drawn_on_log_axes_with_zero_rates_kept_visible():
    from tltutor.report import plots

    figure = plots.plot_roc_curves({"attack": ([0.0, 0.0, 0.5, 1.0], [0.0, 0.4, 0.8, 1.0])}, floor=0.01)
    axis = figure.axes[0]
    assert axis.get_xscale() == axis.get_yscale() == "log"
    assert min(axis.lines[0].get_xdata()) == 0.01, "a zero rate is drawn at the floor, not dropped"
