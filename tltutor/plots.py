"""Plots of measured results: histories with phase markers, strategy bars, confusion matrices, image grids.

Every function returns the matplotlib ``Figure`` so it shows in a notebook and can be saved
with :func:`tltutor.results.save_figure`.
"""

from __future__ import annotations

import numpy as np


def _pyplot():
    import matplotlib.pyplot as pyplot  # matplotlib picks Agg by itself where there is no display

    return pyplot


def plot_history(history, metrics=("accuracy", "loss"), title: str | None = None):
    """Training and validation curves; a dashed line marks where each phase began."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.8), squeeze=False)
    epochs = np.arange(1, history.epochs + 1)
    for axis, metric in zip(axes[0], metrics):
        axis.plot(epochs, history.metric(metric), marker="o", markersize=3, label=f"train {metric}")
        axis.plot(epochs, history.metric(f"val_{metric}"), marker="o", markersize=3, label=f"validation {metric}")
        for phase, start in history.phase_starts.items():
            if start > 0:
                axis.axvline(start + 0.5, color="grey", linestyle="--", linewidth=1)
                axis.annotate(phase, (start + 0.6, 0.97), xycoords=("data", "axes fraction"), fontsize=8, va="top")
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_strategy_comparison(rows, metric: str = "test_accuracy", title: str | None = None):
    """One bar per strategy, labelled with its value."""
    pyplot = _pyplot()
    figure, axis = pyplot.subplots(figsize=(6, 3.6))
    names = [row["strategy"] for row in rows]
    values = [row[metric] for row in rows]
    palette = ["#9e9e9e", "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]
    bars = axis.bar(names, values, color=[palette[index % len(palette)] for index in range(len(rows))])
    axis.bar_label(bars, labels=[f"{value:.3f}" for value in values], padding=2)
    axis.set_ylabel(metric.replace("_", " "))
    if "accuracy" in metric:
        axis.set_ylim(0, 1.05)
    axis.set_title(title or f"{metric.replace('_', ' ')} by strategy")
    axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    return figure


def confusion_matrix(true_labels, predicted_labels, num_classes: int) -> np.ndarray:
    """Counts: row = true class, column = predicted class."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(true_labels, dtype=np.int64), np.asarray(predicted_labels, dtype=np.int64)), 1)
    return matrix


