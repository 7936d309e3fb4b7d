"""Deployment: size and latency measured here, export for serving, and TFLite with post-training quantization.

- :func:`measure_model`: parameters, ``.keras`` file size and single-image latency on this machine.
- :func:`export_for_serving`: a TensorFlow SavedModel (``model.export``) for TF Serving or Vertex AI.
- :func:`to_tflite`: a TFLite flat buffer, float32, dynamic-range (int8 weights) or full int8
  (weights and activations, calibrated on a few real images); :func:`to_tflite_variants`: several
  of them from one export.
- :func:`evaluate_tflite`: accuracy and latency of a TFLite model on real images.
- :func:`tflite_latency`: size and single-image latency in the TFLite interpreter, the deployed runtime.
- :func:`compare_served_logits`: reload a SavedModel and check it returns the trained model's logits.

Example::

    row = tl.lessons.deployment.measure_model(model, image_size=96)
    flat = tl.lessons.deployment.to_tflite(model, "int8", representative_images=train_images[:100])
    print(tl.lessons.deployment.evaluate_tflite(flat, test_images, test_labels))
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import keras
import numpy as np

from tltutor import models, validation

QUANTIZATIONS = ("float32", "dynamic", "int8")


def _median_milliseconds(call, repeats: int) -> float:
    call()  # warm-up: tracing and allocation
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def measure_model(model: keras.Model, image_size: int | None = None, repeats: int = 20) -> dict:
    """Parameters, saved ``.keras`` size (MB) and median single-image latency (ms) through Keras on this machine.

    ``keras_latency_ms`` includes Keras's cost per call, large next to a small model's arithmetic:
    :func:`tflite_latency` measures the deployed runtime.
    """
    image_size = image_size or int(model.inputs[0].shape[1])
    with tempfile.TemporaryDirectory() as folder:
        path = models.save_model(model, Path(folder) / "model.keras")
        megabytes = path.stat().st_size / 1e6
    image = np.random.default_rng(0).uniform(0, 255, (1, image_size, image_size, 3)).astype(np.float32)
    latency = _median_milliseconds(lambda: model.predict_on_batch(image), repeats)
    return {"parameters": int(model.count_params()), "keras_file_mb": round(megabytes, 2),
            "keras_latency_ms": round(latency, 2)}


def _require_tensorflow(what: str):
    if keras.backend.backend() != "tensorflow":
        raise validation.InvalidArgumentError(
            f"{what} needs the TensorFlow backend; Keras runs on {keras.backend.backend()!r}")
    import tensorflow as tf  # SavedModel and TFLite exist only in TensorFlow

    return tf


def export_for_serving(model: keras.Model, path) -> Path:
    """Write a TensorFlow SavedModel (serving signature: images in 0..255, logits out)."""
    _require_tensorflow("export_for_serving")
    path = Path(path)
    if path.exists() and any(path.iterdir()):
        raise validation.InvalidArgumentError(f"{path} exists and is not empty: choose a new folder")
    model.export(str(path), format="tf_saved_model", verbose=False)
    return path


def to_tflite(model: keras.Model, quantization: str = "float32", representative_images=None,
              calibration_steps: int = 100) -> bytes:
    """Convert to TFLite: ``"float32"``, ``"dynamic"`` (int8 weights) or ``"int8"`` (needs real images)."""
    (converted,) = to_tflite_variants(model, (quantization,), representative_images, calibration_steps).values()
    return converted


def to_tflite_variants(model: keras.Model, quantizations=QUANTIZATIONS, representative_images=None,
                       calibration_steps: int = 100) -> dict[str, bytes]:
    """``{quantization: TFLite flat buffer}`` for each of ``quantizations``, from one SavedModel export.

    Exporting takes about as long as converting, so several variants of one model share it.
    """
    tf = _require_tensorflow("to_tflite")
    if isinstance(quantizations, str):
        raise validation.InvalidArgumentError(
            f"quantizations must be a list of names, e.g. [{quantizations!r}]; got the string {quantizations!r}")
    quantizations = [validation.check_name(name, QUANTIZATIONS, "quantization") for name in quantizations]
    validation.check_not_empty(len(quantizations), "quantizations")
    calibration_steps = validation.check_positive_int(calibration_steps, "calibration_steps")
    if "int8" in quantizations:
        if representative_images is None or len(representative_images) == 0:
            raise validation.InvalidArgumentError(
                f"int8 quantization needs representative_images: real training images (0..255), of which the first "
                f"{calibration_steps} calibrate")
        representative_images = np.asarray(representative_images, np.float32)
        expected = tuple(model.inputs[0].shape[1:])
        if representative_images.shape[1:] != expected:
            raise validation.InvalidArgumentError(
                f"representative_images have shape {representative_images.shape[1:]} per image; the model takes "
                f"{expected}: resize them to the model's input")

    def calibration_batches():
        for image in representative_images[:calibration_steps]:
            yield [image[None]]

    converted = {}
    with tempfile.TemporaryDirectory() as folder:
        model.export(folder, format="tf_saved_model", verbose=False)
        for quantization in quantizations:
            converter = tf.lite.TFLiteConverter.from_saved_model(folder)
            if quantization != "float32":
                converter.optimizations = [tf.lite.Optimize.DEFAULT]
            if quantization == "int8":
                converter.representative_dataset = calibration_batches
                converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
                converter.inference_input_type = tf.float32
                converter.inference_output_type = tf.float32
            converted[quantization] = converter.convert()
    return converted


def _tflite_runner(flat_buffer: bytes):
    """A function of one ``(height, width, 3)`` image that returns the TFLite model's output, and its input shape."""
    tf = _require_tensorflow("running a TFLite model")
    # as many threads as TensorFlow uses (the cores this process may run on): the interpreter's default is one
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    interpreter = tf.lite.Interpreter(model_content=flat_buffer, num_threads=cores or 1)
    interpreter.allocate_tensors()
    inputs, outputs = interpreter.get_input_details()[0], interpreter.get_output_details()[0]

    def run(image):
        interpreter.set_tensor(inputs["index"], image[None])
        interpreter.invoke()
        return interpreter.get_tensor(outputs["index"])[0]

    return run, tuple(int(size) for size in inputs["shape"][1:])


