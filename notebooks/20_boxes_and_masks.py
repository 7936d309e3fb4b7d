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
# # 20 · From labels to boxes and masks
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/20_boxes_and_masks.ipynb)
#
# Every lesson so far transferred to **classification**: one label per image. The applications students
# meet next ask *where*: a **box** around each object (detection: pedestrians for a car, products on a
# shelf) or a class for **every pixel** (segmentation: a tumour's outline in a scan, the road in a
# dashcam frame). Labelling those is slow, so these datasets are small, and transfer matters even more.
#
# The recipe is the one you know, with a different head. A network pretrained on ImageNet
# *classification* becomes the **encoder**; a new **decoder** turns its feature maps back into a map of
# the image's size. The encoder's maps come at several resolutions: the early ones are sharp (a quarter
# of the image's side) but know little, the last ones are coarse (a thirty-second) but know what the
# object is. A **U-Net** decoder (Ronneberger et al. 2015) starts from the coarsest map, doubles its
# resolution step by step, and at each step joins the encoder's map of that resolution (a *skip
# connection*), so what is known from the deep maps is drawn with the edges of the shallow ones.
#
# **The data.** Tux Paint's photo stamps, the photographs of notebook 00, are cut out on a transparent
# background. Pasting one onto a picture gives its outline exactly: a per-pixel mask and a tight box,
# with no human labelling. `tl.data.scenes` pastes one object of the five classes (mammal, bird, fruit,
# vegetable, flower) onto a tinted texture crop, over two **distractors**: photographed stamps of
# none of the classes that belong to the background (mostly tools, vehicles, road signs and
# instruments, but also round sports balls and a few foods close to the fruit: a Christmas pudding, a
# mince pie, candy canes, wrapped Easter eggs).
# The object is pasted last, so a distractor never hides it. The **test scenes use stamps that no
# training scene shows** (30 % of each class's stamps, held out once) and texture crops from the right
# half of each of scikit-image's photographs, while training crops come from the left half, so a score
# measures generalisation, not memory of a cut-out.
#
# Licences: the stamps are GPL-2 or later (© Bill Kendrick and the Tux Paint contributors, Debian's
# `tuxpaint-stamps-default`, read where Debian installs them, never copied); the textures come from
# scikit-image's bundled photographs; EfficientNet-Lite0's weights are Apache-2.0.
# (On Colab: `!apt-get install -y tuxpaint-stamps-default`.)

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
import numpy as np

import tltutor as tl

lesson = tl.report.lesson.Lesson("20_boxes_and_masks")
settings = tl.runtime.profile.defaults()
quick = tl.runtime.profile.is_quick()
print("profile:", "quick" if quick else "full", settings)

# %% [markdown]
# ## Scenes with exact masks and boxes
#
# Each mask holds 0 for the background (texture and distractors) and `class + 1` on the object's
# pixels; each box is `x1, y1, x2, y2` in pixels, `x2` and `y2` one past the object's last column and
# row. The object's longer side is 35 % to 70 % of the scene's 96 pixels.

# %%
# NBVAL_CHECK_OUTPUT
train_paths, _, class_names = tl.data.scenes.stamp_paths("train")
test_paths, _, _ = tl.data.scenes.stamp_paths("test")
print(f"classes: {', '.join(class_names)}")
print(f"stamps: {len(train_paths)} for training scenes, {len(test_paths)} held out for test scenes; "
      f"distractors: {len(tl.data.scenes.distractor_paths('train'))} and {len(tl.data.scenes.distractor_paths('test'))}")
examples = tl.data.scenes.scenes(8, seed=1)
print(examples.images.shape, examples.masks.shape, examples.boxes.shape)

# %%
tl.report.plots.plot_masks(examples.images, examples.masks, class_names=class_names, true_boxes=examples.boxes[:, 0],
                           titles=[class_names[label] for label in examples.labels[:, 0]],
                           title="training scenes: the object's mask (colour) and box (green); distractors are background")

# %% [markdown]
# ## The model: a frozen encoder, a new decoder
#
# `tl.models.build_segmentation_model` taps EfficientNet-Lite0 at four resolutions (the last layer at
# each *stride*, the factor by which a map is smaller than the image: 4, 8, 16 and 32; found by the
# shapes rather than by layer names, which differ between backbones; tested on EfficientNet-Lite0 and
# MobileNetV2), adds a small U-Net decoder (48 channels; each step upsamples 2×,
# joins the next map and mixes with a separable 3 × 3 convolution),
# and a 1 × 1 `classifier` that gives six numbers per pixel: the background and the five classes. The
# output is upsampled to the image. The rest is the library you know: `freeze`, `train_head`,
# `fine_tune` and `tl.check` work on it, and with the base frozen the decoder trains on the encoder's
# maps computed once per scene and kept (the frozen encoder would give the same maps at every step).

