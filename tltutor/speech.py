"""Speech models with the vision API's shape: the pretrained speaker encoder as the base, a new head.

A speech transfer model takes ``(N, 160, 40)`` mel frames (:func:`tltutor.data.audio.encoder_inputs`)
and has the layout of :func:`tltutor.models.build_transfer_model`, so ``train_head``,
``fine_tune(unfreeze_from="lstm_2")`` (the top LSTM layer and the embedding), :mod:`tltutor.features`
and ``evaluate`` work on it unchanged.

Example::

    inputs = tl.data.audio.encoder_inputs(clips)
    model = tl.speech.build_speech_model(num_classes=8)
    tl.training.train_head(model, (inputs, labels), None, epochs=40)
"""

from __future__ import annotations

import keras

from tltutor import compiling, models
from tltutor.backbones import speaker_encoder
from tltutor.runtime import devices


def build_speech_model(num_classes: int, *, weights="pretrained", dropout: float = 0.1, freeze: bool = True,
                       learning_rate: float = compiling.HEAD_LEARNING_RATE, seed: int | None = 0,
                       precision: str | None = "auto") -> keras.Model:
    """A compiled speech transfer model: the speaker encoder (``weights``: ``"pretrained"`` or ``None``) and a new head.

    ``precision`` is a Keras dtype policy, ``"auto"`` (mixed precision on capable GPUs only) or ``None``.
    ``seed`` draws the new head (and, with ``weights=None``, the encoder) and the dropout's random
    state, without reseeding anything global.
    """
    with devices.precision_policy(precision):
        base = speaker_encoder.build(weights=weights)
        if weights is None and seed is not None:
            models.reinitialize(base, seed + 1)
        return models.build_on_base(base, num_classes, dropout=dropout, name="speaker_transfer", freeze=freeze,
                                    learning_rate=learning_rate, seed=seed,
                                    head_initializer=models.SMALL_HEAD, pretrained=weights is not None)
