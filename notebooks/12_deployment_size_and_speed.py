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
# # 12 · Deployment: size and speed
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/12_deployment_size_and_speed.ipynb)
#
# A model that is accurate but too large or too slow for its device is not finished. Transfer learning
# makes the choice of backbone the main lever on cost: the new head is tiny, so the deployed model is
# essentially the base you chose. This notebook measures, on this machine:
#
# * the **size and single-image latency** of candidate backbones, the numbers that decide whether a
#   model fits a phone, a browser or a server;
# * **export for serving**: a TensorFlow SavedModel that takes 0..255 images and returns logits;
# * **post-training quantization** to TFLite (Jacob et al. 2018): storing weights (and activations) in
#   8 bits instead of 32. A 32-bit float has about 7 significant digits; a trained network's weights
#   need far fewer, so rounding them to 256 levels per tensor usually costs little accuracy, shrinks the
#   file about fourfold and, on hardware with fast integer arithmetic, speeds inference up.
#
# Latency depends on the machine, so every number here is one machine's (two CPU cores, no
# accelerator). The method travels; the numbers do not: measure on your target device.

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"

# %%
# %matplotlib inline
import tempfile
from pathlib import Path

import tltutor as tl

lesson = tl.report.lesson.Lesson("12_deployment_size_and_speed")
settings = tl.runtime.profile.defaults()
quick = tl.runtime.profile.is_quick()
print("profile:", "quick" if quick else "full", settings)

# %% [markdown]
# ## Candidate backbones: parameters, file size, latency
#
# Latency is the median time of one image through the whole model, measured three times per model
# (20 timed calls each, after a warm-up). Offline, the keras.applications backbones are built with
# random weights: size and speed do not depend on the weights' values.

# %%
tl.lessons.quiz.for_lesson("12_deployment_size_and_speed").predictions()

# %%
candidates = [("DigitsCNN", "digits"), ("EfficientNetLite0", "imagenet"), ("MobileNetV2", None), ("ResNet50", None)]
sizes = tl.report.results.Comparison("backbone", settings={"image_size": settings["image_size"]})
for backbone, weights in candidates:
    candidate = tl.models.build_transfer_model(backbone, 10, weights=weights, image_size=settings["image_size"])
    for repeat in range(3 if not quick else 1):
        sizes.add(backbone, repeat, **tl.lessons.deployment.measure_model(candidate, repeats=20))
lesson.record("sizes", sizes)
print(sizes.summary_table(["parameters", "keras_file_mb", "latency_ms"]))
tl.report.plots.plot_scatter(sizes.rows, x="latency_ms", y="keras_file_mb", label="backbone",
                             title=f"size and single-image latency at {settings['image_size']} px (3 measurements)")

# %% [markdown]
# **File size is the parameter count times four bytes**, plus a little structure: EfficientNet-Lite0's
# 3,425,834 parameters make a 14.250 MB file, ResNet50's 23,608,202 make 95.100 MB. The new head (12,810
# parameters for ten classes) is a tiny share of EfficientNet-Lite0: the deployed model *is* the base.
#
# **Latency does not follow the parameter count.** ResNet50 has about seven times EfficientNet-Lite0's
# parameters, yet takes between two and three times as long per image (22.797 against 8.067 ms), and
# MobileNetV2, with two thirds of EfficientNet-Lite0's parameters, took about as long (7.967 ms). Time
# is set by the work per image, not by the weights stored: the multiply-adds each layer performs
# (which depend on the feature maps' sizes as much as on the weights), memory traffic, and at one
# small image the fixed cost of calling each of a hundred-odd layers. MobileNetV2 and
# EfficientNet-Lite0 are built from depthwise convolutions, which do little arithmetic per value read
# and so are limited by memory rather than by the CPU's arithmetic; ResNet50's dense 3 × 3
# convolutions use the arithmetic units well. Parameters predict the file; only a measurement
# predicts the time (this lesson measured the times, not their causes).
#
# The spread of latency (up to ±0.272 ms in three measurements of the same model) is the machine's
# noise: a difference smaller than that is not a difference.
#
# ## Export for serving
#
# A SavedModel carries the preprocessing layer inside, so a server can send raw 0..255 pixels. The
# model here is the feature-extraction model of the first seed below.

# %%
train, validation, test, info = tl.data.load_dataset(
    image_size=settings["image_size"], samples_per_class=settings["samples_per_class"],
    test_samples_per_class=settings["test_samples_per_class"], pipeline="arrays")
