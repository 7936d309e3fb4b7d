"""The model-capacity study (lesson 19): candidates, their measured cost, the rows it writes, its converged heads."""

import pytest

from tltutor.errors import InvalidArgumentError
from tltutor.lessons import capacity, experiments


def test_candidate_names_are_short_and_name_the_size():
    assert capacity.candidate_name("EfficientNetLite2", 260) == "Lite2 at 260 px"
    assert capacity.candidate_name("efficientnetlite0", 224) == "Lite0 at 224 px"


def test_the_study_refuses_bad_candidates_before_any_work():
    with pytest.raises(InvalidArgumentError, match="image_size|image size"):
        capacity.capacity_study([("EfficientNetLite0", 4)], seeds=(0,), progress=False)
    with pytest.raises(InvalidArgumentError, match="empty"):
        capacity.capacity_study([], seeds=(0,), progress=False)
    with pytest.raises(InvalidArgumentError, match="pair"):
        capacity.capacity_study(["EfficientNetLite0"], seeds=(0,), progress=False)
    with pytest.raises(InvalidArgumentError, match="fine_tune_steps"):
        capacity.capacity_study([("EfficientNetLite0", 32)], seeds=(0,), fine_tune_steps=0, progress=False)
    with pytest.raises(InvalidArgumentError, match="learning"):
        capacity.capacity_study([("EfficientNetLite0", 32)], seeds=(0,), fine_tune_rate=-1.0, progress=False)


def test_a_tiny_study_rows_carry_accuracy_budgets_and_the_base_cost():
    study = capacity.capacity_study([("EfficientNetLite0", 32), ("EfficientNetLite2", 32)], "fashion_mnist_embedded",
                                    seeds=(0,), samples_per_class=3, fine_tune_steps=5, batch_size=4,
                                    progress=False)
    assert study.variants == ["Lite0 at 32 px", "Lite2 at 32 px", capacity.PIXELS]
    head = {row["candidate"]: row for row in study.where(strategy="head").rows}
    tuned = {row["candidate"]: row for row in study.where(strategy="fine_tuning").rows}
    assert set(head) == set(tuned) == {"Lite0 at 32 px", "Lite2 at 32 px"}
    small, large = head["Lite0 at 32 px"], head["Lite2 at 32 px"]
    assert large["base_parameters"] > small["base_parameters"] > 3_000_000
    assert small["weights_megabytes"] == round(small["base_parameters"] * 4 / 1e6, 1)
    assert abs(small["milliseconds_per_image"] - 1000 / small["images_per_second"]) < 0.05
    assert small["images_per_second"] > 0 and large["images_per_second"] > 0
    assert small["converged"] and 0 < small["solver_iterations"] < experiments.MAX_SOLVER_ITERATIONS
    assert (small["imagenet_accuracy"], large["imagenet_accuracy"]) == (0.751, 0.776)
    # 30 training images in batches of 4: 8 steps an epoch, so 5 steps take one epoch of 8
    assert tuned["Lite0 at 32 px"]["fine_tune_steps"] == 8 and tuned["Lite0 at 32 px"]["epochs"] == 1
    assert len(study.where(strategy="baseline").rows) == 1
    again = capacity.capacity_study([("EfficientNetLite0", 32)], "fashion_mnist_embedded", seeds=(1,),
                                    samples_per_class=3, fine_tune_steps=1, progress=False)
    assert again.rows[0]["base_parameters"] == small["base_parameters"], "the pooled model came back unfrozen"


def test_the_logistic_regression_head_is_the_models_classifier():
    """The fitted coefficients become the classifier: the model's predictions are scikit-learn's."""
    import numpy as np

    from tltutor import data, features, models
    from tltutor.lessons import baselines

    train, _, test, info = data.load_dataset("fashion_mnist_embedded", image_size=32, samples_per_class=4, seed=0,
                                             pipeline="arrays")
    model = models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=32)
    fitted = experiments.fit_head_by_logistic_regression(model, train, strength=0.5)
    assert fitted["converged"]
    train_features, train_labels = features.pooled_features(model, train)
    test_features, _ = features.pooled_features(model, test)
    reference = baselines.fit_logistic_regression(train_features, train_labels, C=0.5, max_iter=5000, random_state=0)
    logits = model.predict(test[0], verbose=0)
    np.testing.assert_array_equal(np.argmax(logits, axis=-1), reference.predict(test_features))
    np.testing.assert_allclose(logits, reference.decision_function(test_features), atol=1e-3)


def test_the_logistic_regression_head_needs_every_class_in_training():
    import numpy as np

    from tltutor import models

    images = np.random.default_rng(0).uniform(0, 255, (6, 32, 32, 3)).astype("float32")
    model = models.build_transfer_model("EfficientNetLite0", 3, image_size=32)
    with pytest.raises(InvalidArgumentError, match="every class"):
        experiments.fit_head_by_logistic_regression(model, (images, np.array([0, 1, 0, 1, 0, 1])))
