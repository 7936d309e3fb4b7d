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
# # 02 · Freeze the base, train a new head
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/02_freeze_and_new_head.ipynb)
#
# **Feature extraction** keeps the pretrained base fixed and trains only a new output layer. It is
# the first thing to try on a new task: it is cheap, it cannot damage the pretrained features, and
# with little data it gets most of the way. Fine-tuning at a well-chosen rate can add a few points
# on top (notebooks 00 and 03 measure how many, against the right controls), at more cost and with a
# risk to the base that notebook 03 shows. This notebook looks at what "frozen" means mechanically in Keras 3, at
# two pitfalls that silently break it, and at the speed-up that freezing makes possible.
#
# The mechanism in one paragraph: every Keras layer has a `trainable` flag. When `fit` computes a
# training step, it differentiates the loss only with respect to the **trainable variables** and
# updates only those. A frozen layer still runs forward; its weights simply receive no update. Two
# details make the difference between a frozen base and a broken one:
#
# 1. **The flag is read when the training step is built.** Keras builds the step, and the optimizer's
#    list of variables, from the trainable variables it sees at the first training call after
#    `compile()`. Change `trainable` after that and nothing happens until you compile again.
# 2. **BatchNorm has state that is not a weight.** Its moving mean and variance are updated by the
#    forward pass in training mode, not by the optimizer. In Keras 3 a BatchNorm layer runs in
#    inference mode during `fit` (using, not updating, its statistics) only when the layer itself is
#    non-trainable. (In `predict` and `evaluate` every BatchNorm layer uses its statistics.)

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"

# %%
# %matplotlib inline
import copy

import numpy as np

import tltutor as tl

lesson = tl.report.lesson.Lesson("02_freeze_and_new_head")  # the first tltutor call imports Keras quietly
import keras
settings = tl.runtime.profile.defaults()
print("profile:", "quick" if tl.runtime.profile.is_quick() else "full", settings)

# %%
train, validation, test, info = tl.data.load_dataset(
    image_size=settings["image_size"], samples_per_class=settings["samples_per_class"],
    test_samples_per_class=settings["test_samples_per_class"], pipeline="arrays")
print(f"{info.name}: {info.train_count} train / {info.validation_count} validation / {info.test_count} test "
      f"images at {info.image_size} px")

# %% [markdown]
# ## Before freezing: everything trains
#
# `build_transfer_model` replaces ImageNet's 1000-class output with a new head for our ten classes.
# Built with `freeze=False`, almost all of its parameters would train (the summary below counts them)
# from 1,000 images; only the BatchNorm layers stay frozen (pitfall 2 below).

# %%
# NBVAL_CHECK_OUTPUT
model = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size,
                                       freeze=False)
print(tl.freezing.trainable_summary(model))

# %% [markdown]
# ## After freezing: only the head trains
#
# `freeze_base` sets the base's `trainable` flag to `False` and compiles the model again, so the
# change takes effect. What is left to train is the head's kernel and bias.

# %%
# NBVAL_CHECK_OUTPUT
tl.freezing.freeze_base(model)
print(tl.freezing.trainable_summary(model))

# %% [markdown]
# ## Pitfall 1: a change of `trainable` needs a compile
#
# Watch it happen. We take one training step with the base frozen (Keras now has a compiled step for
# that set of trainable variables), then set `trainable = True` on the base **without** compiling and
# take another step. Then we compile and take one more. Each time we measure how far the base's first
# convolution kernel moved.

# %%
probe = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
kernel = tl.freezing.get_base(probe).get_layer("stem_conv").kernel
images, labels = train[0][:32], train[1][:32]


def movement_after_one_step():
    before = keras.ops.convert_to_numpy(kernel).copy()
    probe.train_on_batch(images, labels)
    return float(np.abs(keras.ops.convert_to_numpy(kernel) - before).max())


frozen = movement_after_one_step()
tl.freezing.get_base(probe).trainable = True           # the flag changes ...
try:
    without_compile = movement_after_one_step()        # ... but the compiled step does not know
