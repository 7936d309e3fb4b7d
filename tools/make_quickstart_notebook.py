"""Write notebooks/00_quickstart.ipynb (sources only; run it to store outputs)."""

import nbformat as nbf

cells = []
md = lambda text: cells.append(nbf.v4.new_markdown_cell(text.strip()))
code = lambda text: cells.append(nbf.v4.new_code_cell(text.strip()))

md("""
# 00 · Quickstart: transfer learning in four steps

[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/00_quickstart.ipynb)

Transfer learning reuses a network trained on a large dataset (ImageNet, 1.3 M photos) for a new
task with little data. This notebook walks through the four steps end to end, with a **real**
pretrained network (EfficientNet-Lite0, ImageNet weights that work offline) on **real** data
(Fashion-MNIST, shipped inside tltutor):

1. **Load** the data.
2. **Build** a model: pretrained base, frozen, with a new head.
3. **Train the head** on features the frozen base computes once.
4. **Fine-tune** the top of the base with a 10× lower learning rate.

Every number below was measured when this notebook ran. Set `TLTUTOR_QUICK=1` for a one-minute run.
""")
code("""
# Install tltutor when it is not there yet (Colab); does nothing in a checkout with tltutor installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    %pip install -q tltutor
""")
code("""
import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras

logging.getLogger("tensorflow").setLevel(logging.ERROR)

import tltutor as tl

keras.utils.set_random_seed(0)
settings = tl.profile.defaults()
print(tl.devices.device_report())
print("profile:", "quick" if tl.profile.is_quick() else "full", settings)
""")
md("""
## What a pretrained network already knows

Before we adapt it, ask the ImageNet classifier about two real photos (they ship with
scikit-image). It has never seen them, yet it names them.
""")
code("""
from skimage import data as photos

top5 = tl.imagenet.classify([photos.chelsea(), photos.coffee()])
for name, guesses in zip(["chelsea.png", "coffee.png"], top5):
    print(name, " · ".join(f"{label} {probability:.2f}" for label, probability in guesses[:3]))
""")
md("""
## Step 1 · Load the data

`load_dataset` returns `tf.data` pipelines for training, validation and test, already resized to
RGB and cached. `samples_per_class` makes a small-data experiment one argument away.
""")
code("""
# NBVAL_CHECK_OUTPUT
train, validation, test, info = tl.data.load_dataset(
    "fashion_mnist_embedded", image_size=settings["image_size"],
    samples_per_class=settings["samples_per_class"],
    test_samples_per_class=settings["test_samples_per_class"])
print(info.num_classes, "classes:", ", ".join(info.class_names))
""")
code("""
print(f"{info.train_count} train / {info.validation_count} validation / {info.test_count} test images "
      f"at {info.image_size} px")
images, labels = next(iter(train))
tl.plots.plot_image_grid(images.numpy(), labels.numpy(), info.class_names);
""")
md("""
## Step 2 · Build the model: frozen base, new head

The model is `image → preprocessing → pretrained base → pooling → dropout → new Dense head`. The
preprocessing is a real layer inside the model, so the saved model scales its own input. With
the base frozen, only the head trains: 1280 × 10 weights + 10 biases.
""")
code("""
# NBVAL_CHECK_OUTPUT
model = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=info.image_size)
print([layer.name for layer in model.layers])
print(tl.freezing.trainable_summary(model))
""")
md("""
## Step 3 · Train the head

The frozen base's output never changes, so `train_head` computes the features once and trains
the head on them, which is far faster than running the base every epoch
(`python -m tltutor.bench` measures it). Early stopping keeps the best epoch.
""")
code("""
history = tl.training.train_head(model, train, validation, epochs=settings["head_epochs"])
head_scores = tl.training.evaluate(model, test)
print(f"head only: {history.epochs} epochs, test accuracy {head_scores['accuracy']:.3f}")
""")
md("""
## Step 4 · Fine-tune with a lower learning rate

Now unfreeze the top blocks of the base and train them with a learning rate 10× lower than the
head's, so the pretrained features can adapt without being destroyed. BatchNorm layers stay
frozen: in Keras 3 that is what keeps their ImageNet statistics intact.

Compare the two test accuracies below. With only 100 images per class, fine-tuning may gain little
or nothing over the head alone; how much it gains depends on how much data you have, which
`python -m tltutor compare --samples-per-class 500` lets you measure.
""")
code("""
# NBVAL_CHECK_OUTPUT
tl.freezing.unfreeze(model, "block11_")
print(tl.freezing.trainable_summary(model))
""")
code("""
history = tl.training.fine_tune(model, train, validation, epochs=settings["fine_tune_epochs"],
                                unfreeze_from="block11_", learning_rate=1e-4, history=history)
fine_tuned_scores = tl.training.evaluate(model, test)
print(f"after fine-tuning: test accuracy {fine_tuned_scores['accuracy']:.3f} "
      f"(head only: {head_scores['accuracy']:.3f})")
tl.plots.plot_history(history, title="head, then fine-tuning");
""")
md("""
## Where does it still go wrong?

The confusion matrix shows which classes the model mixes up. Shirts, T-shirts, pullovers and
coats look alike at low resolution, and they share most of the errors.
""")
code("""
import numpy as np

test_images, test_labels = tl.data.pipelines.to_numpy(test)
predictions = np.argmax(model.predict(test_images, verbose=0), axis=1)
tl.plots.plot_confusion_matrix(test_labels, predictions, info.class_names);
""")
md("""
## Exercise

How many parameters does the new head have when the task has **3** classes instead of 10?
EfficientNet-Lite0's pooled features have 1280 values. Replace `None` with your answer.
""")
code("""
answer = None
passed = tl.exercises.check_head_parameters(answer, num_classes=3)
""")
md("""
**Next:** `python -m tltutor compare` runs training from scratch, feature extraction and fine-tuning
on the same split and writes a comparison table and plots.
""")

notebook = nbf.v4.new_notebook(cells=cells, metadata={
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"}})
nbf.write(notebook, "notebooks/00_quickstart.ipynb")
