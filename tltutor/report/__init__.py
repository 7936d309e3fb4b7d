"""Reporting measured results: tables and files, plots, diagnostics, and verdicts over seeds."""

from tltutor.lazy import attach

__getattr__, __dir__ = attach(__name__, ("results", "plots", "diagnostics", "statistics", "lesson", "calibration"), globals(), light=("statistics",))
