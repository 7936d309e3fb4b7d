"""Every exercise check accepts the right answer, rejects wrong and malformed ones, and reads the measured data."""

import keras
import pytest

from tltutor.lessons import exercises
from tltutor.report.results import Comparison
from tltutor.training import TrainingHistory


def comparison(variant_key, table, seeds=(0, 1, 2)):
    """A Comparison whose metrics are ``table[variant][metric]``, the same on every seed plus a tiny jitter."""
    built = Comparison(variant_key)
    for variant, metrics in table.items():
        for seed in seeds:
            built.add(variant, seed, **{key: value + 0.001 * seed for key, value in metrics.items()})
    return built


def test_head_parameters(capsys):
    assert exercises.check_head_parameters(12_810, num_classes=10)
    assert "12,810" in capsys.readouterr().out
    assert not exercises.check_head_parameters(12_800, num_classes=10)
    assert "Hint" in capsys.readouterr().out
    assert not exercises.check_head_parameters("lots", num_classes=10)
    assert not exercises.check_head_parameters(12_810.5, num_classes=10)
    assert exercises.check_head_parameters(2 * 1280 + 2, num_classes=2)


def test_pretraining_gain_compares_each_backbone_with_its_own_random_weights():
    probes = comparison("candidate", {
        "EfficientNetLite0 (imagenet)": {"probe_test_accuracy": 0.80},
        "EfficientNetLite0 (random)": {"probe_test_accuracy": 0.30},
        "DigitsCNN (digits)": {"probe_test_accuracy": 0.85},  # higher accuracy, smaller gain
        "DigitsCNN (random)": {"probe_test_accuracy": 0.70},
    })
    assert exercises.check_pretraining_gain(probes, " efficientnetlite0 ")
    assert not exercises.check_pretraining_gain(probes, "DigitsCNN")


def test_trainable_variable_count_reads_the_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    model.layers[0].trainable = False
    assert exercises.check_trainable_variable_count(model, 2)
    assert not exercises.check_trainable_variable_count(model, 4)
    model.layers[0].trainable = True
    assert exercises.check_trainable_variable_count(model, 4)


def test_what_the_rate_destroyed_reads_the_probe():
    from tltutor.report.results import Comparison

    def sweep(probe):
        rows = [{"fine-tuning rate": "1e-02", "seed": seed, "probe_test_accuracy": probe + 0.01 * seed}
                for seed in (0, 1, 2)]
        return Comparison("fine-tuning rate", rows)

    assert exercises.check_what_the_rate_destroyed(sweep(0.10), "base")
    assert exercises.check_what_the_rate_destroyed(sweep(0.10), " Base ")
    assert not exercises.check_what_the_rate_destroyed(sweep(0.10), "head")
    assert exercises.check_what_the_rate_destroyed(sweep(0.78), "head")  # features survived: only the head broke
    assert not exercises.check_what_the_rate_destroyed(sweep(0.78), "base")


def test_group_learning_rate():
    assert exercises.check_group_learning_rate(1e-3 / 2.6 ** 2, learning_rate=1e-3, layerwise_decay=2.6, depth=2)
    assert exercises.check_group_learning_rate("1.48e-4", learning_rate=1e-3, layerwise_decay=2.6, depth=2)
    assert not exercises.check_group_learning_rate(1e-3 / 2.6, learning_rate=1e-3, layerwise_decay=2.6, depth=2)


def test_final_gap_reads_the_last_epoch():
    history = TrainingHistory()
    history.add_phase("head", {"accuracy": [0.5, 0.9], "val_accuracy": [0.5, 0.7]}, seconds=1.0)
    assert exercises.check_final_gap(history, 0.2)
    assert not exercises.check_final_gap(history, 0.0)
    assert not exercises.check_final_gap(history, None)


