"""A non-editable install from the built wheel carries the package data and runs the quickstart's core steps.

The wheel is built from this checkout and installed, without ``-e`` and without its dependencies,
into a fresh virtual environment; the dependencies (TensorFlow and the rest, already installed for
the tests) are made visible to it through a path entry, so the test needs no network. The script
then runs from an empty folder, so nothing can be imported from the checkout by accident.
"""

import json
import site
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

ROOT = Path(__file__).parents[1]

QUICKSTART = textwrap.dedent('''
    import json, sys
    import tltutor as tl
    from skimage import data as photos

    train, validation, test, info = tl.data.load_dataset(image_size=32, samples_per_class=5, pipeline="arrays")
    model = tl.models.build_transfer_model("EfficientNetLite0", info.num_classes, image_size=64)
    top = tl.imagenet.classify([photos.chelsea()])[0][0][0]
    print(json.dumps({"file": tl.__file__, "classes": len(info.class_names), "train": len(train[1]),
                      "trainable": tl.freezing.trainable_summary(model).trainable_parameters, "top": top,
                      "sentiment": len(tl.data.text.domain_texts("tweets")[1]),
                      "imagenet_names": len(tl.imagenet.class_names())}))
''')


def test_the_wheel_installs_and_runs_the_quickstart(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                            str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("tltutor-*.whl"))
    environment = tmp_path / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", str(environment)], check=True, timeout=300)
    python = environment / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-2000:]
    fresh_site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                     capture_output=True, text=True, check=True).stdout.strip())
    dependencies = sysconfig.get_paths()["purelib"]  # this environment's packages, its editable tltutor not activated
    (fresh_site / "dependencies.pth").write_text(dependencies + "\n" + "\n".join(site.getsitepackages()) + "\n")
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    completed = subprocess.run([str(python), "-c", QUICKSTART], cwd=empty, capture_output=True, text=True,
                               timeout=600, env={"TF_CPP_MIN_LOG_LEVEL": "3", "HOME": str(tmp_path),
                                                 "KERAS_HOME": str(tmp_path / "keras"), "PATH": "/usr/bin:/bin"})
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["file"].startswith(str(fresh_site)), "tltutor must come from the wheel, not the checkout"
    assert result["classes"] == 10 and result["train"] == 50 and result["trainable"] == 12_810
    assert result["imagenet_names"] == 1000 and result["sentiment"] == 500
    assert "cat" in result["top"].lower()
