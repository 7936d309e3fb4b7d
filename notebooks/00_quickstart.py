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
# # 00 · Quickstart: transfer learning in four steps
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/00_quickstart.ipynb)
#
# A network trained on a large dataset has learned to see: its early layers respond to edges and
# colour blobs, its middle layers to textures and parts, its last layers to whole objects
# (Zeiler & Fergus 2014; Yosinski et al. 2014). **Transfer learning** reuses that knowledge for a
# new task with little data. Instead of learning millions of weights from a few dozen images, you
# keep the pretrained network as a *feature extractor* and learn only a small new output layer, the
# **head**. If that is not enough, you then adapt the top of the pretrained network itself,
# carefully, with a small learning rate: **fine-tuning**.
#
# This notebook walks through the four steps with a **real** pretrained network (EfficientNet-Lite0
# with its ImageNet weights, which tltutor reads offline) on **real photographs**: 165 pictures of
# mammals, birds, fruit, vegetables and flowers, each cut out on a white background. They come from
# Tux Paint's stamps (GPL-2), a Debian and Ubuntu package that tltutor reads where it is installed
# (the first cell installs it on Colab). With 10 photographs per class to learn from, this is the
# situation transfer learning was made for.
#
# 1. **Load** the data.
# 2. **Build** a model: the pretrained base, frozen, with a new head.
# 3. **Train the head** on the features the frozen base computes once.
# 4. **Fine-tune** the top blocks of the base with a lower learning rate.
#
# Then it asks the question every transfer-learning result must answer: *better than what?* It sets
# the transfer model against two honest baselines, logistic regression on the raw pixels and a small
# network trained from scratch for a fixed budget of 400 steps, over five seeds, and
# reports a difference only where it is larger than the noise.
#
# Every number below was measured when this notebook ran (the full profile, a few minutes on two
# CPU cores). Set `TLTUTOR_QUICK=1` for a one-minute smoke run with tiny data.

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

lesson = tl.report.lesson.Lesson("00_quickstart")
settings = tl.runtime.profile.defaults()
print(tl.runtime.devices.device_report())
print("profile:", "quick" if tl.runtime.profile.is_quick() else "full", settings)

# %% [markdown]
# **Run it on other photos.** With a network connection (Colab), set `DATASET = "tf_flowers"` below:
# 3,670 photographs of five kinds of flower from TensorFlow Datasets, through the same code. Every
# number in the prose below is from the Tux Paint photographs.

# %%
DATASET = "tuxpaint_photos"  # or "tf_flowers" online
PER_CLASS = 10 if not tl.runtime.profile.is_quick() else 5
SEEDS = (0, 1, 2, 3, 4) if not tl.runtime.profile.is_quick() else (0,)

# %% [markdown]
# ## What a pretrained network already knows
#
# Before adapting it, ask the pretrained network what it sees. With its original 1000-class ImageNet
# head it names photos it has never seen (they ship with scikit-image), mostly right, though not always
# (the rocket's top guess is a drilling platform). This is the knowledge we are
# about to reuse: not the 1000 labels, but the features that make them separable.

# %%
from skimage import data as photos

top = tl.imagenet.classify([photos.chelsea(), photos.coffee(), photos.rocket()])
for name, guesses in zip(["chelsea", "coffee", "rocket"], top):
    print(f"{name:8s}", " · ".join(f"{label} {probability:.2f}" for label, probability in guesses[:3]))

# %% [markdown]
# ## Step 1 · Load the data
#
# `load_dataset` returns training, validation and test sets, already resized to RGB at the image size
# we ask for. `samples_per_class` makes a small-data experiment one argument away: here 10 training
# photographs per class and 2 more per class for validation. Every photograph that neither trains
# nor validates is kept for the test, read once at the end: the classes have 18 to 61 photographs,
# so the test set is not balanced (nearly half of it is mammals). We use 96 × 96 pixels, small enough for
# a CPU; the base was trained at 224.

# %%
# NBVAL_CHECK_OUTPUT
train, validation, test, info = tl.data.load_dataset(
    DATASET, image_size=settings["image_size"], samples_per_class=PER_CLASS,
    test_samples_per_class=settings["test_samples_per_class"], pipeline="arrays")
