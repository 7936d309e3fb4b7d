"""Every claim a lesson's prose makes, checked against the numbers its full run stored.

Each notebook's full run writes its measurements, per seed, to ``notebooks/results/<notebook>.json``
(:class:`tltutor.report.lesson.Lesson`). The claims below are the prose's sentences, each as a
check over those numbers with the verdict rules of :mod:`tltutor.report.statistics`: "A beats B"
needs a measurable difference, "no measurable difference" needs its absence. A claim that the
numbers do not support fails here, so prose and measurements cannot drift apart.
"""

import json
from pathlib import Path

import pytest

from tltutor.report.results import Comparison

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "notebooks" / "results"
LESSON_SECONDS_LIMIT = 300
PIXELS = "raw pixels (logistic regression)"


REMEDIES_09 = ("class_weights", "oversample", "undersample", "focal_loss", "logit_adjustment")


def load(notebook: str) -> dict:
    path = RESULTS / f"{notebook}.json"
    assert path.exists(), f"{notebook} has no stored full-run results: run tools/run_notebooks.py"
    return json.loads(path.read_text())


def comparison(results: dict, key: str, **where) -> Comparison:
    found = Comparison.from_dict(results["values"][key])
    return found.where(**where) if where else found


def beats(results, key, first, second, metric="test_accuracy", *, higher_is_better=True, **where) -> bool:
    verdict = comparison(results, key, **where).verdict(first, second, metric, higher_is_better=higher_is_better)
    return verdict.measurable and str(verdict.winner) == str(first)  # a verdict names its variants as text


def no_difference(results, key, first, second, metric="test_accuracy", **where) -> bool:
    return not comparison(results, key, **where).verdict(first, second, metric).measurable


def _interval(results, key, first, second, metric="test_accuracy", **where) -> tuple:
    return comparison(results, key, **where).verdict(first, second, metric).interval


def _interval_against(values, reference: float) -> tuple:
    """The paired 95 % interval of ``values`` minus a constant ``reference`` (a one-sample interval)."""
    from tltutor.report import statistics

    return statistics.compare(values, [reference] * len(values), metric="value").interval


def _fine_tuning_against_head(results, candidate):
    """Lesson 19's verdict of ``candidate`` fine-tuned against its own head (the variants share a name)."""
    from tltutor.report import statistics

    capacity = comparison(results, "capacity")
    return statistics.compare(capacity.where(strategy="fine_tuning").values(candidate, "test_accuracy"),
                              capacity.where(strategy="head").values(candidate, "test_accuracy"))


def _gain(results, key, first, second, metric="test_accuracy", **where) -> float:
    return mean(results, key, first, metric, **where) - mean(results, key, second, metric, **where)


def _every_seed(results, key, first, second, metric="test_accuracy", **where) -> bool:
    rows = comparison(results, key, **where).rows
    variant_key = results["values"][key]["variant_key"]
    by_seed = {(row[variant_key], row["seed"]): row.get(metric) for row in rows}
    seeds = {row["seed"] for row in rows}
    return all(by_seed[(first, seed)] > by_seed[(second, seed)] for seed in seeds)


def _range_test_curve_is_level_then_climbs(test) -> bool:
    points = list(zip(test["learning_rates"], test["smoothed_losses"]))
    level = [loss for rate, loss in points if rate <= 2.2e-4]
    return (max(level) < 0.2 and points[-1][0] < 3e-3
            and points[-1][1] >= 4 * min(test["smoothed_losses"]) and points[-1][1] > max(level))


def _map_gains(results, baseline) -> list[dict]:
    from tltutor.lessons import selection  # the lesson's own reading of its map

    return selection.map_gains(comparison(results, "map"), baseline)


def _gains(results, against="head continued") -> list[dict]:
    from tltutor.lessons import experiments  # the lesson's own reading of its gains

    return experiments.fine_tuning_gains(comparison(results, "gains"), against)


def _similarity(results, networks) -> list[dict]:
    return [row for row in comparison(results, "similarity").rows if row["networks"] == networks]


def _depth_mean(results, networks, depth) -> float:
    values = [row["cka"] for row in _similarity(results, networks) if row["depth"] == depth]
    return sum(values) / len(values)


def _ratio(results, metric) -> float:
    """ResNet50's mean ``metric`` over EfficientNet-Lite0's, in lesson 12's size table."""
    return mean(results, "sizes", "ResNet50", metric) / mean(results, "sizes", "EfficientNetLite0", metric)


def _gain_row(results, target, size) -> dict:
    return next(row for row in _gains(results) if row["target"] == target and row["samples_per_class"] == size)


def _simulator_gain(results):
    """Lesson 18's paired verdict: the simulator then 3 real digits per class, against the simulator alone."""
    from tltutor.report import statistics

    return statistics.compare(comparison(results, "simulation", real_samples_per_class=3).values(
        "simulation_then_real", "test_accuracy"), comparison(results, "simulation", real_samples_per_class=0).values(
        "fine_tuned", "test_accuracy"), metric="test accuracy")


def mean(results, key, variant, metric="test_accuracy", **where) -> float:
    return comparison(results, key, **where).spread(variant, metric).mean


