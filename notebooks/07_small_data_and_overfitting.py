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
# # 07 · Small data and overfitting
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/07_small_data_and_overfitting.ipynb)
#
# With a few images per class, a network with many free weights can do something easier than
# learning the task: **memorise the training set**. Its training accuracy reaches 1, and on new
# images it grows *confident in its mistakes*: the validation loss climbs long before, or even
# without, the accuracy falling. The **generalisation gap** (here training minus test accuracy) and
# the rise of the held-out loss both measure how much of what it fitted does not carry over.
#
# Transfer learning is the first defence: a frozen base leaves only the head's few weights free to
# memorise. But as soon as
# pretrained layers train, they can memorise too. This notebook builds a run that does, and measures
# six remedies against it, each changing exactly one thing:
#
# * **Train fewer weights**: keep the base frozen and train only the head, for the same steps. It
#   removes most of the weights that could memorise (the head alone can still grow over-confident).
# * **Data augmentation** shows the network random flips, small rotations, zooms and shifts of each
#   image, so it cannot memorise one rendering. tltutor puts the augmentation layers *inside* the
#   model, active only in training, so they cannot be forgotten at deployment or applied to the test
#   set by mistake (a survey: Shorten & Khoshgoftaar 2019).
# * **Dropout** sets a random half of the features before the head to zero in each step, so the head
#   cannot rely on any single feature: in effect an ensemble of thinned heads (Srivastava et al. 2014).
#   Keras doubles the features it keeps, so their expected sum stays the same.
# * **Weight decay** shrinks every trainable weight (the head's included) towards zero at each step.
#   Loshchilov & Hutter (2019) showed that with Adam, decay *decoupled* from the gradient step (AdamW)
#   works better than an L2 penalty in the loss; in Keras 3 the `weight_decay` argument of `Adam`
#   already is decoupled, so `Adam(weight_decay=...)` is AdamW. Each step multiplies a weight by
#   1 − learning rate × decay (Keras multiplies the decay by the learning rate, so a decay of 1 at a
#   rate of 1e-3 shrinks a weight by a thousandth per step): the dose is that factor raised to the
#   number of steps.
# * **L2-SP** (Li et al. 2018) penalises the squared distance of each base weight from its
#   *pretrained* value. Weight decay pulls towards zero, which for a pretrained network means away
#   from what it learned; L2-SP pulls towards the starting point. It is a penalty in the loss, so its
#   gradient passes through Adam's per-weight scaling: its strength (here α = 0.01) has to be read
#   off what it does, and the table below shows how far it let the weights move.
# * **Early stopping** ends training when the validation loss stops improving and restores the best
#   epoch: it limits how far the optimisation travels towards memorisation (Prechelt 1998).

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
import tltutor as tl

lesson = tl.report.lesson.Lesson("07_small_data_and_overfitting")
settings = tl.runtime.profile.defaults()
quick = tl.runtime.profile.is_quick()
print("profile:", "quick" if quick else "full", settings)

# %% [markdown]
# ## A run that overfits, and one change per remedy
#
# The real photographs of notebook 00 (Tux Paint's stamps, GPL; five classes of animals, fruit and
# flowers photographed from many angles): **10 training photographs per class**, 6 per class for
# validation (30 photographs, enough for early stopping to read a loss), all the remaining photographs
# for test, at 96 px.
#
# Every arm starts from the **same head**, fitted to convergence on the frozen base's features by
# L2-regularised logistic regression (C = 1, scikit-learn's default; row `head` in the tables;
# notebook 06 explains why). The 100 steps that follow have no such penalty, unless a remedy adds one.
# Then each arm trains for
# the **same 100 optimizer steps** (batches of 5, so 10 epochs) at a constant 1e-3: the head together
# with the base from `block15_` on (the top block and the head-side convolution), about a million
# weights against 50 photographs. BatchNorm stays
# frozen. Early stopping is given the same 100 steps and decides itself how many to use.

# %%
# NBVAL_CHECK_OUTPUT
STEPS, LEARNING_RATE, UNFREEZE_FROM = 100, 1e-3, "block15_"
print(tl.freezing.trainable_summary(tl.freezing.unfreeze(
    tl.models.build_transfer_model("EfficientNetLite0", 5, image_size=96), UNFREEZE_FROM)))
