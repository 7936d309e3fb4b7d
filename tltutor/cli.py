"""``python -m tltutor``: run the transfer-learning experiments from the command line.

    python -m tltutor compare                      # real photos (or scikit-image's textures), 3 seeds
    python -m tltutor compare --dataset sentiment  # text: TF-IDF, frozen MiniLM, fine-tuning and LoRA
    python -m tltutor compare --quick              # a one-minute smoke run
    python -m tltutor classify photo.jpg           # ImageNet top-5 with real pretrained weights
    python -m tltutor devices                      # what hardware and precision are in use
    python -m tltutor backbones                    # the registry, and what works offline
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import tltutor as tl
from tltutor.errors import TltutorError


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


PHOTOS = "tuxpaint_photos"
FALLBACK = "textures"  # needs no system package: crops of the photographs scikit-image ships
# The demo's plan for each of its datasets: what the full profile trains when the flags leave it open.
PLANS = {
    # The smallest class has 18 photographs: 10 train, 2 validate, the rest test. 10 validation photographs
    # are too few to stop on, so every arm trains its whole budget: 30 epochs of 2 batches give
    # fine-tuning 60 steps.
    PHOTOS: dict(samples_per_class=10, validation_split=0.2, fine_tune_epochs=30),
    # 20 crops per class train and 6 validate (42 in all, enough to stop on); 140 crops make 5 batches an
    # epoch, so 20 epochs give fine-tuning up to 100 steps.
    FALLBACK: dict(samples_per_class=20, validation_split=0.3, fine_tune_epochs=20),
}


TEXT = "sentiment"  # the embedded human-rated sentences: trained on movie snippets, tested on movies and tweets
TEXT_PER_CLASS = 32


def _check_arguments(arguments) -> None:
    """Every argument checked before any work: a mistake costs a second, not a run."""
    for name in ("samples_per_class", "epochs", "fine_tune_epochs", "image_size", "seeds"):
        value = getattr(arguments, name)
        if value is not None and value < 1:
            flag = "--" + name.replace("_", "-")
            raise tl.validation.InvalidArgumentError(f"{flag} must be at least 1, got {value}")
    output = Path(arguments.output)
    if output.exists() and not output.is_dir():
        raise tl.validation.InvalidArgumentError(f"--output {output} is a file: give a folder to write the results to")
    dataset = arguments.dataset
    if dataset.startswith("folder:") and not Path(dataset.removeprefix("folder:")).is_dir():
        raise tl.validation.InvalidArgumentError(f"--dataset {dataset}: no such folder (give folder:<path> to a "
                                                 "folder with one sub-folder of images per class)")
    if dataset == TEXT and arguments.epochs is not None:
        raise tl.validation.InvalidArgumentError(
            "--epochs sets the image heads' training; the text heads are fitted to convergence. Give "
            "--fine-tune-epochs for the text encoder's adaptation budget")
    if dataset in ("auto", TEXT) or ":" in dataset:
        return
    if dataset not in tl.data.BUILTIN and dataset not in tl.data.TFDS_EXAMPLES:
        tl.validation.check_name(dataset, ["auto", TEXT, *tl.data.BUILTIN, *tl.data.TFDS_EXAMPLES], "dataset")
    if dataset != TEXT:
        tl.backbones.get(arguments.backbone)  # an unknown backbone is named before the data loads


def _dataset(arguments) -> str:
    """The dataset to compare on: the photos when their package is installed, else the textures, said so."""
    if arguments.dataset != "auto":
        return arguments.dataset
    package = tl.runtime.system_packages.get("tuxpaint-stamps-default")
    if package.installed():
        return PHOTOS
    _progress(f"FALLBACK: the real photographs need Debian's {package.name} "
              f"({tl.runtime.system_packages.install_command([package.name])}; without root, see the README). "
              f"Comparing on the fallback instead: {FALLBACK}, crops of 7 textures from the photographs that "
              "scikit-image ships")
    return FALLBACK


def _plan(arguments, dataset: str) -> dict:
    """The settings of a compare run: the flags given, else the dataset's plan, else the profile's.

    The quick profile keeps the plan's images per class and split (the photographs have too few for
    the profile's) but not its fine-tuning budget.
    """
    plan = dict(PLANS.get(dataset, {}))
    if tl.runtime.profile.is_quick():
        plan.pop("fine_tune_epochs", None)
    given = dict(samples_per_class=arguments.samples_per_class, fine_tune_epochs=arguments.fine_tune_epochs)
    plan.update({name: value for name, value in given.items() if value is not None})
    return plan


def command_compare_text(arguments, output: Path, seeds) -> int:
    started, quick = time.perf_counter(), tl.runtime.profile.is_quick()
    per_class = arguments.samples_per_class or (8 if quick else TEXT_PER_CLASS)
    _progress(f"comparing {', '.join(tl.lessons.text.STRATEGIES)} on the embedded sentiment sentences, {per_class} "
              f"movie snippets per class, tested on movies and tweets ({'quick' if quick else 'full'} profile)")
    batch_size = tl.lessons.text.ADAPTATION_BATCH_SIZE
    classes = len(tl.data.text.CLASS_NAMES)
    steps = (arguments.fine_tune_epochs * math.ceil(classes * per_class / batch_size) if arguments.fine_tune_epochs
             else 16 if quick else tl.lessons.text.ADAPTATION_STEPS)
    comparison = tl.lessons.text.compare_text_strategies(
        per_class, seeds=seeds, test_domains=("movies", "tweets"), steps=steps, batch_size=batch_size,
        test_per_class=50 if quick else None, progress=_progress)
    comparison.write(output, "comparison")
    tl.report.results.save_figure(tl.report.plots.plot_comparison(comparison, "movies_accuracy"),
                                  output / "strategies.png")
    print()
    print(comparison.summary_table(["movies_accuracy", "tweets_accuracy", "steps", "trainable_parameters", "seconds"]))
    print()
    for first, second in (("frozen", "tfidf"), ("fine_tune", "head_only"), ("lora", "head_only")):
        for metric in ("movies_accuracy", "tweets_accuracy"):
            print(comparison.verdict(first, second, metric))
    print(f"\nwrote {output}/comparison.csv, comparison.json and strategies.png in "
          f"{time.perf_counter() - started:.0f} s")
    return 0


def command_compare(arguments) -> int:
    if arguments.quick:
        os.environ["TLTUTOR_QUICK"] = "1"
    _check_arguments(arguments)
    output = Path(arguments.output)
    started = time.perf_counter()
    seeds = tuple(range(arguments.seeds)) if arguments.seeds else None
    if arguments.dataset == TEXT:
        return command_compare_text(arguments, output, seeds)
    dataset = _dataset(arguments)
    _progress(f"comparing {', '.join(tl.lessons.experiments.STRATEGIES)} on {dataset} "
              f"({'quick' if tl.runtime.profile.is_quick() else 'full'} profile)")
    comparison = tl.lessons.experiments.compare_strategies(
        arguments.backbone, dataset, image_size=arguments.image_size, head_epochs=arguments.epochs, seeds=seeds,
        progress=_progress, epoch_progress=_progress, **_plan(arguments, dataset))
    comparison.write(output, "comparison")
    tl.report.results.save_figure(tl.report.plots.plot_comparison(comparison, "test_accuracy"),
                                  output / "strategies.png")
    for strategy in comparison.variants:
        if (strategy, comparison.seeds[0]) in comparison.histories:
            tl.report.results.save_figure(
                tl.report.plots.plot_history(comparison.history(strategy), title=f"{strategy}, seed {comparison.seeds[0]}"),
                output / f"history_{strategy}.png")
    print()
    print(comparison.summary_table(["test_accuracy", "validation_accuracy", "steps", "seconds"]))
    print(f"(steps: optimizer steps of each arm, head and fine-tuning together; the pixels' solver runs to "
          f"convergence. {comparison.dataset.validation_count} validation images"
          + (", too few to stop on: every arm trained its whole budget)" if comparison.dataset.validation_count
             < tl.training.MIN_VALIDATION_FOR_EARLY_STOPPING else ")"))
    print()
    for first, second in (("feature_extraction", "pixels"), ("fine_tuning", "pixels"), ("fine_tuning", "scratch"),
                          ("fine_tuning", "head_continued")):
        if {first, second} <= set(comparison.variants):
            print(comparison.verdict(first, second))
    if dataset == FALLBACK:
        print(f"\n(this was the fallback target, {FALLBACK}: install Debian's tuxpaint-stamps-default for the "
              "real photographs)")
    print(f"\nwrote {output}/comparison.csv, comparison.json, strategies.png and history_*.png "
          f"in {time.perf_counter() - started:.0f} s")
    return 0


def command_classify(arguments) -> int:
    for path, top in zip(arguments.images, tl.imagenet.classify(arguments.images, backbone=arguments.backbone,
                                                                k=arguments.top)):
        print(path)
        for name, probability in top:
            print(f"  {probability:6.3f}  {name}")
    return 0


def command_devices(arguments) -> int:
    print(tl.runtime.devices.device_report())
    return 0


def command_backbones(arguments) -> int:
    rows = [{"backbone": spec.name, "input px": spec.default_image_size, "params (M)": spec.parameters_millions,
             "offline": "yes" if spec.offline else "download", "unfreeze from": spec.unfreeze_points[0]}
            for spec in tl.backbones.REGISTRY.values()]
    print(tl.report.results.format_table(rows))
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m tltutor", description="Transfer learning, measured.")
    commands = top.add_subparsers(dest="command", required=True)
    compare = commands.add_parser("compare", help="transfer against honest baselines, over seeds")
    compare.add_argument("--backbone", default="EfficientNetLite0")
    compare.add_argument("--dataset", default="auto",
                         help="'auto': the real photographs (tuxpaint_photos) when Debian's tuxpaint-stamps-default "
                              "is installed, else the textures (crops of scikit-image's photographs); 'sentiment': "
                              "the embedded sentences "
                              "(text strategies); or any image dataset name, folder:<path> or tfds:<name>")
    compare.add_argument("--samples-per-class", type=int, default=None)
    compare.add_argument("--epochs", type=int, default=None, help="head-training epochs (early stopping applies with 30 or more validation images)")
    compare.add_argument("--fine-tune-epochs", type=int, default=None,
                         help="fine-tuning epochs (for --dataset sentiment: the text encoder's adaptation)")
    compare.add_argument("--image-size", type=int, default=None)
    compare.add_argument("--seeds", type=int, default=None, help="how many seeds (0, 1, ...); the profile's by default")
    compare.add_argument("--output", default="tltutor-results")
    compare.add_argument("--quick", action="store_true", help="tiny data and epochs (TLTUTOR_QUICK=1)")
    compare.set_defaults(run=command_compare)
    classify = commands.add_parser("classify", help="ImageNet top-k for photos")
    classify.add_argument("images", nargs="+")
    classify.add_argument("--backbone", default="EfficientNetLite0")
    classify.add_argument("--top", type=int, default=5)
    classify.set_defaults(run=command_classify)
    commands.add_parser("devices", help="hardware, precision and XLA choices").set_defaults(run=command_devices)
    commands.add_parser("backbones", help="the backbone registry").set_defaults(run=command_backbones)
    return top


def main(argv=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    arguments = parser().parse_args(argv)
    try:
        return arguments.run(arguments)
    except TltutorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
