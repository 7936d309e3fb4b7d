"""Speech transfer (notebook 14): the Keras speaker encoder against a NumPy reference of PyTorch's LSTM,
mel features, audio checks, and the synthetic clips."""

from importlib import resources

import numpy as np
import pytest

from tltutor import features, freezing, speech, training
from tltutor.backbones import speaker_encoder
from tltutor.data import audio
from tltutor.errors import CorruptWeightsError, DatasetError, InvalidArgumentError
from tltutor.io import torch_reader
from tltutor.lessons import speech as speech_lessons

needs_espeak = pytest.mark.skipif(not audio.espeak_available(), reason="espeak-ng is not installed (.ci/run installs it)")


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def reference_encoder(state, mels):
    """Resemblyzer's forward pass written from PyTorch's LSTM equations (gates i, f, g, o), in NumPy."""
    x = mels.astype(np.float64)
    for layer in range(speaker_encoder.LAYERS):
        w_ih, w_hh = state[f"lstm.weight_ih_l{layer}"], state[f"lstm.weight_hh_l{layer}"]
        b = state[f"lstm.bias_ih_l{layer}"] + state[f"lstm.bias_hh_l{layer}"]
        h = np.zeros((len(x), w_hh.shape[1]))
        c = np.zeros_like(h)
        outputs = []
        for step in range(x.shape[1]):
            gates = x[:, step] @ w_ih.T + h @ w_hh.T + b
            i, f, g, o = np.split(gates, 4, axis=1)
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            h = _sigmoid(o) * np.tanh(c)
            outputs.append(h)
        x = np.stack(outputs, axis=1)
    embedding = np.maximum(0, h @ state["linear.weight"].T + state["linear.bias"])
    return embedding / np.linalg.norm(embedding, axis=1, keepdims=True)


def test_the_pretrained_checkpoint_is_read_from_its_nested_state_dict():
    path = speaker_encoder.weights_path()
    content = torch_reader.read_checkpoint(path)
    assert "model_state" in content and "optimizer_state" in content
    state = torch_reader.read_state_dict(path)
    assert state["lstm.weight_ih_l0"].shape == (1024, 40) and state["linear.weight"].shape == (256, 256)
    # The LSTM and the dense layer, plus the two scalars of the training loss's similarity scale.
    assert sum(value.size for value in state.values()) == 1_423_618
    with pytest.raises(CorruptWeightsError, match="no state dict under"):
        torch_reader.read_state_dict(path, key="missing")


def test_keras_encoder_matches_the_numpy_reference_of_pytorchs_lstm():
    state = torch_reader.read_state_dict(speaker_encoder.weights_path(), key="model_state")
    encoder = speaker_encoder.build(frames=20, weights="pretrained")
    mels = np.random.default_rng(0).gamma(1.0, 0.5, (3, 20, 40)).astype(np.float32)
    np.testing.assert_allclose(encoder.predict(mels, verbose=0), reference_encoder(state, mels), atol=2e-5)
    assert encoder.count_params() == 1_423_618 - 2 - 3 * 1024  # Keras keeps one bias per LSTM layer, PyTorch two


def test_mel_filters_have_unit_area_and_cover_the_spectrum():
    filters = audio.mel_filters()
    assert filters.shape == (40, 201)
    widths_hz = np.array([np.count_nonzero(row) for row in filters])
    assert (filters.sum(axis=1) > 0).all() and widths_hz[-1] > widths_hz[0], "higher bands are wider"
    bin_hz = 8000 / 200
    np.testing.assert_allclose(filters.sum(axis=1) * bin_hz, 1.0, rtol=0.2)  # Slaney normalisation: unit area


