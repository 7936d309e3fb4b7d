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
# # 19 · Model capacity: is a bigger pretrained network worth it?
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/19_model_capacity.ipynb)
#
# Model zoos offer each design in several sizes, and the larger ones score higher on ImageNet.
# Kornblith, Shlens & Le (2019) found across 16 networks and 12 targets that this ordering mostly
# carries over: networks that are better on ImageNet are better as frozen features and better
# fine-tuned. Their caveats: frozen features depend on how the network was regularised in its ImageNet
# training (some regularisers help ImageNet and hurt the features), and on two small fine-grained
# targets pretraining helped little at all. A larger network also costs
# more: more weights to store and ship, more time per image, more memory.
#
# This lesson measures both on one small target, 165 real photographs in 5 classes (cut-out objects
# composited on white and padded square; 5 per class to train), with three sizes of one family that
# tltutor reads offline. EfficientNet-Lite0, Lite1 and
# Lite2 are one design scaled up (Tan & Le 2019): more blocks (16, 21 and 21), wider layers for Lite2,
# and larger input images, 224, 240 and 260 px. Lesson 01 probed the three at 96 px, below what they
# were trained at; here each gets its own resolution, and fine-tuning as well as a frozen head.

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util
import sys

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"
if "google.colab" in sys.modules:  # the Debian packages this lesson needs (make test installs them)
    # !apt-get install -y -qq tuxpaint-stamps-default

# %%
# %matplotlib inline
import numpy as np

import tltutor as tl

lesson = tl.report.lesson.Lesson("19_model_capacity")
quick = tl.runtime.profile.is_quick()
print("profile:", "quick" if quick else "full")
for name in ("EfficientNetLite0", "EfficientNetLite1", "EfficientNetLite2"):
    spec = tl.backbones.get(name)
    print(f"{name}: {spec.parameters_millions} million parameters, trained at {spec.default_image_size} px, "
          f"unfrozen from {spec.unfreeze_points[1]} when fine-tuned")
if not quick:
    sides = tl.data.sources.tuxpaint_photo_sides()
    print(f"the photographs' longest side: median {int(np.median(sides))} px; "
          f"{np.mean(sides >= 240):.0%} are at least 240 px, {np.mean(sides >= 260):.0%} at least 260 px")

# %% [markdown]
# ## Four candidates, two strategies, six seeds
#
# Each candidate is a network at an image size: Lite0 at 224 px, Lite1 at 240, Lite2 at 260, and Lite2
# at 224. The last one separates the two things that grow together: if Lite2 at 260 px beats Lite0, is
# it the larger network or the larger image?
#
# Every candidate of a seed trains on the same 25 photographs, has the same 5 others for validation
# (one per class) and is tested on the remaining 135. The test set is unbalanced (mammals are the
# largest class), so the tables give the balanced accuracy (the mean recall over the classes) beside
# the accuracy; each test photograph is worth less than a hundredth of accuracy. Each photograph is
# read from its file at the candidate's size. The seeds re-split the same 165 photographs, so the
# intervals say how much the result depends on the split, not how it would change on new photographs.
#
# Every candidate gets the same recipe, and each step of it runs to the end of a stated budget, so
# that no network loses for being stopped early:
#
# - **The head** is fitted to convergence. A softmax layer on pooled features is a multinomial logistic
#   regression, so scikit-learn's solver fits it on the frozen features until the loss stops falling
#   (L2 strength C = 1, its default; 5 validation photographs are too few to choose it). Its weights
#   become the model's classifier. The table prints the solver's iterations.
# - **Fine-tuning** starts from that head and unfreezes the top blocks (from `block11_` of Lite0's 16,
#   from `block15_` of the others' 21, as printed above; BatchNorm stays frozen) for 80 optimizer
#   steps in batches of 8 (20 passes over the 25 photographs, in 4 batches each, the last of one
#   photograph), at a rate of 1e-4 (the rate the
#   course's comparisons fine-tune at), warmed up over the first tenth of the steps and decayed to
#   zero. Five validation photographs cannot judge early stopping,
#   so the fixed budget ends it. A larger network might do better with settings of its own; this
#   lesson gives all of them the same.
#
# Logistic regression on the pixels is the baseline: its input (grey at 28 px, or colour at 16 px,
# about as many numbers) and its penalty (one of three strengths) are chosen on the same 5 validation
# photographs, a choice this small a set makes noisily, so read it as a rough floor. The cost of each
# base is measured once, on this
# machine (2 CPU cores): its parameters, its float32 weights in MB, and the speed of its forward pass
# alone (no head, no loading), over 5 batches of 32 images after a warm-up batch.

