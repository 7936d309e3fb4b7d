"""The digit simulator, the real MNIST digits and the simulation-to-reality study (lesson 18)."""

import numpy as np
import pytest

import tltutor as tl
from tltutor.data import rendered
from tltutor.errors import InvalidArgumentError
from tltutor.lessons import simulation


def test_digit_fonts_keep_real_digit_glyphs_and_drop_symbol_and_placeholder_fonts():
    names = {path.name for path in rendered.digit_fonts()}
    assert {"DejaVuSans.ttf", "STIXGeneral.ttf", "cmr10.ttf"} <= names
    assert not names & {"LastResortHE-Regular.ttf", "cmsy10.ttf", "cmex10.ttf", "DejaVuSansDisplay.ttf"}


def test_a_rendered_digit_is_centred_by_its_mass_inside_the_mnist_box():
    image = rendered.render_digit(7, rendered.digit_fonts()[0]).astype(float)
    rows, columns = np.indices(image.shape)
    centre = ((rows * image).sum() / image.sum(), (columns * image).sum() / image.sum())
    assert np.allclose(centre, (rendered.IMAGE_SIZE / 2,) * 2, atol=1.0)
    inked = np.argwhere(image > 0)
    assert (inked.max(axis=0) - inked.min(axis=0) + 1).max() <= rendered.BOX_SIZE + 2  # the box, plus resampling


def test_plain_renderings_repeat_and_randomised_ones_vary_repeatably():
    plain, labels = rendered.rendered_digits(3, randomise=False)
    assert plain.shape == (30, 28, 28) and labels.tolist() == [digit for digit in range(10) for _ in range(3)]
    assert np.array_equal(plain[0], plain[2]) and not np.array_equal(plain[0], plain[3])
    randomised, _ = rendered.rendered_digits(3, seed=1)
    assert not np.array_equal(randomised[0], randomised[1])
    assert np.array_equal(randomised, rendered.rendered_digits(3, seed=1)[0])
    unwarped, _ = rendered.rendered_digits(3, without=("warp",), seed=1)
    assert unwarped.shape == randomised.shape and not np.array_equal(unwarped, randomised)


def test_holding_factors_plain_needs_randomisation_and_known_factors():
    with pytest.raises(InvalidArgumentError, match="randomise=True"):
        rendered.rendered_digits(2, randomise=False, without=("warp",))
    with pytest.raises(tl.errors.UnknownNameError, match="rotation"):
        rendered.rendered_digits(2, without=("rotaton",))
    with pytest.raises(InvalidArgumentError, match="low <= high"):
        rendered.rendered_digits(2, stroke_range=(3, 1))


def test_holding_every_factor_plain_gives_the_plain_rendering():
    plain, _ = rendered.rendered_digits(2, randomise=False)
    np.testing.assert_array_equal(rendered.rendered_digits(2, without=rendered.FACTORS, seed=5)[0], plain)


def test_stroke_widths_measure_lines_and_the_stroke_factor_thins_and_thickens():
    lines = np.zeros((2, 28, 28), np.uint8)
    lines[0, 4:24, 10:13] = 255  # 3 pixels wide
    lines[1, 4:24, 10:15] = 255  # 5 pixels wide
    np.testing.assert_allclose(rendered.stroke_widths(lines), [3, 5], rtol=0.15)
    font = rendered.digit_fonts()[0]
    thin, own, thick = (rendered.stroke_widths([rendered.render_digit(digit, font, stroke=stroke) for digit in range(10)])
                        .mean() for stroke in (rendered.STROKE_RANGE[0], 0, rendered.STROKE_RANGE[1]))
    assert thin < own - 0.5 and thick > own + 0.5
    assert all((rendered.render_digit(digit, font, stroke=-50) > 0).sum() > 20 for digit in range(10)), "never erased"


def test_the_randomised_strokes_bracket_real_handwriting_and_the_thick_only_range_does_not():
    real = rendered.stroke_widths(tl.data.load_source("mnist_5k", 28).x_pool[::10])
    low, high = np.percentile(real, [10, 90])
    randomised = rendered.stroke_widths(rendered.rendered_digits(20, seed=0)[0])
    assert np.percentile(randomised, 5) < low and np.percentile(randomised, 95) > high
    thick = rendered.stroke_widths(rendered.rendered_digits(20, stroke_range=rendered.THICK_STROKES, seed=0)[0])
    assert np.percentile(thick, 5) > np.median(real), "the thick range almost never reaches the thinner half of reality"


def test_the_simulator_draws_digits_that_real_handwriting_resembles():
    """Pixels trained on 30 renderings per digit read real MNIST digits far above chance (0.1)."""
    from sklearn.linear_model import LogisticRegression

    images, labels = rendered.rendered_digits(30, seed=0)
    real = tl.data.load_source("mnist_5k", 28)
    classifier = LogisticRegression(C=0.01, max_iter=300).fit(images.reshape(len(images), -1) / 255.0, labels)
    accuracy = classifier.score(real.x_pool[::10].reshape(500, -1) / 255.0, real.y_pool[::10])
    assert accuracy > 0.2  # twice chance; 0.29 to 0.32 over seeds 0-3, and it depends on the fonts installed


def test_mnist_5k_has_500_real_digits_per_class_and_a_card():
    source = tl.data.load_source("mnist_5k", 28)
    assert source.x_pool.shape == (5000, 28, 28) and source.x_pool.dtype == np.uint8
    assert np.bincount(source.y_pool).tolist() == [500] * 10
    assert "CC BY-SA" in tl.data.card("mnist_5k").licence
    assert "OFL" in tl.data.card("rendered_digits").licence


