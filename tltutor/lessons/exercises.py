"""Check functions for the notebooks' exercises: a clear verdict, and a hint when the answer is wrong.

Examples:
    >>> from tltutor.lessons import exercises
    >>> exercises.check_head_parameters(12_810, num_classes=10)
    Correct: a 1280-feature head for 10 classes has 1280 × 10 weights + 10 biases = 12,810 parameters.
    True
"""

from __future__ import annotations

from tltutor import validation
from tltutor.lessons import types
from tltutor.report import diagnostics


def _verdict(correct: bool, success: str, hint: str) -> bool:
    print(f"Correct: {success}" if correct else f"Not yet. Hint: {hint}")
    return correct


def check_head_parameters(answer, num_classes: int, feature_size: int = 1280) -> bool:
    """Exercise: how many parameters does a new Dense head on pooled features have?"""
    expected = feature_size * num_classes + num_classes
    try:
        correct = int(answer) == expected and float(answer) == expected
    except (TypeError, ValueError):
        correct = False
    return _verdict(
        correct,
        f"a {feature_size}-feature head for {num_classes} classes has {feature_size} × {num_classes} weights "
        f"+ {num_classes} biases = {expected:,} parameters.",
        "a Dense layer has one weight per (input, output) pair plus one bias per output. "
        f"The pooled features have {feature_size} values.",
    )


def _matches(answer, expected) -> bool:
    return str(answer).strip().lower() == str(expected).strip().lower()


def _names(answer) -> list[str] | None:
    """A name or a list of names, lower-cased and sorted, so that order and case do not matter; ``None`` otherwise."""
    if isinstance(answer, str):
        answer = [answer]
    if not isinstance(answer, (list, tuple, set)):
        return None
    return sorted(str(name).strip().lower() for name in answer)


def _mean_rows(results, variant_key: str | None = None) -> list[dict]:
    """Rows to check answers against: a Comparison's per-variant means over seeds, or plain rows as they are."""
    if not hasattr(results, "summary"):
        return list(results)
    return [{key: value.mean if hasattr(value, "mean") else value for key, value in row.items()}
            for row in results.summary()]


def check_best_candidate(rows, answer) -> bool:
    """Exercise (notebook 01): which candidate base gave the best mean linear-probe accuracy?"""
    best = max(_mean_rows(rows), key=lambda row: row["probe_test_accuracy"])
    return _verdict(
        _matches(answer, best["candidate"]),
        f"{best['candidate']} reached {best['probe_test_accuracy']:.3f}: its source is the most useful for this target.",
        "sort the table by probe_test_accuracy; the candidate names look like 'EfficientNetLite0 (imagenet)'.",
    )


def check_pretraining_gain(comparison, answer) -> bool:
    """Exercise (notebook 01): whose pretraining gained more over its own random weights, in mean probe accuracy?"""
    means = {row["candidate"]: row["probe_test_accuracy"] for row in _mean_rows(comparison)}
    gains = {}
    for name in means:
        backbone, _, weights = name.partition(" (")
        if weights.rstrip(")") != "random" and f"{backbone} (random)" in means:
            gains[backbone] = means[name] - means[f"{backbone} (random)"]
    best = max(gains, key=gains.get)
    return _verdict(
        _matches(answer, best),
        f"{best}'s pretraining added {gains[best]:+.3f} probe accuracy over the same network with random weights.",
        "for each backbone, subtract the '(random)' row's mean probe_test_accuracy from its pretrained row's; "
        "answer with the backbone name, e.g. 'DigitsCNN'.",
    )


def check_negative_transfer_target(transfer_map, answer) -> bool:
    """Exercise (notebook 01): on which target do frozen ImageNet features lose to raw pixels, measurably?"""
    from tltutor.lessons import selection  # the map's own reading of its gains

    rows = selection.map_gains(transfer_map, "pixels")
    losing = [target for target in transfer_map.settings["targets"]
              if any(row["measurable"] and row["gain"] < 0 for row in rows if row["target"] == target)
              and not any(row["measurable"] and row["gain"] > 0 for row in rows if row["target"] == target)]
    expected = losing[0] if len(losing) == 1 else None
    return _verdict(
        expected is not None and _matches(answer, expected),
        f"on {expected!r} the ImageNet features lose to raw pixels, measurably at some sizes and never ahead: "
        "negative transfer against the simplest baseline.",
        "read the left panel: a target whose intervals lie below the dashed zero line. Answer with its dataset "
        "name, e.g. 'fashion_mnist_embedded'.",
    )


