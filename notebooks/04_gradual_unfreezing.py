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
# # 04 · Unfreeze gradually, with layer-wise learning rates
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/04_gradual_unfreezing.ipynb)
#
# Notebook 03 fine-tuned the top blocks only. To adapt deeper, you can unfreeze much more of the
# base, and there the early layers need protecting most: they hold the general features (edges,
# textures) that every image task needs, and they are the ones a few hundred images can least afford
# to re-learn. ULMFiT (Howard & Ruder 2018) introduced two schedules for this, now standard in fastai:
#
# 1. **Gradual unfreezing**: unfreeze the top group of layers first and train; then unfreeze the next
#    group down and train again; and so on. The early layers train last and for the fewest steps,
#    once the layers above them have adapted and send sensible gradients.
# 2. **Discriminative learning rates**: unfreeze everything at once, but give each group of layers
#    its own rate, smaller the deeper it sits (ULMFiT divides by 2.6 per group). Keras optimizers have
#    one rate; tltutor's `LayerwiseAdam` multiplies it per variable.
#
# Both are reasonable ideas. Whether they help on *your* task is a measurement. Here we compare them
# with the simplest schedule, **all at once** (unfreeze from `block05_` and train everything above at
# one rate), at two base rates: a safe one (1e-4) and an aggressive one (1e-3). The protection these
# schedules offer should matter most when there is something to protect against.
#
# To fit three strategies × two rates × three seeds into a few minutes on two CPU cores, this
# notebook trains on 64-pixel images and 32 images per class; the point is the comparison between
# schedules, which does not need the last point of accuracy.

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"

# %%
# %matplotlib inline
import tltutor as tl

lesson = tl.report.lesson.Lesson("04_gradual_unfreezing")
settings = tl.runtime.profile.defaults()
quick = tl.runtime.profile.is_quick()
image_size, per_class = (64, 32) if not quick else (64, 10)
print("profile:", "quick" if quick else "full", settings)

# %% [markdown]
# ## Layer-wise rates, in numbers
#
# The unfrozen base is split into three groups of similar size, top first. The head keeps the full
# rate; each group deeper gets the rate divided by 2.6 once more.

# %%
# NBVAL_CHECK_OUTPUT
model = tl.models.build_transfer_model("EfficientNetLite0", 10, image_size=image_size)
tl.freezing.unfreeze(model, "block05_")
for group, rate in tl.discriminative.compile_discriminative(model, learning_rate=1e-4, layerwise_decay=2.6).items():
    print(f"{rate:.2e}  {group}")

# %% [markdown]
# ## Three schedules, two rates, three seeds
#
# Every run of a seed starts from the same trained head and trains for three epochs:
#
# * **all at once**: from `block05_` up, three epochs;
# * **gradual**: one epoch each from `block11_`, then `block08_`, and finally `block05_`;
# * **discriminative**: from `block05_` up, three epochs, rates falling by 2.6 per group.
#
# Besides accuracy we record two things the schedules are meant to change: the **largest drop** of
# validation accuracy from one epoch to the next, counting from the trained head's own accuracy so
# that a collapse in the first epoch shows (a sign that the features were disturbed), and how far the
# **deep blocks** (`block05_` to `block10_`) moved from their pretrained values. The trained head
# alone is the baseline every schedule must beat: fine-tuning that does not improve on it bought
# nothing.

# %%
tl.lessons.quiz.for_lesson("04_gradual_unfreezing").predictions()

# %%
points = ["block11_", "block08_", "block05_"]
epochs = len(points)
rates = [1e-4, 1e-3]
schedules = tl.report.results.Comparison("schedule", settings={"epochs": epochs, "image_size": image_size,
                                                              "samples_per_class": per_class})
for seed in settings["seeds"]:
    train, validation, test, info = tl.data.load_dataset(
        image_size=image_size, samples_per_class=per_class, validation_split=0.5,
        test_samples_per_class=settings["test_samples_per_class"], seed=seed, pipeline="arrays")
    model = tl.lessons.experiments.reset_or_build_model("EfficientNetLite0", info.num_classes, seed=seed,
                                                        image_size=image_size)
    tl.training.train_head(model, train, validation, epochs=settings["head_epochs"], progress=False, seed=seed)
    head_weights = model.get_weights()
    head_validation = tl.training.evaluate(model, validation)["accuracy"]
    schedules.add("head only", seed, strategy="head only", learning_rate=0.0,
                  validation_accuracy=round(head_validation, 4),
                  test_accuracy=round(tl.training.evaluate(model, test)["accuracy"], 4),
                  largest_validation_drop=0.0, deep_change_percent=0.0)
    base = tl.freezing.get_base(model)
    deep = [layer for layer in base.layers if layer.name[:8] in {f"block{i:02d}_" for i in range(5, 11)}]
    deep_start = [weight for layer in deep for weight in layer.get_weights()]
    for rate in rates:
        for schedule in ("all at once", "gradual", "discriminative"):
            model.set_weights(head_weights)
            if schedule == "gradual":
                history = tl.training.gradual_unfreeze(model, train, validation, unfreeze_points=points,
                                                       epochs_per_stage=1, learning_rate=rate, progress=False,
                                                       seed=seed)
            else:
                history = tl.training.fine_tune(model, train, validation, epochs=epochs, learning_rate=rate,
                                                unfreeze_from="block05_", early_stopping_patience=None,
                                                layerwise_decay=2.6 if schedule == "discriminative" else None,
                                                schedule="constant", progress=False, seed=seed)
            curve = [head_validation] + history.metric("val_accuracy")  # a collapse in epoch 1 counts too
            schedules.add(f"{schedule} @ {rate:.0e}", seed, history=history, strategy=schedule, learning_rate=rate,
                          validation_accuracy=round(curve[-1], 4),
                          test_accuracy=round(tl.training.evaluate(model, test)["accuracy"], 4),
                          largest_validation_drop=round(max([0.0] + [a - b for a, b in zip(curve, curve[1:])]), 4),
                          deep_change_percent=100 * tl.report.diagnostics.relative_weight_change(
                              deep_start, [weight for layer in deep for weight in layer.get_weights()]))
    print(f"seed {seed} done")