def test_real_splits_are_disjoint_stratified_and_share_the_test_digits_across_sizes():
    train, validation_index, test = simulation.real_splits(3, 10, 50, seed=0)
    labels = tl.data.resized_source("mnist_5k", 28).y_pool
    assert np.bincount(labels[train]).tolist() == [3] * 10 and np.bincount(labels[test]).tolist() == [50] * 10
    assert not (set(train) & set(test) or set(train) & set(validation_index) or set(validation_index) & set(test))
    assert np.array_equal(test, simulation.real_splits(10, 10, 50, seed=0)[2])
    assert not np.array_equal(test, simulation.real_splits(3, 10, 50, seed=1)[2])


def test_the_study_refuses_bad_arguments_before_training():
    with pytest.raises(InvalidArgumentError, match="per class"):
        simulation.simulation_study(real_samples_per_class=(400,), test_samples_per_class=200, progress=False)
    with pytest.raises(InvalidArgumentError, match="empty"):
        simulation.simulation_study(real_samples_per_class=(), progress=False)
    with pytest.raises(InvalidArgumentError, match="real_steps"):
        simulation.simulation_study(real_steps=0, progress=False)
    with pytest.raises(tl.errors.UnknownNameError, match="without_warp"):
        simulation.simulation_study(ablations=("without_wrap",), progress=False)
    with pytest.raises(InvalidArgumentError, match="block99"):
        simulation.simulation_study(unfreeze_from="block99_", progress=False)


def test_a_tiny_study_has_every_strategy_with_its_budget_and_real_label_count():
    study = simulation.simulation_study(seeds=(0,), simulated_samples_per_class=5, simulated_validation_per_class=3,
                                        real_samples_per_class=2, test_samples_per_class=5,
                                        ablations=("without_warp",), simulated_steps=4, real_steps=3, progress=False)
    expected = set(simulation.STRATEGIES) - set(simulation.ABLATIONS) | {"without_warp"}
    assert {row["strategy"] for row in study.rows} == expected
    for row in study.rows:
        assert row["real_samples_per_class"] == (0 if row["strategy"] in simulation.SIMULATED else 2)
        assert row["validated_on"] == ("its training images" if row["strategy"] == "one_font" else
                                       "renderings" if row["strategy"] in simulation.SIMULATED else "real digits")
        assert 0.0 <= row["test_accuracy"] <= 1.0
        if row["strategy"] in ("fine_tuned", "head_continued"):
            assert row["steps"] == 4, "exactly the steps asked, however few the renderings"
        elif row["strategy"] in ("real_fine_tuned", "simulation_then_real"):
            assert row["steps"] == 3
        elif row["strategy"] != "real_pixels":
            assert row["converged"] is True and "steps" not in row
    fine_tuned = study.where(strategy="fine_tuned").rows[0]
    control = study.where(strategy="head_continued").rows[0]
    assert fine_tuned["trainable_parameters"] > control["trainable_parameters"]
    assert fine_tuned["steps"] == control["steps"], "the control gets the same steps"


def test_warping_bends_the_same_digits_the_unwarped_simulator_draws():
    plain, _ = rendered.rendered_digits(4, without=("warp",), seed=3)
    warped, _ = rendered.rendered_digits(4, seed=3)
    ink = lambda images: images.reshape(len(images), -1).astype(float).sum(axis=1)  # noqa: E731
    assert np.allclose(ink(warped), ink(plain), rtol=0.35)  # bent, not redrawn: about the same ink
    assert np.corrcoef(ink(warped), ink(plain))[0, 1] > 0.8


def test_each_ablation_changes_its_own_factor_and_nothing_else(monkeypatch):
    drawn = []
    real_render = rendered.render_digit

    def recording(digit, font, **factors):
        drawn.append(dict(font=str(font), **factors))
        return real_render(digit, font, **factors)

    monkeypatch.setattr(rendered, "render_digit", recording)

    def draws(**options):
        drawn.clear()
        images, _ = rendered.rendered_digits(2, seed=7, **options)
        return images, list(drawn)

    full_images, full = draws()
    changed_by = {"font": "font", "size": "box", "rotation": "rotation", "stroke": "stroke", "blur": "blur",
                  "shift": "shift"}
    for factor, key in changed_by.items():
        _, ablated = draws(without=(factor,))
        differing = {name for first, second in zip(full, ablated) for name in first if first[name] != second[name]}
        assert differing == {key}, f"without {factor} changed {differing}"
    unwarped_images, unwarped = draws(without=("warp",))
    assert unwarped == full and not np.array_equal(unwarped_images, full_images), "warping changes only the image"
    _, thick = draws(stroke_range=rendered.THICK_STROKES)
    assert {name for first, second in zip(full, thick) for name in first if first[name] != second[name]} == {"stroke"}


def test_bad_rendering_and_study_requests_are_explained():
    with pytest.raises(InvalidArgumentError, match="whole pixels"):
        rendered.rendered_digits(2, stroke_range=3)
    with pytest.raises(InvalidArgumentError, match="randomise=True"):
        rendered.rendered_digits(2, randomise=False, stroke_range=rendered.THICK_STROKES)
    with pytest.raises(InvalidArgumentError, match="images\\[None\\]"):
        rendered.stroke_widths(np.zeros((28, 28), np.uint8))
    with pytest.raises(InvalidArgumentError, match="twice"):
        simulation.simulation_study(ablations=("without_warp", "without_warp"), progress=False)
    with pytest.raises(tl.errors.UnknownNameError):
        simulation.renderings("real_pixels", 2, seed=0)
