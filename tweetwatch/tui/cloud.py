"""Word clouds on a character grid.

Two renderings of one topic's top words (rank order, from the Snapshot):

* **tiered** (the default, readable at 80x24 with 16 colours): words in rank order, flowed
  into centred lines; weight is shown by style tiers — the top word UPPERCASE bold bright,
  then bold, then plain, then dim — so it survives any terminal and any colour depth;
* **layout**: a spatial cloud placed by `wordcloud`'s own layout engine (its integral-image
  occupancy map, fixed `random_state`), run on a canvas whose pixel size matches the
  character grid (monospace font, one font size), then mapped onto cells. Offered when a
  cloud has at least LAYOUT_MIN cells; smaller areas fall back to the tiered rendering.

Both depend only on the ranked words (not their counts) and the size, and are cached, so
they are recomputed only when the top words change. Words are network text: they are
sanitized here and returned as `rich.text.Text`, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rich.text import Text

from tweetwatch.sanitize import clean_text

WORD_MAX = 24
GAP = 2
"""Spaces between words on a tiered line."""
LAYOUT_MIN = (40, 6)
"""Smallest (columns, rows) a spatial layout is computed for."""
RANDOM_STATE = 7
"""Fixed, so the same words always land in the same places."""
FONT_SIZE = 20
TIER_RANKS = (1, 4, 12)
"""Rank bounds of tiers 0..2; every later rank is tier 3."""


def tier_of(rank: int) -> int:
    for tier, bound in enumerate(TIER_RANKS):
        if rank < bound:
            return tier
    return len(TIER_RANKS)


def tier_style(tier: int, color: str) -> str:
    """Style of a tier in a topic colour (a basic ANSI name, so 16 colours are enough)."""
    base = color if color not in ("", "default") else ""
    if tier == 0:
        bright = f"bright_{base}" if base else ""
        return f"bold {bright}".strip()
    if tier == 1:
        return f"bold {base}".strip()
    if tier == 2:
        return base
    return f"dim {base}".strip()


def tier_word(word: str, tier: int) -> str:
    cleaned = clean_text(word, WORD_MAX)
    return cleaned.upper() if tier == 0 else cleaned


# ---- tiered ---------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _tiered(words: tuple[str, ...], width: int, color: str) -> tuple[Text, ...]:
    lines: list[Text] = []
    line = Text()
    for rank, word in enumerate(words):
        tier = tier_of(rank)
        shown = tier_word(word, tier)
        if not shown:
            continue
        if len(shown) > width:
            shown = clean_text(shown, width)
        needed = len(shown) + (GAP if line.plain else 0)
        if line.plain and line.cell_len + needed > width:
            lines.append(line)
            line = Text()
        if line.plain:
            line.append(" " * GAP)
        line.append(shown, style=tier_style(tier, color))
    if line.plain:
        lines.append(line)
    for text in lines:
        text.align("center", width)
    return tuple(lines)


def tiered_lines(words: Sequence[str], width: int, color: str = "") -> list[Text]:
    """Words in rank order flowed into centred lines of at most `width` cells."""
    if width <= 0:
        return []
    return [line.copy() for line in _tiered(tuple(words), width, color)]


# ---- spatial layout -------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    word: str
    """Sanitized (and upper-cased for tier 0) text as drawn."""
    col: int
    row: int
    tier: int


@lru_cache(maxsize=1)
def _cell_px() -> tuple[str, int, int]:
    """The wordcloud package's monospace font and one character cell's size in pixels."""
    import os

    import wordcloud
    from PIL import ImageFont

    path = os.path.join(os.path.dirname(wordcloud.__file__), "DroidSansMono.ttf")
    font = ImageFont.truetype(path, FONT_SIZE)
    left, top, right, bottom = font.getbbox("Mg")
    width = round(font.getlength("M"))
    return path, width, bottom - min(top, 0) + 2


@lru_cache(maxsize=32)
def _layout(words: tuple[str, ...], cols: int, rows: int, seed: int) -> tuple[Placement, ...]:
    from wordcloud import WordCloud

    shown = [tier_word(w, tier_of(rank)) for rank, w in enumerate(words)]
    candidates = [(text, rank) for rank, text in enumerate(shown) if text and len(text) <= cols]
    if not candidates:
        return ()
    font_path, cell_w, cell_h = _cell_px()
    # Distinct descending weights keep the rank order (the engine places heaviest first).
    frequencies = {text: float(len(candidates) - i) for i, (text, _rank) in enumerate(candidates)}
    rank_of = {text: rank for text, rank in candidates}
    engine = WordCloud(
        font_path=font_path,
        width=cols * cell_w,
        height=rows * cell_h,
        prefer_horizontal=1.0,
        min_font_size=FONT_SIZE,
        max_font_size=FONT_SIZE,
        font_step=1,
        relative_scaling=0,
        margin=cell_w,
        random_state=seed,
        max_words=len(frequencies),
        background_color=None,
        mode="RGBA",
        normalize_plurals=False,
    )
    engine.generate_from_frequencies(frequencies)
    taken = [[False] * cols for _ in range(rows)]
    placed: list[Placement] = []
    for (text, _weight), _size, (y_px, x_px), _orientation, _color in engine.layout_:
        row = min(rows - 1, round(y_px / cell_h))
        col = min(cols - len(text), round(x_px / cell_w))
        col = max(col, 0)
        lo, hi = max(col - 1, 0), min(col + len(text) + 1, cols)
        if any(taken[row][lo:hi]):
            continue  # rounding made two words touch on the grid; drop the later (lighter) one
        for c in range(col, col + len(text)):
            taken[row][c] = True
        placed.append(Placement(text, col, row, tier_of(rank_of[text])))
    return tuple(sorted(placed, key=lambda p: (p.row, p.col)))


def spatial_layout(words: Sequence[str], cols: int, rows: int, seed: int = RANDOM_STATE) -> list[Placement]:
    """Placements of `words` (rank order) on a `cols` x `rows` grid; empty if too small."""
    if cols < LAYOUT_MIN[0] or rows < LAYOUT_MIN[1]:
        return []
    return list(_layout(tuple(words), cols, rows, seed))


def layout_lines(placements: Sequence[Placement], cols: int, rows: int, color: str = "") -> list[Text]:
    """The placements drawn as `rows` lines of exactly `cols` cells."""
    by_row: dict[int, list[Placement]] = {}
    for p in placements:
        by_row.setdefault(p.row, []).append(p)
    lines: list[Text] = []
    for row in range(rows):
        line = Text()
        cursor = 0
        for p in sorted(by_row.get(row, ()), key=lambda p: p.col):
            line.append(" " * (p.col - cursor))
            line.append(p.word, style=tier_style(p.tier, color))
            cursor = p.col + len(p.word)
        line.append(" " * max(cols - cursor, 0))
        lines.append(line)
    return lines


def fits_layout(cols: int, rows: int) -> bool:
    return cols >= LAYOUT_MIN[0] and rows >= LAYOUT_MIN[1]