def test_largest_gain_reads_the_named_strategy_per_size():
    grid = Comparison("strategy")
    for size, (extraction, fine_tuning, scratch) in {5: (0.6, 0.5, 0.2), 400: (0.8, 0.9, 0.5)}.items():
        for seed in range(3):
            grid.add("feature_extraction", seed, samples_per_class=size, test_accuracy=extraction)
            grid.add("fine_tuning", seed, samples_per_class=size, test_accuracy=fine_tuning)
            grid.add("scratch", seed, samples_per_class=size, test_accuracy=scratch)
    assert exercises.check_largest_gain(grid, 5)  # feature extraction: +0.4 at 5, +0.3 at 400
    assert not exercises.check_largest_gain(grid, 400)
    assert exercises.check_largest_gain(grid, 400, strategy="fine_tuning")  # +0.3 at 5, +0.4 at 400
    assert not exercises.check_largest_gain(grid, "many")


def test_largest_shift_drop_is_relative_to_clean_images():
    shifted = comparison("shift", {"none": {"accuracy": 0.80}, "noise": {"accuracy": 0.70},
                                   "inversion": {"accuracy": 0.20}})
    assert exercises.check_largest_shift_drop(shifted, "inversion")
    assert not exercises.check_largest_shift_drop(shifted, "none")
    assert not exercises.check_largest_shift_drop(shifted, "noise")


def test_least_forgetting():
    methods = comparison("method", {"naive": {"old_task_accuracy": 0.3, "forgetting": -0.7},
                                    "rehearsal": {"old_task_accuracy": 0.9, "forgetting": -0.1}})



def test_most_changed_depth(capsys):
    similarity = comparison("depth", {1: {"cka": 1.0}, 2: {"cka": 0.95}, 3: {"cka": 0.97}})
    assert exercises.check_most_changed_depth(similarity, 2)
    assert "spread" in capsys.readouterr().out
    assert not exercises.check_most_changed_depth(similarity, 3)
    assert not exercises.check_most_changed_depth(similarity, "deep")
    assert exercises.check_frozen_layer_similarity(1) and exercises.check_frozen_layer_similarity("1.0")
    assert not exercises.check_frozen_layer_similarity(0.95) and not exercises.check_frozen_layer_similarity(None)


def test_size_ratio():
    flat = comparison("variant", {"float32": {"tflite_mb": 12.0}, "int8": {"tflite_mb": 3.0}}, seeds=(0,))
    assert exercises.check_size_ratio(flat, 4.0)
    assert exercises.check_size_ratio(flat, "4")
    assert not exercises.check_size_ratio(flat, 2.5)


def test_largest_transfer_gap_compares_each_target_with_its_in_domain_reference():
    shift = comparison("strategy", {"frozen": {"tweets_accuracy": 0.70, "nyt_accuracy": 0.60},
                                    "frozen, in-domain": {"tweets_accuracy": 0.78, "nyt_accuracy": 0.64},
                                    "tfidf": {"tweets_accuracy": 0.52, "nyt_accuracy": 0.40},
                                    "tfidf, in-domain": {"tweets_accuracy": 0.55, "nyt_accuracy": 0.70}})
    assert exercises.check_largest_transfer_gap(shift, "tweets")
    assert not exercises.check_largest_transfer_gap(shift, "nyt"), "the lowest accuracy is not the largest gap"
    assert exercises.check_largest_transfer_gap(shift, "nyt", strategy="tfidf")


def test_narrowest_interval_is_read_from_the_paired_verdicts():
    remedies = Comparison("remedy")
    for seed, (none, steady, noisy) in enumerate([(0.70, 0.71, 0.60), (0.75, 0.76, 0.85), (0.72, 0.73, 0.70)]):
        remedies.add("head", seed, test_accuracy=none + 0.01)  # as steady, but the start, not a remedy
        remedies.add("none", seed, test_accuracy=none)
        remedies.add("steady", seed, test_accuracy=steady)  # always +0.01: an interval of width 0
        remedies.add("noisy", seed, test_accuracy=noisy)
    assert exercises.check_narrowest_interval(remedies, "steady")
    assert not exercises.check_narrowest_interval(remedies, "noisy")
    assert not exercises.check_narrowest_interval(remedies, "head")


