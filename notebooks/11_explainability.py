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
#   the map to weight each channel, and sums the weighted channels: a coarse heatmap, as fine as that
#   feature map (7 × 7 for a 224-pixel image here).
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
                              titles)

# %% [markdown]
# The cat's evidence sits on its face, the espresso's on the cup. The other two are wrong, and
# instructive: the astronaut is called a *bobsled*, with the evidence on the helmet and suit (bobsledders
# wear both), and the rocket is called a *drilling platform*, with the evidence on the tower and gantry.
# A heatmap on the right object does not make the class right: Grad-CAM shows *where* the chosen
# class's gradient flows in the last feature map, not *what* the network saw there, and it is only as
# fine as that 7 × 7 map.
#
# ## Fine-tuning every layer, three seeds
#
# To see which layers change, every layer must be allowed to: we train the head, then unfreeze the
# whole base (BatchNorm stays frozen) and fine-tune for two epochs at 1e-4. Three seeds, each on its own
# 50 images per class; every seed is compared with the same pretrained network on the same 200 test
# images.

# %%
tl.lessons.quiz.for_lesson("11_explainability").predictions()

# %%
train, validation, test, info = tl.data.load_dataset(
    image_size=settings["image_size"], samples_per_class=settings["samples_per_class"],
    test_samples_per_class=settings["test_samples_per_class"], pipeline="arrays")
test_images, test_labels = test
pretrained = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
similarity = tl.report.results.Comparison("depth", settings={"epochs": 2, "learning_rate": 1e-4})
for seed in settings["seeds"]:
    seed_train, seed_validation, _, _ = tl.data.load_dataset(
        image_size=info.image_size, samples_per_class=50 if not quick else 8, seed=seed,
        test_samples_per_class=settings["test_samples_per_class"], pipeline="arrays")
    model = tl.lessons.experiments.reset_or_build_model("EfficientNetLite0", info.num_classes, seed=seed,
                                                        image_size=info.image_size)
    history = tl.training.train_head(model, seed_train, seed_validation, epochs=settings["head_epochs"],
                                     progress=False)
    history = tl.training.fine_tune(model, seed_train, seed_validation, epochs=2 if not quick else 1,
                                    unfreeze_from=None, learning_rate=1e-4, schedule="constant", history=history,
                                    progress=False)
    for row in tl.lessons.explain.layer_similarity(pretrained, model, test_images[:200]):
        similarity.add(row["depth"], seed, layer=row["layer"], cka=row["cka"])
    print(f"seed {seed}: fine-tuned test accuracy {tl.training.evaluate(model, test)['accuracy']:.3f}")
lesson.record("similarity", similarity)
layers = {row["depth"]: row["layer"] for row in similarity.rows}
print(tl.report.results.format_table([{"depth": depth, "layer": layers[depth], "cka": str(row["cka"])}
                                      for depth, row in zip(similarity.variants, similarity.summary(["cka"]))]))

# %%
deepest = max(similarity.variants)
print(similarity.verdict(deepest - 1, deepest, "cka"))
tl.report.plots.plot_lines(similarity.rows, x="depth", y="cka",
                           title="pretrained vs fine-tuned, linear CKA by depth (mean ± sd over seeds)")

# %% [markdown]
# The measured profile matches the textbook claim, with a twist in scale. Down to depth 6 the fine-tuned
# layers represent the test images as the pretrained ones did (the table rounds them to 1.000 on every
# seed); from depth 7 the similarity falls (0.999, 0.999, 0.994, 0.985), and the last two layers
# changed most: 0.950 at depth 11 and 0.954 at depth 12. Which of those two changed more is *not*
# settled: the verdict above finds no measurable difference between them, and their spreads over
# seeds (± 0.018 and ± 0.014) are larger than the gap.
#
# Two cautions on reading this curve:
#
# * **CKA at a depth carries every change below it.** The representation at depth 11 is computed by
#   all the layers up to it, so its drop includes the small changes of depths 8 to 10; the curve shows
#   where the representation differs, not which layer's weights moved. Notebook 03 measures the
#   weights themselves.
# * **Why the early layers barely move is not the textbook's reason here.** With plain gradient
#   descent, the gradient that reaches an early layer has passed back through every layer above and
#   is often small. But the whole base was unfrozen and trained with Adam, which rescales each
#   weight's step by its own gradient history, so the early layers took steps of about the same size
#   as the late ones. That their representations still barely changed fits the usual reading (edges,
#   colour blobs and textures already serve Fashion-MNIST, so the steps have no consistent direction
#   to go), while the late layers compute ImageNet-specific combinations (fur, wheels, faces) that the
#   new task does not need. This lesson measured the representations, not that reading.
#
# The overall change is small: two epochs at 1e-4 on 500 images leave every depth's mean CKA at
# 0.950 or above. That is one short, gentle run; a longer one, or a higher rate, moves the top further
# (notebook 06 measures how far the weights travel under a fuller budget).
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
# Two dimensions keep only the largest directions of variation, so the picture is a hint, not a measure:
# the classes that overlap here (the tops: T-shirt, pullover, coat, shirt) are the ones the per-class
# recall of notebook 05 found hardest.
#
# ## Grad-CAM on the fine-tuned model
#
# The same tool works on any model built by `build_transfer_model`. At 96 pixels the last feature map is
# only 3 × 3, so each heatmap is nine numbers smoothed over the image: some of the heat lands on the
# background, and no part of a garment can be singled out. Grad-CAM's resolution is the feature map's,
# not the image's; to see finer evidence, use a larger input or an earlier layer.

# %%
examples = [int(np.flatnonzero(test_labels == label)[0]) for label in range(0, 10, 2)]
predicted = np.argmax(model.predict(test_images[examples], verbose=0), axis=-1)
tl.report.plots.plot_heatmaps(test_images[examples],
                              [tl.lessons.explain.grad_cam(model, test_images[index]) for index in examples],
                              [f"{info.class_names[test_labels[i]]} → {info.class_names[p]}"
                               for i, p in zip(examples, predicted)])

# %% [markdown]
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
