"""Plots of measured results, with the spread over seeds shown wherever there are several.

Every function returns a matplotlib ``Figure``. The figures are made without ``pyplot``, so none
is left open or shown twice: in a notebook, end the cell with the figure and it is displayed
(the notebooks run ``%matplotlib inline``, which registers the PNG display of figures); elsewhere
save it with :func:`tltutor.report.results.save_figure`.

Rows that repeat the same (group, x) pair, one per seed, are summarised: the bar, line or point
is the mean, the error bar one standard deviation, and each seed is drawn as a small dot.

Examples:
    >>> rows = [{"strategy": "head", "seed": seed, "test_accuracy": value}
    ...         for seed, value in enumerate([0.80, 0.82, 0.81])]
    >>> figure = plot_bars(rows, x="strategy", y="test_accuracy")
    >>> round(float(figure.axes[0].patches[0].get_height()), 3)
    0.81
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullFormatter

from tltutor import validation

PALETTE = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]


def _axes(columns: int = 1, width: float = 6.0, height: float = 3.8, rows: int = 1):
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    return figure, axes


def _label(name: str) -> str:
    return name.replace("_", " ")


def _grouped(rows, x: str, y: str, group: str | None = None) -> dict:
    """``{group value: {x value: [y values]}}`` in first-appearance order."""
    result: dict = {}
    for row in rows:
        result.setdefault(row[group] if group else None, {}).setdefault(row[x], []).append(float(row[y]))
    return result


def _mean_std(values):
    values = np.asarray(values, float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def plot_history(history, metrics=("accuracy", "loss"), title: str | None = None):
    """Training and validation curves; a dashed line marks where each phase began."""
    figure, axes = _axes(len(metrics), width=5.5 * len(metrics))
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
    return figure


def plot_bars(rows, x: str, y: str, *, title: str | None = None, ylabel: str | None = None,
              reference: float | None = None, reference_label: str = "", colour_by: str | None = None):
    """A bar per ``x`` value: the mean of ``y`` over its rows (seeds), one standard deviation as error bar.

    ``reference`` draws a dashed horizontal line, e.g. a baseline's accuracy. ``colour_by`` gives
    every bar with the same value of that key one colour (e.g. one per strategy across tasks).
    """
    figure, axes = _axes(width=max(6.0, 1.1 * len({row[x] for row in rows}) + 2))
    axis = axes[0][0]
    grouped = _grouped(rows, x, y)[None]
    names = [str(name) for name in grouped]
    statistics = [_mean_std(values) for values in grouped.values()]
    means = [mean for mean, _ in statistics]
    errors = [std for _, std in statistics]
    positions = np.arange(len(names))
    if colour_by is None:
        colours = [PALETTE[index % len(PALETTE)] for index in range(len(names))]
    else:
        value_of = {str(row[x]): row[colour_by] for row in rows}
        order = list(dict.fromkeys(value_of[name] for name in names))
        colours = [PALETTE[order.index(value_of[name]) % len(PALETTE)] for name in names]
    bars = axis.bar(positions, means, yerr=errors if any(errors) else None, capsize=4, color=colours, alpha=0.85)
    for position, values in zip(positions, grouped.values()):
        if len(values) > 1:
            axis.scatter(np.full(len(values), position) + np.linspace(-0.15, 0.15, len(values)), values,
                         s=10, color="black", zorder=3)
    labels = [f"{mean:.3f}" + (f"\n±{std:.3f}" if std else "") for mean, std in statistics]
    axis.bar_label(bars, labels=labels, padding=3, fontsize=8)
    axis.set_xticks(positions, names, rotation=20 if max(len(name) for name in names) > 10 else 0,
                    ha="right" if max(len(name) for name in names) > 10 else "center", fontsize=8)
    if reference is not None:
        axis.axhline(reference, color="grey", linestyle="--", linewidth=1, label=reference_label or None)
        if reference_label:
            axis.legend(fontsize=8, loc="lower right")
    axis.set_ylabel(ylabel or _label(y))
    if "accuracy" in y or "recall" in y or "auc" in y:  # a share: from 0, and to 1 where the bars come near it
        drawn = [*(mean + error for mean, error in zip(means, errors)),
                 *(float(value) for values in grouped.values() for value in values), reference or 0.0]
        highest = float(np.nanmax(drawn)) if np.isfinite(drawn).any() else 1.0
        axis.set_ylim(0, 1.12 if highest > 0.6 else 1.25 * highest + 0.05)
    axis.set_title(title or f"{_label(y)} by {_label(x)}")
    axis.grid(axis="y", alpha=0.3)
    return figure


def plot_comparison(comparison, metric: str = "test_accuracy", **keywords):
    """:func:`plot_bars` of a :class:`~tltutor.report.results.Comparison`: one bar per variant, spread over seeds."""
    return plot_bars(comparison.rows, comparison.variant_key, metric, **keywords)


def _plain_ticks(axis, values) -> None:
    """On a log axis, ticks at the data's own values, written plainly (20, 50, 200, not 2×10¹)."""
    values = sorted({float(value) for value in values})
    if 1 < len(values) <= 12:
        axis.set_ticks(values, [f"{value:g}" for value in values])
        axis.set_minor_formatter(NullFormatter())