def test_measurable_tasks_need_an_interval_above_zero():
    def task(gains):
        built = Comparison("strategy")
        for seed, gain in enumerate(gains):
            built.add("frozen", seed, test_accuracy=0.8 + 0.01 * seed)
            built.add("fine_tune", seed, test_accuracy=0.8 + 0.01 * seed + gain)
        return built

    results = {"speaker": task([0.02, -0.03, 0.01]), "digit": task([0.08, 0.09, 0.10]),
               "recorded": task([0.05, 0.06, 0.04]), "worse": task([-0.08, -0.09, -0.10])}
    assert exercises.check_measurable_tasks(results, ["recorded", "Digit"])
    assert not exercises.check_measurable_tasks(results, "digit")
    assert not exercises.check_measurable_tasks(results, ["digit", "recorded", "worse"])
    assert not exercises.check_measurable_tasks(results, None)
    assert exercises.check_measurable_tasks({"speaker": results["speaker"]}, "none")


def test_measurably_higher_variants_need_an_interval_above_zero():
    study = Comparison("variant")
    for seed, (leaky, noisy) in enumerate([(0.10, 0.05), (0.12, -0.06), (0.11, 0.02)]):
        study.add("baseline", seed, attack_auc=0.70 + 0.01 * seed)
        study.add("long", seed, attack_auc=0.70 + 0.01 * seed + leaky)
        study.add("noisy", seed, attack_auc=0.70 + 0.01 * seed + noisy)
        study.add("lower", seed, attack_auc=0.60 + 0.01 * seed)
    assert exercises.check_measurably_higher_variants(study, ["Long"], "baseline", "attack_auc")
    assert exercises.check_measurably_higher_variants(study, "long", "baseline", "attack_auc")
    assert not exercises.check_measurably_higher_variants(study, ["long", "noisy"], "baseline", "attack_auc")
    assert not exercises.check_measurably_higher_variants(study, "none", "baseline", "attack_auc")
    assert exercises.check_measurably_higher_variants(study, "none", "long", "attack_auc")


def test_better_task_compares_gains_not_accuracies():
    results = {"digits": comparison("strategy", {"frozen": {"test_accuracy": 0.90}, "mfcc": {"test_accuracy": 0.88}}),
               "speakers": comparison("strategy", {"frozen": {"test_accuracy": 0.70}, "mfcc": {"test_accuracy": 0.40}})}
    assert exercises.check_better_task(results, "speakers")
    assert not exercises.check_better_task(results, "digits")


@pytest.mark.parametrize("scenario, expected", [
    ("ImageNet network, a few labelled X-rays of a new disease", "inductive"),
    ("pneumonia classifier, another hospital's unlabelled X-rays", "transductive"),
    ("sentence embeddings, grouping unlabelled support tickets", "unsupervised")])
def test_transfer_type(scenario, expected):
    assert exercises.check_transfer_type(scenario, expected.upper())
    wrong = {"inductive", "transductive", "unsupervised"} - {expected}
    assert not any(exercises.check_transfer_type(scenario, answer) for answer in wrong)


def test_quiz_answers_are_spread_over_the_letters_and_keep_their_option():
    from collections import Counter

    from tltutor.lessons import quiz, quiz_bank

    letters = Counter()
    for lesson, questions in quiz_bank.QUESTIONS.items():
        shown = quiz.for_lesson(lesson).questions
        for written, question in zip(questions, shown):
            right = written["options"][quiz.LETTERS.index(written["answer"])]
            assert question.options[quiz.LETTERS.index(question.answer)] == right
            assert sorted(question.options) == sorted(written["options"])
        letters.update(question.answer for question in shown)
        in_lesson = Counter(question.answer for question in shown)
        assert max(in_lesson.values()) * 2 <= len(shown), f"{lesson}: one letter answers most questions: {in_lesson}"
    total = sum(letters.values())
    assert max(letters.values()) / total <= 0.40, f"answers bunch on one letter: {letters}"