# %%
model = tl.models.build_segmentation_model(num_classes=len(class_names), image_size=96)
base = model.get_layer("base")
for name, shape in zip(tl.models.feature_taps(tl.backbones.build_base("EfficientNetLite0", image_size=96,
                                                                      weights=None)), base.output_shape):
    print(f"{name:28s} stride {96 // shape[1]:2d}: {shape[1]}×{shape[2]}×{shape[3]}")
print("output:", model.output_shape)
print(tl.freezing.trainable_summary(model))
tl.check(model, (examples.images, examples.masks));

# %% [markdown]
# ## Five strategies, three sizes, three seeds
#
# Each seed draws its own training scenes (20, 50 and 200; the larger sets contain the smaller) and 60
# validation scenes; every seed is scored on the same 120 held-out test scenes. The strategies:
#
# * **background_subtraction**, no network: the background is a texture tinted with one colour, so a
#   pixel whose colour (its chromaticity: brightness divided out) differs from the scene border's by more
#   than a threshold is "object"; the largest such region, holes filled, is the prediction, and its class
#   is the class whose training objects have the nearest colour histogram. The threshold is chosen on the
#   validation scenes. It cannot tell an object from a distractor.
# * **random**: the same model with random weights, frozen, with its BatchNorm statistics read from the
#   training scenes (so its features are not degenerate); the decoder is trained exactly as the next
#   arm's: what the pretrained *weights* bring to the same architecture and budget.
# * **frozen**: the ImageNet encoder frozen, the decoder trained on its kept maps: 200 optimizer steps in
#   batches of 8 at a constant 3e-3, no early stopping.
# * **head_only**: the control for fine-tuning: from the frozen arm's decoder, the decoder trained on
#   for 100 more steps, base frozen, at the library's fine-tuning rate and schedule.
# * **fine_tune**: from the same decoder, the whole encoder trained too (BatchNorm frozen) for the same
#   100 steps at the same rate and schedule (1e-3, warmed up over the first tenth, then a cosine decay;
#   notebook 03 chose it).
#
# Fine-tuning runs the whole encoder forward and backward at every step, several times the cost of a
# decoder step on kept maps, so it runs at the largest size only, where it has the most data to learn
# from; that is where the question "does fine-tuning pay?" matters. (Training every layer from random
# weights costs about as much per step as fine-tuning; `strategies=["scratch"]` runs it, outside this
# lesson's five minutes.)
#
# Two more things to know before reading the verdicts. The baseline's threshold is chosen on the 60
# *labelled* validation scenes, which the network arms never use: at 20 training scenes that is more
# labelled data than they get, a head start for the baseline. And every seed is scored on the same 120
# test scenes, so the intervals cover what changes with the training draw, not with the test draw;
# with three seeds only differences that are large against how much they vary from seed to seed can
# be measured. (The plots' bars are ± one standard deviation of each arm; the verdicts pair the arms
# seed by seed, so two arms whose bars overlap can still differ measurably when every seed agrees.)
#
# The scores, on the held-out scenes: the **mean IoU** (intersection over union of predicted and true
# pixels, per class, with the pixels of all test scenes pooled, then averaged over the background and
# the five classes, as PASCAL VOC scores it); the **object IoU** (the column `foreground_iou`), the same
# for "object" against background, whatever the class; and for **boxes**, read
# from each predicted mask (the box around its largest object region, with that region's most frequent
# class), the **box IoU** with the true box and the **box accuracy**: the share of scenes whose box
# overlaps the true one by IoU ≥ 0.5 *and* has the right class. In the tables, `a ± b` is the mean over
# the three seeds ± their standard deviation.

# %%
tl.lessons.quiz.for_lesson("20_boxes_and_masks").predictions()

# %%
kept = {}  # the frozen arm's predicted masks on the test scenes, by size, for the first seed: for the figures below


def keep_frozen_predictions(strategy, size, seed, model, test, predicted):
    if strategy == "frozen" and seed == settings["seeds"][0]:
        kept[size], kept["test"] = predicted, test


comparison = tl.lessons.segmentation.compare_segmentation_strategies(seeds=settings["seeds"],
                                                                     on_trained=keep_frozen_predictions)
lesson.record("strategies", comparison)
metrics = ["mean_iou", "foreground_iou", "box_iou", "box_accuracy", "steps"]
sizes = comparison.settings["sizes"]
for size in sizes:
    print(f"--- {size} training scenes ---")
    at_size = comparison.where(size=size)
    print(at_size.summary_table(metrics))
    for first, second in [("frozen", "random"), ("frozen", "background_subtraction"), ("fine_tune", "head_only"),
                          ("fine_tune", "frozen"), ("head_only", "frozen")]:
        if first in at_size.variants and second in at_size.variants:
            print(at_size.verdict(first, second, "mean_iou"))

