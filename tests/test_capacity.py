"""The model-capacity study (lesson 19): candidates, their measured cost, and the rows it writes."""

import pytest

from tltutor.errors import InvalidArgumentError
from tltutor.lessons import capacity


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
    with pytest.raises(InvalidArgumentError, match="epochs"):
        capacity.capacity_study([("EfficientNetLite0", 32)], seeds=(0,), fine_tune_epochs=0, progress=False)


def test_a_tiny_study_rows_carry_accuracy_and_the_base_cost():
    study = capacity.capacity_study([("EfficientNetLite0", 32), ("EfficientNetLite2", 32)], "fashion_mnist_embedded",
                                    seeds=(0,), samples_per_class=3, head_epochs=1, fine_tune_epochs=1,
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
    assert tuned["Lite0 at 32 px"]["epochs"] > small["epochs"]  # fine-tuning continues the head's history
    assert len(study.where(strategy="baseline").rows) == 1
    again = capacity.capacity_study([("EfficientNetLite0", 32)], "fashion_mnist_embedded", seeds=(1,),
                                    samples_per_class=3, head_epochs=1, fine_tune_epochs=1, progress=False)
    assert again.rows[0]["base_parameters"] == small["base_parameters"], "the pooled model came back unfrozen"
