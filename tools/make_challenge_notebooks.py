"""Write the challenge notebooks (sources only); run them with tools/run_notebooks.py to store outputs."""

import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from make_best_practice_notebooks import LOAD_DATA  # noqa: E402
from notebook_cells import NotebookWriter  # noqa: E402


def small_data_and_overfitting():
    notebook = NotebookWriter("07_small_data_and_overfitting")
    notebook.header("07 · Small data and overfitting", """
With a few images per class, a network can memorise the training set and learn little that
carries over to new images: **overfitting**. Transfer learning is the first defence, because the
pretrained base already knows what to look for. This notebook measures how much it helps at each
training-set size, then measures the four classic remedies one at a time.
""")
    notebook.md("""
## Learning curves: how much does transfer help, and when?

The same three strategies at several training-set sizes, all tested on the same test images:
training from scratch (same architecture, random weights), feature extraction (frozen base,
new head) and fine-tuning (then the top blocks at a 10× lower rate).
""")
    notebook.code("""
sizes = (5, 20, 100, 400) if not tl.profile.is_quick() else (4, 16)
curves = tl.experiments.data_size_grid(sizes, image_size=64, head_epochs=settings["head_epochs"],
                                       fine_tune_epochs=settings["fine_tune_epochs"],
                                       scratch_epochs=settings["scratch_epochs"],
                                       test_samples_per_class=settings["test_samples_per_class"], progress=None)
print(tl.results.format_table(curves, ["samples_per_class", "strategy", "test_accuracy", "gain_over_scratch",
                                       "wall_seconds"]))
tl.plots.plot_lines(curves, x="samples_per_class", y="test_accuracy", group="strategy", log_x=True,
                    title="test accuracy against images per class (64 px)");
""")
    notebook.md("""
Read the gap between the scratch line and the two transfer lines: it is widest on the left, where
data is scarce. With enough data, training from scratch catches up; with little, it cannot.
""")
    notebook.md("""
## Four remedies, measured one at a time

Now take a small training set, 20 images per class, and train the head together with the top
blocks of the base for many epochs: a recipe that overfits. Then switch on one remedy at a time
(`tl.overfitting.REMEDIES`):

* **augmentation**: random flips, rotations, zooms and shifts, as layers inside the model, active
  only in training;
* **dropout** (0.5) before the new head;
* **weight decay** (AdamW, 0.1);
* **early stopping** on the validation loss, restoring the best weights;
* **all** four together.

`gap` is training accuracy minus test accuracy: the size of the memorisation.
""")
    notebook.code("""
# NBVAL_CHECK_OUTPUT
print(tl.overfitting.REMEDIES)
""")
    notebook.code("""
small_train, small_validation, small_test, small_info = tl.data.load_dataset(
    image_size=settings["image_size"], samples_per_class=20 if not tl.profile.is_quick() else 8,
    validation_split=0.5, test_samples_per_class=settings["test_samples_per_class"])
remedies = tl.overfitting.REMEDIES if not tl.profile.is_quick() else ("none", "dropout", "all")
comparison = tl.overfitting.compare_remedies(
    small_train, small_validation, small_test, remedies=remedies, num_classes=small_info.num_classes,
    image_size=small_info.image_size, epochs=30 if not tl.profile.is_quick() else 2, progress=None)
print(f"{small_info.train_count} training, {small_info.validation_count} validation images")
print(comparison.table())
tl.plots.plot_bars(comparison.rows, x="remedy", y="test_accuracy", title="test accuracy with each remedy");
""")
    notebook.code("""
tl.plots.plot_lines([{"epoch": record["epoch"], "remedy": remedy, "val_loss": record["val_loss"]}
                     for remedy, history in comparison.histories.items() for record in history.records],
                    x="epoch", y="val_loss", group="remedy", title="validation loss during training");
""")
    notebook.md("""
What the stored full run measured: at 5 and 20 images per class scratch stayed at chance (0.10)
while feature extraction reached 0.62 and 0.67; at 400 per class scratch caught up (0.817 against
0.825). Every remedy trained for 30 epochs still memorised the 200 images (training accuracy 1.0);
augmentation helped most on its own (test 0.790 against 0.765), early stopping stopped at epoch 11
with the same accuracy, and all four together narrowed the gap most (0.17) but cost accuracy
(0.733): too much regularisation for 12 epochs.
""")
    notebook.md("""
## Exercises

1. Which single remedy (not `none`, not `all`) gave the best test accuracy? Answer with its name.
2. At which training-set size did feature extraction beat training from scratch by the most?
""")
    notebook.code("""
answer = None
tl.exercises.check_best_single_remedy(comparison.rows, answer);
""")
    notebook.code("""
answer = None
tl.exercises.check_largest_gain_over_scratch(curves, answer);
""")
    notebook.write()


