"""One ``seed=`` makes a CPU run repeatable, in separate processes."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

SCRIPT = textwrap.dedent("""
    import json, sys
    import keras
    import tltutor as tl

    seed = int(sys.argv[1])
    tl.runtime.reproducibility.seed_everything(seed)
    train, validation, test, info = tl.data.load_dataset(image_size=32, samples_per_class=8,
                                                         test_samples_per_class=4, seed=seed)
    model = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=32, seed=seed)
    head = tl.training.train_head(model, train, validation, epochs=3, early_stopping_patience=None)
    base = keras.Sequential([keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
                             keras.layers.Dropout(0.3)], name="base")
    inputs = keras.Input((32, 32, 3))
    small = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.GlobalAveragePooling2D()(base(inputs / 255.0))))
    scratch = tl.training.train_all(small, train, validation, epochs=2)
    print(json.dumps({"head": head.metric("val_loss"), "head_test": tl.training.evaluate(model, test),
                      "scratch": scratch.metric("loss")}))
""")


def _start(script, seed):
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, str(script), str(seed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=environment)


def _metrics(process):
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr[-2000:]
    return json.loads(stdout.strip().splitlines()[-1])


def test_same_seed_gives_identical_metrics_in_separate_processes(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    first, second = _start(script, 0), _start(script, 0)
    first, second = _metrics(first), _metrics(second)
    assert first == second
    other = _metrics(_start(script, 1))
    assert other["head"] != first["head"] and other["scratch"] != first["scratch"], "the seed must matter"


def test_the_whole_network_baseline_gives_the_same_run_when_called_again():
    """Its model is kept between calls; dropout's random state must start afresh each time."""
    from tltutor import data
    from tltutor.lessons import baselines

    train, validation, test, info = data.load_dataset(image_size=32, samples_per_class=8, test_samples_per_class=4,
                                                      seed=0, pipeline="arrays")  # arrays: the same order each call
    runs = []
    for _ in range(2):
        model, history = baselines.train_whole_network(train, validation, num_classes=info.num_classes, seed=3,
                                                       max_epochs=3, progress=False)
        runs.append((history.metric("loss"), baselines.evaluate_small_network(model, test)["accuracy"]))
    assert runs[0] == runs[1]


def test_a_random_weight_base_is_drawn_from_its_seed_whatever_ran_before():
    import keras

    from tltutor.lessons.experiments import reset_or_build_model

    def base_kernel(seed):
        model = reset_or_build_model("DigitsCNN", 10, seed=seed, image_size=32, weights=None)
        return np.asarray(model.get_layer("base").weights[0]).copy()

    first = base_kernel(0)
    keras.utils.set_random_seed(123)  # global state moved on, as any earlier lesson cell moves it
    np.testing.assert_array_equal(base_kernel(0), first)
    assert not np.array_equal(base_kernel(1), first), "another seed is another random network"