def plot_lines(rows, x: str, y: str, group: str | None = None, *, log_x: bool = False, log_y: bool = False,
               title: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
               reference: float | None = None, reference_label: str | None = None, diagonal_label: str | None = None,
               panel: str | None = None):
    """One line per ``group`` value of ``y`` against ``x``; repeated points (seeds) as mean ± std error bars.

    ``reference`` draws a dashed horizontal line (a baseline such as the head alone), named ``reference_label``;
    ``diagonal_label`` draws the dotted line ``y = x`` under that name (an estimate against the truth).
    ``panel`` draws one panel, side by side with a shared y axis, per value of that column (in order of first row).
    """
    rows = list(rows)
    panels = ({f"{_label(panel)} {value}": [row for row in rows if row.get(panel) == value]
               for value in dict.fromkeys(row.get(panel) for row in rows)} if panel else {None: rows})
    figure = Figure(figsize=(6.0 if len(panels) == 1 else 5.2 * len(panels), 3.8), layout="constrained")
    axes = figure.subplots(1, len(panels), squeeze=False, sharey=True)[0]
    for axis, (panel_title, panel_rows) in zip(axes, panels.items()):
        for index, (name, points) in enumerate(_grouped(panel_rows, x, y, group).items()):
            xs = sorted(points)
            statistics = [_mean_std(points[value]) for value in xs]
            means = [mean for mean, _ in statistics]
            errors = [std for _, std in statistics]
            axis.errorbar(xs, means, yerr=errors if any(errors) else None, marker="o", capsize=3,
                          color=PALETTE[index % len(PALETTE)], label=None if name is None else str(name))
        if reference is not None:
            axis.axhline(reference, color="grey", linestyle="--", label=reference_label)
        if diagonal_label is not None:
            axis.axline((0.0, 0.0), slope=1.0, color="grey", linestyle=":", label=diagonal_label)
        if log_x:
            axis.set_xscale("log")
            _plain_ticks(axis.xaxis, [row[x] for row in panel_rows])
        if log_y:
            axis.set_yscale("log")
        axis.set_xlabel(xlabel or _label(x))
        axis.grid(alpha=0.3)
        if panel_title is not None:
            axis.set_title(panel_title, fontsize=10)
    axes[0].set_ylabel(ylabel or _label(y))
    if group or reference_label or diagonal_label:
        axes[-1].legend(fontsize=8)
    if title:
        (figure.suptitle if panel else axes[0].set_title)(title)
    return figure