print(info.num_classes, "classes:", ", ".join(info.class_names))

# %%
print(f"{info.train_count} train / {info.validation_count} validation / {info.test_count} test images "
      f"at {info.image_size} px; test images per class: {np.bincount(test[1]).tolist()}")
images, labels = train
per_class = [np.flatnonzero(labels == label)[:5] for label in range(info.num_classes)]  # five of every class
shown = np.concatenate(per_class)
tl.report.plots.plot_image_grid(images[shown], labels[shown], info.class_names, columns=5, rows=info.num_classes)

# %% [markdown]
# ## Step 2 · Build the model: a frozen base and a new head
#
# The model is `image → preprocessing → pretrained base → pooling → dropout → new Dense head`:
#
# * **Preprocessing is a layer inside the model**: EfficientNet-Lite expects `(x − 127) / 128`, and
#   a saved model that scales its own input cannot be fed wrongly scaled images later.
# * **The base is frozen**: its 3.4 M weights do not change. With 10 photographs per class, letting
#   them all move from the start would mostly let the network memorise the training images (step 4
#   lets the top blocks move later, slowly, once the head has learned). And the head is still
#   random: until it has learned something, the gradients it would send into the base are large and
#   meaningless, and they would overwrite features that took 1.3 million photographs to learn.
# * **The head is new**: ImageNet's 1000-way output does not know our five classes. A single Dense
#   layer maps the 1280 pooled features to them: 1280 × 5 weights + 5 biases.
# * **The head outputs logits** (no softmax), and the loss is computed `from_logits=True`; a softmax
#   in the model *and* in the loss is a classic bug that makes training stall.

# %%
# NBVAL_CHECK_OUTPUT
model = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
print([layer.name for layer in model.layers])
print(tl.freezing.trainable_summary(model))

# %% [markdown]
# The summary also counts the **BatchNorm layers kept frozen**. BatchNorm normalises each feature with
# a mean and variance that were estimated on ImageNet. In Keras 3 those statistics would start to
# follow the new data as soon as a layer trains (even when the base is called with `training=False`),
# and estimated on a few dozen photographs they drift away from what the later layers expect.
# tltutor keeps every BatchNorm layer frozen, now and after unfreezing.
#
# ## Step 3 · Train the head
#
# With the base frozen, it computes the same features for an image in every epoch. So `train_head`
# runs the base **once** per image, keeps the 1280 features, and trains the head on them. Each epoch is
# then a pass over a small matrix instead of a pass through a 3.4 M-parameter network (notebook 02
# measures the speed-up).
#
# **How long to train, and who decides.** The usual answer is early stopping: watch the validation
# loss, stop when it stops improving. But our validation set is 10 photographs, and on 10 photographs
# one photograph moves the accuracy by 0.1: a rule that stops on that would follow noise. tltutor
# refuses to stop early on fewer than 30 validation images (it prints a line saying so) and trains the
# whole budget we state instead: 100 epochs of 2 batches, **200 optimizer steps**. Count steps, not
# epochs: an epoch of 50 photographs is only 2 steps, so "100 epochs" is a small budget for a linear
# head.

# %%
history = tl.training.train_head(model, train, validation, epochs=100, early_stopping_patience=20, seed=0)
head_accuracy = tl.training.evaluate(model, test)["accuracy"]
print(f"head only: {history.epochs} epochs, {history.steps} steps, test accuracy {head_accuracy:.3f}")

# %% [markdown]
# ## Step 4 · Fine-tune the top blocks with a lower learning rate
#
# Now unfreeze the top of the base, from `block11_` up (the last two stages of EfficientNet-Lite0),
# and train those blocks together with the head. The rate is 10× lower than the head's, 1e-4, a
# cautious choice for 50 photographs: the pretrained weights are already good, and large steps would
# overwrite what they know. Notebook 03 measures the line: on 1,000 images 1e-2 destroyed the base,
# while 1e-3 with a warm-up beat 1e-4, which moved the weights little in its steps (so 60 steps at
# 1e-4 here are a small adaptation). Two more precautions, both standard: the rate **warms up** from
# zero over the first tenth of the steps, so that the head's first gradients do not jolt the
# blocks, and then **decays** along a cosine to zero, so that the weights settle (Goyal et al. 2017;
# Loshchilov & Hutter 2017). Fifty photographs make two batches, so 30 epochs are 60 steps, all of
# them run: the decay to zero is the stopping rule. The blocks below `block11_` stay frozen, so tltutor
# again computes their output once and trains only the unfrozen top on it.

