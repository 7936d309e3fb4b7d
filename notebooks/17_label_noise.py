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
# This lesson uses Fashion-MNIST (the embedded subset, 64 px) and asks three questions:
#
# 1. **What do wrong labels cost?** A share of the training labels, 0 %, 20 % or 40 %, is moved to
#    another class at random (symmetric noise; the validation labels too, as they would be in real
#    data). The test labels stay clean, so the test accuracy says how well a model learned the *true*
#    task.
# 2. **Can we find them?** Confident learning (Northcutt, Jiang & Chuang 2021) estimates how many
#    labels are wrong and which ones, from predictions of a classifier that never saw the example.
#    tltutor implements it itself, close to the cleanlab library's defaults (`tl.lessons.noise`'s
#    docstring lists the two places where it differs).
# 3. **Does cleaning pay?** Removing the labels it flags, or relabelling them, against keeping
#    everything, and against an oracle that removes exactly the flipped labels.

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
# Twelve training images of the first seed, with 40 % of the labels flipped; the title gives the
# label the classifier is told, and a flipped one is marked.

# %%
size = 50 if not quick else 20
train, validation, test, info = tl.data.load_dataset("fashion_mnist_embedded", image_size=64,
                                                     samples_per_class=size, seed=0, pipeline="arrays")
noisy_labels, flipped = tl.lessons.noise.flip_labels(train[1], info.num_classes, 0.4, seed=0)
print(f"{int(flipped.sum())} of {len(flipped)} training labels flipped")
tl.report.plots.plot_image_grid(train[0][:12], noisy_labels[:12], info.class_names, columns=6, rows=2,
                                titles=[info.class_names[label] + (" (flipped)" if wrong else "")
                                        for label, wrong in zip(noisy_labels[:12], flipped[:12])])

# %% [markdown]
# ## How confident learning finds wrong labels
#
# A model cannot judge a label it was trained on: it has fitted that label, right or wrong. So
# confident learning works in four steps:
#
# 1. **Out-of-fold probabilities.** The training set is cut into 5 folds; a classifier fitted on
#    four (a logistic regression on the frozen EfficientNet-Lite0 features, its `C` chosen on the
#    noisy validation labels) predicts the fifth. Every image gets class probabilities from a model
#    that never saw it. Its **out-of-fold loss** is the cross-entropy of its given label under them:
#    high when the classifier finds the label unlikely.
# 2. **Per-class thresholds.** Class *j*'s threshold is the mean probability of *j* over the
#    images labelled *j*: how confident the classifier usually is about that class. An image
#    counts as *confidently* of class *j* when its probability of *j* reaches that threshold.
# 3. **The confident joint.** Count the images by (given label, confidently predicted class). Its
#    diagonal is labels the classifier agrees with; off the diagonal, labels it doubts. An image with
#    no class at its threshold is not counted, so the counts fall short of the data; **calibration**
#    rescales each row to its class's count of labels. The share off the diagonal is then the
#    **estimated noise rate**.
# 4. **Prune by noise rate.** For each cell off the diagonal (given *i*, probably *j*), flag that many
#    of the images labelled *i*, those where *j* beats *i* by the widest margin, keeping only flags
#    where the classifier's top class is not the given label. So there are fewer flags than the
#    estimated rate implies: one image can be chosen for several cells of its row, and a flag on an
#    image whose most probable class is its given label is dropped.
#
# The per-class thresholds matter because classifiers are not equally confident about every class:
# with a fixed threshold such as 0.5, the images of a hard class, about which the classifier is rarely
# that sure, would seldom count as confidently theirs, while an easy class would collect images too
# readily, and the counts would say more about each class's difficulty than about its labels.
#
# Below: for the first seed at 40 % flipped labels, who was really flipped into what (rows: the label
# given, columns: the true class), and what confident learning estimated from the noisy labels alone.

# %%
model = tl.lessons.experiments.reset_or_build_model("EfficientNetLite0", info.num_classes, seed=0, image_size=64)
feature_rows, _ = tl.features.pooled_features(model, train)
noisy_validation_labels, _ = tl.lessons.noise.flip_labels(validation[1], info.num_classes, 0.4, seed=1000)
head = tl.lessons.baselines.FeatureHead(feature_rows, noisy_labels, tl.features.pooled_features(model, validation)[0],
                                    noisy_validation_labels)