CLAIMS = {
    "00_quickstart": {
        "on photographs, feature extraction beats raw pixels by more than 0.3":
            lambda r: beats(r, "strategies", "feature_extraction", "pixels")
            and _gain(r, "strategies", "feature_extraction", "pixels") > 0.3,
        "and beats a CNN trained from scratch for 400 steps by more than 0.2":
            lambda r: beats(r, "strategies", "feature_extraction", "scratch")
            and _gain(r, "strategies", "feature_extraction", "scratch") > 0.2
            and min(comparison(r, "strategies").values("scratch", "steps")) >= 400,
        "feature extraction beats the scratch CNN in balanced accuracy too, by more than 0.2":
            lambda r: beats(r, "strategies", "feature_extraction", "scratch", "test_balanced_accuracy")
            and _gain(r, "strategies", "feature_extraction", "scratch", "test_balanced_accuracy") > 0.2,
        "the pixel model stays below predicting the majority class (49 of 105)":
            lambda r: mean(r, "strategies", "pixels") < 49 / 105,
        "fine-tuning beats the head alone measurably":
            lambda r: beats(r, "strategies", "fine_tuning", "feature_extraction"),
        "but not measurably the head trained for the same 60 steps, ruling out gains above 0.07":
            lambda r: no_difference(r, "strategies", "fine_tuning", "head_continued")
            and max(map(abs, _interval(r, "strategies", "fine_tuning", "head_continued"))) < 0.07
            and comparison(r, "strategies").values("fine_tuning", "fine_tune_steps") == [60] * 5
            and comparison(r, "strategies").values("head_continued", "steps")
            == comparison(r, "strategies").values("fine_tuning", "steps"),
        "five seeds":
            lambda r: len(comparison(r, "strategies").seeds) == 5,
    },
    "01_choose_a_pretrained_model": {
        "ImageNet pretraining beats the same network with random weights by about 0.5, and raw pixels":
            lambda r: beats(r, "probes", "EfficientNetLite0 (imagenet)", "EfficientNetLite0 (random)",
                            "probe_test_accuracy")
            and mean(r, "probes", "EfficientNetLite0 (imagenet)", "probe_test_accuracy")
            - mean(r, "probes", "EfficientNetLite0 (random)", "probe_test_accuracy") > 0.4
            and beats(r, "probes", "EfficientNetLite0 (imagenet)", PIXELS, "probe_test_accuracy"),
        "the random network scores measurably below the pixels":
            lambda r: beats(r, "probes", PIXELS, "EfficientNetLite0 (random)", "probe_test_accuracy"),
        "DigitsCNN learned its digits, yet its probe is not measurably different from raw pixels":
            lambda r: r["values"]["probes"]["rows"] and no_difference(r, "probes", "DigitsCNN (digits)", PIXELS,
                                                                      "probe_test_accuracy")
            and beats(r, "probes", "EfficientNetLite0 (imagenet)", "DigitsCNN (digits)", "probe_test_accuracy"),
        "Lite1 and Lite2 are not measurably different from Lite0 at 96 px":
            lambda r: all(no_difference(r, "probes", f"EfficientNetLite{size} (imagenet)", "EfficientNetLite0 (imagenet)",
                                        "probe_test_accuracy") for size in (1, 2)),
        "DigitsCNN runs many times faster":
            lambda r: mean(r, "probes", "DigitsCNN (digits)", "images_per_second")
            > 10 * mean(r, "probes", "EfficientNetLite0 (imagenet)", "images_per_second"),
        "on the photographs ImageNet features beat pixels measurably at every size, by over 0.4":
            lambda r: all(row["measurable"] and row["gain"] > 0.4 for row in _map_gains(r, "pixels")
                          if row["target"] == "tuxpaint_photos"),
        "on Fashion-MNIST no measurable gain at any size; at 10 per class it rules out gains above 0.04":
            lambda r: all(not row["measurable"] for row in _map_gains(r, "pixels")
                          if row["target"] == "fashion_mnist_embedded")
            and [row["high"] for row in _map_gains(r, "pixels")
                 if row["target"] == "fashion_mnist_embedded" and row["samples_per_class"] == 10][0] < 0.04,
        "on the digits they lose to pixels, measurably at 2 and 5 per class":
            lambda r: all(row["measurable"] and row["gain"] < 0 for row in _map_gains(r, "pixels")
                          if row["target"] == "digits" and row["samples_per_class"] in (2, 5)),
        "every probe head trained for the same 200 optimizer steps":
            lambda r: {row["steps"] for row in comparison(r, "probes").rows if "steps" in row} == {200},
        "on MNIST digits DigitsCNN loses measurably to raw pixels and to ImageNet features":
            lambda r: beats(r, "same_domain", PIXELS, "DigitsCNN (digits)", "probe_test_accuracy")
            and beats(r, "same_domain", "EfficientNetLite0 (imagenet)", "DigitsCNN (digits)", "probe_test_accuracy"),
        "on MNIST digits ImageNet features are ahead of the pixels on average":
            lambda r: mean(r, "same_domain", "EfficientNetLite0 (imagenet)", "probe_test_accuracy")
            > mean(r, "same_domain", PIXELS, "probe_test_accuracy"),
        "the random extractor with target statistics is not degenerate; with Keras's initial ones it is":
            lambda r: (lambda rows: rows["random, statistics from the target"]["dead_share"] == 0
                       and rows["random, statistics from the target"]["effective_dimensions"]
                       > rows["imagenet"]["effective_dimensions"]
                       and rows["random, statistics from the target"]["top_component_share"] < 0.3
                       and rows["random, statistics from the target"]["feature_scale"] > 0.3
                       and rows["random, initial statistics"]["feature_scale"] < 1e-10
                       and rows["random, initial statistics"]["effective_dimensions"] < 5)(
                {row["extractor"]: row for row in r["values"]["extractor_health"]}),
        "LogME orders the five networks as the probes do (rank correlation 1), ImageNet's three on top":
            lambda r: r["values"]["logme"]["probes"][0]["rank_correlation"] == 1
            and min(mean(r, "probes", f"EfficientNetLite{size} (imagenet)", "logme") for size in (0, 1, 2))
            > max(mean(r, "probes", name, "logme") for name in ("DigitsCNN (digits)", "EfficientNetLite0 (random)")),
        "on the digits at 2 and 5 per class LogME's means for pixels and ImageNet lie within 0.002, ImageNet first on "
        "two seeds of three":
            lambda r: all(abs(mean(r, "map", "imagenet", "logme", target="digits", samples_per_class=size)
                              - mean(r, "map", "pixels", "logme", target="digits", samples_per_class=size)) < 0.0025
                          and sum(a > b for a, b in zip(
                              comparison(r, "map", target="digits", samples_per_class=size).values("imagenet", "logme"),
                              comparison(r, "map", target="digits", samples_per_class=size).values("pixels", "logme"))) == 2
                          for size in (2, 5)),
        "on the map LogME picks the probes' best in 7 of 9 cells, and differs only where the gain is not measurable":
            lambda r: sum(row["first_by_score"] == row["first_by_accuracy"] for row in r["values"]["logme"]["map"]) == 7
            and all(not gain["measurable"] for row in r["values"]["logme"]["map"]
                    if row["first_by_score"] != row["first_by_accuracy"]
                    for gain in _map_gains(r, "pixels")
                    if (gain["target"], gain["samples_per_class"]) == (row["target"], row["samples_per_class"])),
        "against random weights ImageNet features win on every target and size":
            lambda r: all(row["measurable"] and row["gain"] > 0.3 for row in _map_gains(r, "random")),
    },
    "02_freeze_and_new_head": {
        "without a recompile, setting trainable=True does not train the base":
            lambda r: r["values"]["trainable_needs_compile"]["without_compile"] == 0
            and r["values"]["trainable_needs_compile"]["with_compile"] > 0,
        "BatchNorm statistics stay put when frozen and drift when training":
            lambda r: r["values"]["batchnorm_drift"]["frozen"] == 0 and r["values"]["batchnorm_drift"]["training"] > 0,
        "the same test accuracy on images and on cached features":
            lambda r: no_difference(r, "head", "cached features", "images"),
        "caching is several times as fast, feature extraction included":
            lambda r: beats(r, "head", "cached features", "images", "seconds", higher_is_better=False)
            and mean(r, "head", "images", "seconds") > 3 * mean(r, "head", "cached features", "seconds"),
        "BatchNorm frozen or training: no measurable difference in test accuracy after a real fine-tuning budget":
            lambda r: no_difference(r, "batchnorm_harm", "frozen", "training")
            and min(comparison(r, "batchnorm_harm").values("training", "fine_tune_steps")) >= MIN_STEPS
            and mean(r, "batchnorm_harm", "frozen") >= mean(r, "batchnorm_harm", "training"),
        "training BatchNorm did not collapse the first fine-tuning epoch":
            lambda r: mean(r, "batchnorm_harm", "training", "first_epoch_val_accuracy")
            > mean(r, "batchnorm_harm", "frozen", "first_epoch_val_accuracy"),
        "tl.check finds the five mistakes made on purpose and nothing on the recommended model":
            lambda r: r["values"]["check"]["mistaken"] == ["batchnorm_updates", "stale_compile", "high_rate",
                                                          "input_range", "overlapping_splits"]
            and r["values"]["check"]["recommended"] == [],
    },
    "03_lower_learning_rate": {
        "1e-2 ends at chance in every seed and the head beats it":
            lambda r: max(comparison(r, "sweep").values("1e-02", "test_accuracy")) <= 0.11
            and beats(r, "sweep", "head only", "1e-02"),
        "the probe of the base after 1e-2 is at chance too, against 0.8 on the untouched base":
            lambda r: max(comparison(r, "sweep").values("1e-02", "probe_test_accuracy")) <= 0.11
            and mean(r, "sweep", "head only", "probe_test_accuracy") > 0.75,
        "validation chose 1e-3 with the warm-up, which beats the head and 1e-4 on validation and the head on test":
            lambda r: r["values"]["chosen_rate"] == "1e-03"
            and beats(r, "sweep", "1e-03", "head only", "validation_accuracy")
            and beats(r, "sweep", "1e-03", "1e-04", "validation_accuracy")
            and beats(r, "sweep", "1e-03", "head only"),
        "the probe of the base after 1e-3 is above the untouched base's":
            lambda r: mean(r, "sweep", "1e-03", "probe_test_accuracy")
            > mean(r, "sweep", "head only", "probe_test_accuracy"),
        "1e-3 without the warm-up falls below the head on average, but not measurably below the warmed-up run":
            lambda r: mean(r, "sweep", "1e-03 constant", "validation_accuracy")
            < mean(r, "sweep", "head only", "validation_accuracy")
            and no_difference(r, "sweep", "1e-03", "1e-03 constant", "validation_accuracy"),
        "the head trained on for the same steps gains nothing, and the chosen rate is not measurably above it":
            lambda r: mean(r, "sweep", "head continued", "validation_accuracy")
            <= mean(r, "sweep", "head only", "validation_accuracy")
            and no_difference(r, "sweep", "1e-03", "head continued")
            and comparison(r, "sweep").values("head continued", "steps")
            == comparison(r, "sweep").values("1e-03", "steps") == [192] * 3,
        "the weights move roughly six- to eightfold further per tenfold rate":
            lambda r: all(5 < mean(r, "sweep", high, "weight_change_percent")
                          / mean(r, "sweep", low, "weight_change_percent") < 9
                          for high, low in (("1e-02", "1e-03"), ("1e-03", "1e-04"))),
        "the range test's loss stays low up to 2e-4, then climbs to four times its lowest":
            lambda r: _range_test_curve_is_level_then_climbs(r["values"]["range_test"]),
        "the range test's suggestion lies far below the rate the sweep chose":
            lambda r: r["values"]["range_test"]["suggestion"] < 1e-5,
    },
    "04_gradual_unfreezing": {
        "every arm after the head trains the same 128 optimizer steps":
            lambda r: {row["fine_tune_steps"] for row in comparison(r, "schedules").rows
                       if row["schedule"] != "head"} == {128},
        "the head continued is not measurably different from the head (it had converged)":
            lambda r: no_difference(r, "schedules", "head continued", "head")
            and _interval(r, "schedules", "head continued", "head")[1] < 0.015,
        "all at once, its same-mean-rate twin and discriminative rates each beat the head continued measurably":
            lambda r: all(beats(r, "schedules", arm, "head continued")
                          for arm in ("all at once", "all at once, same mean rate", "discriminative"))
            and _gain(r, "schedules", "all at once", "head continued") > 0.03,
        "discriminative is not measurably different from all at once, at the same mean rate or the full rate":
            lambda r: no_difference(r, "schedules", "discriminative", "all at once, same mean rate")
            and no_difference(r, "schedules", "discriminative", "all at once")
            and _interval(r, "schedules", "discriminative", "all at once, same mean rate")[1] < 0.01,
        "discriminative moved the early blocks over ten times less than all at once":
            lambda r: beats(r, "schedules", "discriminative", "all at once", "early_block_change_percent",
                            higher_is_better=False)
            and mean(r, "schedules", "all at once", "early_block_change_percent")
            > 10 * mean(r, "schedules", "discriminative", "early_block_change_percent"),
        "the worst validation falls are not measurably different, and the same mean rate fell least":
            lambda r: no_difference(r, "schedules", "all at once", "discriminative", "largest_validation_drop")
            and min(("all at once", "all at once, same mean rate", "discriminative", "gradual"),
                    key=lambda arm: mean(r, "schedules", arm, "largest_validation_drop"))
            == "all at once, same mean rate",
        "gradual is not measurably different from the head continued, and all at once beats it":
            lambda r: no_difference(r, "schedules", "gradual", "head continued")
            and beats(r, "schedules", "all at once", "gradual"),
        "gradual moved the early blocks most of the way all at once did":
            lambda r: mean(r, "schedules", "gradual", "early_block_change_percent")
            > 0.7 * mean(r, "schedules", "all at once", "early_block_change_percent"),
        "four seeds":
            lambda r: len(comparison(r, "schedules").seeds) == 4,
    },
    "05_monitor_validation": {
        "5 images per class leave a train-validation gap of about 0.28 in every seed":
            lambda r: all(0.2 < gap < 0.35 for gap in comparison(r, "overfitting").values(
                "5 per class, no early stopping", "final_gap")),
        "the validation loss rose in one seed and kept creeping down in the others":
            lambda r: sorted(comparison(r, "overfitting").values("5 per class, no early stopping",
                                                                  "validation_loss_rise"))[-1] > 0.1
            and sorted(comparison(r, "overfitting").values("5 per class, no early stopping",
                                                            "validation_loss_rise"))[0] < 0.01,
        "feature extraction is ahead of the converged scratch CNN on average, but not measurably":
            lambda r: mean(r, "baselines", "feature_extraction") > mean(r, "baselines", "scratch")
            and no_difference(r, "baselines", "feature_extraction", "scratch"),
        "feature extraction beats raw pixels":
            lambda r: beats(r, "baselines", "feature_extraction", "pixels"),
        "the scratch CNN is no better than raw pixels":
            lambda r: no_difference(r, "baselines", "scratch", "pixels"),
        "the head trains several times faster than the scratch CNN":
            lambda r: mean(r, "baselines", "scratch", "seconds") > 3 * mean(r, "baselines", "feature_extraction",
                                                                            "seconds"),
        "Shirt has the lowest recall in every seed, measurably below Coat and T-shirt/top":
            lambda r: all(min(by_class, key=by_class.get) == "Shirt" for by_class in (
                {row["class"]: row["recall"] for row in comparison(r, "per_class").rows if row["seed"] == seed}
                for seed in comparison(r, "per_class").seeds))
            and beats(r, "per_class", "Coat", "Shirt", "recall")
            and beats(r, "per_class", "T-shirt/top", "Shirt", "recall"),
        "Bag, Sandal, Trouser and Ankle boot have recall above 0.9":
            lambda r: all(mean(r, "per_class", name, "recall") > 0.9
                          for name in ("Bag", "Sandal", "Trouser", "Ankle boot")),
        "Shirt taken for T-shirt/top is the most frequent confusion; the ten top losses give the truth under 1 %":
            lambda r: (r["values"]["interpretation"]["most_confused"][0]["true"],
                       r["values"]["interpretation"]["most_confused"][0]["predicted"]) == ("Shirt", "T-shirt/top")
            and len(r["values"]["interpretation"]["top_losses"]) == 10
            and all(row["probability"] < 0.01 and row["true"] != row["predicted"]
                    for row in r["values"]["interpretation"]["top_losses"]),
        "both models are overconfident: the fitted temperature is above 1 on every seed":
            lambda r: all(value > 1 for name in ("feature extraction", "fine-tuning")
                          for value in comparison(r, "calibration").values(name + " + temperature", "temperature")),
        "fine-tuning is measurably less calibrated than the head":
            lambda r: beats(r, "calibration", "feature extraction", "fine-tuning", "test_ece", higher_is_better=False),
        "a temperature above 1 fitted on validation cuts the fine-tuned ECE and log-loss measurably":
            lambda r: mean(r, "calibration", "fine-tuning + temperature", "temperature") > 1.2
            and beats(r, "calibration", "fine-tuning + temperature", "fine-tuning", "test_ece", higher_is_better=False)
            and beats(r, "calibration", "fine-tuning + temperature", "fine-tuning", "test_nll", higher_is_better=False),
        "early stopping's rewind cuts the test log-loss measurably, with and without wrong labels":
            lambda r: all(beats(r, "early_stopping", f"early stopping, {rate} % wrong labels",
                                f"last epoch, {rate} % wrong labels", "test_nll", higher_is_better=False)
                          for rate in (0, 20)),
        "its effect on test accuracy is not measurable: under 0.02 ruled out on clean labels, under 0.06 on wrong ones":
            lambda r: _interval(r, "early_stopping", "early stopping, 0 % wrong labels",
                                "last epoch, 0 % wrong labels")[1] < 0.02
            and _interval(r, "early_stopping", "early stopping, 20 % wrong labels",
                          "last epoch, 20 % wrong labels")[0] < 0
            and _interval(r, "early_stopping", "early stopping, 20 % wrong labels",
                          "last epoch, 20 % wrong labels")[1] < 0.06,
        "with wrong labels the validation loss rises by more than 0.5 after its best epoch, on every seed":
            lambda r: all(rise > 0.5 for rise in comparison(r, "early_stopping").values(
                "last epoch, 20 % wrong labels", "validation_loss_rise")),
        "for the head alone the temperature's gain in ECE is not measurable":
            lambda r: no_difference(r, "calibration", "feature extraction + temperature", "feature extraction",
                                    "test_ece"),
        "temperature scaling leaves accuracy exactly where it was":
            lambda r: all(comparison(r, "calibration").values(name, "test_accuracy")
                          == comparison(r, "calibration").values(name + " + temperature", "test_accuracy")
                          for name in ("feature extraction", "fine-tuning")),
    },
    "07_small_data_and_overfitting": {
        "every arm ran 100 steps at 1e-3 from the same converged head; early stopping ran 60 to 100":
            lambda r: all(comparison(r, "remedies").values(remedy, "steps") == [100] * 4
                          for remedy in ("none", "fewer_weights", "augmentation", "dropout", "weight_decay", "l2sp"))
            and all(60 <= steps <= 100 for steps in comparison(r, "remedies").values("early_stopping", "steps"))
            and comparison(r, "remedies").settings["learning_rate"] == 1e-3
            and all(row["converged"] for row in comparison(r, "remedies").where(remedy="head").rows),
        "without a remedy test loss rose on every seed, from 0.308 to 0.508; neither it nor accuracy measurably":
            lambda r: all(after > before for after, before in zip(comparison(r, "remedies").values("none", "test_loss"),
                                                                   comparison(r, "remedies").values("head", "test_loss")))
            and round(mean(r, "remedies", "head", "test_loss"), 3) == 0.308
            and round(mean(r, "remedies", "none", "test_loss"), 3) == 0.508
            and no_difference(r, "remedies", "none", "head", "test_loss")
            and no_difference(r, "remedies", "none", "head"),
        "dropout alone beat no remedy measurably on test accuracy":
            lambda r: beats(r, "remedies", "dropout", "none")
            and all(no_difference(r, "remedies", remedy, "none")
                    for remedy in ("fewer_weights", "augmentation", "weight_decay", "l2sp", "early_stopping"))
            and all(no_difference(r, "remedies", remedy, "none", "test_loss")
                    for remedy in ("fewer_weights", "augmentation", "dropout", "weight_decay", "l2sp",
                                   "early_stopping")),
        "weight decay moved the base further than no remedy, L2-SP less, fewer weights not at all":
            lambda r: min(comparison(r, "remedies").values("weight_decay", "weight_change_percent"))
            > max(comparison(r, "remedies").values("none", "weight_change_percent"))
            > max(comparison(r, "remedies").values("l2sp", "weight_change_percent"))
            and comparison(r, "remedies").values("fewer_weights", "weight_change_percent") == [0.0] * 4,
        "weight decay's interval is centred on zero and narrower than augmentation's":
            lambda r: abs(sum(_interval(r, "remedies", "weight_decay", "none"))) < 1e-3
            and _interval(r, "remedies", "weight_decay", "none")[1] < _interval(r, "remedies", "augmentation", "none")[1],
        "augmentation +0.021, helping on two seeds, hurting on one, tying on one":
            lambda r: sorted((a > b) - (a < b) for a, b in zip(
                comparison(r, "remedies").values("augmentation", "test_accuracy"),
                comparison(r, "remedies").values("none", "test_accuracy"))) == [-1, 0, 1, 1]
            and round(comparison(r, "remedies").verdict("augmentation", "none").difference, 3) == 0.021,
        "training accuracy 1.000 for every arm but early stopping":
            lambda r: all(value == 1.0 for row in comparison(r, "remedies").rows if row["remedy"] != "early_stopping"
                          for value in [row["train_accuracy"]]),
        "early stopping kept far fewer steps than it ran: 27.5 on average, 10 to 70":
            lambda r: comparison(r, "remedies").values("early_stopping", "steps_kept") == [10, 20, 70, 10]
            and all(kept < ran for kept, ran in zip(comparison(r, "remedies").values("early_stopping", "steps_kept"),
                                                    comparison(r, "remedies").values("early_stopping", "steps"))),
        "its first seed kept weights whose validation loss was already above the head's":
            lambda r: comparison(r, "remedies").values("early_stopping", "validation_loss")[0]
            > comparison(r, "remedies").values("head", "validation_loss")[0],
        "four seeds": lambda r: len(comparison(r, "remedies").seeds) == 4,
    },
    "06_feature_extraction_vs_fine_tuning": {
        "every head converged; fine-tuning and its control each ran 120 to 130 steps":
            lambda r: all(row["converged"] for row in comparison(r, "gains").where(variant="head").rows)
            and all(120 <= row["fine_tune_steps"] <= 130 for row in comparison(r, "gains").rows
                    if row["variant"] != "head"),
        "the head continued stays within a few thousandths of the head":
            lambda r: all(abs(control["gain"] - head["gain"]) < 0.006
                          for control, head in zip(_gains(r), _gains(r, "head"))),
        "fine-tuning moved the unfrozen kernels by 0.681 to 0.912 % on average, under 1 %":
            lambda r: all(0.6 < row["weight_change_percent"] < 1 for row in _gains(r)),
        "gains measurable at 5 per class on both targets, photographs more than Fashion-MNIST, intervals apart":
            lambda r: _gain_row(r, "tuxpaint_photos", 5)["measurable"]
            and _gain_row(r, "fashion_mnist_embedded", 5)["measurable"]
            and _gain_row(r, "tuxpaint_photos", 5)["low"] > _gain_row(r, "fashion_mnist_embedded", 5)["high"],
        "not measurable at 10 per class on either target, nor at 20 or 100 on Fashion-MNIST":
            lambda r: not any(_gain_row(r, target, size)["measurable"]
                              for target, size in (("tuxpaint_photos", 10), ("fashion_mnist_embedded", 10),
                                                   ("fashion_mnist_embedded", 20), ("fashion_mnist_embedded", 100))),
        "measurably negative at 50 per class on Fashion-MNIST":
            lambda r: _gain_row(r, "fashion_mnist_embedded", 50)["measurable"]
            and _gain_row(r, "fashion_mnist_embedded", 50)["gain"] < 0,
        "the head alone rises with data on Fashion-MNIST":
            lambda r: mean(r, "gains", "head", target="fashion_mnist_embedded", samples_per_class=100)
            > mean(r, "gains", "head", target="fashion_mnist_embedded", samples_per_class=5) + 0.1,
        "five sizes on Fashion-MNIST and four seeds":
            lambda r: comparison(r, "gains").settings["targets"]["fashion_mnist_embedded"] == [5, 10, 20, 50, 100]
            and len(comparison(r, "gains").seeds) == 4,
    },
    "09_imbalanced_data": {
        "every arm trains for the same 900 optimizer steps":
            lambda r: {row["steps"] for row in comparison(r, "remedies").rows} == {900},
        "the three rarest classes keep a mean recall above 0.8":
            lambda r: mean(r, "remedies", "none", "rarest_3_recall") > 0.8,
        "Shirt, with 41 images, falls below 0.3 recall":
            lambda r: mean(r, "remedies", "none", "recall_Shirt") < 0.3
            and r["values"]["remedies"]["settings"]["training_counts"]["0"]["Shirt"] == 41,
        "Shirt is the worst class with no remedy, and still the worst on balanced data":
            lambda r: all(row["recall_Shirt"] == row["worst_class_recall"]
                          for row in comparison(r, "remedies").rows if row["remedy"] in ("none", "balanced_data")),
        "the balanced control raises Shirt's recall measurably, by more than 0.25":
            lambda r: beats(r, "remedies", "balanced_data", "none", "recall_Shirt")
            and _gain(r, "remedies", "balanced_data", "none", "recall_Shirt") > 0.25,
        "the balanced control raises balanced accuracy measurably":
            lambda r: beats(r, "remedies", "balanced_data", "none", "balanced_accuracy"),
        "logit adjustment and class weights raise balanced accuracy measurably, by under 0.03":
            lambda r: all(beats(r, "remedies", remedy, "none", "balanced_accuracy")
                          and _gain(r, "remedies", remedy, "none", "balanced_accuracy") < 0.03
                          for remedy in ("logit_adjustment", "class_weights")),
        "oversampling raises Shirt's recall measurably, balanced accuracy not measurably":
            lambda r: beats(r, "remedies", "oversample", "none", "recall_Shirt")
            and no_difference(r, "remedies", "oversample", "none", "balanced_accuracy"),
        "focal loss lowers balanced accuracy measurably":
            lambda r: beats(r, "remedies", "none", "focal_loss", "balanced_accuracy"),
        "undersampling raises Shirt's recall the most; its cost in balanced accuracy is not measurable":
            lambda r: beats(r, "remedies", "undersample", "none", "recall_Shirt")
            and all(mean(r, "remedies", "undersample", "recall_Shirt") >= mean(r, "remedies", remedy, "recall_Shirt")
                    for remedy in REMEDIES_09)
            and no_difference(r, "remedies", "undersample", "none", "balanced_accuracy"),
        "every remedy falls short of the balanced control on balanced accuracy and on Shirt":
            lambda r: all(mean(r, "remedies", remedy, metric) < mean(r, "remedies", "balanced_data", metric)
                          for remedy in REMEDIES_09 for metric in ("balanced_accuracy", "recall_Shirt")),
    },
    "10_catastrophic_forgetting": {
        "every method trains for the same 640 optimizer steps":
            lambda r: {row["steps"] for row in comparison(r, "methods").rows} == {640},
        "the old task starts near 0.97":
            lambda r: mean(r, "methods", "naive", "old_task_before") > 0.96,
        "naive fine-tuning forgets almost all of it":
            lambda r: mean(r, "methods", "naive", "old_task_accuracy") < 0.2,
        "the frozen base forgets nothing and learns the new task measurably worse than naive, by over 0.1":
            lambda r: mean(r, "methods", "frozen_base", "forgetting") == 0
            and beats(r, "methods", "naive", "frozen_base", "new_task_accuracy")
            and _gain(r, "methods", "naive", "frozen_base", "new_task_accuracy") > 0.1,
        "a lower rate for the base protects nothing measurably and costs the new task measurably":
            lambda r: no_difference(r, "methods", "low_lr", "naive", "old_task_accuracy")
            and beats(r, "methods", "naive", "low_lr", "new_task_accuracy"),
        "L2-SP keeps the old task above 0.9, the frozen base measurably more; on the new task they do not differ":
            lambda r: mean(r, "methods", "l2sp", "old_task_accuracy") > 0.9
            and beats(r, "methods", "frozen_base", "l2sp", "old_task_accuracy")
            and no_difference(r, "methods", "l2sp", "frozen_base", "new_task_accuracy"),
        "LwF and rehearsal are not measurably different on either task":
            lambda r: all(no_difference(r, "methods", "lwf", "rehearsal", metric)
                          for metric in ("old_task_accuracy", "new_task_accuracy")),
        "rehearsal keeps the old task above 0.9 at a measurable cost under 0.05 on the new one":
            lambda r: mean(r, "methods", "rehearsal", "old_task_accuracy") > 0.9
            and beats(r, "methods", "naive", "rehearsal", "new_task_accuracy")
            and _gain(r, "methods", "naive", "rehearsal", "new_task_accuracy") < 0.05,
        "LwF keeps the old task on every seed (above 0.8) with no measurable cost on the new one":
            lambda r: min(comparison(r, "methods").values("lwf", "old_task_accuracy")) > 0.8
            and beats(r, "methods", "lwf", "naive", "old_task_accuracy")
            and no_difference(r, "methods", "lwf", "naive", "new_task_accuracy"),
        "L2-SP at alpha 1 costs the new task measurably and protects nothing measurably":
            lambda r: beats(r, "l2sp_sweep", 0.0, 1.0, "new_task_accuracy")
            and no_difference(r, "l2sp_sweep", 1.0, 0.0, "old_task_accuracy"),
        "from alpha 300 up the old task stays above 0.9":
            lambda r: all(mean(r, "l2sp_sweep", alpha, "old_task_accuracy") > 0.9 for alpha in (300.0, 3000.0)),
    },
    "11_explainability": {
        "the astronaut is called a bobsled and the rocket a drilling platform":
            lambda r: r["values"]["imagenet_top_classes"][2:] == ["bobsled", "drilling platform"]
            and r["values"]["imagenet_top_classes"][:2] == ["Egyptian cat", "espresso"],
        "every seed fine-tuned for 96 steps, its test accuracy at or above the converged head's, by over 0.03 on average":
            lambda r: all(row["steps"] == 96 and row["fine_tuned"] >= row["head"] for row in r["values"]["test_accuracy"])
            and sum(row["fine_tuned"] - row["head"] for row in r["values"]["test_accuracy"])
            / len(r["values"]["test_accuracy"]) > 0.03,
        "down to depth 7, the mean CKA with the pretrained network is at least 0.985":
            lambda r: all(_depth_mean(r, "pretrained vs fine-tuned", depth) >= 0.985 for depth in range(1, 8)),
        "CKA falls from depth 8 to 10, and is lowest at depths 11 and 12, under 0.8":
            lambda r: _depth_mean(r, "pretrained vs fine-tuned", 8) > _depth_mean(r, "pretrained vs fine-tuned", 9)
            > _depth_mean(r, "pretrained vs fine-tuned", 10) > max(_depth_mean(r, "pretrained vs fine-tuned", depth)
                                                                  for depth in (11, 12))
            and max(_depth_mean(r, "pretrained vs fine-tuned", depth) for depth in (11, 12)) < 0.8,
        "two fine-tuned runs are measurably closer to each other than to the pretrained network at depths 10 and 12 only":
            lambda r: all(beats(r, "similarity", "two fine-tuned runs", "pretrained vs fine-tuned", "cka", depth=depth)
                          for depth in (10, 12))
            and all(no_difference(r, "similarity", "two fine-tuned runs", "pretrained vs fine-tuned", "cka", depth=depth)
                    for depth in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11)),
        "at depth 11 the runs differ from each other more than from the pretrained network, on average":
            lambda r: _depth_mean(r, "two fine-tuned runs", 11) < _depth_mean(r, "pretrained vs fine-tuned", 11)
            and min(range(1, 13), key=lambda depth: _depth_mean(r, "two fine-tuned runs", depth)) == 11,
        "weights: the stem and block00 moved under 1 %, every block from block12 up 6 to 9 %":
            lambda r: all(mean(r, "weight_change", block, "change_percent") < 1 for block in ("stem", "block00"))
            and all(6 <= mean(r, "weight_change", block, "change_percent") <= 9
                    for block in ("block12", "block13", "block14", "block15", "top")),
        "the first block of each stage moved less than the block after it":
            lambda r: all(mean(r, "weight_change", f"block{first:02d}", "change_percent")
                          < mean(r, "weight_change", following, "change_percent")
                          for first, following in ((1, "block02"), (3, "block04"), (5, "block06"), (8, "block09"),
                                                   (11, "block12"), (15, "top"))),
    },
    "12_deployment_size_and_speed": {
        "file size is the parameter count times four bytes, within 10 %":
            lambda r: all(abs(row["keras_file_mb"] * 1e6 / (4 * row["parameters"]) - 1) < 0.1
                          for row in comparison(r, "sizes").rows if row["parameters"] > 1e6),
        "ResNet50 has about 7 times Lite0's parameters; in TFLite it takes over 8 times as long, through Keras "
        "under half that ratio":
            lambda r: 6 < _ratio(r, "parameters") < 8 and _ratio(r, "tflite_latency_ms") > 8
            and _ratio(r, "keras_latency_ms") < _ratio(r, "tflite_latency_ms") / 2
            and beats(r, "sizes", "EfficientNetLite0", "ResNet50", "tflite_latency_ms", higher_is_better=False),
        "Keras's fixed cost per call: DigitsCNN takes several times longer through Keras than in TFLite":
            lambda r: mean(r, "sizes", "DigitsCNN", "keras_latency_ms") > 3 * mean(r, "sizes", "DigitsCNN",
                                                                                "tflite_latency_ms"),
        "MobileNetV2 has the fewest parameters of the ImageNet networks, and is faster than Lite0 on average in "
        "TFLite, not measurably":
            lambda r: min(("MobileNetV2", "EfficientNetLite0", "ResNet50"),
                          key=lambda name: mean(r, "sizes", name, "parameters")) == "MobileNetV2"
            and mean(r, "sizes", "MobileNetV2", "tflite_latency_ms") < mean(r, "sizes", "EfficientNetLite0",
                                                                            "tflite_latency_ms")
            and no_difference(r, "sizes", "MobileNetV2", "EfficientNetLite0", "tflite_latency_ms"),
        "the reloaded SavedModel gives the Keras model's logits and classes":
            lambda r: r["values"]["served"]["max_logit_difference"] < 1e-4 and r["values"]["served"]["same_prediction"] == 1,
        "neither 8-bit variant changed accuracy measurably":
            lambda r: all(no_difference(r, "tflite", variant, "keras", "accuracy") for variant in ("dynamic", "int8")),
        "8-bit files are 3 to 4 times smaller":
            lambda r: all(3 < mean(r, "tflite", "float32", "tflite_mb") / mean(r, "tflite", variant, "tflite_mb") < 4
                          for variant in ("dynamic", "int8")),
        "on a processor without 8-bit dot products, neither 8-bit variant is measurably faster than float32; int8 "
        "is faster on every seed, dynamic range slower on every seed":
            lambda r: "none found" in r["values"]["processor"]
            and all(no_difference(r, "tflite", variant, "float32", "latency_ms") for variant in ("dynamic", "int8"))
            and _every_seed(r, "tflite", "float32", "int8", "latency_ms")
            and _every_seed(r, "tflite", "dynamic", "float32", "latency_ms"),
        "the TFLite interpreter is several times faster per image than Keras's predict_on_batch":
            lambda r: mean(r, "sizes", "EfficientNetLite0", "keras_latency_ms")
            > 2.5 * mean(r, "sizes", "EfficientNetLite0", "tflite_latency_ms"),
    },
    "13_text_transfer": {
        "at 8 and 32 sentences per class MiniLM and TF-IDF are not measurably different":
            lambda r: all(no_difference(r, "curve", "frozen", "tfidf", "movies_accuracy", samples_per_class=size)
                          for size in (8, 32)),
        "at 128 and 512 per class frozen MiniLM beats TF-IDF, by less at 512: TF-IDF gains more from data":
            lambda r: all(beats(r, "curve", "frozen", "tfidf", "movies_accuracy", samples_per_class=size)
                          for size in (128, 512))
            and _gain(r, "curve", "frozen", "tfidf", "movies_accuracy", samples_per_class=512)
            < _gain(r, "curve", "frozen", "tfidf", "movies_accuracy", samples_per_class=128)
            and mean(r, "curve", "tfidf", "movies_accuracy", samples_per_class=512)
            - mean(r, "curve", "tfidf", "movies_accuracy", samples_per_class=128)
            > mean(r, "curve", "frozen", "movies_accuracy", samples_per_class=512)
            - mean(r, "curve", "frozen", "movies_accuracy", samples_per_class=128),
        "every head of the curve, TF-IDF's and MiniLM's, is a converged fit":
            lambda r: all(row["converged"] is True for row in comparison(r, "curve").rows),
        "after 256 steps each, no arm is measurably different from the converged head, and gains over 0.025 are ruled out":
            lambda r: all(no_difference(r, "adaptation", strategy, "frozen", "movies_accuracy")
                          and _interval(r, "adaptation", strategy, "frozen", "movies_accuracy")[1] < 0.025
                          and min(comparison(r, "adaptation").values(strategy, "steps")) >= 256
                          for strategy in ("head_only", "fine_tune", "lora")),
        "fine-tuning fits its training sentences better than the head alone, on every seed":
            lambda r: _every_seed(r, "adaptation", "fine_tune", "head_only", "train_accuracy")
            and _every_seed(r, "adaptation", "fine_tune", "frozen", "train_accuracy"),
        "LoRA trains far fewer numbers than fine-tuning, and removing it restores the pretrained encoder exactly":
            lambda r: mean(r, "adaptation", "lora", "trainable_parameters")
            < 0.05 * mean(r, "adaptation", "fine_tune", "trainable_parameters")
            and all(row["pretrained_weights_changed"] == 0.0 and row["removed_max_difference"] == 0.0
                    for row in comparison(r, "adaptation").rows if row["strategy"] == "lora"),
        "trained on movies, MiniLM beats TF-IDF measurably on tweets and amazon, not on nyt":
            lambda r: beats(r, "shift", "frozen", "tfidf", "tweets_accuracy")
            and beats(r, "shift", "frozen", "tfidf", "amazon_accuracy")
            and no_difference(r, "shift", "frozen", "tfidf", "nyt_accuracy"),
        "MiniLM trained in-domain beats MiniLM trained on movies on every target, by the most on tweets":
            lambda r: all(beats(r, "shift", "frozen, in-domain", "frozen", f"{target}_accuracy")
                          for target in ("tweets", "amazon", "nyt"))
            and max(("tweets", "amazon", "nyt"), key=lambda target: _gain(
                r, "shift", "frozen, in-domain", "frozen", f"{target}_accuracy")) == "tweets",
        "on tweets the shift cost TF-IDF and MiniLM within 0.03 of each other; MiniLM leads in-domain too":
            lambda r: abs(_gain(r, "shift", "tfidf, in-domain", "tfidf", "tweets_accuracy")
                          - _gain(r, "shift", "frozen, in-domain", "frozen", "tweets_accuracy")) < 0.03
            and beats(r, "shift", "frozen, in-domain", "tfidf, in-domain", "tweets_accuracy"),
        "TF-IDF trained on 100 editorials per class is within 0.02 of chance, below its movie-trained self on every seed":
            lambda r: abs(mean(r, "shift", "tfidf, in-domain", "nyt_accuracy") - 0.5) < 0.02
            and _every_seed(r, "shift", "tfidf", "tfidf, in-domain", "nyt_accuracy"),
    },
    "14_speech_transfer": {
        "MFCC statistics of the same audio beat the frozen speaker encoder on synthetic speakers and languages":
            lambda r: all(beats(r, task, "mfcc", "frozen") for task in ("speaker", "language")),
        "on the recordings and the digits the encoder is ahead on average, not measurably; an MFCC lead over "
        "0.01 is ruled out on the recordings":
            lambda r: all(no_difference(r, task, "frozen", "mfcc") and _gain(r, task, "frozen", "mfcc") > 0
                          for task in ("recorded", "digit"))
            and _interval(r, "recorded", "frozen", "mfcc")[0] > -0.01,
        "MFCC over the whole clip is not measurably different from MFCC over the encoder's 1.6 s, on any task":
            lambda r: all(no_difference(r, task, "mfcc_whole_clip", "mfcc")
                          for task in ("speaker", "digit", "language", "recorded"))
            and _interval(r, "recorded", "mfcc_whole_clip", "mfcc")[1] < 0.03,
        "pretraining beats random weights on every task, by the most on the two a voice can solve":
            lambda r: all(beats(r, task, "frozen", "random") for task in ("speaker", "digit", "language", "recorded"))
            and min(_gain(r, task, "frozen", "random") for task in ("speaker", "recorded"))
            > max(_gain(r, task, "frozen", "random") for task in ("digit", "language")),
        "fine-tuning is not measurably different from its head-only control; the control not from the converged head":
            lambda r: all(no_difference(r, task, "fine_tune", "head_only") and no_difference(r, task, "head_only", "frozen")
                          and min(comparison(r, task).values("fine_tune", "steps")) >= 64
                          and comparison(r, task).values("fine_tune", "steps")
                          == comparison(r, task).values("head_only", "steps")
                          for task in ("digit", "recorded"))
            and comparison(r, "digit").values("head_only", "test_accuracy")
            == comparison(r, "digit").values("frozen", "test_accuracy"),
        "every head of the encoder is a converged fit":
            lambda r: all(row["converged"] is True for task in ("speaker", "digit", "language", "recorded")
                          for row in comparison(r, task).rows if row["strategy"] in ("frozen", "random")),
        "five seeds":
            lambda r: all(len(comparison(r, task).seeds) == 5 for task in ("speaker", "digit", "language", "recorded")),
    },
    "15_types_of_transfer": {
        "inductive: sentence embeddings beat TF-IDF at 16 per class, by under 0.1":
            lambda r: beats(r, "inductive", "sentence embeddings", "TF-IDF", "movies_accuracy")
            and _gain(r, "inductive", "sentence embeddings", "TF-IDF", "movies_accuracy") < 0.1,
        "validation chose strong regularisation (C under 0.01) for the embedding head":
            lambda r: mean(r, "inductive", "sentence embeddings", "strength") < 0.01,
        "tweets: labels in the domain gain measurably, yet neither self-training nor standardising (against its "
        "control) does, and no gain above 0.01 is left open for self-training":
            lambda r: beats(r, "tweets", "in-domain labels", "source only", "target_accuracy")
            and no_difference(r, "tweets", "self-training", "source only", "target_accuracy")
            and _interval(r, "tweets", "self-training", "source only", "target_accuracy")[1] < 0.01
            and no_difference(r, "tweets", "standardised", "source only, rescaled", "target_accuracy"),
        "tweets: after standardising, fewer of the pseudo-labels are right on average":
            lambda r: mean(r, "tweets", "standardised + self-training", "pseudo_label_precision")
            < mean(r, "tweets", "self-training", "pseudo_label_precision"),
        "tweets: about one pseudo-label in five is wrong":
            lambda r: 0.7 < mean(r, "tweets", "self-training", "pseudo_label_precision") < 0.85,
        "clothing: self-training alone makes no measurable difference; standardising beats its rescaling control, "
        "closing under half of the gap":
            lambda r: no_difference(r, "clothing", "self-training", "source only", "target_accuracy")
            and beats(r, "clothing", "standardised", "source only, rescaled", "target_accuracy")
            and _gain(r, "clothing", "standardised", "source only", "target_accuracy")
            < 0.5 * _gain(r, "clothing", "in-domain labels", "source only", "target_accuracy"),
        "clothing: self-training after standardising adds to standardising, with more correct pseudo-labels, "
        "and a precision rise the seeds cannot confirm":
            lambda r: beats(r, "clothing", "standardised + self-training", "standardised", "target_accuracy")
            and beats(r, "clothing", "standardised + self-training", "self-training", "correct_pseudo_labels")
            and no_difference(r, "clothing", "standardised + self-training", "self-training", "pseudo_label_precision"),
        "clothing: in-domain labels beat the best adaptation, which closed less than half of the gap":
            lambda r: beats(r, "clothing", "in-domain labels", "standardised + self-training", "target_accuracy")
            and _gain(r, "clothing", "standardised + self-training", "source only", "target_accuracy")
            < 0.5 * _gain(r, "clothing", "in-domain labels", "source only", "target_accuracy"),
        "unsupervised: ImageNet features beat pixels on clustering and retrieval":
            lambda r: all(beats(r, "unsupervised", "clothing: ImageNet features", "clothing: raw pixels", metric)
                          for metric in ("nmi", "ari", "recall_at_5")),
        "MiniLM clusters the text domains far better than TF-IDF, which is near 0":
            lambda r: beats(r, "unsupervised", "text domains: MiniLM", "text domains: TF-IDF", "nmi")
            and mean(r, "unsupervised", "text domains: TF-IDF", "nmi") < 0.15,
        "LSA helps TF-IDF's clusters, leaves its retrieval unmeasurably changed, and stays far below MiniLM":
            lambda r: beats(r, "unsupervised", "text domains: TF-IDF + LSA", "text domains: TF-IDF", "nmi")
            and no_difference(r, "unsupervised", "text domains: TF-IDF + LSA", "text domains: TF-IDF", "recall_at_5")
            and _gain(r, "unsupervised", "text domains: MiniLM", "text domains: TF-IDF + LSA", "nmi") > 0.25,
        "MiniLM's recall@5 gain over TF-IDF is measurable but small, and both are above chance (0.76)":
            lambda r: beats(r, "unsupervised", "text domains: MiniLM", "text domains: TF-IDF", "recall_at_5")
            and _gain(r, "unsupervised", "text domains: MiniLM", "text domains: TF-IDF", "recall_at_5") < 0.05
            and mean(r, "unsupervised", "text domains: TF-IDF", "recall_at_5") > 1 - 0.75 ** 5,
    },
    "16_licensing_and_privacy": {
        "every variant's AUC is above 0.5 with an interval that starts more than 0.25 above it":
            lambda r: all(min(_interval_against(comparison(r, "membership").values(variant, "attack_auc"), 0.5)) > 0.25
                          for variant in comparison(r, "membership").variants),
        "yet at 1 % false positives under 0.05 of the members are exposed, and at 5 % under 0.15":
            lambda r: all(mean(r, "membership", variant, "tpr_at_1_percent_fpr") < 0.05
                          and 0.05 < mean(r, "membership", variant, "tpr_at_5_percent_fpr") < 0.15
                          for variant in comparison(r, "membership").variants),
        "every variant fits its 50 training photographs while 0.8 to 0.9 of the test photographs are right":
            lambda r: all(mean(r, "membership", variant, "train_accuracy") > 0.99
                          and 0.8 < mean(r, "membership", variant, "test_accuracy") < 0.9
                          for variant in comparison(r, "membership").variants),
        "early stopping judged on 30 validation photographs":
            lambda r: r["values"]["membership"]["settings"]["validation_split"] * 10 * 5 == 30,
        "training the head long leaks measurably more than stopping it early, at no measurable gain in accuracy":
            lambda r: beats(r, "membership", "head, long", "head, early stopping", "attack_auc")
            and no_difference(r, "membership", "head, long", "head, early stopping"),
        "fine-tuning and the head are not measurably different, stopped early (ruling out 0.05 extra AUC) or long":
            lambda r: no_difference(r, "membership", "fine-tune, early stopping", "head, early stopping", "attack_auc")
            and _interval(r, "membership", "fine-tune, early stopping", "head, early stopping", "attack_auc")[1] < 0.05
            and no_difference(r, "membership", "fine-tune, long", "head, long", "attack_auc"),
        "fewer photographs leak more: the AUC falls measurably from 4 to 7 to 10 per class":
            lambda r: beats(r, "by_size", 4, 7, "attack_auc") and beats(r, "by_size", 7, 10, "attack_auc"),
        "at 4 per class the attack exposes over 0.7 of the members at 5 % false positives":
            lambda r: mean(r, "by_size", 4, "tpr_at_5_percent_fpr") > 0.7,
        "one threshold for all classes gives a lower AUC than thresholds per class, for every variant":
            lambda r: all(mean(r, "membership", variant, "attack_auc_one_threshold")
                          < mean(r, "membership", variant, "attack_auc")
                          for variant in comparison(r, "membership").variants),
        "five seeds":
            lambda r: len(comparison(r, "membership").seeds) == 5,
    },
    "17_label_noise": {
        "choosing C on validation beats the weakly regularised head measurably at every noisy setting":
            lambda r: all(beats(r, "noise", "feature_extraction", "weakly_regularised", noise_rate=rate,
                                samples_per_class=size) for rate in (0.2, 0.4) for size in (50, 200))
            and min(_interval(r, "noise", "feature_extraction", "weakly_regularised", noise_rate=0.4,
                              samples_per_class=200)) > 0.2,
        "without flips the two heads are not measurably different":
            lambda r: all(no_difference(r, "noise", "weakly_regularised", "feature_extraction", noise_rate=0.0,
                                        samples_per_class=size) for size in (50, 200)),
        "validation chose C = 0.001 for the head on every noisy label at 40 %":
            lambda r: {row["strength"] for row in comparison(r, "noise", noise_rate=0.4).rows
                       if row["strategy"] == "feature_extraction"} == {0.001},
        "cleaning pays measurably for the weakly regularised head at every noisy setting, and stays below the tuned head":
            lambda r: all(beats(r, "noise", "weakly_regularised_cleaned", "weakly_regularised", noise_rate=rate,
                                samples_per_class=size) for rate in (0.2, 0.4) for size in (50, 200))
            and mean(r, "noise", "weakly_regularised_cleaned", noise_rate=0.4, samples_per_class=200)
            < mean(r, "noise", "feature_extraction", noise_rate=0.4, samples_per_class=200),
        "cleaning never beats the tuned head measurably, and loses measurably only at 200 per class without flips":
            lambda r: [(size, rate) for size in (50, 200) for rate in (0.0, 0.2, 0.4)
                       if not no_difference(r, "noise", "cleaned", "feature_extraction", noise_rate=rate,
                                            samples_per_class=size)] == [(200, 0.0)]
            and beats(r, "noise", "feature_extraction", "cleaned", noise_rate=0.0, samples_per_class=200),
        "relabelling is never measurably better than the tuned head, and worse without flips":
            lambda r: not any(beats(r, "noise", "relabelled", "feature_extraction", noise_rate=rate,
                                    samples_per_class=size) for size in (50, 200) for rate in (0.0, 0.2, 0.4))
            and all(beats(r, "noise", "feature_extraction", "relabelled", noise_rate=0.0, samples_per_class=size)
                    for size in (50, 200)),
        "the oracle at 40 % is just short of measurable over the tuned head":
            lambda r: all(no_difference(r, "noise", "oracle", "feature_extraction", noise_rate=0.4,
                                        samples_per_class=size)
                          and mean(r, "noise", "oracle", noise_rate=0.4, samples_per_class=size)
                          > mean(r, "noise", "feature_extraction", noise_rate=0.4, samples_per_class=size)
                          for size in (50, 200)),
        "the features beat pixels measurably only at 200 per class without flips":
            lambda r: [(size, rate) for size in (50, 200) for rate in (0.0, 0.2, 0.4)
                       if beats(r, "noise", "feature_extraction", "pixels", noise_rate=rate, samples_per_class=size)]
            == [(200, 0.0)],
        "the noise estimate is above the true rate in every run, and the detector is right on at most 0.83":
            lambda r: all(row["estimated_noise_rate"] > row["true_noise_rate"] and row["detector_accuracy"] <= 0.83
                          for row in comparison(r, "noise").rows if row["strategy"] == "cleaned"),
        "with no flips it flags more than a twentieth of the right labels":
            lambda r: all(row["false_issues"] > 0.05 * (row["training_examples"] + row["issues"])  # all kept + flagged
                          for row in comparison(r, "noise", noise_rate=0.0).rows if row["strategy"] == "cleaned"),
        "recall above 0.75, precision of the flags rising with the rate, top-k losses far above chance":
            lambda r: all(mean(r, "noise", "cleaned", "issue_recall", noise_rate=rate, samples_per_class=size) > 0.75
                          and mean(r, "noise", "cleaned", "issue_precision", noise_rate=0.4, samples_per_class=size)
                          > mean(r, "noise", "cleaned", "issue_precision", noise_rate=0.2, samples_per_class=size)
                          and mean(r, "noise", "cleaned", "precision_at_k", noise_rate=rate,
                                   samples_per_class=size) > rate + 0.3
                          for rate in (0.2, 0.4) for size in (50, 200)),
        "relabelling restores the true label for 0.4 to 0.7 of the flagged images":
            lambda r: all(0.4 < mean(r, "noise", "relabelled", "relabels_right", noise_rate=rate,
                                     samples_per_class=size) < 0.7
                          for rate in (0.2, 0.4) for size in (50, 200)),
        "every fit converged, over three seeds":
            lambda r: all(row["converged"] for row in comparison(r, "noise").rows)
            and len(comparison(r, "noise").seeds) == 3,
    },
    "18_simulation_to_reality": {
        "one plain rendering per digit: under 0.35 on real digits":
            lambda r: mean(r, "simulation", "one_font", real_samples_per_class=0) < 0.35,
        "randomising every factor lifts real accuracy measurably while its renderings validate lower":
            lambda r: beats(r, "simulation", "randomised", "one_font", real_samples_per_class=0)
            and mean(r, "simulation", "randomised", "validation_accuracy", real_samples_per_class=0)
            < mean(r, "simulation", "one_font", "validation_accuracy", real_samples_per_class=0),
        "the full stroke range brackets real strokes; the thick-only range leaves out their thinner half":
            lambda r: r["values"]["stroke_widths"]["randomised"]["p5"] < r["values"]["stroke_widths"]["real (MNIST)"]["p5"]
            and r["values"]["stroke_widths"]["randomised"]["p95"] > r["values"]["stroke_widths"]["real (MNIST)"]["p95"]
            and r["values"]["stroke_widths"]["thick strokes only"]["p5"]
            > r["values"]["stroke_widths"]["real (MNIST)"]["median"],
        "without warping, without the fonts and with thick strokes only, real accuracy falls measurably":
            lambda r: all(beats(r, "simulation", "randomised", ablation, real_samples_per_class=0)
                          for ablation in ("without_warp", "without_font", "thick_strokes_only")),
        "size, rotation, stroke and blur held plain: no measurable difference":
            lambda r: all(no_difference(r, "simulation", ablation, "randomised", real_samples_per_class=0)
                          for ablation in ("without_size", "without_rotation", "without_stroke", "without_blur")),
        "the ablations that validate best transfer worst":
            lambda r: all(mean(r, "simulation", ablation, "validation_accuracy", real_samples_per_class=0)
                          > mean(r, "simulation", "randomised", "validation_accuracy", real_samples_per_class=0)
                          and mean(r, "simulation", ablation, real_samples_per_class=0)
                          < mean(r, "simulation", "randomised", real_samples_per_class=0)
                          for ablation in ("without_warp", "without_font")),
        "fine-tuning on renderings is ahead of its control, not measurably; the control moved nothing":
            lambda r: no_difference(r, "simulation", "fine_tuned", "head_continued", real_samples_per_class=0)
            and _gain(r, "simulation", "fine_tuned", "head_continued", real_samples_per_class=0) > 0
            and no_difference(r, "simulation", "head_continued", "randomised", real_samples_per_class=0)
            and max(abs(bound) for bound in _interval(r, "simulation", "head_continued", "randomised",
                                                      real_samples_per_class=0)) < 0.01,
        "the gap stays open: fine-tuned on renderings, real accuracy below 0.7 and far below validation":
            lambda r: mean(r, "simulation", "fine_tuned", real_samples_per_class=0) < 0.7
            and mean(r, "simulation", "fine_tuned", "validation_accuracy", real_samples_per_class=0)
            - mean(r, "simulation", "fine_tuned", real_samples_per_class=0) > 0.2,
        "with 3 real digits, the simulator then real beats both real-only strategies and the simulator alone":
            lambda r: all(beats(r, "simulation", "simulation_then_real", other, real_samples_per_class=3)
                          for other in ("real_fine_tuned", "real_pixels"))
            and _simulator_gain(r).measurable and _simulator_gain(r).difference > 0,
        "with 10, not measurably different from either, ruling out a lead above 0.06 over fine-tuning":
            lambda r: all(no_difference(r, "simulation", "simulation_then_real", other, real_samples_per_class=10)
                          for other in ("real_fine_tuned", "real_pixels"))
            and _interval(r, "simulation", "simulation_then_real", "real_fine_tuned", real_samples_per_class=10)[1]
            < 0.06,
        "in these runs the mean lead over fine-tuning from ImageNet is smaller at 10 real digits than at 3":
            lambda r: _gain(r, "simulation", "simulation_then_real", "real_fine_tuned", real_samples_per_class=3)
            > _gain(r, "simulation", "simulation_then_real", "real_fine_tuned", real_samples_per_class=10),
        "fine-tuned from ImageNet, real digits are not measurably better than pixels at either size":
            lambda r: all(no_difference(r, "simulation", "real_fine_tuned", "real_pixels", real_samples_per_class=count)
                          for count in (3, 10)),
        "the budgets: 80 steps on renderings for fine-tuning and its control, 60 on real digits; heads converged":
            lambda r: {(row["strategy"], row["steps"]) for row in comparison(r, "simulation").rows if "steps" in row}
            == {("fine_tuned", 80), ("head_continued", 80), ("real_fine_tuned", 60), ("simulation_then_real", 60)}
            and all(row["converged"] for row in comparison(r, "simulation").rows if "converged" in row),
        "three seeds, more than 100 renderings per digit":
            lambda r: len(comparison(r, "simulation").seeds) == 3
            and r["values"]["simulation"]["settings"]["simulated_samples_per_class"] > 100,
    },
    "19_model_capacity": {
        "with the converged head and fine-tuned, no larger candidate is measurably different from Lite0":
            lambda r: all(no_difference(r, "capacity", other, "Lite0 at 224 px", strategy=strategy)
                          for other in ("Lite1 at 240 px", "Lite2 at 260 px", "Lite2 at 224 px")
                          for strategy in ("head", "fine_tuning")),
        "the intervals rule out gains above about 0.05 for the larger networks at their own size":
            lambda r: all(_interval(r, "capacity", other, "Lite0 at 224 px", strategy=strategy)[1] < 0.055
                          for other in ("Lite1 at 240 px", "Lite2 at 260 px") for strategy in ("head", "fine_tuning")),
        "every head converged, and fine-tuning ran its whole 80 steps on every candidate and seed":
            lambda r: all(row["converged"] for row in comparison(r, "capacity").where(strategy="head").rows)
            and {row["fine_tune_steps"] for row in comparison(r, "capacity").where(strategy="fine_tuning").rows} == {80},
        "fine-tuning changed no candidate measurably against its own converged head":
            lambda r: not any(_fine_tuning_against_head(r, name).measurable
                              for name in ("Lite0 at 224 px", "Lite1 at 240 px", "Lite2 at 260 px", "Lite2 at 224 px")),
        "every network is far above the pixels (by over 0.4)":
            lambda r: all(mean(r, "capacity", name, strategy="head") - mean(r, "capacity", "raw pixels",
                                                                            strategy="baseline") > 0.4
                          for name in ("Lite0 at 224 px", "Lite1 at 240 px", "Lite2 at 260 px", "Lite2 at 224 px")),
        "Lite2 is larger and at its own size processes under two thirds of Lite0's images per second":
            lambda r: mean(r, "capacity", "Lite2 at 260 px", "base_parameters", strategy="head")
            > 1.4 * mean(r, "capacity", "Lite0 at 224 px", "base_parameters", strategy="head")
            and mean(r, "capacity", "Lite2 at 260 px", "images_per_second", strategy="head")
            < 2 / 3 * mean(r, "capacity", "Lite0 at 224 px", "images_per_second", strategy="head"),
        "the larger image alone (Lite2 at 260 against 224 px) is not measurably different, head or fine-tuned":
            lambda r: all(no_difference(r, "capacity", "Lite2 at 260 px", "Lite2 at 224 px", strategy=strategy)
                          for strategy in ("head", "fine_tuning")),
        "per image, the larger network alone and the larger image alone each cost time":
            lambda r: mean(r, "capacity", "Lite0 at 224 px", "milliseconds_per_image", strategy="head")
            < mean(r, "capacity", "Lite2 at 224 px", "milliseconds_per_image", strategy="head")
            < mean(r, "capacity", "Lite2 at 260 px", "milliseconds_per_image", strategy="head"),
        "the published ImageNet accuracies are stored beside each candidate":
            lambda r: [round(mean(r, "capacity", name, "imagenet_accuracy", strategy="head"), 3)
                       for name in ("Lite0 at 224 px", "Lite1 at 240 px", "Lite2 at 260 px")] == [0.751, 0.767, 0.776],
        "six seeds":
            lambda r: len(comparison(r, "capacity").seeds) == 6,
    },
    "20_boxes_and_masks": {
        "the frozen ImageNet encoder beats the same architecture with random weights at 20 scenes, by more than "
        "0.07 mean IoU, and at 50 scenes":
            lambda r: beats(r, "strategies", "frozen", "random", "mean_iou", size=20)
            and _gain(r, "strategies", "frozen", "random", "mean_iou", size=20) > 0.07
            and beats(r, "strategies", "frozen", "random", "mean_iou", size=50),
        "at 200 scenes it is ahead on average by more, not measurably (its seeds spread widely)":
            lambda r: no_difference(r, "strategies", "frozen", "random", "mean_iou", size=200)
            and _gain(r, "strategies", "frozen", "random", "mean_iou", size=200)
            > _gain(r, "strategies", "frozen", "random", "mean_iou", size=20),
        "the random encoder's decoder barely finds objects at 20 scenes (object IoU under 0.15, against over 0.4)":
            lambda r: mean(r, "strategies", "random", "foreground_iou", size=20) < 0.15
            < 0.4 < mean(r, "strategies", "frozen", "foreground_iou", size=20),
        "the frozen encoder leads background subtraction on average at every size, measurably only at 20 scenes, "
        "and there by under 0.02":
            lambda r: beats(r, "strategies", "frozen", "background_subtraction", "mean_iou", size=20)
            and _interval(r, "strategies", "frozen", "background_subtraction", "mean_iou", size=20)[1] < 0.02
            and all(no_difference(r, "strategies", "frozen", "background_subtraction", "mean_iou", size=size)
                    for size in (50, 200))
            and all(mean(r, "strategies", "frozen", "mean_iou", size=size)
                    > mean(r, "strategies", "background_subtraction", "mean_iou", size=size) for size in (20, 50, 200)),
        "fine-tuning is not measurably different from its head-only control at 200 scenes, which rules out a gain "
        "above 0.01, nor from the frozen arm; the control is ahead of the frozen arm, not measurably":
            lambda r: no_difference(r, "strategies", "fine_tune", "head_only", "mean_iou", size=200)
            and no_difference(r, "strategies", "fine_tune", "frozen", "mean_iou", size=200)
            and no_difference(r, "strategies", "head_only", "frozen", "mean_iou", size=200)
            and _gain(r, "strategies", "head_only", "frozen", "mean_iou", size=200) > 0
            and _interval(r, "strategies", "fine_tune", "head_only", "mean_iou", size=200)[1] < 0.01,
        "the budgets: 200 steps for the frozen and random decoders, 100 more for fine-tuning and its control":
            lambda r: {(row["strategy"], row["steps"]) for row in comparison(r, "strategies").rows
                       if row["strategy"] != "background_subtraction"}
            == {("frozen", 200), ("random", 200), ("fine_tune", 300), ("head_only", 300)},
        "three seeds":
            lambda r: len(comparison(r, "strategies").seeds) == 3,
    },
    "08_negative_transfer_and_domain_shift": {
        "no measurable transfer either way at 10 or at 30 per class, with intervals wider than ±0.05":
            lambda r: all(no_difference(r, "negative", "digit weights", "random weights", samples_per_class=size)
                          and max(map(abs, _interval(r, "negative", "digit weights", "random weights",
                                                     samples_per_class=size))) > 0.05 for size in (10, 30)),
        "every whole-network run ended by early stopping, after 100 or more steps on average":
            lambda r: all(mean(r, "negative", start, "steps", samples_per_class=size) > 100
                          and max(comparison(r, "negative", samples_per_class=size).values(start, "epochs")) < 200
                          for start in ("digit weights", "random weights") for size in (10, 30)),
        "on clean 64-px images, features and both pixel readers are not measurably different":
            lambda r: all(no_difference(r, "shift", "frozen ImageNet features", reader, "accuracy", shift="none")
                          for reader in ("raw pixels", "raw pixels, 64 px colour")),
        "contrast, inversion and rotation: the features are far more robust than either reader (by over 0.2)":
            lambda r: all(beats(r, "shift", "frozen ImageNet features", reader, "accuracy", shift=kind)
                          and _gain(r, "shift", "frozen ImageNet features", reader, "accuracy", shift=kind) > 0.2
                          for kind in ("contrast", "inversion", "rotation")
                          for reader in ("raw pixels", "raw pixels, 64 px colour")),
        "noise and blur: raw pixels are more robust, read either way, by over 0.15":
            lambda r: all(beats(r, "shift", reader, "frozen ImageNet features", "accuracy", shift=kind)
                          and _gain(r, "shift", reader, "frozen ImageNet features", "accuracy", shift=kind) > 0.15
                          for kind in ("noise", "blur") for reader in ("raw pixels", "raw pixels, 64 px colour")),
        "AdaBN on clean images wrecks the ImageNet-statistics model and leaves the other within 0.03":
            lambda r: all(row["clean_after_clean_adabn"] < row["clean"] - 0.4
                          for row in comparison(r, "adabn", statistics="ImageNet").rows)
            and all(abs(row["clean_after_clean_adabn"] - row["clean"]) < 0.03
                    for row in comparison(r, "adabn", statistics="clean training images").rows),
        "AdaBN makes the ImageNet-statistics model much worse on noisy images":
            lambda r: mean(r, "adabn", "ImageNet", "noisy") - mean(r, "adabn", "ImageNet", "noisy_after_adabn") > 0.25
            and all(row["noisy_after_adabn"] < row["noisy"] for row in comparison(r, "adabn", statistics="ImageNet").rows),
        "with statistics set on clean training images, noise drops it to chance and AdaBN lifts it well above":
            lambda r: mean(r, "adabn", "clean training images", "noisy") < 0.15
            and all(row["noisy_after_adabn"] > row["noisy"] + 0.25
                    for row in comparison(r, "adabn", statistics="clean training images").rows),
        "that model is weaker on clean images":
            lambda r: beats(r, "adabn", "ImageNet", "clean training images", "clean"),
        "the unadapted ImageNet model stays ahead of the adapted one on noisy images, on every seed":
            lambda r: all(imagenet["noisy"] > clean["noisy_after_adabn"] for imagenet, clean in zip(
                comparison(r, "adabn", statistics="ImageNet").rows,
                comparison(r, "adabn", statistics="clean training images").rows)),
    },
}
CASES = [(notebook, claim) for notebook, claims in CLAIMS.items() for claim in claims]


