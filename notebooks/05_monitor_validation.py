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
# # 05 · Monitor validation metrics
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/05_monitor_validation.ipynb)
#
# A transfer-learning run has three sets of data with three jobs:
#
# * the **training set** is what the weights learn from; its accuracy says how well the model fits
#   what it has seen, which is not what we care about;
# * the **validation set** is held out from training and used to *decide*: when to stop, which rate,
#   which schedule, which model;
# * the **test set** is held out from everything and used only to report, never to decide, what a new
#   image would see (this notebook reports several models on it, and chooses none of them by it).
#
# The validation metrics are the instrument panel of a run. This notebook reads four signals from
# them: the learning curves around the start of fine-tuning; **early stopping**; the train-validation
# **gap** that marks overfitting; and **per-class** metrics that show where the model's features do
# not separate the target's classes. Then it looks past the accuracy: at the **examples** behind the errors (top
# losses, the most confused pairs), and at whether the model's **confidence** can be trusted
# (calibration). It also sets transfer against a model trained from scratch *until its own
# validation loss stops improving*, because a baseline stopped early is a straw man.

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"

# %%
# %matplotlib inline
import numpy as np

import tltutor as tl

lesson = tl.report.lesson.Lesson("05_monitor_validation")
settings = tl.runtime.profile.defaults()
print("profile:", "quick" if tl.runtime.profile.is_quick() else "full", settings)

# %%
train, validation, test, info = tl.data.load_dataset(
    image_size=settings["image_size"], samples_per_class=settings["samples_per_class"],
    test_samples_per_class=settings["test_samples_per_class"], pipeline="arrays")
print(f"{info.train_count} train / {info.validation_count} validation / {info.test_count} test images")

# %% [markdown]
# ## Learning curves, with the start of fine-tuning marked
#
# The head trains first, with early stopping on the validation loss; then the top blocks are
# unfrozen at a 10× lower rate (`fine_tune` stops early too by default, with a patience of 3 epochs,
# and keeps its best epoch's weights). The dashed line marks where fine-tuning began.

# %%
model = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
history = tl.training.train_head(model, train, validation, epochs=settings["head_epochs"], early_stopping_patience=10,
                                 seed=0)
head_epochs = history.epochs
history = tl.training.fine_tune(model, train, validation, epochs=settings["fine_tune_epochs"], learning_rate=1e-4,
                                unfreeze_from="block11_", schedule="warmup_cosine", history=history, seed=0)
print(f"{history.epochs} epochs; phases start at {history.phase_starts}")
print(tl.report.diagnostics.overfitting_verdict(history))
tl.report.plots.plot_history(history, title="head, then fine-tuning")

# %% [markdown]
# How to read it:
#
# * The **training** accuracy climbs to almost 1: the model fits the 1,000 images it sees again and
#   again. That says nothing about new images.
# * The **validation** accuracy rises quickly and then flattens: the head has extracted what the frozen
#   features offer. Early stopping watches the validation *loss*. Here it was lowest at epoch 5 and no
#   better in the ten epochs after it (the `patience`), so the head phase ended after epoch 15 and
#   restored the weights of epoch 5 (the printed verdict names the same best epoch).
# * Fine-tuning starts from those restored weights. That is why, at the dashed line, the training
#   accuracy drops and the training loss jumps back to about where they were at epoch 5: it is the
#   restored head, not damage done by the unfrozen blocks (the warm-up keeps the first fine-tuning
#   steps small). Then the training loss falls well below its earlier level, as the new trainable
#   weights fit the training set better, while the validation loss stays about level and the
#   validation accuracy edges up. One run cannot say more; notebooks 03 and 06 measure, over seeds,
#   when fine-tuning pays and when it cannot be told from the head.
#
# ## Overfitting: the gap between training and validation
#
# Make the model fit its training set exactly: 5 images per class, no dropout before the head, and 150
# epochs without early stopping. Three seeds, so that what we see is not one lucky draw. Two questions:
# how far apart do training and validation end (the gap), and does training longer *hurt* (the
# validation loss)?

