"""Helpers for notebooks 07-12: domain shift and AdaBN, imbalance remedies, forgetting remedies,
explainability and deployment. Small models and real data, so each test runs in seconds."""

import keras
import numpy as np
import pytest

from tltutor import batchnorm, compiling, models, training
from tltutor.data import batches, pipelines
from tltutor.errors import InvalidArgumentError, UnknownNameError
from tltutor.lessons import baselines, deployment, explain, forgetting, imbalance, shift


# --- domain shift -------------------------------------------------------------------------------

def test_each_shift_changes_images_as_named_and_grows_with_severity():
    rng = np.random.default_rng(0)
    images = rng.uniform(60, 200, (4, 32, 32, 3)).astype(np.float32)
    images[:, :, :16] = 230
    for kind in shift.KINDS:
        mild, strong = (np.abs(shift.shift_images(images, kind, severity) - images).mean() for severity in (1, 5))
        assert 0 < mild < strong, kind
    contrast = shift.shift_images(images, "contrast", 5)
    assert contrast.std() < 0.2 * images.std()
    np.testing.assert_allclose(shift.shift_images(images, "inversion", 5), 255 - images, atol=1e-3)
    blurred = shift.shift_images(images, "blur", 5)
    assert np.abs(np.diff(blurred, axis=2)).mean() < np.abs(np.diff(images, axis=2)).mean()


def test_bad_shift_arguments_are_explained():
    images = np.zeros((1, 8, 8, 3))
    with pytest.raises(UnknownNameError, match="noise"):
        shift.shift_images(images, "nois")
    with pytest.raises(InvalidArgumentError, match="severity"):
        shift.shift_images(images, "blur", severity=9)
    with pytest.raises(InvalidArgumentError, match="shape"):
        shift.shift_images(np.zeros((8, 8, 3)), "blur")


def test_shift_report_measures_the_drop_of_a_real_model(tiny_data):
    train, validation, test, info = tiny_data
    model = models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=64)
    training.train_head(model, train, validation, epochs=8, early_stopping_patience=None)
    report = shift.shift_report(model, test, kinds=("blur", "noise"), severities=(1, 5))
    rows = report.rows
    assert report.variant_key == "shift"
    assert [(row["shift"], row["severity"]) for row in rows] == [("none", 0), ("blur", 1), ("blur", 5),
                                                                 ("noise", 1), ("noise", 5)]
    clean = rows[0]["accuracy"]
    assert clean > 0.4
    for row in rows[1:]:
        assert row["drop"] == pytest.approx(clean - row["accuracy"], abs=1e-3)
    assert rows[2]["drop"] > max(0.1, rows[1]["drop"]) and rows[4]["drop"] > 0.1  # measured: 0.52 and 0.25


def test_adabn_sets_batchnorm_statistics_to_the_targets_and_touches_nothing_else():
    model = models.build_transfer_model("DigitsCNN", 3, image_size=32, weights="digits")
    norms = batchnorm.batchnorm_layers(model)
    first = norms[0]
    weights_before = [weight.copy() for weight in model.get_weights()]
    trainable_before = [layer.trainable for layer in norms]
    target = np.random.default_rng(0).uniform(0, 255, (64, 32, 32, 3)).astype(np.float32)
    assert batchnorm.adapt_batchnorm(model, target, batch_size=32) == len(norms)
    # The first BatchNorm's moving mean is now the mean of its inputs over the target images.
    inputs_of_first = keras.Model(model.get_layer("base").inputs, first.input)
    seen = np.concatenate([keras.ops.convert_to_numpy(inputs_of_first(batchnorm.inputs_of_base(model, target[i:i + 32])))
                           for i in (0, 32)])
    np.testing.assert_allclose(np.asarray(first.moving_mean), seen.mean(axis=(0, 1, 2)), rtol=1e-3, atol=1e-3)
    assert [layer.trainable for layer in norms] == trainable_before
    changed = [not np.allclose(old, new) for old, new in zip(weights_before, model.get_weights())]
    assert sum(changed) == 2 * len(norms)  # moving mean and variance of each BatchNorm only
    other = np.random.default_rng(1).uniform(0, 100, (40, 32, 32, 3)).astype(np.float32)
    batchnorm.adapt_batchnorm(model, other, batch_size=32)  # the kept trace runs on new images, batches of 32 and 8
    seen = np.concatenate([keras.ops.convert_to_numpy(inputs_of_first(batchnorm.inputs_of_base(model, batch)))
                           for batch in (other[:32], other[32:])])
    expected = (seen[:32].var(axis=(0, 1, 2)) + seen[32:].var(axis=(0, 1, 2))) / 2  # the mean of the batches' variances
    np.testing.assert_allclose(np.asarray(first.moving_variance), expected, rtol=1e-3, atol=1e-3)


