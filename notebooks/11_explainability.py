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
# # 11 · Explainability: what the network looks at, and what fine-tuning changes
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/11_explainability.ipynb)
#
# Accuracy says how often a model is right, not why. Three tools open the box a little:
#
# * **Grad-CAM** (Selvaraju et al. 2017) asks which regions of an image drove a class score. It takes
#   the gradient of that score with respect to the last convolutional feature map, averages it over
#   the map to weight each channel, sums the weighted channels and keeps the positive part: a coarse
#   heatmap, as fine as that feature map (7 × 7 for a 224-pixel image here).
# * **2-D embeddings** of the pooled features (PCA here) show whether the classes form separate
#   groups, before and after fine-tuning.
# * **Linear CKA** (centred kernel alignment; Kornblith et al. 2019) compares two networks layer by
#   layer: it is 1 when a layer represents the same images the same way in both (up to rotation and
#   scale), and falls towards 0 as the representations diverge. Comparing each layer of a fine-tuned
#   network with the same layer of the pretrained one shows *where* fine-tuning changed the network.
#
# The last one tests a claim every transfer-learning course makes (Yosinski et al. 2014): early layers
# compute general features and barely need to change, late layers are task-specific and change most.
# Here it is measured, over three seeds.

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"

# %%
# %matplotlib inline
import numpy as np

import tltutor as tl

lesson = tl.report.lesson.Lesson("11_explainability")
settings = tl.runtime.profile.defaults()
quick = tl.runtime.profile.is_quick()
print("profile:", "quick" if quick else "full", settings)

# %% [markdown]
# ## Grad-CAM with the real ImageNet head
#
# EfficientNet-Lite0 with its 1000-class ImageNet head, on photos it has never seen. Each title is the
# network's top class; the heatmap shows where the evidence for it came from.

# %%
from skimage import data as photos

imagenet = tl.lessons.explain.imagenet_model(224)
pictures = [tl.imagenet.resize_array(picture, 224) for picture in (photos.chelsea(), photos.coffee(),
                                                                   photos.astronaut(), photos.rocket())]
names = tl.imagenet.class_names()
titles = [names[int(np.argmax(imagenet.predict(picture[None], verbose=0)[0]))] for picture in pictures]
lesson.record("imagenet_top_classes", titles)
tl.report.plots.plot_heatmaps(pictures, [tl.lessons.explain.grad_cam(imagenet, picture) for picture in pictures],
                              [f"{title}\n(last map, 7 × 7)" for title in titles])

# %% [markdown]
# The same class scores, their gradients taken at an earlier feature map: the output of `block10_`,
# 14 × 14 at 224 pixels (four times as many cells), where the features are still fairly general.

# %%
tl.report.plots.plot_heatmaps(pictures, [tl.lessons.explain.grad_cam(imagenet, picture, layer_name="block10_add")
                                         for picture in pictures],
                              [f"{title}\n(block10_, 14 × 14)" for title in titles])