def negative_transfer_and_domain_shift():
    notebook = NotebookWriter("08_negative_transfer_and_domain_shift")
    notebook.header("08 · Negative transfer and domain shift", '''
Transfer can hurt. A source whose features do not fit the target can do worse than a simple model
trained on the target alone: **negative transfer**. And a model that fits its target well can
still fail when the images it meets later differ from those it learned on: **domain shift**.
This notebook measures both, then two remedies for shift.
''')
    notebook.code(LOAD_DATA)
    notebook.md('''
## Negative transfer, measured

The simplest baseline is logistic regression on the raw pixels. A transfer model has to beat it.
We compare frozen features from two real sources: ImageNet photos (EfficientNet-Lite0) and
handwritten digits (DigitsCNN).
''')
    notebook.code('''
pixel_accuracy = tl.selection.pixel_baseline(train, test)
probes = tl.selection.compare_backbones(
    [("EfficientNetLite0", "imagenet"), ("DigitsCNN", "digits")], train, validation, test,
    num_classes=info.num_classes, image_size=info.image_size, epochs=settings["head_epochs"], progress=None)
rows = [{"model": "raw pixels + logistic regression", "test_accuracy": round(pixel_accuracy, 4), "transfer": "-"}]
rows += [{"model": probe["candidate"], "test_accuracy": probe["probe_test_accuracy"],
          "transfer": tl.diagnostics.transfer_verdict(probe["probe_test_accuracy"], pixel_accuracy)}
         for probe in probes]
print(tl.results.format_table(rows))
''')
    notebook.md('''
A verdict of `negative` means the pretrained features did worse than the pixels themselves: the
source taught the network to look for the wrong things. Fine-tuning can recover some of it, but
the check is the point: without the baseline, nobody would know.
''')
    notebook.md('''
## Domain shift, measured

Train on clean images, then test on copies of the test set changed in one way each
(`tl.shift.shift_images`): sensor noise, blur, lower contrast, partly inverted polarity, rotation.
''')
    notebook.code('''
model = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
history = tl.training.train_head(model, train, validation, epochs=settings["head_epochs"])
history = tl.training.fine_tune(model, train, validation, epochs=settings["fine_tune_epochs"],
                                unfreeze_from="block11_", history=history)
shift_rows = tl.shift.shift_report(model, test, severities=(3,))
print(tl.results.format_table(shift_rows))
tl.plots.plot_bars(shift_rows, x="shift", y="accuracy", title="test accuracy under each shift (severity 3)");
''')
    notebook.md('''
## Two remedies

Suppose the deployed images are noisy. Two remedies need very different things:

* **AdaBN** needs only unlabelled target images: it re-estimates the base's BatchNorm statistics
  on them (`tl.shift.adapt_batchnorm`). No training, no labels.
* **Fine-tuning on a few labelled target images**: here the validation images with the same noise.

Each starts from the same trained model; the shifted test set is never used for adapting.
''')
    notebook.code('''
from tltutor.data import batches

test_images, test_labels = batches.to_numpy(test)
validation_images, validation_labels = batches.to_numpy(validation)
noisy_test = tl.shift.shift_images(test_images, "noise", 3, seed=1)
noisy_validation = tl.shift.shift_images(validation_images, "noise", 3, seed=2)
trained = model.get_weights()


def noisy_accuracy():
    return tl.training.evaluate(model, (noisy_test, test_labels))["accuracy"]


def few_labelled_fine_tuning():
    tl.training.fine_tune(model, (noisy_validation, validation_labels), None, epochs=settings["fine_tune_epochs"],
                          unfreeze_from="block11_", early_stopping_patience=None)


remedy_rows = [{"remedy": "none", "noisy_test_accuracy": noisy_accuracy()}]
tl.shift.adapt_batchnorm(model, noisy_validation)
remedy_rows.append({"remedy": "AdaBN (unlabelled)", "noisy_test_accuracy": noisy_accuracy()})
model.set_weights(trained)
few_labelled_fine_tuning()
remedy_rows.append({"remedy": f"fine-tune on {len(validation_labels)} labelled", "noisy_test_accuracy": noisy_accuracy()})
model.set_weights(trained)
tl.shift.adapt_batchnorm(model, noisy_validation)
few_labelled_fine_tuning()
remedy_rows.append({"remedy": "AdaBN, then fine-tune", "noisy_test_accuracy": noisy_accuracy()})
model.set_weights(trained)
clean = tl.training.evaluate(model, test)["accuracy"]
print(f"clean test accuracy {clean:.3f}")
print(tl.results.format_table(remedy_rows))
tl.plots.plot_bars(remedy_rows, x="remedy", y="noisy_test_accuracy", title="noisy test images (severity 3)");
''')
    notebook.md('''
What the stored full run measured: noise cost 0.16 (0.794 → 0.633). Fine-tuning on the 200
labelled noisy images won most of it back (0.757). AdaBN made things much worse (0.285), and
running it before the fine-tuning hurt that too (0.598). The next section shows why.
''')
    notebook.md('''
## AdaBN when its assumption holds

AdaBN assumes the BatchNorm statistics describe the training domain, so that swapping them for
the target's statistics undoes the shift. A pretrained base carries ImageNet's statistics instead,
and its head learned to read features normalised that way. Here is a model that meets the
assumption: its BatchNorm statistics are set on the clean training images *before* the head is
trained, then it is trained exactly as before.
''')
    notebook.code('''
train_images, _ = batches.to_numpy(train)
matched = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
tl.shift.adapt_batchnorm(matched, train_images)
matched_history = tl.training.train_head(matched, train, validation, epochs=settings["head_epochs"])
tl.training.fine_tune(matched, train, validation, epochs=settings["fine_tune_epochs"], unfreeze_from="block11_",
                      history=matched_history)
adabn_rows = []
for name, candidate, weights in (("ImageNet statistics", model, trained),
                                 ("clean training-image statistics", matched, matched.get_weights())):
    candidate.set_weights(weights)
    row = {"batchnorm_statistics": name,
           "clean": tl.training.evaluate(candidate, (test_images, test_labels))["accuracy"],
           "noisy": tl.training.evaluate(candidate, (noisy_test, test_labels))["accuracy"]}
    tl.shift.adapt_batchnorm(candidate, noisy_validation)
    row["noisy_after_adabn"] = tl.training.evaluate(candidate, (noisy_test, test_labels))["accuracy"]
    candidate.set_weights(weights)
    adabn_rows.append(row)
print(tl.results.format_table(adabn_rows))
''')
    notebook.md('''
What the stored full run measured: the model that meets the assumption is worse on clean images
(0.746 against 0.794) and collapses on noisy ones (0.101), because its statistics describe clean
Fashion-MNIST only. For that model AdaBN does what it promises: noisy accuracy rises from 0.101
to 0.538 without a single label. The ImageNet statistics, gathered over a million varied photos,
were the more robust choice here (0.633 with no adaptation at all).

The lesson is general: check a remedy's assumption before you apply it, and measure.
''')
    notebook.switch_backbone_note()
    notebook.exercise('''
Which shift cost the most accuracy? Answer with its name, e.g. `"noise"`.
''', "tl.exercises.check_largest_shift_drop(shift_rows, answer)")
    notebook.write()