# --- imbalance ----------------------------------------------------------------------------------

def test_long_tail_subset_has_the_asked_ratio_and_remedies_balance_it():
    labels = np.repeat(np.arange(4), 50)
    images = np.arange(200)
    small_images, small_labels = imbalance.make_imbalanced(images, labels, ratio=10, largest=40)
    counts = imbalance.class_counts(small_labels, 4)
    assert counts.tolist() == [40, 19, 9, 4] and set(small_images % 200) <= set(images)
    np.testing.assert_array_equal(labels[small_images], small_labels)  # images keep their labels
    weights = imbalance.class_weights(small_labels, 4)
    assert weights[3] > weights[0] and sum(weights[c] * counts[c] for c in range(4)) == pytest.approx(len(small_labels), rel=1e-3)
    _, over = imbalance.oversample(small_images, small_labels)
    _, under = imbalance.undersample(small_images, small_labels)
    assert imbalance.class_counts(over, 4).tolist() == [40] * 4 and imbalance.class_counts(under, 4).tolist() == [4] * 4
    with pytest.raises(InvalidArgumentError, match="share"):
        imbalance.make_imbalanced(images, labels, ratio=2, largest=80)


def test_focal_loss_is_cross_entropy_at_gamma_0_and_down_weights_easy_examples():
    logits = np.array([[4.0, 0.0], [0.2, 0.0]], np.float32)
    labels = np.array([0, 0])
    cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)(labels, logits)
    focal_0 = imbalance.SparseFocalLoss(0.0, reduction=None)(labels, logits)
    focal_2 = imbalance.SparseFocalLoss(2.0, reduction=None)(labels, logits)
    np.testing.assert_allclose(focal_0, cross_entropy, rtol=1e-5)
    ratio = np.asarray(focal_2) / np.asarray(cross_entropy)
    assert ratio[0] < 0.01 < ratio[1] < 1  # the easy example loses almost all its weight
    restored = keras.losses.deserialize(keras.losses.serialize(imbalance.SparseFocalLoss(1.5)))
    assert restored.gamma == 1.5


def test_logit_adjustment_favours_rare_classes():
    priors = imbalance.class_priors(np.array([0] * 9 + [1]), 2)
    adjusted = imbalance.adjust_logits(np.array([[1.0, 0.0]]), priors)
    assert np.argmax(adjusted) == 1
    with pytest.raises(InvalidArgumentError, match="priors"):
        imbalance.adjust_logits(np.zeros((1, 3)), priors)


# --- forgetting ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_tasks():
    old_model, task_a = forgetting.old_task_model(epochs=15)
    rng = np.random.default_rng(1)
    from tltutor.data import sources, batches

    fashion = sources.embedded_fashion_mnist()
    chosen = rng.choice(len(fashion.x_pool), 300, replace=False)
    new_images = batches.resize_images(fashion.x_pool[chosen], 32)
    new_labels = fashion.y_pool[chosen].astype(np.int32)
    return old_model, task_a, (new_images[:200], new_labels[:200]), (new_images[200:], new_labels[200:])


def test_old_task_model_really_knows_digits(two_tasks):
    old_model, task_a, _, _ = two_tasks
    images, labels = task_a.test
    accuracy = np.mean(np.argmax(old_model.predict(images.astype(np.float32), verbose=0), -1) == labels)
    assert accuracy > 0.8 and len(labels) == 360  # DigitsCNN's own held-out fifth of the digits


def _kernels(model):
    return [np.asarray(variable) for variable in model.get_layer("base").weights if "kernel" in variable.path]


