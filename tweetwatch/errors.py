"""Errors a user may see: each carries a one-line message and an exit code."""

from __future__ import annotations

RAISED: dict[str, object] = {"raised": True}
"""`extra=` for logging an error that is also raised to the command, whose one line on stderr
says it: the record goes to the log file, not to stderr a second time."""


class TweetwatchError(Exception):
    """An error shown to the user as one line, never a traceback."""

    exit_code = 1


class UsageError(TweetwatchError):
    """Bad flags, config values or input files (exit code 2)."""

    exit_code = 2


class StoreUnavailable(TweetwatchError):
    """Redis/Valkey cannot be reached or refused the operation."""

    exit_code = 3
    state = "redis unreachable"
    """What a status line says while this lasts."""


class StoreFull(StoreUnavailable):
    """The server refuses writes: maxmemory reached with the `noeviction` policy. It may pass
    (keys expire, memory is raised), so collectors hold their counts and retry."""

    state = "redis out of memory"


class StoreLoading(StoreUnavailable):
    """The server answers but is still loading its data set (`LOADING`, just restarted): it
    will serve in a moment, so collectors hold their counts and retry."""

    state = "redis loading its data"


class StoreRefused(StoreUnavailable):
    """The server answered but refused (no permission, wrong password, unknown command):
    retrying cannot help, so collectors stop with this message instead of waiting."""