def plot_paired_gains(panels: dict, *, x: str = "samples_per_class", group: str = "target", log_x: bool = True,
                      title: str | None = None, ylabel: str = "gain in test accuracy"):
    """Paired gains with their 95 % intervals: one panel per ``{title: rows}``, one line per ``group`` value.

    Each row has ``x``, ``group``, ``gain``, ``low`` and ``high`` (as
    :func:`tltutor.lessons.selection.map_gains` gives them). A dashed line marks no gain.
    """
    figure, axes = _axes(columns=len(panels), width=5.2 * len(panels), height=3.8)
    for axis, (panel_title, rows) in zip(axes[0], panels.items()):
        names = list(dict.fromkeys(row[group] for row in rows))
        for index, name in enumerate(names):
            chosen = sorted((row for row in rows if row[group] == name), key=lambda row: row[x])
            xs = [row[x] * (1 + 0.04 * (index - (len(names) - 1) / 2)) for row in chosen]  # side by side
            gains = [row["gain"] for row in chosen]
            errors = [[row["gain"] - row["low"] for row in chosen], [row["high"] - row["gain"] for row in chosen]]
            axis.errorbar(xs, gains, yerr=errors, marker="o", capsize=3, color=PALETTE[index % len(PALETTE)],
                          label=str(name))
        axis.axhline(0, color="grey", linestyle="--", linewidth=1)
        if log_x:
            axis.set_xscale("log")
            values = sorted({row[x] for row in rows})
            axis.set_xticks(values, [f"{value:g}" for value in values])
            axis.minorticks_off()
        axis.set_xlabel(_label(x))
        axis.set_ylabel(ylabel)
        axis.set_title(panel_title, fontsize=10)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_gain_intervals(panels: dict, *, label: str = "variant", title: str | None = None):
    """Paired gains as points with 95 % intervals, one row per ``label``: one panel per ``{axis title: rows}``.

    Rows as :meth:`~tltutor.report.results.Comparison.paired_gains` gives them. An interval that
    leaves out the dashed zero line is a measurable difference, drawn in red; the rest are grey.
    """
    largest = max(len(rows) for rows in panels.values())
    figure, axes = _axes(columns=len(panels), width=4.6 * len(panels), height=0.45 * largest + 1.6)
    for axis, (panel_title, rows) in zip(axes[0], panels.items()):
        positions = np.arange(len(rows))[::-1]
        for position, row in zip(positions, rows):
            colour = PALETTE[3] if row["measurable"] else "grey"
            axis.errorbar(row["gain"], position, xerr=[[row["gain"] - row["low"]], [row["high"] - row["gain"]]],
                          marker="o", capsize=3, color=colour)
        axis.axvline(0, color="grey", linestyle="--", linewidth=1)
        axis.xaxis.set_major_locator(MaxNLocator(5))
        axis.set_yticks(positions, [str(row[label]) for row in rows], fontsize=8)
        axis.set_xlabel(panel_title, fontsize=9)
        axis.grid(axis="x", alpha=0.3)
    axes[0][0].legend(handles=[Line2D([], [], color=PALETTE[3], marker="o", label="leaves out 0: measurable"),
                               Line2D([], [], color="grey", marker="o", label="contains 0")], fontsize=7)
    if title:
        figure.suptitle(title, fontsize=10)
    return figure


def plot_scatter(rows, x: str, y: str, label: str, *, title: str | None = None):
    """One labelled point per ``label`` value: mean of ``x`` and ``y`` over its rows, with error bars both ways."""
    figure, axes = _axes(width=6.0, height=4.2)
    axis = axes[0][0]
    names = list(dict.fromkeys(row[label] for row in rows))
    for index, name in enumerate(names):
        chosen = [row for row in rows if row[label] == name]
        x_mean, x_std = _mean_std([row[x] for row in chosen])
        y_mean, y_std = _mean_std([row[y] for row in chosen])
        color = PALETTE[index % len(PALETTE)]
        axis.errorbar(x_mean, y_mean, xerr=x_std or None, yerr=y_std or None, fmt="o", capsize=3, color=color)
        axis.annotate(str(name), (x_mean, y_mean), textcoords="offset points", xytext=(6, 4), fontsize=8, color=color)
    axis.set_xlabel(_label(x))
    axis.set_ylabel(_label(y))
    axis.grid(alpha=0.3)
    if title:
        axis.set_title(title)
    return figure


def confusion_matrix(true_labels, predicted_labels, num_classes: int) -> np.ndarray:
    """Counts: row = true class, column = predicted class.

    >>> confusion_matrix([0, 1, 1], [0, 0, 1], 2).tolist()
    [[1, 0], [1, 1]]
    """
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(true_labels, dtype=np.int64), np.asarray(predicted_labels, dtype=np.int64)), 1)
    return matrix


