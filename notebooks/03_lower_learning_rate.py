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
# # 03 · Fine-tune with a lower learning rate
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/03_lower_learning_rate.ipynb)
#
# Once the new head is trained, unfreezing the top of the base lets its features adapt to the new
# task. The learning rate decides whether they **adapt** or are **destroyed**.
#
# The mechanism: the pretrained weights sit in a good region of the loss landscape for *image*
# features in general, found with 1.3 M photos. Fine-tuning should move them a little, towards what
# *this* task needs, and not so far that what they knew is lost. Adam moves each weight by roughly
# the learning rate per step, whatever the size of its gradient, so the rate is, to a first
# approximation, the distance a weight may travel per step. A new head is trained from random
# weights and needs large steps (1e-3 is Adam's usual default); the pretrained layers need steps ten
# to a hundred times smaller. Too large, and the first few hundred steps on a few hundred images
# overwrite features learned from a million; too small, and nothing changes in the epochs you can
# afford. This is also why the head is trained first: a random head sends large, meaningless
# gradients into the base.
#
# This notebook sweeps the fine-tuning rate over three seeds, measures how far the weights move at
# each rate, **chooses the rate on the validation set** and reports the test accuracy once for the
# chosen rate. Then it tries the **LR range test** (Smith 2017; fastai's `lr_find`), which picks a
# rate from one short run instead of a sweep.

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"

# %%
# %matplotlib inline
import tltutor as tl

lesson = tl.report.lesson.Lesson("03_lower_learning_rate")
settings = tl.runtime.profile.defaults()
print("profile:", "quick" if tl.runtime.profile.is_quick() else "full", settings)

# %% [markdown]
# ## One trained head per seed, then one fine-tuning run per rate
#
# For each seed (another 100 images per class, another initial head) we train the head, keep its
# weights, and fine-tune from `block11_` up for three epochs at each rate, every run starting from the
# same trained head. Besides accuracy we record how far the unfrozen weights moved, relative to their
# size: `100 × ‖w − w₀‖ / ‖w₀‖`, in percent.

# %%
rates = [1e-2, 1e-3, 1e-4, 1e-5] if not tl.runtime.profile.is_quick() else [1e-2, 1e-4]
epochs = 3 if not tl.runtime.profile.is_quick() else 1
sweep = tl.report.results.Comparison("fine-tuning rate", settings={"epochs": epochs, "unfreeze_from": "block11_"})
for seed in settings["seeds"]:
    train, validation, test, info = tl.data.load_dataset(
        image_size=settings["image_size"], samples_per_class=settings["samples_per_class"],
        test_samples_per_class=settings["test_samples_per_class"], seed=seed, pipeline="arrays")
    model = tl.lessons.experiments.reset_or_build_model("EfficientNetLite0", info.num_classes, seed=seed,
                                                        image_size=info.image_size)
    tl.training.train_head(model, train, validation, epochs=settings["head_epochs"], progress=False)
    head_weights = model.get_weights()
    unfrozen = [layer.name for layer in tl.freezing.get_base(model).layers][
        tl.freezing.cut_index(tl.freezing.get_base(model).layers, "block11_"):]

    def unfrozen_weights():
        base = tl.freezing.get_base(model)
        return [weight for name in unfrozen for weight in base.get_layer(name).get_weights()]

    start = unfrozen_weights()
    sweep.add("head only", seed, learning_rate=0.0, weight_change_percent=0.0,
              validation_accuracy=round(tl.training.evaluate(model, validation)["accuracy"], 4),
              test_accuracy=round(tl.training.evaluate(model, test)["accuracy"], 4))
    for rate in rates:
        model.set_weights(head_weights)
        history = tl.training.fine_tune(model, train, validation, epochs=epochs, learning_rate=rate,
                                        unfreeze_from="block11_", early_stopping_patience=None, progress=False)
        sweep.add(f"{rate:.0e}", seed, history=history, learning_rate=rate,
                  weight_change_percent=100 * tl.report.diagnostics.relative_weight_change(start, unfrozen_weights()),
                  validation_accuracy=round(tl.training.evaluate(model, validation)["accuracy"], 4),
                  test_accuracy=round(tl.training.evaluate(model, test)["accuracy"], 4))
    print(f"seed {seed} done")
lesson.record("sweep", sweep)
print(sweep.summary_table(["validation_accuracy", "weight_change_percent"]))

# %%
tl.report.plots.plot_lines([row for row in sweep.rows if row["learning_rate"] > 0], x="learning_rate",
                           y="validation_accuracy", log_x=True,
                           title="validation accuracy after fine-tuning, by rate (mean ± sd over seeds)")

# %%
tl.report.plots.plot_lines([row for row in sweep.rows if row["learning_rate"] > 0], x="learning_rate",
                           y="weight_change_percent", log_x=True, ylabel="100 × ‖w − w₀‖ / ‖w₀‖ (unfrozen layers)",
                           title="how far fine-tuning moved the pretrained weights")

# %% [markdown]
# ## Choose on validation, report test once
#
# The rate is a choice, and a choice made by looking at the test set turns the test set into a
# training set: with four rates and 1,000 test images, one of them will look best partly by
# luck, and its test score will overstate what a new image would see. So the rate is chosen by the
# mean validation accuracy over seeds, and only then is its test accuracy read, once, next to the
# head alone.