def imbalanced_data():
    notebook = NotebookWriter("09_imbalanced_data")
    notebook.header("09 · Imbalanced data", '''
Real datasets are rarely balanced: a few classes have most of the images. A model trained on
them learns that predicting the large classes pays, and plain accuracy hides the cost. This
notebook builds a realistically long-tailed version of the target, measures the damage with the
right metrics, and compares five remedies.
''')
    notebook.code('''
from tltutor.data import batches

source = tl.data.sources.embedded_fashion_mnist()
ratio = 10 if tl.profile.is_quick() else 20
largest = 40 if tl.profile.is_quick() else 300
images, labels = tl.imbalance.make_imbalanced(source.x_pool, source.y_pool, ratio=ratio, largest=largest, seed=0)
train_images = batches.resize_images(images, settings["image_size"])
test_count = settings["test_samples_per_class"] or 100
keep = np.concatenate([np.flatnonzero(source.y_test == label)[:test_count] for label in range(10)])
test_images = batches.resize_images(source.x_test[keep], settings["image_size"])
test_labels = source.y_test[keep].astype(np.int32)
counts = tl.imbalance.class_counts(labels, 10)
print(f"{len(labels)} training images, largest class {counts.max()}, smallest {counts.min()} "
      f"(ratio {counts.max() / counts.min():.0f}); test: {test_count} per class")
tl.plots.plot_bars([{"class": name, "images": int(count)} for name, count in zip(source.class_names, counts)],
                   x="class", y="images", title="training images per class");
''')
    notebook.md('''
## What plain training does

Train the head as usual, then look past the accuracy: per-class recall and the confusion matrix.
Balanced accuracy (the mean of the per-class recalls) counts every class equally.
''')
    notebook.code('''
model = tl.models.build_transfer_model("EfficientNetLite0", 10, image_size=settings["image_size"])
tl.training.train_head(model, (train_images, labels), None, epochs=settings["head_epochs"], early_stopping_patience=None)
true, predicted = tl.diagnostics.predict_labels(model, (test_images, test_labels))
print(f"accuracy {np.mean(true == predicted):.3f}, balanced accuracy "
      f"{tl.diagnostics.balanced_accuracy(true, predicted, 10):.3f}")
print(tl.results.format_table(tl.diagnostics.per_class_report(true, predicted, source.class_names)[:4]))
tl.plots.plot_confusion_matrix(true, predicted, source.class_names, title="no remedy");
''')
    notebook.md('''
Here the test set is balanced, so accuracy and balanced accuracy agree; on a test set as skewed
as the training set, accuracy would look better than the model is. The recall of the rare
classes is what suffers.

## Five remedies, one frozen base

`tl.imbalance.compare_remedies` trains the same head once per remedy on cached features:
class weights in the loss, oversampling the rare classes, undersampling the large ones, focal
loss, and post-hoc logit adjustment (subtract the log of each class's training share).
''')
    notebook.code('''
remedy_rows = tl.imbalance.compare_remedies(model, (train_images, labels), (test_images, test_labels),
                                            epochs=settings["head_epochs"])
print(tl.results.format_table(remedy_rows))
tl.plots.plot_bars(remedy_rows, x="remedy", y="rarest_3_recall", title="recall of the three rarest classes");
''')
    notebook.md('''
Read the rarest-class recall and the balanced accuracy together: a remedy that lifts the rare
classes by sacrificing the common ones shows a rise in the first and little change in the second.
''')
    notebook.exercise('''
Which remedy gave the best balanced accuracy? Answer with its name as in the table.
''', "tl.exercises.check_best_imbalance_remedy(remedy_rows, answer)")
    notebook.write()


