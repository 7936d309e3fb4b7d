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

CONFIDENCE = 0.9


def _classifier(features, labels, seed, strength=1.0):
    return baselines.fit_logistic_regression(features, labels, C=strength, max_iter=3000, random_state=seed)


def self_training(source_features, source_labels, target_features, target_test, *, confidence: float = CONFIDENCE,
                  strength: float = 1.0, seed: int = 0, target_truth=None) -> dict:
    """Fit on the labelled source, pseudo-label confident unlabelled target examples, fit again on both.

    ``target_test`` is ``(features, labels)`` of target examples kept apart for measuring. Returns the
    target test accuracy ``before`` and ``after`` adaptation and how many pseudo-labels were used.
    With ``target_truth`` (the unlabelled examples' true labels, which the method never uses) it also
    reports the share of pseudo-labels that were right, and ``in_domain``: the accuracy of the same
    classifier fitted on the unlabelled examples *with* their true labels, the reference an
    adaptation method could at best approach.
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
              "after": round(float(after.score(test_features, test_labels)), 4), "pseudo_labels": int(len(chosen))}
    if target_truth is not None:
        truth = np.asarray(target_truth)[chosen]
        result["pseudo_label_precision"] = round(float(np.mean(pseudo_labels == truth)), 4) if len(chosen) else None
        in_domain = _classifier(target_features, np.asarray(target_truth), seed, strength)
        result["in_domain"] = round(float(in_domain.score(test_features, test_labels)), 4)
    return result


def cluster_scores(features, labels, *, clusters: int | None = None, seed: int = 0) -> dict:
    """k-means on ``features`` (as many clusters as classes), scored against the true ``labels``.

    NMI (normalised mutual information) and ARI (adjusted Rand index) are 1 for a perfect match; ARI
    is about 0 for a random assignment.
    """
    from sklearn.cluster import KMeans  # scikit-learn is imported only where used
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    features, labels = np.asarray(features, np.float64), np.asarray(labels)
    validation.check_not_empty(len(features), "set of features")
    clusters = clusters or len(np.unique(labels))
    assigned = KMeans(clusters, n_init=4, random_state=seed).fit_predict(features)
    return {"nmi": round(float(normalized_mutual_info_score(labels, assigned)), 4),
            "ari": round(float(adjusted_rand_score(labels, assigned)), 4)}


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


SCENARIOS = {
    "new task, some labels": "inductive",
    "same task, new domain, unlabelled target": "transductive",
    "new task, no labels": "unsupervised",
}


def transfer_type(scenario: str) -> str:
    """The type of transfer of one of :data:`SCENARIOS` (Pan & Yang 2010)."""
    return SCENARIOS[validation.check_name(scenario, SCENARIOS, "scenario")]
