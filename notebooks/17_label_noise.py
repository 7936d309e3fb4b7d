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
# # 17 · Data quality: wrong labels
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/17_label_noise.ipynb)
#
# Real labelled data is never clean. Annotators tire, classes overlap, and a shirt gets filed as a
# T-shirt. Even the test sets of famous benchmarks carry errors: Northcutt, Athalye & Mueller (2021)
# estimated that a few percent of the test labels of ten popular benchmarks are wrong. With the few
# labels transfer learning works with, each wrong one weighs more.
#
# This lesson does two things with Fashion-MNIST (the embedded subset, 50 images per class, 64 px):
#
# 1. **What wrong labels cost.** A share of the training labels, 0 %, 20 % or 40 %, is moved to
#    another class at random (symmetric noise; the validation labels too, as they would be in real
#    data), and three strategies train on them: a CNN from scratch, a new head on the frozen
#    EfficientNet-Lite0 base, and that head followed by fine-tuning of the top blocks. The test labels
#    stay clean, so the test accuracy says how well each learned the *true* task.
# 2. **Finding the wrong labels.** Confident learning (Northcutt, Jiang & Chuang 2021) predicts each
#    training image's class with a classifier that never saw that image (out-of-fold, on the frozen
#    features), and flags a label when another class is predicted with more confidence than that class
#    usually gets. A head retrained without the flagged images is the fourth strategy, `cleaned`.

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"

# %%
# %matplotlib inline
import tltutor as tl

lesson = tl.report.lesson.Lesson("17_label_noise")
settings = tl.runtime.profile.defaults()
quick = tl.runtime.profile.is_quick()
print("profile:", "quick" if quick else "full", settings)

# %% [markdown]
# ## What a flipped label looks like
#
# Here are twelve training images with 40 % of their labels flipped; the title gives the label the
# network is told, and a flipped one is marked.

# %%
train, validation, test, info = tl.data.load_dataset("fashion_mnist_embedded", image_size=64,
                                                     samples_per_class=50 if not quick else 20, seed=0, pipeline="arrays")
noisy_labels, flipped = tl.lessons.noise.flip_labels(train[1], info.num_classes, 0.4, seed=0)
print(f"{int(flipped.sum())} of {len(flipped)} training labels flipped")  # the first seed's 40 %
tl.report.plots.plot_image_grid(train[0][:12], noisy_labels[:12], info.class_names, columns=6, rows=2,
                                titles=[info.class_names[label] + (" (flipped)" if wrong else "")
                                        for label, wrong in zip(noisy_labels[:12], flipped[:12])])

# %% [markdown]
# ## Four strategies, three noise rates, three seeds
#
# Every strategy of a seed trains on the same images with the same flipped labels. The head trains
# until its (noisy) validation loss stops improving; fine-tuning then trains the blocks from `block11`
# for 5 epochs at 1e-4 with a warm-up and cosine decay; the scratch CNN (on 32-pixel copies) trains until
# its validation loss stops improving. `cleaned` is the head retrained without the images confident
# learning flags.

# %%
tl.lessons.quiz.for_lesson("17_label_noise").predictions()

# %%
rates = (0.0, 0.2, 0.4) if not quick else (0.0, 0.4)
study = tl.lessons.noise.noise_study("fashion_mnist_embedded", rates=rates, samples_per_class=50 if not quick else 20,
                                     image_size=64, seeds=(0, 1, 2) if not quick else (0,))
lesson.record("noise", study)
for rate in rates:
    print(f"--- {rate:.0%} of the labels flipped ---")
    print(study.where(noise_rate=rate).summary_table(["test_accuracy", "trainable_parameters"]))

# %%
tl.report.plots.plot_lines(study.rows, x="noise_rate", y="test_accuracy", group="strategy",
                           title="clean test accuracy against the share of flipped training labels")

# %% [markdown]
# ## The verdicts

# %%
for rate in rates:
    at_rate = study.where(noise_rate=rate)
    print(f"--- {rate:.0%} flipped ---")
    for first, second in [("feature_extraction", "scratch"), ("fine_tuning", "feature_extraction"),
                          ("cleaned", "feature_extraction")]:
        print(at_rate.verdict(first, second))
print("--- what 40 % of flipped labels cost each strategy (0 % against 40 %) ---")
for strategy in ("scratch", "feature_extraction", "fine_tuning"):
    clean, noisy = study.where(noise_rate=0.0), study.where(noise_rate=0.4)
    print(tl.report.statistics.compare(clean.values(strategy, "test_accuracy"), noisy.values(strategy, "test_accuracy"),
                                       f"{strategy} at 0 %", f"{strategy} at 40 %", metric="test accuracy"))