def test_naive_fine_tuning_forgets_and_l2sp_keeps_weights_closer(two_tasks):
    old_model, task_a, new_train, new_test = two_tasks
    start = [weight.copy() for weight in old_model.get_weights()]
    results = {}
    for method in ("naive", "l2sp"):
        old_model.set_weights(start)
        both = forgetting.two_task_model(old_model, 10)
        before = forgetting.task_accuracies(both, task_a.test, new_test)["old_task_accuracy"]
        history = forgetting.train_new_task(both, new_train, method=method, epochs=4, learning_rate=3e-3)
        pretrained = models.build_transfer_model("DigitsCNN", 10, weights="digits", image_size=32)
        distance = sum(float(np.sum((a - b) ** 2)) for a, b in zip(_kernels(old_model), _kernels(pretrained)))
        results[method] = (before, forgetting.task_accuracies(both, task_a.test, new_test), distance, history)
    naive_before, naive_after, naive_distance, _ = results["naive"]
    _, l2sp_after, l2sp_distance, l2sp_history = results["l2sp"]
    assert naive_after["old_task_accuracy"] < naive_before - 0.1  # forgetting, measured
    assert l2sp_distance < naive_distance
    # the default alpha protects A: +0.19 on one machine, +0.019 on another (2026-12-06), from the same code
    assert l2sp_after["old_task_accuracy"] > naive_after["old_task_accuracy"]
    assert all(variable.regularizer is None for variable in old_model.get_layer("base").weights)  # detached
    assert np.isfinite(l2sp_history.metric("loss")).all() and l2sp_history.steps == 4 * 7  # 4 passes of 200 at 32
    old_model.set_weights(start)


def test_frozen_base_forgets_nothing_and_low_lr_slows_only_the_base(two_tasks):
    old_model, task_a, new_train, new_test = two_tasks
    start = [weight.copy() for weight in old_model.get_weights()]
    both = forgetting.two_task_model(old_model, 10)
    before = forgetting.task_accuracies(both, task_a.test, new_test)
    history = forgetting.train_new_task(both, new_train, method="frozen_base", epochs=2)
    after = forgetting.task_accuracies(both, task_a.test, new_test)
    assert after["old_task_accuracy"] == before["old_task_accuracy"] and history.steps == 14
    for old, new in zip(start, old_model.get_weights()):
        np.testing.assert_array_equal(old, new)  # the base and the old head did not move
    old_model.set_weights(start)
    both = forgetting.two_task_model(old_model, 10)
    forgetting.train_new_task(both, new_train, method="low_lr", epochs=1, learning_rate=1e-3, low_learning_rate=1e-4)
    multipliers = compiling.settings_of(both.optimizer).multipliers
    base_paths = {variable.path for variable in both.get_layer("base").trainable_weights}
    assert set(multipliers) == base_paths and all(value == pytest.approx(0.1) for value in multipliers.values())
    assert not any("new_classifier" in path for path in multipliers), "the new head trains at the normal rate"
    old_model.set_weights(start)


def test_rehearsal_and_lwf_train_both_heads_as_designed(two_tasks):
    old_model, task_a, new_train, new_test = two_tasks
    start = [weight.copy() for weight in old_model.get_weights()]
    old_head = old_model.get_layer("classifier").get_weights()[0].copy()
    for method in ("rehearsal", "lwf"):
        old_model.set_weights(start)
        both = forgetting.two_task_model(old_model, 10)
        history = forgetting.train_new_task(both, new_train, method=method, epochs=1, old_train=task_a.train)
        assert np.isfinite(history.metric("loss")).all() and history.steps == 7  # rehearsal: no extra steps
        assert {"old_loss", "new_loss"} <= set(history.records[0]) and history.phase_starts == {method: 0}
        np.testing.assert_array_equal(old_model.get_layer("classifier").get_weights()[0], old_head)  # frozen
    with pytest.raises(InvalidArgumentError, match="old_train"):
        forgetting.train_new_task(both, new_train, method="rehearsal")
    with pytest.raises(UnknownNameError):
        forgetting.train_new_task(both, new_train, method="ewc")
    old_model.set_weights(start)


