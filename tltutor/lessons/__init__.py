"""Helpers for the lessons: one module per lesson family, built on the core and the reports."""

from tltutor.lazy import attach

__getattr__, __dir__ = attach(__name__, (
    "baselines", "experiments", "selection", "unfreezing", "overfitting", "shift", "imbalance", "forgetting", "explain",
    "deployment", "privacy", "noise", "stopping", "simulation", "capacity", "exercises", "quiz", "text", "speech",
    "types", "segmentation",
), globals())