def evaluate_tflite(flat_buffer: bytes, images, labels, latency_repeats: int = 50) -> dict:
    """Accuracy over ``images`` and median single-image latency (ms) of a TFLite model, run here."""
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels)
    if images.ndim != 4 or len(images) != len(labels) or len(images) == 0:
        raise validation.InvalidArgumentError("images must be (N, height, width, 3) with one label each")
    run, _ = _tflite_runner(flat_buffer)
    predicted = np.array([np.argmax(run(image)) for image in images])
    latency = _median_milliseconds(lambda: run(images[0]), latency_repeats)
    return {"tflite_mb": round(len(flat_buffer) / 1e6, 2), "accuracy": round(float(np.mean(predicted == labels)), 4),
            "latency_ms": round(latency, 3)}


def tflite_latency(flat_buffer: bytes, repeats: int = 50) -> dict:
    """File size (MB) and median single-image latency (ms) of a TFLite model in the TFLite interpreter here.

    The deployed runtime's latency, on every core (as Keras uses them): a thin Python wrapper
    around each call instead of :func:`measure_model`'s Keras call.
    """
    repeats = validation.check_positive_int(repeats, "repeats")
    run, shape = _tflite_runner(flat_buffer)
    image = np.random.default_rng(0).uniform(0, 255, shape).astype(np.float32)
    return {"tflite_mb": round(len(flat_buffer) / 1e6, 2),
            "tflite_latency_ms": round(_median_milliseconds(lambda: run(image), repeats), 3)}


def compare_served_logits(path, model: keras.Model, images) -> dict:
    """Reload the SavedModel at ``path`` as a server would and compare its logits with ``model``'s on ``images``.

    Returns the largest absolute difference of any logit and the share of images whose predicted
    class agrees: the check that an export serves the model that was trained.
    """
    tf = _require_tensorflow("compare_served_logits")
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or len(images) == 0:
        raise validation.InvalidArgumentError(f"images must be (N, height, width, 3), got shape {images.shape}")
    path = Path(path)
    if not (path / "saved_model.pb").exists():
        raise validation.InvalidArgumentError(f"{path} holds no SavedModel: write one with export_for_serving")
    loaded = tf.saved_model.load(str(path))  # kept in a name: its variables live only as long as it does
    signature = loaded.signatures["serving_default"]  # what TF Serving calls
    (input_name,) = signature.structured_input_signature[1]  # a signature takes its input by name
    outputs = signature(**{input_name: tf.constant(images)})
    served = np.asarray(next(iter(outputs.values())))
    trained = np.asarray(model.predict(images, verbose=0))
    return {"max_logit_difference": float(np.max(np.abs(served - trained))),
            "same_prediction": round(float(np.mean(np.argmax(served, -1) == np.argmax(trained, -1))), 4)}