def plot_confusion_matrix(true_labels, predicted_labels, class_names, normalize: bool = True, title: str | None = None):
    """A confusion matrix, normalised per true class by default."""
    pyplot = _pyplot()
    matrix = confusion_matrix(true_labels, predicted_labels, len(class_names)).astype(float)
    if normalize:
        matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.55 * len(class_names))
    figure, axis = pyplot.subplots(figsize=(size + 1, size))
    image = axis.imshow(matrix, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    axis.set_xticks(range(len(class_names)), class_names, rotation=60, ha="right", fontsize=8)
    axis.set_yticks(range(len(class_names)), class_names, fontsize=8)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    for row in range(len(class_names)):
        for column in range(len(class_names)):
            value = matrix[row, column]
            if value:
                axis.text(column, row, f"{value:.2f}" if normalize else f"{int(value)}", ha="center", va="center",
                          fontsize=6, color="white" if value > 0.5 * matrix.max() else "black")
    figure.colorbar(image, ax=axis, fraction=0.046)
    axis.set_title(title or "confusion matrix")
    figure.tight_layout()
    return figure


def plot_image_grid(images, labels, class_names, predictions=None, columns: int = 8, rows: int = 2):
    """A grid of images with their labels (and predictions, red when wrong)."""
    pyplot = _pyplot()
    count = min(len(images), columns * rows)
    figure, axes = pyplot.subplots(rows, columns, figsize=(1.6 * columns, 1.9 * rows), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= count:
            continue
        axis.imshow(np.clip(np.asarray(images[index]), 0, 255).astype(np.uint8))
        label = class_names[int(labels[index])]
        if predictions is None:
            axis.set_title(label, fontsize=8)
        else:
            guess = class_names[int(predictions[index])]
            axis.set_title(f"{label}\n→ {guess}", fontsize=7, color="black" if guess == label else "red")
    figure.tight_layout()
    return figure


def plot_lines(rows, x: str, y: str, group: str | None = None, *, log_x: bool = False, title: str | None = None,
               ylabel: str | None = None):
    """One line per ``group`` value of ``y`` against ``x`` (e.g. test accuracy per samples per class)."""
    pyplot = _pyplot()
    figure, axis = pyplot.subplots(figsize=(6, 3.8))
    groups = list(dict.fromkeys(row[group] for row in rows)) if group else [None]
    for name in groups:
        chosen = [row for row in rows if group is None or row[group] == name]
        chosen.sort(key=lambda row: row[x])
        axis.plot([row[x] for row in chosen], [row[y] for row in chosen], marker="o", label=name)
    if log_x:
        axis.set_xscale("log")
    axis.set_xlabel(x.replace("_", " "))
    axis.set_ylabel(ylabel or y.replace("_", " "))
    axis.grid(alpha=0.3)
    if group:
        axis.legend(fontsize=8)
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return figure


def plot_scatter(rows, x: str, y: str, label: str, *, title: str | None = None):
    """One labelled point per row, e.g. old-task against new-task accuracy for each remedy."""
    pyplot = _pyplot()
    figure, axis = pyplot.subplots(figsize=(5.5, 4))
    for row in rows:
        axis.scatter(row[x], row[y], s=40)
        axis.annotate(str(row[label]), (row[x], row[y]), textcoords="offset points", xytext=(5, 4), fontsize=8)
    axis.set_xlabel(x.replace("_", " "))
    axis.set_ylabel(y.replace("_", " "))
    axis.grid(alpha=0.3)
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return figure


def plot_bars(rows, x: str, y: str, *, title: str | None = None, ylabel: str | None = None):
    """A bar per row: ``y`` for each ``x`` (e.g. accuracy per shift)."""
    pyplot = _pyplot()
    figure, axis = pyplot.subplots(figsize=(6, 3.6))
    names = [str(row[x]) for row in rows]
    values = [row[y] for row in rows]
    bars = axis.bar(names, values, color="C0")
    axis.bar_label(bars, labels=[f"{value:.2f}" for value in values], fontsize=8)
    axis.set_ylabel(ylabel or y.replace("_", " "))
    axis.tick_params(axis="x", labelrotation=20)
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return figure


def plot_heatmaps(images, heatmaps, titles=None, *, alpha: float = 0.45):
    """Each image with its heatmap (e.g. Grad-CAM) laid over it."""
    pyplot = _pyplot()
    count = len(images)
    figure, axes = pyplot.subplots(1, count, figsize=(2.4 * count, 2.6), squeeze=False)
    for index, axis in enumerate(axes[0]):
        axis.imshow(np.asarray(images[index]).astype(np.uint8))
        axis.imshow(heatmaps[index], cmap="jet", alpha=alpha, vmin=0, vmax=1)
        axis.axis("off")
        if titles is not None:
            axis.set_title(str(titles[index]), fontsize=8)
    figure.tight_layout()
    return figure


def plot_embeddings(embeddings, labels, class_names, titles):
    """Side-by-side 2-D embeddings (e.g. before and after fine-tuning), coloured by class."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(1, len(embeddings), figsize=(4.6 * len(embeddings), 4), squeeze=False)
    labels = np.asarray(labels)
    for axis, points, title in zip(axes[0], embeddings, titles):
        for index, name in enumerate(class_names):
            chosen = labels == index
            axis.scatter(points[chosen, 0], points[chosen, 1], s=6, label=name, color=pyplot.cm.tab10(index % 10))
        axis.set_title(title)
        axis.set_xticks([])
        axis.set_yticks([])
    axes[0][-1].legend(fontsize=7, markerscale=2, loc="center left", bbox_to_anchor=(1, 0.5))
    figure.tight_layout()
    return figure