# %% [markdown]
# In the first figure, the cat's evidence sits on its face, the espresso's on the cup. The other two are
# wrong, and instructive: the astronaut is called a *bobsled*, with the evidence on the helmet and suit
# (bobsledders wear both), and the rocket is called a *drilling platform*, with the evidence on the tower
# and gantry. A heatmap on the right object does not make the class right: Grad-CAM shows *where*
# channels that raise the chosen class's score are active, not *what* the network saw there.
#
# The second figure has twice the detail per side (four times as many cells), and is worse. At `block10_`
# the heat breaks into scattered spots: the cat's eye, the picture's borders, little of the cup or the
# helmet, and most cells at 0 (Grad-CAM's own final ReLU keeps only positive evidence). The last map is special: it
# feeds global average pooling and then the dense head, so the score's gradient is the same at every
# cell, and Grad-CAM there is exactly each cell's share of the score (the class activation map of Zhou
# et al. 2016). At `block10_`, five more blocks and the top convolution lie between the map and the score, and a
# gradient averaged over the map is only a rough summary of what each channel contributes. The spots on
# the borders may come from zero padding, which marks the picture's edges for every convolution. Read
# the colour bar as "relative to this image's strongest cell": each map is scaled so that its maximum
# is 1.
#
# ## Fine-tuning every layer, three seeds
#
# To see which layers change, every layer must be allowed to, for long enough to move. Each seed fits
# the head to convergence on its own 50 images per class (a logistic regression on the frozen base's
# pooled features, as in notebook 06), then unfreezes the whole base (BatchNorm stays frozen) and
# fine-tunes it with the library's defaults, the rate and schedule lesson 03 chose: a peak rate of 1e-3,
# warmed up over the first tenth of the steps and decayed to zero, for a fixed 6 epochs in batches of 32 images,
# 96 optimizer steps (no early stopping: the budget is the same on every seed). Every seed is compared
# with the same pretrained network on the same 200 test images.
#
# One CKA curve needs a yardstick: how different are two fine-tuned networks *from each other*? Each
# pair of seeds (different training images, different head starts) is compared the same way, layer
# by layer. If fine-tuning moved a layer the same way on every seed, two fine-tuned runs are closer to
# each other than either is to the pretrained network; if it only added run-to-run noise, they are not.

# %%
tl.lessons.quiz.for_lesson("11_explainability").predictions()

# %%
train, validation, test, info = tl.data.load_dataset(
    image_size=settings["image_size"], samples_per_class=settings["samples_per_class"],
    test_samples_per_class=settings["test_samples_per_class"], pipeline="arrays")
test_images, test_labels = test
probe_images = test_images[:200]
pretrained = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
epochs = 6 if not quick else 1
similarity = tl.report.results.Comparison("networks", settings={"fine_tune_epochs": epochs, "batch_size": 32})
travel = tl.report.results.Comparison("block")
fine_tuned_weights, accuracies = {}, []
for seed in settings["seeds"]:
    seed_train, seed_validation, _, _ = tl.data.load_dataset(
        image_size=info.image_size, samples_per_class=50 if not quick else 8, seed=seed,
        test_samples_per_class=settings["test_samples_per_class"], pipeline="arrays")
    model = tl.lessons.experiments.reset_or_build_model("EfficientNetLite0", info.num_classes, seed=seed,
                                                        image_size=info.image_size)
    tl.lessons.experiments.fit_head_by_logistic_regression(model, seed_train, seed=seed)
    head_accuracy = tl.training.evaluate(model, test)["accuracy"]
    history = tl.training.fine_tune(model, seed_train, seed_validation, epochs=epochs, unfreeze_from=None,
                                    early_stopping_patience=None, progress=False)
    steps = history.steps
    for row in tl.lessons.explain.layer_similarity(pretrained, model, probe_images):
        similarity.add("pretrained vs fine-tuned", seed, depth=row["depth"], layer=row["layer"], cka=row["cka"],
                       steps=steps)
    for row in tl.lessons.explain.weight_change_by_block(pretrained, model):
        travel.add(row["block"], seed, order=row["order"], change_percent=row["change_percent"])
    fine_tuned_weights[seed] = model.get_weights()
    accuracies.append({"seed": seed, "head": round(head_accuracy, 4),
                       "fine_tuned": round(tl.training.evaluate(model, test)["accuracy"], 4), "steps": steps})
    print(f"seed {seed}: {steps} fine-tuning steps; test accuracy {head_accuracy:.3f} with the head alone, "
          f"{accuracies[-1]['fine_tuned']:.3f} fine-tuned")
other = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
seeds = list(fine_tuned_weights)
for first, second in zip(seeds, seeds[1:] + seeds[:1]) if len(seeds) > 1 else ():
    model.set_weights(fine_tuned_weights[first])
    other.set_weights(fine_tuned_weights[second])
    for row in tl.lessons.explain.layer_similarity(model, other, probe_images):
        similarity.add("two fine-tuned runs", first, depth=row["depth"], layer=row["layer"], cka=row["cka"],
                       paired_with=second)
