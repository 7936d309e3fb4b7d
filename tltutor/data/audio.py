"""Audio in: checked 16 kHz mono clips, the speaker encoder's mel features, MFCCs, and synthetic speech offline.

The speaker encoder of :mod:`tltutor.backbones.speaker_encoder` was trained on 40-band mel
spectrograms of 16 kHz speech (25 ms windows every 10 ms), the power spectrogram projected on
Slaney-style mel filters, not its logarithm. :func:`mel_spectrogram` computes them with NumPy in the
same way as the encoder's own code (which uses librosa's defaults). :func:`mfcc` gives the classic
hand-made features of the baseline: the log of those mel energies, decorrelated by a DCT.

No labelled recordings of real speech ship in a package that works offline, so the lessons make
their clips with the **espeak-ng** speech synthesiser (Debian's ``espeak-ng``; on Colab
``!apt-get install -y espeak-ng``): many voices, any sentence, in seconds. The clips are synthetic;
the encoder learned from real human speech.

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
import wave

import numpy as np
from scipy import fft, signal

from tltutor import validation
from tltutor.errors import DatasetError
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


def partial(features: np.ndarray, frames: int = PARTIAL_FRAMES) -> np.ndarray:
    """The middle ``frames`` frames of ``(time, bands)`` features, zero-padded when the clip is shorter."""
    if len(features) >= frames:
        start = (len(features) - frames) // 2
        return features[start:start + frames]
    return np.pad(features, ((0, frames - len(features)), (0, 0)))


def encoder_inputs(clips, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """``(N, 160, 40)``: each checked clip's volume normalised and its middle 1.6 s as mel frames."""
    return np.stack([partial(mel_spectrogram(normalize_volume(check_clip(clip, sample_rate, f"clip {index}"))))
                     for index, clip in enumerate(clips)])


def mfcc(clip: np.ndarray, coefficients: int = 20) -> np.ndarray:
    """``(frames, coefficients)`` mel-frequency cepstral coefficients: DCT-II of the log mel energies."""
    return fft.dct(np.log(mel_spectrogram(clip) + 1e-6), type=2, norm="ortho", axis=-1)[:, :coefficients]


def mfcc_statistics(clips, sample_rate: int = SAMPLE_RATE, coefficients: int = 20) -> np.ndarray:
    """``(N, 2 × coefficients)``: each clip's MFCC means and standard deviations over time, the classic baseline."""
    rows = []
    for index, clip in enumerate(clips):
        features = mfcc(normalize_volume(check_clip(clip, sample_rate, f"clip {index}")), coefficients)
        rows.append(np.concatenate([features.mean(axis=0), features.std(axis=0)]))
    return np.stack(rows).astype(np.float32)


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
