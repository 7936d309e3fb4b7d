"""A speaker encoder trained on real speech (Resemblyzer's), rebuilt in Keras and loaded offline without torch.

Resemblyzer's voice encoder follows the generalised end-to-end speaker-verification model (Wan et
al. 2018): three LSTM layers of 256 units read 1.6 s of 40-band mel frames, a dense layer with ReLU
maps the last layer's final state to 256 numbers, and the result is scaled to unit length. It was
trained on thousands of real speakers so that clips of the same voice land close together, whatever
is being said. The PyPI package ``Resemblyzer`` 0.1.4 (Apache-2.0) ships its weights as
``resemblyzer/pretrained.pt``, a legacy PyTorch checkpoint; tltutor reads it with its restricted
unpickler (:mod:`tltutor.io.torch_reader`). Install the package with ``--no-deps``: it declares torch,
webrtcvad and librosa, none of which tltutor needs.

PyTorch's LSTM computes its four gates in the order input, forget, cell, output, with two biases;
Keras's LSTM uses the same order with one bias, so the conversion transposes the matrices and adds
the biases.

Example::

    base = speaker_encoder.build(weights="pretrained")      # (N, 160, 40) mel frames → (N, 256)
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import keras
import numpy as np

from tltutor import validation
from tltutor.errors import WeightsError
from tltutor.io import torch_reader

PACKAGE_NAME = "Resemblyzer"
HIDDEN = 256
EMBEDDING = 256
LAYERS = 3
FRAMES = 160
BANDS = 40


@keras.saving.register_keras_serializable(package="tltutor")
class UnitLength(keras.layers.Layer):
    """Scale each row to unit L2 length (the speaker embedding's last step)."""

    def call(self, inputs):
        return inputs / keras.ops.maximum(keras.ops.norm(inputs, axis=-1, keepdims=True), 1e-9)

    def compute_output_shape(self, input_shape):
        return input_shape


def build_architecture(frames: int = FRAMES, name: str = "speaker_encoder") -> keras.Model:
    """The network with random weights: ``(N, frames, 40)`` mel frames → ``(N, 256)`` unit-length embeddings."""
    inputs = keras.Input((frames, BANDS), name="mel_frames")
    x = inputs
    for index in range(LAYERS):
        x = keras.layers.LSTM(HIDDEN, return_sequences=index < LAYERS - 1, name=f"lstm_{index}")(x)
    x = keras.layers.Dense(EMBEDDING, activation="relu", name="embedding")(x)
    return keras.Model(inputs, UnitLength(name="unit_length")(x), name=name)


def weights_path() -> Path:
    """``resemblyzer/pretrained.pt`` from the PyPI package, or a clear error saying how to install it."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or spec.origin is None:
        raise WeightsError(f"the pretrained speaker encoder comes from the PyPI package {PACKAGE_NAME} 0.1.4. Install "
                           f"it without its dependencies (torch, librosa, webrtcvad): "
                           f"pip install --no-deps {PACKAGE_NAME}==0.1.4")
    path = Path(spec.origin).parent / "pretrained.pt"
    if not path.exists():
        raise WeightsError(f"{path} is missing: reinstall {PACKAGE_NAME}")
    return path


def convert_state_dict(model: keras.Model, state: dict[str, np.ndarray]) -> None:
    """Copy Resemblyzer's PyTorch tensors into the Keras layers of :func:`build_architecture`."""
    try:
        for index in range(LAYERS):
            kernel = state[f"lstm.weight_ih_l{index}"].T
            recurrent = state[f"lstm.weight_hh_l{index}"].T
            bias = state[f"lstm.bias_ih_l{index}"] + state[f"lstm.bias_hh_l{index}"]
            model.get_layer(f"lstm_{index}").set_weights([kernel, recurrent, bias])
        model.get_layer("embedding").set_weights([state["linear.weight"].T, state["linear.bias"]])
    except KeyError as missing:
        raise WeightsError(f"the checkpoint has no tensor {missing}: it is not Resemblyzer's voice encoder") from None
    except ValueError as error:
        raise WeightsError(f"the checkpoint's tensors do not fit the encoder: {error}") from None


def build(frames: int = FRAMES, weights="pretrained", name: str = "speaker_encoder") -> keras.Model:
    """The speaker encoder with ``weights`` ``"pretrained"`` (Resemblyzer's), a ``.pt`` path, or ``None`` (random)."""
    frames = validation.check_positive_int(frames, "frames", minimum=1)
    model = build_architecture(frames, name)
    if weights is None:
        return model
    path = weights_path() if weights == "pretrained" else Path(weights)
    if not path.exists():
        raise WeightsError(f"weights file {path} does not exist")
    convert_state_dict(model, torch_reader.read_state_dict(path, key="model_state"))
    return model