# %%
overfitting = tl.report.results.Comparison("run", settings={"samples_per_class": 5, "epochs": 150})
for seed in settings["seeds"]:
    small_train, small_validation, _, _ = tl.data.load_dataset(
        image_size=info.image_size, samples_per_class=5, validation_split=0.8, seed=seed,
        test_samples_per_class=settings["test_samples_per_class"], pipeline="arrays")
    small = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size,
                                           dropout=0.0, seed=seed)
    overfit = tl.training.train_head(small, small_train, small_validation, epochs=150 if not
                                     tl.runtime.profile.is_quick() else 10, early_stopping_patience=None,
                                     progress=False, seed=seed)
    losses = overfit.metric("val_loss")
    overfitting.add("5 per class, no early stopping", seed, history=overfit,
                    final_gap=round(tl.report.diagnostics.generalization_gap(overfit)[-1], 4),
                    best_validation_epoch=int(np.argmin(losses)) + 1, epochs=overfit.epochs,
                    validation_loss_rise=round(losses[-1] - min(losses), 4))
lesson.record("overfitting", overfitting)
print(overfitting.summary_table(["final_gap", "best_validation_epoch", "validation_loss_rise", "steps"]))
print(tl.report.diagnostics.overfitting_verdict(overfitting.history("5 per class, no early stopping")))
tl.report.plots.plot_history(overfitting.history("5 per class, no early stopping"),
                             title="5 images per class, no early stopping (first seed)")

# %% [markdown]
# **What the stored run measured:** after 150 epochs (300 optimizer steps) on 5 images per class the
# training accuracy is 1
# and the validation accuracy far below it, a **gap of 0.275 ± 0.025**: the head has fitted the 50
# training images exactly, and only part of that carries over. The validation *loss* behaved
# differently from seed to seed (the `best_validation_epoch` and `validation_loss_rise` columns, and the
# results file): on one seed it bottomed at epoch 18 and then rose by about 0.14, on the other two it
# was still creeping down past epoch 100 and rose by less than 0.01. Why can it rise at all? Fifty
# points in 1,280 dimensions can be separated perfectly by a linear head, so without weight decay its
# training loss has no finite minimum: the weights keep growing, the training loss tends to 0, and the
# head grows ever more confident, which costs validation loss wherever it is wrong. Here that happened
# on one seed of three; on the other two, training longer did no harm. So the gap says the head fits
# its 50 images far better than new ones; whether training longer *hurts* is the validation loss's
# question, and `overfitting_verdict` reads both. (It calls any rise of the validation loss
# overfitting, however small: the plotted first seed is one of the two flat ones, and its verdict
# above rests on a rise of less than 0.01.)
#
# ## Early stopping: what the rewind buys on test
#
# The runs above trained on to the end of their budget. **Early stopping** watches the validation loss,
# stops once it has not improved for `patience` epochs (here 10), and rewinds the weights to the best
# epoch. Whether that rewind pays is a measurement, on a run that really overfits. Here the head on the
# frozen base (no dropout) trains on 100 images per class, twice per seed with the same data and the
# same order of batches: once for all 60 epochs, once stopped and rewound. Two versions of the data:
# clean labels, and **20 % wrong labels** in the training and validation sets, as in a hastily labelled
# set (the test labels stay clean, so the test measures the truth). Wrong labels are what a head that
# keeps training learns by heart. Both the test accuracy and the test log-loss are read: the loss
# rewards probabilities that are right, not only the top guess.

# %%
payoff = tl.lessons.stopping.early_stopping_payoff(
    seeds=settings["seeds"], image_size=info.image_size, samples_per_class=settings["samples_per_class"],
    test_samples_per_class=settings["test_samples_per_class"], epochs=60 if not tl.runtime.profile.is_quick() else 8)
lesson.record("early_stopping", payoff)
print(payoff.summary_table(["test_accuracy", "test_nll", "steps", "best_epoch", "validation_loss_rise"]))
for rate in (0.0, 0.2):
    stopped, last = (tl.lessons.stopping.arm_name(stopping, rate) for stopping in ("early stopping", "last epoch"))
    print(payoff.verdict(stopped, last, "test_accuracy"))
    print(payoff.verdict(stopped, last, "test_nll", higher_is_better=False))

# %%
overfit_run = tl.lessons.stopping.arm_name("last epoch", 0.2)
tl.report.plots.plot_history(payoff.history(overfit_run),
                             title="100 per class, 20 % wrong labels, trained on for 60 epochs (first seed)")

# %%
tl.report.plots.plot_comparison(payoff, "test_accuracy", title="test accuracy: last epoch or rewound (mean ± sd)")

