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
# # 10 · Catastrophic forgetting
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/10_catastrophic_forgetting.ipynb)
#
# Fine-tuning adapts a pretrained network to a new task by moving its weights, and nothing in the new
# task's loss asks those weights to keep doing the old job. So the old ability degrades, often
# abruptly: **catastrophic forgetting** (McCloskey & Cohen 1989; French 1999). It does not matter when
# you only want the new task; it matters as soon as one model must keep serving both, or when the
# source's general skills were the reason you chose it.
#
# To measure forgetting we need the old task's data and head, which a downloaded ImageNet model does not
# give you. DigitsCNN has both: tltutor pretrained it on scikit-learn's digits (**task A**) and kept a
# fifth of them aside. The new **task B** is Fashion-MNIST. Both heads sit on one shared base; the old
# head stays frozen, so anything task A loses, it loses through the base. Five ways to learn task B:
#
# * `naive`: fine-tune the base and the new head at 1e-3 (the baseline that forgets);
# * `low_lr`: the same at 1e-4, a smaller step size;
# * `l2sp`: at 1e-3, with a penalty α·‖w − w_pretrained‖² pulling every base weight back towards its
#   pretrained value (Li, Grandvalet & Davoine 2018);
# * `rehearsal`: a quarter as many old digits mixed into every epoch, trained through the old head
#   (Robins 1995): it needs the old data;
# * `lwf`, Learning without Forgetting (Li & Hoiem 2017): no old data; on the *new* images, the old head's
#   outputs are kept close to what they were before fine-tuning (distillation at temperature 2).

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"

# %%
# %matplotlib inline
import tltutor as tl

lesson = tl.report.lesson.Lesson("10_catastrophic_forgetting")
settings = tl.runtime.profile.defaults()
quick = tl.runtime.profile.is_quick()
per_class, epochs = (50, 5) if not quick else (10, 1)
print("profile:", "quick" if quick else "full", settings)

# %%
# NBVAL_CHECK_OUTPUT
print(tl.lessons.forgetting.METHODS)

# %%
old_model, task_a = tl.lessons.forgetting.old_task_model(epochs=settings["head_epochs"])
old_accuracy = tl.lessons.forgetting.task_accuracies(
    tl.lessons.forgetting.two_task_model(old_model, 10), task_a.test, task_a.test)["old_task_accuracy"]
print(f"task A: {len(task_a.train[1])} digits to train the old head, {len(task_a.test[1])} held out; "
      f"old-task accuracy before any fine-tuning: {old_accuracy:.3f}")

# %% [markdown]
# ## Five ways to learn task B, three seeds
#
# Each seed draws another 50 clothing images per class and another new head; every method starts from
# the same pretrained base and trains for five epochs.

# %%
comparison = tl.lessons.forgetting.compare_remedies(samples_per_class=per_class, epochs=epochs,
                                                    seeds=settings["seeds"], old_model=old_model, old_task=task_a)
lesson.record("methods", comparison)
print(comparison.summary_table(["old_task_accuracy", "new_task_accuracy", "forgetting"]))

# %%
tl.report.plots.plot_scatter(comparison.rows, x="new_task_accuracy", y="old_task_accuracy", label="method",
                             title="old task (digits) against new task (clothing), mean ± sd over seeds")

# %%
for method in comparison.variants[1:]:
    print(comparison.verdict(method, "naive", "old_task_accuracy"))
    print(comparison.verdict(method, "naive", "new_task_accuracy"))

# %% [markdown]
# **What the stored run measured** (three seeds; the table, the scatter plot and the verdicts above; the
# old task started at 0.981 in every case):
#
# * **Naive fine-tuning forgot most of task A**: 0.981 → 0.26, while reaching 0.60 on task B.
# * **A ten times lower rate did not protect measurably** (0.23 on task A, within the spread of naive) and
#   learned task B much worse (0.37): five epochs at 1e-4 change less of everything, the new task included.
# * **L2-SP (α = 300) kept most of task A** (0.95), at a large price on task B (0.26): a penalty strong
#   enough to hold this small base in place also stops it from learning.
# * **Rehearsal kept most of task A (0.87) with no measurable cost on task B** (0.60 against 0.60): the
#   best trade here, paid for with stored old images.
# * **LwF kept much of task A (0.81) without any old data**: distilling the old head's own outputs on the
#   new images keeps the base partly serving both. On task B it reached 0.48 against naive's 0.60. That
#   cost of about 0.12 is not measurable over three seeds: the paired differences vary too much from
#   seed to seed to exclude zero. It is still smaller than L2-SP's cost of 0.34 (L2-SP reached 0.26).
#
# **Why the old task collapses.** The frozen old head is a fixed set of directions in the base's output
# space: "this pattern of features means a 7". Fine-tuning moves the base so that its outputs separate
# clothing, and nothing keeps those features where the old head expects them; a few epochs at 1e-3 rotate
# and rescale them until the old head misreads about three digits in four. Each remedy attacks one link:
# L2-SP keeps the weights near their start, rehearsal and LwF keep the old head's *outputs* right, and a
# lower rate only slows the drift.
#
# ## How strong must L2-SP be?
#
# The L2-SP paper used α = 0.01, with SGD, on large networks. The penalty's gradient, 2α(w − w₀), competes
# with the new task's gradient; with Adam, which rescales every gradient to about the learning rate per
# step, a weak penalty barely registers. Sweep α and watch both accuracies.

# %%
alphas = (1.0, 30.0, 300.0, 3000.0) if not quick else (300.0,)
sweep = tl.report.results.Comparison("alpha", settings={"epochs": epochs, "samples_per_class": per_class})
for alpha in alphas:
    run = tl.lessons.forgetting.compare_remedies(methods=("l2sp",), l2sp_alpha=alpha, samples_per_class=per_class,
                                                 epochs=epochs, seeds=settings["seeds"], old_model=old_model,
                                                 old_task=task_a, progress=None)
    for row in run.rows:
        sweep.add(alpha, row["seed"], old_task_accuracy=row["old_task_accuracy"],
                  new_task_accuracy=row["new_task_accuracy"])
lesson.record("l2sp_sweep", sweep)
print(sweep.summary_table(["old_task_accuracy", "new_task_accuracy"]))
long = [{"alpha": row["alpha"], "task": task, "accuracy": row[f"{task}_task_accuracy"]}
        for row in sweep.rows for task in ("old", "new")]
tl.report.plots.plot_lines(long, x="alpha", y="accuracy", group="task", log_x=True,
                           title="L2-SP: accuracy on both tasks against the penalty's strength")

# %% [markdown]
# **What the stored run measured:** a smooth trade-off with no free lunch. At α = 1 the base kept only
# 0.20 of the digits and learned clothing to 0.47; at α = 30, 0.33 and 0.31; at α = 300, 0.95 and 0.26;
# at α = 3,000, 0.98 and 0.25. Every step that protected task A cost task B. (The paper's α = 0.01, with
# SGD, would barely register next to Adam's rescaled gradients.) L2-SP is the right tool when the new
# task needs only a gentle change of the base, and when keeping the old task matters more than the new one.
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("10_catastrophic_forgetting")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# Which method kept the most old-task accuracy, on average? Answer with its method name.

# %%
answer = None
tl.lessons.exercises.check_least_forgetting(comparison, answer);

# %%
lesson.finish();