except ValueError as refusal:                          # the JAX backend refuses instead (see below)
    without_compile = None
    print("without recompiling, Keras refused the step:", str(refusal).split(".")[0])
tl.compiling.recompile(probe)
with_compile = movement_after_one_step()
print(f"largest change of a stem weight: {frozen:.2e} while frozen, "
      + ("" if without_compile is None else f"{without_compile:.2e} after setting trainable=True without recompiling, ")
      + f"{with_compile:.2e} after recompiling")
lesson.record("trainable_needs_compile", {"frozen": frozen, "without_compile": without_compile,
                                          "with_compile": with_compile})

# %% [markdown]
# Without the compile, the step still updated only what was trainable when the model was compiled:
# the stem did not move at all. That is the TensorFlow backend (this run's, and Colab's default).
# On the JAX backend (not run here) Keras notices that the trainable variables no longer match the
# optimizer's and refuses the step with a `ValueError`, which is the better failure: loud instead of silent. Either
# way the fix is the same. tltutor's `freeze_base` and `unfreeze` always recompile a compiled model,
# so their effect is immediate on both backends.
#
# ## Pitfall 2: BatchNorm statistics drift when its layers train
#
# A frozen base should compute the same features tomorrow as today. We unfreeze the whole base twice,
# once keeping BatchNorm frozen (tltutor's default) and once letting it train (what
# `base.trainable = True` alone does), train one epoch at a small rate, and measure how far the moving
# means moved from their ImageNet values.

# %%
drift = {}
for keep_frozen in (True, False):
    candidate = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
    layers = tl.batchnorm.batchnorm_layers(candidate)
    before = [keras.ops.convert_to_numpy(layer.moving_mean).copy() for layer in layers]
    tl.freezing.unfreeze(candidate, keep_batchnorm_frozen=keep_frozen, learning_rate=1e-5)
    candidate.fit(train[0][:256], train[1][:256], epochs=1, batch_size=32, verbose=0)
    drift[keep_frozen] = float(np.mean([np.abs(keras.ops.convert_to_numpy(layer.moving_mean) - old).mean()
                                        for layer, old in zip(layers, before)]))
print(f"mean change of the BatchNorm moving means after one epoch: {drift[True]:.4f} with BatchNorm frozen, "
      f"{drift[False]:.4f} with BatchNorm training")
lesson.record("batchnorm_drift", {"frozen": drift[True], "training": drift[False]})

# %% [markdown]
# With BatchNorm training, every forward pass in `fit` pulls the statistics towards those of 256
# upsampled grey clothes, and the features that any head reads shift under it. With
# BatchNorm frozen the statistics stay exactly where ImageNet left them.
#
# **The surprise is where the drift came from.** `build_transfer_model` calls the base as
# `base(x, training=False)`, exactly as the Keras transfer-learning guide recommends for keeping
# BatchNorm in inference mode, and the statistics still moved. In Keras 3, `fit` runs the model with
# `training=True` and a trainable BatchNorm layer follows it, whatever the call inside the model said
# (keras-team/keras#20285 reports it; the measurement above shows it). Only a BatchNorm layer whose
# `trainable` flag is `False` stays in inference mode during `fit`, which is why tltutor freezes
# every one of them when it unfreezes a base.
#
# ### Does the drift cost accuracy?
#
# A moved statistic is a mechanism, not yet a harm. So we measure the harm: on each of three seeds,
# the head is trained first (on cached features, with the base frozen), then the base is fine-tuned
# from `block11_` up at 1e-3 with a warm-up and a cosine decay (`fine_tune`'s default, the rate
# notebook 03 chose), for the same number of optimizer steps, once with the BatchNorm layers of the
# unfrozen blocks frozen and once with them training. We read the test accuracy before and after
# fine-tuning, and the validation accuracy after the first fine-tuning epoch, where a collapse would
# show first.

# %%
fine_tune_epochs = max(1, settings["fine_tune_epochs"] - 2)
data_by_seed = {seed: tl.data.load_dataset(
    image_size=info.image_size, samples_per_class=settings["samples_per_class"],
    test_samples_per_class=settings["test_samples_per_class"], seed=seed, pipeline="arrays")[:2]
    for seed in settings["seeds"]}