def check_smallest_paying_size(gain_comparison, answer, target: str = "fashion_mnist_embedded") -> bool:
    """Exercise (notebook 06): the smallest size at which fine-tuning beat its control measurably on ``target``, or "none"."""
    from tltutor.lessons import experiments  # the comparison's own reading of its gains

    paying = [row["samples_per_class"] for row in experiments.fine_tuning_gains(gain_comparison)
              if row["target"] == target and row["measurable"] and row["gain"] > 0]
    expected = min(paying) if paying else "none"
    return _verdict(
        answer is not None and _matches(answer, expected),
        f"on {target}, the smallest size where fine-tuning beat the head continued for the same steps measurably: "
        f"{expected}" + (" per class." if paying else "."),
        "read the gains figure for that target: the first size whose interval lies wholly above the dashed zero "
        "line. Answer with the number of images per class, e.g. 20, or 'none'.",
    )


def check_trainable_variable_count(model, answer) -> bool:
    """Exercise (notebook 02): how many trainable variables (weight tensors) does the model have now?"""
    expected = len(model.trainable_variables)
    return _verdict(
        answer == expected,
        f"{expected} trainable variables: with the base frozen only the head's kernel and bias train.",
        "count weight tensors, not parameters: a Dense layer has a kernel and a bias; frozen layers have none "
        "that train. len(model.trainable_variables) tells you.",
    )


def check_what_the_rate_destroyed(sweep, answer, rate: str = "1e-02", num_classes: int = 10) -> bool:
    """Exercise (notebook 03): after fine-tuning at ``rate`` ended at chance, was it the ``"base"`` or the ``"head"``?

    The fresh linear probe of the fine-tuned base decides: near chance, the features themselves were
    destroyed; near the unchanged base's probe, only the head broke.
    """
    probes = [row.get("probe_test_accuracy") for row in _mean_rows(sweep) if row[sweep.variant_key] == rate]
    if not probes or not isinstance(probes[0], float):
        raise validation.InvalidArgumentError(f"the sweep has no probe of the base after {rate!r}: run the sweep "
                                              "cell, which probes the base after 1e-2 and 1e-3")
    probe = probes[0]
    expected = "base" if probe < 1 / num_classes + 0.1 else "head"
    return _verdict(
        _matches(answer, expected),
        f"a new linear head on the base's features reached {probe:.3f} after {rate}: "
        + ("the features are gone, not just the head." if expected == "base" else
           "the features survived; only the head broke."),
        "compare the probe_test_accuracy after that rate with chance (1 in 10) and with the unchanged base's "
        "probe (the head only row); answer 'base' or 'head'.")


def check_group_learning_rate(answer, learning_rate: float, layerwise_decay: float, depth: int) -> bool:
    """Exercise (notebook 04): the rate of base group ``depth`` (1 = top) under discriminative rates."""
    expected = learning_rate / layerwise_decay ** depth
    try:
        correct = abs(float(answer) - expected) <= 0.01 * expected
    except (TypeError, ValueError):
        correct = False
    return _verdict(
        correct,
        f"group {depth} trains at {learning_rate:g} / {layerwise_decay:g}^{depth} = {expected:.3g}.",
        "each group nearer the input divides the head's rate by the decay once more: rate / layerwise_decay ** depth.",
    )


def check_final_gap(history, answer) -> bool:
    """Exercise (notebook 05): the train minus validation accuracy at the last epoch, to two decimals."""
    expected = diagnostics.generalization_gap(history)[-1]
    try:
        correct = abs(float(answer) - expected) <= 0.01
    except (TypeError, ValueError):
        correct = False
    return _verdict(
        correct,
        f"the final gap is {expected:.3f}.",
        "take history.metric('accuracy')[-1] - history.metric('val_accuracy')[-1], "
        "or tl.report.diagnostics.generalization_gap(history)[-1].",
    )


