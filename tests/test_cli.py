import json
import os
import subprocess
import sys


def _run(*arguments, cwd=None, environment=None):
    environment = {**os.environ, "TLTUTOR_QUICK": "1", "TF_CPP_MIN_LOG_LEVEL": "3", **(environment or {})}
    return subprocess.run([sys.executable, "-m", "tltutor", *arguments], capture_output=True, text=True,
                          env=environment, cwd=cwd, timeout=600)


def test_compare_command_writes_table_and_plots(tmp_path):
    result = _run("compare", "--quick", "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "feature_extraction" in result.stdout and "test_accuracy" in result.stdout
    assert "no measurable difference" in result.stdout  # one seed in the quick profile: no verdict
    assert "cudart" not in result.stderr and "absl" not in result.stderr, "TensorFlow's start-up noise leaked"
    written = {path.name for path in (tmp_path / "out").iterdir()}
    assert {"comparison.csv", "comparison.json", "strategies.png", "history_fine_tuning.png"} <= written
    report = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert [row["strategy"] for row in report["rows"]] == ["pixels", "scratch", "feature_extraction", "head_continued",
                                                           "fine_tuning"]
    assert not [name for name in written if name.startswith(".")], "no temporary files left behind"


def test_compare_falls_back_to_the_textures_without_the_photos_and_says_why(tmp_path):
    result = _run("compare", "--quick", "--seeds", "1", "--output", str(tmp_path / "out"),
                  environment={"TLTUTOR_TUXPAINT_STAMPS": str(tmp_path / "absent")})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "apt-get install -y tuxpaint-stamps-default" in result.stdout and "FALLBACK" in result.stdout
    assert "on textures" in result.stdout and "this was the fallback target" in result.stdout
    report = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert report["settings"]["dataset"] == "textures" and report["settings"]["validation_split"] == 0.3


def test_compare_stores_every_arms_optimizer_steps(tmp_path):
    result = _run("compare", "--quick", "--dataset", "digits", "--samples-per-class", "8", "--fine-tune-epochs", "3",
                  "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr[-2000:]
    header = next(line for line in result.stdout.splitlines() if line.startswith("strategy "))
    assert "steps" in header.split()
    rows = {row["strategy"]: row for row in json.loads((tmp_path / "out" / "comparison.json").read_text())["rows"]}
    batches_per_epoch = -(-8 * 10 // 32)  # 80 training digits in batches of 32
    assert rows["pixels"]["steps"] is None
    assert rows["fine_tuning"]["fine_tune_steps"] == 3 * batches_per_epoch  # its whole budget: no early stopping
    assert rows["fine_tuning"]["steps"] == rows["feature_extraction"]["steps"] + 3 * batches_per_epoch
    assert rows["feature_extraction"]["steps"] == rows["feature_extraction"]["epochs"] * batches_per_epoch
    assert rows["head_continued"]["steps"] == rows["fine_tuning"]["steps"]  # the control: the same extra steps


def test_compare_refuses_an_output_that_is_a_file_before_any_work(tmp_path):
    occupied = tmp_path / "results"
    occupied.write_text("not a folder")
    result = _run("compare", "--quick", "--output", str(occupied))
    assert result.returncode == 2 and "is a file" in result.stderr and "comparing" not in result.stdout


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


def test_compare_on_the_sentences_runs_the_text_strategies(tmp_path):
    result = _run("compare", "--quick", "--dataset", "sentiment", "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert [row["strategy"] for row in report["rows"]] == ["tfidf", "frozen", "head_only", "fine_tune", "lora"]
    assert {"movies_accuracy", "tweets_accuracy"} <= set(report["rows"][0])
    assert [row.get("steps") for row in report["rows"]] == [None, None, 16, 16, 16]
    assert (tmp_path / "out" / "strategies.png").exists()
    result = _run("compare", "--quick", "--dataset", "sentiment", "--epochs", "5", "--output", str(tmp_path / "again"))
    assert result.returncode == 2 and "fitted to convergence" in result.stderr and not (tmp_path / "again").exists()


def test_compare_checks_its_arguments_before_any_work(tmp_path):
    for arguments, message in ((("--seeds", "0"), "--seeds must be at least 1"),
                               (("--dataset", "fashion_mnits"), "Did you mean 'fashion_mnist'"),
                               (("--dataset", f"folder:{tmp_path / 'absent'}"), "no such folder")):
        result = _run("compare", "--quick", *arguments, "--output", str(tmp_path / "out"))
        assert result.returncode == 2 and message in result.stderr, result.stderr[-500:]
        assert "comparing" not in result.stdout and not (tmp_path / "out").exists()
