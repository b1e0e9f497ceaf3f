"""The raw-line archive: rotation without overwriting, readable after a crash, and a full or
unusable disk that pauses archiving without stopping the count."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tweetwatch.sources.archive import Archive, ArchivingSource
from tweetwatch.sources.replay import ReplaySource


class ListSource:
    label = "test"

    def __init__(self, lines: list[bytes]) -> None:
        self._lines = lines

    def lines(self, stop: threading.Event):  # noqa: ANN201
        yield from self._lines


def lines_of(n: int, size: int = 100) -> list[bytes]:
    return [b'{"n": %d, "pad": "%s"}' % (i, b"x" * size) for i in range(n)]


def read_back(paths: list[Path]) -> list[bytes]:
    source = ReplaySource(sorted(paths))
    return [line.rstrip(b"\n") for line in source.lines(threading.Event()) if line is not None]


def test_every_line_archived_and_rotated_without_overwrite(tmp_path: Path) -> None:
    archive = Archive(tmp_path, "test", max_bytes=20_000, clock=lambda: 1_700_000_000.0, flush_every_s=0)
    lines = lines_of(1000)
    out = list(ArchivingSource(ListSource(lines), archive).lines(threading.Event()))
    assert out == lines
    files = sorted(tmp_path.glob("test-*.jsonl.gz"))
    assert len(files) > 3  # rotated by size; same timestamp, so suffixes instead of overwriting
    assert all(f.name.startswith("test-20231114-221320") for f in files)
    assert sorted(read_back(files), key=lambda b: int(b.split(b",")[0][6:])) == lines


def test_a_crash_mid_member_keeps_earlier_lines_readable(tmp_path: Path) -> None:
    archive = Archive(tmp_path, "test")
    for line in lines_of(50):
        archive.write(line)
    archive.close()
    (path,) = tmp_path.glob("*.jsonl.gz")
    whole = path.read_bytes()
    # a second, half-written member, as a crash in the middle of a flush leaves it
    path.write_bytes(whole + gzip.compress(b"\n".join(lines_of(10)))[:30])
    back = read_back([path])
    assert back[:50] == lines_of(50)
    assert len(back) <= 51  # at most the cut line's fragment, which replay counts as rejected


def test_unusable_directory_pauses_archiving_but_not_counting(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    archive = Archive(blocker / "archive", "test")
    wrapped = ArchivingSource(ListSource(lines_of(5)), archive)
    assert list(wrapped.lines(threading.Event())) == lines_of(5)  # the lines still flow
    assert "archive paused" in archive.error
    assert "archive paused" in wrapped.state


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (root only), unmounted afterwards."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a tmpfs")
    mount_point = tmp_path / f"full-{uuid.uuid4().hex[:6]}"
    mount_point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_disk_full(small_disk: Path) -> None:
    archive = Archive(small_disk, "test")
    big = [os.urandom(3000).hex().encode() for _ in range(200)]  # incompressible: fills 64 KiB
    wrapped = ArchivingSource(ListSource(big), archive)
    assert list(wrapped.lines(threading.Event())) == big
    assert "archive paused" in archive.error and "No space" in archive.error


def test_archiving_resumes_once_the_directory_is_usable_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A write error pauses archiving; the first line after `retry_every_s` tries again, and
    archiving resumes, logged once with the lines lost. Regression: paused for the rest of the
    run (0 of 592 lines archived after the disk had space again). Something root cannot write
    either: the archive directory's parent is a regular file, until it is replaced by a directory."""
    parent = tmp_path / "parent"
    parent.write_text("not a directory")
    archive = Archive(parent / "archive", "test", flush_every_s=0, retry_every_s=0.3)
    lines = lines_of(30)
    with caplog.at_level("INFO", logger="tweetwatch.sources.archive"):
        for line in lines[:10]:
            archive.write(line)
        assert "archive paused" in archive.error and "Not a directory" in archive.error
        parent.unlink()
        parent.mkdir()
        for line in lines[10:20]:  # within the back-off: not archived
            archive.write(line)
        assert archive.error
        time.sleep(0.35)
        for line in lines[20:]:
            archive.write(line)
        assert archive.error == ""
        archive.close()
    assert read_back(archive.files) == lines[20:]
    paused = [r.getMessage() for r in caplog.records if "archive paused" in r.getMessage()]
    resumed = [r.getMessage() for r in caplog.records if "archive resumed" in r.getMessage()]
    assert len(paused) == 1  # not once per line or retry
    assert len(resumed) == 1 and "20 lines were not archived" in resumed[0], resumed


def test_a_full_disk_freed_again_resumes_archiving_without_leaving_empty_files(small_disk: Path) -> None:
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):  # the whole tmpfs
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    archive = Archive(small_disk / "archive", "test", flush_every_s=0, retry_every_s=0.05)
    lines = [os.urandom(200).hex().encode() for _ in range(20)]
    for line in lines[:10]:  # each a retry
        archive.write(line)
        time.sleep(0.06)
    assert "No space" in archive.error
    assert list(small_disk.rglob("*.gz")) == []  # not an empty file per retry
    filler.unlink()
    time.sleep(0.06)
    for line in lines[10:]:
        archive.write(line)
    assert archive.error == ""
    archive.close()
    assert read_back(archive.files) == lines[10:]