# %%
# NBVAL_CHECK_OUTPUT
tl.freezing.unfreeze(model, "block11_")
print(tl.freezing.trainable_summary(model))

# %%
history = tl.training.fine_tune(model, train, validation, epochs=30 if not tl.runtime.profile.is_quick() else 2,
                                unfreeze_from="block11_", learning_rate=1e-4, schedule="warmup_cosine",
                                early_stopping_patience=None, history=history, seed=0)
fine_tuned_accuracy = tl.training.evaluate(model, test)["accuracy"]
print(f"after fine-tuning: {history.phase_steps()} steps, test accuracy {fine_tuned_accuracy:.3f} "
      f"(head only: {head_accuracy:.3f})")
tl.report.plots.plot_history(history, title="head, then fine-tuning")

# %% [markdown]
# The dashed line marks where fine-tuning began. Read the validation curves, not the training ones:
# the training accuracy reaches 1 early, because 50 photographs are easy to fit. With 10 validation
# photographs, one photograph moves validation accuracy by 0.1, so its curve moves in steps; the
# validation *loss* is the smoother signal. Whether fine-tuning's test accuracy above differs from the
# head's by more than chance, one run cannot tell: that is the next section's question.
#
# ## Better than what? Honest baselines, over five seeds
#
# One run is one draw: another random training subset or another initial head gives another number,
# and on about a hundred test photographs one seed can differ from the next by several points. So we
# repeat the experiment with five seeds (each seed draws another 10 photographs per class, other
# validation and test photographs, and another initial head) and compare against two models that learn
# from the target alone:
#
# * **logistic regression on the raw pixels**, shrunk to 28 × 28 grey or 16 × 16 colour, its
#   regularisation and which of the two inputs chosen on the validation set;
# * **a small CNN trained from scratch** (three convolutional blocks, 24 k parameters) for a fixed
#   budget of 200 epochs, **400 steps**, twice what the transfer model's head gets: 10 validation
#   photographs are too few to stop it early. It sees the photographs at 32 px, the size its three
#   blocks were designed for, and without augmentation; this lesson does not try it larger.
#
# And one control for fine-tuning. Fine-tuning trains the head for 60 more steps while it adapts the
# base, so a gain over the head alone could come from the extra head training. **`head_continued`**
# trains the same head for the same 60 steps, at the same rate and schedule, with the base still
# frozen: only a gain over *it* can be credited to adapting the base.
#
# If the pretrained network does not beat the baselines, the transfer bought nothing. The verdicts pair the
# runs seed by seed (same photographs, same start) and call a difference measurable when the 95 %
# interval of the mean difference excludes zero (Student's t over the seeds); otherwise they say
# how large a difference the run rules out.

# %%
tl.lessons.quiz.for_lesson("00_quickstart").predictions()

# %%
comparison = tl.lessons.experiments.compare_strategies(
    dataset=DATASET, samples_per_class=PER_CLASS, seeds=SEEDS, head_epochs=100,
    fine_tune_epochs=30 if not tl.runtime.profile.is_quick() else 2)
lesson.record("strategies", comparison)
print(comparison.summary_table(["test_accuracy", "test_balanced_accuracy", "validation_accuracy", "steps"]))
for first, second in (("feature_extraction", "pixels"), ("feature_extraction", "scratch"),
                      ("fine_tuning", "head_continued"), ("fine_tuning", "feature_extraction")):
    print(comparison.verdict(first, second))
print(comparison.verdict("feature_extraction", "scratch", "test_balanced_accuracy"))

# %%
tl.report.plots.plot_comparison(comparison, "test_accuracy", title="test accuracy over seeds (bars: mean ± sd)")