@pytest.mark.parametrize("notebook, claim", CASES, ids=[f"{notebook}: {claim}" for notebook, claim in CASES])
def test_claim_holds_in_the_stored_numbers(notebook, claim):
    assert CLAIMS[notebook][claim](load(notebook)), f"{notebook}: the stored numbers do not support: {claim}"


# Lessons known to be over the limit, named with their measured time (strict: the mark fails once one is back under).
OVER_TIME: set[str] = set()


@pytest.mark.parametrize("notebook", [
    pytest.param(stem, marks=pytest.mark.xfail(strict=True, reason="over the 300 s limit")) if stem in OVER_TIME
    else stem for stem in sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb"))])
def test_every_lesson_stored_a_full_run_with_seeds_within_five_minutes(notebook):
    results = load(notebook)
    assert results["profile"] == "full" and results["machine"]["cpus"] <= 2
    assert results["lesson_seconds"] <= LESSON_SECONDS_LIMIT, f"{notebook} took {results['lesson_seconds']} s"
    comparisons = [value for value in results["values"].values() if isinstance(value, dict) and "variant_key" in value]
    for recorded in comparisons:
        assert len(Comparison.from_dict(recorded).seeds) >= 3, "a headline comparison needs at least 3 seeds"
    assert notebook in CLAIMS, f"{notebook}'s prose makes claims that no test checks"


MIN_STEPS = 50  # an arm stopped after fewer optimizer steps shows nothing about its method
# Issue #33 (budgets are part of the result) is being worked through lesson by lesson: these lessons' stored runs
# predate step counting. Strict: a lesson that stores its steps must leave this list.
STEPS_NOT_YET_STORED: set[str] = set()
# Lessons whose every arm is a convex fit solved to convergence (no optimizer steps to count): each row must
# store that its solver converged.
FITTED_TO_CONVERGENCE = {"15_types_of_transfer", "17_label_noise"}


def _steps_by_arm(results: dict) -> dict:
    """``{(comparison, arm): [steps per seed]}`` over every comparison whose rows store optimizer steps."""
    found = {}
    for key, recorded in results["values"].items():
        if not (isinstance(recorded, dict) and "variant_key" in recorded):
            continue
        for row in recorded["rows"]:
            if row.get("steps") == 0 and row.get("trainable_parameters") == 0:
                continue  # a method with nothing to train (background subtraction): no optimizer, no budget
            if row.get("steps") is not None:
                found.setdefault((key, row[recorded["variant_key"]]), []).append(row["steps"])
            if row.get("fine_tune_steps") is not None:  # fine-tuning's own phase, after the head's steps
                found.setdefault((key, f"{row[recorded['variant_key']]}: fine-tuning phase"), []).append(
                    row["fine_tune_steps"])
    return found


@pytest.mark.parametrize("notebook", sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb")))
def test_every_compared_arm_stored_a_real_step_budget(notebook):
    steps = _steps_by_arm(load(notebook))
    if notebook in STEPS_NOT_YET_STORED:
        assert not steps, f"{notebook} stores its step counts now: take it off STEPS_NOT_YET_STORED"
        pytest.skip(f"{notebook}'s stored run predates step counting (issue #33)")
    if notebook in FITTED_TO_CONVERGENCE:
        rows = [row for recorded in load(notebook)["values"].values() if isinstance(recorded, dict)
                and "variant_key" in recorded for row in recorded["rows"]]
        assert rows and all(row.get("converged") is True for row in rows), f"{notebook}: a fit that did not converge"
        return
    assert steps, f"{notebook} stores no optimizer step counts for its arms"
    short = {arm: counts for arm, counts in steps.items() if min(counts) < MIN_STEPS}
    assert not short, f"{notebook}: arms compared after fewer than {MIN_STEPS} optimizer steps: {short}"


def test_the_step_rule_catches_an_arm_stopped_early():
    results = json.loads(json.dumps(load("00_quickstart")))
    for row in results["values"]["strategies"]["rows"]:
        if row["strategy"] == "fine_tuning":
            row["fine_tune_steps"] = 4
    assert min(_steps_by_arm(results)[("strategies", "fine_tuning: fine-tuning phase")]) < MIN_STEPS


def _perturbed(results: dict, key: str, variant: str, shift: float) -> dict:
    copy = json.loads(json.dumps(results))
    for row in copy["values"][key]["rows"]:
        if row[copy["values"][key]["variant_key"]] == variant:
            row["test_accuracy"] += shift
    return copy


def test_a_claim_the_numbers_do_not_support_fails():
    results = load("00_quickstart")
    worse = _perturbed(results, "strategies", "feature_extraction", -0.4)  # now near the pixels
    assert not CLAIMS["00_quickstart"]["on photographs, feature extraction beats raw pixels by more than 0.3"](worse)
    apart = _perturbed(results, "strategies", "fine_tuning", +0.15)  # now clearly above the control
    assert not CLAIMS["00_quickstart"][
        "but not measurably the head trained for the same 60 steps, ruling out gains above 0.07"](apart)


def test_fine_tunes_default_the_linter_and_lesson_03_agree():
    """fine_tune's default rate and schedule are what lesson 03 chose on validation; tl.check flags what it destroyed."""
    from tltutor import checks, training

    results = load("03_lower_learning_rate")
    sweep = comparison(results, "sweep")
    chosen = results["values"]["chosen_rate"]
    chosen_row = next(row for row in sweep.rows if row["fine-tuning rate"] == chosen)
    assert chosen_row["learning_rate"] == training.FINE_TUNE_LEARNING_RATE, "fine_tune's default is not 03's choice"
    assert chosen_row["schedule"] == training.FINE_TUNE_SCHEDULE, "fine_tune's default schedule is not 03's choice"
    assert training.FINE_TUNE_LEARNING_RATE < checks.HIGH_FINE_TUNING_RATE, "the linter flags the default"
    destroyed = {row["learning_rate"] for row in sweep.rows
                 if row["learning_rate"] > 0 and max(sweep.values(row["fine-tuning rate"], "test_accuracy")) <= 0.11}
    assert destroyed and min(destroyed) >= checks.HIGH_FINE_TUNING_RATE, "a rate that ended at chance goes unflagged"
    flagged = {row["learning_rate"] for row in sweep.rows if row["learning_rate"] >= checks.HIGH_FINE_TUNING_RATE}
    assert flagged <= destroyed, "the linter flags a rate that lesson 03 did not see destroy the base"
