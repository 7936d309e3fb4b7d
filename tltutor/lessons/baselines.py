"""The honest baselines every "transfer helps" claim is measured against.

- :func:`pixel_logistic_regression`: logistic regression on the raw pixels, its strength ``C``
  and its input (grey at 28 px, or colour at 16 px, about as many numbers) chosen on the
  validation set. The simplest model that learns only from the target.
- :func:`train_whole_network`: a small CNN (the DigitsCNN architecture) with every layer trained on
  the target until its validation loss stops improving; from random weights it is the from-scratch
  baseline. A from-scratch network stopped after a few epochs would be a straw man; this one is
  trained to convergence. Started from pretrained weights instead, it measures whether the source
  helps that same network, the clean test for negative transfer (notebook 08).

Examples:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> images = rng.uniform(0, 255, (60, 28, 28, 3)).astype("float32")
    >>> labels = np.arange(60) % 2
    >>> images[labels == 1, :14] = 255.0                      # class 1: bright top half
    >>> data = (images[:40], labels[:40]), (images[40:50], labels[40:50]), (images[50:], labels[50:])
    >>> pixel_logistic_regression(*data)["test_accuracy"]
    1.0
"""

from __future__ import annotations

import time

import keras
import numpy as np

from tltutor import models, state, training, validation
from tltutor.data import batches
from tltutor.report import diagnostics

PIXEL_SIZE = 28
COLOUR_PIXEL_SIZE = 16  # 16 × 16 × 3 = 768 numbers, about as many as 28 × 28 grey ones
SCRATCH_IMAGE_SIZE = 32
REGULARISATION_STRENGTHS = (0.01, 0.1, 1.0)


