"""Results as tidy tables: one :class:`Comparison` type for every compare function, and its files.

A comparison is a list of rows, one per (variant, seed), each naming its variant under one key
(:attr:`Comparison.variant_key`: ``"strategy"``, ``"remedy"``, ``"method"`` ...) and its
``seed``, plus the measured columns. The same object gives the table, the summary over seeds,
the verdict between two variants, CSV and JSON files, and the plots of :mod:`tltutor.report.plots`.

Examples:
    >>> comparison = Comparison("strategy", [
    ...     {"strategy": "head", "seed": 0, "test_accuracy": 0.80},
    ...     {"strategy": "head", "seed": 1, "test_accuracy": 0.82},
    ...     {"strategy": "scratch", "seed": 0, "test_accuracy": 0.70},
    ...     {"strategy": "scratch", "seed": 1, "test_accuracy": 0.72}])
    >>> comparison.variants, comparison.seeds
    (['head', 'scratch'], (0, 1))
    >>> print(comparison.summary_table("test_accuracy"))
    strategy  test_accuracy  seeds
    --------  -------------  -----
    head      0.810 ± 0.014      2
    scratch   0.710 ± 0.014      2
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from tltutor import training, validation
from tltutor.io import files
from tltutor.report import statistics


def _cell(value) -> str:
    if isinstance(value, float):
        if value != 0 and abs(value) < 0.01:
            return f"{value:.1e}"
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def format_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """A plain-text table with aligned columns (numbers right-aligned, the first column left-aligned)."""
    if not rows:
        return "(no rows)"
    columns = columns or list(dict.fromkeys(key for row in rows for key in row))
    cells = [[_cell(row.get(column, "")) for column in columns] for row in rows]
    widths = [max(len(column), *(len(row[index]) for row in cells)) for index, column in enumerate(columns)]
    lines = ["  ".join(column.ljust(width) for column, width in zip(columns, widths)),
             "  ".join("-" * width for width in widths)]
    lines += ["  ".join(cell.rjust(width) if index else cell.ljust(width) for index, (cell, width)
                        in enumerate(zip(row, widths))) for row in cells]
    return "\n".join(lines)


def write_csv(rows: list[dict], path) -> Path:
    """Rows as a CSV file (written atomically); the header is the union of the rows' keys."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(dict.fromkeys(key for row in rows for key in row)))
    writer.writeheader()
    writer.writerows(rows)
    return files.atomic_write_bytes(path, buffer.getvalue().encode())