def catastrophic_forgetting():
    notebook = NotebookWriter("10_catastrophic_forgetting")
    notebook.header("10 · Catastrophic forgetting", '''
Fine-tuning adapts the base to the new task, and in doing so it can erase what the base knew:
**catastrophic forgetting**. To measure it we need the old task's data and head. DigitsCNN has
both: tltutor pretrained it on scikit-learn's digits (task A) and kept a fifth of them aside.
The new task B is Fashion-MNIST. Both heads sit on one shared base; the old head stays frozen, so
anything task A loses, it loses through the base.
''')
    notebook.code('''
old_model, task_a = tl.forgetting.old_task_model(epochs=settings["head_epochs"])
train_b, _, test_b, info = tl.data.load_dataset(image_size=32, samples_per_class=settings["samples_per_class"],
                                                test_samples_per_class=settings["test_samples_per_class"])
new_train, new_test = tl.data.batches.to_numpy(train_b), tl.data.batches.to_numpy(test_b)
print(f"task A: {len(task_a.train[1])} digits to train, {len(task_a.test[1])} held out; "
      f"task B: {len(new_train[1])} Fashion-MNIST images to train, {len(new_test[1])} to test")
''')
    notebook.code('''
# NBVAL_CHECK_OUTPUT
print(tl.forgetting.METHODS)
''')
    notebook.md('''
## Five ways to learn task B

* `naive`: fine-tune the base and the new head at 1e-3;
* `low_lr`: the same at 1e-4;
* `l2sp`: at 1e-3, with a penalty α·‖w − w_pretrained‖² on the base's weights (α = 300, see below);
* `rehearsal`: a quarter as many old digits mixed into training, through the old head;
* `lwf` (Learning without Forgetting): no old data; on the new images, the old head's outputs are
  kept close to what they were before fine-tuning.
''')
    notebook.code('''
rows = tl.forgetting.compare_remedies(old_model, task_a, new_train, new_test,
                                      epochs=max(2, settings["fine_tune_epochs"]), progress=None)
print(tl.results.format_table(rows))
tl.plots.plot_scatter(rows, x="new_task_accuracy", y="old_task_accuracy", label="method",
                      title="old task (digits) against new task (Fashion-MNIST)");
''')
    notebook.md('''
The best remedy sits top right: it learns task B and keeps task A. What the stored full run
measured (5 epochs):

* Naive fine-tuning learned task B (0.68) and lost almost all of task A: 0.98 → 0.19. Ten times
  lower a learning rate kept barely more (0.24) and learned less.
* L2-SP kept task A (0.95) but learned task B much worse (0.41): a penalty strong enough to protect
  this small base nearly freezes it.
* Rehearsal kept task A (0.97) at almost no cost on task B (0.66), paying with stored old images.
* LwF kept most of task A (0.94) without old data, at a moderate cost on task B (0.61).
''')
    notebook.md('''
## How strong must L2-SP be?

The L2-SP paper used α = 0.01 with SGD on large networks. Here, with Adam, small values did not
protect anything. Sweep α and watch the two accuracies trade places.
''')
    notebook.code('''
sweep_rows = []
for alpha in (0.01, 1.0, 30.0, 300.0, 3000.0):
    row = tl.forgetting.compare_remedies(old_model, task_a, new_train, new_test, methods=("l2sp",), l2sp_alpha=alpha,
                                         epochs=max(2, settings["fine_tune_epochs"]), progress=None)[0]
    sweep_rows.append({"alpha": alpha, "old_task_accuracy": row["old_task_accuracy"],
                       "new_task_accuracy": row["new_task_accuracy"]})
print(tl.results.format_table(sweep_rows))
long_rows = [{"alpha": row["alpha"], "task": task, "accuracy": row[f"{task}_task_accuracy"]}
             for row in sweep_rows for task in ("old", "new")]
tl.plots.plot_lines(long_rows, x="alpha", y="accuracy", group="task", log_x=True,
                    title="L2-SP: accuracy on both tasks against the penalty's strength");
''')
    notebook.md('''
In the stored run there was no middle ground: α up to 30 kept at most 0.30 of the digits, and every
α that kept them (300 and more) held task B near 0.40. On this small base LwF did better on both
tasks without any old data. Use L2-SP when task B needs only a gentle change to the base.
''')
    notebook.exercise('''
Which remedy kept the most old-task accuracy? Answer with its method name.
''', "tl.exercises.check_least_forgetting(rows, answer)")
    notebook.write()


