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
# # 01 · Choose a relevant pretrained model
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/01_choose_a_pretrained_model.ipynb)
#
# A pretrained network is only as useful as its features are for **your** task. Two facts from the
# literature frame the choice:
#
# * Features become less transferable the further the target task is from the source task, and the
#   higher the layer they come from (Yosinski et al. 2014, *How transferable are features in deep
#   neural networks?*).
# * Among ImageNet models, a better ImageNet classifier usually gives better features for other
#   tasks, but the ranking changes from target to target and regularisation tricks that help on
#   ImageNet can hurt transfer (Kornblith, Shlens & Le 2019, *Do better ImageNet models transfer
#   better?*).
#
# So the choice is an empirical question about your data, and it has a cheap answer: the **linear
# probe**. Freeze a candidate base, compute its pooled features for your images once, train only a
# new linear head on them, and measure the head's accuracy on held-out data. The probe measures how
# much of what the task needs is already *linearly readable* from the base's features, before any
# fine-tuning. It costs one forward pass per image, so you can afford to probe several candidates.
#
# This notebook probes four candidates on Fashion-MNIST, each over five seeds:
#
# * **EfficientNet-Lite0 (imagenet)**: a strong, general source, 1.3 M photos of 1000 object kinds;
# * **DigitsCNN (digits)**: a real but narrow source, a small CNN tltutor pretrains on scikit-learn's
#   1,797 handwritten digits;
# * **each architecture with random weights**, so that "pretraining helps" becomes a number, and the
#   architecture's own contribution is separated from what was learned;
# * **raw pixels with logistic regression**, the simplest model that learns from the target alone.

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"

# %%
# %matplotlib inline
import tltutor as tl

lesson = tl.report.lesson.Lesson("01_choose_a_pretrained_model")
settings = tl.runtime.profile.defaults()
print("profile:", "quick" if tl.runtime.profile.is_quick() else "full", settings)

# %% [markdown]
# ## The sources
#
# EfficientNet-Lite0's ImageNet head names photos it has never seen (notebook 00 shows it). DigitsCNN
# is a second, genuinely pretrained network: tltutor trains it on 70 % of scikit-learn's digits, picks
# its epoch on another 10 %, in about twenty seconds (the weights are then cached, and deterministic
# kernels make them the same on every machine), and keeps the last 20 % to check that it really learned
# its source task.

# %%
from tltutor.backbones import digits_cnn

print(f"DigitsCNN accuracy on held-out digits (its source task): {digits_cnn.source_accuracy():.3f}")
for name in ("EfficientNetLite0", "DigitsCNN"):
    spec = tl.backbones.get(name)
    print(f"{name}: {spec.parameters_millions} M parameters, pretrained at {spec.default_image_size} px; "
          f"{spec.weight_source}")

# %% [markdown]
# ## Linear probes over five seeds
#
# Every candidate of a seed sees the same training, validation and test images, the same head
# (a single Dense layer) and the same training budget with early stopping. Each base runs at the
# resolution it was pretrained for: EfficientNet-Lite0 at 96 px (it needs some spatial extent; 224 px
# would cost 5× more here), DigitsCNN at 32 px, the scale of the digits it learned. The frozen base's
# features are computed once per image and shared by every seed.
#
# A network with **random weights** needs one more step to be a fair baseline. Its BatchNorm layers
# start with a mean of 0 and a variance of 1, which match nothing, so its activations grow or vanish
# on their way through dozens of layers and the probe would see noise. tltutor first estimates the
# BatchNorm statistics on the training images, without labels (a data-dependent initialisation): the
# random network then computes genuine, if untrained, features.

# %%
candidates = [("EfficientNetLite0", "imagenet"), ("EfficientNetLite0", None),
              ("DigitsCNN", "digits", 32), ("DigitsCNN", None, 32)]
probes = tl.lessons.selection.compare_backbones(candidates, seeds=tl.runtime.profile.seeds(5), include_pixels=True)
lesson.record("probes", probes)
print(probes.summary_table(["probe_test_accuracy", "probe_validation_accuracy"]))

