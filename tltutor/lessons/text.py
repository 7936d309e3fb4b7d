"""Transfer for text: TF-IDF against a frozen pretrained sentence encoder, fine-tuning and LoRA, over seeds.

The strategies (:data:`STRATEGIES`), each trained on the same sentences of a seed:

- ``tfidf``: TF-IDF word and bigram features with logistic regression, ``C`` chosen on
  validation, fitted to convergence. The honest baseline: it learns everything from the target's
  few labelled sentences.
- ``frozen``: MiniLM-L6's mean-pooled sentence embeddings, frozen, with a new linear head fitted
  the same way (:class:`~tltutor.lessons.baselines.FeatureHead`).
- ``head_only``: the control for adapting the encoder: that head, trained on for the same optimizer
  steps as the two arms below, the encoder still frozen.
- ``fine_tune``: from that head, the top ``fine_tune_layers`` transformer layers trained too, at
  :data:`FINE_TUNE_LEARNING_RATE` with a warm-up and a cosine decay.
- ``lora``: from that head, instead of those layers' weights, a rank-4 update of each attention
  head's query and value projections (Hu et al. 2021), at :data:`LORA_LEARNING_RATE`.

The encoder runs once per sentence for ``frozen``, and once per sentence below the unfrozen layers
for the others (:mod:`tltutor.features`); seeds and sizes share those passes.

Example::

    comparison = tl.lessons.text.compare_text_strategies(samples_per_class=(8, 32), strategies=("tfidf", "frozen"))
    print(comparison.where(samples_per_class=32).summary_table("movies_accuracy"))
"""

from __future__ import annotations

import functools
import time

import numpy as np

from tltutor import compiling, features, freezing, models, state, text, training, validation
from tltutor.backbones import text_encoders
from tltutor.data import text as text_data
from tltutor.lessons.baselines import FeatureHead, logistic_regression_chosen_on_validation
from tltutor.lessons.experiments import epochs_for_steps
from tltutor.report.results import Comparison
from tltutor.runtime import profile
from tltutor.runtime.progress import Steps

