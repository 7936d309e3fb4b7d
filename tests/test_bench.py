"""The benchmark (benchmarks/bench.py): each side uses what it claims, and one tiny run measures every workload."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from tltutor.errors import InvalidArgumentError
from tltutor.runtime import devices

_SPEC = importlib.util.spec_from_file_location("bench", Path(__file__).parents[1] / "benchmarks" / "bench.py")
bench = importlib.util.module_from_spec(_SPEC)
sys.modules["bench"] = bench  # dataclasses look their module up while the file runs
_SPEC.loader.exec_module(bench)


def test_each_side_uses_what_it_claims_on_this_cpu():
    baseline, ours = bench.baseline_settings(), bench.tltutor_settings()
    assert (baseline.precision, baseline.batch_size, baseline.cached_pipeline) == ("float32", 32, False)
    assert not baseline.kept_frozen_outputs and baseline.steps_per_execution == 1
    assert ours.precision == devices.recommended_precision() == "float32"  # no mixed precision on a CPU
    assert ours.jit_compile is False and ours.cached_pipeline and ours.kept_frozen_outputs


def test_benchmark_measures_every_workload_for_both_sides_and_writes_json(tmp_path, capsys):
    path = tmp_path / "bench.json"
    assert bench.main(["--backbones", "DigitsCNN", "--image-size", "32", "--images", "64", "--rounds", "2",
                       "--json", str(path)]) == 0
    figures = json.loads(path.read_text())
    assert figures["backend"] == "tensorflow" and "CPU" in figures["device"]
    assert {"python", "keras", "tensorflow", "tltutor"} <= set(figures["versions"])
    assert [row["workload"] for row in figures["rows"]] == list(bench.WORKLOADS)
    for row in figures["rows"]:
        ratio = row["tltutor_images_per_second"] / row["baseline_images_per_second"]
        assert row["speedup"] == pytest.approx(ratio, rel=0.02, abs=0.01)
        assert row["lowest_round_ratio"] <= row["highest_round_ratio"]
        assert row["baseline_first_step_seconds"] > 0 and row["tltutor_first_step_seconds"] > 0
    assert figures["settings"]["baseline"]["batch_size"] == 32 and figures["rounds"] == 2
    printed = capsys.readouterr().out
    assert "top-block fine-tuning" in printed and "Slowest ratio" in printed


def test_bad_benchmark_arguments_are_explained():
    with pytest.raises(InvalidArgumentError, match="at most"):
        bench.run(["DigitsCNN"], image_size=32, images=10**6, progress=None)
    with pytest.raises(Exception, match="Did you mean"):
        bench.run(["EfficientNetB9"], image_size=32, images=16, progress=None)


def test_the_readme_shows_the_stored_cpu_run():
    root = Path(__file__).parents[1]
    table = bench.markdown_table(json.loads((root / "benchmarks" / "cpu-2core-tensorflow.json").read_text()))
    assert table in (root / "README.md").read_text(), \
        "paste `python benchmarks/bench.py --json benchmarks/cpu-2core-tensorflow.json --markdown` into the README"


def test_markdown_needs_a_stored_run():
    with pytest.raises(InvalidArgumentError, match="--json"):
        bench.main(["--markdown"])