model.set_weights(fine_tuned_weights[seeds[-1]])  # the last seed's network, for the sections below
lesson.record("similarity", similarity)
lesson.record("test_accuracy", accuracies)
lesson.record("weight_change", travel)
layers = {row["depth"]: row["layer"] for row in similarity.rows}
print(tl.report.results.format_table([
    {"depth": depth, "layer": layers[depth]} | {
        name: str(similarity.where(depth=depth).summary(["cka"])[index]["cka"])
        for index, name in enumerate(similarity.where(depth=depth).variants)}
    for depth in sorted(layers)]))

# %%
if len(seeds) > 1:
    for depth in sorted(layers):
        print(f"depth {depth:2d}:", similarity.where(depth=depth).verdict(
            "two fine-tuned runs", "pretrained vs fine-tuned", "cka"))
tl.report.plots.plot_lines(similarity.rows, x="depth", y="cka", group="networks",
                           title="linear CKA by depth (mean ± sd over seeds or pairs of seeds)")

# %% [markdown]
# **Fine-tuning changed the top of the network most.** Down to depth 7 the fine-tuned layers represent the
# test images almost as the pretrained ones did (mean CKA 0.985 or above); from depth 8 the similarity
# falls, to 0.936 at depth 9, 0.884 at depth 10, 0.738 at depth 11 and 0.775 at the top. The budget let
# the base move: test accuracy rose from 0.769, 0.790 and 0.799 with the converged head alone to 0.826,
# 0.798 and 0.848 fine-tuned (on the second seed by little, within what 1,000 test images can resolve)
# (without notebook 06's control, the head trained on for the same steps, not
# all of that gain can be credited to the base).
#
# The second curve is the yardstick. Had fine-tuning's change been run-to-run noise, two fine-tuned
# runs would sit further from each other than either from the pretrained network. At depths 10 and 12
# they are measurably closer to each other (at the top, 0.882 against 0.775; interval 0.053 to 0.162):
# there the runs moved the network in a consistent direction, shared by what they have in common, the
# task, the clothing images and the recipe. Depth 11, a projection inside the second-to-last block,
# leans the other way: the runs differ from each other (0.697) more than from the pretrained network
# (0.738), though not measurably (−0.219 to 0.137), so there part of each run's change looks like its
# own. Below depth 10 the two curves cannot be told apart, which does not make the change there noise:
# two runs end closer to each other only when the change they share outweighs each run's own.
#
# Read these verdicts with two reservations. The three pairs reuse the same three networks, so they are
# not independent samples, and the intervals are somewhat too narrow. And three seeds lack the power to
# separate small differences: "cannot be told apart" is not "equal".
#
# **CKA at a depth carries every change below it.** The representation at depth 11 is computed by all
# the layers up to it, so it carries the changes of depths 1 to 10, though a later layer can also
# discard some of them (the curve rises from depth 6 to 7 and from 11 to 12; depth 11 is a raw
# convolution's output, depth 12 comes after BatchNorm and the activation). The curve shows where the
# representation differs, not which layer's weights moved. The next section measures the weights.
#
# ## How far each block's weights moved
#
# For each block of the base (the stem, `block00_` to `block15_`, and the top convolution), the distance
# the weights travelled in fine-tuning, as a share of their size: `100 × ‖w − w₀‖ / ‖w₀‖`, BatchNorm left
# out (it stays frozen).

# %%
print(travel.summary_table(["change_percent"]))
tl.report.plots.plot_lines(travel.rows, x="order", y="change_percent", log_y=True,
                           title="weight change by block, input (1) to top (18), mean ± sd over seeds",
                           ylabel="100 × ‖w − w₀‖ / ‖w₀‖")

