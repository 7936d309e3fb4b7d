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
#   resembles a frequent class. A rare class that looks like nothing else (a bag) can survive on few
#   images; a rare class with a frequent look-alike cannot.
#
# Five remedies, each a different idea:
#
# * **class weights** scale each example's loss by N / (C × its class's count), so every class weighs
#   the same in total;
# * **oversampling** repeats rare-class images until every class has as many as the largest;
# * **undersampling** keeps as many images of every class as the smallest has, and discards the rest;
# * **focal loss** (Lin et al. 2017) multiplies each example's loss by (1 − p_true)^γ, so examples the
#   model already gets right, mostly from the large classes, count less;
# * **logit adjustment** (Menon et al. 2021) trains as usual and subtracts τ × log(class share) from the
#   logits at test time: the correction that the Bayes rule prescribes when the training priors differ
#   from the (balanced) test priors.

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
# ## Six ways to train the head, five seeds
#
# Every remedy trains a new head on the same frozen EfficientNet-Lite0 features (computed once per
# image), from the same initial head, for 30 epochs; the test set is balanced, 100 images per class.

# %%
tl.lessons.quiz.for_lesson("09_imbalanced_data").predictions()

# %%
comparison = tl.lessons.imbalance.compare_remedies(ratio=ratio, largest=largest, seeds=tl.runtime.profile.seeds(5),
                                                   image_size=settings["image_size"], epochs=30)
lesson.record("remedies", comparison)
print(comparison.summary_table(["accuracy", "balanced_accuracy", "worst_class_recall", "recall_Shirt"]))

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
# of 0.856: a bag looks like nothing else in the data, and a few examples suffice. **Shirt**, with 41
# images, fell to a recall of **0.176**: it looks like a T-shirt (300 images), a pullover (154) and a
# coat (79), and the close calls go to the frequent neighbours. Coat (79 images, 0.652) suffers the
# same way, less.
#
# A caution before reading this as "rarity hurts most where it meets resemblance": it rests on one
# class, and Shirt is the hardest class of Fashion-MNIST even when every class has the same number of
# images (notebook 05's per-class recall shows it). This run has no balanced control, so it cannot say
# how much of Shirt's 0.176 is the long tail and how much is Shirt. A fair test would train the same
# head on a balanced set of the same size and compare Shirt's recall in the two.
#
# ## The remedies, measured

# %%
for remedy in comparison.variants[1:]:
    print(comparison.verdict(remedy, "none", "balanced_accuracy"))
    print(comparison.verdict(remedy, "none", "recall_Shirt"))

# %%
tl.report.plots.plot_comparison(comparison, "balanced_accuracy", title="balanced accuracy (mean ± sd, 5 seeds)")

# %%
tl.report.plots.plot_comparison(comparison, "recall_Shirt", title="recall of Shirt (41 training images)")

# %% [markdown]
# **What the stored run measured** (five seeds; the verdicts and the two plots above):
#
# * **Logit adjustment, class weights and oversampling each raised balanced accuracy measurably**, by
#   small amounts: 0.017, 0.010 and 0.014 (the verdicts give each interval). Logit adjustment did it
#   with no retraining at all: it corrects exactly the bias that the long tail put into the logits, the
#   log of the class shares, and nothing else, and it also raised Shirt's recall the most of the three
#   (by 0.094). Class weights and oversampling push the same way, by reweighting the loss during
#   training. Which of the three is best this run cannot say: their means lie within a few thousandths
#   of each other.
# * **Focal loss lowered balanced accuracy**, by 0.009: it down-weights *easy* examples, and on frozen
#   features the frequent classes' examples are not especially easy, so it mostly weakened the signal.
# * **Undersampling** is the clearest trade: it raised Shirt's recall by 0.134 and cost 0.037 of
#   balanced accuracy (both measurable), because it throws away most of the frequent classes' images,
#   and with them what the head knew about those classes.
#
# Shirt stays the weakest class under every remedy (at best 0.310 recall, with undersampling): a remedy
# for imbalance cannot create the features that tell a shirt from a T-shirt at 28 pixels; more shirt
# images, or features that resolve collars and buttons, can.
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
# what it traded away. Answer with its name as in the table.

# %%
answer = None
tl.lessons.exercises.check_measurably_worse_remedy(comparison, answer);

# %%
lesson.finish();
