"""Sentences with human sentiment ratings in four domains, shipped inside tltutor (offline).

The subset comes from the data of Hutto & Gilbert (ICWSM 2014), distributed with vaderSentiment
3.3.2 under the MIT licence: sentences that human raters scored from -4 to +4, labelled here
negative (mean rating < 0) or positive (> 0). ``tools/make_embedded_sentiment.py`` rebuilds it:

- ``movies``: movie-review snippets, a pool of 1,000 per class and 500 per class to test;
- ``tweets``, ``amazon``, ``nyt`` (editorial sentences): 250 per class each, to test on only.

Four domains with the same labels make text domain shift measurable: train on movies, test on tweets.

Examples:
    >>> train, validation, test, info = load_sentiment(samples_per_class=8, seed=0)
    >>> len(train[0]), info.class_names, info.test_domain
    (16, ('negative', 'positive'), 'movies')
    >>> isinstance(train[0][0], str)
    True
"""

from __future__ import annotations

import functools
import gzip
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

from tltutor import validation
from tltutor.data import splits
from tltutor.errors import DatasetError
from tltutor.io import files

EMBEDDED_SHA256 = "6483ed82188b6e36ab8e0017fe02c4934e96b7581a22ba25afa5197f7f88cb7c"
DOMAINS = ("movies", "tweets", "amazon", "nyt")
CLASS_NAMES = ("negative", "positive")


@dataclass(frozen=True)
class TextDatasetInfo:
    """What :func:`load_sentiment` loaded."""

    train_domain: str
    test_domain: str
    class_names: tuple[str, ...]
    train_count: int
    validation_count: int
    test_count: int
    description: str

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


@functools.lru_cache(maxsize=1)
def embedded_sentiment() -> dict:
    """The shipped subset: ``{"domains": {domain: {split: [[text, rating], ...]}}, "citation": ...}``."""
    path = resources.files("tltutor") / "assets" / "sentiment_subset.json.gz"
    with resources.as_file(path) as file_path:
        if files.sha256_of(file_path) != EMBEDDED_SHA256:
            raise DatasetError(f"{file_path} does not match its sha256: reinstall tltutor")
        return json.loads(gzip.decompress(file_path.read_bytes()).decode("utf-8"))


def _split_arrays(rows) -> tuple[np.ndarray, np.ndarray]:
    texts = np.array([text for text, _ in rows], dtype=object)
    labels = np.array([int(rating > 0) for _, rating in rows], dtype=np.int32)
    return texts, labels


def domain_texts(domain: str, split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """``(texts, labels)`` of one domain's ``"pool"`` (movies only) or ``"test"`` sentences."""
    domain = validation.check_name(domain, DOMAINS, "text domain")
    parts = embedded_sentiment()["domains"][domain]
    if split not in parts:
        raise validation.InvalidArgumentError(f"{domain} has the splits {sorted(parts)}, not {split!r}")
    return _split_arrays(parts[split])


def load_sentiment(train_domain: str = "movies", *, test_domain: str | None = None,
                   samples_per_class: int | None = None, validation_split: float = 0.2, seed: int = 0):
    """Train, validation and test ``(texts, labels)`` and a :class:`TextDatasetInfo`.

    Training and validation sentences are drawn from ``train_domain``'s pool (stratified, seeded,
    disjoint); the test sentences are ``test_domain``'s test split (``train_domain`` by default).
    """
    train_domain = validation.check_name(train_domain, DOMAINS, "text domain")
    test_domain = validation.check_name(test_domain or train_domain, DOMAINS, "text domain")
    texts, labels = domain_texts(train_domain, "pool")
    if samples_per_class is not None:
        samples_per_class = validation.check_positive_int(samples_per_class, "samples_per_class")
    validation_split = validation.check_fraction(validation_split, "validation_split")
    train_index, validation_index, _ = splits.stratified_split(
        labels, len(CLASS_NAMES), samples_per_class=samples_per_class, validation_split=validation_split, seed=seed)
    test = domain_texts(test_domain, "test")
    info = TextDatasetInfo(train_domain, test_domain, CLASS_NAMES, len(train_index), len(validation_index),
                           len(test[1]), embedded_sentiment()["citation"])
    return ((texts[train_index], labels[train_index]), (texts[validation_index], labels[validation_index]),
            test, info)
