"""Transfer for text: TF-IDF against a frozen pretrained sentence encoder, fine-tuning and LoRA, over seeds.

The strategies (:data:`STRATEGIES`), each trained on the same sentences of a seed:

- ``tfidf``: TF-IDF word and bigram features with logistic regression, ``C`` chosen on
  validation. The honest baseline: it learns everything from the target's few labelled sentences.
- ``frozen``: MiniLM-L6's mean-pooled sentence embeddings, frozen, with a new linear head.
- ``fine_tune``: then the top ``fine_tune_layers`` transformer layers trained too, at a 10× lower rate.
- ``lora``: instead of those layers' weights, a rank-4 update of each attention head's query and value
  projections (Hu et al. 2021), with the head.

The encoder runs once per sentence for ``frozen``, and once per sentence below the unfrozen layers
for ``fine_tune`` and ``lora`` (:mod:`tltutor.features`); seeds and sizes share those passes.

Example::

    comparison = tl.lessons.text.compare_text_strategies(samples_per_class=(8, 32), seeds=(0, 1, 2))
    print(comparison.where(samples_per_class=32).summary_table("test_accuracy"))
"""

from __future__ import annotations

import functools
import time

import numpy as np

from tltutor import compiling, freezing, models, state, text, training, validation
from tltutor.backbones import text_encoders
from tltutor.data import text as text_data
from tltutor.lessons.baselines import logistic_regression_chosen_on_validation
from tltutor.lessons.experiments import COMPARISON_FINE_TUNE_RATE
from tltutor.report.results import Comparison
from tltutor.runtime import profile
from tltutor.runtime.progress import Steps

STRATEGIES = ("tfidf", "frozen", "fine_tune", "lora")
# LoRA's updates start at zero and have few weights: they take a larger step than full fine-tuning
# (Hu et al. 2021 train at 1e-4 to 1e-3); full fine-tuning of the same layers uses the usual 1e-4.
LORA_LEARNING_RATE = 1e-3
REGULARISATION_STRENGTHS = (0.1, 1.0, 10.0, 100.0)


class TfidfClassifier:
    """TF-IDF of words and word pairs, logistic regression, ``C`` chosen on validation; ``accuracy(data)``."""

    def __init__(self, train, validation_data, *, strengths=REGULARISATION_STRENGTHS, seed: int = 0):
        from sklearn.feature_extraction.text import TfidfVectorizer  # scikit-learn is imported only where used

        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        features = self.vectorizer.fit_transform(list(text.check_texts(train[0])))
        validation_features = self.vectorizer.transform(text.check_texts(validation_data[0]))
        self.validation_accuracy, self.strength, self.classifier = logistic_regression_chosen_on_validation(
            (features, np.asarray(train[1])), (validation_features, validation_data[1]), strengths, seed=seed)

    def accuracy(self, data) -> float:
        return float(self.classifier.score(self.vectorizer.transform(text.check_texts(data[0])), data[1]))


class Encoder:
    """A text encoder's tokenizer and one model per purpose, built once (loading costs seconds)."""

    def __init__(self, name: str = text_encoders.OFFLINE_DEFAULT, sequence_length: int = text.SEQUENCE_LENGTH):
        self.name, self.sequence_length = text_encoders.get(name).name, sequence_length
        self.tokenizer = text_encoders.load_tokenizer(self.name)
        self._token_ids = functools.lru_cache(maxsize=64)(self._tokenize)

    def _tokenize(self, texts: tuple) -> np.ndarray:
        return text.tokenize(list(texts), self.tokenizer, self.sequence_length)

    def token_ids(self, texts) -> np.ndarray:
        """Token ids of ``texts`` (kept, so the same list is tokenized once)."""
        return self._token_ids(tuple(text.check_texts(texts)))

    def model(self, purpose: str, num_classes: int, seed: int, *, lora_rank: int = 4,
              lora_from: str = "transformer_layer_0"):
        """The model for ``purpose`` ("frozen", "fine_tune", "lora"), pretrained weights and a head drawn from ``seed``.

        The ``"lora"`` model gets its LoRA updates when it is built (they start at zero, so the
        model still computes the pretrained function), and keeps them.
        """
        key = ("text", self.name, self.sequence_length, purpose, num_classes, lora_rank, lora_from)

        def build():
            model = text.build_text_model(self.name, num_classes, sequence_length=self.sequence_length)
            if purpose == "lora":
                text.enable_lora(model, lora_rank, unfreeze_from=lora_from)
            return model

        return models.reset(state.pool.get(key, build), seed)


def _subset(data, per_class: int | None):
    """``per_class`` examples of each class of ``data``, always the same ones; all of them for ``None``."""
    if per_class is None:
        return data
    per_class = validation.check_positive_int(per_class, "test_per_class")
    texts, labels = data
    chosen = np.sort(np.concatenate([np.random.default_rng(0).permutation(np.flatnonzero(labels == label))[:per_class]
                                     for label in np.unique(labels)]))
    return texts[chosen], labels[chosen]


