"""Nothing trained is lost: per-epoch checkpoints written atomically, and resume after a crash."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from tltutor.io import checkpoints
from tltutor import models, training

TRAINING_SCRIPT = textwrap.dedent("""
    import json, os, signal, sys
    import keras
    import tltutor as tl

    checkpoint_dir, kill_at_epoch = sys.argv[1], int(sys.argv[2])

    class KillDuringEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            print("starting epoch", epoch + 1, flush=True)
            if epoch + 1 == kill_at_epoch:
                os.kill(os.getpid(), signal.SIGKILL)   # no cleanup, no finally blocks: a real crash

    tl.runtime.reproducibility.seed_everything(0)
    train, validation, _, _ = tl.data.load_dataset(image_size=32, samples_per_class=4, test_samples_per_class=1)
    base = keras.Sequential([keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
                             keras.layers.Conv2D(16, 3, strides=2, activation="relu")], name="base")
    inputs = keras.Input((32, 32, 3))
    outputs = keras.layers.Dense(10)(keras.layers.GlobalAveragePooling2D()(base(inputs / 255.0)))
    model = keras.Model(inputs, outputs)   # a small stand-in: this test is about the crash, not the backbone
    training = tl.training
    original_fit = keras.Model.fit
    keras.Model.fit = lambda self, *a, **k: original_fit(self, *a, **{**k, "callbacks": [*k["callbacks"], KillDuringEpoch()]})
    history = training.train_all(model, train, validation, epochs=5, checkpoint_dir=checkpoint_dir)
    print(json.dumps({"epochs": history.epochs, "loss": history.metric("loss")}))
""")


def _run_training(script, checkpoint_dir, kill_at_epoch):
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, str(script), str(checkpoint_dir), str(kill_at_epoch)],
                          capture_output=True, text=True, env=environment, timeout=300)


def test_a_killed_process_resumes_from_the_last_completed_epoch(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(TRAINING_SCRIPT)
    checkpoint_dir = tmp_path / "run"
    crashed = _run_training(script, checkpoint_dir, kill_at_epoch=4)
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    assert "starting epoch 4" in crashed.stdout
    phase = checkpoint_dir / "train-all"
    state = json.loads((phase / "state.json").read_text())
    assert state["completed_epochs"] == 3 and not state["finished"]
    assert len(state["history"]["loss"]) == 3
    assert sorted(path.name for path in phase.iterdir()) == ["best.weights.h5", "epoch-0003.weights.h5", "state.json"]

    resumed = _run_training(script, checkpoint_dir, kill_at_epoch=0)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    started = [line for line in resumed.stdout.splitlines() if line.startswith("starting epoch")]
    assert started == ["starting epoch 4", "starting epoch 5"], "epochs 1-3 must not be trained again"
    report = json.loads(resumed.stdout.splitlines()[-1])
    assert report["epochs"] == 5 and report["loss"][:3] == state["history"]["loss"]
    assert json.loads((phase / "state.json").read_text())["finished"]

    finished_again = _run_training(script, checkpoint_dir, kill_at_epoch=0)
    assert "starting epoch" not in finished_again.stdout, "a finished phase is loaded, not trained again"


class _InterruptAtEpoch(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_keyboard_interrupt_keeps_the_completed_epochs_and_the_best_weights(tiny_data, tmp_path, monkeypatch):
    train, validation, _, _ = tiny_data
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=64)
    monkeypatch.setattr(training, "callbacks_for", lambda patience, monitor="val_loss", **_: [_InterruptAtEpoch(3)])
    with pytest.raises(KeyboardInterrupt):
        training.train_head(model, train, validation, epochs=6, checkpoint_dir=tmp_path)
    state = checkpoints.read_state(tmp_path / "head")
    assert state.completed_epochs == 3 and not state.finished
    assert state.best_value == min(state.history["val_loss"])
    saved_epoch_three = models.head(model).get_weights()

    monkeypatch.setattr(training, "callbacks_for", lambda patience, monitor="val_loss", **_: [])
    fresh = models.build_transfer_model("EfficientNetLite0", 10, image_size=64)
    restored = checkpoints.restore(models.head(fresh), tmp_path / "head")
    assert restored.completed_epochs == 3
    for saved, loaded in zip(saved_epoch_three, models.head(fresh).get_weights()):
        np.testing.assert_array_equal(saved, loaded)
    history = training.train_head(fresh, train, validation, epochs=6, checkpoint_dir=tmp_path)
    assert history.epochs == 6 and checkpoints.read_state(tmp_path / "head").finished


def test_a_failed_write_keeps_the_previous_checkpoint_and_leaves_no_partial_file(tmp_path, monkeypatch):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("adam", "mse")
    saver = checkpoints.EpochCheckpoint(tmp_path)
    saver.set_model(model)
    saver.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.0})
    before = (tmp_path / "state.json").read_text()

    def fail_half_way(self, filepath, overwrite=True):
        with open(filepath, "wb") as stream:
            stream.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save_weights", fail_half_way)
    with pytest.raises(OSError, match="disk full"):
        saver.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.5})
    assert (tmp_path / "state.json").read_text() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["best.weights.h5", "epoch-0001.weights.h5",
                                                                 "state.json"]


def test_a_damaged_state_file_is_explained(tmp_path):
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(Exception, match="damaged.*Delete the folder"):
        checkpoints.read_state(tmp_path)


def test_an_atomic_write_leaves_a_file_as_readable_as_a_plain_one(tmp_path):
    from tltutor.io import files

    written = files.write_json({"accuracy": 0.8}, tmp_path / "result.json")
    plain = tmp_path / "plain.json"
    plain.write_text("{}")
    assert written.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777, "not mkstemp's private 0600"
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".")], "no temporary left"
