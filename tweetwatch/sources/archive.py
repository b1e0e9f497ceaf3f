"""Raw-line archive for live sources: rotating, gzip'd JSON lines that replay reads back.

Files are `archive/<source>-YYYYmmdd-HHMMSS.jsonl.gz` in the data directory. A new file is
started when the current one holds `max_bytes` of raw lines or is `max_age_s` old; an existing
file is never overwritten (a suffix is added). Data is flushed as a complete gzip member at
least once a second (`Z_FULL_FLUSH` would leave a truncated member after a crash; a member
per flush keeps every flushed line readable even if the process dies mid-write), and the
file is closed properly on stop. A disk-full or permission error is reported once and
archiving pauses; counting goes on. Every `retry_every_s` the next line tries again, into a
new file (a file cut by the error stays as it is: replay reads it up to the cut); the first
try that works logs that archiving resumed, with the number of lines lost meanwhile: every
line read while paused, and those buffered when the error came (up to a second's worth).
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from tweetwatch.sanitize import shown_path

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
"""Raw (uncompressed) bytes per file before rotating: ~25-50 MB gzip'd."""
DEFAULT_MAX_AGE_S = 3600
FLUSH_EVERY_S = 1.0
RETRY_EVERY_S = 5.0
"""While paused by a write error, how often a line tries the archive again."""


@dataclass
class Archive:
    directory: Path
    source_label: str
    max_bytes: int = DEFAULT_MAX_BYTES
    max_age_s: float = DEFAULT_MAX_AGE_S
    clock: Callable[[], float] = time.time
    flush_every_s: float = FLUSH_EVERY_S
    retry_every_s: float = RETRY_EVERY_S
    error: str = ""
    """Last problem writing the archive (shown in the status); empty when all is well."""
    lost_lines: int = 0
    """Lines not archived because of write errors since archiving last resumed."""
    files: list[Path] = field(default_factory=list)
    _raw: IO[bytes] | None = field(default=None, init=False)
    _path: Path | None = field(default=None, init=False)
    """The file open for writing, if any."""
    _file_written: int = field(default=0, init=False)
    """Compressed bytes written to it."""
    _retry_at: float = field(default=0.0, init=False)
    _buffer: io.BytesIO = field(default_factory=io.BytesIO, init=False)
    _bytes: int = field(default=0, init=False)
    _opened_at: float = field(default=0.0, init=False)
    _last_flush: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def write(self, line: bytes) -> None:
        """Append one raw line (a newline is added)."""
        with self._lock:
            now = time.monotonic()
            if self.error and now < self._retry_at:
                self.lost_lines += 1  # paused after a write error; the first line after _retry_at tries again
                return
            self._buffer.write(line)
            self._buffer.write(b"\n")
            self._bytes += len(line) + 1
            if self.error or now - self._last_flush >= self.flush_every_s or self._buffer.tell() > 4 * 1024 * 1024:
                self._flush_locked(now)

    def tick(self) -> None:
        """Flush if a second has passed (call it when the source is idle)."""
        with self._lock:
            now = time.monotonic()
            if self._buffer.tell() and now - self._last_flush >= self.flush_every_s:
                self._flush_locked(now)

    def close(self) -> None:
        with self._lock:
            self._flush_locked(time.monotonic())
            self._close_file()

    # -- internals -------------------------------------------------------------------------
    def _flush_locked(self, now: float) -> None:
        self._last_flush = now
        data = self._buffer.getvalue()
        if not data:
            return
        self._buffer = io.BytesIO()
        try:
            if self._raw is None or self._due_for_rotation():
                self._close_file()
                self._open_file()
            assert self._raw is not None
            member = gzip.compress(data, compresslevel=6, mtime=0)
            self._raw.write(member)
            self._raw.flush()
            self._file_written += len(member)
        except OSError as exc:
            self._pause(exc, lines=data.count(b"\n"), now=now)
            return
        if self.error:
            log.warning("archive resumed in %s; %d lines were not archived while it was paused",
                        shown_path(self._path or self.directory), self.lost_lines)
            self.error = ""
            self.lost_lines = 0

    def _pause(self, exc: OSError, lines: int, now: float) -> None:
        """Stop archiving until `retry_every_s` has passed; logged once, not at every retry."""
        if not self.error:
            log.error("archive paused: %s (%s); counting continues, archiving is retried every %g s",
                      exc.strerror or exc, shown_path(self.directory), self.retry_every_s)
        self.error = f"archive paused: {exc.strerror or exc} ({shown_path(self.directory)})"
        self.lost_lines += lines
        self._retry_at = now + self.retry_every_s
        empty = self._path if self._file_written == 0 else None
        self._close_file()
        if empty is not None:  # the error left it empty: each retry would leave another one
            empty.unlink(missing_ok=True)
            self.files.remove(empty)

    def _due_for_rotation(self) -> bool:
        return self._bytes >= self.max_bytes or time.monotonic() - self._opened_at >= self.max_age_s

    def _open_file(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y%m%d-%H%M%S")
        base = f"{self.source_label}-{stamp}"
        for attempt in range(1000):
            name = f"{base}.jsonl.gz" if attempt == 0 else f"{base}-{attempt}.jsonl.gz"
            path = self.directory / name
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            self._raw = os.fdopen(fd, "wb")
            self._path = path
            self.files.append(path)
            self._bytes = 0
            self._file_written = 0
            self._opened_at = time.monotonic()
            log.info("archiving raw lines to %s", path)
            return
        raise OSError(f"cannot find a free archive file name for {base}")

    def _close_file(self) -> None:
        if self._raw is not None:
            try:
                self._raw.close()
            except OSError:
                pass
            self._raw = None
            self._path = None


@dataclass
class ArchivingSource:
    """Wraps a live source: every raw line it yields is also appended to the archive."""

    inner: object
    archive: Archive

    @property
    def label(self) -> str:
        return getattr(self.inner, "label", "source")

    @property
    def topics_from_rules(self) -> bool:
        return bool(getattr(self.inner, "topics_from_rules", False))

    @property
    def state(self) -> str:
        state = str(getattr(self.inner, "state", ""))
        return f"{state} · {self.archive.error}" if self.archive.error else state

    def checkpoint(self) -> str | None:
        get = getattr(self.inner, "checkpoint", None)
        return get() if callable(get) else None

    def resume_from(self, position: str) -> None:
        resume = getattr(self.inner, "resume_from", None)
        if callable(resume):
            resume(position)

    def lines(self, stop: threading.Event) -> Iterator[bytes | None]:
        archive = self.archive
        try:
            for line in self.inner.lines(stop):  # type: ignore[attr-defined]
                if line is None:
                    archive.tick()
                else:
                    archive.write(line.rstrip(b"\r\n"))
                yield line
        finally:
            archive.close()