def check_largest_gain(grid, answer, strategy: str = "feature_extraction", baseline: str = "scratch",
                       metric: str = "test_accuracy") -> bool:
    """Exercise (notebook 06): at which ``samples_per_class`` did ``strategy`` beat ``baseline`` by the most, on average?"""
    sizes = sorted({row["samples_per_class"] for row in grid.rows})
    gains = {size: grid.where(samples_per_class=size).spread(strategy, metric).mean
             - grid.where(samples_per_class=size).spread(baseline, metric).mean for size in sizes}
    best = max(gains, key=gains.get)
    try:
        correct = int(answer) == best
    except (TypeError, ValueError):
        correct = False
    return _verdict(
        correct,
        f"with {best} images per class {strategy} beat {baseline} by {gains[best]:+.3f} on average.",
        f"for each size, subtract {baseline}'s mean {metric} from {strategy}'s; answer with the size (a whole number).",
    )


def check_narrowest_interval(comparison, answer, baseline: str = "none", metric: str = "test_accuracy",
                             exclude=("head",)) -> bool:
    """Exercise (notebook 07): which remedy's paired 95 % interval against ``baseline`` is the narrowest?

    The narrowest interval is the remedy whose effect the run pins down best, whatever its sign.
    Variants in ``exclude`` (the starting head) are not remedies and are left out.
    """
    widths, measurable = {}, {}
    for variant in comparison.variants:
        if variant != baseline and variant not in exclude:
            verdict = comparison.verdict(variant, baseline, metric)
            widths[variant] = verdict.interval[1] - verdict.interval[0]
            measurable[variant] = verdict.measurable
    narrowest = min(widths, key=widths.get)
    return _verdict(
        _matches(answer, narrowest),
        f"{narrowest}: its interval is {widths[narrowest]:.3f} wide, the tightest bound this run puts on any "
        f"remedy's effect ({'it leaves out zero' if measurable[narrowest] else 'it still contains zero'}). "
        + ", ".join(f"{variant} {width:.3f}" for variant, width in sorted(widths.items(), key=lambda item: item[1]))
        + ".",
        f"read each verdict's '95% interval of X − {baseline}: low to high' and subtract low from high; answer "
        "with the remedy of the smallest width, e.g. 'dropout'.",
    )


def check_largest_shift_drop(report, answer) -> bool:
    """Exercise (notebook 08): which shift lowered the mean accuracy the most, relative to clean images?"""
    means = {}
    for row in report.rows:
        means.setdefault(row["shift"], []).append(row["accuracy"])
    means = {shift: sum(values) / len(values) for shift, values in means.items()}
    drops = {shift: means["none"] - value for shift, value in means.items() if shift != "none"}
    worst = max(drops, key=drops.get)
    return _verdict(
        _matches(answer, worst),
        f"{worst} cost {drops[worst]:.3f} accuracy on average: the features the model relies on do not survive it.",
        "for each shift, subtract its mean accuracy from the clean ('none') one; answer with the largest one's "
        "name, e.g. 'noise'.",
    )


def check_measurably_worse_remedy(comparison, answer, baseline: str = "none",
                                  metric: str = "balanced_accuracy") -> bool:
    """Exercise (notebook 09): name a remedy that made ``metric`` measurably *worse* than ``baseline``.

    Any remedy whose paired interval against ``baseline`` lies wholly below zero is a right answer.
    """
    worse = [variant for variant in comparison.variants if variant != baseline
             and comparison.verdict(variant, baseline, metric).measurable
             and comparison.verdict(variant, baseline, metric).difference < 0]
    chosen = next((variant for variant in worse if _matches(answer, variant)), None)
    return _verdict(
        chosen is not None,
        f"{chosen}: {comparison.verdict(chosen, baseline, metric) if chosen else ''} "
        f"(measurably worse: {', '.join(worse) or 'none'}). A remedy for imbalance can cost the classes it "
        "did not aim at more than it gives the rare ones.",
        f"read the {metric.replace('_', ' ')} verdicts against '{baseline}': look for '{baseline} beats X' with an "
        "interval that excludes zero; answer with X.",
    )


def check_cheap_protection(comparison, answer, baseline: str = "naive", max_cost: float = 0.1) -> bool:
    """Exercise (notebook 10): which methods kept the old task measurably better than ``baseline`` while
    losing at most ``max_cost`` of the new task's accuracy (mean over seeds)? A name, or a list in any order."""
    cheap = [variant for variant in comparison.variants if variant != baseline
             and comparison.verdict(variant, baseline, "old_task_accuracy").measurable
             and comparison.verdict(variant, baseline, "old_task_accuracy").difference > 0
             and comparison.verdict(variant, baseline, "new_task_accuracy").difference >= -max_cost]
    return _verdict(
        bool(cheap) and _names(answer) == _names(cheap),
        f"{', '.join(cheap)}: protected the old task measurably and gave up at most {max_cost} of the new task. "
        "The others either did not protect the old task measurably or paid more for it on the new one.",
        f"for each method read two verdicts against '{baseline}': old task accuracy (it must beat {baseline}) and "
        f"new task accuracy (how much lower than {baseline}'s: at most {max_cost}).",
    )


