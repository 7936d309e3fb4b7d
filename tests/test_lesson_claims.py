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


def load(notebook: str) -> dict:
    path = RESULTS / f"{notebook}.json"
    assert path.exists(), f"{notebook} has no stored full-run results: run tools/run_notebooks.py"
    return json.loads(path.read_text())


def comparison(results: dict, key: str, **where) -> Comparison:
    found = Comparison.from_dict(results["values"][key])
    return found.where(**where) if where else found


def beats(results, key, first, second, metric="test_accuracy", *, higher_is_better=True, **where) -> bool:
    verdict = comparison(results, key, **where).verdict(first, second, metric, higher_is_better=higher_is_better)
    return verdict.measurable and verdict.winner == first


def no_difference(results, key, first, second, metric="test_accuracy", **where) -> bool:
    return not comparison(results, key, **where).verdict(first, second, metric).measurable


def _interval(results, key, first, second, metric="test_accuracy", **where) -> tuple:
    return comparison(results, key, **where).verdict(first, second, metric).interval


def _gain(results, key, first, second, metric="test_accuracy", **where) -> float:
    return mean(results, key, first, metric, **where) - mean(results, key, second, metric, **where)


def _every_seed(results, key, first, second, metric="test_accuracy", **where) -> bool:
    rows = comparison(results, key, **where).rows
    variant_key = results["values"][key]["variant_key"]
    by_seed = {(row[variant_key], row["seed"]): row[metric] for row in rows}
    seeds = {row["seed"] for row in rows}
    return all(by_seed[(first, seed)] > by_seed[(second, seed)] for seed in seeds)


def _range_test_curve_is_level_then_climbs(test) -> bool:
    points = list(zip(test["learning_rates"], test["smoothed_losses"]))
    level = [loss for rate, loss in points[5:] if rate <= 1.25e-4]
    after = [loss for rate, loss in points if rate > 1.9e-4]
    return (0.18 <= min(level) and max(level) <= 0.25 and after[0] > 0.3
            and points[-1][0] < 5e-4 and points[-1][1] >= 4 * min(test["smoothed_losses"]))


def mean(results, key, variant, metric="test_accuracy", **where) -> float:
    return comparison(results, key, **where).spread(variant, metric).mean


