"""The JAX backend without TensorFlow, and both multi-device engines, each in a fresh process on CPU.

A backend, a logical-device split and JAX's device count are fixed when a process starts, so each
case runs a small script in a subprocess and reads one JSON line back.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

BLOCK_TENSORFLOW = '''
import importlib.abc, sys
class _NoTensorFlow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("tensorflow", "tensorflow_datasets"):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
sys.meta_path.insert(0, _NoTensorFlow())
'''


def run_script(body: str, **environment) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TLTUTOR_QUICK": "1", **environment}
    completed = subprocess.run([sys.executable, "-c", textwrap.dedent(body)], env=env, capture_output=True,
                               text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_jax_backend_trains_without_tensorflow(tmp_path):
    figures = run_script(BLOCK_TENSORFLOW + f'''
import json
import numpy as np
import keras
import tltutor as tl

train, validation, test, info = tl.data.load_dataset(image_size=32, samples_per_class=10, test_samples_per_class=5)
model = tl.models.build_transfer_model("DigitsCNN", info.num_classes, image_size=32, weights="digits")
base = tl.freezing.get_base(model)
batchnorm = [layer for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization)][0]
moving_mean = np.array(batchnorm.moving_mean)
history = tl.training.train_head(model, train, validation, epochs=60, early_stopping_patience=None)
history = tl.training.fine_tune(model, train, validation, epochs=2, history=history, layerwise_decay=2.6)
true, predicted = tl.report.diagnostics.predict_labels(model, test)
path = tl.models.save_model(model, {str(tmp_path / "model.keras")!r})
reloaded = tl.models.load_model(path)
images, _ = tl.data.batches.first_batch(test)
print(json.dumps({{
    "backend": keras.backend.backend(),
    "pipeline": type(train).__name__,
    "epochs": history.epochs,
    "phases": list(history.phase_starts),
    "losses_finite": bool(np.isfinite(history.metric("loss")).all()),
    "batchnorm_unchanged": bool(np.allclose(moving_mean, np.array(batchnorm.moving_mean))),
    "jit_compile": bool(model.jit_compile),
    "test_predictions": int(len(predicted)),
    "test_accuracy": tl.training.evaluate(model, test)["accuracy"],
    "reloaded_matches": bool(np.allclose(model.predict(images, verbose=0), reloaded.predict(images, verbose=0),
                                         atol=1e-5)),
    "tensorflow_imported": "tensorflow" in sys.modules,
}}))
''', KERAS_BACKEND="jax", KERAS_HOME=os.environ.get("KERAS_HOME", str(tmp_path / "keras")))
    assert figures["backend"] == "jax" and figures["pipeline"] == "ImageBatches"
    assert figures["epochs"] == 62 and figures["phases"] == ["head", "fine-tune"] and figures["losses_finite"]
    assert figures["batchnorm_unchanged"], "BatchNorm statistics drifted during fine-tuning on JAX"
    assert figures["jit_compile"] is True
    assert figures["test_predictions"] == 50 and figures["test_accuracy"] > 0.2  # chance is 0.10
    assert figures["reloaded_matches"] and not figures["tensorflow_imported"]


def test_tensorflow_mirrored_strategy_on_two_cpu_devices():
    figures = run_script('''
import json
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import numpy as np
import tltutor as tl

strategy = tl.runtime.distribution.mirrored_strategy(["/cpu:0", "/cpu:1"])
train, validation, test, info = tl.data.load_dataset(image_size=32, samples_per_class=10, test_samples_per_class=5)
model = tl.models.build_transfer_model("DigitsCNN", info.num_classes, image_size=32, weights="digits",
                                       strategy=strategy)
before = model.get_layer("classifier").get_weights()[0].copy()
history = tl.training.train_head(model, train, validation, epochs=3, early_stopping_patience=None)
history = tl.training.fine_tune(model, train, validation, epochs=1, history=history)
pooled, labels = tl.features.pooled_features(model, test)
print(json.dumps({
    "replicas": tl.runtime.distribution.replica_count(strategy),
    "variable": type(model.get_layer("classifier").kernel.value).__name__,
    "head_changed": bool(not np.allclose(before, model.get_layer("classifier").get_weights()[0])),
    "epochs": history.epochs,
    "losses_finite": bool(np.isfinite(history.metric("loss")).all()),
    "features": list(pooled.shape),
    "labels": int(len(labels)),
}))
''')
    assert figures["replicas"] == 2 and figures["variable"] == "MirroredVariable"
    assert figures["head_changed"] and figures["epochs"] == 4 and figures["losses_finite"]
    assert figures["features"][0] == figures["labels"] == 50  # one feature row per image, not one per replica


def test_jax_data_parallel_on_two_cpu_devices():
    figures = run_script('''
import json
import numpy as np
import keras
import tltutor as tl

strategy = tl.runtime.distribution.data_parallel()
train, validation, test, info = tl.data.load_dataset(image_size=32, samples_per_class=10, test_samples_per_class=5)
model = tl.models.build_transfer_model("DigitsCNN", info.num_classes, image_size=32, weights="digits",
                                       strategy=strategy)
history = tl.training.train_head(model, train, validation, epochs=3, early_stopping_patience=None)
history = tl.training.fine_tune(model, train, validation, epochs=1, history=history)
kernel = tl.freezing.get_base(model).trainable_weights[0].value
print(json.dumps({
    "replicas": tl.runtime.distribution.replica_count(strategy),
    "kernel_devices": len(kernel.devices()),
    "epochs": history.epochs,
    "losses_finite": bool(np.isfinite(history.metric("loss")).all()),
    "test_accuracy": tl.training.evaluate(model, test)["accuracy"],
}))
''', KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")
    assert figures["replicas"] == 2 and figures["kernel_devices"] == 2
    assert figures["epochs"] == 4 and figures["losses_finite"] and 0 <= figures["test_accuracy"] <= 1


def test_an_engine_of_the_other_backend_is_refused():
    from tltutor.runtime import distribution
    from tltutor.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="needs the jax backend"):
        distribution.data_parallel()
    with pytest.raises(InvalidArgumentError, match="strategy must be"):
        distribution.check_strategy("mirrored")
    assert distribution.replica_count(None) == 1


@pytest.mark.parametrize("precision", ["mixed_float16", "mixed_bfloat16"])
def test_jax_backend_trains_at_every_mixed_precision(tmp_path, precision):
    figures = run_script(BLOCK_TENSORFLOW + '''
import json
import numpy as np
import keras
import tltutor as tl

train, validation, test, info = tl.data.load_dataset(image_size=32, samples_per_class=16, test_samples_per_class=10,
                                                     pipeline="arrays")
model = tl.models.build_transfer_model("DigitsCNN", info.num_classes, image_size=32, weights="digits")
history = tl.training.train_head(model, train, validation, epochs=40, early_stopping_patience=None, progress=False)
history = tl.training.train_head(model, train, validation, epochs=5, history=history, phase="again", progress=False)
history = tl.training.fine_tune(model, train, validation, epochs=1, layerwise_decay=2.6, history=history,
                                progress=False)
scratch = tl.models.build_transfer_model("DigitsCNN", info.num_classes, image_size=32, weights=None, freeze=False)
losses = []
for _ in range(2):  # the second run reuses the compiled model after an optimizer reset
    losses += tl.training.train_all(scratch, train, validation, epochs=3, learning_rate=3e-3, progress=False).metric("loss")
print(json.dumps({
    "policy": tl.freezing.get_base(model).dtype_policy.name,
    "optimizer": type(model.optimizer).__name__,
    "losses_finite": bool(np.isfinite(history.metric("loss")).all() and np.isfinite(losses).all()),
    "weights_finite": bool(all(np.isfinite(w).all() for w in model.get_weights() + scratch.get_weights())),
    "test_accuracy": tl.training.evaluate(model, test)["accuracy"],
}))
''', KERAS_BACKEND="jax", TLTUTOR_PRECISION=precision,
                         KERAS_HOME=os.environ.get("KERAS_HOME", str(tmp_path / "keras")))
    assert figures["policy"] == precision
    assert figures["optimizer"] == ("LossScaleOptimizer" if precision == "mixed_float16" else "LayerwiseAdam")
    assert figures["losses_finite"] and figures["weights_finite"]
    assert figures["test_accuracy"] > 0.25  # chance is 0.10
