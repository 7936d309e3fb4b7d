"""Nothing untrusted runs: no eval/exec or unrestricted unpickling in tltutor, no Lambda layers in saved models.

The EfficientNet-Lite0 reader's allow-list and the sha256 checks are tested with crafted
malicious and tampered files in ``test_torch_reader.py``.
"""

import ast
from pathlib import Path

import keras
import numpy as np
import pytest

import tltutor
from tltutor import models
from tltutor.errors import InvalidArgumentError

from conftest import random_images

PACKAGE = Path(tltutor.__file__).parent
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_ATTRIBUTES = {("pickle", "load"), ("pickle", "loads"), ("marshal", "loads"), ("layers", "Lambda"),
                        ("os", "system"), ("subprocess", "run"), ("subprocess", "Popen")}
# A program tltutor may start: named by a literal as the first word of an argument list, never through a shell.
ALLOWED_PROGRAMS = {"espeak-ng"}


def _runs_an_allowed_program(call: ast.Call) -> bool:
    command = call.args[0] if call.args else None
    shell = any(keyword.arg == "shell" for keyword in call.keywords)
    return (not shell and isinstance(command, ast.List) and command.elts
            and isinstance(command.elts[0], ast.Constant) and command.elts[0].value in ALLOWED_PROGRAMS)


def _python_files():
    return sorted(PACKAGE.rglob("*.py"))


def test_the_scan_finds_what_it_looks_for():
    tree = ast.parse("import pickle\npickle.loads(b'')\neval('1')\nkeras.layers.Lambda(f)\nload_model(p, safe_mode=False)")
    assert len(_findings(tree, "example.py")) == 4
    programs = ast.parse("subprocess.run(['espeak-ng', text])\nsubprocess.run(['sh', '-c', text])\n"
                         "subprocess.run(command)\nsubprocess.run(['espeak-ng'], shell=True)")
    assert [finding.split()[0] for finding in _findings(programs, "example.py")] == [
        "example.py:2", "example.py:3", "example.py:4"]


def _findings(tree, name):
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name) and function.id in FORBIDDEN_CALLS:
                found.append(f"{name}:{node.lineno} calls {function.id}")
            if isinstance(function, ast.Attribute) and isinstance(function.value, (ast.Name, ast.Attribute)):
                owner = function.value.id if isinstance(function.value, ast.Name) else function.value.attr
                if (owner, function.attr) in FORBIDDEN_ATTRIBUTES and not (
                        owner == "subprocess" and _runs_an_allowed_program(node)):
                    found.append(f"{name}:{node.lineno} calls {owner}.{function.attr}")
            for keyword in node.keywords:
                if keyword.arg == "safe_mode" and isinstance(keyword.value, ast.Constant) and not keyword.value.value:
                    found.append(f"{name}:{node.lineno} passes safe_mode=False")
                if keyword.arg == "allow_pickle" and isinstance(keyword.value, ast.Constant) and keyword.value.value:
                    found.append(f"{name}:{node.lineno} passes allow_pickle=True")
    return found


def test_no_code_runs_from_data_anywhere_in_tltutor():
    files = _python_files()
    assert len(files) > 20
    findings = [finding for path in files for finding in _findings(ast.parse(path.read_text()), path.name)]
    assert findings == []


def test_only_the_restricted_unpickler_subclasses_pickle():
    users = [path.name for path in _python_files() if "pickle.Unpickler" in path.read_text()]
    assert users == ["torch_reader.py"]
    assert "def find_class" in (PACKAGE / "io" / "torch_reader.py").read_text()


def test_saved_models_have_no_lambda_layers_and_load_in_safe_mode(tmp_path):
    for backbone in ("EfficientNetLite0", "VGG16"):  # "lite" and "caffe" preprocessing
        model = models.build_transfer_model(backbone, 3, image_size=32, weights=None, augmentation="default")
        path = models.save_model(model, tmp_path / f"{backbone}.keras")
        assert "Lambda" not in model.to_json()
        loaded = models.load_model(path)
        images = random_images(2, size=32)
        np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0),
                                   rtol=1e-4, atol=1e-4)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["EfficientNetLite0.keras", "VGG16.keras"]


def test_a_model_with_a_lambda_layer_is_not_saved(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    with pytest.raises(InvalidArgumentError, match="Lambda layers"):
        models.save_model(model, tmp_path / "unsafe.keras")
    assert list(tmp_path.iterdir()) == []


def test_a_file_with_a_lambda_layer_is_refused_on_load(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    path = tmp_path / "unsafe.keras"
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode"):
        models.load_model(path)