# %% [markdown]
# **What the stored run measured** (three seeds; the table, the verdicts and the plots above):
#
# * **Both runs really overfit in the loss.** Trained on for all 60 epochs (1,920 optimizer steps), the
#   validation loss ended 0.161 above its lowest point on clean labels, and 0.730 above it with wrong
#   labels, where it was lowest at epoch 5 on every seed. In the plot, the training accuracy climbs
#   towards 1, which with a fifth of the labels wrong means the head has learnt wrong labels by heart.
#   Both accuracies in the plot are read against the labels as given, wrong ones included, which is
#   why the validation accuracy sits near 0.6 while the test accuracy, on clean labels, is above 0.7.
#   The plot shows the first seed, the one where early stopping gained most in accuracy.
# * **The rewind paid in the probabilities, measurably.** Early stopping trained 480 to 672 steps,
#   its patience included (the weights it kept had seen 160 to 352 of them; the stopped rows'
#   `validation_loss_rise` is read at the last epoch trained). It cut the test log-loss by 0.148 on
#   clean labels (interval 0.092 to 0.204) and by 0.161 with wrong labels (0.115 to 0.207). On clean
#   labels that is partly built in: the epoch was chosen for the lowest loss on validation images drawn
#   like the test images. With wrong labels it is a fairer test, since the test labels are clean.
# * **It did not pay measurably in accuracy.** On clean labels the two differ by less than the seeds do
#   (0.807 against 0.803; the interval rules out a gain above 0.017). With wrong labels the rewound head
#   was ahead on average (0.736 against 0.722) but not on every seed, and the interval, −0.030 to 0.059,
#   still includes zero.
#
# Why the loss and not the accuracy? A likely reason, not measured here: without weight decay a head
# that fits its training set keeps growing its weights after its best epoch. It grows more confident,
# so every test image it gets wrong costs more log-loss, even where its top guess stays the same. In
# this setup (a linear head on frozen features, no dropout or weight decay, 60 epochs, three seeds),
# its top guesses did not get measurably worse, even while it learnt wrong labels. So here early
# stopping was cheap insurance that protected the confidences. Whether it pays more where the whole
# network trains is not measured in this lesson.
#
# ## Is transfer worth it? A baseline trained to convergence
#
# Transfer is only worth its cost if it beats learning from the target alone. Two baselines, each given
# a fair chance:
#
# * **raw pixels**: logistic regression, its regularisation chosen on the validation set;
# * **scratch**: a small CNN (three convolution blocks, 24 k parameters) from random weights, trained
#   until its validation loss has not improved for 10 epochs, and then restored to its best epoch.
#
# A from-scratch network stopped after an arbitrary few epochs would be a straw man that flatters
# transfer. Trained to convergence, it is a real competitor.

# %%
baselines = tl.lessons.experiments.compare_strategies(
    strategies=("pixels", "scratch", "feature_extraction"), seeds=settings["seeds"])
lesson.record("baselines", baselines)
print(baselines.summary_table(["test_accuracy", "epochs", "steps", "seconds"]))
print(baselines.verdict("feature_extraction", "scratch"))
print(baselines.verdict("feature_extraction", "pixels"))
print(baselines.verdict("scratch", "pixels"))

# %%
tl.report.plots.plot_comparison(baselines, "test_accuracy", title="transfer against baselines (mean ± sd)")

# %% [markdown]
# **What the stored run measured:** feature extraction beat raw pixels measurably, by **0.028**
# (0.809 against 0.781), and was ahead of the from-scratch CNN on average (0.809 against 0.782), but
# that difference is not measurable over three seeds: its interval, −0.014 to 0.068, still includes
# zero. The scratch CNN, trained for about 40 epochs (about 1,270 optimizer steps, twice the head's,
# its patience included)
# until its validation loss stopped improving, could not be told apart from logistic regression on the
# pixels (the verdict rules out differences larger than 0.053), and on 28-pixel grey clothing
# ImageNet's features add only a little (notebook 01's map shows why). Note also the cost column: the
# frozen base's head trained in about 3 s, the scratch CNN in about 18 s. The head's seconds leave out
# the base's forward pass over the images: its features were computed once and kept (an earlier cell
# had already computed them for these splits), and that pass is most of what transfer costs here.
#
# ## Per-class metrics: which classes the model misses
#
# Overall accuracy hides the classes a model gets wrong. Recall per class (the share of a class's test
# images that the model gets right), over three seeds, for the head on the frozen base:

