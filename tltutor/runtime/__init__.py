"""Where and how code runs: devices, several devices, seeds, the quick profile, progress, system packages."""

from tltutor.lazy import attach

__getattr__, __dir__ = attach(__name__, ("devices", "distribution", "reproducibility", "profile", "progress",
                                         "system_packages"), globals(), light=("profile", "system_packages"))