def test_distillation_is_zero_for_identical_outputs():
    logits = np.array([[2.0, 0.5, -1.0]], np.float32)
    loss = forgetting.Distillation(2.0, reduction=None)
    assert float(np.asarray(loss(logits, logits))[0]) == pytest.approx(0.0, abs=1e-6)
    assert float(np.asarray(loss(logits, logits[:, ::-1]))[0]) > 0.1


# --- explainability -----------------------------------------------------------------------------

def test_grad_cam_on_the_real_imagenet_head(photos):
    from tltutor import imagenet

    model = explain.imagenet_model(224)
    cat = imagenet.resize_array(photos["chelsea"], 224)
    top = int(np.argmax(model.predict(cat[None], verbose=0)[0]))
    assert "cat" in imagenet.class_names()[top].lower()  # the ImageNet head really came along
    heatmap = explain.grad_cam(model, cat)
    assert heatmap.shape == (224, 224) and heatmap.min() >= 0 and 0.95 < heatmap.max() <= 1
    assert heatmap.std() > 0.05  # some regions matter more than others
    other = explain.grad_cam(model, cat, class_index=504)  # "coffee mug": another explanation
    assert np.abs(other - heatmap).mean() > 0.01
    with pytest.raises(InvalidArgumentError, match="shape"):
        explain.grad_cam(model, np.zeros((224, 224)))
    with pytest.raises(InvalidArgumentError, match="class_index"):
        explain.grad_cam(model, cat, class_index=1000)


def test_pca_embedding_and_linear_cka_properties():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(50, 5)) * np.array([10, 5, 1, 0.1, 0.1])
    embedded = explain.embed_2d(points)
    assert embedded.shape == (50, 2) and embedded[:, 0].var() > embedded[:, 1].var()
    rotation, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    assert explain.linear_cka(points, 3 * points @ rotation) == pytest.approx(1.0, abs=1e-6)
    assert explain.linear_cka(points, rng.normal(size=(50, 5))) < 0.5


def test_layer_similarity_is_one_for_the_same_network_and_drops_after_training():
    first = models.build_transfer_model("DigitsCNN", 3, image_size=32, weights="digits")
    second = models.build_transfer_model("DigitsCNN", 3, image_size=32, weights="digits")
    images = np.random.default_rng(0).uniform(0, 255, (40, 32, 32, 3)).astype(np.float32)
    same = explain.layer_similarity(first, second, images)
    assert all(row["cka"] == pytest.approx(1.0, abs=1e-4) for row in same)
    last = second.get_layer("base").get_layer("conv3_conv").kernel
    last.assign(np.asarray(last) + np.random.default_rng(1).normal(0, 1, last.shape))
    changed = explain.layer_similarity(first, second, images)
    assert changed[-1]["cka"] < 0.99 and changed[0]["cka"] == pytest.approx(1.0, abs=1e-4)


def test_weight_change_by_block_measures_the_block_that_moved_and_no_other():
    first = models.build_transfer_model("DigitsCNN", 3, image_size=32, weights="digits")
    second = models.build_transfer_model("DigitsCNN", 3, image_size=32, weights="digits")
    assert all(row["change_percent"] == 0.0 for row in explain.weight_change_by_block(first, second))
    layer = second.get_layer("base").get_layer("conv3_conv")
    layer.set_weights([weight * 1.1 for weight in layer.get_weights()])  # every weight of conv3 grows by 10 %
    rows = {row["block"]: row["change_percent"] for row in explain.weight_change_by_block(first, second)}
    assert rows.pop("conv3") == pytest.approx(10.0, abs=0.01) and set(rows.values()) == {0.0}
    other = models.build_transfer_model("EfficientNetLite0", 3, image_size=32)
    with pytest.raises(InvalidArgumentError, match="bases differ"):
        explain.weight_change_by_block(first, other)


# --- deployment ---------------------------------------------------------------------------------