# %%
tl.report.plots.plot_lines(comparison.rows, x="size", y="mean_iou", group="strategy", log_x=True,
                           xlabel="training scenes", ylabel="held-out mean IoU",
                           title="held-out mean IoU by training scenes (mean ± sd over seeds)")

# %%
tl.report.plots.plot_bars([dict(row, bar=f"{row['size']} scenes\n{row['strategy']}") for row in comparison.rows],
                          x="bar", y="box_accuracy", colour_by="strategy",
                          title="box accuracy (IoU ≥ 0.5 and the right class) by training scenes and strategy "
                                "(mean ± sd over seeds)")

# %% [markdown]
# **Pretrained weights, measurably.** With 20 training scenes the frozen ImageNet encoder's decoder
# scored a mean IoU of 0.260 on the held-out scenes; the same architecture and decoder with random
# weights 0.176. The gain, 0.084, is measurable (paired interval 0.059 to 0.109), and it is large
# where it counts: the random encoder's decoder barely finds objects at all (object IoU 0.109 against
# 0.432; a right box in 0.019 of the scenes against 0.133). At 50 scenes the gain is 0.113 (0.100 to
# 0.125). At 200 scenes the frozen encoder is ahead on average by about as much (0.320 against 0.213),
# but its seeds spread widely (± 0.047), so three seeds leave the interval wide (−0.021 to 0.235): not
# measurable, which is not the same as equal.
#
# **The classic method is a strong baseline.** Background subtraction scores about 0.25 at every
# size (0.250, 0.267, 0.253): the training scenes give it only five colour histograms, for the class,
# and where it finds the object never depends on them (its threshold comes from the validation scenes),
# so its object IoU is 0.427 at every size. The frozen encoder is ahead of it on average at every size,
# more so with more scenes (it scores 0.260, 0.305 and 0.320), but measurably only at 20 scenes, and
# there by little: 0.009 (0.003 to 0.015; the verdict pairs unrounded scores, so it is not quite the
# tables' 0.260 − 0.250), less than a fiftieth of the scale, but positive on every seed. At 50 and 200
# scenes the lead is larger on average and varies more from seed to seed, so three seeds cannot call it
# (−0.012 to 0.088 and −0.034 to 0.168). On boxes, on average, the classic method has the better box IoU
# at every size (0.471 against 0.359, 0.416 and 0.405), while its box accuracy, which also needs the
# right class, is ahead at 20 scenes (0.192 against 0.133) and behind at 200 (0.197 against 0.239). What
# it finds is anything whose colour differs from the texture's, distractors included (the largest such
# region is often a distractor, or the object merged with one); the figure below shows what the network
# gets wrong instead.
#
# **Fine-tuning, with its control.** At 200 scenes, 100 more steps with the whole encoder training
# gave 0.309; the same 100 steps with the encoder frozen gave 0.331. No measurable difference, and the
# interval (−0.049 to 0.006) rules out a gain from adapting the encoder above 0.006, at this budget (the
# printed 0.049 is the largest difference either way; for a gain, the upper end is what counts); on
# average fine-tuning was behind its control, while its box accuracy (0.250) sat between the frozen
# arm's 0.239 and the control's 0.256. The control was ahead of the frozen arm it started from on
# average (0.331 against 0.320), not measurably (−0.028 to 0.048): the decoder may still have had
# something to learn after 200 steps. That is why the control is there: any gain of fine-tuning over
# the frozen arm could otherwise be credited to adapting the encoder when it came from more decoder
# steps.

# %% [markdown]
# ## The best and the worst held-out scenes
#
# The frozen arm's model for 200 scenes of the first seed, the very model the table scored, on the
# test scenes: its four best and four worst scenes by their own mean IoU. (A scene's own mean IoU
# averages only the classes present in it or predicted in it, usually the background and one or two
# classes, so it is not the table's score, which pools all scenes over all six classes.) Top row: the
# truth and the true box (green), the object tinted with its class's colour; bottom row: the prediction
# and the box read from it (dashed red).

# %%
size_shown = max(sizes)
test, predicted = kept["test"], kept[size_shown]
shown_steps = comparison.where(strategy="frozen", size=size_shown).values("frozen", "steps")[0]
per_scene = tl.lessons.segmentation.scene_ious(predicted, test.masks, len(class_names))
order = np.argsort(per_scene)
chosen = np.concatenate([order[::-1][:4], order[:4]])
boxes, _ = tl.lessons.segmentation.boxes_from_masks(predicted[chosen])
print(f"{shown_steps} steps; scene mean IoU: best {per_scene[order[-1]]:.2f}, median {np.median(per_scene):.2f}, "
      f"worst {per_scene[order[0]]:.2f}")
