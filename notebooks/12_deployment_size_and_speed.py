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
#   need far fewer, so rounding them to 255 levels (a scale for each output channel) usually costs
#   little accuracy, shrinks the file up to fourfold and, on hardware with fast integer arithmetic,
#   speeds inference up.
#
# Latency depends on the machine, so every number here is one machine's: two CPU cores, no accelerator,
# and the processor printed below, with the 8-bit dot-product instructions it reports (int8 speed
# depends on such instructions). The method travels; the numbers do not: measure on your target device.

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
processor = tl.runtime.devices.processor_description()
lesson.record("processor", processor)
print("processor:", processor)

# %% [markdown]
# ## Candidate backbones: parameters, file size, latency
#
# Latency is the median time of one image through the whole model, measured three times per model
# after a warm-up, in two runtimes:
#
# * **Keras** (`predict_on_batch`, 20 timed calls): what you time in a notebook;
# * **TFLite** (the interpreter, float32, 50 timed calls, on both cores as Keras uses them): what a phone
#   or an embedded device runs, with only a thin Python wrapper around each call.
#
# The three measurements of a model run back to back (the tables' `seeds` column counts them), and ±
# is their standard deviation. MobileNetV2 and ResNet50 are built here with random weights (offline,
# their ImageNet weights cannot be downloaded): size and speed do not depend on the weights' values.

# %%
tl.lessons.quiz.for_lesson("12_deployment_size_and_speed").predictions()

# %%
candidates = [("DigitsCNN", "digits"), ("EfficientNetLite0", "imagenet"), ("MobileNetV2", None), ("ResNet50", None)]
candidates = candidates if not quick else candidates[:2]  # the quick profile only checks that the code runs
sizes = tl.report.results.Comparison("backbone", settings={"image_size": settings["image_size"]})
for backbone, weights in candidates:
    candidate = tl.models.build_transfer_model(backbone, 10, weights=weights, image_size=settings["image_size"])
    flat = tl.lessons.deployment.to_tflite(candidate)
    for repeat in range(3 if not quick else 1):
        sizes.add(backbone, repeat, **tl.lessons.deployment.measure_model(candidate, repeats=20),
                  **tl.lessons.deployment.tflite_latency(flat, repeats=50))
lesson.record("sizes", sizes)
print(sizes.summary_table(["parameters", "keras_file_mb", "keras_latency_ms", "tflite_latency_ms"]))
if not quick:
    for metric in ("parameters", "keras_latency_ms", "tflite_latency_ms"):
        print(f"ResNet50 / EfficientNetLite0, {metric.replace('_', ' ')}: "
              f"{sizes.spread('ResNet50', metric).mean / sizes.spread('EfficientNetLite0', metric).mean:.1f}")
    print(sizes.verdict("MobileNetV2", "EfficientNetLite0", "tflite_latency_ms", higher_is_better=False))

# %%
tl.report.plots.plot_scatter(sizes.rows, x="keras_latency_ms", y="tflite_latency_ms", label="backbone",
                             title=f"single-image latency at {settings['image_size']} px: Keras against TFLite")

# %% [markdown]
# **File size is the parameter count times four bytes**, plus a little structure: EfficientNet-Lite0's
# 3,425,834 parameters make a 14.250 MB file, ResNet50's 23,608,202 make 95.100 MB. (For the tiny
# DigitsCNN, 24,570 parameters in a 0.160 MB file, the structure is a large share of the file, about
# two fifths.) The new head (12,810 parameters for ten classes: 1,280 features × 10 weights + 10 biases)
# is a tiny share of EfficientNet-Lite0: the deployed model *is* the
# base.
#
# **In the deployed runtime, time follows the work; through Keras, overhead hides it.** ResNet50 has 6.9
# times EfficientNet-Lite0's parameters. In the TFLite interpreter it took 12.733 ms per image against
# 1.240 ms, 10.3 times as long; through Keras's `predict_on_batch`, 32.110 ms against 8.800 ms, only 3.6
# times. Part of the difference is Keras's overhead on every call and every operation: DigitsCNN, a
# network of 24,570 parameters, took 3.970 ms through Keras and 0.488 ms in TFLite. But the gap between
# the runtimes grows with the network, so it is not all a fixed cost: the two also run different
# kernels (TFLite's XNNPACK, with BatchNorm folded into the convolutions), and this lesson did not
# separate the overhead from the kernels. Either way, Keras's extra time squeezes the ratios together.
# Judge backbones in the
# runtime you will deploy, not by a notebook's timing.
#
# **Latency still does not simply follow the parameter count.** ResNet50 took 10.3 times
# EfficientNet-Lite0's time for 6.9 times its parameters. (MobileNetV2, with two thirds of
# EfficientNet-Lite0's parameters, ran in 1.052 ms against 1.240 ms in TFLite: faster on average, as its
# size would suggest, but not measurably over three measurements.) Time is set by the work per image, not
# by the weights stored: the
# multiply-adds each layer performs (which depend on the feature maps' sizes as much as on the weights)
# and memory traffic. Parameters predict the file; only a measurement predicts the time (this lesson
# measured the times, not their causes).
#
# The spread of the three measurements (standard deviations up to ±5.253 ms through Keras, ±1.579 ms in
# TFLite, both for ResNet50) is the machine's noise. A difference smaller than the noise is not a
# difference, and a larger one is not automatically one either: with three measurements, MobileNetV2's
# lead over Lite0 is larger than either spread, yet its interval still includes zero.
#
# ## Export for serving
#
# A SavedModel carries the preprocessing layer inside, so a server can send raw 0..255 pixels. The
# model here is trained the way the first seed below trains its feature-extraction model (the same
# seed, a separate run), on the lesson's data: the bundled Fashion-MNIST subset, whose 1,000 test images
# every seed shares.

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
served = tl.lessons.deployment.compare_served_logits(serving, model, test_images[:200])
lesson.record("served", served)
print(f"reloaded SavedModel against the Keras model on 200 test images: largest logit difference "
      f"{served['max_logit_difference']:.1e}, same predicted class on {served['same_prediction']:.0%}")

