"""The three types of transfer (Pan & Yang 2010), each measured with what tltutor has offline.

- **Inductive**: the target task differs from the source task and has labels; a model trained on the
  source is adapted with them (feature extraction, fine-tuning; every other lesson).
- **Transductive**: the task is the same, the domain changes, and the target domain has no labels,
  only unlabelled examples. :func:`self_training` fits a classifier on the labelled source, labels
  the unlabelled target examples it is most confident about, and fits again on both (a simple
  form of self-training / pseudo-labelling).
- **Unsupervised**: no labels at all in the target. Pretrained features can still organise the data:
  :func:`cluster_scores` (k-means, then NMI and ARI against the true classes) and
  :func:`retrieval_recall` (do an example's nearest neighbours share its class?). Finding similar
  items without labels is also how a recommender's "more like this" works.

Examples:
    >>> import numpy as np
    >>> features = np.repeat(np.eye(3), 4, axis=0) + np.random.default_rng(0).normal(0, 0.05, (12, 3))
    >>> labels = np.repeat(np.arange(3), 4)
    >>> cluster_scores(features, labels, seed=0)["nmi"], retrieval_recall(features, labels, k=1)
    (1.0, 1.0)
"""

from __future__ import annotations

import numpy as np

from tltutor import validation
from tltutor.lessons import baselines
from tltutor.report.results import Comparison

CONFIDENCE = 0.9


MAX_SOLVER_ITERATIONS = 3000


def _classifier(features, labels, seed, strength=1.0):
    return baselines.fit_logistic_regression(features, labels, C=strength, max_iter=MAX_SOLVER_ITERATIONS,
                                             random_state=seed)


def _converged(*classifiers) -> bool:
    return all(int(np.max(classifier.n_iter_)) < MAX_SOLVER_ITERATIONS for classifier in classifiers)


def self_training(source_features, source_labels, target_features, target_test, *, confidence: float = CONFIDENCE,
                  strength: float = 1.0, seed: int = 0, target_truth=None) -> dict:
    """Fit on the labelled source, pseudo-label confident unlabelled target examples, fit again on both.

    ``target_test`` is ``(features, labels)`` of target examples kept apart for measuring. Returns the
    target test accuracy ``before`` and ``after`` adaptation, how many pseudo-labels were used, and
    whether every fit ``converged``.
    With ``target_truth`` (the unlabelled examples' true labels, which the method never uses) it also
    reports the share of pseudo-labels that were right (and how many), and ``in_domain``: the accuracy
    of the same classifier fitted on the unlabelled examples *with* their true labels, a reference for
    how much of the gap an adaptation closed.
    """
    confidence = validation.check_number(confidence, "confidence", low=0, high=1, low_inclusive=False,
                                         high_inclusive=False)
    source_features, target_features = np.asarray(source_features), np.asarray(target_features)
    validation.check_not_empty(len(target_features), "unlabelled target set")
    before = _classifier(source_features, source_labels, seed, strength)
    probabilities = before.predict_proba(target_features)
    chosen = np.flatnonzero(probabilities.max(axis=1) >= confidence)
    pseudo_labels = before.classes_[np.argmax(probabilities[chosen], axis=1)]
    after = _classifier(np.concatenate([source_features, target_features[chosen]]),
                        np.concatenate([source_labels, pseudo_labels]), seed, strength)
    test_features, test_labels = target_test
    result = {"before": round(float(before.score(test_features, test_labels)), 4),
              "after": round(float(after.score(test_features, test_labels)), 4), "pseudo_labels": int(len(chosen)),
              "converged": _converged(before, after)}
    if target_truth is not None:
        truth = np.asarray(target_truth)[chosen]
        result["pseudo_label_precision"] = round(float(np.mean(pseudo_labels == truth)), 4) if len(chosen) else None
        result["correct_pseudo_labels"] = int(np.sum(pseudo_labels == truth))
        in_domain = _classifier(target_features, np.asarray(target_truth), seed, strength)
        result["in_domain"] = round(float(in_domain.score(test_features, test_labels)), 4)
        result["converged"] = result["converged"] and _converged(in_domain)
    return result


def standardise_each_domain(source_features, unlabelled_target, *other_target):
    """Each domain's features standardised by its own statistics: the source by the source's mean and
    standard deviation, the target (``unlabelled_target`` and any ``other_target`` arrays) by those of
    the unlabelled target examples. No target label is used.

    It is a last-layer analogue of AdaBN (notebook 08), which re-estimates the statistics of every
    BatchNorm layer: here only the features the head reads are aligned, so the part of a shift that
    moves or scales those features (lower contrast, another sensor) is undone, and the rest is not.
    Returns ``(source, unlabelled_target, *other_target)``.

    Examples:
        >>> source = np.array([[0.0], [2.0]]); target = np.array([[10.0], [14.0]])
        >>> [part.ravel().tolist() for part in standardise_each_domain(source, target, np.array([[12.0]]))]
        [[-1.0, 1.0], [-1.0, 1.0], [0.0]]
    """
    source_features, unlabelled_target = np.asarray(source_features, np.float64), np.asarray(unlabelled_target, np.float64)
    for name, part in (("source features", source_features), ("unlabelled target features", unlabelled_target)):
        validation.check_not_empty(len(part), name)
    if source_features.shape[1:] != unlabelled_target.shape[1:]:
        raise validation.InvalidArgumentError(
            f"source features have shape {source_features.shape} and target features {unlabelled_target.shape}: "
            "both domains must go through the same extractor")

    def scaled(part, reference):
        return (np.asarray(part, np.float64) - reference.mean(axis=0)) / np.maximum(reference.std(axis=0), 1e-6)

    return (scaled(source_features, source_features), scaled(unlabelled_target, unlabelled_target),
            *(scaled(part, unlabelled_target) for part in other_target))


