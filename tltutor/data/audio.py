"""Audio in: checked 16 kHz mono clips, the speaker encoder's mel features, MFCCs, and synthetic speech offline.

The speaker encoder of :mod:`tltutor.backbones.speaker_encoder` was trained on 40-band mel
spectrograms of 16 kHz speech (25 ms windows every 10 ms), the power spectrogram projected on
Slaney-style mel filters, not its logarithm. :func:`mel_spectrogram` computes them with NumPy in the
same way as the encoder's own code (which uses librosa's defaults). :func:`mfcc` gives the classic
hand-made features of the baseline: the log of those mel energies, decorrelated by a DCT.

Two kinds of clips work offline. :func:`synthesize` makes them with the **espeak-ng** speech
synthesiser (Debian's ``espeak-ng``): many voices, any sentence, in seconds, but machine-made.
:func:`tuxpaint_recordings` reads real recordings: people reading Tux Paint's stamp descriptions
aloud in eight languages (Debian's ``tuxpaint-stamps-default``, GPL-2 or later), listed with their
sha256 in a manifest and read with ``soundfile``.

Examples:
    >>> import numpy as np
    >>> clip = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype("float32")
    >>> mel_spectrogram(clip).shape       # 101 frames of 10 ms, 40 mel bands
    (101, 40)
"""

from __future__ import annotations

import functools
import io
import subprocess
import warnings
import wave
from pathlib import Path

import numpy as np
from scipy import fft, signal

from tltutor import validation
from tltutor.errors import DatasetError
from tltutor.data import sources
from tltutor.runtime import system_packages

SAMPLE_RATE = 16_000
WINDOW_SAMPLES = 400          # 25 ms
HOP_SAMPLES = 160             # 10 ms
MEL_BANDS = 40
PARTIAL_FRAMES = 160          # the encoder's 1.6 s partial utterances
TARGET_DBFS = -30.0
MINIMUM_SECONDS = 0.25
INT16_MAX = 2 ** 15 - 1


def check_clip(clip, sample_rate: int, what: str = "clip") -> np.ndarray:
    """A mono float32 waveform at 16 kHz, long enough and not silent; a clear error otherwise."""
    if sample_rate != SAMPLE_RATE:
        raise validation.InvalidArgumentError(
            f"the {what} is sampled at {sample_rate} Hz, but the speaker encoder was trained on {SAMPLE_RATE} Hz: "
            f"resample it first, e.g. tl.data.audio.resample(clip, {sample_rate})")
    array = np.asarray(clip)
    if array.ndim == 2 and 1 in array.shape:
        array = array.reshape(-1)
    if array.ndim != 1:
        raise validation.InvalidArgumentError(
            f"the {what} must be mono (one channel), got shape {array.shape}: average the channels, "
            "e.g. clip.mean(axis=1)")
    if array.dtype.kind in "iu":
        array = array.astype(np.float32) / INT16_MAX
    array = array.astype(np.float32)
    if not np.all(np.isfinite(array)):
        raise validation.InvalidArgumentError(f"the {what} contains NaN or infinite samples")
    if len(array) < MINIMUM_SECONDS * SAMPLE_RATE:
        raise validation.InvalidArgumentError(
            f"the {what} lasts {len(array) / SAMPLE_RATE:.3f} s; at least {MINIMUM_SECONDS} s of audio is needed")
    if np.sqrt(np.mean(array ** 2)) < 1e-4:
        raise validation.InvalidArgumentError(f"the {what} is silent: there is no speech in it to encode")
    return array