CLAIMS = {
    "00_quickstart": {
        "feature extraction beats raw-pixel logistic regression":
            lambda r: beats(r, "strategies", "feature_extraction", "pixels"),
        "fine-tuning beats raw-pixel logistic regression":
            lambda r: beats(r, "strategies", "fine_tuning", "pixels"),
        "by about three points":
            lambda r: 0.02 <= mean(r, "strategies", "fine_tuning") - mean(r, "strategies", "pixels") <= 0.04,
        "no measurable difference between fine-tuning and feature extraction":
            lambda r: no_difference(r, "strategies", "fine_tuning", "feature_extraction"),
    },
    "01_choose_a_pretrained_model": {
        "ImageNet pretraining beats the same network with random weights by about 0.5":
            lambda r: beats(r, "probes", "EfficientNetLite0 (imagenet)", "EfficientNetLite0 (random)",
                            "probe_test_accuracy")
            and mean(r, "probes", "EfficientNetLite0 (imagenet)", "probe_test_accuracy")
            - mean(r, "probes", "EfficientNetLite0 (random)", "probe_test_accuracy") > 0.4,
        "the ImageNet probe beats raw pixels":
            lambda r: beats(r, "probes", "EfficientNetLite0 (imagenet)", PIXELS, "probe_test_accuracy"),
        "but only just (under 0.05)":
            lambda r: mean(r, "probes", "EfficientNetLite0 (imagenet)", "probe_test_accuracy")
            - mean(r, "probes", PIXELS, "probe_test_accuracy") < 0.05,
        "DigitsCNN's pretraining helped its own architecture":
            lambda r: beats(r, "probes", "DigitsCNN (digits)", "DigitsCNN (random)", "probe_test_accuracy"),
        "yet its features lose to raw pixels":
            lambda r: beats(r, "probes", PIXELS, "DigitsCNN (digits)", "probe_test_accuracy"),
        "the ImageNet source beats the digits source":
            lambda r: beats(r, "probes", "EfficientNetLite0 (imagenet)", "DigitsCNN (digits)", "probe_test_accuracy"),
        "DigitsCNN runs several times faster":
            lambda r: mean(r, "probes", "DigitsCNN (digits)", "images_per_second")
            > 4 * mean(r, "probes", "EfficientNetLite0 (imagenet)", "images_per_second"),
    },
    "02_freeze_and_new_head": {
        "without a recompile, setting trainable=True does not train the base":
            lambda r: r["values"]["trainable_needs_compile"]["without_compile"] == 0
            and r["values"]["trainable_needs_compile"]["with_compile"] > 0,
        "BatchNorm statistics stay put when frozen and drift when training":
            lambda r: r["values"]["batchnorm_drift"]["frozen"] == 0 and r["values"]["batchnorm_drift"]["training"] > 0,
        "the same test accuracy on images and on cached features":
            lambda r: no_difference(r, "head", "cached features", "images"),
        "caching takes about a fifth of the time":
            lambda r: beats(r, "head", "cached features", "images", "seconds", higher_is_better=False)
            and mean(r, "head", "images", "seconds") > 3 * mean(r, "head", "cached features", "seconds"),
    },
    "03_lower_learning_rate": {
        "1e-2 ends at chance in every seed and the head beats it":
            lambda r: max(comparison(r, "sweep").values("1e-02", "test_accuracy")) <= 0.11
            and beats(r, "sweep", "head only", "1e-02"),
        "1e-3 is lower on average on validation and test":
            lambda r: mean(r, "sweep", "1e-03", "validation_accuracy") < mean(r, "sweep", "head only",
                                                                              "validation_accuracy")
            and mean(r, "sweep", "1e-03") < mean(r, "sweep", "head only"),
        "but not measurably on validation":
            lambda r: no_difference(r, "sweep", "head only", "1e-03", "validation_accuracy"),
        "the weights move further the larger the rate":
            lambda r: [mean(r, "sweep", rate, "weight_change_percent") for rate in ("1e-02", "1e-03", "1e-04", "1e-05")]
            == sorted([mean(r, "sweep", rate, "weight_change_percent")
                       for rate in ("1e-02", "1e-03", "1e-04", "1e-05")], reverse=True),
        "validation chose 1e-5, not measurably ahead of 1e-4":
            lambda r: r["values"]["chosen_rate"] == "1e-05" and no_difference(r, "sweep", "1e-04", "1e-05",
                                                                             "validation_accuracy"),
        "the chosen rate's test accuracy is indistinguishable from the head alone":
            lambda r: no_difference(r, "sweep", "1e-05", "head only"),
        "the range test found no descent on the converged head: the suggestion is the lowest rate tried":
            lambda r: r["values"]["range_test"]["suggestion"] <= r["values"]["range_test"]["learning_rates"][0] * 1.000001,
        "after the first batches the smoothed loss stays between 0.18 and 0.25 up to 1.2e-4, then climbs":
            lambda r: _range_test_curve_is_level_then_climbs(r["values"]["range_test"]),
    },
    "04_gradual_unfreezing": {
        "at 1e-4 the three schedules are indistinguishable":
            lambda r: all(no_difference(r, "schedules", f"{other} @ 1e-04", "all at once @ 1e-04")
                          for other in ("gradual", "discriminative")),
        "discriminative rates moved the deep blocks several times less, at both rates":
            lambda r: all(beats(r, "schedules", f"discriminative @ {rate}", f"all at once @ {rate}",
                                "deep_change_percent", higher_is_better=False)
                          and mean(r, "schedules", f"all at once @ {rate}", "deep_change_percent")
                          > 5 * mean(r, "schedules", f"discriminative @ {rate}", "deep_change_percent")
                          for rate in ("1e-04", "1e-03")),
        "gradual unfreezing moved them somewhat less":
            lambda r: beats(r, "schedules", "gradual @ 1e-04", "all at once @ 1e-04", "deep_change_percent",
                            higher_is_better=False),
        "at 1e-3 all at once spreads over seeds several times wider than at 1e-4":
            lambda r: comparison(r, "schedules").spread("all at once @ 1e-03", "test_accuracy").std
            > 3 * comparison(r, "schedules").spread("all at once @ 1e-04", "test_accuracy").std,
        "the deep blocks moved ten times further at 1e-3 than at 1e-4":
            lambda r: mean(r, "schedules", "all at once @ 1e-03", "deep_change_percent")
            > 8 * mean(r, "schedules", "all at once @ 1e-04", "deep_change_percent"),
        "gradual did not help at 1e-3: lower on average than all at once":
            lambda r: mean(r, "schedules", "gradual @ 1e-03") < mean(r, "schedules", "all at once @ 1e-03"),
        "discriminative at 1e-3 beat all at once in every seed and matched the safe rate":
            lambda r: all(d > a for d, a in zip(comparison(r, "schedules").values("discriminative @ 1e-03",
                                                                                  "test_accuracy"),
                                                 comparison(r, "schedules").values("all at once @ 1e-03",
                                                                                   "test_accuracy")))
            and no_difference(r, "schedules", "discriminative @ 1e-03", "discriminative @ 1e-04"),
        "yet the verdict against all at once is no measurable difference":
            lambda r: no_difference(r, "schedules", "discriminative @ 1e-03", "all at once @ 1e-03"),
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
        "feature extraction beats the converged scratch CNN":
            lambda r: beats(r, "baselines", "feature_extraction", "scratch"),
        "feature extraction beats raw pixels":
            lambda r: beats(r, "baselines", "feature_extraction", "pixels"),
        "the scratch CNN is no better than raw pixels":
            lambda r: no_difference(r, "baselines", "scratch", "pixels"),
        "the head trains several times faster than the scratch CNN":
            lambda r: mean(r, "baselines", "scratch", "seconds") > 3 * mean(r, "baselines", "feature_extraction",
                                                                            "seconds"),
        "Shirt has the lowest recall in every seed, measurably below Coat":
            lambda r: all(min(by_class, key=by_class.get) == "Shirt" for by_class in (
                {row["class"]: row["recall"] for row in comparison(r, "per_class").rows if row["seed"] == seed}
                for seed in comparison(r, "per_class").seeds))
            and beats(r, "per_class", "Coat", "Shirt", "recall"),
        "Bag, Sandal, Trouser and Ankle boot have recall above 0.9":
            lambda r: all(mean(r, "per_class", name, "recall") > 0.9
                          for name in ("Bag", "Sandal", "Trouser", "Ankle boot")),
    },
    "07_small_data_and_overfitting": {
        "the baseline fits its training images perfectly, with a gap of about 0.26":
            lambda r: min(comparison(r, "remedies").values("none", "train_accuracy")) == 1.0
            and 0.2 < mean(r, "remedies", "none", "gap") < 0.32,
        "no single remedy changed test accuracy or the gap measurably":
            lambda r: all(no_difference(r, "remedies", remedy, "none")
                          and no_difference(r, "remedies", remedy, "none", "gap")
                          for remedy in ("augmentation", "dropout", "weight_decay", "early_stopping")),
        "all four together narrowed the gap measurably":
            lambda r: beats(r, "remedies", "all", "none", "gap", higher_is_better=False),
        "but their test accuracy is no higher":
            lambda r: no_difference(r, "remedies", "all", "none")
            and mean(r, "remedies", "all") <= mean(r, "remedies", "none"),
        "the gap closed because training accuracy fell":
            lambda r: mean(r, "remedies", "all", "train_accuracy") < 0.95,
        "early stopping stopped before the last epoch":
            lambda r: mean(r, "remedies", "early_stopping", "epochs") < 20,
    },
    "06_feature_extraction_vs_fine_tuning": {
        "feature extraction beats the scratch CNN at 5 and at 20 images per class":
            lambda r: all(beats(r, "grid", "feature_extraction", "scratch", samples_per_class=size) for size in (5, 20)),
        "by more at 5 than at 20":
            lambda r: mean(r, "grid", "feature_extraction", samples_per_class=5)
            - mean(r, "grid", "scratch", samples_per_class=5)
            > mean(r, "grid", "feature_extraction", samples_per_class=20) - mean(r, "grid", "scratch", samples_per_class=20),
        "at 50 the difference from scratch is no longer measurable":
            lambda r: no_difference(r, "grid", "feature_extraction", "scratch", samples_per_class=50),
        "against raw pixels transfer is never measurably ahead":
            lambda r: all(no_difference(r, "grid", "feature_extraction", "pixels", samples_per_class=size)
                          for size in (5, 20, 50)),
        "raw pixels beat the scratch CNN at 5 images per class":
            lambda r: beats(r, "grid", "pixels", "scratch", samples_per_class=5),
        "fine-tuning never beats feature extraction":
            lambda r: all(no_difference(r, "grid", "fine_tuning", "feature_extraction", samples_per_class=size)
                          for size in (5, 20, 50)),
        "feature extraction is the best mean at 5 images per class":
            lambda r: max(comparison(r, "grid", samples_per_class=5).summary(["test_accuracy"]),
                          key=lambda row: row["test_accuracy"].mean)["strategy"] == "feature_extraction",
    },
    "09_imbalanced_data": {
        "the three rarest classes keep a mean recall above 0.8":
            lambda r: mean(r, "remedies", "none", "rarest_3_recall") > 0.8,
        "Shirt, with 41 images, falls below 0.3 recall":
            lambda r: mean(r, "remedies", "none", "recall_Shirt") < 0.3
            and r["values"]["remedies"]["settings"]["training_counts"]["0"]["Shirt"] == 41,
        "Shirt is the worst class with no remedy":
            lambda r: all(row["recall_Shirt"] == row["worst_class_recall"]
                          for row in comparison(r, "remedies").rows if row["remedy"] == "none"),
        "logit adjustment gains the most balanced accuracy, about 0.02, on every seed, yet not measurably":
            lambda r: _every_seed(r, "remedies", "logit_adjustment", "none", "balanced_accuracy")
            and 0.01 < _gain(r, "remedies", "logit_adjustment", "none", "balanced_accuracy") < 0.04
            and all(_gain(r, "remedies", "logit_adjustment", "none", "balanced_accuracy")
                    >= _gain(r, "remedies", remedy, "none", "balanced_accuracy")
                    for remedy in comparison(r, "remedies").variants)
            and no_difference(r, "remedies", "logit_adjustment", "none", "balanced_accuracy"),
        "class weights, oversampling and focal loss change balanced accuracy unmeasurably":
            lambda r: all(no_difference(r, "remedies", remedy, "none", "balanced_accuracy")
                          for remedy in ("class_weights", "oversample", "focal_loss")),
        "undersampling raises Shirt's recall and lowers balanced accuracy, both measurably":
            lambda r: beats(r, "remedies", "undersample", "none", "recall_Shirt")
            and beats(r, "remedies", "none", "undersample", "balanced_accuracy"),
        "Shirt stays below 0.4 recall under every remedy":
            lambda r: all(mean(r, "remedies", remedy, "recall_Shirt") < 0.4
                          for remedy in comparison(r, "remedies").variants),
    },
    "10_catastrophic_forgetting": {
        "the old task starts near 0.98":
            lambda r: mean(r, "methods", "naive", "old_task_before") > 0.97,
        "naive fine-tuning forgets most of it":
            lambda r: mean(r, "methods", "naive", "old_task_accuracy") < 0.5,
        "a lower rate does not protect measurably, and learns the new task measurably worse":
            lambda r: no_difference(r, "methods", "low_lr", "naive", "old_task_accuracy")
            and beats(r, "methods", "naive", "low_lr", "new_task_accuracy"),
        "L2-SP keeps most of the old task and pays on the new one":
            lambda r: mean(r, "methods", "l2sp", "old_task_accuracy") > 0.9
            and beats(r, "methods", "naive", "l2sp", "new_task_accuracy"),
        "rehearsal keeps most of the old task with no measurable cost on the new one":
            lambda r: beats(r, "methods", "rehearsal", "naive", "old_task_accuracy")
            and no_difference(r, "methods", "rehearsal", "naive", "new_task_accuracy"),
        "LwF keeps the old task; its cost on the new one, about 0.12, is not measurable and below L2-SP's":
            lambda r: beats(r, "methods", "lwf", "naive", "old_task_accuracy")
            and no_difference(r, "methods", "lwf", "naive", "new_task_accuracy")
            and 0.05 < _gain(r, "methods", "naive", "lwf", "new_task_accuracy") < 0.2
            and mean(r, "methods", "lwf", "new_task_accuracy") > mean(r, "methods", "l2sp", "new_task_accuracy"),
        "L2-SP's strength trades one task for the other, monotonically":
            lambda r: [mean(r, "l2sp_sweep", alpha, "old_task_accuracy") for alpha in (1.0, 30.0, 300.0, 3000.0)]
            == sorted(mean(r, "l2sp_sweep", alpha, "old_task_accuracy") for alpha in (1.0, 30.0, 300.0, 3000.0))
            and [mean(r, "l2sp_sweep", alpha, "new_task_accuracy") for alpha in (1.0, 30.0, 300.0, 3000.0)]
            == sorted((mean(r, "l2sp_sweep", alpha, "new_task_accuracy") for alpha in (1.0, 30.0, 300.0, 3000.0)),
                      reverse=True),
    },
    "11_explainability": {
        "the astronaut is called a bobsled and the rocket a drilling platform":
            lambda r: r["values"]["imagenet_top_classes"][2:] == ["bobsled", "drilling platform"]
            and r["values"]["imagenet_top_classes"][:2] == ["Egyptian cat", "espresso"],
        "down to depth 7, CKA is at least 0.998 on every seed":
            lambda r: all(row["cka"] >= 0.998 for row in comparison(r, "similarity").rows if row["depth"] <= 7),
        "the last two layers changed most, to about 0.965":
            lambda r: sorted(comparison(r, "similarity").variants,
                             key=lambda depth: mean(r, "similarity", depth, "cka"))[:2] == [11, 12]
            and all(0.95 < mean(r, "similarity", depth, "cka") < 0.98 for depth in (11, 12)),
        "which of the two is lowest is not settled":
            lambda r: no_difference(r, "similarity", 11, 12, "cka"),
        "no layer falls below 0.95":
            lambda r: min(row["cka"] for row in comparison(r, "similarity").rows) > 0.95,
    },
    "12_deployment_size_and_speed": {
        "file size is the parameter count times four bytes, within 10 %":
            lambda r: all(abs(row["keras_file_mb"] * 1e6 / (4 * row["parameters"]) - 1) < 0.1
                          for row in comparison(r, "sizes").rows if row["parameters"] > 1e6),
        "ResNet50 has about 7 times EfficientNet-Lite0's parameters but takes under 3 times as long":
            lambda r: 6 < mean(r, "sizes", "ResNet50", "parameters") / mean(r, "sizes", "EfficientNetLite0", "parameters") < 8
            and beats(r, "sizes", "EfficientNetLite0", "ResNet50", "latency_ms", higher_is_better=False)
            and mean(r, "sizes", "ResNet50", "latency_ms") < 3 * mean(r, "sizes", "EfficientNetLite0", "latency_ms"),
        "MobileNetV2 has the fewest parameters of the ImageNet networks, but its time shrinks less than its size":
            lambda r: min(("MobileNetV2", "EfficientNetLite0", "ResNet50"),
                          key=lambda name: mean(r, "sizes", name, "parameters")) == "MobileNetV2"
            and mean(r, "sizes", "MobileNetV2", "latency_ms") / mean(r, "sizes", "EfficientNetLite0", "latency_ms")
            > mean(r, "sizes", "MobileNetV2", "parameters") / mean(r, "sizes", "EfficientNetLite0", "parameters"),
        "neither 8-bit variant changed accuracy measurably":
            lambda r: all(no_difference(r, "tflite", variant, "keras", "accuracy") for variant in ("dynamic", "int8")),
        "8-bit files are 3 to 4 times smaller":
            lambda r: all(3 < mean(r, "tflite", "float32", "tflite_mb") / mean(r, "tflite", variant, "tflite_mb") < 4
                          for variant in ("dynamic", "int8")),
        "neither 8-bit variant is even 1.5 times faster than float32 on this CPU, and dynamic-range is not faster at all":
            lambda r: all(mean(r, "tflite", "float32", "latency_ms") < 1.5 * mean(r, "tflite", variant, "latency_ms")
                          for variant in ("dynamic", "int8"))
            and not beats(r, "tflite", "dynamic", "float32", "latency_ms", higher_is_better=False),
        "the TFLite interpreter is several times faster per image than Keras's predict_on_batch":
            lambda r: mean(r, "sizes", "EfficientNetLite0", "latency_ms") > 2.5 * mean(r, "tflite", "float32", "latency_ms"),
    },
    "13_text_transfer": {
        "at 8 sentences per class MiniLM and TF-IDF are not measurably different":
            lambda r: no_difference(r, "curve", "frozen", "tfidf", "movies_accuracy", samples_per_class=8),
        "at 32 and 128 per class frozen MiniLM beats TF-IDF, on every seed, by more at 128":
            lambda r: all(beats(r, "curve", "frozen", "tfidf", "movies_accuracy", samples_per_class=size)
                          and _every_seed(r, "curve", "frozen", "tfidf", "movies_accuracy", samples_per_class=size)
                          for size in (32, 128))
            and _gain(r, "curve", "frozen", "tfidf", "movies_accuracy", samples_per_class=128)
            > _gain(r, "curve", "frozen", "tfidf", "movies_accuracy", samples_per_class=32),
        "neither fine-tuning nor LoRA is measurably different from the frozen encoder at 32 per class":
            lambda r: all(no_difference(r, "adaptation", strategy, "frozen", "movies_accuracy")
                          for strategy in ("fine_tune", "lora")),
        "LoRA trains far fewer numbers than fine-tuning, and both take several times longer than the head":
            lambda r: mean(r, "adaptation", "lora", "trainable_parameters")
            < 0.05 * mean(r, "adaptation", "fine_tune", "trainable_parameters")
            and all(mean(r, "adaptation", strategy, "seconds") > 3 * mean(r, "adaptation", "frozen", "seconds")
                    for strategy in ("fine_tune", "lora")),
        "trained on movies, MiniLM beats TF-IDF on every domain and every seed, by the most on tweets":
            lambda r: all(beats(r, "curve", "frozen", "tfidf", f"{domain}_accuracy", samples_per_class=128)
                          and _every_seed(r, "curve", "frozen", "tfidf", f"{domain}_accuracy", samples_per_class=128)
                          for domain in ("movies", "tweets", "amazon", "nyt"))
            and max(("movies", "tweets", "amazon", "nyt"), key=lambda domain: _gain(
                r, "curve", "frozen", "tfidf", f"{domain}_accuracy", samples_per_class=128)) == "tweets",
        "TF-IDF on tweets is within 0.05 of chance; MiniLM loses under 0.07 from movies to any domain":
            lambda r: mean(r, "curve", "tfidf", "tweets_accuracy", samples_per_class=128) < 0.55
            and all(mean(r, "curve", "frozen", "movies_accuracy", samples_per_class=128)
                    - mean(r, "curve", "frozen", f"{domain}_accuracy", samples_per_class=128) < 0.07
                    for domain in ("tweets", "amazon", "nyt")),
    },
    "14_speech_transfer": {
        "MFCC statistics beat the frozen speaker encoder on both tasks":
            lambda r: all(beats(r, task, "mfcc", "frozen") for task in ("speaker", "digit")),
        "pretraining beats random weights on both tasks, by over 0.2 more on speakers than on digits":
            lambda r: all(beats(r, task, "frozen", "random") for task in ("speaker", "digit"))
            and _gain(r, "speaker", "frozen", "random") - _gain(r, "digit", "frozen", "random") > 0.2,
        "fine-tuning is not measurably different from the frozen encoder on either task":
            lambda r: all(no_difference(r, task, "fine_tune", "frozen") for task in ("speaker", "digit")),
        "on digits fine-tuning was higher on every seed, by less than the seeds' spread":
            lambda r: _every_seed(r, "digit", "fine_tune", "frozen")
            and _gain(r, "digit", "fine_tune", "frozen")
            < comparison(r, "digit").spread("fine_tune", "test_accuracy").std
            + comparison(r, "digit").spread("frozen", "test_accuracy").std,
        "five seeds":
            lambda r: all(len(comparison(r, task).seeds) == 5 for task in ("speaker", "digit")),
    },
    "15_types_of_transfer": {
        "inductive: frozen MiniLM beats TF-IDF at 16 per class, by under 0.1, not on every seed":
            lambda r: beats(r, "inductive", "frozen", "tfidf", "movies_accuracy")
            and _gain(r, "inductive", "frozen", "tfidf", "movies_accuracy") < 0.1
            and not _every_seed(r, "inductive", "frozen", "tfidf", "movies_accuracy"),
        "transductive: self-training is not measurably different from the source-only classifier":
            lambda r: no_difference(r, "transductive", "self-training", "none (source only)", "tweet_accuracy"),
        "about one pseudo-label in five is wrong":
            lambda r: 0.7 < mean(r, "transductive", "self-training", "pseudo_label_precision") < 0.9,
        "unsupervised: ImageNet features beat pixels on clustering and retrieval":
            lambda r: all(beats(r, "unsupervised", "clothing: ImageNet features", "clothing: raw pixels", metric)
                          for metric in ("nmi", "ari", "recall_at_5")),
        "MiniLM clusters the text domains far better than TF-IDF, which is near 0":
            lambda r: beats(r, "unsupervised", "text domains: MiniLM", "text domains: TF-IDF", "nmi")
            and mean(r, "unsupervised", "text domains: TF-IDF", "nmi") < 0.15,
        "but MiniLM's recall@5 is not measurably better than TF-IDF's, and both are above chance (0.76)":
            lambda r: no_difference(r, "unsupervised", "text domains: MiniLM", "text domains: TF-IDF", "recall_at_5")
            and mean(r, "unsupervised", "text domains: TF-IDF", "recall_at_5") > 1 - 0.75 ** 5,
    },
    "08_negative_transfer_and_domain_shift": {
        "no negative transfer: at 10 per class no measurable difference, with an interval wider than ±0.1":
            lambda r: no_difference(r, "negative", "digit weights", "random weights", samples_per_class=10)
            and max(map(abs, _interval(r, "negative", "digit weights", "random weights",
                                       samples_per_class=10))) > 0.1,
        "at 30 per class the digit start wins on every seed, by under 0.04":
            lambda r: beats(r, "negative", "digit weights", "random weights", samples_per_class=30)
            and _every_seed(r, "negative", "digit weights", "random weights", samples_per_class=30)
            and _gain(r, "negative", "digit weights", "random weights", samples_per_class=30) < 0.04,
        "every layer trains for 20 to 50 epochs":
            lambda r: 20 <= min(row["epochs"] for row in comparison(r, "negative").rows)
            and max(row["epochs"] for row in comparison(r, "negative").rows) <= 55,
        "on clean 64-px images, features and raw pixels are not measurably different":
            lambda r: no_difference(r, "shift", "frozen ImageNet features", "raw pixels", "accuracy", shift="none"),
        "contrast, inversion and rotation: the features are far more robust (by over 0.2)":
            lambda r: all(beats(r, "shift", "frozen ImageNet features", "raw pixels", "accuracy", shift=kind)
                          and _gain(r, "shift", "frozen ImageNet features", "raw pixels", "accuracy", shift=kind) > 0.2
                          for kind in ("contrast", "inversion", "rotation")),
        "noise and blur: raw pixels are more robust":
            lambda r: all(beats(r, "shift", "raw pixels", "frozen ImageNet features", "accuracy", shift=kind)
                          for kind in ("noise", "blur")),
        "AdaBN makes the ImageNet-statistics model much worse on noisy images":
            lambda r: mean(r, "adabn", "ImageNet", "noisy") - mean(r, "adabn", "ImageNet", "noisy_after_adabn") > 0.25
            and all(row["noisy_after_adabn"] < row["noisy"] for row in comparison(r, "adabn", statistics="ImageNet").rows),
        "with statistics set on clean training images, noise drops it to chance and AdaBN lifts it well above":
            lambda r: mean(r, "adabn", "clean training images", "noisy") < 0.15
            and all(row["noisy_after_adabn"] > row["noisy"] + 0.25
                    for row in comparison(r, "adabn", statistics="clean training images").rows),
        "that model is weaker on clean images":
            lambda r: beats(r, "adabn", "ImageNet", "clean training images", "clean"),
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


def _perturbed(results: dict, key: str, variant: str, shift: float) -> dict:
    copy = json.loads(json.dumps(results))
    for row in copy["values"][key]["rows"]:
        if row[copy["values"][key]["variant_key"]] == variant:
            row["test_accuracy"] += shift
    return copy


def test_a_claim_the_numbers_do_not_support_fails():
    results = load("00_quickstart")
    worse = _perturbed(results, "strategies", "feature_extraction", -0.05)  # now below the pixels
    assert not CLAIMS["00_quickstart"]["feature extraction beats raw-pixel logistic regression"](worse)
    apart = _perturbed(results, "strategies", "fine_tuning", +0.05)  # now clearly above feature extraction
    assert not CLAIMS["00_quickstart"]["no measurable difference between fine-tuning and feature extraction"](apart)