for remedy in tl.lessons.overfitting.REMEDIES:
    print(f"{remedy:15s}", tl.lessons.overfitting.remedy_settings(remedy))
shrinkage = tl.lessons.overfitting.weight_decay_shrinkage(
    tl.lessons.overfitting.DEFAULT_WEIGHT_DECAY, LEARNING_RATE, STEPS)
print(f"weight decay {tl.lessons.overfitting.DEFAULT_WEIGHT_DECAY} at {LEARNING_RATE} for {STEPS} steps "
      f"shrinks every weight by {100 * shrinkage:.1f} % on its own")

# %%
tl.lessons.quiz.for_lesson("07_small_data_and_overfitting").predictions()

# %%
DATASET = "tuxpaint_photos"  # or "tf_flowers" online (3,670 photographs of flowers, downloaded once)
remedies = tl.lessons.overfitting.REMEDIES if not quick else ("none", "fewer_weights", "l2sp")
comparison = tl.lessons.overfitting.compare_remedies(
    DATASET, remedies=remedies, seeds=(0, 1, 2, 3) if not quick else settings["seeds"],
    samples_per_class=10 if not quick else 5, image_size=96 if not quick else settings["image_size"],
    steps=STEPS if not quick else 10, learning_rate=LEARNING_RATE, unfreeze_from=UNFREEZE_FROM)
lesson.record("remedies", comparison)
print(comparison.summary_table(["train_accuracy", "test_accuracy", "test_loss", "validation_loss", "gap"]))
print(comparison.summary_table(["steps", "epochs", "steps_kept", "weight_change_percent"]))

# %% [markdown]
# The second table is the budget: every arm ran its 100 optimizer steps (early stopping fewer, by its
# own choice; `steps_kept` are the steps of the epoch it restored), and `weight_change_percent` says
# how far the trained base weights moved from their pretrained values, 100 × ‖w − w₀‖ / ‖w₀‖ over the
# unfrozen kernels (BatchNorm stays frozen and is left out).
#
# ## What overfitting looks like here
#
# The validation loss of each arm during training (first seed), from the head's loss at step 0.
# Early stopping is left out: it follows the no-remedy curve until it stops. L2-SP's curve is the
# loss Keras reports, its penalty included, so it sits a little higher than its loss on the photographs.

# %%
curves = [{"remedy": variant, "epoch": 0, "val_loss": comparison.values("head", "validation_loss")[0]}
          for variant in comparison.variants[1:] if variant != "early_stopping"]
curves += [{"remedy": variant, "epoch": record["epoch"], "val_loss": record["val_loss"]}
           for (variant, seed), history in comparison.histories.items()
           if seed == comparison.seeds[0] and variant != "early_stopping" for record in history.records]
tl.report.plots.plot_lines(curves, x="epoch", y="val_loss", group="remedy",
                           title="validation loss during training (first seed; 10 steps an epoch)")

# %%
tl.report.plots.plot_comparison(comparison, "test_accuracy", title="test accuracy with each remedy (mean ± sd)")

# %%
tl.report.plots.plot_comparison(comparison, "test_loss", title="test loss with each remedy (mean ± sd)")

# %% [markdown]
# ## The verdicts
#
# First, did fine-tuning without a remedy overfit harmfully, measured against the head it started
# from? Then each remedy against no remedy, paired by seed, on test accuracy and test loss.

# %%
print(comparison.verdict("none", "head", "test_accuracy"))
print(comparison.verdict("none", "head", "test_loss", higher_is_better=False))
remedies_only = [variant for variant in comparison.variants if variant not in ("head", "none")]
against_none = {metric: comparison.paired_gains("none", metric, variants=remedies_only)
                for metric in ("test_accuracy", "test_loss")}
print(tl.report.results.format_table(
    [{"remedy": accuracy["variant"], "test accuracy − none": accuracy["gain"],
      "95% interval": f"{accuracy['low']:+.3f} to {accuracy['high']:+.3f}", "measurable": accuracy["measurable"],
      "test loss − none": loss["gain"], "95% interval ": f"{loss['low']:+.3f} to {loss['high']:+.3f}",
      "measurable ": loss["measurable"]}
     for accuracy, loss in zip(against_none["test_accuracy"], against_none["test_loss"])]))
