"""Every error the indexer raises on purpose.

    ShownotesError
    ├── ParseError          an episode, config or tag file that cannot be read
    ├── QueryError          a search the user typed that cannot be run (or would cost too much)
    │   └── ParameterError      a search parameter out of range (page, sort, mode)
    ├── NotFound            an episode, tag, guest or library that is not in the index
    ├── Overloaded          a costly search refused for now; `retry_after` says when to retry
    └── IndexError_
        ├── NoIndex             there is no index at the location yet
        ├── IndexBusy           another indexer holds the lock
        ├── IndexCorrupt        the live generation cannot be opened
        └── NothingToIndex      no usable episode was found; the old index stays

Callers catch `ShownotesError` to turn any of these into a clear message.
"""

from __future__ import annotations


class ShownotesError(Exception):
    """Base class of every error the project raises on purpose."""


class ParseError(ShownotesError):
    """A file that cannot be parsed; `str()` is `path:line: reason`."""

    def __init__(self, reason: str, *, path: str = "<text>", line: int = 1) -> None:
        self.reason = reason
        self.path = path
        self.line = line
        super().__init__(f"{path}:{line}: {reason}")


class QueryError(ShownotesError):
    """A search that cannot be run as typed."""


class ParameterError(QueryError):
    """A search parameter that is out of range or not one of the allowed values."""


class NotFound(ShownotesError):
    """An item that is not in the index."""


class Overloaded(ShownotesError):
    """A costly search refused because costly searches used up their share of the CPU."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class IndexError_(ShownotesError):  # noqa: N801 - the builtin IndexError means something else
    """A problem with the index on disk."""


class NoIndex(IndexError_):
    """There is no index at this location yet."""


class IndexBusy(IndexError_):
    """Another indexer holds the lock."""


class IndexCorrupt(IndexError_):
    """The live generation cannot be opened."""


class NothingToIndex(IndexError_):
    """No usable episode was found, so the previous index was kept."""
