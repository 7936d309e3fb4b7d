import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tltutor import validation
from tltutor.errors import InvalidArgumentError, UnknownNameError


def _run(*arguments, cwd=None):
    environment = {**os.environ, "TLTUTOR_QUICK": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "tltutor", *arguments], capture_output=True, text=True,
                          env=environment, cwd=cwd, timeout=600)


def test_compare_command_writes_table_and_plots(tmp_path):
    result = _run("compare", "--quick", "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "feature_extraction" in result.stdout and "[scratch]" in result.stdout
    written = {path.name for path in (tmp_path / "out").iterdir()}
    assert {"comparison.csv", "comparison.json", "strategies.png", "history_fine_tuning.png"} <= written
    report = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert [row["strategy"] for row in report["rows"]] == ["scratch", "feature_extraction", "fine_tuning"]
    assert not [name for name in written if name.startswith(".")], "no temporary files left behind"


def test_classify_command_names_the_cat(tmp_path, photos):
    from PIL import Image

    path = tmp_path / "chelsea.png"
    Image.fromarray(photos["chelsea"]).save(path)
    result = _run("classify", str(path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Egyptian cat" in result.stdout.splitlines()[1]


def test_unknown_backbone_exits_with_a_clear_message(tmp_path):
    result = _run("compare", "--quick", "--backbone", "mobilenet2", "--output", str(tmp_path))
    assert result.returncode == 2
    assert "Did you mean 'MobileNetV2'" in result.stderr and "Traceback" not in result.stderr


@settings(max_examples=80, deadline=None)
@given(labels=st.one_of(
    st.lists(st.integers(-5, 15), max_size=20).map(np.array),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=10).map(np.array),
    st.lists(st.text(max_size=3), max_size=5).map(np.array),
), num_classes=st.integers(2, 12))
def test_label_checks_accept_or_explain(labels, num_classes):
    try:
        checked = validation.check_labels(labels, num_classes)
    except InvalidArgumentError as error:
        assert "labels" in str(error)
        return
    assert checked.dtype == np.int64 and (checked.size == 0 or (checked.min() >= 0 and checked.max() < num_classes))


@settings(max_examples=60, deadline=None)
@given(name=st.text(max_size=20))
def test_name_checks_accept_or_suggest(name):
    candidates = ["EfficientNetLite0", "MobileNetV2", "ResNet50"]
    try:
        assert validation.check_name(name, candidates, "backbone") in candidates
    except UnknownNameError as error:
        assert "Did you mean" in str(error)


@pytest.mark.parametrize("value", [0, -1e-3, 2.0, float("inf"), "0.1", True])
def test_learning_rates_that_make_no_sense(value):
    with pytest.raises(InvalidArgumentError):
        validation.check_learning_rate(value)
