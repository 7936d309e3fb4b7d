# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 15 · The three types of transfer
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/15_types_of_transfer.ipynb)
#
# Pan & Yang's survey (2010) gave transfer learning its vocabulary. A **domain** is a kind of input and
# how it is distributed (movie reviews; tweets; clothing photos); a **task** is what we want to predict
# from it (sentiment; the kind of garment). Transfer reuses what was learned in a *source* domain and
# task for a *target* one, and the settings fall into three types according to what the target offers:
#
# | type | target task vs source task | labels in the target | what this course does |
# |---|---|---|---|
# | **inductive** | different | some | feature extraction, fine-tuning (notebooks 00-13) |
# | **transductive** | the same | none, only unlabelled examples | adapt to the new domain: AdaBN (08), self-training |
# | **unsupervised** | different | none | use pretrained features to organise data: clustering, retrieval |
#
# This notebook measures one example of each with what tltutor has offline, over three seeds:
#
# * **inductive**: frozen MiniLM sentence embeddings with a new head, against TF-IDF, on a handful of
#   labelled movie snippets;
# * **transductive**: a sentiment classifier trained on labelled *movie* snippets meets *tweets* with no
#   labels; **self-training** (pseudo-labelling) labels the tweets it is most sure about and learns from
#   them too;
# * **unsupervised**: k-means clustering and nearest-neighbour retrieval on pretrained features against
#   raw features, for clothing images and for sentences. Retrieval by similarity is also how a
#   recommender finds "more items like this one".

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"

# %%
# %matplotlib inline
import numpy as np

import tltutor as tl

lesson = tl.report.lesson.Lesson("15_types_of_transfer")
settings = tl.runtime.profile.defaults()
quick = tl.runtime.profile.is_quick()
print("profile:", "quick" if quick else "full", settings)
encoder = tl.lessons.text.Encoder("MiniLM-L6")
embedder = tl.models.feature_extractor(encoder.model("frozen", 2, seed=0))


def embed(texts):
    return tl.features.outputs_of(embedder, (encoder.token_ids(list(texts)), np.zeros(len(texts))))[0]


# %% [markdown]
# ## Inductive transfer: a new task, a few labels
#
# The source task was to place sentences by meaning; the target task is sentiment, with 16 labelled
# movie snippets per class. Frozen embeddings and a new head, against TF-IDF trained on the same
# snippets.

# %%
inductive = tl.lessons.text.compare_text_strategies(16, strategies=("tfidf", "frozen"), seeds=settings["seeds"])
lesson.record("inductive", inductive)
print(inductive.summary_table(["movies_accuracy"]))
print(inductive.verdict("frozen", "tfidf", "movies_accuracy"))

# %% [markdown]
# ## Transductive transfer: the same task, a new domain, no labels
#
# Train a sentiment classifier (logistic regression on MiniLM embeddings) on 128 labelled movie snippets
# per class. The target is tweets: of the 500 tweets, each seed shows half to the method *without their
# labels* and keeps the other half for testing. Self-training predicts the unlabelled tweets, keeps the
# ones predicted with probability ≥ 0.9 as if their predictions were labels, and fits again on movies and
# pseudo-labelled tweets together. The tweets' true labels are used only to measure.