def resample(clip, sample_rate: int) -> np.ndarray:
    """``clip`` from ``sample_rate`` to 16 kHz (polyphase filtering)."""
    sample_rate = validation.check_positive_int(sample_rate, "sample_rate", minimum=1000)
    divisor = np.gcd(SAMPLE_RATE, sample_rate)
    return signal.resample_poly(np.asarray(clip, np.float32), SAMPLE_RATE // divisor,
                                sample_rate // divisor).astype(np.float32)


def normalize_volume(clip: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """Raise a quiet clip's loudness to ``target_dbfs`` (never lowers it), as the encoder's training did."""
    rms = np.sqrt(np.mean((clip * INT16_MAX) ** 2))
    change = target_dbfs - 20 * np.log10(max(rms, 1e-9) / INT16_MAX)
    return clip * (10 ** (change / 20)) if change > 0 else clip


def _hz_to_mel(frequencies):
    frequencies = np.atleast_1d(np.asarray(frequencies, dtype=np.float64))
    linear_top, step = 1000.0, 200.0 / 3
    mels = frequencies / step
    log_step = np.log(6.4) / 27.0
    above = frequencies >= linear_top
    mels[above] = linear_top / step + np.log(frequencies[above] / linear_top) / log_step
    return mels


def _mel_to_hz(mels):
    mels = np.atleast_1d(np.asarray(mels, dtype=np.float64))
    linear_top, step = 1000.0, 200.0 / 3
    frequencies = mels * step
    log_step = np.log(6.4) / 27.0
    above = mels >= linear_top / step
    frequencies[above] = linear_top * np.exp(log_step * (mels[above] - linear_top / step))
    return frequencies


@functools.lru_cache(maxsize=4)
def mel_filters(bands: int = MEL_BANDS, window: int = WINDOW_SAMPLES, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """``(bands, window // 2 + 1)`` triangular filters on the Slaney mel scale, each of unit area (librosa's default)."""
    bins = np.linspace(0, sample_rate / 2, window // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0)[0], _hz_to_mel(sample_rate / 2)[0], bands + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    filters = np.maximum(0, np.minimum(lower, upper))
    return (filters * (2.0 / (edges[2:bands + 2] - edges[:bands]))[:, None]).astype(np.float32)


def mel_spectrogram(clip: np.ndarray) -> np.ndarray:
    """``(frames, 40)`` mel power of a 16 kHz clip: periodic Hann windows of 25 ms every 10 ms, zero-padded at both ends."""
    clip = np.asarray(clip, np.float32)
    padded = np.pad(clip, WINDOW_SAMPLES // 2)
    count = 1 + (len(padded) - WINDOW_SAMPLES) // HOP_SAMPLES
    frames = np.lib.stride_tricks.sliding_window_view(padded, WINDOW_SAMPLES)[::HOP_SAMPLES][:count]
    window = signal.get_window("hann", WINDOW_SAMPLES, fftbins=True).astype(np.float32)
    power = np.abs(fft.rfft(frames * window, axis=-1)) ** 2
    return (power @ mel_filters().T).astype(np.float32)


def middle_frames(features: np.ndarray, frames: int = PARTIAL_FRAMES) -> np.ndarray:
    """The middle ``frames`` rows of ``(time, bands)`` features, or all of them when there are fewer."""
    start = max(0, (len(features) - frames) // 2)
    return features[start:start + frames]


def partial(features: np.ndarray, frames: int = PARTIAL_FRAMES) -> np.ndarray:
    """The middle ``frames`` frames of ``(time, bands)`` features, zero-padded when the clip is shorter."""
    features = middle_frames(features, frames)
    return np.pad(features, ((0, frames - len(features)), (0, 0)))


def encoder_inputs(clips, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """``(N, 160, 40)``: each checked clip's volume normalised and its middle 1.6 s as mel frames."""
    return np.stack([partial(mel_spectrogram(normalize_volume(check_clip(clip, sample_rate, f"clip {index}"))))
                     for index, clip in enumerate(clips)])


def mfcc(clip: np.ndarray, coefficients: int = 20) -> np.ndarray:
    """``(frames, coefficients)`` mel-frequency cepstral coefficients: DCT-II of the log mel energies."""
    return fft.dct(np.log(mel_spectrogram(clip) + 1e-6), type=2, norm="ortho", axis=-1)[:, :coefficients]


def mfcc_statistics(clips, sample_rate: int = SAMPLE_RATE, coefficients: int = 20, *,
                    frames: int | None = None) -> np.ndarray:
    """``(N, 2 × coefficients)``: each clip's MFCC means and standard deviations over time, the classic baseline.

    ``frames=PARTIAL_FRAMES`` summarises only the middle 1.6 s, the audio the speaker encoder reads
    (:func:`encoder_inputs`); ``None`` summarises the whole clip.
    """
    rows = []
    for index, clip in enumerate(clips):
        features = mfcc(normalize_volume(check_clip(clip, sample_rate, f"clip {index}")), coefficients)
        if frames is not None:
            features = middle_frames(features, frames)
        rows.append(np.concatenate([features.mean(axis=0), features.std(axis=0)]))
    return np.stack(rows).astype(np.float32)


RECORDINGS_PACKAGE = "tuxpaint-stamps-default"
RECORDINGS_MANIFEST = "tuxpaint_recordings.tsv"
RECORDINGS_DESCRIPTION = (
    "people reading Tux Paint's stamp descriptions aloud, the same 60 descriptions in each of eight languages, "
    "from Debian's tuxpaint-stamps-default (GPL-2 or later, (c) Bill Kendrick and the Tux Paint contributors; "
    "the package's changelog credits mostly one speaker per language). Ogg Vorbis at 44.1 kHz, about a second "
    "each (0.3 to 20 s), averaged to mono and resampled to 16 kHz. Read from the installed package, never copied "
    "into tltutor (tools/make_recording_manifest.py)")


def read_recording(path) -> np.ndarray:
    """A sound file (any format libsndfile reads: Ogg Vorbis, FLAC, WAV) as a mono 16 kHz float32 waveform."""
    try:
        import soundfile  # imported only where used; its wheels carry libsndfile
    except ImportError as error:
        raise DatasetError("reading recorded speech needs the Python package soundfile: pip install soundfile") \
            from error
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except RuntimeError as error:  # libsndfile's errors are RuntimeErrors
        raise DatasetError(f"{path} is not a sound file libsndfile can read: {error}") from error
    return resample(samples.mean(axis=1), rate) if rate != SAMPLE_RATE else samples.mean(axis=1)


@functools.lru_cache(maxsize=1)
def _recordings(folder: str) -> tuple[tuple[np.ndarray, ...], np.ndarray, tuple[str, ...]]:
    found, skipped, class_names = sources.manifest_files(folder, RECORDINGS_MANIFEST)
    clips = [read_recording(path) for path, _ in found]
    labels = [label for _, label in found]
    if skipped:
        warnings.warn(f"{len(skipped)} of {len(found) + len(skipped)} recordings are missing or differ from tltutor's manifest "
                      f"(another version of {RECORDINGS_PACKAGE}?) and were left out, e.g. {skipped[0]}",
                      stacklevel=3)
    counts = np.bincount(np.asarray(labels, np.int64), minlength=len(class_names))
    if counts.min() < 20:
        raise DatasetError(f"only {dict(zip(class_names, counts.tolist()))} recordings per language match tltutor's "
                           f"manifest: install Debian's {RECORDINGS_PACKAGE} 2022.06.04 "
                           f"(apt-get install -y {RECORDINGS_PACKAGE})")
    return tuple(clips), np.asarray(labels, np.int32), class_names


def _stamps_folder(folder: Path | str | None, what: str) -> str:
    if folder is None:
        system_packages.require(RECORDINGS_PACKAGE, what)
        folder = system_packages.get(RECORDINGS_PACKAGE).location()
    if not Path(folder).is_dir():
        raise DatasetError(f"{folder} is not a folder: give Tux Paint's stamps folder (/usr/share/tuxpaint/stamps "
                           f"once {RECORDINGS_PACKAGE} is installed)")
    return str(Path(folder).resolve())


def tuxpaint_descriptions(folder: Path | str | None = None) -> tuple[list[str], np.ndarray, tuple[str, ...]]:
    """``(texts, labels, languages)``: the words that :func:`tuxpaint_recordings`' clips read, in the same order.

    Each stamp's description file (``<stamp>.txt``) holds one line ``<code>.utf8=<text>`` per
    language; a recording ``<stamp>_desc_<code>.ogg`` reads that line. So a synthesiser can say the
    same descriptions in the same eight languages (lesson 14's synthetic language task). A recording
    whose stamp file has no line in its language (3 of 480 in Debian's 2022.06.04) is left out.
    """
    folder = _stamps_folder(folder, "the stamp descriptions 'tuxpaint_descriptions'")
    found, _, class_names = sources.manifest_files(folder, RECORDINGS_MANIFEST)
    texts, labels = [], []
    for path, label in found:
        stamp, _, code = path.stem.rpartition("_desc_")
        prefix = f"{code}.utf8="
        description = path.with_name(stamp + ".txt")
        lines = description.read_text(encoding="utf-8").splitlines() if description.is_file() else []
        text = next((line[len(prefix):].strip() for line in lines if line.startswith(prefix)), "")
        if text:
            texts.append(text)
            labels.append(label)
    if not texts:
        raise DatasetError(f"no stamp description in {folder} matches tltutor's recordings: install Debian's "
                           f"{RECORDINGS_PACKAGE} 2022.06.04 (apt-get install -y {RECORDINGS_PACKAGE})")
    return texts, np.asarray(labels, np.int32), class_names


def tuxpaint_recordings(folder: Path | str | None = None) -> tuple[list[np.ndarray], np.ndarray, tuple[str, ...]]:
    """``(clips, labels, languages)``: 480 real recordings, 60 per language, as 16 kHz mono waveforms.

    People reading the same 60 Tux Paint stamp descriptions aloud in French, Russian, Romanian,
    Catalan, Bulgarian, Spanish, Belarusian and Greek (:data:`RECORDINGS_DESCRIPTION`). Mostly one
    person recorded each language, so telling the languages apart is also telling the voices apart.
    A file missing or different from the manifest is left out with a warning.
    """
    clips, labels, class_names = _recordings(_stamps_folder(folder, "the recorded speech 'tuxpaint_recordings'"))
    return [clip.copy() for clip in clips], labels.copy(), class_names


def espeak_available() -> bool:
    """Whether the espeak-ng program (Debian's package ``espeak-ng``) is installed."""
    return system_packages.get("espeak-ng").installed()


@functools.lru_cache(maxsize=1)
def _espeak_names() -> tuple:
    """The languages and voice variants espeak-ng has (names as ``espeak-ng --voices`` lists them, lower case)."""

    def listed(*arguments):
        lines = subprocess.run(["espeak-ng", *arguments], capture_output=True, text=True, timeout=60).stdout
        rows = [line.split() for line in lines.splitlines()[1:] if len(line.split()) >= 5]
        return {name.lower() for row in rows for name in (row[1], row[3], row[4], row[4].rsplit("/", 1)[-1])}

    return frozenset(listed("--voices")), frozenset(listed("--voices=variant"))


def check_voice(voice: str) -> str:
    """Refuse a voice espeak-ng does not have (it would silently speak with its default voice instead)."""
    if not isinstance(voice, str) or not voice:
        raise validation.InvalidArgumentError(f"voice must be a name such as 'en+m3', got {voice!r}")
    languages, variants = _espeak_names()
    language, _, variant = voice.lower().partition("+")
    if language not in languages or (variant and variant not in variants):
        raise DatasetError(f"espeak-ng has no voice {voice!r}: write a language, optionally '+' and a variant, "
                           f"e.g. 'en' or 'en+f2' (tltutor.lessons.speech.VOICES lists the course's eight); see "
                           f"`espeak-ng --voices` and `espeak-ng --voices=variant`")
    return voice


def synthesize(text: str, voice: str = "en", *, speed: int = 160, pitch: int = 50) -> np.ndarray:
    """``text`` spoken by espeak-ng's ``voice`` (e.g. ``"en+m3"``), as a 16 kHz float32 waveform."""
    system_packages.require("espeak-ng", "synthetic speech")
    if not isinstance(text, str) or not text.strip():
        raise validation.InvalidArgumentError("text to speak must be a non-empty string")
    check_voice(voice)
    completed = subprocess.run(["espeak-ng", "-v", voice, "-s", str(int(speed)), "-p", str(int(pitch)), "--stdout",
                                text], capture_output=True, timeout=60)
    if completed.returncode != 0 or not completed.stdout:
        raise DatasetError(f"espeak-ng could not speak with voice {voice!r}: "
                           f"{completed.stderr.decode(errors='replace')[:200]}")
    with wave.open(io.BytesIO(completed.stdout)) as recording:
        rate = recording.getframerate()
        samples = np.frombuffer(recording.readframes(recording.getnframes()), dtype="<i2")
    return resample(samples.astype(np.float32) / INT16_MAX, rate)