# %%
tl.lessons.quiz.for_lesson("19_model_capacity").predictions()

# %%
DATASET = "tuxpaint_photos"  # Debian's tuxpaint-stamps-default (the install cell above adds it on Colab)
if quick:
    study = tl.lessons.capacity.capacity_study(
        [("EfficientNetLite0", 64), ("EfficientNetLite2", 64)], DATASET, samples_per_class=3, seeds=(0,),
        fine_tune_steps=4)
else:
    study = tl.lessons.capacity.capacity_study(dataset=DATASET, seeds=tuple(range(6)))
lesson.record("capacity", study)
print("--- test accuracy and balanced accuracy, mean ± sd over seeds ---")
for strategy in ("head", "fine_tuning", "baseline"):
    print(f"{strategy}:")
    print(study.where(strategy=strategy).summary_table(["test_accuracy", "test_balanced_accuracy"]))
print("--- the budgets: the head's solver iterations (converged on every seed?), fine-tuning's optimizer steps ---")
print(study.where(strategy="head").summary_table(["solver_iterations"]),
      "| converged on every seed:", all(row["converged"] for row in study.where(strategy="head").rows))
print(study.where(strategy="fine_tuning").summary_table(["fine_tune_steps"]))
costs = [row for row in study.where(strategy="head").rows if row["seed"] == study.seeds[0]]
print("--- cost of each base, measured once; ImageNet top-1 accuracy as published ---")
print(tl.report.results.format_table(costs, ["candidate", "base_parameters", "weights_megabytes",
                                             "images_per_second", "milliseconds_per_image", "imagenet_accuracy"]))

# %% [markdown]
# ## Accuracy against cost
#
# Each point is one candidate's mean test accuracy over the seeds, against the images per second its
# base processed here; slower is to the left. The vertical bars are one standard deviation over the
# seeds, which mostly reflects how hard each split is, and overlapping bars do not decide anything: the
# paired verdicts below compare the candidates seed by seed.

# %%
points = [{"candidate": f"{row['candidate']}, {row['strategy'].replace('_', '-')}",
           "images_per_second": row["images_per_second"], "test_accuracy": row["test_accuracy"]}
          for row in study.rows if row["strategy"] != "baseline"]
tl.report.plots.plot_scatter(points, x="images_per_second", y="test_accuracy", label="candidate",
                             title="test accuracy against speed (mean over seeds)")

# %%
tl.report.plots.plot_bars(costs, x="candidate", y="milliseconds_per_image",
                          title="time per image of each frozen base (2 CPU cores, batches of 32)",
                          ylabel="milliseconds per image")

# %% [markdown]
# ## ImageNet accuracy against transfer accuracy
#
# Kornblith et al.'s figure puts each network's ImageNet top-1 accuracy on one axis and its accuracy
# on the target on the other; across many targets the points rise to the right. Here are the three
# networks at their own resolutions, with the head and fine-tuned. The ImageNet figures are the ones
# the EfficientNet-Lite authors published (75.1, 76.7 and 77.6 %), not measured here.

# %%
own_sizes = [row for row in study.rows if row["strategy"] != "baseline"
             and row["image_size"] == tl.backbones.get(row["backbone"]).default_image_size]
tl.report.plots.plot_scatter(
    [{"candidate": f"{row['candidate']}, {row['strategy'].replace('_', '-')}",
      "imagenet_accuracy": row["imagenet_accuracy"], "test_accuracy": row["test_accuracy"]} for row in own_sizes],
    x="imagenet_accuracy", y="test_accuracy", label="candidate",
    title="target accuracy against ImageNet accuracy (mean ± sd over seeds)")

# %% [markdown]
# ## The verdicts

# %%
names = [tl.lessons.capacity.candidate_name(*candidate) for candidate in study.settings["candidates"]]
smallest, others = names[0], names[1:]
for strategy in ("head", "fine_tuning"):
    print(f"--- {strategy} ---")
    for other in others:
        print(study.where(strategy=strategy).verdict(other, smallest))
print("--- the larger image alone: Lite2 at its own size against Lite2 at 224 px ---")
for strategy in ("head", "fine_tuning"):
    if {"Lite2 at 260 px", "Lite2 at 224 px"} <= set(names):
        print(strategy, study.where(strategy=strategy).verdict("Lite2 at 260 px", "Lite2 at 224 px"))
print("--- fine-tuning against the head, each candidate ---")
for name in names:
    print(tl.report.statistics.compare(study.where(strategy="fine_tuning").values(name, "test_accuracy"),
                                       study.where(strategy="head").values(name, "test_accuracy"),
                                       f"{name} fine-tuned", f"{name} head", metric="test accuracy"))