# %%
tweets, tweet_labels = tl.data.text.domain_texts("tweets", "test")
tweet_features = embed(tweets)
transductive = tl.report.results.Comparison("adaptation", settings={"confidence": 0.9, "source_per_class": 128})
for seed in settings["seeds"]:
    (source_texts, source_labels), _, _, _ = tl.data.text.load_sentiment(
        samples_per_class=128 if not quick else 16, seed=seed)
    order = np.random.default_rng(seed).permutation(len(tweets))
    unlabelled, evaluation = order[:len(order) // 2], order[len(order) // 2:]
    result = tl.lessons.types.self_training(
        embed(source_texts), source_labels, tweet_features[unlabelled],
        (tweet_features[evaluation], tweet_labels[evaluation]), seed=seed, target_truth=tweet_labels[unlabelled])
    transductive.add("none (source only)", seed, tweet_accuracy=result["before"])
    transductive.add("self-training", seed, tweet_accuracy=result["after"], pseudo_labels=result["pseudo_labels"],
                     pseudo_label_precision=result["pseudo_label_precision"])
lesson.record("transductive", transductive)
print(transductive.summary_table(["tweet_accuracy"]))
print(transductive.where(adaptation="self-training").summary_table(["pseudo_labels", "pseudo_label_precision"]))
print(transductive.verdict("self-training", "none (source only)", "tweet_accuracy"))

# %% [markdown]
# PLACEHOLDER_TRANSDUCTIVE
#
# ## Unsupervised transfer: no labels at all
#
# Can pretrained features organise data nobody labelled? Two data sets, two questions each:
#
# * **clustering**: k-means with as many clusters as there are classes; **NMI** (normalised mutual
#   information) and **ARI** (adjusted Rand index) measure how well the clusters match the true classes
#   (1 is perfect; ARI is about 0 for random clusters);
# * **retrieval**: for each example, do its 5 nearest neighbours (cosine similarity) include one of its
#   own class? That share is recall@5.
#
# The data: 600 clothing test images (pretrained EfficientNet-Lite0 features against raw pixels), and
# 400 sentences from the four text domains, where the "class" is the domain (MiniLM embeddings against
# TF-IDF). Each seed draws another sample and another k-means start.

# %%
source = tl.data.resized_source("fashion_mnist_embedded", settings["image_size"])
image_model = tl.models.build_transfer_model("EfficientNetLite0", 10, image_size=settings["image_size"])
texts = {domain: tl.data.text.domain_texts(domain, "test")[0] for domain in tl.data.text.DOMAINS}
unsupervised = tl.report.results.Comparison("representation")
for seed in settings["seeds"]:
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(source.y_test), 600 if not quick else 100, replace=False)
    images, labels = source.x_test[chosen].astype("float32"), source.y_test[chosen]
    image_features, _ = tl.features.pooled_features(image_model, (images, labels))
    pixels = images.mean(axis=-1).reshape(len(images), -1)
    sentences, domains = [], []
    for index, domain in enumerate(tl.data.text.DOMAINS):
        picked = rng.choice(len(texts[domain]), 100 if not quick else 20, replace=False)
        sentences += list(texts[domain][picked])
        domains += [index] * len(picked)
    domains = np.asarray(domains)
    tfidf = tl.lessons.types.tfidf_features(sentences)
    for name, features, truth in (("clothing: ImageNet features", image_features, labels),
                                  ("clothing: raw pixels", pixels, labels),
                                  ("text domains: MiniLM", embed(sentences), domains),
                                  ("text domains: TF-IDF", tfidf, domains)):
        unsupervised.add(name, seed, **tl.lessons.types.cluster_scores(features, truth, seed=seed),
                         recall_at_5=tl.lessons.types.retrieval_recall(features, truth, k=5))
lesson.record("unsupervised", unsupervised)
print(unsupervised.summary_table(["nmi", "ari", "recall_at_5"]))
for first, second in (("clothing: ImageNet features", "clothing: raw pixels"),
                      ("text domains: MiniLM", "text domains: TF-IDF")):
    for metric in ("nmi", "recall_at_5"):
        print(unsupervised.verdict(first, second, metric))

# %%
tl.report.plots.plot_comparison(unsupervised, "nmi", title="k-means clusters against the true classes (NMI)")

# %% [markdown]
# PLACEHOLDER_UNSUPERVISED
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("15_types_of_transfer")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# Which type of transfer is this? *A model trained to detect pneumonia on labelled X-rays from one
# hospital is adapted to another hospital's scanner using that hospital's unlabelled X-rays.* Answer
# `"inductive"`, `"transductive"` or `"unsupervised"`.

# %%
answer = None
tl.lessons.exercises.check_transfer_type("same task, new domain, unlabelled target", answer);

# %%
lesson.finish();
