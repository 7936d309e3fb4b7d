"""Text models with the vision API's shape: a pretrained encoder as the base, a new head, the same verbs.

A text transfer model takes **token ids** (an ``(N, sequence_length)`` int32 array, 0 for padding)
and has the layout of :func:`tltutor.models.build_transfer_model`: ``base`` (the encoder, ending in
mean pooling over the real tokens), ``pooling``, ``head_dropout`` and ``classifier``. So
:func:`tltutor.training.train_head`, :func:`~tltutor.training.fine_tune` (``unfreeze_from=
"transformer_layer_4"`` trains the top two layers), :mod:`tltutor.features` and
:func:`tltutor.training.evaluate` work on it unchanged: features are computed once per sentence,
and fine-tuning the top layers trains on the kept output of the layers below.

The training verbs, :func:`~tltutor.training.evaluate`, :func:`~tltutor.training.predict_logits`
and :func:`tltutor.check` also take **raw text**: ``(list of strings, labels)`` is tokenized with
the model's own tokenizer (recorded when it was built). Keras's own ``fit`` and ``predict`` take
the token ids. Example::

    model = tl.text.build_text_model("MiniLM-L6", num_classes=2)
    tl.training.train_head(model, (["a gripping film", "a dull film"], [1, 0]), None, epochs=20)
    tl.training.predict_logits(model, (["what a film"], [1]))

    token_ids = tl.text.tokenize(["a gripping film"], tl.backbones.text_encoders.load_tokenizer("MiniLM-L6"))
"""

from __future__ import annotations

import functools

import keras
import numpy as np

from tltutor import compiling, freezing, models, state, validation
from tltutor.backbones import text_encoders
from tltutor.layers import MaskedMean, PaddingMask, ZerosLike
from tltutor.runtime import devices

SEQUENCE_LENGTH = 64
LORA_TARGETS = ("query", "value")


def check_texts(texts) -> list[str]:
    """A non-empty list of non-empty strings; UTF-8 ``bytes`` are decoded, anything else is refused."""
    if isinstance(texts, (str, bytes)):
        raise validation.InvalidArgumentError("texts must be a list of strings, not a single string: wrap it in [ ]")
    checked = []
    for index, text in enumerate(texts):
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as error:
                raise validation.InvalidArgumentError(
                    f"text {index} is not valid UTF-8 ({error.reason} at byte {error.start}): decode it with the "
                    "right encoding first, e.g. raw.decode('latin-1')") from None
        if not isinstance(text, str):
            raise validation.InvalidArgumentError(f"text {index} must be a string, got {type(text).__name__}")
        if not text.strip():
            raise validation.InvalidArgumentError(f"text {index} is empty: there is nothing to encode")
        checked.append(text)
    validation.check_not_empty(len(checked), "list of texts")
    return checked


def tokenize(texts, tokenizer, sequence_length: int = SEQUENCE_LENGTH) -> np.ndarray:
    """Token ids ``[CLS] ... [SEP]`` padded with 0 to ``sequence_length``; longer texts are truncated.

    Truncation keeps the first ``sequence_length - 2`` word pieces: the encoder never sees the rest.
    """
    texts = check_texts(texts)
    sequence_length = validation.check_positive_int(sequence_length, "sequence_length", minimum=3)
    start, end = tokenizer.token_to_id(tokenizer.cls_token), tokenizer.token_to_id(tokenizer.sep_token)
    pieces = tokenizer(texts)
    token_ids = np.zeros((len(texts), sequence_length), np.int32)
    for row, ids in enumerate(pieces):
        ids = [int(value) for value in keras.ops.convert_to_numpy(ids)][:sequence_length - 2]
        token_ids[row, :len(ids) + 2] = [start, *ids, end]
    return token_ids


def truncated_share(texts, tokenizer, sequence_length: int = SEQUENCE_LENGTH) -> float:
    """The share of ``texts`` longer than ``sequence_length`` word pieces, which :func:`tokenize` cuts."""
    lengths = [len(keras.ops.convert_to_numpy(ids)) + 2 for ids in tokenizer(check_texts(texts))]
    return float(np.mean(np.asarray(lengths) > sequence_length))


def build_encoder(backbone, sequence_length: int = SEQUENCE_LENGTH) -> keras.Model:
    """A ``base`` model from a keras-hub ``BertBackbone``'s own layers: token ids in, mean-pooled states out.

    It reuses the backbone's layers (and so its weights), in the backbone's order, and derives the
    padding mask and segment ids from the token ids, so the model needs a single input.
    """
    token_ids = keras.Input((sequence_length,), dtype="int32", name="token_ids")
    mask = PaddingMask(name="padding_mask")(token_ids)
    segments = ZerosLike(name="segment_ids")(token_ids)
    tokens = backbone.get_layer("token_embedding")(token_ids)
    positions = backbone.get_layer("position_embedding")(tokens)
    x = backbone.get_layer("embeddings_add")((tokens, positions, backbone.get_layer("segment_embedding")(segments)))
    x = backbone.get_layer("embeddings_dropout")(backbone.get_layer("embeddings_layer_norm")(x))
    entering = {}
    for index in range(backbone.num_layers):
        layer = backbone.get_layer(f"transformer_layer_{index}")
        entering[layer.name] = (x, mask)  # Keras names only a layer's first call's inputs: the backbone's
        x = layer(x, padding_mask=mask)
    base = keras.Model(token_ids, MaskedMean(name="mean_pooling")([x, mask]), name=models.BASE_NAME)
    state.of(base).cut_inputs.update(entering)
    return base


