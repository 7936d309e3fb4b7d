"""Files in and out: atomic writes and checksums, downloads that fail fast, weights files, checkpoints."""

from tltutor.lazy import attach

__getattr__, __dir__ = attach(__name__, ("files", "downloads", "weights_files", "torch_reader", "checkpoints"),
                              globals(), light=("files", "downloads", "torch_reader"))
