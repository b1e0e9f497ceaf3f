"""Replay recorded JSON-lines files (v1.1, v2, tweetwatch archives), plain or gzip.

With `speed=None` lines are yielded as fast as the collector takes them; with a number the
replay follows the original pace by created_at, `speed` times faster. Files are read front to
back only, so a pipe works too: a FIFO, `<(zcat a.gz)`, or `-` for standard input
(`zcat day.jsonl.gz | tweetwatch collect --replay -`).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
import os
import select
import stat
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from tweetwatch.errors import UsageError
from tweetwatch.pipeline.model import MAX_LINE_BYTES, OVERSIZED_LINE, Tweet
from tweetwatch.pipeline.normalize import normalize_line
from tweetwatch.sanitize import shown_path

log = logging.getLogger(__name__)
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
STDIN = Path("-")
"""`--replay -`: standard input."""
PIPE_IDLE_S = 0.2
"""A quiet pipe is said to be quiet this often (see `_pipe_blocks`)."""
_CHUNK_BYTES = 1 << 18
"""Read about this much at a time (`readlines` splits in C, much faster than per-line reads);
small enough that a batch of lines is processed well within the collector's flush interval.
Far below MAX_LINE_BYTES, with _PROBE_BYTES: a line read whole is never over the cap."""
_PROBE_BYTES = 1 << 12
"""How soon after a `readlines` chunk's hint its last line must end for `readlines` to read it
(see `_plain_line_chunks`): 4 KiB, one page, past most lines."""
_READ_BUFFER_BYTES = 1 << 20
"""The file's buffer. With the default 8 KB one, a ~1 KB line often straddles the buffer's
end and `readlines` copies it twice: 0.64–0.84 s per million 1 KB lines, against 0.25–0.71 s
with 1 MiB (`readlines` alone, pinned, three runs each)."""


def check_readable(paths: Sequence[Path]) -> None:
    """Fail early, with one line, when a replay file is missing or unreadable."""
    if sum(path == STDIN for path in paths) > 1:
        raise UsageError("--replay - can be given once: standard input is one stream")
    for path in paths:
        if path == STDIN:
            continue
        if not path.exists():
            raise UsageError(f"replay file not found: {shown(path)}")
        if path.is_dir():
            raise UsageError(f"replay path is a directory, not a file: {shown(path)}")
        if not os.access(path, os.R_OK):
            raise UsageError(f"replay file is not readable: {shown(path)}")


def shown(path: Path | str) -> str:
    """A file name as printed: names can hold escape sequences too."""
    return "standard input" if Path(path) == STDIN else shown_path(path)


def line_chunks(path: Path) -> Iterator[list[bytes]]:
    """Lists of raw lines from a plain or gzip file (gzip detected by content, not by name).

    A UTF-8 byte order mark before the first line is dropped (JSON parsers refuse it). A
    file that is one JSON array rather than JSON lines gets a hint in the log: its lines
    are counted as rejected. Gzip is decompressed member by member, so a file whose last
    member was cut short (a crash mid-write) still yields every line before the cut; the
    damage is logged, never raised.
    """
    first = True
    for chunk in _line_chunks(path):
        if first and chunk:
            first = False
            if chunk[0].startswith(_BOM):
                chunk[0] = chunk[0][len(_BOM):]
            if chunk[0].lstrip().startswith(b"["):
                log.warning("%s looks like one JSON array, not JSON lines (one object per line): its lines "
                            "will be rejected; convert it first, e.g. jq -c '.[]' FILE > FILE.jsonl", shown(path.name))
        yield chunk


def _line_chunks(path: Path) -> Iterator[list[bytes]]:
    """Lists of lines, at least one per read: a stop is noticed between any two reads, even in
    the middle of a long line. No line over MAX_LINE_BYTES is held whole: OVERSIZED_LINE stands
    in for it, one line in the file's count."""
    with _open(path) as raw:
        if not stat.S_ISREG(os.fstat(raw.fileno()).st_mode):  # a pipe, a FIFO, a terminal
            yield from _stream_line_chunks(_pipe_blocks(raw.fileno()), shown(path.name))
            return
        if raw.peek(2)[:2] != _GZIP_MAGIC:
            yield from _plain_line_chunks(raw)
            return
        yield from _capped_line_chunks(_gunzip(iter(lambda: raw.read(_CHUNK_BYTES), b""), shown(path.name)))