def grey_pixels(data, image_size: int = PIXEL_SIZE, *, colour: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(N, image_size² × channels)`` pixels in [0, 1] (grey, or RGB with ``colour``) and the labels."""
    images, labels = batches.to_numpy(data)
    validation.check_not_empty(len(images))
    pixels = np.asarray(images, np.float32)
    if pixels.ndim == 3:
        pixels = pixels[..., None]
    pixels = pixels if colour and pixels.shape[-1] == 3 else pixels.mean(axis=-1, keepdims=True)
    if pixels.shape[1:3] != (image_size, image_size):
        pixels = keras.ops.convert_to_numpy(keras.ops.image.resize(pixels, (image_size, image_size)))
    return pixels.reshape(len(pixels), -1) / 255.0, np.asarray(labels).reshape(-1)


def fit_logistic_regression(features, labels, **parameters):
    """scikit-learn's ``LogisticRegression(**parameters)`` fitted on one BLAS thread.

    The matrices here are small (hundreds of rows), and on them threads cost far more than they
    give: with TensorFlow's threads beside it, one probe took 34 s on two threads and 2.7 s on one,
    to the same classifier.

    Examples:
        >>> import numpy as np
        >>> features = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> fit_logistic_regression(features, [0, 0, 1, 1], C=10.0).predict([[0.2], [2.8]]).tolist()
        [0, 1]
    """
    from sklearn.linear_model import LogisticRegression  # scikit-learn is imported only where used
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=1, user_api="blas"):
        return LogisticRegression(**parameters).fit(features, labels)


def logistic_regression_chosen_on_validation(train, validation_data, strengths, *, seed: int = 0):
    """``(validation_accuracy, C, classifier)``: logistic regression on ``(features, labels)``, ``C`` the best on validation."""
    best = None
    for strength in strengths:
        classifier = fit_logistic_regression(*train, C=strength, max_iter=3000, random_state=seed)
        score = float(classifier.score(*validation_data))
        if best is None or score > best[0]:
            best = (score, strength, classifier)
    return best


HEAD_STRENGTHS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)  # a feature head's C, chosen on validation
HEAD_MAX_SOLVER_ITERATIONS = 2000
HEAD_SOLVER_TOLERANCE = 1e-3
NEGLIGIBLE_SPREAD = 1e-7  # of the largest feature's standard deviation


class FeatureHead:
    """A logistic regression on standardised feature rows, its ``C`` chosen on validation; ``accuracy(rows, labels)``.

    Ties on validation go to the stronger penalty (the first of ``strengths``, the simpler model).

    This is the new head of a frozen base fitted to convergence: a softmax layer on pooled
    features is a multinomial logistic regression. ``strength`` (the chosen ``C``),
    ``validation_accuracy``, ``solver_iterations`` and ``converged`` say how it was fitted.
    """

    def __init__(self, rows, labels, validation_rows, validation_labels, *, strengths=HEAD_STRENGTHS, seed: int = 0):
        from sklearn.preprocessing import StandardScaler

        self.scaler = StandardScaler().fit(np.asarray(rows, np.float64))
        # A feature that barely varies (one of MiniLM's 384 stays within 1e-32 of zero) would be blown up
        # to unit spread, float noise included. It is centred but not scaled, as scikit-learn treats a
        # constant one, so it stays near zero and contributes nothing.
        self.scaler.scale_[self.scaler.scale_ < NEGLIGIBLE_SPREAD * self.scaler.scale_.max()] = 1.0
        scaled, scaled_validation = self.scaler.transform(rows), self.scaler.transform(validation_rows)
        best = None
        for strength in strengths:
            classifier = fit_logistic_regression(scaled, labels, C=strength, tol=HEAD_SOLVER_TOLERANCE,
                                                           max_iter=HEAD_MAX_SOLVER_ITERATIONS, random_state=seed)
            score = float(classifier.score(scaled_validation, validation_labels))
            if best is None or score > best[0]:
                best = (score, strength, classifier)
        self.validation_accuracy, self.strength, self.classifier = best
        self.solver_iterations = int(np.max(self.classifier.n_iter_))
        self.converged = self.solver_iterations < HEAD_MAX_SOLVER_ITERATIONS

    def accuracy(self, rows, labels) -> float:
        return float(self.classifier.score(self.scaler.transform(rows), labels))

    def summary(self) -> dict:
        return dict(strength=self.strength, solver_iterations=self.solver_iterations, converged=self.converged)

    def dense_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """``(kernel, bias)`` of a softmax layer on the raw (unscaled) rows with the same predictions.

        The standardisation is folded in (``W / σ``, ``b − W·μ / σ``); for two classes scikit-learn
        keeps one logit, and the first class's is zero. So a network's new head can start at this fit.
        """
        coefficients = self.classifier.coef_ / self.scaler.scale_
        intercept = self.classifier.intercept_ - coefficients @ self.scaler.mean_
        if len(self.classifier.classes_) == 2:
            coefficients = np.concatenate([np.zeros_like(coefficients), coefficients])
            intercept = np.array([0.0, intercept[0]])
        return coefficients.T.astype(np.float32), intercept.astype(np.float32)


class PixelClassifier:
    """Logistic regression on raw pixels, its ``C`` and input chosen on validation; ``accuracy(data)`` for any data.

    The inputs tried are grey pixels at ``image_size`` and, for colour images, RGB pixels at
    :data:`COLOUR_PIXEL_SIZE` (colour tells fruit from flowers; on grey images both are grey).
    ``as_given=True`` tries nothing else: the RGB pixels at ``image_size``, exactly what a network
    fed the same images reads (a fair reader when the question is robustness to noise or blur, which
    shrinking or averaging the channels would partly remove before the classifier sees it).
    """

    def __init__(self, train, validation_data, *, image_size: int = PIXEL_SIZE, strengths=REGULARISATION_STRENGTHS,
                 seed: int = 0, as_given: bool = False):
        best = None
        inputs = ((image_size, True),) if as_given else ((image_size, False), (COLOUR_PIXEL_SIZE, True))
        for size, colour in inputs:
            found = logistic_regression_chosen_on_validation(
                grey_pixels(train, size, colour=colour), grey_pixels(validation_data, size, colour=colour), strengths,
                seed=seed)
            if best is None or found[0] > best[0][0]:
                best = (found, size, colour)
        (self.validation_accuracy, self.strength, self.classifier), self.image_size, self.colour = best

    def accuracy(self, data) -> float:
        inputs, labels = grey_pixels(data, self.image_size, colour=self.colour)
        return float(self.classifier.score(inputs, labels))

    def predict(self, data) -> tuple[np.ndarray, np.ndarray]:
        """``(true labels, predicted labels)`` for every example of ``data``."""
        inputs, labels = grey_pixels(data, self.image_size, colour=self.colour)
        return np.asarray(labels).reshape(-1), self.classifier.predict(inputs)


def pixel_logistic_regression(train, validation_data, test, *, image_size: int = PIXEL_SIZE,
                              strengths=REGULARISATION_STRENGTHS, seed: int = 0) -> dict:
    """Logistic regression on raw grey pixels; ``C`` chosen on ``validation_data``, test reported once.

    Returns ``validation_accuracy``, ``test_accuracy``, ``test_balanced_accuracy`` (the mean recall over
    classes), the chosen ``C`` and input (``colour``) and ``seconds``.
    """
    started = time.perf_counter()
    classifier = PixelClassifier(train, validation_data, image_size=image_size, strengths=strengths, seed=seed)
    labels, predicted = classifier.predict(test)
    return {"validation_accuracy": float(classifier.validation_accuracy), "test_accuracy": classifier.accuracy(test),
            "test_balanced_accuracy": diagnostics.balanced_accuracy(labels, predicted, int(labels.max()) + 1),
            "C": classifier.strength, "colour": classifier.colour,
            "parameters": int(classifier.classifier.coef_.size + classifier.classifier.intercept_.size),
            "seconds": round(time.perf_counter() - started, 1)}


def _at_size(data, image_size):
    images, labels = batches.to_numpy(data)
    return batches.resize_images(images, image_size).astype(np.float32), np.asarray(labels, np.int32).reshape(-1)


def train_whole_network(train, validation_data, *, num_classes: int, weights=None, image_size: int = SCRATCH_IMAGE_SIZE,
                        max_epochs: int = 200, early_stopping_patience: int = 10, learning_rate: float = 1e-3,
                        batch_size: int = 32, seed: int = 0, progress=True):
    """The DigitsCNN architecture with every layer trained, until the validation loss stops improving.

    ``weights=None`` starts from random weights (the from-scratch baseline); ``"digits"`` from
    DigitsCNN's pretrained weights. BatchNorm trains in both cases, so the two runs differ only in
    where they start. Images are resized to ``image_size`` (32 px: Fashion-MNIST's own 28 px, padded
    to what the architecture needs). Returns ``(model, history)``; evaluate the model on data
    resized the same way (:func:`evaluate_small_network`). The model is built once
    (:data:`tltutor.state.pool`) and given the next call's starting weights, so that its traced
    training step is reused: use it before that call.
    """
    key = ("whole network", weights, num_classes, image_size)
    model = state.pool.get(key, lambda: models.build_transfer_model(
        "DigitsCNN", num_classes, weights=weights, freeze=False, image_size=image_size, learning_rate=learning_rate))
    models.reset(model, seed)
    if weights is None:  # from scratch: every weight drawn from the seed, as a new network's would be
        models.reinitialize(model.get_layer(models.BASE_NAME), seed + 1)
    history = training.train_all(model, _at_size(train, image_size), _at_size(validation_data, image_size),
                                 epochs=max_epochs, learning_rate=learning_rate,
                                 early_stopping_patience=early_stopping_patience, batch_size=batch_size,
                                 phase="scratch" if weights is None else "whole network", progress=progress,
                                 seed=seed)
    return model, history


def evaluate_small_network(model, data) -> dict[str, float]:
    """:func:`tltutor.training.evaluate` on ``data`` resized to the small network's input size."""
    return training.evaluate(model, _at_size(data, int(model.inputs[0].shape[1])))


def predict_small_network(model, data) -> tuple[np.ndarray, np.ndarray]:
    """``(true labels, predicted labels)`` on ``data`` resized to the small network's input size."""
    return diagnostics.predict_labels(model, _at_size(data, int(model.inputs[0].shape[1])))
