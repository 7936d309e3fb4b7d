"""Transfer for speech: a speaker encoder trained on real voices, on synthetic and on recorded speech.

Four tasks (:data:`TASKS`) ask the question of notebook 01 in another medium: does the source's
task fit the target's, and does the target's audio look like the source's?

- ``speaker``: which of eight synthetic espeak-ng voices said a sentence (the encoder's own kind of
  task, on machine-made voices);
- ``digit``: which digit, zero to nine, was said, by any of the synthetic voices (what the encoder
  was trained to ignore);
- ``language``: which of eight languages espeak-ng speaks, reading the same stamp descriptions the
  recordings read (:func:`tltutor.data.audio.tuxpaint_descriptions`), one voice per language;
- ``recorded``: which of those eight languages a real recording is in
  (:func:`tltutor.data.audio.tuxpaint_recordings`); mostly one person recorded each language, so
  this is also a speaker task, on real voices. ``language`` is the same task, synthesised.

The strategies (:data:`STRATEGIES`), each on the same clips of a seed:

- ``mfcc``: MFCC means and standard deviations over the middle 1.6 s, the audio the encoder reads,
  and logistic regression (``C`` chosen on validation): the classic hand-made baseline;
- ``mfcc_whole_clip``: the same over the whole clip, which the encoder does not see;
- ``frozen``: the pretrained speaker encoder's 256-number embedding, frozen, with a new head fitted to
  convergence the same way (:class:`~tltutor.lessons.baselines.FeatureHead`);
- ``random``: the same encoder with random weights, frozen, with a head fitted the same way: what the
  pretraining bought;
- ``head_only``: the control for fine-tuning: the ``frozen`` head trained on for the same steps;
- ``fine_tune``: from the ``frozen`` head, the top LSTM layer and the embedding trained too, at the
  library's fine-tuning rate and schedule (:func:`tltutor.training.fine_tune`).

Example::

    comparison = tl.lessons.speech.compare_speech_strategies("speaker", seeds=(0, 1, 2))
    print(comparison.summary_table("test_accuracy"))
"""

from __future__ import annotations

import functools
import time

import numpy as np

from tltutor import features, freezing, models, speech, state, training, validation
from tltutor.data import audio, splits
from tltutor.errors import DatasetError
from tltutor.lessons.baselines import FeatureHead, logistic_regression_chosen_on_validation
from tltutor.lessons.experiments import epochs_for_steps
from tltutor.report.results import Comparison
from tltutor.runtime import profile
from tltutor.runtime.progress import Steps

STRATEGIES = ("mfcc", "mfcc_whole_clip", "frozen", "random", "head_only", "fine_tune")
TASKS = ("speaker", "digit", "language", "recorded")
CLIPS_PER_CLASS = {"speaker": 24, "digit": 24, "language": 59, "recorded": 60}
VOICES = ("en+m1", "en+m2", "en+m3", "en+m4", "en+f1", "en+f2", "en+f3", "en+f4")
LANGUAGE_VOICES = {"French": "fr", "Russian": "ru", "Romanian": "ro", "Catalan": "ca", "Bulgarian": "bg",
                   "Spanish": "es", "Belarusian": "be", "Greek": "el"}  # espeak-ng's voice for each recorded language
FINE_TUNE_STEPS = 64
FINE_TUNE_BATCH_SIZE = 8
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_NUMBERS = ("Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Twelve")
_ADJECTIVES = ("red", "small", "quiet", "heavy", "bright", "old", "cold", "young", "wooden", "busy")
_THINGS = ("boats", "trains", "birds", "farmers", "lamps", "wagons", "horses", "drums", "clocks", "rivers")
_ENDINGS = ("cross the valley", "wait by the gate", "pass the old mill", "stand near the hill", "reach the town",
            "move along the shore", "rest under the bridge", "turn toward the coast", "follow the road",
            "gather at dawn")
REGULARISATION_STRENGTHS = (0.1, 1.0, 10.0)


def sentences(count: int, seed: int = 0) -> list[str]:
    """``count`` different short sentences from a small grammar (no copyright, any number of them)."""
    rng = np.random.default_rng(seed)
    chosen, made = set(), []
    while len(made) < count:
        parts = (rng.choice(_NUMBERS), rng.choice(_ADJECTIVES), rng.choice(_THINGS), rng.choice(_ENDINGS))
        sentence = " ".join(str(part) for part in parts) + "."
        if sentence not in chosen:
            chosen.add(sentence)
            made.append(sentence)
    return made