def test_tflite_quantization_shrinks_the_model_and_keeps_its_predictions(tmp_path):
    from sklearn.datasets import load_digits

    model = models.build_transfer_model("DigitsCNN", 3, image_size=32, weights="digits")
    classifier = model.get_layer("classifier")
    kernel, bias = classifier.get_weights()  # a head whose predictions spread over the classes
    classifier.set_weights([np.random.default_rng(0).normal(0, 1, kernel.shape).astype(np.float32), bias])
    digits = load_digits().images[:30] * (255 / 16)
    images = batches.resize_images(digits.astype(np.uint8), 32).astype(np.float32)  # real digits, RGB
    labels = np.argmax(model.predict(images, verbose=0), -1)
    assert len(set(labels.tolist())) >= 2, "the float model must predict more than one class for agreement to mean anything"
    measured = deployment.measure_model(model, repeats=3)
    assert measured["parameters"] == model.count_params() and measured["keras_file_mb"] > 0
    float_model = deployment.to_tflite(model)
    variants = deployment.to_tflite_variants(model, ("dynamic", "int8"), representative_images=images)
    dynamic, int8 = variants["dynamic"], variants["int8"]
    assert len(dynamic) < 0.6 * len(float_model) and len(int8) < 0.6 * len(float_model)
    assert deployment.evaluate_tflite(float_model, images, labels, latency_repeats=3)["accuracy"] == 1.0
    assert deployment.evaluate_tflite(int8, images, labels, latency_repeats=3)["accuracy"] >= 0.8
    deployed = deployment.tflite_latency(float_model, repeats=3)
    assert deployed["tflite_mb"] == round(len(float_model) / 1e6, 2) and deployed["tflite_latency_ms"] > 0
    served = deployment.export_for_serving(model, tmp_path / "serving")
    reloaded = deployment.compare_served_logits(served, model, images)
    assert reloaded["same_prediction"] == 1.0 and reloaded["max_logit_difference"] < 1e-4
    classifier.set_weights([kernel, bias])  # the served file keeps the weights it was exported with
    assert deployment.compare_served_logits(served, model, images)["max_logit_difference"] > 1e-2
    with pytest.raises(InvalidArgumentError, match="no SavedModel"):
        deployment.compare_served_logits(tmp_path, model, images)
    with pytest.raises(InvalidArgumentError, match="not empty"):
        deployment.export_for_serving(model, served)
    with pytest.raises(InvalidArgumentError, match="representative_images"):
        deployment.to_tflite(model, "int8")
    with pytest.raises(InvalidArgumentError, match="quantization"):
        deployment.to_tflite_variants(model, ("float32", "float8"))
    with pytest.raises(InvalidArgumentError, match="list of names"):
        deployment.to_tflite_variants(model, "int8", representative_images=images)
    with pytest.raises(InvalidArgumentError, match="resize them"):
        deployment.to_tflite(model, "int8", representative_images=images[:, :16, :16])
    assert len(deployment.to_tflite(model, "FLOAT32")) == len(float_model)  # a name in any case


# --- comparisons and exercise checks ---------------------------------------------------------------

def test_imbalance_remedies_compared_on_one_frozen_base():
    remedies = imbalance.REMEDIES + (imbalance.BALANCED_CONTROL,)
    comparison = imbalance.compare_remedies(ratio=10, largest=20, image_size=32, backbone="DigitsCNN", steps=7,
                                            remedies=remedies, test_samples_per_class=10, seeds=(0,), progress=None)
    assert comparison.variants == list(remedies)
    for row in comparison.rows:
        assert 0 <= row["worst_class_recall"] <= row["balanced_accuracy"] <= 1
        assert row["recall_Shirt"] >= row["worst_class_recall"]
        assert row["steps"] == 7, "every remedy, whatever its set's size, trains for the same optimizer steps"
    counts = comparison.settings["training_counts"][0]
    assert max(counts.values()) == 20 and min(counts.values()) == 2
    with pytest.raises(UnknownNameError):
        imbalance.compare_remedies(remedies=("smote",))


def test_a_step_budget_order_makes_whole_shuffled_passes():
    order = pipelines.step_budget_order(10, steps=6, batch_size=4, seed=3)
    assert len(order) == 24
    assert sorted(order[:10]) == list(range(10)) and sorted(order[10:20]) == list(range(10))
    assert not np.array_equal(order[:10], order[10:20]), "each pass is a new order"
    with pytest.raises(InvalidArgumentError):
        pipelines.step_budget_order(10, steps=0, batch_size=4)


