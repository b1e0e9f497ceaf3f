"""What every source looks like to the collector: an iterator of raw lines.

Sources know nothing of Redis or the UI. `lines(stop)` yields raw lines (bytes, one JSON
document each) until the input ends or `stop` is set, and may yield `None` while it waits
for data (at least every 100 ms) so the collector can flush on time; `where()` names the origin of the line
yielded last (e.g. `file.jsonl:12`) for error messages.
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

    def lines(self, stop: threading.Event) -> Iterator[bytes | None]:
        """Raw lines until the input ends or `stop` is set; `None` means "nothing yet"."""
        ...


def where(source: object) -> str:
    """Origin of the last line a source yielded, when the source can tell."""
    locate = getattr(source, "where", None)
    return locate() if callable(locate) else getattr(source, "label", "source")
