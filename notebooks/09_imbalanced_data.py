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
tl.report.plots.plot_scatter(per_class, x="training images", y="recall", label="class",
                             title="no remedy: recall against training images (mean ± sd over seeds)")

# %% [markdown]
# **What the stored run measured** (five seeds): the damage did not follow the counts alone. The three
# rarest classes, Sneaker (29 images), Bag (21) and Ankle boot (15), kept a mean recall of 0.87: a bag
# looks like nothing else in the data, and a few examples suffice. **Shirt**, with 41 images, fell to a
# recall of **0.18**: it looks like a T-shirt (300 images), a pullover (154) and a coat (79), and the
# close calls go to the frequent neighbours. Coat (79 images, 0.66) suffers for the same reason, less.
# Rarity hurts most where it meets resemblance.
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
# * **Logit adjustment gained the most, +0.020 balanced accuracy (0.804 against 0.784), and on every
#   seed**, with no retraining at all. It corrects exactly the bias that the long tail put into the
#   logits, the log of the class shares, and nothing else. Yet by this course's rule the gain is **not
#   measurable**: each seed draws another long-tailed subset, and the two bands (± 0.009 and ± 0.015)
#   together are wider than the gain, so they overlap although every paired difference is positive.
#   Other draws of the subsets can put the same gain over the line: read a finding this close to it as
#   "probably helps a little", not as settled.
# * **Class weights and oversampling** gained about 0.013 on average, within the seed spread. They push
#   the same way, by reweighting the loss during training.
# * **Focal loss** changed nothing measurable here: it down-weights *easy* examples, and on frozen features
#   the frequent classes' examples are not especially easy.
# * **Undersampling** is the clearest trade: it raised Shirt's recall by 0.15 (measurably) and cost 0.036
#   of balanced accuracy (measurably), because it throws away most of the frequent classes' images,
#   and with them what the head knew about those classes.
#
# And Shirt stays the weakest class under every remedy (at best about 0.33 recall): a remedy for imbalance
# cannot create the features that tell a shirt from a T-shirt at 28 pixels; more shirt images, or features
# that resolve collars and buttons, can.
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
# Which remedy gave the best mean balanced accuracy? Answer with its name as in the table.

# %%
answer = None
tl.lessons.exercises.check_best_imbalance_remedy(comparison, answer);

# %%
lesson.finish();