# %% [markdown]
# **The larger networks did not transfer measurably better here, and they cost more.** With the head
# fitted to convergence on frozen features (the solver converged on every seed, in about 26
# iterations), Lite0 at 224 px scored 0.885, Lite1 at 240 px 0.878 and Lite2 at 260 px 0.896. Neither
# larger network was measurably different from Lite0; the intervals rule out a gain of more than
# 0.030 for Lite1 and 0.032 for Lite2. Fine-tuned for 80 steps, they scored 0.884, 0.891 and 0.894,
# again with no measurable difference (gains above 0.043 and 0.051 ruled out). The means of the balanced
# accuracies look alike too (0.861, 0.863 and 0.863 with the head), although the lesson prints no
# verdict on them.
#
# **Fine-tuning added nothing measurable to any network.** For each of the four, fine-tuned against its
# own head, the interval straddles zero; for Lite0 it runs from −0.037 to 0.034. The head it started
# from was already converged, so this is not a short head being compared with a longer run: 80 steps of
# the top blocks, at 1e-4 and with a warm-up, changed nothing measurably, and the intervals rule out
# changes larger than 0.037 (Lite0) to 0.045 (Lite2 at 260 px) either way. With 25 training
# photographs of classes
# that ImageNet already knows, there was little for the top blocks to learn that the head could not.
#
# The experiment could have shown a gain of a few hundredths: six paired seeds on the same photographs
# narrow the intervals to a few hundredths either side of zero, and every network is far above the
# pixels (0.368). The cost grew, as the table and the bars show: Lite2's base has 4.87 million
# parameters against Lite0's 3.41 (19.5 MB of float32 weights against 13.7), and at its own resolution
# it took 18.27 ms per image here against Lite0's 10.03, nearly twice the time, for no measured gain.
#
# **Kornblith's axis.** In the scatter of target accuracy against ImageNet accuracy, the three networks
# span 75.1 to 77.6 % on ImageNet (the figure's axis gives them as fractions, 0.751 to 0.776). The
# fine-tuned means rise in the same order (0.884, 0.891, 0.894), but not measurably: neither larger
# network's paired interval against Lite0 excludes zero. Kornblith et al. found the rise across 16
# networks spanning a much wider range of ImageNet
# accuracy, on 12 targets (and drew their axes on a logit scale, which stretches the high accuracies);
# three networks of one family within three points, on one small target, are
# too few to see a slope of that size. What this run does show is that the steps between them buy no
# measurable accuracy here.
#
# **The network or the image?** Lite2 at 224 px took 13.94 ms per image: the larger network, run below
# its own 260 px, cost
# about 40 % more time, and going from 224 to 260 px cost Lite2 about a third more again (the image has
# about a third more pixels). Neither bought accuracy measurably: Lite2 at 224 px was not measurably
# different from Lite0 (0.884; a gain above 0.031 ruled out), nor Lite2 at 260 px from Lite2 at 224
# (0.896 against 0.884 with the head; −0.010 to 0.035). One reason the larger image could not help much
# here is in the first cell: the photographs' longest side has a median of 188 px, and only 17 % are at
# least 260 px, so most 240 and 260 px copies are enlargements with no new detail.
#
# **Why no gain from the larger network?** Kornblith et al. found the ImageNet ordering carries over on
# average, across targets with thousands of images. A likely reason here, which this run did not test:
# the target is small and close to ImageNet, 5 classes of mammals, birds, fruit, flowers and vegetables
# that the smallest network's features already separate well, with 25 training photographs, too few for
# a head to exploit the subtler features a larger network adds. Every network also got the same recipe;
# a larger one might need settings of its own. And Kornblith et al.'s own caveat applies: how a network
# was regularised in its ImageNet training changes how well its frozen features transfer, and that
# differs between networks in ways their ImageNet accuracy does not show.
#
# This agrees, at each network's own resolution, with what lesson 01 found at 96 px (with 10
# photographs per class). The practical rule:
# start with the smallest network of a family that works, measure the larger one on your own
# validation data, and pay for it only when it wins there. The evidence that larger is better comes
# from averages over targets; yours is one target.
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("19_model_capacity")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# Predict first, then check: with the head on frozen features, which candidates are measurably more
# accurate than Lite0 at 224 px (the rows in `heads`)? Answer with a list of candidate names (e.g.
# `["Lite1 at 240 px"]`), or `"none"`. Then work out from the cost table how many times longer Lite2
# at 260 px takes per image than Lite0.

# %%
answer = None
heads = study.where(strategy="head")
tl.lessons.exercises.check_measurably_higher_variants(heads, answer, names[0], "test_accuracy");

# %%
lesson.finish();