STRATEGIES = ("tfidf", "frozen", "head_only", "fine_tune", "lora")
ADAPTING = ("head_only", "fine_tune", "lora")
# Hugging Face's range for fine-tuning BERT-like encoders is 2e-5 to 5e-5 (Devlin et al. 2019 chose from
# 2e-5, 3e-5 and 5e-5); few sentences and few steps take the top of it.
FINE_TUNE_LEARNING_RATE = 5e-5
# LoRA's updates start at zero and have few weights: Hu et al. (2021) trained RoBERTa-base's at 4e-4 to 5e-4.
LORA_LEARNING_RATE = 5e-4
ADAPTATION_STEPS = 200
ADAPTATION_BATCH_SIZE = 8
REGULARISATION_STRENGTHS = (0.1, 1.0, 10.0, 100.0)
IN_DOMAIN_FOLDS = 2


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

    def embed(self, texts) -> np.ndarray:
        """The frozen encoder's mean-pooled sentence embeddings of ``texts`` (each sentence computed once)."""
        ids = self.token_ids(texts)
        frozen = self.model("frozen", len(text_data.CLASS_NAMES), 0)
        return features.pooled_features(frozen, (ids, np.zeros(len(ids))))[0]

    def model(self, purpose: str, num_classes: int, seed: int, *, lora_rank: int = 4,
              lora_from: str = "transformer_layer_0"):
        """The model for ``purpose`` ("frozen", "fine_tune", "lora"), pretrained weights and a head drawn from ``seed``.

        ``"frozen"`` serves the ``head_only`` control too.

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


def _top_layers(encoder: Encoder, fine_tune_layers: int) -> str:
    """The first transformer layer of the top ``fine_tune_layers``."""
    num_layers = text_encoders.get(encoder.name).layers
    fine_tune_layers = validation.check_positive_int(fine_tune_layers, "fine_tune_layers")
    if fine_tune_layers > num_layers:
        raise validation.InvalidArgumentError(
            f"fine_tune_layers={fine_tune_layers}, but {encoder.name} has {num_layers} transformer layers")
    return f"transformer_layer_{num_layers - fine_tune_layers}"


def adapt(encoder: Encoder, strategy: str, head: FeatureHead, train_ids, validation_ids, *, seed: int,
          steps: int = ADAPTATION_STEPS, batch_size: int = ADAPTATION_BATCH_SIZE, fine_tune_layers: int = 2,
          lora_rank: int = 4):
    """``(model, history)``: the encoder with ``head`` as its new head, then ``steps`` optimizer steps of ``strategy``.

    ``strategy`` is one of :data:`ADAPTING`. Every one runs the same steps (whole epochs, at least
    ``steps``) with a warm-up and a cosine decay and no early stopping: a fixed budget, stated in
    advance. ``head_only`` trains the head at LoRA's rate, the larger of the two, so the control
    has every chance to match the adapted encoders by training its head alone.
    """
    strategy = validation.check_name(strategy, ADAPTING, "adaptation strategy")
    steps, batch_size = (validation.check_positive_int(value, name) for value, name in
                         ((steps, "steps"), (batch_size, "batch_size")))
    top_layers = _top_layers(encoder, fine_tune_layers)
    model = encoder.model("frozen" if strategy == "head_only" else strategy, len(text_data.CLASS_NAMES), seed,
                          lora_rank=lora_rank, lora_from=top_layers)
    model.get_layer("classifier").set_weights(head.dense_weights())
    epochs = epochs_for_steps(steps, len(train_ids[1]), batch_size)
    budget = dict(epochs=epochs, batch_size=batch_size, early_stopping_patience=None, schedule="warmup_cosine",
                  progress=False, seed=seed)
    if strategy == "head_only":
        history = training.train_head(model, train_ids, validation_ids, learning_rate=LORA_LEARNING_RATE, **budget)
    elif strategy == "fine_tune":
        history = training.fine_tune(model, train_ids, validation_ids, learning_rate=FINE_TUNE_LEARNING_RATE,
                                     unfreeze_from=top_layers, **budget)
    else:
        text.enable_lora(model, lora_rank, unfreeze_from=top_layers)
        compiling.recompile(model, LORA_LEARNING_RATE)
        history = training.train_unfrozen(model, train_ids, validation_ids, learning_rate=LORA_LEARNING_RATE,
                                          **budget)
    return model, history


def lora_round_trip(encoder: Encoder, model, texts) -> dict:
    """What a trained LoRA ``model`` left of the pretrained encoder, measured on ``texts``.

    ``pretrained_weights_changed``: the largest change of any base weight that is not a LoRA update.
    ``removed_max_difference``: the largest difference between the pretrained encoder's embeddings of
    ``texts`` and ``model``'s after :func:`tltutor.text.remove_lora_updates` (in place). Both are 0
    when removing the adapter gives back the pretrained encoder exactly.
    """
    pretrained = encoder.model("frozen", len(text_data.CLASS_NAMES), 0)
    kept = [weight for weight in freezing.get_base(model).weights if "lora_kernel" not in weight.path]
    originals = freezing.get_base(pretrained).weights
    if [weight.shape for weight in kept] != [weight.shape for weight in originals]:
        raise validation.InvalidArgumentError(f"{model.name}'s base is not {encoder.name} with LoRA updates")
    changed = max(float(np.max(np.abs(np.asarray(weight) - np.asarray(original)), initial=0.0))
                  for weight, original in zip(kept, originals))
    text.remove_lora_updates(model)
    ids = encoder.token_ids(texts)
    difference = np.abs(models.feature_extractor(model).predict(ids, verbose=0)
                        - models.feature_extractor(pretrained).predict(ids, verbose=0))
    return {"pretrained_weights_changed": changed, "removed_max_difference": float(np.max(difference))}


def run_seed(encoder: Encoder, train, validation_data, tests: dict, *, seed: int, strategies, comparison: Comparison,
             tracker: Steps, steps: int = ADAPTATION_STEPS, batch_size: int = ADAPTATION_BATCH_SIZE,
             fine_tune_layers: int = 2, lora_rank: int = 4, **extra_columns) -> None:
    """Every strategy on one seed's sentences; one row per strategy with ``<test>_accuracy`` on each test set
    and ``train_accuracy`` on its own training sentences, measured after training.

    Rows of the fitted heads store ``strength`` and ``converged``; rows of the adapting arms store
    their optimizer ``steps`` and ``learning_rate``, and LoRA's :func:`lora_round_trip` (measured after
    testing).
    """
    ids = {name: _as_ids(encoder, data) for name, data in (("train", train), ("validation", validation_data))}
    head = None
    for strategy in strategies:
        started = time.perf_counter()
        if strategy == "tfidf":
            classifier = TfidfClassifier(train, validation_data, seed=seed)
            accuracies = {name: classifier.accuracy(data) for name, data in tests.items()}
            accuracies["train"] = classifier.accuracy(train)
            fitted = dict(trainable_parameters=len(classifier.vectorizer.vocabulary_) * 2 + 2,
                          strength=classifier.strength, converged=bool(max(classifier.classifier.n_iter_)
                                                                       < classifier.classifier.max_iter))
        else:
            if head is None:
                head = FeatureHead(encoder.embed(train[0]), train[1], encoder.embed(validation_data[0]),
                                   validation_data[1], seed=seed)
            if strategy == "frozen":
                accuracies = {name: head.accuracy(encoder.embed(data[0]), data[1]) for name, data in tests.items()}
                accuracies["train"] = head.accuracy(encoder.embed(train[0]), train[1])
                fitted = dict(trainable_parameters=int(sum(weight.size for weight in head.dense_weights())),
                              **head.summary())
            else:
                model, history = adapt(encoder, strategy, head, ids["train"], ids["validation"], seed=seed,
                                       steps=steps, batch_size=batch_size, fine_tune_layers=fine_tune_layers,
                                       lora_rank=lora_rank)
                accuracies = {name: training.evaluate(model, _as_ids(encoder, data))["accuracy"]
                              for name, data in tests.items()}
                accuracies["train"] = training.evaluate(model, ids["train"])["accuracy"]
                fitted = dict(trainable_parameters=freezing.count_parameters(model.trainable_weights),
                              steps=history.steps, learning_rate=compiling.current_learning_rate(model))
                if strategy == "lora":
                    fitted.update(lora_round_trip(encoder, model, validation_data[0]))
        comparison.add(strategy, seed, **extra_columns, **fitted, seconds=round(time.perf_counter() - started, 1),
                       **{f"{name}_accuracy": round(value, 4) for name, value in accuracies.items()})
        tracker.advance(f"{strategy}, seed {seed}")


def compare_text_strategies(samples_per_class=(8, 32, 128), *, strategies=STRATEGIES, seeds=None,
                            test_domains=("movies",), encoder: str = text_encoders.OFFLINE_DEFAULT,
                            sequence_length: int = text.SEQUENCE_LENGTH, steps: int = ADAPTATION_STEPS,
                            batch_size: int = ADAPTATION_BATCH_SIZE, fine_tune_layers: int = 2, lora_rank: int = 4,
                            test_per_class: int | None = None, progress=True) -> Comparison:
    """Each strategy at each training-set size (sentences per class), trained on movie snippets; keyed by ``"strategy"``.

    Rows carry ``samples_per_class`` and ``<domain>_accuracy`` for each of ``test_domains`` (the
    movies' own test split, and other domains for domain shift). Select a size with
    ``comparison.where(samples_per_class=32)`` before asking for a verdict. ``test_per_class``
    tests on that many sentences of each class of each domain (the same ones for every seed)
    instead of all of them. The adapting strategies (:data:`ADAPTING`) each run ``steps``
    optimizer steps in batches of ``batch_size`` (:func:`adapt`).
    """
    strategies = validation.check_choices(strategies, STRATEGIES, "text strategy")
    sizes = [validation.check_positive_int(size, "samples_per_class") for size in
             ((samples_per_class,) if isinstance(samples_per_class, int) else samples_per_class)]
    seeds = validation.check_seeds(seeds if seeds is not None else profile.defaults()["seeds"])
    test_domains = validation.check_choices(test_domains, text_data.DOMAINS, "text domain")
    steps, batch_size = (validation.check_positive_int(value, name) for value, name in
                         ((steps, "steps"), (batch_size, "batch_size")))
    model_encoder = Encoder(encoder, sequence_length)
    _top_layers(model_encoder, fine_tune_layers)
    tests = {domain: _subset(text_data.domain_texts(domain, "test"), test_per_class) for domain in test_domains}
    comparison = Comparison("strategy", settings=dict(
        encoder=model_encoder.name, sizes=sizes, seeds=seeds, steps=steps, batch_size=batch_size,
        fine_tune_learning_rate=FINE_TUNE_LEARNING_RATE, lora_learning_rate=LORA_LEARNING_RATE,
        fine_tune_layers=fine_tune_layers, lora_rank=lora_rank, sequence_length=model_encoder.sequence_length,
        test_per_class=test_per_class))
    tracker = Steps(len(sizes) * len(seeds) * len(strategies), "text", output=progress)
    for size in sizes:
        for seed in seeds:
            train, validation_data, _, _ = text_data.load_sentiment(samples_per_class=size, seed=seed)
            run_seed(model_encoder, train, validation_data, tests, seed=seed, strategies=strategies,
                     comparison=comparison, tracker=tracker, steps=steps, batch_size=batch_size,
                     fine_tune_layers=fine_tune_layers, lora_rank=lora_rank, samples_per_class=size)
    return comparison


def _in_domain_folds(labels, seed: int, folds: int = IN_DOMAIN_FOLDS) -> np.ndarray:
    """A fold number for each example: each class dealt round-robin over ``folds`` in a seeded order."""
    assigned = np.empty(len(labels), np.int64)
    generator = np.random.default_rng(seed)
    for label in np.unique(labels):
        members = generator.permutation(np.flatnonzero(labels == label))
        assigned[members] = np.arange(len(members)) % folds
    return assigned


def compare_domain_shift(samples_per_class: int = 128, *, targets=("tweets", "amazon", "nyt"), seeds=None,
                         encoder: str = text_encoders.OFFLINE_DEFAULT, sequence_length: int = text.SEQUENCE_LENGTH,
                         validation_split: float = 0.2, progress=True) -> Comparison:
    """TF-IDF and frozen MiniLM trained on movies against the same trained in the target domain; keyed by ``"strategy"``.

    ``"tfidf"`` and ``"frozen"`` train on ``samples_per_class`` movie snippets per class (as
    :func:`compare_text_strategies` does) and test on every sentence of each target. The in-domain
    references, ``"tfidf, in-domain"`` and ``"frozen, in-domain"``, test on the same sentences: each
    target is cut into two halves per seed, and each half is predicted by a model trained on the
    other (``validation_split`` of it chooses ``C``). So every sentence is scored once, by a model
    that never saw it, trained on about 100 sentences per class of its own domain. Rows hold
    ``<target>_accuracy``; ``comparison.verdict("frozen, in-domain", "frozen", "tweets_accuracy")``
    is what training on movies cost on tweets.
    """
    samples_per_class = validation.check_positive_int(samples_per_class, "samples_per_class")
    targets = validation.check_choices(targets, text_data.DOMAINS[1:], "target domain")
    seeds = validation.check_seeds(seeds if seeds is not None else profile.defaults()["seeds"])
    validation_split = validation.check_fraction(validation_split, "validation_split")
    model_encoder = Encoder(encoder, sequence_length)
    target_data = {target: text_data.domain_texts(target, "test") for target in targets}
    comparison = Comparison("strategy", settings=dict(
        encoder=model_encoder.name, samples_per_class=samples_per_class, targets=list(targets), seeds=seeds,
        in_domain_folds=IN_DOMAIN_FOLDS, validation_split=validation_split,
        sequence_length=model_encoder.sequence_length))
    tracker = Steps(len(seeds) * 2, "domain shift", output=progress)
    for seed in seeds:
        train, validation_data, _, _ = text_data.load_sentiment(samples_per_class=samples_per_class, seed=seed)
        tfidf = TfidfClassifier(train, validation_data, seed=seed)
        head = FeatureHead(model_encoder.embed(train[0]), train[1], model_encoder.embed(validation_data[0]),
                           validation_data[1], seed=seed)
        comparison.add("tfidf", seed, **{f"{target}_accuracy": round(tfidf.accuracy(data), 4)
                                         for target, data in target_data.items()})
        comparison.add("frozen", seed, **{f"{target}_accuracy": round(head.accuracy(model_encoder.embed(data[0]),
                                                                                    data[1]), 4)
                                          for target, data in target_data.items()})
        tracker.advance(f"trained on movies, seed {seed}")
        correct = {"tfidf": {}, "frozen": {}}
        for target, (texts, labels) in target_data.items():
            folds = _in_domain_folds(labels, seed)
            right = {"tfidf": 0, "frozen": 0}
            for fold in range(IN_DOMAIN_FOLDS):
                held_out, trained = np.flatnonzero(folds == fold), np.flatnonzero(folds != fold)
                fit, choose = _validation_part(labels[trained], validation_split, seed)
                fit, choose = trained[fit], trained[choose]
                in_domain = TfidfClassifier((texts[fit], labels[fit]), (texts[choose], labels[choose]), seed=seed)
                right["tfidf"] += in_domain.accuracy((texts[held_out], labels[held_out])) * len(held_out)
                in_domain_head = FeatureHead(model_encoder.embed(texts[fit]), labels[fit],
                                             model_encoder.embed(texts[choose]), labels[choose], seed=seed)
                right["frozen"] += in_domain_head.accuracy(model_encoder.embed(texts[held_out]),
                                                           labels[held_out]) * len(held_out)
            for strategy in right:
                correct[strategy][f"{target}_accuracy"] = round(right[strategy] / len(labels), 4)
        for strategy, accuracies in correct.items():
            comparison.add(f"{strategy}, in-domain", seed, **accuracies)
        tracker.advance(f"in-domain references, seed {seed}")
    return comparison


def _validation_part(labels, validation_split: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(fit, choose)`` of ``labels``: ``validation_split`` of each class to choose with, seeded."""
    generator = np.random.default_rng(seed + 1)
    fit, choose = [], []
    for label in np.unique(labels):
        members = generator.permutation(np.flatnonzero(labels == label))
        cut = max(1, round(validation_split * len(members)))
        choose.append(members[:cut])
        fit.append(members[cut:])
    return np.sort(np.concatenate(fit)), np.sort(np.concatenate(choose))