def _plain_line_chunks(raw: io.BufferedReader) -> Iterator[list[bytes]]:
    """A regular file's lines. `readlines` splits in C, but holds a line whole however long, so
    it reads a chunk only when `_chunk_ends_soon`; near a longer line, lines are read in pieces of
    at most _CHUNK_BYTES through a `_LineSplitter`, which never holds more than the cap."""
    lines = _LineSplitter(MAX_LINE_BYTES)
    while True:
        if lines.at_line_start and _chunk_ends_soon(raw):
            chunk = raw.readlines(_CHUNK_BYTES)
            if not chunk:
                return
            yield chunk
        elif piece := raw.readline(_CHUNK_BYTES):
            yield lines.split(piece)
        else:
            yield lines.finish()
            return


def _chunk_ends_soon(raw: io.BufferedReader) -> bool:
    """Whether `raw.readlines(_CHUNK_BYTES)` would read less than _CHUNK_BYTES + _PROBE_BYTES.
    It reads lines until they hold more than its hint, so it ends with the line holding the
    byte _CHUNK_BYTES ahead: that line (or the file) must end within _PROBE_BYTES of it."""
    ahead = os.pread(raw.fileno(), _PROBE_BYTES, raw.tell() + _CHUNK_BYTES)
    return len(ahead) < _PROBE_BYTES or b"\n" in ahead


def _open(path: Path) -> io.BufferedReader:
    if path == STDIN:
        return open(sys.stdin.fileno(), "rb", closefd=False)  # noqa: SIM115 - closed by the caller
    return cast(io.BufferedReader, open(path, "rb", buffering=_READ_BUFFER_BYTES))  # noqa: SIM115


def _pipe_blocks(fd: int) -> Iterator[bytes]:
    """What a pipe has, as it comes, until it ends; `b""` whenever it has had nothing for
    PIPE_IDLE_S, so the collector can write what it holds and notice a stop (`tail -f x |`:
    a pipe may stay open and quiet for hours, and `readlines` would wait for 256 KB)."""
    while True:
        ready, _, _ = select.select([fd], [], [], PIPE_IDLE_S)
        if not ready:
            yield b""
            continue
        block = os.read(fd, _CHUNK_BYTES)
        if not block:
            return
        yield block


def _stream_line_chunks(blocks: Iterator[bytes], name: str) -> Iterator[list[bytes]]:
    """Lines of a pipe's blocks (`[]` while it is quiet), plain or gzip by its first bytes."""
    head = b""
    for block in blocks:
        if not block:
            yield []
            continue
        head += block
        if len(head) >= len(_GZIP_MAGIC):
            break
    if not head:
        return
    chained: Iterable[bytes] = itertools.chain([head], blocks)
    if head.startswith(_GZIP_MAGIC):
        chained = _gunzip(chained, name)
    yield from _capped_line_chunks(chained)


def _capped_line_chunks(blocks: Iterable[bytes]) -> Iterator[list[bytes]]:
    """The lines of `blocks`, one list for each block (`[]` for one that ends no line)."""
    lines = _LineSplitter(MAX_LINE_BYTES)
    for block in blocks:
        yield lines.split(block)
    yield lines.finish()