def plot_confusion_matrix(true_labels, predicted_labels, class_names, normalize: bool = True, title: str | None = None):
    """A confusion matrix, normalised per true class by default."""
    matrix = confusion_matrix(true_labels, predicted_labels, len(class_names)).astype(float)
    if normalize:
        matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    return plot_matrix(matrix, class_names, shares=normalize, title=title or "confusion matrix")


def plot_matrix(matrix, class_names, *, row_label: str = "true", column_label: str = "predicted",
                shares: bool = False, title: str | None = None):
    """A class-by-class matrix as a heatmap with its values written in: shares in [0, 1] or counts (rounded).

    For a confusion matrix, or counts of (given label, true class) of a labelled set.
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (len(class_names), len(class_names)):
        raise validation.InvalidArgumentError(
            f"the matrix is {matrix.shape}, but {len(class_names)} class names were given: one row and column each")
    size = max(4.0, 0.55 * len(class_names))
    figure, axes = _axes(width=size + 1.5, height=size + 0.5)
    axis = axes[0][0]
    image = axis.imshow(matrix, cmap="Blues", vmin=0, vmax=1 if shares else None)
    axis.set_xticks(range(len(class_names)), class_names, rotation=60, ha="right", fontsize=8)
    axis.set_yticks(range(len(class_names)), class_names, fontsize=8)
    axis.set_xlabel(column_label)
    axis.set_ylabel(row_label)
    for row in range(len(class_names)):
        for column in range(len(class_names)):
            value = matrix[row, column]
            if round(value, 2 if shares else 0):
                axis.text(column, row, f"{value:.2f}" if shares else f"{value:.0f}", ha="center", va="center",
                          fontsize=6, color="white" if value > 0.5 * matrix.max() else "black")
    figure.colorbar(image, ax=axis, fraction=0.046)
    if title:
        axis.set_title(title)
    return figure


def plot_image_grid(images, labels, class_names, predictions=None, columns: int = 8, rows: int = 2, titles=None):
    """A grid of images with their labels (and predictions, red when wrong), or with ``titles`` of your own.

    Grey images (``(N, H, W)`` or one channel) are drawn in grey, 0 black and 255 white.
    """
    count = min(len(images), columns * rows)
    figure, axes = _axes(columns, width=1.6 * columns, height=1.9 * rows, rows=rows)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= count:
            continue
        image = np.clip(np.asarray(images[index]), 0, 255).astype(np.uint8)
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        axis.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255)
        label = class_names[int(labels[index])]
        if titles is not None:
            axis.set_title(str(titles[index]), fontsize=8)
        elif predictions is None:
            axis.set_title(label, fontsize=8)
        else:
            guess = class_names[int(predictions[index])]
            axis.set_title(f"{label}\n→ {guess}", fontsize=7, color="black" if guess == label else "red")
    return figure


TRUE_BOX_COLOUR, PREDICTED_BOX_COLOUR = "#2ca02c", "#d62728"


def plot_masks(images, masks, predicted=None, class_names=("object",), *, true_boxes=None, predicted_boxes=None,
               titles=None, title: str | None = None):
    """Scenes in columns: each image with its true mask (top row) and a predicted mask (bottom row, where
    ``predicted`` is given) laid over it.

    Masks hold 0 for the background and ``class + 1`` for a class (as :mod:`tltutor.data.scenes` gives them);
    each class has its colour, named in the legend. ``true_boxes`` (green) and ``predicted_boxes`` (dashed red),
    one ``x1, y1, x2, y2`` per scene, are drawn where given, and named in the legend; an empty predicted box is
    left out.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    images, masks = np.asarray(images), np.asarray(masks)
    shown_rows = (masks,) if predicted is None else (masks, np.asarray(predicted))
    if len(class_names) > len(PALETTE):
        raise validation.InvalidArgumentError(f"{len(class_names)} classes: plot_masks has colours for at most "
                                              f"{len(PALETTE)}")
    highest = max(int(np.max(shown)) if np.size(shown) else 0 for shown in shown_rows)
    if highest > len(class_names):
        raise validation.InvalidArgumentError(f"the masks hold class id {highest} but class_names has "
                                              f"{len(class_names)} names (ids 1 to {len(class_names)}): pass them all")
    count = len(images)
    figure, axes = _axes(count, width=1.9 * count, height=2.3 * len(shown_rows) + 0.3, rows=len(shown_rows))
    axes = np.asarray(axes).reshape(len(shown_rows), count)
    colours = matplotlib.colors.ListedColormap(["none", *PALETTE[:len(class_names)]])
    for column in range(count):
        for row, shown in enumerate(shown_rows):
            axis = axes[row, column]
            axis.axis("off")
            axis.imshow(np.clip(images[column], 0, 255).astype(np.uint8))
            layer = np.ma.masked_equal(shown[column], 0)
            axis.imshow(layer, cmap=colours, vmin=0, vmax=len(class_names), alpha=0.55, interpolation="nearest")
            boxes = true_boxes if row == 0 else predicted_boxes
            if boxes is not None:
                x1, y1, x2, y2 = np.asarray(boxes[column], float)
                if x2 > x1:
                    axis.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, linewidth=1.5,
                                             edgecolor=TRUE_BOX_COLOUR if row == 0 else PREDICTED_BOX_COLOUR,
                                             linestyle="-" if row == 0 else "--"))
            if row == 0:
                axis.set_title("true" if titles is None else str(titles[column]), fontsize=7)
    if predicted is not None:
        for row, name in enumerate(("truth", "predicted")):
            axes[row, 0].text(-0.08, 0.5, name, transform=axes[row, 0].transAxes, rotation=90, va="center",
                              ha="right", fontsize=8)
    handles = [Patch(color=PALETTE[index], label=name) for index, name in enumerate(class_names)]
    if true_boxes is not None:
        handles.append(Line2D([], [], color=TRUE_BOX_COLOUR, linewidth=1.5, label="true box"))
    if predicted_boxes is not None and predicted is not None:
        handles.append(Line2D([], [], color=PREDICTED_BOX_COLOUR, linewidth=1.5, linestyle="--", label="predicted box"))
    figure.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7, frameon=False)
    if title:
        figure.suptitle(title)
    return figure