batchnorm = tl.report.results.Comparison("BatchNorm while fine-tuning", settings={
    "unfreeze_from": "block11_", "learning_rate": 1e-3, "schedule": "warmup_cosine", "epochs": fine_tune_epochs})
for seed, (seed_train, seed_validation) in data_by_seed.items():
    tl.runtime.reproducibility.seed_everything(seed)
    candidate = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
    head_history = tl.training.train_head(candidate, seed_train, seed_validation, epochs=settings["head_epochs"],
                                          progress=False, seed=seed)
    head_accuracy = tl.training.evaluate(candidate, test)["accuracy"]
    trained_head = candidate.get_weights()  # both arms start from this head (and BatchNorm's ImageNet statistics)
    for keep_frozen in (True, False):
        candidate.set_weights(trained_head)
        tl.freezing.unfreeze(candidate, "block11_", keep_batchnorm_frozen=keep_frozen, learning_rate=1e-3)
        history = tl.training.train_unfrozen(candidate, seed_train, seed_validation, epochs=fine_tune_epochs,
                                             learning_rate=1e-3, schedule="warmup_cosine",
                                             early_stopping_patience=None, history=copy.deepcopy(head_history),
                                             progress=False, seed=seed)
        fine_tuning = [record for record in history.records if record["phase"] == "fine-tune"]
        batchnorm.add("frozen" if keep_frozen else "training", seed, history=history,
                      head_test_accuracy=round(head_accuracy, 4),
                      test_accuracy=round(tl.training.evaluate(candidate, test)["accuracy"], 4),
                      first_epoch_val_accuracy=round(fine_tuning[0]["val_accuracy"], 4),
                      fine_tune_steps=history.phase_steps()["fine-tune"])
lesson.record("batchnorm_harm", batchnorm)
print(batchnorm.summary_table(["head_test_accuracy", "first_epoch_val_accuracy", "test_accuracy",
                               "fine_tune_steps"]))
print(batchnorm.verdict("frozen", "training"))

# %%
tl.report.plots.plot_comparison(batchnorm, "test_accuracy",
                                title="test accuracy after fine-tuning, BatchNorm frozen or training")

# %% [markdown]
# **What the stored run measured:** on this set-up the drift did not cost measurable accuracy. After 96
# fine-tuning steps, the arm with BatchNorm frozen reached 0.835 ± 0.005 on test and the arm with it
# training 0.818 ± 0.021: lower on average and four times as variable from seed to seed, but the verdict
# cannot separate them (it rules out only differences larger than 0.065). Nor did training BatchNorm
# make the first epoch collapse: its validation accuracy after one fine-tuning epoch, 0.790, was above
# the frozen arm's 0.717 (both dip below the head as the warm-up brings the rate up to 1e-3).
#
# So the harm is a risk this run did not see, not a certainty. With batches of 32 images from one
# dataset, each batch estimates the statistics well enough. The risk grows with smaller batches (a batch
# of 4 gives noisy statistics), with a target further from ImageNet, and for anything that reuses the
# base's outputs, which are no longer the features the head was trained on. tltutor keeps BatchNorm
# frozen because it was not measurably worse on test here and keeps the base a fixed function below
# the unfrozen layers; this run does not show that it is better (in the first epoch it was behind).
#
# ## Training the head: on images, or on cached features?
#
# With the base frozen and no augmentation in the model, the base computes the same 1,280 features
# for an image in every epoch. So there are two ways to train the head, which must give the same
# model:
#
# * **on images**: every epoch runs each image through the whole base, then the head;
# * **on cached features**: the base runs once per image, its features are kept, and every epoch
#   trains the head on the kept feature matrix.
#
# Same head, same epochs (five, no early stopping), three training draws each (the seeds draw the
# training images; the head's starting weights and the test set are the same every time). If caching changed what the
# head learns, the accuracies would differ beyond the seed spread.

# %%
tl.lessons.quiz.for_lesson("02_freeze_and_new_head").predictions()