# librosa 0.10.2 (Resemblyzer's own front end): librosa.feature.melspectrogram(y=clip, sr=16000, n_fft=400,
# hop_length=160, n_mels=40), averaged over frames, for the three-tone clip below; computed once, in a
# separate environment, since librosa is not a dependency.
LIBROSA_MEAN_MEL = [
    0.00191088, 0.00229135, 0.00326457, 0.00677356, 1.95875, 14.5892, 1.60106, 0.00285726, 0.000846275,
    0.000354481, 0.000169743, 8.76164e-05, 4.41516e-05, 2.18179e-05, 1.01169e-05, 3.70535e-06, 6.58331e-07,
    2.29698e-07, 1.48079e-06, 4.13162e-06, 8.4816e-06, 1.45388e-05, 2.46874e-05, 4.21129e-05, 7.71782e-05,
    0.000185692, 0.0523466, 2.34413, 0.211561, 0.000170151, 6.01177e-05, 2.89009e-05, 1.56226e-05, 8.80897e-06,
    4.83863e-06, 2.15363e-06, 4.78642e-07, 1.07356e-05, 0.218059, 0.0615709]


def test_mel_spectrogram_matches_librosa_the_encoders_own_front_end():
    seconds = np.arange(16000) / 16000
    clip = sum(amplitude * np.sin(2 * np.pi * hz * seconds) for amplitude, hz in ((0.3, 440), (0.2, 3000), (0.1, 7000)))
    mel = audio.mel_spectrogram(clip.astype(np.float32))
    assert mel.shape == (101, 40)
    np.testing.assert_allclose(mel.mean(axis=0), LIBROSA_MEAN_MEL, rtol=1e-3, atol=1e-6)


def test_a_tone_lands_in_the_mel_band_of_its_frequency():
    seconds = np.arange(16000) / 16000
    low = audio.mel_spectrogram(np.sin(2 * np.pi * 300 * seconds).astype(np.float32))
    high = audio.mel_spectrogram(np.sin(2 * np.pi * 3000 * seconds).astype(np.float32))
    assert low.shape == (101, 40)
    assert np.argmax(low.mean(axis=0)) < np.argmax(high.mean(axis=0))
    assert audio.mfcc(np.sin(2 * np.pi * 300 * seconds).astype(np.float32)).shape == (101, 20)


@pytest.mark.parametrize("clip, rate, message", [
    (np.ones(16000) * 0.1, 22050, "resample"),
    (np.zeros(16000), 16000, "silent"),
    (np.ones(1000) * 0.1, 16000, "at least"),
    (np.ones((16000, 2)) * 0.1, 16000, "mono"),
    (np.full(16000, np.nan), 16000, "NaN"),
])
def test_bad_audio_is_refused_with_a_reason(clip, rate, message):
    with pytest.raises(InvalidArgumentError, match=message):
        audio.check_clip(clip, rate)


def test_resampling_and_volume_normalisation():
    seconds = np.arange(22050) / 22050
    clip = 0.01 * np.sin(2 * np.pi * 440 * seconds)
    resampled = audio.resample(clip, 22050)
    assert len(resampled) == 16000
    louder = audio.normalize_volume(resampled)
    assert 20 * np.log10(np.sqrt(np.mean((louder * audio.INT16_MAX) ** 2)) / audio.INT16_MAX) == pytest.approx(-30, abs=0.1)


def test_the_speech_model_has_the_vision_layout_and_fine_tunes_on_kept_states():
    model = speech.build_speech_model(4)
    assert [layer.name for layer in model.layers] == ["mel_frames", "base", "pooling", "head_dropout", "classifier"]
    rng = np.random.default_rng(0)
    inputs, labels = rng.gamma(1.0, 0.5, (16, 160, 40)).astype(np.float32), np.arange(16) % 4
    training.train_head(model, (inputs, labels), None, epochs=2, early_stopping_patience=None, progress=False)
    freezing.unfreeze(model, "lstm_2")
    bottom, top = features.frozen_split(model)
    kept, _ = features.outputs_of(bottom, (inputs, labels))
    assert kept.shape == (16, 160, 256)
    np.testing.assert_allclose(top.predict(kept, verbose=0), model.predict(inputs, verbose=0), atol=1e-4)