def test_forgetting_comparison_rows(two_tasks):
    old_model, task_a, _, _ = two_tasks
    start = [weight.copy() for weight in old_model.get_weights()]
    comparison = forgetting.compare_remedies(methods=("naive", "low_lr"), seeds=(0,), samples_per_class=20,
                                             test_samples_per_class=10, epochs=1, old_model=old_model,
                                             old_task=task_a, progress=None)
    assert comparison.variants == ["naive", "low_lr"]
    for row in comparison.rows:
        assert row["forgetting"] == pytest.approx(row["old_task_before"] - row["old_task_accuracy"], abs=1e-3)
    for old, new in zip(start, old_model.get_weights()):
        np.testing.assert_array_equal(old, new)  # the old model is handed back unchanged


def test_a_pixel_reader_as_given_reads_exactly_the_networks_input(tiny_data):
    train, validation, test, _ = tiny_data
    reader = baselines.PixelClassifier(train, validation, image_size=32, as_given=True, strengths=(0.1,))
    assert (reader.image_size, reader.colour, reader.strength) == (32, True, 0.1), "nothing else tried"
    assert reader.classifier.coef_.shape[1] == 32 * 32 * 3, "every pixel of every channel, none averaged"
    assert 0.2 < reader.accuracy(test) <= 1  # chance: 0.1


def test_pixel_baseline_learns_a_real_task(tiny_data):
    train, validation, test, _ = tiny_data
    result = baselines.pixel_logistic_regression(train, validation, test)
    assert 0.4 < result["test_accuracy"] <= 1.0 and result["C"] in baselines.REGULARISATION_STRENGTHS  # chance: 0.1


def test_new_plots_draw_what_they_are_given():
    from tltutor.report import plots

    figure = plots.plot_heatmaps([np.zeros((8, 8, 3))] * 2, [np.ones((8, 8))] * 2, ["a", "b"])
    assert len(figure.axes) == 3 and figure.axes[1].get_title() == "b"
    assert figure.axes[2].get_ylabel() == "Grad-CAM (1: the strongest)"  # the colour bar says what the colours mean
    points = np.random.default_rng(0).normal(size=(20, 2))
    figure = plots.plot_embeddings([points, points], np.arange(20) % 2, ["x", "y"], ["before", "after"])
    assert [axis.get_title() for axis in figure.axes] == ["before", "after"]
    figure = plots.plot_scatter([{"m": "naive", "a": 0.1, "b": 0.9}], x="a", y="b", label="m")
    assert figure.axes[0].texts[0].get_text() == "naive"
    figure = plots.plot_bars([{"k": "blur", "v": 0.5}, {"k": "noise", "v": 0.25}], x="k", y="v")
    assert [patch.get_height() for patch in figure.axes[0].patches] == [0.5, 0.25]
    seeds = [{"k": "blur", "v": value} for value in (0.4, 0.5, 0.6)]
    figure = plots.plot_bars(seeds, x="k", y="v")
    assert figure.axes[0].patches[0].get_height() == pytest.approx(0.5)
    assert len(figure.axes[0].collections) >= 1  # the error bar and the seeds' dots


def test_line_panels_the_diagonal_and_a_class_matrix_draw_what_they_are_given():
    from tltutor.report import plots

    rows = [{"size": size, "rate": rate, "arm": arm, "accuracy": 0.8 - rate - 0.1 * (arm == "b") + 0.01 * seed}
            for size in (50, 200) for rate in (0.0, 0.4) for arm in ("a", "b") for seed in (0, 1)]
    figure = plots.plot_lines(rows, x="rate", y="accuracy", group="arm", panel="size", diagonal_label="y = x")
    assert [axis.get_title() for axis in figure.axes] == ["size 50", "size 200"]
    means = figure.axes[1].lines[0].get_ydata()  # arm a at 200 per class, mean of the two seeds
    assert np.allclose(np.asarray(means, float), [0.805, 0.405])
    assert "y = x" in [text.get_text() for text in figure.axes[1].get_legend().get_texts()]
    figure = plots.plot_matrix([[3, 1], [0, 2]], ["cat", "dog"], row_label="given label")
    assert figure.axes[0].get_ylabel() == "given label" and sorted(text.get_text() for text in figure.axes[0].texts) == [
        "1", "2", "3"]
    with pytest.raises(InvalidArgumentError, match="class names"):
        plots.plot_matrix(np.zeros((2, 3)), ["cat", "dog"])


