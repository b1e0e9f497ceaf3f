"""A replayed line over the cap (MAX_LINE_BYTES) is one rejected line, never held whole.

QA: `tweetwatch collect --replay - < /dev/zero` reached 7 GB and did not stop within 20 s of a
SIGTERM; a 1.5 GB sparse file peaked at 4.6 GB. The cap is made small here (reads smaller
still, as the real 256 KiB reads are to the real 16 MiB cap) so the files stay small and the
tests fast.
"""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import os
import threading
import tracemalloc
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest

from tweetwatch.pipeline.collector import Collector
from tweetwatch.pipeline.model import OVERSIZED_LINE
from tweetwatch.pipeline.text import Topic
from tweetwatch.sources import replay
from tweetwatch.sources.replay import ReplaySource, line_chunks
from tweetwatch.store.redis_store import Store, open_client

CAP = 1000
"""The cap in these tests: a line of 1,000 bytes is kept, one of 1,001 is not."""
READ = 256
PROBE = 128


@pytest.fixture(autouse=True)
def small_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "MAX_LINE_BYTES", CAP)
    monkeypatch.setattr(replay, "_CHUNK_BYTES", READ)
    monkeypatch.setattr(replay, "_PROBE_BYTES", PROBE)


def post(n: int) -> bytes:
    return json.dumps({"data": {"id": str(10**15 + n), "text": f"trump post {n}",
                                "created_at": "2024-03-01T00:00:00.000Z"}}).encode()


def over_the_cap() -> bytes:
    return json.dumps({"data": {"id": "1", "text": "x" * 3 * CAP, "created_at": "2024-03-01T00:00:00.000Z"}}).encode()


def lines_of(path: Path) -> list[bytes]:
    return [line.rstrip(b"\n") for chunk in line_chunks(path) for line in chunk]


@contextmanager
def fifo_fed(path: Path, blocks: Iterable[bytes]) -> Iterator[Path]:
    """A FIFO at `path` (`--replay <(...)`) that a thread writes `blocks` to, until the reader
    closes it or the test is done with it."""
    os.mkfifo(path)
    done = threading.Event()

    def feed() -> None:
        try:
            with open(path, "wb") as handle:
                for block in blocks:
                    if done.is_set():
                        break
                    handle.write(block)
        except BrokenPipeError:  # the reader stopped first
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        yield path
    finally:
        done.set()
        writer.join(10)


def write_file(path: Path, data: bytes, form: str) -> Path:
    path.write_bytes(gzip.compress(data) if form == "gzip" else data)
    return path


@pytest.mark.parametrize("form", ["file", "gzip", "pipe"])
def test_a_line_over_the_cap_is_one_rejected_line_between_two_posts(
    server_url: str, namespace: str, tmp_path: Path, form: str, caplog: pytest.LogCaptureFixture
) -> None:
    data = b"\n".join([post(1), over_the_cap(), post(2)]) + b"\n"
    name = "big.jsonl"
    if form == "pipe":
        context = fifo_fed(tmp_path / name, [data])
    else:
        context = nullcontext(write_file(tmp_path / name, data, form))
    store = Store(open_client(server_url, "test"), namespace)
    with context as path:
        collector = Collector(ReplaySource([path]), store, (Topic("trump", ("trump",)),))
        collector.aggregator.set_sentiment(False)
        with caplog.at_level(logging.WARNING):
            collector.start()
            assert collector.wait(10)
    assert collector.error is None
    assert (collector.stats.lines, collector.stats.tweets, collector.stats.rejected) == (3, 2, 1)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == ["rejected big.jsonl:2: line over 16,777,216 bytes skipped"]