ADAPTATIONS = ("source only", "source only, rescaled", "self-training", "standardised", "standardised + self-training",
               "in-domain labels")


def compare_adaptation(source, target, *, source_per_class: int, seeds, confidence: float = CONFIDENCE,
                       strength: float = 1.0) -> Comparison:
    """Every arm of :data:`ADAPTATIONS` on one shift, keyed by ``"adaptation"``; rows hold ``target_accuracy``.

    ``source`` is ``(features, labels)``: a labelled pool, ``source_per_class`` of each class drawn per
    seed. ``target`` is ``(features, labels)`` of the shifted domain: each seed shows half of it to
    the method without labels and measures on the other half. The target labels serve only to
    measure and to fit ``"in-domain labels"``, the same classifier trained on the unlabelled half
    with its true labels: a reference for how much of the gap an adaptation closed. ``"source only,
    rescaled"`` scales both domains by the *source's* statistics: the rescaling of ``"standardised"``
    without its alignment, the control that credits a gain of ``"standardised"`` to aligning the
    domains. Every arm is a logistic regression with ``C = strength`` fitted to convergence.
    """
    source_features, source_labels = np.asarray(source[0]), np.asarray(source[1])
    target_features, target_labels = np.asarray(target[0]), np.asarray(target[1])
    source_per_class = validation.check_positive_int(source_per_class, "source_per_class")
    seeds = validation.check_seeds(seeds)
    classes = np.unique(source_labels)
    smallest = min(int(np.sum(source_labels == label)) for label in classes)
    if smallest < source_per_class:
        raise validation.InvalidArgumentError(
            f"the source pool has {smallest} examples of its smallest class, fewer than source_per_class="
            f"{source_per_class}: ask for at most {smallest}")
    validation.check_not_empty(len(target_features) // 2, "half of the target set")
    comparison = Comparison("adaptation", settings=dict(source_per_class=source_per_class, confidence=confidence,
                                                        strength=strength, target_examples=len(target_labels)))
    for seed in seeds:
        rng = np.random.default_rng(seed)
        picked = np.concatenate([rng.choice(np.flatnonzero(source_labels == label), source_per_class, replace=False)
                                 for label in classes])
        order = rng.permutation(len(target_labels))
        unlabelled, evaluation = order[:len(order) // 2], order[len(order) // 2:]
        truth = target_labels[unlabelled]
        raw = self_training(source_features[picked], source_labels[picked], target_features[unlabelled],
                            (target_features[evaluation], target_labels[evaluation]), confidence=confidence,
                            strength=strength, seed=seed, target_truth=truth)
        aligned_source, aligned_unlabelled, aligned_evaluation = standardise_each_domain(
            source_features[picked], target_features[unlabelled], target_features[evaluation])
        aligned = self_training(aligned_source, source_labels[picked], aligned_unlabelled,
                                (aligned_evaluation, target_labels[evaluation]), confidence=confidence,
                                strength=strength, seed=seed, target_truth=truth)
        rescaled = _source_scaled(source_features[picked], source_labels[picked],
                                  (target_features[evaluation], target_labels[evaluation]), seed, strength)
        comparison.add("source only", seed, target_accuracy=raw["before"], converged=raw["converged"])
        comparison.add("source only, rescaled", seed, **rescaled)
        for name, result, accuracy in (("self-training", raw, "after"),
                                       ("standardised", aligned, "before"),
                                       ("standardised + self-training", aligned, "after"),
                                       ("in-domain labels", raw, "in_domain")):
            pseudo = ({key: result[key] for key in ("pseudo_labels", "correct_pseudo_labels", "pseudo_label_precision")}
                      if accuracy == "after" else {})
            comparison.add(name, seed, target_accuracy=result[accuracy], **pseudo, converged=result["converged"])
    return comparison


def _source_scaled(source_features, source_labels, target_test, seed, strength) -> dict:
    """The source-only classifier on features standardised by the source's statistics, both domains alike."""
    mean, deviation = source_features.mean(axis=0), np.maximum(source_features.std(axis=0), 1e-6)
    classifier = _classifier((source_features - mean) / deviation, source_labels, seed, strength)
    accuracy = classifier.score((np.asarray(target_test[0]) - mean) / deviation, target_test[1])
    return {"target_accuracy": round(float(accuracy), 4), "converged": _converged(classifier)}


def compare_text_heads(embed, samples_per_class: int, *, seeds) -> Comparison:
    """Inductive transfer on movie sentiment, keyed by ``"representation"``: TF-IDF against the
    embeddings ``embed(texts)`` returns, each under a logistic regression whose ``C`` validation
    chose, fitted to convergence. Rows hold ``movies_accuracy``, ``strength`` and ``converged``."""
    from tltutor.data import text as text_data
    from tltutor.lessons import text as text_lessons

    samples_per_class = validation.check_positive_int(samples_per_class, "samples_per_class")
    seeds = validation.check_seeds(seeds)
    test_texts, test_labels = text_data.domain_texts("movies", "test")
    test_rows = embed(test_texts)
    comparison = Comparison("representation", settings=dict(
        samples_per_class=samples_per_class, tfidf_strengths=list(text_lessons.REGULARISATION_STRENGTHS),
        embedding_strengths=list(baselines.HEAD_STRENGTHS)))
    for seed in seeds:
        train, validation_data, _, _ = text_data.load_sentiment(samples_per_class=samples_per_class, seed=seed)
        tfidf = text_lessons.TfidfClassifier(train, validation_data, seed=seed)
        comparison.add("TF-IDF", seed, movies_accuracy=round(tfidf.accuracy((test_texts, test_labels)), 4),
                       strength=tfidf.strength, converged=_converged(tfidf.classifier))
        head = baselines.FeatureHead(embed(train[0]), train[1], embed(validation_data[0]), validation_data[1], seed=seed)
        comparison.add("sentence embeddings", seed, movies_accuracy=round(head.accuracy(test_rows, test_labels), 4),
                       **head.summary())
    return comparison


def cluster_scores(features, labels, *, clusters: int | None = None, seed: int = 0) -> dict:
    """k-means on ``features`` (as many clusters as classes), scored against the true ``labels``.

    NMI (normalised mutual information) and ARI (adjusted Rand index) are 1 for a perfect match; ARI
    is about 0 for a random assignment. ``converged`` says k-means stopped before its iteration cap.
    """
    from sklearn.cluster import KMeans  # scikit-learn is imported only where used
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    features, labels = np.asarray(features, np.float64), np.asarray(labels)
    validation.check_not_empty(len(features), "set of features")
    clusters = clusters or len(np.unique(labels))
    fitted = KMeans(clusters, n_init=4, random_state=seed).fit(features)
    assigned = fitted.labels_
    return {"nmi": round(float(normalized_mutual_info_score(labels, assigned)), 4),
            "ari": round(float(adjusted_rand_score(labels, assigned)), 4),
            "converged": bool(fitted.n_iter_ < fitted.max_iter)}


def retrieval_recall(features, labels, k: int = 5) -> float:
    """Recall@k of retrieval: the share of examples with at least one of their ``k`` nearest neighbours
    (cosine similarity, the example itself left out) in the same class."""
    k = validation.check_positive_int(k, "k")
    features = np.asarray(features, np.float64)
    labels = np.asarray(labels)
    normalised = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    similarity = normalised @ normalised.T
    np.fill_diagonal(similarity, -np.inf)
    neighbours = np.argsort(-similarity, axis=1)[:, :k]
    return round(float(np.mean((labels[neighbours] == labels[:, None]).any(axis=1))), 4)


def lsa_features(features, components: int = 100, *, seed: int = 0) -> np.ndarray:
    """Latent semantic analysis: ``features`` (e.g. TF-IDF) projected on their top ``components``
    singular directions (truncated SVD), each row scaled to unit length.

    Sparse TF-IDF vectors are nearly orthogonal, so every text is about equally far from every
    k-means centre; the projection merges words that occur together into shared directions.

    Examples:
        >>> lsa_features(np.eye(6)[[0, 0, 1, 2, 3]] + 0.1, components=2).shape
        (5, 2)
    """
    from sklearn.decomposition import TruncatedSVD  # scikit-learn is imported only where used

    features = np.asarray(features, np.float64)
    components = validation.check_positive_int(components, "components")
    if components >= min(features.shape):
        raise validation.InvalidArgumentError(
            f"{components} components from a {features.shape[0]} × {features.shape[1]} matrix: ask for fewer "
            f"than {min(features.shape)}")
    projected = TruncatedSVD(components, random_state=seed).fit_transform(features)
    return projected / np.maximum(np.linalg.norm(projected, axis=1, keepdims=True), 1e-12)


def tfidf_features(texts) -> np.ndarray:
    """Dense TF-IDF vectors (words and word pairs) of ``texts``: the raw representation of text."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # scikit-learn is imported only where used

    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(list(texts)).toarray()


SCENARIOS = {  # a scenario, in words that do not name its type, and its type
    "ImageNet network, a few labelled X-rays of a new disease": "inductive",
    "pneumonia classifier, another hospital's unlabelled X-rays": "transductive",
    "sentence embeddings, grouping unlabelled support tickets": "unsupervised",
}


def transfer_type(scenario: str) -> str:
    """The type of transfer of one of :data:`SCENARIOS` (Pan & Yang 2010)."""
    return SCENARIOS[validation.check_name(scenario, SCENARIOS, "scenario")]