def check_most_changed_depth(similarity, answer) -> bool:
    """Exercise (notebook 11): at which depth is the fine-tuned network, on average, least similar to the pretrained one?"""
    lowest = min(_mean_rows(similarity), key=lambda row: row["cka"])
    try:
        correct = int(answer) == lowest["depth"]
    except (TypeError, ValueError):
        correct = False
    return _verdict(
        correct,
        f"depth {lowest['depth']} has the lowest mean CKA, {lowest['cka']:.3f}. Before calling it the most changed "
        "layer, check whether the next lowest lies within its spread over seeds.",
        "find the smallest mean value in the cka column and answer with its depth (a whole number).",
    )


def check_frozen_layer_similarity(answer) -> bool:
    """Exercise (notebook 11): the linear CKA of a layer below the unfreezing point, before and after fine-tuning."""
    try:
        correct = abs(float(answer) - 1.0) < 1e-9
    except (TypeError, ValueError):
        correct = False
    return _verdict(
        correct,
        "1: a frozen layer (BatchNorm included, which runs in inference mode) computes exactly what it computed "
        "before, so its representation of every image is "
        "unchanged, and CKA of a representation with itself is 1. Only layers at or above the unfreezing point "
        "can move, though what they compute changes the CKA of every layer above them too.",
        "which weights can fine-tuning change below the unfreezing point? What is the similarity of a "
        "representation with itself?",
    )


def check_size_ratio(comparison, answer, larger: str = "float32", smaller: str = "int8") -> bool:
    """Exercise (notebook 12): how many times smaller is one TFLite variant than another (one decimal)?"""
    sizes = {variant: comparison.spread(variant, "tflite_mb").mean for variant in (larger, smaller)}
    expected = sizes[larger] / sizes[smaller]
    try:
        correct = abs(float(answer) - expected) <= 0.15
    except (TypeError, ValueError):
        correct = False
    return _verdict(
        correct,
        f"{sizes[larger]:.2f} MB / {sizes[smaller]:.2f} MB = {expected:.1f}× smaller.",
        f"divide the mean tflite_mb of {larger} by that of {smaller}.",
    )


def check_largest_transfer_gap(comparison, answer, strategy: str = "frozen") -> bool:
    """Exercise (notebook 13): on which target did training ``strategy`` on movies, instead of on the
    target's own sentences (``"<strategy>, in-domain"``), cost the most accuracy on average?"""
    targets = [key[:-len("_accuracy")] for key in comparison.rows[0] if key.endswith("_accuracy")]
    gaps = {target: comparison.spread(f"{strategy}, in-domain", f"{target}_accuracy").mean
            - comparison.spread(strategy, f"{target}_accuracy").mean for target in targets}
    largest = max(gaps, key=gaps.get)
    return _verdict(
        _matches(answer, largest),
        f"on {largest}, {strategy} trained on movies scored {gaps[largest]:.3f} below its in-domain reference; "
        + ", ".join(f"{target}: {gap:.3f}" for target, gap in gaps.items()) + ".",
        f"for each target, subtract the mean accuracy of {strategy!r} from that of '{strategy}, in-domain'; "
        "answer with the target's name.",
    )


def check_better_task(results: dict, answer, strategy: str = "frozen", baseline: str = "mfcc") -> bool:
    """Exercise (notebook 14): on which task did ``strategy`` do better relative to ``baseline``?"""
    gains = {task: comparison.spread(strategy, "test_accuracy").mean - comparison.spread(baseline, "test_accuracy").mean
             for task, comparison in results.items()}
    best = max(gains, key=gains.get)
    return _verdict(
        _matches(answer, best),
        f"on the {best} task {strategy} did {gains[best]:+.3f} against {baseline}; "
        + ", ".join(f"{task}: {gain:+.3f}" for task, gain in gains.items()) + ".",
        f"subtract {baseline}'s mean test accuracy from {strategy}'s for each task and compare.",
    )


