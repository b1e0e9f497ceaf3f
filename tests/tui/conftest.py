from __future__ import annotations

from collections.abc import Callable

import pytest
from tui_fakes import FakeReader, fixed_clock

from tweetwatch.tui.app import DashboardApp

SLOW = 3600.0
"""A refresh interval that never fires during a test, so only explicit reads happen."""


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader()


@pytest.fixture
def make_app(reader: FakeReader) -> Callable[..., DashboardApp]:
    def make(**kwargs: object) -> DashboardApp:
        kwargs.setdefault("refresh_s", SLOW)
        kwargs.setdefault("clock", fixed_clock)
        return DashboardApp(reader, **kwargs)  # type: ignore[arg-type]

    return make