@functools.lru_cache(maxsize=3)
def task_clips(task: str, clips_per_class: int | None = None) -> tuple[list[np.ndarray], np.ndarray, tuple[str, ...]]:
    """``(clips, labels, class names)`` of a task, made or read once per process.

    ``speaker``: each voice says ``clips_per_class`` different sentences. ``digit``: each digit is
    said by every voice at a few speeds and pitches, ``clips_per_class`` times in all (both made
    with espeak-ng). ``language``: espeak-ng reads the first ``clips_per_class`` (at most 59) stamp
    descriptions of each language in that language's voice (:data:`LANGUAGE_VOICES`). ``recorded``:
    the first ``clips_per_class`` (at most 60) recordings of each language. ``None`` takes the task's
    :data:`CLIPS_PER_CLASS`.
    """
    task = validation.check_name(task, TASKS, "speech task")
    clips_per_class = CLIPS_PER_CLASS[task] if clips_per_class is None else clips_per_class
    if task in ("recorded", "language"):
        sources, languages, names = audio.tuxpaint_recordings() if task == "recorded" else audio.tuxpaint_descriptions()
        keep = np.concatenate([np.flatnonzero(languages == label)[:clips_per_class] for label in range(len(names))])
        if task == "language":
            return ([audio.synthesize(sources[index], LANGUAGE_VOICES[names[languages[index]]]) for index in keep],
                    languages[keep], names)
        return [sources[index] for index in keep], languages[keep], names
    clips, labels = [], []
    if task == "speaker":
        for label, voice in enumerate(VOICES):
            for sentence in sentences(clips_per_class, seed=label):
                clips.append(audio.synthesize(sentence, voice))
                labels.append(label)
        return clips, np.asarray(labels, np.int32), VOICES
    settings = [(voice, speed, pitch) for voice in VOICES for speed, pitch in ((140, 40), (170, 55), (200, 70))]
    for label, digit in enumerate(DIGITS):
        for voice, speed, pitch in settings[:clips_per_class]:
            clips.append(audio.synthesize(digit, voice, speed=speed, pitch=pitch))
            labels.append(label)
    return clips, np.asarray(labels, np.int32), DIGITS


class MfccClassifier:
    """MFCC statistics and logistic regression, ``C`` chosen on validation; ``accuracy((clips, labels))``.

    ``frames`` limits the statistics to the middle frames of each clip (``audio.PARTIAL_FRAMES``: the
    1.6 s the encoder reads); ``None`` uses the whole clip.
    """

    def __init__(self, train, validation_data, *, frames: int | None = audio.PARTIAL_FRAMES,
                 strengths=REGULARISATION_STRENGTHS, seed: int = 0):
        from sklearn.preprocessing import StandardScaler  # scikit-learn is imported only where used

        self.frames = frames
        statistics = audio.mfcc_statistics(train[0], frames=frames)
        self.scaler = StandardScaler().fit(statistics)
        validation_features = self.scaler.transform(audio.mfcc_statistics(validation_data[0], frames=frames))
        self.validation_accuracy, self.strength, self.classifier = logistic_regression_chosen_on_validation(
            (self.scaler.transform(statistics), train[1]), (validation_features, validation_data[1]), strengths,
            seed=seed)

    def accuracy(self, data) -> float:
        features = audio.mfcc_statistics(data[0], frames=self.frames)
        return float(self.classifier.score(self.scaler.transform(features), data[1]))


def _model(purpose: str, num_classes: int, seed: int):
    """The speech model for ``purpose`` (pretrained or random encoder), built once and reset to its start from ``seed``."""
    model = state.pool.get(("speech", purpose == "random", num_classes), lambda: speech.build_speech_model(
        num_classes, weights=None if purpose == "random" else "pretrained"))
    return models.reset(model, seed)


def _embeddings(purpose: str, num_classes: int, inputs, labels) -> np.ndarray:
    """The frozen (pretrained or random) encoder's embedding of every clip, computed once (:mod:`tltutor.features`)."""
    return features.pooled_features(_model(purpose, num_classes, 0), (inputs, labels))[0]