# %%
classes = tl.report.results.Comparison("class")
for seed in settings["seeds"]:
    seed_train, seed_validation, _, _ = tl.data.load_dataset(
        image_size=info.image_size, samples_per_class=settings["samples_per_class"], seed=seed,
        test_samples_per_class=settings["test_samples_per_class"], pipeline="arrays")
    probe = tl.lessons.experiments.reset_or_build_model("EfficientNetLite0", info.num_classes, seed=seed,
                                                        image_size=info.image_size)
    tl.training.train_head(probe, seed_train, seed_validation, epochs=settings["head_epochs"], progress=False,
                           seed=seed)
    true_labels, predicted_labels = tl.report.diagnostics.predict_labels(probe, test)
    for row in tl.report.diagnostics.per_class_report(true_labels, predicted_labels, info.class_names):
        classes.add(row["class"], seed, recall=row["recall"], precision=row["precision"])
lesson.record("per_class", classes)
summary = sorted(classes.summary(["recall", "precision"]), key=lambda row: row["recall"].mean)
print(tl.report.results.format_table([{key: str(value) for key, value in row.items()} for row in summary]))
print(classes.verdict("Shirt", "T-shirt/top", "recall", higher_is_better=False))

# %%
tl.report.plots.plot_confusion_matrix(true_labels, predicted_labels, info.class_names,
                                      title="feature extraction, last seed")

# %% [markdown]
# **What the stored run measured:** **Shirt** has the lowest recall (0.490 ± 0.066), measurably below
# T-shirt/top, by 0.260; Coat, T-shirt/top, Pullover and Dress follow, and Trouser, Sandal, Ankle boot
# and Bag are above 0.9. The confusion matrix shows where the shirts go: to T-shirts above all (about a
# fifth of them), then to pullovers, coats and dresses. At 28 pixels in grey, a shirt differs from its
# neighbours in a collar, buttons and sleeve length. Shirt is the hardest Fashion-MNIST class for most
# models, so this run does not show that ImageNet's features in particular miss those details (that
# would need the scratch CNN's per-class recall beside them). Such classes are where more target data,
# a higher resolution or deeper fine-tuning may pay off, and where an imbalanced training set does the
# most damage (notebook 09).
#
# ## The examples behind the numbers: top losses and the most confused pairs
#
# A recall says how often a class is missed, not which images are missed or why. The **loss** of one
# test image is −log of the probability the model gave its true class: 0.1 means it gave the truth
# 90 %, 4.6 means 1 %. Sorting the test images by loss puts the model's most *confident* mistakes
# first. They are the ones worth looking at: a mislabelled image, an image a person could not classify
# either, or a class the features cannot separate. Counting the mistakes by (true class, predicted
# class) pair names the confusions that matter most.

# %%
worst = tl.report.diagnostics.top_losses(probe, test, count=10, class_names=info.class_names)
confused = tl.report.diagnostics.most_confused(true_labels, predicted_labels, info.class_names, minimum=5)
lesson.record("interpretation", {"top_losses": worst, "most_confused": confused})
print(tl.report.results.format_table(confused[:6]))
tl.report.plots.plot_top_losses(test[0], worst, title="the ten highest test losses (feature extraction, last seed)")

# %% [markdown]
# **What the stored run shows** (the table and the grid above, the last seed's model): the most frequent
# confusion is Shirt taken for T-shirt/top (20 test images), then Pullover for Coat (15) and four pairs at
# 11 or 12, every one between garments of similar outline or footwear of similar shape; Bag and Trouser
# are not among the six most
# frequent pairs. The ten highest losses are all between 5.48 and 8.82, so the model gave the true class
# well under 1 % each time: confident mistakes, not hesitations. A bag and a pair of trousers are among
# them, single images rather than a pattern. Look at them before blaming the model: to a human eye
# several look more like the predicted class than like their label (the first, labelled Pullover, has
# the short sleeves of a T-shirt; the "Trouser" in the second row looks like a patterned dress).
# Fashion-MNIST's labels are the shop's product categories, given to the article, not by someone
# looking at its 28-pixel thumbnail (Xiao et al. 2017), so some of the highest losses may be wrong
# labels, and others images that no one could classify from the thumbnail.
# That is the use of top losses: they point at the examples worth a second look, above all in the
# training set. (Relabelling only the test images the model disagrees with would bias the test set
# towards the model; fix test labels only by a review that does not start from the model's errors.)