lesson.record("schedules", schedules)
print(schedules.summary_table(["validation_accuracy", "test_accuracy", "largest_validation_drop",
                               "deep_change_percent"]))

# %%
tl.report.plots.plot_comparison(schedules, "test_accuracy", title="test accuracy after fine-tuning (mean ± sd)")

# %%
tl.report.plots.plot_comparison(schedules, "deep_change_percent", ylabel="change of block05-block10 (%)",
                                title="how far the deep blocks moved from their pretrained values")

# %%
curves = [{"schedule": f"{variant} (seed {seed})", "epoch": epoch + 1, "val_accuracy": value}
          for (variant, seed), history in schedules.histories.items() if seed == schedules.seeds[0]
          for epoch, value in enumerate(history.metric("val_accuracy"))]
tl.report.plots.plot_lines(curves, x="epoch", y="val_accuracy", group="schedule",
                           title="validation accuracy during fine-tuning (first seed)")

# %% [markdown]
# ## What the measurements say

# %%
for rate in rates:
    for other in ("gradual", "discriminative"):
        print(schedules.verdict(f"{other} @ {rate:.0e}", f"all at once @ {rate:.0e}", "test_accuracy"))
    for schedule in ("all at once", "gradual", "discriminative"):
        print(schedules.verdict(f"{schedule} @ {rate:.0e}", "head only", "test_accuracy"))
    print(schedules.verdict(f"discriminative @ {rate:.0e}", f"all at once @ {rate:.0e}", "deep_change_percent",
                            higher_is_better=False))
print(schedules.verdict("all at once @ 1e-04", "all at once @ 1e-03", "test_accuracy"))

# %% [markdown]
# **What the stored run measured** (three seeds; the tables, plots and verdicts above):
#
# * **No schedule beat the trained head alone**, at either rate (the head reached 0.739 on test). At
#   1e-4 all three schedules stayed where the head was (0.728 to 0.739, each interval around zero).
#   Three epochs at a constant rate are a short, blunt budget: this experiment measures what the
#   schedules *protect*, not what fine-tuning can gain (notebooks 03 and 06 give it a warm-up, a decay
#   and more steps, and find gains).
# * **The schedules did protect the deep blocks.** Discriminative rates moved `block05_`-`block10_`
#   about seven times less than all at once at 1e-4 (0.002 against 0.014 %) and about eight times less
#   at 1e-3 (0.017 against 0.140 %).
# * **At the aggressive rate (1e-3) unfreezing all at once hurt.** It fell to 0.622 ± 0.053 on test, and
#   its validation accuracy dropped by 0.321 in a single epoch on average (the `largest_validation_drop`
#   column, which counts the first epoch against the trained head). Gradual unfreezing was worse still
#   (0.402), measurably below both the head and all at once: its last stage trains `block05_` and up at
#   the full rate for one epoch from features that the earlier stages had already disturbed.
# * **Discriminative rates made the aggressive rate safe.** With each deeper group at a further 1/2.6,
#   every seed ended near the head (0.762 ± 0.015), measurably above all at once by 0.140. Against the
#   head alone it is not measurably different (the interval rules out gains above 0.079).
#
# So the honest summary is not "discriminative rates win". It is: **layer-wise rates protected the deep
# layers from a rate that was too high for them**, and at a safe rate they changed nothing measurable.
# In this budget neither they nor anything else improved on the head; what they bought was safety.
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("04_gradual_unfreezing")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# With a head rate of `1e-3` and a decay of `2.6`, what rate does base group **2** (the second from
# the top) get?

# %%
answer = None
tl.lessons.exercises.check_group_learning_rate(answer, learning_rate=1e-3, layerwise_decay=2.6, depth=2);

# %%
lesson.finish();