# %% [markdown]
# **Relative to their size, the early blocks barely moved; the late ones moved ten to twenty times as
# far.** The stem's weights
# travelled 0.395 % of their size and `block00_`'s 0.585 %, while every block from `block12_` up moved
# 6 to 9 % (8.490 % at `block12_`, 8.111 % at the top). The rise is not smooth: the first block of each
# stage, the one that changes the feature map's width and has no skip connection around it (`block01_`, `block03_`,
# `block05_`, `block08_`, `block11_`, `block15_`), moved less than the block after it.
#
# Read these percentages with care: they divide by each block's weight size, and the sizes differ a
# lot. In the pretrained network the stem's and `block00_`'s weights are about ten times larger than
# the top blocks' (their root mean square, read from the weights file; the lesson does not print it),
# and each stage's first block has larger weights than the block after it. The whole base trained
# with Adam, which divides each weight's step by the size of its recent gradients, so every weight
# takes steps of a similar absolute size whatever its own size. Much of this curve, the dips at the
# stage starts included, is therefore the weights' sizes, not how much each block adapted: in absolute
# terms the blocks moved within a factor of about two of each other. The CKA curve above is the better
# evidence of where fine-tuning changed what the network computes: the late layers' representations
# changed, the early ones' hardly did, which fits the usual reading that the early blocks compute edges,
# colour blobs and textures that already serve Fashion-MNIST.
#
# ## Embeddings before and after fine-tuning
#
# The pooled features of the test images, projected to two dimensions with PCA: from the pretrained
# base, and from the last seed's fine-tuned base.

# %%
before, _ = tl.features.pooled_features(pretrained, test)
after, _ = tl.features.pooled_features(model, test)
tl.report.plots.plot_embeddings([tl.lessons.explain.embed_2d(before), tl.lessons.explain.embed_2d(after)],
                                test_labels, info.class_names, ["pretrained features (PCA)",
                                                                "fine-tuned features (PCA)"])

# %% [markdown]
# In the fine-tuned panel the classes are more apart (each panel is its own PCA, so compare the
# arrangement, not the scales): trousers, bags and sandals form groups of their own, sneakers and ankle
# boots one shared group, while the tops (T-shirt, pullover, coat, shirt) and dresses still overlap. Two dimensions
# keep only the largest directions of variation, so the picture is a hint, not a measure.
#
# ## Grad-CAM on the fine-tuned model
#
# The same tool works on any model built by `build_transfer_model`. At 96 pixels the last feature map is
# only 3 × 3, so each heatmap is nine numbers smoothed over the image. The output of `block10_` is 6 × 6
# at this size: the second figure asks the same question of it.

# %%
examples = [int(np.flatnonzero(test_labels == label)[0]) for label in range(0, 10, 2)]
predicted = np.argmax(model.predict(test_images[examples], verbose=0), axis=-1)
captions = [f"{info.class_names[test_labels[i]]} → {info.class_names[p]}" for i, p in zip(examples, predicted)]
tl.report.plots.plot_heatmaps(test_images[examples], [tl.lessons.explain.grad_cam(model, test_images[index])
                                                      for index in examples],
                              [f"{caption}\n(last map, 3 × 3)" for caption in captions])

# %%
tl.report.plots.plot_heatmaps(test_images[examples],
                              [tl.lessons.explain.grad_cam(model, test_images[index], layer_name="block10_add")
                               for index in examples], [f"{caption}\n(block10_, 6 × 6)" for caption in captions])

# %% [markdown]
# At 3 × 3 the heat covers most of each image, background included: nine numbers cannot say more than
# "the evidence is somewhere in this half". At 6 × 6 the maps have more structure, but are not cleaner.
# The T-shirt's heat lies on its chest and shoulders, the pullover's on its lower front, the coat's along
# both sides; but the shirt's strongest heat is on the empty background at the borders, and the bag's on
# its bottom edge and the background below it. Each image is one garment centred on black, so heat near
# the middle looks plausible whatever it means; heat on the empty background is the sign to distrust
# (zero padding at the borders again, perhaps). Five images are anecdotes. A heatmap suggests where to
# look; a measurement, such as hiding the highlighted region and scoring the images again, is what would
# test it.
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("11_explainability")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# Predict without running anything: had we unfrozen only the blocks from `block11_` up (depths 9 and
# above here), what would linear CKA between the pretrained and the fine-tuned network be at depth 3?
# Answer with a number, then say why.

# %%
answer = None
tl.lessons.exercises.check_frozen_layer_similarity(answer);

# %%
lesson.finish();
