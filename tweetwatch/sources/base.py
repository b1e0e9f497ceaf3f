"""What every source looks like to the collector: an iterator of raw lines.

Sources know nothing of Redis or the UI. `lines(stop)` yields raw lines (bytes, one JSON
document each) until the input ends or `stop` is set, and may yield `None` while it waits
for data (at least every 100 ms) so the collector can flush on time; `where()` names the origin of the line
yielded last (e.g. `file.jsonl:12`) for error messages. A source may also offer `batches(stop)`
(lists of lines, see `line_batches`); its `where(back)` then names earlier lines of the batch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol


class Source(Protocol):
    label: str
    """Short name recorded in the namespace and shown in the status bar."""
    # Optional attribute `topics_from_rules: bool` (default False): when True, a tweet's
    # X `matching_rules` tags decide its topics instead of local keyword matching.
    # Optional methods `checkpoint() -> str | None` and `resume_from(position: str)`: a
    # source that can resume after a restart (see pipeline/checkpoint.py).

    def lines(self, stop: threading.Event) -> Iterator[bytes | None]:
        """Raw lines until the input ends or `stop` is set; `None` means "nothing yet"."""
        ...


def line_batches(source: Source, stop: threading.Event) -> Iterator[list[bytes]]:
    """Lists of raw lines (empty while the source waits). A source with a `batches(stop)`
    method hands over whole lists (a replay yields what one read gave, sparing the
    collector a generator step per line); any other is wrapped line by line."""
    batches = getattr(source, "batches", None)
    if callable(batches):
        yield from batches(stop)
        return
    for line in source.lines(stop):
        yield [] if line is None else [line]


def label_of(source: object) -> str:
    """The source's label (`demo`, `replay`, `x`, `jetstream`): its name in status lines,
    in the namespace's meta, its lease and its checkpoint."""
    return str(getattr(source, "label", "source"))


def where(source: object, back: int = 0) -> str:
    """Origin of the last line a source yielded (or of the line `back` lines before it,
    within the last batch), when the source can tell."""
    locate = getattr(source, "where", None)
    if not callable(locate):
        return label_of(source)
    return locate(back) if back else locate()