def _as_ids(encoder: Encoder, data):
    return encoder.token_ids(data[0]), np.asarray(data[1], np.int32)


def run_seed(encoder: Encoder, train, validation_data, tests: dict, *, seed: int, strategies, comparison: Comparison,
             steps: Steps, head_epochs: int, fine_tune_epochs: int, fine_tune_layers: int, lora_rank: int,
             **extra_columns) -> None:
    """Every strategy on one seed's sentences; one row per strategy with ``test_accuracy`` on each test set."""
    ids = {name: _as_ids(encoder, data) for name, data in (("train", train), ("validation", validation_data))}
    test_ids = {name: _as_ids(encoder, data) for name, data in tests.items()}
    num_layers = text_encoders.get(encoder.name).layers
    unfreeze_from = f"transformer_layer_{num_layers - fine_tune_layers}"
    for strategy in strategies:
        started = time.perf_counter()
        if strategy == "tfidf":
            classifier = TfidfClassifier(train, validation_data, seed=seed)
            accuracies = {name: classifier.accuracy(data) for name, data in tests.items()}
            trainable = len(classifier.vectorizer.vocabulary_) * 2 + 2
        else:
            model = encoder.model(strategy, len(text_data.CLASS_NAMES), seed, lora_rank=lora_rank,
                                  lora_from=unfreeze_from)
            history = training.train_head(model, ids["train"], ids["validation"], epochs=head_epochs, progress=False,
                                          seed=seed)
            if strategy == "fine_tune":
                training.fine_tune(model, ids["train"], ids["validation"], epochs=fine_tune_epochs,
                                   learning_rate=COMPARISON_FINE_TUNE_RATE, schedule="constant",
                                   unfreeze_from=unfreeze_from, history=history, early_stopping_patience=None,
                                   progress=False, seed=seed)
            elif strategy == "lora":
                text.enable_lora(model, lora_rank, unfreeze_from=unfreeze_from)
                compiling.recompile(model, LORA_LEARNING_RATE)
                training.train_unfrozen(model, ids["train"], ids["validation"], epochs=fine_tune_epochs,
                                        history=history, early_stopping_patience=None, progress=False, seed=seed)
            trainable = freezing.count_parameters(model.trainable_weights)
            accuracies = {name: training.evaluate(model, data)["accuracy"] for name, data in test_ids.items()}
        comparison.add(strategy, seed, **extra_columns, trainable_parameters=int(trainable),
                       seconds=round(time.perf_counter() - started, 1),
                       **{f"{name}_accuracy": round(value, 4) for name, value in accuracies.items()})
        steps.advance(f"{strategy}, seed {seed}")


def compare_text_strategies(samples_per_class=(8, 32, 128), *, strategies=STRATEGIES, seeds=None,
                            test_domains=("movies",), encoder: str = text_encoders.OFFLINE_DEFAULT,
                            head_epochs: int = 60, fine_tune_epochs: int = 5, fine_tune_layers: int = 2,
                            lora_rank: int = 4, test_per_class: int | None = None, progress=True) -> Comparison:
    """Each strategy at each training-set size (sentences per class), trained on movie snippets; keyed by ``"strategy"``.

    Rows carry ``samples_per_class`` and ``<domain>_accuracy`` for each of ``test_domains`` (the
    movies' own test split, and other domains for domain shift). Select a size with
    ``comparison.where(samples_per_class=32)`` before asking for a verdict. ``test_per_class``
    tests on that many sentences of each class of each domain (the same ones for every seed)
    instead of all of them.
    """
    strategies = validation.check_choices(strategies, STRATEGIES, "text strategy")
    sizes = [validation.check_positive_int(size, "samples_per_class") for size in
             ((samples_per_class,) if isinstance(samples_per_class, int) else samples_per_class)]
    seeds = validation.check_seeds(seeds if seeds is not None else profile.defaults()["seeds"])
    test_domains = validation.check_choices(test_domains, text_data.DOMAINS, "text domain")
    model_encoder = Encoder(encoder)
    tests = {domain: _subset(text_data.domain_texts(domain, "test"), test_per_class) for domain in test_domains}
    comparison = Comparison("strategy", settings=dict(encoder=model_encoder.name, sizes=sizes, seeds=seeds,
                                                      head_epochs=head_epochs, fine_tune_epochs=fine_tune_epochs,
                                                      fine_tune_layers=fine_tune_layers, lora_rank=lora_rank,
                                                      sequence_length=model_encoder.sequence_length,
                                                      test_per_class=test_per_class))
    steps = Steps(len(sizes) * len(seeds) * len(strategies), "text", output=progress)
    for size in sizes:
        for seed in seeds:
            train, validation_data, _, _ = text_data.load_sentiment(samples_per_class=size, seed=seed)
            run_seed(model_encoder, train, validation_data, tests, seed=seed, strategies=strategies,
                     comparison=comparison, steps=steps, head_epochs=head_epochs, fine_tune_epochs=fine_tune_epochs,
                     fine_tune_layers=fine_tune_layers, lora_rank=lora_rank, samples_per_class=size)
    return comparison