@needs_espeak
def test_synthesised_clips_are_16khz_speech_of_the_asked_voice():
    clip = audio.synthesize("three", "en+f2")
    assert clip.dtype == np.float32 and 0.2 < len(clip) / audio.SAMPLE_RATE < 2 and np.abs(clip).max() > 0.05
    assert not np.allclose(audio.synthesize("three", "en+m1")[:4000], clip[:4000])
    with pytest.raises(DatasetError, match="voice"):
        audio.synthesize("three", "no-such-voice")


@needs_espeak
def test_the_speaker_task_is_learnable_from_the_pretrained_embedding():
    comparison = speech_lessons.compare_speech_strategies("speaker", strategies=("mfcc", "frozen"), seeds=(0,),
                                                          clips_per_class=12, train_per_class=4,
                                                          validation_per_class=2, progress=None)
    assert comparison.values("frozen", "test_accuracy")[0] > 0.5  # chance is 1/8
    assert comparison.values("mfcc", "test_accuracy")[0] > 0.5


# --- real recorded speech: Debian's tuxpaint-stamps-default, read with soundfile ----------------------------------

def _recordings_installed() -> bool:
    from tltutor.runtime import system_packages

    return system_packages.get(audio.RECORDINGS_PACKAGE).installed()


needs_recordings = pytest.mark.skipif(not _recordings_installed(),
                                      reason="Debian's tuxpaint-stamps-default is not installed (make test installs it "
                                             "as root)")


def test_a_stereo_recording_at_another_rate_is_read_as_mono_16khz(tmp_path):
    import soundfile

    seconds = np.arange(44_100) / 44_100
    left, right = np.sin(2 * np.pi * 440 * seconds), np.sin(2 * np.pi * 880 * seconds)
    soundfile.write(tmp_path / "tone.flac", np.stack([left, right], axis=1).astype(np.float32), 44_100)
    clip = audio.read_recording(tmp_path / "tone.flac")
    assert clip.dtype == np.float32 and clip.ndim == 1 and len(clip) == audio.SAMPLE_RATE
    spectrum = np.abs(np.fft.rfft(clip))
    assert sorted(np.argsort(spectrum)[-2:].tolist()) == [440, 880], "both channels are kept, at their pitch"
    (tmp_path / "noise.ogg").write_bytes(b"not a sound file")
    with pytest.raises(DatasetError, match="not a sound file"):
        audio.read_recording(tmp_path / "noise.ogg")


def test_mfcc_statistics_over_the_middle_frames_read_only_the_middle():
    rng = np.random.default_rng(0)
    quiet, loud = 0.05 * rng.standard_normal(16_000), 0.5 * rng.standard_normal(16_000)
    clip = np.concatenate([loud, quiet, quiet, quiet, loud]).astype(np.float32)  # 5 s; the middle 1.6 s is quiet
    middle = np.concatenate([quiet, quiet]).astype(np.float32)
    whole, centred = audio.mfcc_statistics([clip]), audio.mfcc_statistics([clip], frames=audio.PARTIAL_FRAMES)
    alone = audio.mfcc_statistics([middle], frames=audio.PARTIAL_FRAMES)
    assert np.abs(centred - alone)[0, :20].max() < 0.5 < np.abs(whole - alone)[0, :20].max()
    short = audio.mfcc_statistics([middle[:8000]], frames=audio.PARTIAL_FRAMES)  # shorter than 1.6 s: all of it
    np.testing.assert_allclose(short, audio.mfcc_statistics([middle[:8000]]))