# %% [markdown]
# The SavedModel was reloaded and called through its `serving_default` signature, the one TF Serving
# calls, on 200 test images: its logits differ from the Keras model's by at most 1.9e-06, rounding in the
# last digits of float32, and every predicted class is the same. Check that after every export: a model
# exported before its last training epoch, or a layer that behaves differently once exported, shows up
# here, before it reaches a user.
#
# ## TFLite with post-training quantization, three seeds
#
# * **float32**: the same computation in a mobile-friendly format (the converter folds BatchNorm into
#   the convolutions, so the stored weights change, and the file is a little smaller than `.keras`);
# * **dynamic range**: weights stored as 8-bit integers; at run time TFLite's kernels quantise the
#   activations to 8 bits on the fly, layer by layer, and the outputs come back as floats;
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
    history = tl.training.train_head(model, seed_train, seed_validation, epochs=settings["head_epochs"],
                                     progress=False)
    tflite.add("keras", seed, accuracy=round(tl.training.evaluate(model, test)["accuracy"], 4), steps=history.steps)
    converted = tl.lessons.deployment.to_tflite_variants(model, variants, representative_images=seed_train[0][:100])
    for variant, flat in converted.items():
        tflite.add(variant, seed, **tl.lessons.deployment.evaluate_tflite(flat, test_images, test_labels),
                   steps=history.steps)
lesson.record("tflite", tflite)
print(tflite.summary_table(["accuracy", "tflite_mb", "latency_ms", "steps"]))
for variant in variants:
    print(tflite.verdict(variant, "keras", "accuracy"))
for variant in ("dynamic", "int8"):
    print(tflite.verdict(variant, "float32", "latency_ms", higher_is_better=False))

# %%
tl.report.plots.plot_scatter([row for row in tflite.rows if row["variant"] != "keras"], x="latency_ms", y="accuracy",
                             label="variant", title="TFLite: test accuracy against single-image latency (mean ± sd)")

# %% [markdown]
# **Accuracy: no measurable loss.** Each seed's head was trained for 555 optimizer steps on average (early
# stopping on validation). Neither 8-bit variant changed test accuracy measurably from the Keras model
# (int8 0.803 against 0.807; its interval rules out losses larger than 0.022). TFLite quantises each
# convolution's weights per output channel, with a scale of its own, so rounding to 255 levels costs
# little, and the int8 model's activations use ranges recorded on real images.
#
# **Size: about 3.5 times smaller.** float32 stores 13.500 MB, the dynamic-range model 3.740 MB and int8
# 3.990 MB. Not quite 4 times: some tensors (biases, small layers, the quantization scales) stay wider
# than 8 bits. (Why int8's file is a little larger than the dynamic-range one, this lesson did not look
# into.)
#
# **Speed: no measurable gain on this processor.** int8 ran one image in 1.438 ms against float32's 1.680
# ms: faster on each of the three seeds, by little, and not measurably over three (the interval, −0.930
# to 0.444, still allows a gain of up to 0.930 ms or a loss of up to 0.444 ms). This processor reports no
# 8-bit dot-product instructions (printed at the top). Processors with them (VNNI on recent x86 server
# chips, the dot-product instructions of recent Arm phones) are where int8 is expected to pay in speed;
# this lesson did not measure one. The dynamic-range model was slower than float32 on every seed (2.884 ms
# on average), though not measurably over three; its on-the-fly quantisation of the activations is a
# likely cost, not measured here. The figure shows accuracy against time: three models of about the
# same accuracy (its y axis spans less than two hundredths, so small gaps look large), the
# dynamic-range one slowest; the sizes above add that float32 is about 3.5 times the others. Speed-ups
# depend on the kernels of the device:
# measure on your target before promising one.
#
# One more number worth noticing, from the first table: the TFLite interpreter runs the EfficientNet-Lite0
# model on one image in 1.240 ms, against 8.800 ms through Keras. (The float32 model above, the same
# architecture once trained, took 1.680 ms: timed in another part of the run, on a machine whose noise
# alone reached ±1.579 ms in the first table.)
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