probabilities = tl.lessons.noise.out_of_fold_probabilities(feature_rows, noisy_labels, info.num_classes, seed=0,
                                                           strength=head.strength)
print(f"C chosen on the noisy validation labels: {head.strength}")
print(f"true noise rate {flipped.mean():.3f}, estimated "
      f"{tl.lessons.noise.estimated_noise_rate(probabilities, noisy_labels):.3f}")
tl.report.plots.plot_matrix(tl.report.plots.confusion_matrix(noisy_labels, train[1], info.num_classes),
                            info.class_names, row_label="given label", column_label="true class",
                            title="the truth: images by given label and true class")

# %%
tl.report.plots.plot_matrix(tl.lessons.noise.confident_joint(probabilities, noisy_labels), info.class_names,
                            row_label="given label", column_label="confidently predicted class",
                            title="confident learning's estimate (calibrated confident joint)")

# %% [markdown]
# ## The experiment: seven heads, two sizes, three noise rates, three seeds
#
# Every arm is the same classifier, a logistic regression fitted to convergence (the solver's
# iterations are stored; a softmax head on frozen features *is* a logistic regression). Its
# regularisation strength `C` (smaller is stronger) is chosen from 0.0001 to 1 on the noisy
# validation labels (ties go to the stronger penalty). Noisy validation can still choose: with
# symmetric noise, a model more accurate on the true labels also agrees more often with the noisy
# labels as a whole, as long as the true label stays the most common label of its images (at 40 %
# over ten classes it keeps 60 % of them on average, each wrong class about 4 %). What differs between
# arms is the
# input, the training labels and the regularisation:
#
# * `pixels`: raw grey pixels at 28 px, no transfer: the honest baseline;
# * `feature_extraction`: the frozen ImageNet features, every noisy label;
# * `cleaned`: without the images confident learning flags;
# * `relabelled`: the flagged images kept, relabelled to the out-of-fold prediction;
# * `oracle`: without exactly the flipped images. No one has this in practice; it shows how much
#   a perfect cleaner could give back;
# * `weakly_regularised` and `weakly_regularised_cleaned`: every label, and without the flagged
#   images, at `C` = 1 (scikit-learn's default) instead of the chosen `C`. This much weaker penalty
#   lets the head follow its training labels more closely, wrong ones included, as a network trained
#   to a small training loss does.
#
# The validation labels are the noisy validation split of each training set (a fifth as many images).
# In the tables, `a ± b` is the mean over the three seeds ± their standard deviation.
#
# Each seed draws another training set, at 50 and at 200 images per class, and every rate flips
# labels of the same images (a lower rate's flips are a subset of a higher rate's). The test set is
# the same 1,000 clean images throughout. Fine-tuning and the CNN from scratch are not arms here:
# a fitted-to-convergence classifier isolates what the labels do, with no budget to argue about
# (lessons 00 and 06 compare the training strategies).

# %%
tl.lessons.quiz.for_lesson("17_label_noise").predictions()

# %%
rates = (0.0, 0.2, 0.4) if not quick else (0.0, 0.4)
sizes = (50, 200) if not quick else (20,)
study = tl.lessons.noise.noise_study("fashion_mnist_embedded", rates=rates, sizes=sizes, image_size=64,
                                     seeds=(0, 1, 2) if not quick else (0,))
lesson.record("noise", study)
for samples in sizes:
    for rate in rates:
        print(f"--- {samples} per class, {rate:.0%} of the labels flipped ---")
        print(study.where(samples_per_class=samples, noise_rate=rate).summary_table(
            ["test_accuracy", "strength", "training_examples", "solver_iterations"]))
print("every fit converged:", all(row["converged"] for row in study.rows))

# %%
tl.report.plots.plot_lines(study.rows, x="noise_rate", y="test_accuracy", group="strategy", panel="samples_per_class",
                           title="clean test accuracy against the share of flipped training labels")

# %% [markdown]
# ## The verdicts
#
# Paired by seed: the frozen features against pixels; each way of cleaning, and the weak
# regularisation, against keeping every noisy label with `C` chosen on validation; and cleaning for
# the weakly regularised head.