def explainability():
    notebook = NotebookWriter("11_explainability")
    notebook.header("11 · Explainability", '''
What does a pretrained network look at, and what does fine-tuning change inside it? Three tools:
**Grad-CAM** heatmaps (which pixels drove a prediction), **2-D embeddings** of the features
before and after fine-tuning, and **linear CKA**, a layer-by-layer similarity between the
pretrained and the fine-tuned network.
''')
    notebook.md('''
## Grad-CAM with the real ImageNet head

EfficientNet-Lite0 with its 1000-class ImageNet head, on photos it has never seen. The heatmap
shows where the gradient of the top class flows in the last feature map.
''')
    notebook.code('''
from skimage import data as photos

imagenet = tl.explain.imagenet_model(224)
pictures = [tl.imagenet.resize_array(picture, 224) for picture in (photos.chelsea(), photos.coffee(), photos.astronaut())]
names = tl.imagenet.class_names()
titles = [names[int(np.argmax(imagenet.predict(picture[None], verbose=0)[0]))] for picture in pictures]
tl.plots.plot_heatmaps(pictures, [tl.explain.grad_cam(imagenet, picture) for picture in pictures], titles);
''')
    notebook.md('''
## A fine-tuned model on the target task

Fine-tune the whole base this time (BatchNorm stays frozen), so that every layer may change.
''')
    notebook.code(LOAD_DATA)
    notebook.code('''
pretrained = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
model = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
history = tl.training.train_head(model, train, validation, epochs=settings["head_epochs"])
history = tl.training.fine_tune(model, train, validation, epochs=settings["fine_tune_epochs"], unfreeze_from=None,
                                learning_rate=1e-4, history=history)
test_images, test_labels = tl.data.batches.to_numpy(test)
print(f"fine-tuned test accuracy {tl.training.evaluate(model, test)['accuracy']:.3f}")
examples = [int(np.flatnonzero(test_labels == label)[0]) for label in range(0, 10, 2)]
predicted = np.argmax(model.predict(test_images[examples], verbose=0), axis=-1)
tl.plots.plot_heatmaps(test_images[examples], [tl.explain.grad_cam(model, test_images[index]) for index in examples],
                       [f"{info.class_names[test_labels[i]]} → {info.class_names[p]}" for i, p in zip(examples, predicted)]);
''')
    notebook.md('''
## Embeddings before and after fine-tuning

The pooled features of the test images, projected to 2-D with PCA. Before fine-tuning they come
from the ImageNet base as it is; after, from the fine-tuned base.
''')
    notebook.code('''
before, _ = tl.training.extract_features(pretrained, test)
after, _ = tl.training.extract_features(model, test)
tl.plots.plot_embeddings([tl.explain.embed_2d(before), tl.explain.embed_2d(after)], test_labels, info.class_names,
                         ["pretrained features (PCA)", "fine-tuned features (PCA)"]);
''')
    notebook.md('''
## Which layers changed? Linear CKA, layer by layer

CKA is 1 when two layers represent the same inputs the same way (up to rotation and scale).
''')
    notebook.code('''
similarity = tl.explain.layer_similarity(pretrained, model, test_images[:200])
print(tl.results.format_table(similarity))
tl.plots.plot_lines(similarity, x="depth", y="cka", title="pretrained vs fine-tuned, linear CKA by depth");
''')
    notebook.md('''
Read the curve from left to right. Early layers compute edges and textures that any image task
needs; fine-tuning barely moves them. The last layers are the most task-specific and change the
most. That measured pattern is the reason to freeze early layers first and to unfreeze from the top.
''')
    notebook.exercise('''
At which depth is the fine-tuned network least similar to the pretrained one? Answer with the number.
''', "tl.exercises.check_most_changed_depth(similarity, answer)")
    notebook.write()