@needs_recordings
def test_the_recordings_are_480_real_clips_eight_languages_sixty_each():
    clips, languages, names = audio.tuxpaint_recordings()
    assert len(clips) == 480 and names[0] == "French" and len(names) == 8
    assert np.bincount(languages).tolist() == [60] * 8
    lengths = np.array([len(clip) / audio.SAMPLE_RATE for clip in clips])
    assert all(clip.dtype == np.float32 and clip.ndim == 1 for clip in clips)
    assert 0.8 < np.median(lengths) < 2.4 and 0.3 < lengths.min() and lengths.max() < 20
    clips[0][:] = 0
    assert np.abs(audio.tuxpaint_recordings()[0][0]).max() > 0, "a caller's change does not reach the cache"
    with pytest.raises(InvalidArgumentError, match="60 clips per language"):
        speech_lessons.compare_speech_strategies("recorded", clips_per_class=61, progress=None)


@needs_recordings
def test_recordings_that_differ_from_the_manifest_are_left_out_and_too_few_refused(tmp_path):
    rows = [line.split("\t") for line in
            (resources.files("tltutor") / "assets" / audio.RECORDINGS_MANIFEST).read_text().splitlines()[1:]]
    stamps = audio.system_packages.get(audio.RECORDINGS_PACKAGE).location()
    for relative, _, _ in rows[:70]:  # French whole, Russian with 10 of its 60, one French recording changed
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(stamps / relative)
    changed = tmp_path / rows[0][0]
    changed.unlink()
    changed.write_bytes(b"not the recording")
    with pytest.warns(UserWarning, match="411 of 480 recordings"), pytest.raises(DatasetError, match="per language"):
        audio.tuxpaint_recordings(tmp_path)


@needs_recordings
def test_the_descriptions_are_what_the_recordings_read_in_their_language():
    texts, languages, names = audio.tuxpaint_descriptions()
    _, recorded_languages, recorded_names = audio.tuxpaint_recordings()
    assert names == recorded_names and len(texts) == 477, "3 recordings have no line in their stamp's file"
    assert np.bincount(languages).tolist() == [60, 60, 59, 60, 59, 60, 59, 60]
    assert texts[0] == "Une grenouille." and all(text.strip() for text in texts)
    first = {names[label]: texts[int(np.flatnonzero(languages == label)[0])] for label in range(len(names))}
    assert first == {"French": "Une grenouille.", "Russian": "Лягушка.", "Romanian": "O broască.",
                     "Catalan": "Una granota.", "Bulgarian": "Жаба.", "Spanish": "Una rana.", "Belarusian": "Жаба.",
                     "Greek": "Βάτραχος."}, "each recording's own language, the first stamp (a frog) in each"
    with pytest.raises(InvalidArgumentError, match="59 clips per language"):
        speech_lessons.compare_speech_strategies("language", clips_per_class=60, progress=None)
    with pytest.raises(InvalidArgumentError, match="train_per_class"):
        speech_lessons.compare_speech_strategies("language", train_per_class=0, progress=None)


@needs_recordings
@needs_espeak
def test_the_synthetic_language_task_says_the_descriptions_in_each_language():
    clips, labels, names = speech_lessons.task_clips("language", 2)
    assert len(clips) == 16 and labels.tolist() == [label for label in range(8) for _ in range(2)]
    assert all(clip.dtype == np.float32 and 0.3 < len(clip) / audio.SAMPLE_RATE < 5 for clip in clips)
    assert not np.allclose(clips[0][:4000], clips[2][:4000]), "French and Russian voices differ"


def test_recordings_without_the_package_say_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("TLTUTOR_TUXPAINT_STAMPS", str(tmp_path / "absent"))
    with pytest.raises(DatasetError, match="apt-get install -y tuxpaint-stamps-default"):
        audio.tuxpaint_recordings()


@needs_recordings
def test_the_recorded_task_is_learnable_from_the_pretrained_embedding():
    comparison = speech_lessons.compare_speech_strategies("recorded", strategies=("mfcc", "frozen"), seeds=(0,),
                                                          clips_per_class=20, progress=None)
    assert comparison.settings["classes"][0] == "French"
    assert comparison.values("frozen", "test_accuracy")[0] > 0.6  # chance is 1/8
    assert comparison.values("mfcc", "test_accuracy")[0] > 0.6