tl.report.plots.plot_masks(test.images[chosen], test.masks[chosen], predicted[chosen], class_names,
                           true_boxes=test.boxes[chosen, 0], predicted_boxes=boxes,
                           titles=[f"{'best' if rank < 4 else 'worst'}: scene mean IoU {per_scene[index]:.2f}"
                                   for rank, index in enumerate(chosen)],
                           title=f"frozen encoder, {size_shown} training scenes, seed {settings['seeds'][0]}: "
                                 "the best four and the worst four held-out scenes")

# %% [markdown]
# ## Why a classification network helps draw masks
#
# * **What the encoder knows.** ImageNet training made the deep maps answer "what is here?" for each
#   region of the image: fur, feathers, petals and fruit skin against metal, rubber and painted signs.
#   That is most of this task: the object and the distractors are all photographs pasted on a texture,
#   and only *what* they are separates them. The random encoder's maps answer nothing of the kind, so its
#   decoder, with the same 129,174 weights and the same 200 steps, learns mostly "background".
# * **Where the edges come from.** The deepest map is 3 × 3 for a 96-pixel scene: it knows what, not
#   precisely where. The skip connections bring in the 24 × 24 map, which still follows edges and
#   colours; the decoder predicts at that resolution and its logits are upsampled 4× to the image, so
#   an outline can follow the object to within about 4 pixels (this lesson does not measure the decoder
#   without its skips). The best scenes above (the best at 0.90) are a large yellow flower, a large apple and two
#   mid-sized pink flowers. In the worst, the decoder paints distractors with classes (the Christmas
#   pudding flower and vegetable, the cricket ball mostly vegetable, the green tennis ball fruit) and
#   misses or misnames the object: the deer beside the cricket ball is left unpainted, the antelope on
#   the tennis ball is painted fruit along with it, and the bird on the pudding and the hen get mammal
#   (the hen flower too). The tints lie over the photographs, so a purple Easter egg or a green ball can
#   look tinted where nothing was painted: compare the two rows.
# * **Finding is easier than naming.** At 200 scenes the frozen arm's object IoU is 0.475 but its mean
#   IoU 0.320. The mean IoU averages six classes, the background among them. The background covers most
#   of every scene, so the pixels the network gets wrong at the objects' outlines are a small part of
#   it and its own IoU stays high; for the mean to be 0.320, the five object classes must then average
#   well below the object IoU: the network often finds the object and gives it the wrong class.
#   Telling a mammal from a bird, from 200 pasted examples, looks like the
#   harder half of the task (the lesson infers this from the two scores; it does not count naming
#   errors separately).
# * **Boxes from masks.** Here a box is read from the predicted mask: the box around its largest object
#   region. A detector would predict boxes directly (a box and class per region, or a heatmap of object
#   centres); with one object per scene, a mask already holds the box, and both scores come from one model.
# * **Fine-tuning: no gain measured, none above 0.006.** In 100 steps of 8 the encoder saw each of the
#   200 scenes four times. Adapting it is what might fix the naming half (its features were made for
#   ImageNet's classes, not for telling a pasted mammal from a distractor), but at this budget it did
#   not, and on average it was behind its control: the interval rules out a gain above 0.006. More
#   scenes or more steps might change that; this run measured only this budget.
#
# The same recipe, a pretrained encoder and a new decoder, is where segmentation in medicine and driving
# usually starts (U-Net with an ImageNet encoder, or a larger pretrained model), with many more
# labelled pixels than 200 scenes hold.
#
# **On real photographs, online.** Where there is network (Colab), the same comparison runs on the
# Oxford-IIIT pets (Parkhi et al. 2012; CC BY-SA 4.0): photographs of cats and dogs with hand-drawn
# masks, in two classes, cat and dog. tfds downloads about 800 MB at first use; the validation scenes
# are a tenth of its training split, held apart. This course runs offline, so this lesson stores no
# result of it:
#
# ```python
# pets = tl.lessons.segmentation.compare_segmentation_strategies(dataset="oxford_iiit_pet",
#                                                                seeds=settings["seeds"])
# print(pets.summary_table(["mean_iou", "foreground_iou", "box_accuracy", "steps"]))
# ```
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("20_boxes_and_masks")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# Boxes here are read from masks. Write `mask_to_box(mask)`: given one (height, width) mask, return the
# tight box `x1, y1, x2, y2` of its non-zero pixels, with `x` the column, `y` the row, and `x2`, `y2` one
# past the last object pixel (the convention of `tl.data.scenes`). Then check it. (Hint: `np.nonzero`.
# The lesson's `boxes_from_masks` first keeps the largest connected region, so that a stray painted
# distractor does not stretch the box; here, box every non-zero pixel.)

# %%
def mask_to_box(mask):
    return None  # your code here


tl.lessons.exercises.check_mask_to_box(mask_to_box);

# %%
lesson.finish();