@pytest.mark.parametrize("form", ["file", "gzip"])
def test_no_line_over_the_cap_is_kept_wherever_it_starts(tmp_path: Path, form: str) -> None:
    """Wherever the long line falls against the reads (`readlines` takes a line whole)."""
    long = b"y" * (3 * CAP)
    for before in range(0, READ + PROBE + 40, 7):
        data = b"a" * before + b"\n" + long + b"\n" + b"b" * CAP + b"\n" + b"c"
        path = write_file(tmp_path / f"{before}.jsonl", data, form)
        assert lines_of(path) == [b"a" * before, OVERSIZED_LINE, b"b" * CAP, b"c"], before


@pytest.mark.parametrize("form", ["file", "gzip"])
def test_a_crlf_line_of_exactly_the_cap_is_kept_as_the_x_stream_keeps_it(tmp_path: Path, form: str) -> None:
    """Retest: its `\r` counted towards the cap, so a CRLF file lost a line the X stream keeps."""
    for before in range(0, READ + PROBE + 40, 13):
        data = b"a" * before + b"\r\n" + b"y" * CAP + b"\r\n" + b"z" * (CAP + 1) + b"\r\n" + b"c\r\n"
        path = write_file(tmp_path / f"{before}.jsonl", data, form)
        assert [line.rstrip(b"\r") for line in lines_of(path)] == [
            b"a" * before, b"y" * CAP, OVERSIZED_LINE, b"c"], before


def test_an_oversized_line_counts_as_one_line_for_resume(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\n".join([post(1), over_the_cap(), post(2), post(3)]) + b"\n")
    source = ReplaySource([path])
    assert sum(len(chunk) for chunk in source.batches(threading.Event())) == 4
    field = source.checkpoint_field()
    assert field is not None and source.checkpoint() == "4"

    for counted, rest in ((1, [OVERSIZED_LINE, post(2), post(3)]), (2, [post(2), post(3)])):
        resumed = ReplaySource([path])
        resumed.resume_from_many({field: str(counted)})
        assert [line.rstrip(b"\n") for chunk in resumed.batches(threading.Event()) for line in chunk] == rest
        assert resumed.where() == "a.jsonl:4"


def endless_zeros() -> Iterator[bytes]:
    return itertools.repeat(b"\0" * 65536)


def endless_gzip_zeros() -> Iterator[bytes]:
    packer = zlib.compressobj(wbits=31)
    zeros = b"\0" * 65536
    first = packer.compress(zeros) + packer.flush(zlib.Z_SYNC_FLUSH)  # with the gzip header
    more = packer.compress(zeros) + packer.flush(zlib.Z_SYNC_FLUSH)  # zeros after zeros: again and again
    return itertools.chain([first], itertools.repeat(more))


@pytest.mark.parametrize("endless", [endless_zeros, endless_gzip_zeros], ids=["plain", "gzip"])
def test_an_endless_line_from_a_pipe_is_rejected_at_once_and_stops_promptly(
    tmp_path: Path, endless: Callable[[], Iterator[bytes]]
) -> None:
    """The line is rejected once it passes the cap, memory stays near the cap while more comes
    (10 MB here), and a stop is noticed between two reads."""
    stop, reached, finished = threading.Event(), threading.Event(), threading.Event()
    lines: list[bytes] = []
    peak: list[int] = []

    def read(source: ReplaySource) -> None:
        tracemalloc.start()
        read_bytes = 0
        for batch in source.batches(stop):
            lines.extend(batch)
            read_bytes += READ
            if lines and read_bytes >= 10 << 20 and not reached.is_set():
                peak.append(tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
                reached.set()
        finished.set()

    with fifo_fed(tmp_path / "zero", endless()) as path:
        reader = threading.Thread(target=read, args=(ReplaySource([path]),), daemon=True)
        reader.start()
        assert reached.wait(10), f"nothing after 10 s: {len(lines)} lines"
        stop.set()
        assert finished.wait(1), "the stop was not noticed within 1 s"
    assert lines == [OVERSIZED_LINE]
    assert peak[0] < replay._READ_BUFFER_BYTES + 200_000, peak  # what reading 10 MB held: the file buffer, a few reads