def check_measurable_tasks(results: dict, answer, strategy: str = "fine_tune", baseline: str = "frozen") -> bool:
    """Exercise (notebook 14): the tasks on which ``strategy`` is measurably better than ``baseline``.

    ``answer`` is a task's name, a list of names, or ``"none"``; ``results`` maps each task to its Comparison.
    """
    expected = sorted(task for task, comparison in results.items()
                      if comparison.verdict(strategy, baseline).measurable
                      and comparison.verdict(strategy, baseline).difference > 0)
    return _verdict(
        _names(answer) == (_names(expected) or ["none"]),
        f"{', '.join(expected) or 'none'}: " + "; ".join(
            f"{task}: {comparison.verdict(strategy, baseline)}" for task, comparison in results.items()),
        f"print results[task].verdict('{strategy}', '{baseline}') for each task and keep the tasks where it says "
        f"'{strategy} beats {baseline}' (an interval above zero); answer with a list of task names, or 'none'.",
    )


def check_measurably_higher_variants(comparison, answer, baseline: str, metric: str) -> bool:
    """Exercise (notebooks 16 to 19): the variants whose ``metric`` is measurably higher than ``baseline``'s.

    ``answer`` is a variant's name, a list of names, or ``"none"``.
    """
    expected = sorted(variant for variant in comparison.variants if variant != baseline
                      and comparison.verdict(variant, baseline, metric).measurable
                      and comparison.verdict(variant, baseline, metric).difference > 0)
    return _verdict(
        _names(answer) == (_names(expected) or ["none"]),
        f"{', '.join(expected) or 'none'}: " + "; ".join(
            str(comparison.verdict(variant, baseline, metric)) for variant in comparison.variants if variant != baseline),
        f"on the comparison you checked, print .verdict(variant, '{baseline}', '{metric}') for each variant and keep "
        "those with an interval above zero; answer with a list of variant names as in the table, or 'none'.",
    )


def check_transfer_type(scenario: str, answer) -> bool:
    """Exercise (notebook 15): the type of transfer of a scenario in :data:`tltutor.lessons.types.SCENARIOS`."""
    expected = types.transfer_type(scenario)
    return _verdict(
        _matches(answer, expected),
        f"{expected}: {scenario}.",
        "ask two questions: is the target task the same as the source's, and does the target have labels?",
    )


def check_mask_to_box(mask_to_box) -> bool:
    """Exercise (notebook 20): ``mask_to_box(mask)`` gives the tight box ``x1, y1, x2, y2`` (x2, y2 exclusive) of a
    (height, width) mask's non-zero pixels, as :mod:`tltutor.data.scenes` stores boxes.

    Examples:
        >>> import numpy as np
        >>> def mask_to_box(mask):
        ...     rows, columns = np.nonzero(mask)
        ...     return columns.min(), rows.min(), columns.max() + 1, rows.max() + 1
        >>> check_mask_to_box(mask_to_box)
        Correct: the box spans the first to one past the last object column (x) and row (y), on every mask tried.
        True
    """
    import numpy as np

    if not callable(mask_to_box):
        return _verdict(False, "", "pass your function itself, e.g. check_mask_to_box(mask_to_box)")
    cases = []
    single = np.zeros((8, 10), np.int32)
    single[2, 7] = 3
    cases.append((single, (7, 2, 8, 3)))
    wide = np.zeros((12, 16), np.int32)
    wide[3:5, 1:15] = 1
    wide[4:11, 6] = 2
    cases.append((wide, (1, 3, 15, 11)))
    ring = np.zeros((20, 20), np.int32)
    ring[5:15, 5:15] = 4
    ring[7:13, 7:13] = 0
    cases.append((ring, (5, 5, 15, 15)))
    for mask, expected in cases:
        try:
            answer = tuple(int(value) for value in mask_to_box(mask.copy()))
        except Exception as error:  # a student's function may fail in any way: report it, do not crash
            return _verdict(False, "", f"your function raised {type(error).__name__}: {error}")
        if answer != expected:
            return _verdict(False, "", f"on a mask whose objects span columns {expected[0]}..{expected[2] - 1} and rows "
                                       f"{expected[1]}..{expected[3] - 1} you gave {answer}, expected {expected}: x "
                                       "is the column, y the row, and x2, y2 are one past the last object pixel")
    return _verdict(True, "the box spans the first to one past the last object column (x) and row (y), on every "
                          "mask tried.", "")
