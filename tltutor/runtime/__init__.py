"""Where and how code runs: devices, several devices, seeds, the quick profile, quiet start-up, progress."""

from tltutor.lazy import attach

__getattr__, __dir__ = attach(__name__, ("devices", "distribution", "reproducibility", "profile", "quiet",
                                         "progress"), globals(), light=("profile",))