# %% [markdown]
# ## Calibration: does the confidence mean what it says?
#
# Accuracy counts right answers; it says nothing about the probabilities behind them. A model is
# **calibrated** when, of the images it classifies with 80 % confidence, about 80 % are right. The
# **expected calibration error** (ECE) measures the distance: sort the test predictions into ten
# equal-width bins by confidence (0–0.1, …, 0.9–1), take the gap between each bin's mean confidence and
# its accuracy, and average the gaps weighted by the bins' sizes. A **reliability diagram** draws the
# same bins: accuracy against
# confidence, the diagonal being perfect.
#
# Guo et al. (2017) found modern networks overconfident, and a one-number fix: divide every logit by a
# **temperature** T fitted on the validation set to minimise its log-loss. T > 1 softens overconfident
# probabilities; the largest logit stays the largest, so no prediction and no accuracy changes. Here
# the head on the frozen base, and the same model after fine-tuning (block11_ up, warm-up and cosine),
# are each measured before and after temperature scaling, on the test set, over three seeds.

# %%
tl.lessons.quiz.for_lesson("05_monitor_validation").predictions()

# %%
calibrated = tl.lessons.experiments.calibration_study(seeds=settings["seeds"])
lesson.record("calibration", calibrated)
print(calibrated.summary_table(["test_ece", "test_nll", "test_accuracy", "temperature", "steps"]))
for plain in ("feature extraction", "fine-tuning"):
    print(calibrated.verdict(plain + " + temperature", plain, "test_ece", higher_is_better=False))
print(calibrated.verdict("fine-tuning + temperature", "fine-tuning", "test_nll", higher_is_better=False))
print(calibrated.verdict("fine-tuning", "feature extraction", "test_ece", higher_is_better=False))

# %%
tl.report.plots.plot_reliability(calibrated.settings["reliability"], title="reliability on test (first seed)")

# %% [markdown]
# **What the stored run measured** (three seeds; the table, the verdicts and the diagrams above):
#
# * **Both models were overconfident, and the fine-tuned one was measurably less calibrated.** The head
#   trained for about
#   580 optimizer steps; fine-tuning ran 160 more (with early stopping watching, so the weights it kept
#   may come from an earlier epoch). The temperature fitted on validation came out above
#   1 on every seed for both (a temperature above 1 softens the probabilities). The expected calibration
#   error is 0.082 after fine-tuning against 0.045 for the head on the frozen base, for nearly the same
#   accuracy (0.820 and 0.809); the interval of that difference runs from 0.015 to 0.059. The
#   reliability diagram of the first seed shows the shape: about two thirds of the fine-tuned model's
#   test predictions sit in the top confidence bin, and its curve runs below the diagonal, accuracy
#   lower than confidence. Points of bins holding fewer than 5 predictions are drawn hollow: they are a
#   handful of images, not a trend. (The grey bars are the share of predictions in each bin, not an
#   accuracy.)
# * **A temperature fitted on validation fixed it.** For the fine-tuned model T came out at 1.635 on
#   average, and the ECE fell from 0.082 to 0.025, measurably (paired interval 0.036 to 0.077). The test
#   log-loss fell measurably too, from 0.619 to 0.528 (interval 0.026 to 0.157). For the head alone T
#   was 1.211 and the ECE fell from 0.045 to 0.023, not measurably. Accuracy did not move in either
#   case, as it cannot.
#
# This comparison cannot tell the unfrozen weights from the extra steps: the head was rewound to
# its best epoch, and the section on early stopping shows that training past it raises the test
# log-loss. A likely mechanism for either is the one Guo et al. (2017) describe: cross-entropy keeps
# rewarding larger logits on the training images after their predictions stop changing, and more steps
# or more trainable weights can grow them further.
#
# Calibration matters wherever a probability is used as one: a threshold for "send to a human", a cost
# computed from the confidence, several models' outputs combined. After fine-tuning, fit a temperature on
# the validation set before reading the probabilities.

# %% [markdown]
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("05_monitor_validation")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# In the first overfitting run (the plot above), what is the training accuracy minus the validation
# accuracy at the last epoch, to two decimals?

# %%
answer = None
tl.lessons.exercises.check_final_gap(overfitting.history("5 per class, no early stopping"), answer);

# %%
lesson.finish();
