"""Word-cloud layouts on the character grid: tiered ranking and wordcloud's spatial engine."""

from __future__ import annotations

import pytest

from tweetwatch.tui import cloud
from tweetwatch.tui.cloud import (
    LAYOUT_MIN,
    layout_lines,
    spatial_layout,
    tier_of,
    tier_style,
    tiered_lines,
)

WORDS = [
    "maga", "vote", "election", "wall", "rally", "florida", "debate", "polls", "media", "jobs",
    "economy", "trade", "china", "border", "news", "fake", "great", "america", "tonight", "crowd",
]


def test_tiers_by_rank() -> None:
    assert [tier_of(r) for r in (0, 1, 3, 4, 11, 12, 29)] == [0, 1, 1, 2, 2, 3, 3]
    assert tier_style(0, "cyan") == "bold bright_cyan"
    assert tier_style(1, "cyan") == "bold cyan"
    assert tier_style(2, "cyan") == "cyan"
    assert tier_style(3, "cyan") == "dim cyan"
    assert tier_style(0, "default") == "bold"


@pytest.mark.parametrize("width", [12, 34, 80])
def test_tiered_lines_fit_and_keep_rank_order(width: int) -> None:
    lines = tiered_lines(WORDS, width, "cyan")
    assert all(line.cell_len <= width for line in lines)
    flowed = " ".join(line.plain for line in lines).split()
    assert flowed == ["MAGA", *WORDS[1:]]  # every word, in rank order, top one upper case
    styles = {span.style for line in lines for span in line.spans}
    assert {"bold bright_cyan", "bold cyan", "cyan", "dim cyan"} <= styles


def test_tiered_lines_sanitize_and_truncate() -> None:
    lines = tiered_lines(["\x1b]52;c;aGk=\x07[red]x[/]", "a" * 50], 20)
    text = "\n".join(line.plain for line in lines)
    assert "[RED]X[/]" in text and "\x1b" not in text and "aGk" not in text
    assert all(line.cell_len <= 20 for line in lines)


def test_tiered_depends_only_on_ranked_words() -> None:
    cloud._tiered.cache_clear()
    tiered_lines(("a1", "b2"), 30)
    tiered_lines(("a1", "b2"), 30)
    assert cloud._tiered.cache_info().hits == 1


def test_spatial_layout_is_inside_grid_without_overlaps() -> None:
    cols, rows = 60, 10
    placements = spatial_layout(WORDS, cols, rows)
    assert len(placements) >= 15
    grid = [[False] * cols for _ in range(rows)]
    for p in placements:
        assert 0 <= p.row < rows and 0 <= p.col and p.col + len(p.word) <= cols
        for c in range(p.col, p.col + len(p.word)):
            assert not grid[p.row][c], p
            grid[p.row][c] = True
    assert "MAGA" in {p.word for p in placements}
    lines = layout_lines(placements, cols, rows, "magenta")
    assert len(lines) == rows and all(line.cell_len == cols for line in lines)


def test_spatial_layout_is_stable_and_cached() -> None:
    first = spatial_layout(WORDS, 50, 8)
    cloud._layout.cache_clear()
    second = spatial_layout(WORDS, 50, 8)
    assert first == second  # fixed random_state: no jumping between refreshes
    spatial_layout(WORDS, 50, 8)
    assert cloud._layout.cache_info().hits == 1


def test_spatial_layout_needs_room() -> None:
    assert spatial_layout(WORDS, LAYOUT_MIN[0] - 1, 10) == []
    assert spatial_layout(WORDS, 60, LAYOUT_MIN[1] - 1) == []