def test_the_quiz_file_follows_its_schema():
    import json
    from pathlib import Path

    from tltutor.lessons import quiz, quiz_bank

    data = json.loads(quiz_bank.QUIZZES_PATH.read_text(encoding="utf-8"))
    notebooks = {path.stem for path in (Path(__file__).parents[1] / "notebooks").glob("*.ipynb")}
    assert set(data) == notebooks, "one quiz per lesson, keyed by the notebook's name"
    texts = []
    for lesson, questions in data.items():
        assert len(questions) >= 3, lesson
        for question in questions:
            assert set(question) == {"text", "options", "answer", "why"}, (lesson, question)
            assert all(isinstance(question[key], str) and question[key].strip() for key in ("text", "answer", "why"))
            assert 2 <= len(question["options"]) <= len(quiz.LETTERS)
            assert len(set(question["options"])) == len(question["options"]), question["text"]
            assert question["answer"] in quiz.LETTERS[:len(question["options"])], question["text"]
            texts.append(question["text"])
        assert any(question["text"].startswith(quiz.PREDICTION_PREFIX) for question in questions), \
            f"{lesson} has no 'predict, then run' question"
    assert len(texts) == len(set(texts)), "every question is asked once"


def test_predictions_show_the_prediction_questions_under_their_quiz_numbers():
    from tltutor.lessons import quiz

    shown = quiz.for_lesson("04_gradual_unfreezing")
    predictions = shown.predictions()
    assert [number for number, _ in predictions.numbered] == [
        number for number, question in enumerate(shown.questions, start=1) if question.text.startswith("Predict")]
    number, question = predictions.numbered[0]
    markdown = predictions._repr_markdown_()
    assert f"{number}. {question.text}" in markdown and f"question {number} of the quiz" in markdown
    assert all(option in markdown for option in question.options)
    without = quiz.Quiz("example", [quiz.Question("Why freeze?", ("speed", "features"), "b", ".")])
    with pytest.raises(ValueError, match="no question starting with"):
        without.predictions()


def _paired(variant_key, table):
    """A Comparison from ``{variant: {metric: [one value per seed]}}``."""
    built = Comparison(variant_key)
    for variant, metrics in table.items():
        for seed in range(len(next(iter(metrics.values())))):
            built.add(variant, seed, **{metric: values[seed] for metric, values in metrics.items()})
    return built


def test_measurably_worse_remedy_accepts_any_remedy_below_none_and_no_other():
    remedies = _paired("remedy", {"none": {"balanced_accuracy": [0.80, 0.78, 0.82]},
                                  "undersample": {"balanced_accuracy": [0.76, 0.75, 0.79]},
                                  "focal_loss": {"balanced_accuracy": [0.79, 0.77, 0.81]},
                                  "noisy": {"balanced_accuracy": [0.70, 0.85, 0.80]}})
    assert exercises.check_measurably_worse_remedy(remedies, "undersample")
    assert exercises.check_measurably_worse_remedy(remedies, "focal_loss")
    assert not exercises.check_measurably_worse_remedy(remedies, "noisy")


def test_cheap_protection_needs_the_old_task_won_and_little_of_the_new_task_lost():
    methods = _paired("method", {
        "naive": {"old_task_accuracy": [0.30, 0.20, 0.40], "new_task_accuracy": [0.60, 0.62, 0.58]},
        "rehearsal": {"old_task_accuracy": [0.85, 0.88, 0.90], "new_task_accuracy": [0.55, 0.56, 0.54]},
        "l2sp": {"old_task_accuracy": [0.93, 0.95, 0.94], "new_task_accuracy": [0.32, 0.33, 0.30]},
        "lwf": {"old_task_accuracy": [0.80, 0.90, 0.85], "new_task_accuracy": [0.61, 0.60, 0.60]},
        "low_lr": {"old_task_accuracy": [0.20, 0.40, 0.30], "new_task_accuracy": [0.58, 0.60, 0.57]}})
    assert exercises.check_cheap_protection(methods, ["lwf", "Rehearsal"])  # any order, any case
    assert not exercises.check_cheap_protection(methods, "rehearsal"), "half of the answer is not the answer"
    assert not exercises.check_cheap_protection(methods, ["rehearsal", "lwf", "l2sp"]), "l2sp paid 0.28"
    assert exercises.check_cheap_protection(methods, ["rehearsal", "lwf", "l2sp"], max_cost=0.3)
