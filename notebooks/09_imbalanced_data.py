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
# # 09 · Imbalanced data
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/09_imbalanced_data.ipynb)
#
# Real datasets are rarely balanced: a few classes have most of the images and many have few, a
# **long tail**. A classifier trained on such data learns the training set's class frequencies along
# with the task. The mechanism: the loss is a sum over training examples, so a class with 20× more
# images weighs 20× more in it, and the decision boundaries move into the territory of the rare
# classes. When a rare image looks a little like a frequent one, the frequent class wins.
#
# Two consequences for how we measure:
#
# * **Plain accuracy on a skewed test set rewards predicting the large classes.** Here the test set
#   is balanced (100 images per class), so accuracy counts every class equally already; we also
#   report **balanced accuracy**, the mean of the per-class recalls, which does so on any test set.
# * **Which classes suffer depends on two things, not one:** how rare a class is, and how much it
#   resembles a frequent class. A rare class that looks like nothing else (a bag) can keep much of its
#   recall on few images; a rare class with frequent look-alikes can lose most of it.
#
# Five remedies, each a different idea:
#
# * **class weights** scale each example's loss by N / (C × its class's count), so every class weighs
#   the same in total;
# * **oversampling** repeats rare-class images until every class has as many as the largest;
# * **undersampling** keeps as many images of every class as the smallest has, and discards the rest;
# * **focal loss** (Lin et al. 2017) multiplies each example's loss by (1 − p_true)^γ, here with γ = 2,
#   so examples the model already gets right, mostly from the large classes, count less;
# * **logit adjustment** (Menon et al. 2021) trains as usual and subtracts τ × log(class share) from the
#   logits at test time, here with τ = 1: the correction that the Bayes rule prescribes when the training
#   priors differ from the (balanced) test priors, provided the softmax outputs are calibrated estimates
#   of the training set's class probabilities.

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"

# %%
# %matplotlib inline
import numpy as np

import tltutor as tl

lesson = tl.report.lesson.Lesson("09_imbalanced_data")
settings = tl.runtime.profile.defaults()
quick = tl.runtime.profile.is_quick()
print("profile:", "quick" if quick else "full", settings)

# %% [markdown]
# ## A long-tailed training set
#
# From the embedded Fashion-MNIST pool, keep 300 images of the first class and fewer of each next
# one, falling exponentially to 15 (a ratio of 20), in the dataset's class order. Each seed draws
# other images with the same counts.

# %%
ratio, largest = (20, 300) if not quick else (10, 40)
counts = tl.lessons.imbalance.long_tail_counts(largest, 10, ratio)
names = tl.data.sources.FASHION_MNIST_CLASSES
print(dict(zip(names, counts)))
tl.report.plots.plot_bars([{"class": name, "images": count} for name, count in zip(names, counts)],
                          x="class", y="images", title="training images per class")

# %% [markdown]
# ## Six ways to train the head, and a control, five seeds
#
# Every remedy trains a new head on the same frozen EfficientNet-Lite0 features (computed once per
# image), from the same initial head, for the **same number of optimizer steps**: 900 batches of 32,
# about 28 passes over the long-tailed set's 1,022 images. Counting in epochs would be unfair: 30 epochs
# of the long-tailed set are 960 steps, but the oversampled set has 3,000 images, so 30 epochs of it are
# 2,820 steps, and the undersampled one has 150, so 30 epochs are 150 steps; a remedy would then win or
# lose by its training length. With equal steps the oversampled set gets about 10 passes and the
# undersampled one 192.
#
# The **control**, `balanced_data`, is not a remedy: plain training on a *balanced* set of the same
# size (102 images of every class), for the same steps. It answers the question the remedies cannot:
# how low is a class's recall when it is not rare at all? The test set is balanced, 100 images per
# class.

# %%
tl.lessons.quiz.for_lesson("09_imbalanced_data").predictions()

# %%
remedies = tl.lessons.imbalance.REMEDIES + (tl.lessons.imbalance.BALANCED_CONTROL,)
comparison = tl.lessons.imbalance.compare_remedies(ratio=ratio, largest=largest, seeds=tl.runtime.profile.seeds(5),
                                                   image_size=settings["image_size"], remedies=remedies,
                                                   steps=900 if not quick else 60)
lesson.record("remedies", comparison)
print(comparison.summary_table(["steps", "accuracy", "balanced_accuracy", "worst_class_recall", "recall_Shirt"]))

# %% [markdown]
# ## What plain training did to each class
#
# Recall of each class with no remedy, against how many training images it had.

# %%
plain = [row for row in comparison.rows if row["remedy"] == "none"]
per_class = [{"class": name, "training images": count, "seed": row["seed"], "recall": row[f"recall_{name}"]}
             for row in plain for name, count in zip(names, counts)]
print(tl.report.results.format_table([
    {"class": name, "training images": count,
     "mean recall, no remedy": round(float(np.mean([row[f"recall_{name}"] for row in plain])), 3)}
    for name, count in zip(names, counts)]))
print("mean recall of the three rarest classes:",
      round(float(np.mean([row["rarest_3_recall"] for row in plain])), 3))
tl.report.plots.plot_scatter(per_class, x="training images", y="recall", label="class",
                             title="no remedy: recall against training images (mean ± sd over seeds)")