def compare_speech_strategies(task: str = "speaker", *, strategies=STRATEGIES, seeds=None, train_per_class: int = 6,
                              validation_per_class: int = 4, clips_per_class: int | None = None,
                              steps: int = FINE_TUNE_STEPS, batch_size: int = FINE_TUNE_BATCH_SIZE,
                              progress=True) -> Comparison:
    """Each strategy on the same clips of each seed; keyed by ``"strategy"``, with the task in the settings.

    Each class's clips (``clips_per_class``, by default :data:`CLIPS_PER_CLASS` of the task) are
    split into ``train_per_class`` to train on, ``validation_per_class`` to choose ``C`` with, and
    the rest to test on; each seed draws another split. ``head_only`` and ``fine_tune`` start from the
    ``frozen`` head and run ``steps`` optimizer steps (whole epochs, at least ``steps``) in batches of
    ``batch_size``, with no early stopping; their rows store ``steps``, the heads' rows ``converged``.
    """
    task = validation.check_name(task, TASKS, "speech task")
    strategies = validation.check_choices(strategies, STRATEGIES, "speech strategy")
    seeds = validation.check_seeds(seeds if seeds is not None else profile.defaults()["seeds"])
    steps, batch_size, train_per_class, validation_per_class = (
        validation.check_positive_int(value, name) for value, name in
        ((steps, "steps"), (batch_size, "batch_size"), (train_per_class, "train_per_class"),
         (validation_per_class, "validation_per_class")))
    clips_per_class = validation.check_positive_int(
        clips_per_class if clips_per_class is not None else CLIPS_PER_CLASS[task], "clips_per_class",
        minimum=train_per_class + validation_per_class + 1)
    if task in ("recorded", "language") and clips_per_class > CLIPS_PER_CLASS[task]:
        raise validation.InvalidArgumentError(
            f"the {task} task has {CLIPS_PER_CLASS[task]} clips per language, not {clips_per_class}: "
            f"pass clips_per_class={CLIPS_PER_CLASS[task]} or fewer")
    clips, labels, class_names = task_clips(task, clips_per_class)
    if np.bincount(labels, minlength=len(class_names)).min() < clips_per_class:
        raise DatasetError(f"the {task} task has {np.bincount(labels, minlength=len(class_names)).tolist()} clips per "
                           f"class, fewer than the {clips_per_class} asked: install Debian's "
                           f"{audio.RECORDINGS_PACKAGE} 2022.06.04, or pass a smaller clips_per_class")
    inputs = audio.encoder_inputs(clips)
    num_classes = len(class_names)
    comparison = Comparison("strategy", settings=dict(task=task, classes=list(class_names), seeds=seeds,
                                                      train_per_class=train_per_class, clips_per_class=clips_per_class,
                                                      steps=steps, batch_size=batch_size))
    tracker = Steps(len(seeds) * len(strategies), f"speech {task}", output=progress)
    for seed in seeds:
        train_index, validation_index, test_index = splits.stratified_split(
            labels, num_classes, samples_per_class=train_per_class,
            validation_split=validation_per_class / train_per_class,
            test_per_class=clips_per_class - train_per_class - validation_per_class, seed=seed)
        heads = {}

        def head(purpose):
            if purpose not in heads:
                rows = _embeddings(purpose, num_classes, inputs, labels)
                heads[purpose] = (FeatureHead(rows[train_index], labels[train_index], rows[validation_index],
                                              labels[validation_index], seed=seed), rows)
            return heads[purpose]

        for strategy in strategies:
            started = time.perf_counter()
            if strategy in ("mfcc", "mfcc_whole_clip"):
                classifier = MfccClassifier(([clips[i] for i in train_index], labels[train_index]),
                                            ([clips[i] for i in validation_index], labels[validation_index]),
                                            frames=audio.PARTIAL_FRAMES if strategy == "mfcc" else None, seed=seed)
                accuracy = classifier.accuracy(([clips[i] for i in test_index], labels[test_index]))
                fitted = dict(trainable_parameters=classifier.classifier.coef_.size
                              + classifier.classifier.intercept_.size, strength=classifier.strength)
            elif strategy in ("frozen", "random"):
                fitted_head, rows = head(strategy)
                accuracy = fitted_head.accuracy(rows[test_index], labels[test_index])
                fitted = dict(trainable_parameters=int(sum(weight.size for weight in fitted_head.dense_weights())),
                              **fitted_head.summary())
            else:
                fitted_head = head("frozen")[0]  # before the model: computing the embeddings resets the pooled model
                model = _model("frozen", num_classes, seed)
                model.get_layer("classifier").set_weights(fitted_head.dense_weights())
                train = (inputs[train_index], labels[train_index])
                budget = dict(epochs=epochs_for_steps(steps, len(train_index), batch_size), batch_size=batch_size,
                              early_stopping_patience=None, schedule="warmup_cosine", progress=False, seed=seed)
                if strategy == "head_only":
                    history = training.train_head(model, train, None, learning_rate=training.FINE_TUNE_LEARNING_RATE,
                                                  **budget)
                else:
                    history = training.fine_tune(model, train, None, unfreeze_from="lstm_2", **budget)
                accuracy = training.evaluate(model, (inputs[test_index], labels[test_index]))["accuracy"]
                fitted = dict(trainable_parameters=freezing.count_parameters(model.trainable_weights),
                              steps=history.steps)
            comparison.add(strategy, seed, test_accuracy=round(accuracy, 4), **fitted,
                           seconds=round(time.perf_counter() - started, 1))
            tracker.advance(f"{strategy}, seed {seed}")
    return comparison