def plot_top_losses(images, losses, *, columns: int = 5, title: str | None = None):
    """The examples of :func:`tltutor.report.diagnostics.top_losses` (``images`` as ``to_numpy`` gives them),
    each titled true → predicted (red when wrong), its loss and p(true)."""
    count = len(losses)
    grid_rows = max(1, -(-count // columns))
    figure, axes = _axes(columns, width=2.0 * columns, height=2.3 * grid_rows, rows=grid_rows)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= count:
            continue
        row = losses[index]
        axis.imshow(np.clip(np.asarray(images[row["index"]]), 0, 255).astype(np.uint8))
        axis.set_title(f"{row['true']} → {row['predicted']}\nloss {row['loss']:.2f}, p(true) {row['probability']:.1e}",
                       fontsize=7, color="red" if row["true"] != row["predicted"] else "black")
    if title:
        figure.suptitle(title)
    return figure


def plot_reliability(panels: dict, *, minimum_count: int = 5, title: str | None = None):
    """Reliability diagrams: for each ``{name: bins}`` (:func:`tltutor.report.calibration.reliability_bins`),
    accuracy against confidence per bin, the diagonal being perfect calibration, with each bin's share of
    predictions as grey bars; bins with fewer than ``minimum_count`` predictions are drawn hollow."""
    figure, axes = _axes(len(panels), width=3.6 * len(panels), height=3.6)
    for axis, (name, bins) in zip(axes[0], panels.items()):
        total = sum(row["count"] for row in bins) or 1
        centres = [(row["low"] + row["high"]) / 2 for row in bins]
        width = bins[0]["high"] - bins[0]["low"]
        axis.bar(centres, [row["count"] / total for row in bins], width=width * 0.9, color="0.85",
                 label="share of predictions")
        filled = [row for row in bins if row["count"]]
        axis.plot([row["confidence"] for row in filled], [row["accuracy"] for row in filled], "-", color="C0")
        for row in filled:  # a bin of a few predictions is a few images, not a trend: drawn hollow
            axis.plot(row["confidence"], row["accuracy"], "o", color="C0",
                      markerfacecolor="C0" if row["count"] >= minimum_count else "white")
        axis.plot([], [], "o-", color="C0", label="accuracy")
        axis.plot([0, 1], [0, 1], "--", color="0.4", linewidth=1, label="calibrated")
        axis.set_xlim(0, 1)
        axis.set_ylim(0, 1)
        axis.set_xlabel("confidence")
        axis.set_title(name, fontsize=9)
    axes[0][0].set_ylabel("accuracy")
    axes[0][0].legend(fontsize=7, loc="upper left")
    if title:
        figure.suptitle(title)
    return figure


def plot_distributions(groups: dict, *, xlabel: str, bins: int = 30, title: str | None = None):
    """Overlaid histograms, one per ``{name: values}``, each as shares of its own values, so that groups of different
    sizes compare; the range is every group's together."""
    groups = {name: np.asarray(values, float).ravel() for name, values in groups.items()}
    if not groups or any(values.size == 0 or not np.isfinite(values).all() for values in groups.values()):
        raise validation.InvalidArgumentError("plot_distributions needs at least one group, each with finite values")
    bins = validation.check_positive_int(bins, "bins")
    every = np.concatenate(list(groups.values()))
    edges = np.linspace(every.min(), every.max() if every.max() > every.min() else every.min() + 1, bins + 1)
    figure, axes = _axes()
    axis = axes[0][0]
    for index, (name, values) in enumerate(groups.items()):
        axis.hist(values, bins=edges, weights=np.full(values.size, 1 / values.size), histtype="step", linewidth=1.8,
                  color=PALETTE[index % len(PALETTE)], label=f"{name} (median {np.median(values):.2f})")
    axis.set_xlabel(xlabel)
    axis.set_ylabel("share")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    if title:
        axis.set_title(title)
    return figure


def plot_loss_distributions(panels: dict, *, bins: int = 20, title: str | None = None):
    """Per panel, histograms of the per-example loss of members (training images) and non-members (test images).

    ``panels`` maps a title to ``{"members": losses, "non_members": losses}``; the x axis is
    ``log10(loss)``, where a membership attack draws its threshold.
    """
    figure, axes = _axes(len(panels), width=3.4 * len(panels) + 0.6, height=3.2)
    every = np.concatenate([np.asarray(losses[key], float) for losses in panels.values()
                            for key in ("members", "non_members")])
    edges = np.linspace(np.log10(max(every.min(), 1e-8)), np.log10(max(every.max(), 1e-7)), bins + 1)
    for axis, (name, losses) in zip(axes[0], panels.items()):
        for key, color, label in (("non_members", PALETTE[1], "not trained on (test)"),
                                  ("members", PALETTE[0], "trained on (members)")):
            values = np.log10(np.maximum(np.asarray(losses[key], float), 1e-8))
            axis.hist(values, bins=edges, color=color, alpha=0.6, label=label,
                      weights=np.full(len(values), 1 / len(values)))
        axis.set_title(name, fontsize=9)
        axis.set_xlabel("log10(loss)")
        axis.grid(alpha=0.3)
    axes[0][0].set_ylabel("share of images")
    axes[0][0].legend(fontsize=7, loc="upper left")
    if title:
        figure.suptitle(title)
    return figure


def plot_roc_curves(curves: dict, *, floor: float = 1e-3, title: str | None = None,
                    xlabel: str = "false positive rate", ylabel: str = "true positive rate"):
    """ROC curves ``{name: (false positive rates, true positive rates)}`` on logarithmic axes.

    Log axes show the low false-positive rates that matter to an attacker or a screening test
    (Carlini et al. 2022); rates below ``floor`` (zero included) are drawn at ``floor``. The dashed
    diagonal is a classifier that knows nothing.
    """
    figure, axes = _axes()
    axis = axes[0][0]
    for index, (name, (fpr, tpr)) in enumerate(curves.items()):
        axis.step(np.maximum(np.asarray(fpr, float), floor), np.maximum(np.asarray(tpr, float), floor), where="post",
                  color=PALETTE[index % len(PALETTE)], label=str(name))
    axis.plot([floor, 1], [floor, 1], color="grey", linestyle="--", label="knows nothing")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7)
    if title:
        axis.set_title(title)
    return figure


def plot_heatmaps(images, heatmaps, titles=None, *, alpha: float = 0.45, label: str = "Grad-CAM (1: the strongest)"):
    """Each image with its heatmap (e.g. Grad-CAM, in [0, 1]) laid over it, and a colour bar named ``label``."""
    count = len(images)
    figure, axes = _axes(count, width=2.5 * count + 0.8, height=2.8)
    for index, axis in enumerate(axes[0]):
        axis.imshow(np.asarray(images[index]).astype(np.uint8))
        shown = axis.imshow(heatmaps[index], cmap="jet", alpha=alpha, vmin=0, vmax=1)
        axis.axis("off")
        if titles is not None:
            axis.set_title(str(titles[index]), fontsize=8)
    figure.colorbar(shown, ax=list(axes[0]), shrink=0.8, label=label)
    return figure


def plot_embeddings(embeddings, labels, class_names, titles):
    """Side-by-side 2-D embeddings (e.g. before and after fine-tuning), coloured by class."""
    colours = matplotlib.colormaps["tab10"]
    figure, axes = _axes(len(embeddings), width=4.8 * len(embeddings) + 1.5, height=4.2)
    labels = np.asarray(labels)
    for axis, points, title in zip(axes[0], embeddings, titles):
        for index, name in enumerate(class_names):
            chosen = labels == index
            axis.scatter(points[chosen, 0], points[chosen, 1], s=6, label=name, color=colours(index % 10))
        axis.set_title(title)
        axis.set_xticks([])
        axis.set_yticks([])
    axes[0][-1].legend(fontsize=7, markerscale=2, loc="center left", bbox_to_anchor=(1, 0.5))
    return figure


def plot_spectrogram(clip, log_mel, sample_rate: int, *, title: str | None = None):
    """A waveform above its log-mel spectrogram (frames × bands), time aligned."""
    figure, axes = _axes(1, width=7.5, height=4.6, rows=2)
    wave_axis, mel_axis = axes[0][0], axes[1][0]
    seconds = np.arange(len(clip)) / sample_rate
    wave_axis.plot(seconds, clip, linewidth=0.5)
    wave_axis.set_xlim(0, seconds[-1])
    wave_axis.set_ylabel("amplitude")
    image = mel_axis.imshow(np.asarray(log_mel).T, origin="lower", aspect="auto", cmap="magma",
                            extent=(0, seconds[-1], 0, np.asarray(log_mel).shape[1]))
    mel_axis.set_xlabel("seconds")
    mel_axis.set_ylabel("mel band")
    figure.colorbar(image, ax=mel_axis, fraction=0.046, label="log power")
    if title:
        figure.suptitle(title)
    return figure


def plot_range_test(result, title: str = "Learning-rate range test"):
    """Loss against rate on a log axis (:func:`tltutor.lr_finder.find_learning_rate`), suggestion marked."""
    figure, axes = _axes()
    axis = axes[0][0]
    axis.plot(result.learning_rates, result.losses, color="0.8", label="loss per batch")
    axis.plot(result.learning_rates, result.smoothed_losses, label="smoothed loss")
    axis.axvline(result.suggestion, color="C3", linestyle="--", label=f"suggested {result.suggestion:.1e}")
    axis.set_xscale("log")
    axis.set_xlabel("learning rate")
    axis.set_ylabel("training loss")
    # The whole smoothed curve, its climb included (the test stops once the loss is several times its
    # lowest), with the noisier per-batch losses cut off above it.
    low = min(result.smoothed_losses)
    high = max(result.smoothed_losses)
    axis.set_ylim(max(0.0, low - 0.1 * (high - low + 1e-9)), high + 0.1 * (high - low + 1e-9))
    axis.set_title(title)
    axis.legend()
    return figure