def save_figure(figure, path, dpi: int = 110) -> Path:
    """A matplotlib figure as an image file (format from the suffix), written atomically."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=Path(path).suffix.lstrip(".") or "png", dpi=dpi, bbox_inches="tight")
    return files.atomic_write_bytes(path, buffer.getvalue())


@dataclass
class Comparison:
    """Rows of measured variants over seeds, the training histories, and what they ran with.

    Attributes:
        variant_key: the column that names the variant in every row.
        rows: one dict per (variant, seed) with ``variant_key``, ``"seed"`` and measured columns.
        histories: ``{(variant, seed): TrainingHistory}`` where training happened.
        settings: what every variant shared (backbone, epochs, sizes ...).
        dataset: what the data was, when one dataset was used.
    """

    variant_key: str
    rows: list[dict] = field(default_factory=list)
    histories: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    dataset: object | None = None

    @property
    def variants(self) -> list:
        """Variant names in the order they first appear."""
        return list(dict.fromkeys(row[self.variant_key] for row in self.rows))

    @property
    def seeds(self) -> tuple:
        return tuple(dict.fromkeys(row.get("seed", 0) for row in self.rows))

    def add(self, variant, seed: int = 0, history=None, **measured) -> dict:
        """Append one row (and its history); returns the row.

        A history that counted optimizer steps fills the row's ``steps`` unless ``measured`` gives them,
        so every compared arm stores its budget in steps, not only in epochs.
        """
        clash = {self.variant_key, "seed"} & set(measured)
        if clash:
            raise validation.InvalidArgumentError(f"{sorted(clash)} name the row itself; call the measured column "
                                                  "something else")
        row = {self.variant_key: variant, "seed": seed, **measured}
        if "steps" not in row and getattr(history, "steps", 0):
            row["steps"] = int(history.steps)
        self.rows.append(row)
        if history is not None:
            self.histories[(variant, seed)] = history
        return row

    def _check_variant(self, variant):
        if variant not in self.variants:
            validation.check_name(str(variant), [str(name) for name in self.variants], self.variant_key)
        return variant

    def where(self, **conditions) -> "Comparison":
        """The rows whose columns equal ``conditions`` (e.g. ``samples_per_class=20``), as a comparison."""
        rows = [row for row in self.rows if all(row.get(key) == value for key, value in conditions.items())]
        if not rows:
            raise validation.InvalidArgumentError(f"no row has {conditions}")
        kept = {(row[self.variant_key], row.get("seed", 0)) for row in rows}
        return Comparison(self.variant_key, rows, {key: history for key, history in self.histories.items()
                                                   if key in kept}, dict(self.settings), self.dataset)

    def values(self, variant, metric: str) -> list[float]:
        """``metric`` of ``variant``, one value per seed, in seed order (none where the row holds ``None``)."""
        self._check_variant(variant)
        chosen = [row for row in self.rows if row[self.variant_key] == variant and row.get(metric) is not None]
        by_seed = {row.get("seed", 0): row[metric] for row in chosen}
        if len(by_seed) != len(chosen):
            raise validation.InvalidArgumentError(
                f"{variant!r} has several rows per seed (e.g. one per size): select them with where(...) first")
        return [by_seed[seed] for seed in self.seeds if seed in by_seed]

    def spread(self, variant, metric: str) -> statistics.Spread:
        return statistics.spread(self.values(variant, metric))

    def summary(self, metrics=None) -> list[dict]:
        """One row per variant: each metric's :class:`~tltutor.report.statistics.Spread` over seeds."""
        metrics = metrics or [key for key, value in self.rows[0].items()
                              if key not in (self.variant_key, "seed") and isinstance(value, (int, float))
                              and not isinstance(value, bool)]
        if isinstance(metrics, str):
            metrics = [metrics]
        rows = []
        for variant in self.variants:
            row = {self.variant_key: variant}
            row.update({metric: self.spread(variant, metric) if self.values(variant, metric) else ""
                        for metric in metrics})
            row["seeds"] = max(len(self.values(variant, metric)) for metric in metrics)
            rows.append(row)
        return rows

    def summary_table(self, metrics=None) -> str:
        return format_table([{key: str(value) if isinstance(value, statistics.Spread) else value
                              for key, value in row.items()} for row in self.summary(metrics)])

    def table(self, columns: list[str] | None = None) -> str:
        """Every row (variant and seed) as a plain-text table."""
        return format_table(self.rows, columns)

    def verdict(self, first, second, metric: str = "test_accuracy", *, higher_is_better: bool = True):
        """:func:`tltutor.report.statistics.compare` of two variants, paired by seed."""
        return statistics.compare(self.values(first, metric), self.values(second, metric), str(first), str(second),
                                  metric=metric.replace("_", " "), higher_is_better=higher_is_better)

    def paired_gains(self, against, metric: str = "test_accuracy", *, variants=None) -> list[dict]:
        """Each variant's paired gain over ``against`` in ``metric``: rows for :func:`~tltutor.report.plots.plot_gain_intervals`.

        Rows: ``variant``, ``gain`` (mean of the seed-by-seed differences), ``low`` and ``high``
        (its 95 % interval) and ``measurable`` (the interval leaves out zero).
        """
        rows = []
        for variant in variants if variants is not None else [name for name in self.variants if name != against]:
            verdict = self.verdict(variant, against, metric)
            rows.append(dict(variant=str(variant), gain=round(verdict.difference, 4),
                             low=round(float(verdict.interval[0]), 4), high=round(float(verdict.interval[1]), 4),
                             measurable=verdict.measurable))
        return rows

    def chosen_by(self, metric: str = "validation_accuracy", *, higher_is_better: bool = True):
        """The variant with the best mean ``metric`` over seeds: choose on validation, report test once."""
        means = {variant: statistics.spread(self.values(variant, metric)).mean for variant in self.variants}
        return (max if higher_is_better else min)(means, key=means.get)

    def history(self, variant, seed: int | None = None):
        """The training history of ``variant`` for ``seed`` (the first seed by default)."""
        self._check_variant(variant)
        return self.histories[(variant, self.seeds[0] if seed is None else seed)]

    def to_dict(self) -> dict:
        """Everything as plain JSON-ready values."""
        return {
            "variant_key": self.variant_key,
            "rows": self.rows,
            "settings": self.settings,
            "dataset": getattr(self.dataset, "__dict__", self.dataset),
            "histories": [{"variant": variant, "seed": seed, **history.to_dict()}
                          for (variant, seed), history in self.histories.items()],
        }

    @classmethod
    def from_dict(cls, document: dict) -> "Comparison":
        """The comparison that :meth:`to_dict` wrote (e.g. read back from a lesson's results file)."""
        histories = {}
        for entry in document.get("histories", []):
            history = training.TrainingHistory(records=list(entry["records"]), phase_starts=dict(entry["phase_starts"]))
            histories[(entry["variant"], entry["seed"])] = history
        return cls(document["variant_key"], list(document["rows"]), histories, dict(document.get("settings", {})),
                   document.get("dataset"))

    def write(self, folder, name: str = "comparison") -> list[Path]:
        """``<name>.csv`` (the rows) and ``<name>.json`` (everything) in ``folder``."""
        folder = Path(folder)
        return [write_csv(self.rows, folder / f"{name}.csv"), files.write_json(self.to_dict(), folder / f"{name}.json")]

    @classmethod
    def combine(cls, comparisons) -> "Comparison":
        """One comparison from several with the same variant key (e.g. one per seed)."""
        comparisons = list(comparisons)
        validation.check_not_empty(len(comparisons), "list of comparisons")
        keys = {comparison.variant_key for comparison in comparisons}
        if len(keys) != 1:
            raise validation.InvalidArgumentError(f"cannot combine comparisons keyed by different columns: {keys}")
        combined = cls(comparisons[0].variant_key, settings=dict(comparisons[0].settings),
                       dataset=comparisons[0].dataset)
        for comparison in comparisons:
            combined.rows.extend(comparison.rows)
            combined.histories.update(comparison.histories)
        return combined