def build_text_model(encoder: str = text_encoders.OFFLINE_DEFAULT, num_classes: int = 2, *,
                     sequence_length: int = SEQUENCE_LENGTH, dropout: float = 0.1, freeze: bool = True,
                     learning_rate: float = compiling.HEAD_LEARNING_RATE, seed: int | None = 0,
                     precision: str | None = "auto") -> keras.Model:
    """A compiled text transfer model: pretrained encoder (frozen by default) and a new ``num_classes`` head.

    ``precision`` is a Keras dtype policy, ``"auto"`` (mixed precision on capable GPUs only) or ``None``.
    ``seed`` draws the new head and the dropout's random state, without reseeding anything global.
    """
    spec = text_encoders.get(encoder)
    with devices.precision_policy(precision):
        base = build_encoder(text_encoders.load_backbone(spec.name), sequence_length)
        model = models.build_on_base(base, num_classes, dropout=dropout, name=f"{spec.name}_transfer", freeze=freeze,
                                     learning_rate=learning_rate, seed=seed,
                                     head_initializer=models.SMALL_HEAD)
    state.of(model).tokenize = functools.partial(_tokenize_with, spec.name, sequence_length)
    return model


@functools.lru_cache(maxsize=4)
def _tokenizer(name: str):
    return text_encoders.load_tokenizer(name)


def _tokenize_with(name: str, sequence_length: int, texts) -> np.ndarray:
    return tokenize(texts, _tokenizer(name), sequence_length)


def _sublayers(layer) -> list:
    """Every layer inside ``layer``, nested ones included.

    Keras exports a recursive walk for models only (``Model.layers`` is one level); keras-hub's
    transformer layers keep their projections as attributes. This is the one place that uses
    Keras's private walk (tests/test_text.py's LoRA tests fail loudly if it moves).
    """
    return list(layer._flatten_layers(include_self=False))


def enable_lora(model: keras.Model, rank: int = 4, *, unfreeze_from: str = "transformer_layer_0") -> int:
    """LoRA (Hu et al. 2021) on the attention's query and value projections from ``unfreeze_from`` up.

    Every other weight of the base is frozen; each targeted projection keeps its pretrained kernel
    and bias frozen (Keras leaves the bias trainable; Hu et al. train no biases) and learns a
    rank-``rank`` update ``A·B`` instead (Keras's ``EinsumDense.enable_lora``). So the pretrained
    weights never change, and :func:`remove_lora_updates` gives back the pretrained encoder exactly.
    The head stays trainable. Returns the number of projections adapted.
    """
    rank = validation.check_positive_int(rank, "rank")
    base = freezing.get_base(model)
    cut = freezing.cut_index(base.layers, unfreeze_from)
    base.trainable = True
    adapted = 0
    for index, layer in enumerate(base.layers):
        inner_layers = _sublayers(layer)
        if index < cut or not any(inner.name in LORA_TARGETS for inner in inner_layers):
            layer.trainable = False
            continue
        layer.trainable = True
        for inner in inner_layers:
            if inner.name in LORA_TARGETS and hasattr(inner, "enable_lora"):
                if not inner.lora_enabled:
                    inner.enable_lora(rank)
                # Making a layer trainable makes its kernel trainable again: freeze it, as enable_lora did,
                # and its bias, which enable_lora leaves trainable.
                for variable in inner.trainable_weights:
                    if variable.path.endswith(("/kernel", "/bias")):
                        variable.trainable = False
                adapted += 1
            elif not _sublayers(inner):  # a leaf: its weights stay as pretrained
                inner.trainable = False
    if not adapted:
        raise validation.InvalidArgumentError(f"no query or value projection at or above {unfreeze_from!r}")
    compiling.recompile(model)
    return adapted


def _lora_layers(model: keras.Model) -> list:
    return [inner for layer in freezing.get_base(model).layers for inner in _sublayers(layer)
            if getattr(inner, "lora_enabled", False)]


def remove_lora_updates(model: keras.Model) -> int:
    """Set every LoRA update of ``model`` to zero (``B = 0``), in place; returns how many were removed.

    The projections then compute their pretrained kernels again: with :func:`enable_lora`'s frozen
    kernels and biases, the encoder is the pretrained one exactly. Raises when ``model`` has no LoRA.
    """
    adapted = _lora_layers(model)
    if not adapted:
        raise validation.InvalidArgumentError(f"{model.name} has no LoRA updates: call tl.text.enable_lora first")
    for layer in adapted:
        layer.lora_kernel_b.assign(keras.ops.zeros_like(layer.lora_kernel_b))
    return len(adapted)
