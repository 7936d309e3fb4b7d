"""tltutor: transfer learning with Keras 3, taught by measurement.

Import the package and reach its modules as attributes; each is loaded on first use, so
``import tltutor`` itself is fast and does not import TensorFlow::

    import tltutor as tl

    train, validation, test, info = tl.data.load_dataset("fashion_mnist_embedded", image_size=96)
    model = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=96)
    history = tl.training.train_head(model, train, validation, epochs=5)
    tl.check(model, train, validation, test)     # the classic fine-tuning mistakes, before they cost a run
"""

from __future__ import annotations

from tltutor.lazy import attach

__version__ = "0.1.0"

_MODULES = (
    # bottom: errors and argument checks
    "errors", "validation", "cards",
    # io, runtime: files and downloads; devices, seeds, profile, progress
    "io", "runtime",
    # core: derived state, backbones, data, models, freezing, compiling, training
    "state", "layers", "backbones", "data", "compiling", "models", "freezing", "batchnorm", "features", "training",
    "checks",
    "discriminative", "schedules", "text", "speech", "transferability",
    "lr_finder", "imagenet",
    # report: tables, plots, diagnostics, verdicts over seeds; lessons: one module per lesson family
    "report", "lessons",
)

__all__ = ["__version__", "check", *_MODULES]
__getattr__, __dir__ = attach(__name__, _MODULES, globals(), light=("errors", "validation", "cards", "io", "runtime", "report",
                                                                   "lessons"))


def check(model, train=None, validation_data=None, test=None, **options):
    """Look for the classic fine-tuning mistakes in a model and its data: :func:`tltutor.checks.check`."""
    from tltutor import checks

    return checks.check(model, train, validation_data, test, **options)