tl.report.plots.plot_gain_intervals(
    {"test accuracy − none (higher is better)": against_none["test_accuracy"],
     "test loss − none (lower is better)": against_none["test_loss"]},
    label="variant", title="each remedy against no remedy: mean and 95 % interval over seeds")

# %% [markdown]
# **What the stored run measured** (four seeds; the tables, the plots and the verdicts above):
#
# * **Fine-tuning without a remedy overfitted, in confidence more than in accuracy.** In 100 steps the
#   million weights moved 9.021 % of their size (on average) and kept fitting the training photographs
#   perfectly (the head already did). Test loss rose on every seed, from 0.308 to 0.508 on average; test
#   accuracy fell on two
#   seeds and stayed level on the other two, from 0.894 to 0.876 on average. Over four seeds neither
#   change is measurable: the loss interval, −0.048 to +0.447, only just reaches below zero.
# * **Dropout was the only remedy that beat no remedy measurably**, and only just: +0.041 in test
#   accuracy (95 % interval +0.002 to +0.080), reaching 0.918. Read it with care. The lower end is
#   next to zero, it is one of twelve intervals (six remedies, two metrics), so one such borderline
#   result is what chance alone would often give, and the validation set disagrees: dropout ended with
#   the highest validation loss of any arm (1.031). A claim that dropout helps here needs more seeds.
# * **Weight decay, at a dose that acts, did nothing measurable, and its interval is centred on zero**
#   in accuracy (−0.041 to +0.041). Decay 1.0 at 1e-3 shrinks every weight by 9.5 % over the 100 steps
#   on its own, and the base moved *further* than without it (12.514 % against 9.021 %), most of that
#   the decay itself: weight decay pulls towards zero, which for a pretrained network is away from what
#   it knew.
# * **Of the arms that trained the base, L2-SP held its weights closest to their pretrained values** on
#   average (3.656 % moved), and **training fewer weights** did not move them at all; the latter came
#   nearest to the head on test loss (0.357, an interval of −0.330 to +0.028 against no remedy). Neither
#   changed test accuracy measurably. The head alone still grew over-confident: its validation loss
#   rose from the head's 0.504 to 0.642 on average, so part of no remedy's rise in loss is the head's
#   own, freed of its penalty.
# * **Augmentation** came out +0.021 in test accuracy (−0.037 to +0.079), helping on two seeds, hurting
#   on one and tying on one: not measurable. Its random renderings of each photograph add to the spread
#   (as dropout's random masks do).
# * **Early stopping** ran 72.5 steps on average (60 to 100) but kept far fewer: the epoch it restored,
#   the one with the lowest validation loss, came after 27.5 steps on average (10 to 70). It never
#   considers step 0, the head itself: on the first seed it kept the weights after 10 steps, whose
#   validation loss (0.422) was already worse than the head's (0.300). Its test scores changed nothing
#   measurably. Its own validation loss, the lowest of the arms, is no evidence: it chose the epoch on
#   those same 30 photographs. The curves above show why they are a weak guide: their loss jumps from
#   epoch to epoch, so "the best epoch" is partly luck.
#
# Why so little from the remedies? Every test accuracy rests on 85 photographs, where one photograph is
# more than a point, and the split a seed draws moves accuracy by several points (the standard deviations in the
# table), about as much as any remedy did. And the head was already fitted to convergence: with 50
# photographs the pretrained features separate the training set perfectly before fine-tuning starts
# (training accuracy 1.000 for the head too), so what fine-tuning adds is mostly confidence, and what it
# costs shows first in the loss.
#
# ## Why the gap and the accuracy tell different stories
#
# A remedy can narrow the gap between training and test accuracy in two ways: by raising test accuracy
# (the model learned something that carries over) or by lowering training accuracy (the model fits less,
# and the test accuracy need not move). Only the first is what we want, which is why this notebook
# reports test accuracy and test loss, not the gap alone. Here training accuracy was 1.000 for every arm
# but early stopping, so the gap moved exactly as much as test accuracy did.
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("07_small_data_and_overfitting")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# Which remedy's effect on test loss does this run pin down most tightly, that is, which has the
# narrowest 95 % interval against no remedy? Answer with its name as in the table.

# %%
answer = None
tl.lessons.exercises.check_narrowest_interval(comparison, answer, metric="test_loss");

# %%
lesson.finish();