class _LineSplitter:
    """Lines of data given in blocks, without their `\\n`. A line's pieces are joined once, however
    many blocks it spans, and no more than `cap` bytes of it are held: a line over `cap` gives
    OVERSIZED_LINE as it passes the cap, and the rest of it is dropped up to its newline. Blocks
    must not be longer than `cap` (a line within one is then never over it)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.pieces: list[bytes] = []
        self.held = 0
        self.skipping = False

    @property
    def at_line_start(self) -> bool:
        return not self.pieces and not self.skipping

    def split(self, block: bytes) -> list[bytes]:
        """The lines `block` ends: none for a quiet pipe's `b""` or a piece of a long line."""
        lines = block.split(b"\n")
        tail = lines.pop()
        if lines:
            self._end_line(lines)
        if tail and not self.skipping:
            self._hold(tail, lines)
        return lines

    def finish(self) -> list[bytes]:
        """The last line, when the data does not end with a newline."""
        last = b"".join(self.pieces)
        self._forget()
        return [last] if last else []

    def _end_line(self, lines: list[bytes]) -> None:
        """Make `lines[0]`, which ends the line held so far, that whole line."""
        if self.skipping:
            del lines[0]  # OVERSIZED_LINE went out for it when it passed the cap
        elif self.pieces:
            ends_in_cr = (lines[0] or self.pieces[-1]).endswith(b"\r")  # CRLF: the `\r` is not the line's
            whole = self.held + len(lines[0]) <= self.cap + ends_in_cr
            lines[0] = b"".join([*self.pieces, lines[0]]) if whole else OVERSIZED_LINE
        self._forget()

    def _hold(self, tail: bytes, lines: list[bytes]) -> None:
        """Keep `tail`, the start of a line, or give OVERSIZED_LINE once the line passes the cap."""
        self.held += len(tail)
        if self.held <= self.cap + 1:  # + 1: a CRLF line's `\r` may be among them (as the X stream counts)
            self.pieces.append(tail)
            return
        self._forget()
        self.skipping = True
        lines.append(OVERSIZED_LINE)

    def _forget(self) -> None:
        self.pieces.clear()
        self.held = 0
        self.skipping = False


def _gunzip(blocks: Iterable[bytes], name: str) -> Iterator[bytes]:
    """The data of gzip `blocks`, member by member, at most _CHUNK_BYTES at a time (a block of
    compressed zeros holds a thousand times its size); a quiet pipe's `b""` is passed on. A file
    whose last member was cut short (a crash mid-write) gives everything before the cut; damage
    is logged, never raised."""
    decompressor = zlib.decompressobj(wbits=31)
    in_member = False
    for compressed in blocks:
        if not compressed:
            yield b""
            continue
        while compressed:
            in_member = True
            try:
                yield from _inflate(decompressor, compressed)
            except zlib.error as exc:
                log.warning("%s: corrupt gzip data, rest of the file skipped (%s)", name, exc)
                return
            compressed = b""
            if decompressor.eof:  # a member ended; the next one (if any) starts in unused_data
                in_member = False
                compressed = decompressor.unused_data
                decompressor = zlib.decompressobj(wbits=31)
    if in_member:
        log.warning("%s: gzip data ends in the middle of a member; the lines before the cut were read", name)


def _inflate(decompressor: zlib._Decompress, compressed: bytes) -> Iterator[bytes]:
    """All the data `compressed` gives (up to its member's end), at most _CHUNK_BYTES at a time."""
    while True:
        data = decompressor.decompress(compressed, _CHUNK_BYTES)
        yield data
        compressed = decompressor.unconsumed_tail
        if decompressor.eof or (not compressed and len(data) < _CHUNK_BYTES):
            return