# %%
for samples in sizes:
    for rate in rates:
        at = study.where(samples_per_class=samples, noise_rate=rate)
        print(f"--- {samples} per class, {rate:.0%} flipped ---")
        print(at.verdict("feature_extraction", "pixels"))
        for strategy in ("cleaned", "relabelled", "oracle", "weakly_regularised"):
            print(at.verdict(strategy, "feature_extraction"))
        print(at.verdict("weakly_regularised_cleaned", "weakly_regularised"))

# %% [markdown]
# **Choosing the regularisation on validation was the strongest defence; cleaning paid only for the
# head that fits its labels.**
#
# * **What the flips cost.** The head with `C` chosen on validation fell from 0.775 to 0.694 at 50
#   per class and from 0.822 to 0.780 at 200 per class as 40 % of the labels flipped. The weakly
#   regularised head, close to it without flips (0.775 and 0.815), fell to 0.533 and 0.512:
#   validation's choice of `C`
#   beat it by 0.268 (0.232 to 0.304) at 200 per class and 40 %, and measurably at every noisy
#   setting. Validation chose `C` = 0.001, a strong penalty, for the head on every noisy label at 40 %
#   (the `strength` column of the tables above).
# * **Why a strong penalty protects.** With symmetric noise, each class keeps its true label on most
#   of its images: at 40 % over ten classes, about 60 % of a class's images carry the right label
#   (on average: the flips are drawn over the whole training set) and each wrong class gets about 4 %.
#   A strong penalty keeps the weights small, so no single image can pull them far, and the head
#   follows that majority. At `C` = 1 each image can pull much harder, and with 1,280 features the
#   head has room to follow many of the flips too (a likely reading of the
#   numbers above; the lesson does not store training accuracies).
# * **Cleaning for the weakly regularised head** paid measurably at every noisy setting: by 0.065
#   and 0.147 at 50 per class, by 0.121 and 0.253 at 200 per class (20 % and 40 %). It brought that
#   head close to the well-regularised one that kept every label, not above it (0.765 against 0.780
#   at 200 per class and 40 %).
# * **Cleaning for the well-regularised head** was never measurably better. The closest was 0.807
#   against 0.801 at 200 per class and 20 % (interval −0.001 to 0.013); without flips it was
#   measurably worse at 200 per class, by 0.009 (0.000 to 0.018), since every flag then removes a
#   right label. Relabelling was never measurably better either, and worse without flips by 0.023
#   (0.003 to 0.043) at 50 per class and 0.015 (0.000 to 0.030) at 200.
# * **A perfect cleaner's gain was not measurable either.** The oracle, which removes exactly the
#   flipped labels, reached 0.746 against 0.694 and 0.809 against 0.780 at 40 % (intervals −0.005 to
#   0.110 and −0.005 to 0.062). Three seeds can neither show that gain nor rule out one of up to
#   about 0.1.
# * **Transfer.** The frozen ImageNet features beat raw pixels measurably only at 200 per class
#   without flips, by 0.024 (0.014 to 0.034); grey clothing is far from ImageNet's photographs
#   (lesson 06 measures the same gap). With flips, at 200 per class, the features stayed ahead on
#   average (0.801 against 0.774 at 20 %, 0.780 against 0.744 at 40 %) but not measurably (intervals
#   −0.003 to 0.058 and −0.001 to 0.073): this run cannot say whether the features protect against
#   wrong labels.

# ## How well did it find them?
#
# For each setting: the true and the estimated noise rate, the flags (`issues`) and how many of them
# were on right labels (`false_issues`), the share of flags that were truly flipped (precision),
# the share of flipped labels flagged (recall), the precision among the `k` images with the
# highest out-of-fold loss, `k` being the number flipped, and the share of relabelled images that
# got their true label back (`relabels_right`).

# %%
found = tl.report.results.Comparison("setting")
relabels_right = {(row["samples_per_class"], row["noise_rate"], row["seed"]): row["relabels_right"]
                  for row in study.rows if row["strategy"] == "relabelled"}
for row in study.rows:
    if row["strategy"] == "cleaned":
        found.add(f"{row['samples_per_class']} per class, {row['noise_rate']:.0%}", row["seed"],
                  relabels_right=relabels_right[row["samples_per_class"], row["noise_rate"], row["seed"]],
                  **{key: row[key] for key in ("true_noise_rate", "estimated_noise_rate", "detector_accuracy", "issues",
                                               "false_issues", "issue_precision", "issue_recall", "precision_at_k")
                     if key in row})