test_images, test_labels = test
model = tl.lessons.experiments.reset_or_build_model("EfficientNetLite0", info.num_classes, seed=0,
                                                    image_size=info.image_size)
tl.training.train_head(model, train, validation, epochs=settings["head_epochs"], progress=False)
serving = tl.lessons.deployment.export_for_serving(model, Path(tempfile.mkdtemp()) / "serving")
print(sorted(path.name for path in serving.iterdir()))

# %% [markdown]
# ## TFLite with post-training quantization, three seeds
#
# * **float32**: the same numbers in a mobile-friendly format;
# * **dynamic range**: weights stored as 8-bit integers, activations computed in float;
# * **int8**: weights and activations in 8 bits, calibrated on 100 real training images (the
#   converter records each activation's range on them, to choose the 8-bit scale).
#
# For each seed (another 100 images per class and another head) we convert the Keras model three ways
# and measure accuracy on the 1,000 test images and the latency of one image.

# %%
variants = ("float32", "dynamic", "int8")
tflite = tl.report.results.Comparison("variant")
for seed in settings["seeds"]:
    seed_train, seed_validation, _, _ = tl.data.load_dataset(
        image_size=info.image_size, samples_per_class=settings["samples_per_class"], seed=seed,
        test_samples_per_class=settings["test_samples_per_class"], pipeline="arrays")
    model = tl.lessons.experiments.reset_or_build_model("EfficientNetLite0", info.num_classes, seed=seed,
                                                        image_size=info.image_size)
    tl.training.train_head(model, seed_train, seed_validation, epochs=settings["head_epochs"], progress=False)
    tflite.add("keras", seed, accuracy=round(tl.training.evaluate(model, test)["accuracy"], 4))
    for variant in variants:
        flat = tl.lessons.deployment.to_tflite(model, variant, representative_images=seed_train[0][:100])
        tflite.add(variant, seed, **tl.lessons.deployment.evaluate_tflite(flat, test_images, test_labels))
lesson.record("tflite", tflite)
print(tflite.summary_table(["accuracy", "tflite_mb", "latency_ms"]))
for variant in variants:
    print(tflite.verdict(variant, "keras", "accuracy"))
for variant in ("dynamic", "int8"):
    print(tflite.verdict(variant, "float32", "latency_ms", higher_is_better=False))

# %%
tl.report.plots.plot_scatter([row for row in tflite.rows if row["variant"] != "keras"], x="tflite_mb", y="accuracy",
                             label="variant", title="TFLite: test accuracy against file size (mean ± sd)")

# %% [markdown]
# **Accuracy: no measurable loss.** Neither 8-bit variant changed test accuracy measurably from the Keras
# model (int8 0.803 against 0.807; its interval rules out losses larger than 0.020). TFLite quantises
# each convolution's weights per output channel, with a scale of its own, so rounding to 256 levels
# costs little, and the int8 model's activations use ranges recorded on real images.
#
# **Size: about 3.5 times smaller.** float32 stores 13.500 MB, the dynamic-range model 3.740 MB and int8
# 3.990 MB. Not quite 4 times: some tensors (biases, small layers, the quantization scales) stay wider
# than 8 bits.
#
# **Speed: int8 faster, dynamic range not.** int8 ran one image in 0.856 ms against float32's 1.665 ms,
# measurably faster (by 0.809 ms over three seeds), though not four times: x86 CPUs have fast 8-bit
# dot products (TFLite's XNNPACK uses them), but the model's layers also do work that stays in float or
# moves data. The dynamic-range model was not measurably faster (1.688 ms): it stores 8-bit weights and
# quantises activations on the fly for the operations that support it, a per-call cost that likely ate
# the gain. Speed-ups depend on the kernels of the device: measure on your target before promising one.
#
# One more number worth noticing: the TFLite interpreter runs the float32 network on one image in about
# 1.665 ms, against 8.067 ms for Keras's `predict_on_batch` in the first table. For a single small
# image, most of Keras's time is the cost of the call, which is what a serving runtime exists to remove.
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("12_deployment_size_and_speed")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# How many times smaller is the int8 file than the float32 one? Answer with one decimal, e.g. `2.5`.

# %%
answer = None
tl.lessons.exercises.check_size_ratio(tflite, answer);

# %%
lesson.finish();