@dataclass
class ReplaySource:
    paths: Sequence[Path]
    speed: float | None = None
    """None = as fast as possible; 1 = original pace; 10 = ten times faster."""
    sleep: Callable[[float], None] = time.sleep
    label: str = "replay"
    topics_from_rules: bool = True
    """A recorded X stream's `matching_rules` tags decide topics, as they did live."""
    _name: str = field(default="", init=False)
    _number: int = field(default=0, init=False)
    _index: int = field(default=-1, init=False)
    """Which of `paths` is being read."""
    _prints: list[str] | None = field(default=None, init=False)
    """Each file's fingerprint (`fingerprint`); None when one is not a regular file."""
    _skips: dict[int, int] = field(default_factory=dict, init=False)
    """File index -> lines an earlier run counted (`resume_from_many`)."""

    def __post_init__(self) -> None:
        check_readable(self.paths)
        self._prints = _fingerprints(self.paths)

    def where(self, back: int = 0) -> str:
        """`file:line` of the line yielded last, or of the one `back` lines before it."""
        return f"{shown(self._name)}:{self._number - back}"

    def checkpoint_fields(self) -> list[str]:
        """Where each file's progress is stored: one checkpoint per file, by its content, so
        a later run resumes every file it has seen, in any order or company, moved or grown."""
        return [f"{self.label}:{mark}" for mark in self._prints or ()]

    def checkpoint_field(self) -> str | None:
        """The checkpoint field of the file being read (None for a pipe or standard input)."""
        if self._prints is None or self._index < 0:
            return None
        return f"{self.label}:{self._prints[self._index]}"

    def checkpoint(self) -> str | None:
        """Lines of the file being read that were yielded (see `checkpoint_field`)."""
        return None if self.checkpoint_field() is None else str(self._number)

    @property
    def state(self) -> str:
        """For status lines and the dashboard's status bar (a resumed replay may read nothing new)."""
        skipped = sum(self._skips.values())
        return f"resumed: {skipped:,} lines counted before skipped" if skipped else ""

    def resume_from_many(self, positions: dict[str, str]) -> None:
        """Skip the lines of each file an earlier run counted (after a crash, a stop, Ctrl-C):
        dedupe by post id looks back over the retention only, so a multi-day archive read
        again would count its older posts twice, and control lines every time. `positions`
        holds the stored checkpoints of this source's fields (`checkpoint_fields` at least).
        A file found under none of them may be a short file that grew since: one whose start
        is a shorter file counted before resumes from that file's checkpoint, and keeps it."""
        taken = set(positions).intersection(self.checkpoint_fields())
        for index, name in enumerate(self.checkpoint_fields()):
            stored = positions.get(name)
            if stored is None:
                name, stored = self._grown_from(index, positions, taken)
            if stored is not None and stored.isdigit() and int(stored) > 0:
                self._skips[index] = int(stored)
        if self._skips:
            files = len(self._skips)
            log.warning("replay: skipping %s lines already counted in this namespace, from %d of the files "
                        "(--no-resume reads them all again)", f"{sum(self._skips.values()):,}", files)

    def _grown_from(self, index: int, positions: dict[str, str], taken: set[str]) -> tuple[str, str | None]:
        """The stored checkpoint of a shorter file that file `index` begins with (its first
        `length` bytes hash alike: lines were appended to it since), adopted as this file's
        field; ("", None) when there is none. Each stored field goes to one file at most."""
        prints = self._prints
        if prints is None:
            return "", None
        own_length = int(prints[index].partition("-")[0])
        prefix = f"{self.label}:"
        head: bytes | None = None  # the file's first bytes, read once, at the first candidate
        for name, stored in positions.items():
            length, _, _digest = name.removeprefix(prefix).partition("-")
            if name in taken or not name.startswith(prefix) or not length.isdigit() or int(length) >= own_length:
                continue
            if head is None:
                try:
                    with open(self.paths[index], "rb") as handle:
                        head = handle.read(own_length)
                except OSError:
                    return "", None
            mark = fingerprint(head[: int(length)])
            if f"{prefix}{mark}" == name:
                taken.add(name)
                prints[index] = mark  # progress goes on under the field it was counted in
                return name, stored
        return "", None

    def batches(self, stop: threading.Event) -> Iterator[list[bytes]]:
        """Lists of raw lines, as read (see `base.line_batches`); paced replays go line by line."""
        if self.speed:
            for line in self.lines(stop):
                yield [] if line is None else [line]
            return
        for chunk in self._chunks(stop):
            self._number += len(chunk)
            yield chunk

    def lines(self, stop: threading.Event) -> Iterator[bytes | None]:
        """Raw lines; `None` while pacing waits or a pipe is quiet, so the collector can flush."""
        pacer = _Pacer(self.speed, self.sleep, stop) if self.speed else None
        for chunk in self._chunks(stop):
            if not chunk:  # a quiet pipe
                yield None
            for line in chunk:
                if pacer is not None:
                    yield from pacer.wait_for(line)
                    if stop.is_set():
                        return
                self._number += 1  # after the wait: a checkpoint taken meanwhile must not cover it
                yield line

    def _chunks(self, stop: threading.Event) -> Iterator[list[bytes]]:
        """Every file's line chunks in turn, past what `resume_from_many` skips; keeps
        `_index`, `_name` and `_number` (the lines before the chunk yielded) up to date."""
        for index, path in enumerate(self.paths):
            self._index, self._name, self._number = index, path.name, 0
            skip = self._skips.get(index, 0)
            try:
                for chunk in line_chunks(path):
                    if stop.is_set():
                        return
                    if skip and chunk:
                        dropped = min(skip, len(chunk))
                        skip -= dropped
                        self._number += dropped
                        chunk = chunk[dropped:]
                        if not chunk:
                            continue
                    yield chunk
            except OSError as exc:
                raise UsageError(f"cannot read replay file {shown(path)}: {exc.strerror or exc}") from None
            yield []  # the file is done: a pause, so what was read is counted under its checkpoint