print(found.summary_table(["estimated_noise_rate", "detector_accuracy", "issues", "false_issues", "issue_precision",
                           "issue_recall", "precision_at_k", "relabels_right"]))
tl.report.plots.plot_lines([row for row in study.rows if row["strategy"] == "cleaned"], x="true_noise_rate",
                           y="estimated_noise_rate", group="samples_per_class", diagonal_label="estimate = truth",
                           title="confident learning's noise estimate against the true rate")

# %% [markdown]
# **The estimate sat above the truth in every run, and how far depended on the classifier behind it.**
#
# * With no label flipped, confident learning still estimated a noise rate of 0.194 (50 per class)
#   and 0.094 (200 per class), and flagged about 90 of 500 and 180 of 2,000 right labels. At 40 % it
#   estimated 0.542 and 0.499. The estimate counts every confident disagreement between the
#   out-of-fold classifier and the label, and that classifier was right on only 0.692 to 0.820 of
#   the training images (`detector_accuracy`, against the true labels). It cannot tell its own mistakes
#   from wrong labels; with four
#   times the data it made fewer, and the estimate came closer. (Confident learning can also
#   underestimate, for instance with a classifier that fits the noise; here it overestimated in all
#   18 runs.)
# * The flags found most flipped labels (recall 0.797 to 0.881), and the share of flags that were
#   truly flipped rose with the rate, from 0.556 to 0.827. Cut instead at the `k` images with the
#   highest out-of-fold loss, `k` being the true number flipped, 0.793 to 0.895 were flipped; but no
#   one knows that number in practice, and the flags choose their own count. At 20 % they found slightly
#   more of the flipped labels than that cut (recall 0.797 and 0.881 against 0.793 and 0.862) at a much
#   lower precision; at 40 % the cut was better on both (0.853 and 0.895 against a precision of 0.764
#   and 0.827 and a recall of 0.805 and 0.876; the cut takes exactly as many images as were flipped,
#   so its precision is also its recall).
# * Relabelling gave back the true label to 0.422 to 0.679 of the flagged images (`relabels_right`):
#   a flag on a right label turns it wrong, and a flipped label is set right only when the
#   classifier's guess is right.
#
# The ten most suspect training images of the first seed at 40 % flipped labels, by out-of-fold loss
# (`tl.lessons.noise.suspect_labels`, which takes any transfer model whose base has not been trained
# on these labels, and any images). "Predicted" is the out-of-fold
# classifier's class, not necessarily what the image shows.

# %%
suspects = tl.lessons.noise.suspect_labels(model, (train[0], noisy_labels), seed=0, strength=head.strength)
top = suspects[:10]
tl.report.plots.plot_image_grid(train[0][[row["index"] for row in top]], [row["label"] for row in top],
                                info.class_names, columns=5, rows=2,
                                titles=[f"told {info.class_names[row['label']]}\npredicted {info.class_names[row['predicted']]}"
                                        + ("\n(flipped)" if flipped[row["index"]] else "\n(label was right)")
                                        for row in top])

# %% [markdown]
# **In practice.** Choose the regularisation (or the early-stopping point) on a validation set
# first: here it was the cheapest defence and the strongest. Then use the out-of-fold ranking to
# look at the most suspect images and fix what a person confirms. All ten above were flipped, yet
# several predictions are wrong too (a striped T-shirt "predicted Bag"): a flag says the label is
# doubtful, not what the right one is. Remove flagged images automatically only for a model that
# fits its training labels closely, as the weakly regularised head did here and as a deep network
# trained to a small training loss does (Zhang et al. 2017 showed that networks can fit even random
# labels). Northcutt et al. report cleaning's gains for networks trained from scratch on non-uniform
# noise, where some pairs of classes are confused far more than others; this lesson tested only
# symmetric noise, where a strong
# penalty protects best, and did not fine-tune a network on the noisy labels.
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
# Predict first, then check: at 40 % flipped labels and 200 images per class, which strategies are
# measurably better than the head trained on every noisy label (`feature_extraction`)? Answer with a
# list of strategy names, or `"none"`. Then explain from the table of flags why neither removing nor
# relabelling the flagged images helped the head whose `C` was chosen on validation.

# %%
answer = None
tl.lessons.exercises.check_measurably_higher_variants(study.where(noise_rate=max(rates), samples_per_class=max(sizes)),
                                                      answer, "feature_extraction", "test_accuracy");

# %%
lesson.finish();