def deployment_size_and_speed():
    notebook = NotebookWriter("12_deployment_size_and_speed")
    notebook.header("12 · Deployment: size and speed", '''
A model that is accurate but too large or too slow for its device is not finished. This notebook
measures the size and latency of candidate backbones on this machine, exports a fine-tuned model
for serving, and converts it to TFLite with post-training quantization, measuring what each step
costs in accuracy.
''')
    notebook.code(LOAD_DATA)
    notebook.md('''
## Candidate backbones: parameters, file size, latency

Latency is the median time for one image, measured here on the CPU. Offline, the
keras.applications backbones are built with random weights: their size and speed do not depend
on the weights' values.
''')
    notebook.code('''
candidates = [("DigitsCNN", "digits"), ("EfficientNetLite0", "imagenet"), ("MobileNetV2", None), ("ResNet50", None)]
size_rows = []
for backbone, weights in candidates:
    candidate = tl.models.build_transfer_model(backbone, info.num_classes, weights=weights, image_size=info.image_size)
    size_rows.append({"backbone": backbone, **tl.deployment.measure_model(candidate)})
print(tl.results.format_table(size_rows))
tl.plots.plot_scatter(size_rows, x="latency_ms", y="keras_file_mb", label="backbone",
                      title=f"size and single-image latency at {info.image_size} px");
''')
    notebook.md('''
## Export the fine-tuned model for serving

A SavedModel takes images in 0..255 and returns logits, ready for TF Serving or a cloud endpoint.
''')
    notebook.code('''
import tempfile
from pathlib import Path

model = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
history = tl.training.train_head(model, train, validation, epochs=settings["head_epochs"])
tl.training.fine_tune(model, train, validation, epochs=settings["fine_tune_epochs"], unfreeze_from="block11_",
                      history=history)
serving = tl.deployment.export_for_serving(model, Path(tempfile.mkdtemp()) / "serving")
print(sorted(path.name for path in serving.iterdir()))
''')
    notebook.md('''
## TFLite with post-training quantization

* **float32**: the same numbers in a mobile-friendly format;
* **dynamic range**: weights stored as 8-bit integers, activations in float;
* **int8**: weights and activations in 8 bits, calibrated on 100 real training images.
''')
    notebook.code('''
train_images, _ = tl.data.batches.to_numpy(train)
test_images, test_labels = tl.data.batches.to_numpy(test)
keras_accuracy = tl.training.evaluate(model, test)["accuracy"]
variant_rows = []
for variant in ("float32", "dynamic", "int8"):
    flat = tl.deployment.to_tflite(model, variant, representative_images=train_images[:100])
    variant_rows.append({"variant": variant, **tl.deployment.evaluate_tflite(flat, test_images, test_labels)})
print(f"Keras model: test accuracy {keras_accuracy:.3f}")
print(tl.results.format_table(variant_rows))
tl.plots.plot_scatter(variant_rows, x="tflite_mb", y="accuracy", label="variant",
                      title="TFLite: accuracy against file size");
''')
    notebook.md('''
In the stored full run, both 8-bit variants shrank the file about 3.5-fold (13.5 MB → 3.7–4.0 MB)
and kept the accuracy within half a point of the Keras model. Speed is another matter: int8 ran
faster than float32 here (1.7 ms against 5.0 ms per image); dynamic range was no faster (5.1 ms). Whether
quantization speeds up inference depends on the hardware's integer kernels: measure on the
target device, as here, before you decide.
''')
    notebook.exercise('''
How many times smaller is the int8 file than the float32 one? Answer with one decimal, e.g. `2.5`.
''', "tl.exercises.check_size_ratio(variant_rows, answer)")
    notebook.write()


if __name__ == "__main__":
    for make in (small_data_and_overfitting, negative_transfer_and_domain_shift, imbalanced_data, catastrophic_forgetting, explainability,
                 deployment_size_and_speed):
        make()