FINGERPRINT_BYTES = 1 << 16


def _fingerprints(paths: Sequence[Path]) -> list[str] | None:
    """Each file's `fingerprint`; None if one is not a regular file (a pipe cannot be read again)."""
    prints: list[str] = []
    for path in paths:
        if path == STDIN:
            return None
        try:
            if not stat.S_ISREG(path.stat().st_mode):  # before opening: opening a FIFO waits for, and takes from, its writer
                return None
            with open(path, "rb") as handle:
                head = handle.read(FINGERPRINT_BYTES)
        except OSError:
            return None
        prints.append(fingerprint(head))
    return prints


def fingerprint(head: bytes) -> str:
    """A file by its first 64 KB (all of it when shorter) and their length: the same after a
    move or a rename, and after lines are appended to a file longer than that (its lines so
    far are unchanged, so a resume goes on after them). A shorter file that grew gets a new
    one, and is matched to its old one by the hash of as many of its first bytes
    (`ReplaySource._grown_from`)."""
    return f"{len(head)}-{hashlib.sha256(head).hexdigest()[:24]}"


class _Pacer:
    """Sleeps so that stream time advances `speed` times faster than wall time."""

    def __init__(self, speed: float, sleep: Callable[[float], None], stop: threading.Event) -> None:
        self.speed = speed
        self.sleep = sleep
        self.stop = stop
        self.origin: tuple[int, float] | None = None

    def wait_for(self, line: bytes) -> Iterator[None]:
        """Sleep until `line` is due, yielding None every slice (at most 0.1 s)."""
        created = _first_created_ms(line)
        if created is None:
            return
        now = time.monotonic()
        if self.origin is None or created < self.origin[0]:
            self.origin = (created, now)
            return
        due = self.origin[1] + (created - self.origin[0]) / 1000 / self.speed
        while (delay := due - time.monotonic()) > 0 and not self.stop.is_set():
            self.sleep(min(delay, 0.1))
            yield None


def _first_created_ms(line: bytes) -> int | None:
    for record in normalize_line(line):
        if isinstance(record, Tweet):
            return record.created_ms
    return None