# %%
candidates = tl.report.results.Comparison(
    "fine-tuning rate", [row for row in sweep.rows if row["learning_rate"] > 0])
chosen = candidates.chosen_by("validation_accuracy")
print(f"chosen on validation: {chosen}")
for first, second in [("1e-04", "1e-05"), ("head only", "1e-03")]:
    if first in sweep.variants and second in sweep.variants:
        print("validation:", sweep.verdict(first, second, "validation_accuracy"))
print("test, once:", sweep.verdict(chosen, "head only", "test_accuracy"))
print("test:", sweep.verdict("head only", f"{rates[0]:.0e}", "test_accuracy"))
lesson.record("chosen_rate", chosen)

# %% [markdown]
# **What the stored run measured** (three seeds; the table, the two plots and the verdicts above):
#
# * **1e-2 destroys the features.** Three epochs moved the unfrozen weights by about 2.5 % of their
#   size, and every seed ended at chance (0.100): the head beats it by about 0.71. That is a rate
#   Adam uses for nothing pretrained.
# * **1e-3, a good rate for a new head, hurts the pretrained blocks.** The weights moved 0.3 %, and
#   accuracy fell on average (validation 0.792 against 0.817 for the head alone; test 0.787 against
#   0.814). On 200 validation images per seed the spread is too large to call that difference
#   measurable, which is a reminder of how little a small validation set can resolve.
# * **1e-4 and 1e-5 change almost nothing, and that is their point.** The weights moved 0.04 % and
#   0.005 %; accuracy stayed at the head's level. Validation chose 1e-5 by a hair (0.812 against
#   0.810, no measurable difference), and the chosen rate's test accuracy, read once, is
#   indistinguishable from the head alone (0.818 ± 0.001 against 0.814 ± 0.012).
#
# The distance the weights travel grows seven- to eightfold per tenfold rate, close to proportional, as
# Adam's per-step size predicts. On this target, with 100 images per class, the safe rates keep the features and the
# unsafe ones lose them; none of them adds measurable accuracy over the frozen base. Fine-tuning pays
# when the target needs features the source lacks and there is enough data to learn them
# (notebook 06 varies the data).
#
# ## The LR range test
#
# A sweep costs one fine-tuning run per rate. The range test costs one short run in total: train
# while the rate grows exponentially from 1e-7 to 1 over a few dozen batches, and record the loss
# after each batch. The loss first barely moves (the rate is too small to matter), then falls fastest,
# then rises and explodes (the rate is too large). A good rate lies where the smoothed loss falls
# most steeply. tltutor restores the weights and the optimizer afterwards, so the test changes
# nothing, and it runs only the unfrozen top on kept activations, so it is cheap.

# %%
model = tl.lessons.experiments.reset_or_build_model("EfficientNetLite0", info.num_classes, seed=0,
                                                    image_size=info.image_size)
tl.training.train_head(model, train, validation, epochs=settings["head_epochs"], progress=False)
tl.freezing.unfreeze(model, "block11_", learning_rate=1e-4)
steps = 60 if not tl.runtime.profile.is_quick() else 15
result = tl.lr_finder.find_learning_rate(model, train, min_learning_rate=1e-7, max_learning_rate=1.0, steps=steps)
lesson.record("range_test", {"suggestion": result.suggestion, "steepest": result.steepest,
                             "minimum": result.minimum, "learning_rates": result.learning_rates,
                             "smoothed_losses": result.smoothed_losses})
print(f"steepest descent at {result.steepest:.1e}, lowest loss at {result.minimum:.1e}; "
      f"suggested rate {result.suggestion:.1e}")
tl.report.plots.plot_range_test(result)

# %% [markdown]
# The suggestion is the rate where the smoothed loss falls fastest; when the lowest loss comes at a
# higher rate, the suggestion is also kept at a tenth of that rate or less. Two caveats keep it a
# starting point rather than an answer: it measures how fast the *training* loss falls in the first
# batches, not how well the model generalises after several epochs, and on a nearly converged head
# the early curve is flat and noisy. Compare its suggestion with the rate the validation set chose
# above.
#
# **What the stored run measured:** the second caveat, in full. The head had converged, so the loss
# never fell: after the first few batches the smoothed loss stayed level (between 0.18 and 0.25) from
# 1e-7 up to about 1.2e-4, then climbed (0.31 at 2e-4) until the test stopped at 4.8e-4, where the
# smoothed loss (0.39) reached four times its lowest value (0.095, the very first batch). There was no descent to find; the "steepest descent" sat in the first batches' noise,
# and the suggestion fell back to the lowest rate tried (1e-7), which tltutor reports rather than
# inventing a rate below the range. What the curve *does* show is the upper limit: training starts to
# break just above 1e-4, where the sweep above found the line between the rates that kept the head's
# accuracy (1e-4, 1e-5) and those that lost it (1e-3 on average, 1e-2 to chance). On a model that has
# not converged the curve falls first, and its steepest point is a useful starting rate.
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("03_lower_learning_rate")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# Which fine-tuning rate of the sweep gave the **worst** mean validation accuracy? Answer with the
# number, e.g. `1e-3`.

# %%
answer = None
tl.lessons.exercises.check_destructive_learning_rate(sweep, answer);

# %%
lesson.finish();