# %% [markdown]
# **What the stored run measured** (five seeds; the table and verdicts above):
#
# * **Transfer is most of the accuracy.** The frozen ImageNet features with a new head reached 0.853
#   ± 0.027, against 0.371 ± 0.061 for logistic regression on the raw pixels and 0.615 ± 0.084 for
#   the CNN trained from scratch: gains of 0.482 (95 % interval 0.418 to 0.545) and 0.238 (0.127 to
#   0.349). Fifty photographs teach a network from scratch something (0.615 is far above chance, 0.2)
#   but much less than the network that learned from 1.3 million photographs brings. (Predicting "mammal"
#   for everything would get 49
#   of the 105 test photographs right on this unbalanced test set, nearly half; the pixel model does
#   not even reach that.)
# * **The same holds when every class counts equally.** Accuracy on this test set is mostly about
#   mammals (49 of 105),
#   so the table also gives **balanced accuracy**, the mean of the five per-class recalls, where every
#   class counts the same: 0.800 for feature extraction, 0.595 for the scratch CNN, 0.345 for the
#   pixels, and feature extraction still beats the scratch CNN measurably (by 0.205).
# * **The from-scratch CNN had a fair budget in steps**: 400, twice the head's, and the `steps` column
#   shows every arm's. It still lost by 0.238, with the handicaps named above: 32 px rather than 96,
#   and no augmentation.
# * **Fine-tuning beat the head alone**, by 0.025 (0.007 to 0.043), measurable at 95 % for this one
#   comparison (with five verdicts on the same run, one such result may be luck).
#   **But the control could not credit that to the base.** Against `head_continued`, the head trained
#   for the same 60 steps with the base frozen, the difference is not measurable (−0.007 to 0.064):
#   the control matched the head exactly on three seeds, rose above it on one and fell below it on
#   another, so fine-tuning's lead over the control varied more from seed to seed than its lead over
#   the head. This run rules out that
#   adapting the base bought more than 0.064 here; it cannot say it bought nothing. Five seeds of 105
#   test photographs are a small experiment; notebook 06 measures where adapting the base pays, with
#   more data.
#
# ## Where does it still go wrong?
#
# The confusion matrix of the fine-tuned model from step 4: rows are the true classes, columns what
# the model predicted, each row scaled to 1. Above it, the mistakes counted.

# %%
true_labels, predicted_labels = tl.report.diagnostics.predict_labels(model, test)
mistakes = tl.report.diagnostics.most_confused(true_labels, predicted_labels, info.class_names)
print(f"{sum(row['count'] for row in mistakes)} mistakes on {len(true_labels)} test photographs:")
for row in mistakes:
    print(f"  {row['count']} × {row['true']} taken for {row['predicted']}")
tl.report.plots.plot_confusion_matrix(true_labels, predicted_labels, info.class_names)

# %% [markdown]
# **Most mistakes are between mammals and birds**: 8 of the 12, mammals taken for birds and birds
# for mammals. Both are animals photographed whole, with legs, fur or feathers and eyes, so at 96 px
# they likely share much of what ImageNet's features describe (a guess this lesson does not test).
# Fruit and vegetables account for the rest, and no flower photograph was misclassified. The vegetable
# row rests on 6 test photographs (each is 0.17 of the row), so read it as "the class with the least
# to measure with", not as a measured rate. This is the single model trained in step 4 (seed 0, but a
# separate run from the comparison's seed 0, so its score differs a little); the confusion of another
# seed would differ in its details.
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("00_quickstart")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# How many trainable parameters does the new head have when the task has **3** classes instead of 5?
# EfficientNet-Lite0's pooled features have 1280 values. Replace `None` with your answer.

# %%
answer = None
tl.lessons.exercises.check_head_parameters(answer, num_classes=3);

# %% [markdown]
# **Next:** `python -m tltutor compare` runs the same comparison from the command line and writes a
# table and plots. Notebook 01 asks which pretrained network to start from, and maps where
# transfer pays and where it does not; notebook 06 finds where fine-tuning beats the head alone.

# %%
lesson.finish();
