"""The exceptions tltutor raises, each with a message that says what to do.

All of them derive from :class:`TltutorError`; the ones about arguments also derive from
``ValueError`` so that code catching ``ValueError`` keeps working.
"""


class TltutorError(Exception):
    """Base class of every error tltutor raises on purpose."""


class InvalidArgumentError(TltutorError, ValueError):
    """An argument has a value that cannot work (a name, a size, a rate)."""


class UnknownNameError(InvalidArgumentError, KeyError):
    """A backbone or dataset name that tltutor does not know."""

    def __str__(self):  # KeyError would quote the whole message
        return str(self.args[0])


class DatasetError(TltutorError, ValueError):
    """A dataset is empty, corrupt, or does not fit the request."""


class DownloadError(TltutorError, ConnectionError):
    """A download failed or timed out. The message names what was fetched and what to use instead."""


class WeightsError(TltutorError, ValueError):
    """A weights file cannot be used."""


class WeightsIntegrityError(WeightsError):
    """A weights file does not match its expected sha256 checksum."""


class CorruptWeightsError(WeightsError):
    """A weights file is truncated or in a format the reader does not know."""


class UnsafePickleError(WeightsError):
    """A pickle named a global outside the reader's allow-list: it could run code."""
