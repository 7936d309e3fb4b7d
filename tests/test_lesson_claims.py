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
}
CASES = [(notebook, claim) for notebook, claims in CLAIMS.items() for claim in claims]


@pytest.mark.parametrize("notebook, claim", CASES, ids=[f"{notebook}: {claim}" for notebook, claim in CASES])
def test_claim_holds_in_the_stored_numbers(notebook, claim):
    assert CLAIMS[notebook][claim](load(notebook)), f"{notebook}: the stored numbers do not support: {claim}"


@pytest.mark.parametrize("notebook", sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb")))
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