# %%
tl.report.plots.plot_comparison(probes, "probe_test_accuracy",
                                title="linear-probe test accuracy over seeds (bars: mean ± sd)")

# %% [markdown]
# ## Size and speed
#
# Accuracy is one axis; cost is the other. The probe also measured each base's size and how many
# images per second its forward pass handles on this machine.

# %%
first_seed = probes.where(seed=probes.seeds[0])
print(first_seed.table(["candidate", "image_size", "base_parameters", "feature_size", "images_per_second"]))
tl.report.plots.plot_scatter([row for row in probes.rows if "images_per_second" in row], x="images_per_second",
                             y="probe_test_accuracy", label="candidate",
                             title="accuracy against speed (mean ± sd over seeds)")

# %% [markdown]
# ## What the measurements say
#
# The verdicts below compare each pair over the same seeds ("no measurable difference" when the
# spreads overlap or the paired difference could be zero).

# %%
for first, second in [("EfficientNetLite0 (imagenet)", "EfficientNetLite0 (random)"),
                      ("DigitsCNN (digits)", "DigitsCNN (random)"),
                      ("EfficientNetLite0 (imagenet)", tl.lessons.selection.PIXELS),
                      ("DigitsCNN (digits)", tl.lessons.selection.PIXELS),
                      ("EfficientNetLite0 (imagenet)", "DigitsCNN (digits)")]:
    print(probes.verdict(first, second, "probe_test_accuracy"))

# %% [markdown]
# **What the stored run measured** (five seeds, the verdicts above):
#
# * **Pretraining is most of the value.** EfficientNet-Lite0's ImageNet features beat the same
#   network with random weights by about 0.54 (0.81 against 0.27). The architecture alone, even with
#   its BatchNorm statistics set on the target images, gives features a linear head can barely use.
# * **A relevant, rich source beats the simplest baseline, but only just.** The ImageNet probe beats
#   raw-pixel logistic regression by 0.025 ± 0.006, in every seed. On 28-pixel grey clothing the pixels
#   themselves are already a good representation, so the margin is small (notebook 00 found the same
#   two to three points).
# * **A narrow source can be worse than no network at all.** DigitsCNN's pretraining helped its own
#   architecture (0.645 against 0.587 with random weights), yet its 64 digit features lose to raw pixels
#   by about 0.14.
#   Strokes and loops of handwritten digits describe a shirt poorly, and 64 numbers cannot hold what
#   784 pixels do. "Pretrained" is not the same as "useful": the probe caught it in seconds.
# * **Cost matters when accuracy does not decide.** DigitsCNN runs about ten times faster than
#   EfficientNet-Lite0 here, at a price of 17 points of accuracy; for this target that trade is a bad one.
#
# ## Choosing in practice
#
# * **Probe before you fine-tune.** A probe costs one forward pass per image and a few seconds of
#   head training; fine-tuning costs many passes. Candidates that lose the probe clearly rarely win
#   after fine-tuning on small data.
# * **Include the baselines.** Random weights of the same architecture tell you what the pretraining
#   bought; raw pixels tell you whether the network bought anything at all.
# * **Look at the cost axis.** When two candidates are within each other's spread, take the smaller
#   and faster one (notebook 12 measures deployment cost).
# * **Match the resolution.** A base pretrained at 224 px sees objects at a different scale when fed
#   28-pixel images upsampled to 96 px; the features still transfer, but less well than on photos.
#
# > **Online?** With a network, any keras.applications backbone works the same way, for example
# > `compare_backbones([("MobileNetV2", "imagenet"), ("ResNet50", "imagenet")], dataset="tf_flowers",
# > image_size=224)`. Offline, those backbones fail within a second with an error that names
# > EfficientNet-Lite0 as the alternative.
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("01_choose_a_pretrained_model")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# Which backbone's **pretraining** added more probe accuracy over the same network with random
# weights: `"EfficientNetLite0"` or `"DigitsCNN"`? Use the means in the table above.

# %%
answer = None
tl.lessons.exercises.check_pretraining_gain(probes, answer);

# %%
lesson.finish();