# %% [markdown]
# **What the stored run measured** (five seeds, the table above): the damage did not follow the counts
# alone. The three rarest classes, Sneaker (29 images), Bag (21) and Ankle boot (15), kept a mean recall
# of 0.853. **Shirt**, with 41 images, fell to a recall of **0.176**: it looks like a T-shirt (300
# images), a pullover (154) and a coat (79), and the close calls go to the more frequent neighbours.
# How much of each low recall is rarity, and how much is a class being hard anyway, only a control can
# say.
#
# ## The control: how much of it is the long tail?
#
# Shirt is the hardest class of Fashion-MNIST even when every class has the same number of images
# (notebook 05's per-class recall shows it). So is its low recall the long tail's doing, or Shirt's? The
# balanced control answers: the same head, the same steps, the same total number of images, spread
# evenly.

# %%
balanced = [row for row in comparison.rows if row["remedy"] == "balanced_data"]
print(tl.report.results.format_table([
    {"class": name, "images in the long tail": count,
     "recall, long tail": round(float(np.mean([row[f"recall_{name}"] for row in plain])), 3),
     "recall, balanced": round(float(np.mean([row[f"recall_{name}"] for row in balanced])), 3)}
    for name, count in zip(names, counts)]))
print(comparison.verdict("balanced_data", "none", "recall_Shirt"))
print(comparison.verdict("balanced_data", "none", "rarest_3_recall"))
print(comparison.verdict("balanced_data", "none", "balanced_accuracy"))
tl.report.plots.plot_comparison(comparison, "recall_Shirt", title="recall of Shirt: long tail, remedies, balanced control")

# %% [markdown]
# **What the control measured** (five seeds, 102 images of every class, 900 steps): Shirt's recall rose
# from 0.176 to **0.510**, by 0.334 (interval 0.232 to 0.436). So both explanations hold, and the
# control separates them: Shirt is hard (at 0.510 it is still the weakest class when nothing is rare),
# *and* the long tail cost it a further third of the recall scale. The rarest three gained much less,
# but measurably (by 0.082), and the table shows that rarity cost the distinctive classes more than it
# cost some look-alikes: Bag fell from 0.974 with balanced data to 0.850 in the long tail and Ankle boot
# from 0.926 to 0.814, while Coat, weak even when balanced (0.710), fell only to 0.668. Shirt is the one
# class that its look-alikes made collapse. The frequent class paid for the balance:
# T-shirt's recall fell from 0.918 to 0.736, because its close calls are no longer decided in its
# favour. Balanced accuracy rose from 0.780 to 0.822.
#
# The control sets the target for the remedies: **0.042 of balanced accuracy, and 0.334 of Shirt's
# recall**, are what the long tail costs. That is the damage the remedies try to undo, with only the
# images they have; the control had 61 more shirts.
#
# ## The remedies, measured

# %%
for remedy in tl.lessons.imbalance.REMEDIES[1:]:
    print(comparison.verdict(remedy, "none", "balanced_accuracy"))
    print(comparison.verdict(remedy, "none", "recall_Shirt"))

# %%
tl.report.plots.plot_comparison(comparison, "balanced_accuracy", title="balanced accuracy (mean ± sd, 5 seeds)")

# %% [markdown]
# **What the stored run measured** (five seeds, 900 steps each; the verdicts, the plots and the table):
#
# * **Logit adjustment and class weights raised balanced accuracy measurably**, by 0.023 and 0.017
#   (intervals 0.014 to 0.032 and 0.010 to 0.023). Logit adjustment did it with no retraining at all:
#   it targets the bias that the long tail puts into the logits, the log of the class shares, and it
#   raised Shirt's recall by 0.104. **Oversampling** raised Shirt's recall measurably (by 0.066) but not
#   balanced accuracy measurably (0.791 against 0.780; the interval rules out gains above 0.025).
# * **Focal loss lowered balanced accuracy**, by 0.008 (interval 0.002 to 0.014). It down-weights
#   *easy* examples; likely reasons, not tested here, are that on frozen features the frequent classes'
#   examples are not especially easy, and that (1 − p)^γ shrinks every gradient, so the same 900 steps
#   train less.
# * **Undersampling** raised Shirt's recall the most, by 0.136, and lowered balanced accuracy on average
#   (0.756 against 0.780), though not measurably over five seeds (the interval, −0.055 to 0.006, allows a
#   cost of up to
#   0.055). It keeps only 15 images per class, 150 in all: counted in epochs, it would have trained for
#   a sixth of the others' steps; here it had as many, 192 passes over its small set.
#
# **Against the control, no remedy recovers more than part of the damage**: the best balanced accuracy,
# logit adjustment's 0.803, is about half-way from the long tail's 0.780 to the balanced set's 0.822,
# and the best Shirt recall, undersampling's 0.312, is well short of the control's 0.510. A remedy
# reweights the images that are there; it cannot add what the missing shirts would have shown. When you
# can collect more images of the rare classes that have look-alikes, that beats every remedy here.
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("09_imbalanced_data")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# Name a remedy that made balanced accuracy measurably *worse* than no remedy, and say in one sentence
# why it did not help. Answer with its name as in the table.

# %%
answer = None
tl.lessons.exercises.check_measurably_worse_remedy(comparison, answer);

# %%
lesson.finish();
