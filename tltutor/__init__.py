"""tltutor: transfer learning with Keras 3, taught by measurement.

Import the package and reach its modules as attributes; each is loaded on first use, so
``import tltutor`` itself is fast and does not import TensorFlow::

    import tltutor as tl

    train, validation, test, info = tl.data.load_dataset("fashion_mnist_embedded", image_size=96)
    model = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=96)
    history = tl.training.train_head(model, train, validation, epochs=5)
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_MODULES = (
    "backbones",
    "bench",
    "checkpoints",
    "data",
    "deployment",
    "devices",
    "diagnostics",
    "discriminative",
    "distribution",
    "downloads",
    "errors",
    "exercises",
    "experiments",
    "explain",
    "forgetting",
    "freezing",
    "imagenet",
    "imbalance",
    "layers",
    "lr_finder",
    "models",
    "overfitting",
    "plots",
    "profile",
    "reproducibility",
    "results",
    "selection",
    "shift",
    "torch_reader",
    "training",
    "validation",
    "weights_files",
)

__all__ = ["__version__", *_MODULES]


def __getattr__(name):
    if name in _MODULES:
        module = importlib.import_module(f"tltutor.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'tltutor' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_MODULES))