def test_a_log_axis_is_labelled_at_the_data_and_small_shares_are_not_squashed_under_one():
    from tltutor.report import plots
    from tltutor.report.statistics import spread

    rows = [{"size": size, "share": 0.1 + size / 1000} for size in (20, 50, 200)]
    figure = plots.plot_lines(rows, x="size", y="share", log_x=True)
    assert [label.get_text() for label in figure.axes[0].get_xticklabels()] == ["20", "50", "200"]
    assert figure.axes[0].get_xlabel() == "size"
    assert plots.plot_lines(rows, x="size", y="share", xlabel="training scenes").axes[0].get_xlabel() == "training scenes"
    figure = plots.plot_bars([{"k": k, "box_accuracy": value} for k, value in (("a", 0.2), ("b", 0.3))], x="k",
                             y="box_accuracy")
    assert 0.3 < figure.axes[0].get_ylim()[1] < 0.5
    figure = plots.plot_bars([{"k": "a", "test_accuracy": 0.9}], x="k", y="test_accuracy")
    assert figure.axes[0].get_ylim() == pytest.approx((0, 1.12))
    assert str(spread([0, 0, 0])) == "0" and str(spread([250, 250])) == "250"
    assert str(spread([0.0, 0.0])) == "0.000 ± 0.000" and str(spread([1.0, 1.0])) == "1.000 ± 0.000", "shares stay shares"
    figure = plots.plot_bars([{"k": "a", "box_accuracy": value} for value in (0.0, 0.0, 0.5)], x="k", y="box_accuracy",
                             reference=0.9)
    assert figure.axes[0].get_ylim()[1] > 0.9, "the reference line and every seed's point stay in view"


def test_masks_name_their_rows_and_refuse_a_class_without_a_name():
    from tltutor.report import plots

    images = np.zeros((2, 8, 8, 3), np.uint8)
    masks = np.zeros((2, 8, 8), np.int32)
    masks[:, 2:5, 2:5] = 1
    figure = plots.plot_masks(images, masks, masks, class_names=("pet",), true_boxes=[[2, 2, 5, 5]] * 2,
                              predicted_boxes=[[2, 2, 5, 5], [0, 0, 0, 0]])
    assert [text.get_text() for text in figure.axes[0].texts] == ["truth"]
    assert [text.get_text() for text in figure.axes[2].texts] == ["predicted"]
    assert len(figure.axes[3].patches) == 0, "an empty predicted box is left out"
    assert [text.get_text() for text in figure.legends[0].get_texts()] == ["pet", "true box", "predicted box"]
    assert [text.get_text() for text in plots.plot_masks(images, masks).axes[0].texts] == []
    with pytest.raises(InvalidArgumentError, match="class id 2"):
        plots.plot_masks(images, masks * 2, class_names=("pet",))


def test_paired_gains_and_distributions_draw_on_a_log_axis_and_refuse_what_they_cannot_draw():
    from tltutor.report import plots

    rows = [{"target": target, "samples_per_class": size, "gain": 0.01 * size, "low": 0.0, "high": 0.02 * size}
            for target in ("photos", "clothing") for size in (5, 20)]
    figure = plots.plot_paired_gains({"fine-tuning − head": rows})
    assert [label.get_text() for label in figure.axes[0].get_xticklabels()] == ["5", "20"]
    figure = plots.plot_distributions({"real": [1.0, 2.0, 2.5], "drawn": [0.5, 3.0]}, xlabel="width")
    assert [text.get_text() for text in figure.axes[0].get_legend().get_texts()] == ["real (median 2.00)",
                                                                                    "drawn (median 1.75)"]
    with pytest.raises(InvalidArgumentError, match="finite"):
        plots.plot_distributions({"real": [1.0, float("nan")]}, xlabel="width")
    with pytest.raises(InvalidArgumentError, match="bins"):
        plots.plot_distributions({"real": [1.0]}, xlabel="width", bins=0)
