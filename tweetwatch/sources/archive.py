"""Raw-line archive for live sources: rotating, gzip'd JSON lines that replay reads back.

Files are `archive/<source>-YYYYmmdd-HHMMSS.jsonl.gz` in the data directory. A new file is
started when the current one holds `max_bytes` of raw lines or is `max_age_s` old; an existing
file is never overwritten (a suffix is added). Data is flushed as a complete gzip member at
least once a second (`Z_FULL_FLUSH` would leave a truncated member after a crash; a member
per flush keeps every flushed line readable even if the process dies mid-write), and the
file is closed properly on stop. A disk-full or permission error is reported once and
archiving pauses; counting goes on.
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


@dataclass
class Archive:
    directory: Path
    source_label: str
    max_bytes: int = DEFAULT_MAX_BYTES
    max_age_s: float = DEFAULT_MAX_AGE_S
    clock: Callable[[], float] = time.time
    flush_every_s: float = FLUSH_EVERY_S
    error: str = ""
    """Last problem writing the archive (shown in the status); empty when all is well."""
    files: list[Path] = field(default_factory=list)
    _raw: IO[bytes] | None = field(default=None, init=False)
    _buffer: io.BytesIO = field(default_factory=io.BytesIO, init=False)
    _bytes: int = field(default=0, init=False)
    _opened_at: float = field(default=0.0, init=False)
    _last_flush: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def write(self, line: bytes) -> None:
        """Append one raw line (a newline is added)."""
        if self.error:
            return  # paused after a write error; retried on the next rotation
        with self._lock:
            self._buffer.write(line)
            self._buffer.write(b"\n")
            self._bytes += len(line) + 1
            now = time.monotonic()
            if now - self._last_flush >= self.flush_every_s or self._buffer.tell() > 4 * 1024 * 1024:
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
            self._raw.write(gzip.compress(data, compresslevel=6, mtime=0))
            self._raw.flush()
        except OSError as exc:
            self.error = f"archive paused: {exc.strerror or exc} ({shown_path(self.directory)})"
            log.error("%s; counting continues", self.error)
            self._close_file()

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
            self.files.append(path)
            self._bytes = 0
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
