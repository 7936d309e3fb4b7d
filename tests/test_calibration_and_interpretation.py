"""Calibration (ECE, reliability bins, temperature) and interpretation (top losses, most confused pairs)."""

import numpy as np
import pytest

import tltutor as tl
from tltutor.errors import InvalidArgumentError
from tltutor.report import calibration, diagnostics


def _overconfident(count=2000, seed=0):
    """Logits whose softmax says 0.95+ while the labels agree only 70 % of the time."""
    rng = np.random.default_rng(seed)
    predicted = rng.integers(0, 4, count)
    labels = np.where(rng.random(count) < 0.7, predicted, (predicted + 1) % 4)
    logits = np.eye(4)[predicted] * 5.0 + rng.normal(scale=0.3, size=(count, 4))
    return logits, labels


def test_ece_is_the_weighted_gap_between_confidence_and_accuracy():
    probabilities = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    labels = np.array([0, 1, 0, 0])
    # bin 0.8–0.9: confidence 0.9, accuracy 0.5; bin 0.5–0.6: confidence 0.6, accuracy 1.0
    assert calibration.expected_calibration_error(probabilities, labels) == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)
    bins = calibration.reliability_bins(probabilities, labels)
    assert sum(row["count"] for row in bins) == 4 and len(bins) == 10


def test_temperature_fitted_on_one_half_calibrates_the_other_and_keeps_every_prediction():
    logits, labels = _overconfident()
    fitting, held_out = slice(0, 1000), slice(1000, None)
    temperature = calibration.fit_temperature(logits[fitting], labels[fitting])
    assert temperature > 1.5
    before = calibration.expected_calibration_error(calibration.softmax(logits[held_out]), labels[held_out])
    after = calibration.expected_calibration_error(calibration.softmax(logits[held_out], temperature), labels[held_out])
    assert before > 0.2 and after < 0.05
    assert calibration.negative_log_likelihood(logits[held_out], labels[held_out], temperature) < \
        calibration.negative_log_likelihood(logits[held_out], labels[held_out])
    assert np.array_equal(calibration.softmax(logits, temperature).argmax(-1), logits.argmax(-1))


@pytest.mark.parametrize("call, message", [
    (lambda: calibration.expected_calibration_error(np.full((3, 2), 0.5), [0, 1]), "one integer label per row"),
    (lambda: calibration.expected_calibration_error(np.array([[2.0, -1.0]]), [0]), "logits\\? pass softmax"),
    (lambda: calibration.expected_calibration_error(np.array([[0.5, 0.5]]), [2]), "integers from 0 to 1"),
    (lambda: calibration.reliability_bins(np.array([[0.5, 0.5]]), [0], bins=0), "bins"),
    (lambda: calibration.softmax(np.zeros((1, 2)), temperature=0), "temperature"),
    (lambda: calibration.negative_log_likelihood(np.array([[np.nan, 0.0]]), [0]), "logits contain NaN")])
def test_bad_calibration_input_is_refused(call, message):
    with pytest.raises(InvalidArgumentError, match=message):
        call()


def test_a_temperature_fit_without_evidence_warns():
    logits, labels = np.array([[5.0, 0.0], [0.0, 5.0]]), np.array([0, 1])  # every prediction right
    with pytest.warns(UserWarning, match="bound"):
        calibration.fit_temperature(logits, labels)


def test_losses_per_example_match_keras():
    import keras
    logits, labels = _overconfident(50)
    expected = keras.ops.convert_to_numpy(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    assert np.allclose(diagnostics.losses_per_example(labels, logits), expected, atol=1e-5)


def test_most_confused_counts_each_pair_of_mistakes():
    true, predicted = [0, 0, 0, 1, 1, 2, 2, 2], [1, 1, 0, 0, 1, 1, 0, 2]
    assert diagnostics.most_confused(true, predicted, ["a", "b", "c"]) == [
        {"true": "a", "predicted": "b", "count": 2}, {"true": "b", "predicted": "a", "count": 1},
        {"true": "c", "predicted": "a", "count": 1}, {"true": "c", "predicted": "b", "count": 1}]
    assert diagnostics.most_confused(true, predicted, ["a", "b", "c"], minimum=2) == [
        {"true": "a", "predicted": "b", "count": 2}]


def test_top_losses_are_the_worst_examples_of_a_real_model_and_plot():
    train, validation, test, info = tl.data.load_dataset(image_size=32, samples_per_class=5, test_samples_per_class=3,
                                                         pipeline="arrays")
    model = tl.models.build_transfer_model(num_classes=info.num_classes, image_size=32)
    rows = diagnostics.top_losses(model, test, count=4, class_names=info.class_names)
    labels, logits = tl.training.predict_logits(model, test)
    losses = diagnostics.losses_per_example(labels, logits)
    assert [row["loss"] for row in rows] == [round(float(value), 4) for value in sorted(losses, reverse=True)[:4]]
    assert rows[0]["true"] == info.class_names[labels[rows[0]["index"]]]
    figure = tl.report.plots.plot_top_losses(test[0], rows, columns=2)
    assert len([axis for axis in figure.axes if axis.images]) == 4


def test_calibration_study_rows_and_reliability(monkeypatch):
    monkeypatch.setenv("TLTUTOR_QUICK", "1")
    study = tl.lessons.experiments.calibration_study(seeds=(0,), image_size=32, progress=False)
    assert study.variants == ["feature extraction", "feature extraction + temperature", "fine-tuning",
                              "fine-tuning + temperature"]
    plain, scaled = (study.values(variant, "test_accuracy") for variant in ("fine-tuning", "fine-tuning + temperature"))
    assert plain == scaled  # a temperature never changes a prediction
    assert study.values("feature extraction", "temperature") == [1.0]
    assert set(study.settings["reliability"]) == set(study.variants)
    head_steps, tuned_steps = study.values("feature extraction", "steps"), study.values("fine-tuning", "steps")
    assert tuned_steps[0] == head_steps[0] + study.values("fine-tuning", "fine_tune_steps")[0] > head_steps[0] > 0
    figure = tl.report.plots.plot_reliability({name: study.settings["reliability"][name] for name in study.variants[:2]})
    assert len(figure.axes) == 2


def test_early_stopping_payoff_rewinds_the_same_run_to_its_best_epoch():
    study = tl.lessons.stopping.early_stopping_payoff(wrong_label_rates=(0.0, 0.5), seeds=(0,), image_size=32,
                                                      samples_per_class=20, test_samples_per_class=5, epochs=40,
                                                      patience=3, progress=False)
    last, stopped = (tl.lessons.stopping.arm_name(name, 0.5) for name in ("last epoch", "early stopping"))
    assert study.values(last, "epochs") == [40] and study.history(last).epochs == 40
    # the same data and batches: the stopped run saw the same best epoch, then stopped `patience` epochs later
    best = study.values(last, "best_epoch")[0]
    assert best + 3 < 40, "the check needs a run whose validation loss turns before the budget ends"
    assert study.values(stopped, "best_epoch") == [best]
    assert study.values(stopped, "epochs") == [min(40, best + 3)]
    assert study.values(stopped, "steps")[0] * 40 == study.values(last, "steps")[0] * min(40, best + 3)


def test_early_stopping_payoff_rejects_a_bad_rate_before_any_work():
    with pytest.raises(InvalidArgumentError, match="noise rate"):
        tl.lessons.stopping.early_stopping_payoff(wrong_label_rates=(0.2, 1.5))