# %%
comparison = tl.report.results.Comparison("head trained on", settings={"epochs": 5})
for seed, (seed_train, seed_validation) in data_by_seed.items():
    for cached in (False, True):
        tl.runtime.reproducibility.seed_everything(seed)
        tl.features.clear()  # the features kept by the cells above would make this run's extraction free
        candidate = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
        history = tl.training.train_head(candidate, seed_train, seed_validation, epochs=5, use_cached_features=cached,
                                         early_stopping_patience=None, progress=False)
        comparison.add("cached features" if cached else "images", seed, history=history,
                       test_accuracy=round(tl.training.evaluate(candidate, test)["accuracy"], 4),
                       seconds=round(history.seconds, 1))
lesson.record("head", comparison)
print(comparison.summary_table(["test_accuracy", "seconds"]))
print(comparison.verdict("cached features", "images"))
print(comparison.verdict("cached features", "images", "seconds", higher_is_better=False))
speedups = [images / cached for images, cached in zip(comparison.values("images", "seconds"),
                                                       comparison.values("cached features", "seconds"))]
print(f"speed-up of the whole head training (feature extraction included): "
      f"{tl.report.statistics.spread(speedups)}x")

# %%
tl.report.plots.plot_comparison(comparison, "seconds", title="seconds to train the head (mean ± sd over seeds)")

# %% [markdown]
# **What the stored run measured:** the two ways of training the head reached **the same test
# accuracy** (no measurable difference over three seeds; on each seed the two ways gave the same number
# to three decimals, as they should for the same computation), and the cached run was about 3.7
# times as fast, feature extraction included (the table and the printed speed-up above), for five
# epochs on 1,000 images.
#
# The per-epoch ratio is larger still, since the cached run pays the one feature-extraction pass up
# front: `python benchmarks/bench.py` measures a head epoch on kept features against a frozen-base
# epoch over images for several backbones.
#
# ## When caching does not apply
#
# Caching is exact only while the frozen part computes the same thing every epoch:
#
# * **Augmentation** changes the images every epoch, so their features change too. With augmentation
#   layers in the model, `train_head` trains on images (notebook 07).
# * **Fine-tuning** changes the unfrozen layers; only the part *below* the first unfrozen layer stays
#   fixed. tltutor keeps that part's output instead, so fine-tuning the top blocks is cheaper as well
#   (notebooks 00 and 03).
# * **BatchNorm** inside the kept part must run in inference mode, or its statistics would change
#   with every batch (pitfall 2); a frozen part guarantees that.
#
# ## A linter for these mistakes: `tl.check`
#
# None of the mistakes above raises an error: the model trains, and only the numbers are wrong.
# `tl.check(model, train, validation, test)` looks for them before training, and for a few more
# that the other lessons measure (a rate that destroys pretrained weights, notebook 03; the same
# images in two splits, notebook 05). Here is a model with five mistakes made on purpose. It trains
# one step with its base frozen, as in pitfall 1; then the whole base is unfrozen by hand, BatchNorm
# included, without compiling, at a rate of 1e-2, which notebook 03 measured destroying the base; the
# images are divided by 255 for a model
# that scales 0..255 itself; and the validation set is passed again as the test set.

# %%
mistaken = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size,
                                          learning_rate=1e-2)
mistaken.train_on_batch(train[0][:32], train[1][:32])
tl.freezing.get_base(mistaken).trainable = True       # by hand: BatchNorm too, and no compile
mistakes = tl.check(mistaken, (train[0] / 255.0, train[1]), validation, validation)

# %% [markdown]
# Each finding names the rule, what it causes and the fix. The same check on the lesson's `model`,
# with its base frozen by `freeze_base` and fed the data as `load_dataset` gives it, finds nothing:

# %%
recommended = tl.check(model, train, validation, test)
lesson.record("check", {"mistaken": mistakes.rules, "recommended": recommended.rules})

# %% [markdown]
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("02_freeze_and_new_head")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# After `freeze_base`, how many trainable **variables** (weight tensors, not parameters) does `model`
# have? Count them from what you know about a Dense layer, then check.

# %%
answer = None
tl.lessons.exercises.check_trainable_variable_count(model, answer);

# %%
lesson.finish();