# %% [markdown]
# **Wrong labels cost every strategy, and the pretrained features did not protect against them.** Without
# noise none of the other three was measurably different from the head (0.745 to 0.767). At 40 % flipped labels the head on frozen
# features lost 0.190 (0.124 to 0.257) and fine-tuning 0.201, while the scratch CNN lost 0.103 (0.046 to
# 0.159) and ended measurably ahead of the head: 0.642 against 0.573 (by 0.069; 0.011 to 0.127). These three
# each lost well under 40 % of their accuracy, likely because symmetric noise leaves each class's true label
# in the majority.
#
# Why did the frozen features fare worse? A likely reason, which this run did not test: the head reads
# 1,280 features of 500 training images, and that many points in that many dimensions can be separated by
# a linear boundary *whatever* their labels, so the head can fit the wrong labels as well as the right
# ones; its early stopping watches a validation set as noisy as the training set. The scratch CNN has more
# weights (24,346 against 12,810), but they are shared convolutions over 32-pixel images, which fit smooth,
# image-like rules more easily than arbitrary ones. Transfer learning's usual advantage, a good
# representation from few labels, assumes the labels are right.
#
# ## Finding the flipped labels
#
# How well did confident learning find them? For each rate: how many labels were flipped, how many
# were flagged, the share of flags that were truly flipped (precision), the share of flipped labels
# that were flagged (recall), and the precision among the `k` images with the highest out-of-fold loss,
# `k` being the number flipped.

# %%
found = tl.report.results.Comparison("noise_rate")
for row in study.rows:
    if row["strategy"] == "cleaned" and row["flipped"]:
        found.add(row["noise_rate"], row["seed"], **{key: row[key] for key in
                                                     ("flipped", "flagged", "flag_precision", "flag_recall",
                                                      "precision_at_k")})
print(found.summary_table(["flipped", "flagged", "flag_precision", "flag_recall", "precision_at_k"]))

# %% [markdown]
# The ten most suspect training images of the first seed at 40 % flipped labels, by out-of-fold loss
# (`tl.lessons.noise.suspect_labels`, which works on any model and data). "Predicted" is the out-of-fold
# classifier's class, not necessarily what the image shows.

# %%
model = tl.lessons.experiments.reset_or_build_model("EfficientNetLite0", info.num_classes, seed=0, image_size=64)
suspects = tl.lessons.noise.suspect_labels(model, (train[0], noisy_labels), seed=0)
top = suspects[:10]
tl.report.plots.plot_image_grid(train[0][[row["index"] for row in top]], [row["label"] for row in top],
                                info.class_names, columns=5, rows=2,
                                titles=[f"told {info.class_names[row['label']]}\npredicted {info.class_names[row['predicted']]}"
                                        + ("\n(flipped)" if flipped[row["index"]] else "\n(label was right)")
                                        for row in top])

# %% [markdown]
# **Confident learning ranked the flipped labels well, and flagged too many.** Among the `k` images with
# the highest out-of-fold loss, 0.740 (at 20 %) and 0.777 (at 40 %) were truly flipped, against 0.2 and 0.4
# by chance. Its flags caught most flipped labels (recall 0.823 and 0.902) but were often wrong: only
# 0.479 and 0.605 of them were flipped. The out-of-fold classifier learns from the same noisy labels and is
# likely no better than the head, which scored 0.678 and 0.573 on the clean test images at these rates, so
# it also disagrees with many right labels: two of the ten images above were labelled correctly.
#
# Removing every flagged image (172 and 298 of the 500 on average) therefore removed many right labels
# along with the wrong ones, and left few images: the cleaned head ended below the head trained on all the
# noisy labels at both rates, though not measurably (0.618 against 0.678 at 20 %, 0.481 against 0.573 at
# 40 %, with intervals too wide to say more). Northcutt et al. report gains from cleaning larger datasets,
# where the out-of-fold classifier is more accurate and dropping a share of the data costs less. At 50
# images per class the ranking is the useful part: look at the top of the list, fix what is wrong, and keep
# the rest.
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("17_label_noise")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# Predict first, then check: at 40 % flipped labels, which strategies are measurably better than the
# head trained on all the noisy labels (`feature_extraction`)? Answer with a list of strategy names, or
# `"none"`. Then explain, from the confident-learning table above (flags, precision, recall), why removing
# the flagged images helped or did not.

# %%
answer = None
tl.lessons.exercises.check_measurably_higher_variants(study.where(noise_rate=0.4), answer, "feature_extraction",
                                                      "test_accuracy");

# %%
lesson.finish();
