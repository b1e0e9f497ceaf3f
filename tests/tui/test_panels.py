"""Pure pieces of the panels: formatting, chart data, interval steps, counter rows."""

from __future__ import annotations

import io
import math
from dataclasses import replace

import pytest
from rich.console import Console
from tui_fakes import READ_AT, make_snapshot

from tweetwatch.store.snapshot import ALL
from tweetwatch.tui import format as fmt
from tweetwatch.tui.app import REFRESH_STEPS, step_interval
from rich.text import Text

from tweetwatch.tui.chart import ChartLine, DrawJob, chart_data, downsample, draw, legend_strip
from tweetwatch.tui.columns import row, widths_for
from tweetwatch.tui.counters import counters_table
from tweetwatch.tui.statusbar import LinkState, left_text, right_text


def plain(renderable: object, width: int = 80) -> str:
    console = Console(width=width, color_system=None, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (-3.0, "0.0s"),
        (0.42, "0.4s"),
        (9.94, "9.9s"),
        (42, "42s"),
        (180, "3m"),
        (3 * 3600 + 5, "3h"),
        (3 * 86400, "3d"),
        (2 * 365 * 86400 + 100, "2y"),
    ],
)
def test_human_duration(seconds: float | None, text: str) -> None:
    assert fmt.human_duration(seconds) == text


@pytest.mark.parametrize(
    ("a", "b", "text"), [(0, 0, "—"), (5, 0, "—"), (0, 5, "—"), (3, 2, "1.50"), (1, 3, "0.33")]
)
def test_ratio(a: int, b: int, text: str) -> None:
    assert fmt.ratio(a, b) == text


@pytest.mark.parametrize(("w", "label"), [(60, "1m"), (300, "5m"), (900, "15m"), (3600, "1h"), (45, "45s")])
def test_window_label(w: int, label: str) -> None:
    assert fmt.window_label(w) == label


def test_step_interval_walks_and_clamps() -> None:
    assert step_interval(1.0, +1) == 2.0
    assert step_interval(1.0, -1) == 0.5
    assert step_interval(REFRESH_STEPS[-1], +1) == REFRESH_STEPS[-1]
    assert step_interval(REFRESH_STEPS[0], -1) == REFRESH_STEPS[0]
    assert step_interval(3.0, +1) == 5.0  # off-step values join the ladder
    assert step_interval(3.0, -1) == 2.0


def test_chart_per_second_for_short_windows() -> None:
    snap = make_snapshot(300)
    data = chart_data(snap)
    assert data.unit == "tweets/s"
    assert [line.label for line in data.lines] == ["all", "trump", "biden"]
    assert data.lines[0].values == snap.series.rates(ALL)
    assert data.length == 300


def test_chart_fifteen_minutes_is_still_per_second() -> None:
    snap = make_snapshot(900)
    data = chart_data(snap)
    assert snap.series.bucket_s == 10
    assert data.unit == "tweets/s"
    assert data.lines[1].values[0] == snap.series.counts["trump"][0] / 10


def test_chart_hour_is_per_minute() -> None:
    snap = make_snapshot(3600)
    data = chart_data(snap)
    assert data.unit == "tweets/min"
    assert data.lines[1].values == tuple(float(c) for c in snap.series.counts["trump"])


def test_x_ticks_are_stream_time_labels() -> None:
    data = chart_data(make_snapshot(300))
    positions, labels = data.x_ticks(60)
    assert positions[0] == 0 and positions[-1] == 299
    assert labels[0] == "20:10:31" and labels[-1] == "20:15:30"
    assert len(labels) == 5
    assert data.x_ticks(10)[1] == ["20:10:31", "20:15:30"]  # at least both ends


def test_chart_without_data() -> None:
    snap = make_snapshot(300)
    empty = replace(snap, series=replace(snap.series, counts={}))
    data = chart_data(empty)
    assert data.length == 0
    assert data.x_ticks(80) == ([], [])


def test_counters_table_rows() -> None:
    text = plain(counters_table(make_snapshot()))
    assert "trump:biden" in text
    assert "12,345" in text and "1.25" in text
    assert "waiting for data" in plain(counters_table(None))


def test_counters_with_one_topic_has_no_ratio_row() -> None:
    snap = make_snapshot()
    text = plain(counters_table(replace(snap, topics=snap.topics[:1])))
    assert "trump" in text and ":" not in text


def test_status_texts() -> None:
    snap = make_snapshot(is_demo=True, source="demo")
    left = left_text(snap, LinkState(True, 2.345, 0.4)).plain
    assert left.startswith(" DEMO DATA ")
    assert "Redis ● 2.3ms" in left
    down = left_text(snap, LinkState(False, error="refused")).plain
    assert down.startswith("Redis unreachable — retrying (refused)")
    right = right_text(snap, LinkState(True, 1, 200 * 86400 * 2), window_s=900, refresh_s=0.5, paused=True).plain
    assert right == "stream 20:15:30Z lag 1y │ window 15m │ every 0.5s │  PAUSED "
    short = replace(snap, retention_s=300)  # collect --retention 5m: the 15m window holds 5m
    assert "│ window 15m (only 5m kept) │" in right_text(short, LinkState(True), window_s=900, refresh_s=1,
                                                          paused=False).plain
    assert "kept" not in right_text(short, LinkState(True), window_s=300, refresh_s=1, paused=False).plain
    assert "connecting" in left_text(None, LinkState()).plain


def test_a_stopped_silent_or_missing_collector_is_said_before_the_rest() -> None:
    """A stopped or killed collector left the last rates on screen, its state cut off at the
    end of a 40-character status (QA, 2026-11-28). The collector now always comes first."""
    link = LinkState(True, 2.0, 0.4)
    live = left_text(make_snapshot(), link).plain
    assert live == "collector reading · election-night.jsonl · 40 tweets/s │ source replay │ Redis ● 2.0ms │ rejected 3"
    seen = READ_AT.timestamp()
    stopped = make_snapshot(collector_state="stopped", collector_seen_at=seen - 90, collector_detail="")
    assert left_text(stopped, link).plain.startswith("collector stopped 1m ago │ source replay │ Redis")
    resumed = replace(stopped, collector_detail="resumed: 963 lines counted before skipped · tweets 0")
    assert left_text(resumed, link).plain.startswith(  # why a replay run again showed nothing new
        "collector stopped 1m ago · resumed: 963 lines counted before skipped · tweets 0 │ source replay")
    killed = make_snapshot(collector_state="reading", collector_seen_at=seen - 35)
    assert left_text(killed, link).plain.startswith("collector silent for 35s (last: reading) │ source replay")
    none = make_snapshot(collector_status="", collector_state="", collector_seen_at=None)
    assert left_text(none, link).plain.startswith("no collector has written here │ source replay")


X_429 = "reconnecting in 59 s (429 too many connections) · 0 tweets/s · tweets 0 · control 0 · rejected 0 · duplicates 0"
X_CONNECTED = "connected (2 rules, last data 0 s ago) · 37 tweets/s · tweets 12,345 · control 2 · rejected 0 · duplicates 4"


def _tokens_are_whole(shown: str, full: str) -> None:
    """Every word of `shown` is a word of `full`, or a word cut after... never: a word ending
    in `…` is a part left out (`…` alone) or a cut after a whole word without a digit."""
    words = set(full.split())
    for word in shown.split():
        if word.endswith("…") and word != "…":
            word = word[:-1]
            assert not any(c.isdigit() for c in word), (word, shown)
        assert word == "…" or word in words, (word, shown)


@pytest.mark.parametrize("detail", [X_429, X_CONNECTED], ids=["429", "connected"])
def test_the_collector_state_is_kept_whole_at_80_columns(detail: str) -> None:
    """QA: with an X stream getting HTTP 429, 80 columns showed `source x │ Redis ● 5.0ms │
    rejected 0 │ collector reading · reconnecting in 5…` (the wait was 59 s) and 100 columns
    `(429 too many co…`. The collector's state now comes first; what does not fit is left out
    in whole parts, the least important first (its counts, the rate, rejected, source, Redis)."""
    snap = replace(make_snapshot(source="x", collector_detail=detail), rejected=0)
    link = LinkState(True, 5.0, 0.4)
    source_state = detail.split(" · ")[0]
    at_80 = left_text(snap, link, 78).plain  # 80 columns less the bar's padding
    assert at_80.startswith(f"collector reading · {source_state} · …")
    full = left_text(snap, link).plain
    for width in range(58, 160):  # 60 columns is the smallest the dashboard draws at
        shown = left_text(snap, link, width).plain
        assert len(shown) <= width
        _tokens_are_whole(shown, full)
        if width >= 68:
            assert f"collector reading · {source_state}" in shown, width
    assert left_text(snap, link, 98).plain.endswith("│ source x │ Redis ● 5.0ms")  # 100 columns
    assert left_text(snap, link, 150).plain.endswith("│ source x │ Redis ● 5.0ms │ rejected 0")


def test_a_status_line_leaves_parts_out_by_importance() -> None:
    link = LinkState(True, 5.0, 0.4)
    demo = make_snapshot(source="demo", is_demo=True, collector_detail="20 tweets/s · tweets 859 · control 0")
    assert left_text(demo, link, 78).plain == (
        " DEMO DATA  │ collector reading · … │ source demo │ Redis ● 5.0ms │ rejected 3")
    assert left_text(demo, link, 98).plain == (  # the fields on the right keep to the edge
        " DEMO DATA  │ collector reading · 20 tweets/s · …       │ source demo │ Redis ● 5.0ms │ rejected 3")
    held = make_snapshot(collector_state="redis unreachable · 1,234,567 held in memory",
                         collector_detail="reconnecting in 59 s (429 too many connections) · 0 tweets/s")
    assert left_text(held, link, 78).plain == (  # cut after a word, not inside `(429`
        "collector redis unreachable · 1,234,567 held in memory · reconnecting in 59 s…")
    down = LinkState(False, error="Redis at localhost:6379: connection refused")
    assert left_text(held, down, 78).plain == "Redis unreachable — retrying (Redis at localhost:6379: connection refused)"
    assert left_text(held, down, 58).plain == "Redis unreachable — retrying (Redis at…"
    short = replace(make_snapshot(), retention_s=300)
    line2 = right_text(short, link, window_s=900, refresh_s=0.25, paused=True, width=68).plain
    assert line2 == "stream 20:15:30Z lag 0.4s │ window 15m (only 5m kept) │  PAUSED "


# ---- the chart (plotext, drawn in a worker) and the hand-laid columns ---------------------


def test_downsample_keeps_the_mean_rate_and_gaps() -> None:
    assert downsample((1.0, 2.0, 3.0), 5) == (1.0, 2.0, 3.0)
    assert downsample((1.0, 3.0, 5.0, 7.0), 2) == (2.0, 6.0)
    thinned = downsample((1.0, math.nan, math.nan, math.nan), 2)
    assert thinned[0] == 1.0 and math.isnan(thinned[1])


@pytest.mark.parametrize(("width", "height", "marker"), [(118, 30, "braille"), (60, 12, "*")])
def test_plotext_draws_every_line_in_its_area(width: int, height: int, marker: str) -> None:
    data = chart_data(make_snapshot(3600))
    lines = [line.text for line in draw(DrawJob(data, width, height, "clear", marker, mood=False))]
    assert len(lines) == height and all(len(line) <= width for line in lines)
    plain = "\n".join(lines)
    assert lines[-1].split() == [("━" if marker == "braille" else "*"), "all", *(
        token for name in ("trump", "biden") for token in ("━" if marker == "braille" else "*", name))]
    has_braille = any("\u2800" < ch <= "\u28ff" for ch in plain)
    assert has_braille == (marker == "braille")


@pytest.mark.parametrize("height", [9, 10, 11, 12, 16, 20, 23, 24, 30])
@pytest.mark.parametrize(("top", "mood"), [(13.0, False), (4.0, False), (517.0, False), (1.0, True)])
def test_every_y_label_is_the_value_of_its_row(height: int, top: float, mood: bool) -> None:
    """plotext put evenly spaced tick values on the nearest rows: `10.8` stood beside the row
    worth 9.75 (found by looking at a five-row drill-down chart). Then the labels were the
    values of their rows but unevenly spaced (`28, 20, 16, 8, 0`: QA, 2026-11-28)."""
    from tweetwatch.tui.chart import ChartData, ChartLine

    values = tuple(top * (i % 7) / 6 for i in range(40)) if not mood else tuple((i % 9) / 4 - 1 for i in range(40))
    data = ChartData("tweets/s", 1.0, 1_700_000_000, 1, (ChartLine("all", "cyan", values),))
    lines = [line.text for line in draw(DrawJob(data, 80, height, "clear", "braille", mood=mood))]
    first = next(i for i, line in enumerate(lines) if "┌" in line) + 1
    last = next(i for i, line in enumerate(lines) if "└" in line) - 1
    labelled = {i: float(line.split("┤")[0]) for i, line in enumerate(lines) if "┤" in line}
    rows = sorted(labelled)
    assert last in rows and 2 <= len(rows) <= 5 or last - first < 2
    gaps = {b - a for a, b in zip(rows, rows[1:])}
    assert len(gaps) == 1, f"labels unevenly spaced: {labelled}"
    row_step = (labelled[rows[0]] - labelled[last]) / (last - rows[0])
    top_value = labelled[last] + row_step * (last - first)
    for index, label in labelled.items():  # every label is its row's value
        assert abs(label - (labelled[last] + row_step * (last - index))) <= 1e-9, (index, label)
    if mood:  # sentiment lies in [-1, 1]: labels from -1 through 0 to 1, none beyond (-1.2 was shown)
        assert labelled[last] == -1 and {0.0, 1.0} <= set(labelled.values()) and max(labelled.values()) == 1
        assert 1 - 1e-9 <= top_value <= 1.5 + 1e-9
    else:  # the data fits, without much to spare
        assert labelled[last] == 0 and top <= top_value <= 1.5 * top + 1e-9


def test_column_widths_share_and_shrink() -> None:
    rows = [["topic", "total"], ["a-very-long-topic-name", "12,345"]]
    assert widths_for(rows, total=40, flex=0, flex_min=4) == [27, 11]  # spare shared
    assert widths_for(rows, total=20, flex=0, flex_min=4) == [12, 6]
    line = row([Text("a-very-long-topic-name"), "12,345"], [12, 6], ["left", "right"])
    assert line.plain == "a-very-long…  12,345"


@pytest.mark.parametrize("width", [0, 3, 9, 12, 30])
@pytest.mark.parametrize(
    "line",
    [
        Text("plain, no spans"),
        Text("styled whole", style="bold"),
        Text.assemble(("red ", "red"), "none ", ("on blue", "white on blue"), (" 世界🙂", "italic")),
        row([Text("topic", style="cyan"), "1,234", Text("x", style="dim")], [8, 6, 3], ["left", "right", "left"]),
        Text(""),
    ],
)
def test_styled_strip_is_textual_s_conversion_in_one_strip(line: Text, width: int) -> None:
    from rich.style import Style
    from textual.strip import Strip

    from tweetwatch.tui.columns import styled_strip

    console = Console(width=200, color_system="truecolor", file=io.StringIO())
    for base in (Style.parse("#e0e0e0 on #101820"), Style()):
        strip = Strip(list(line.render(console)))
        expected = strip.apply_style(base).adjust_cell_length(width, base)
        for got in (styled_strip(line.render(console), line.cell_len, base, width),
                    styled_strip(strip, strip.cell_length, base, width)):
            assert got.cell_length == expected.cell_length == width
            assert list(got) == list(expected)


@pytest.mark.parametrize("width", [120, 60])  # one line per post, and two
def test_feed_shows_posts_as_written(width: int) -> None:
    """X escapes `&`, `<` and `>` in every text (`fish &amp; chips`); a retweet's own text
    starts with `RT `, which the RT mark already says."""
    from tweetwatch.store.snapshot import FeedEntry
    from tweetwatch.tui.feed import entries_lines

    posts = (
        FeedEntry(id="1", created_ms=0, author="a", topics=(), text="RT @b: fish &amp; chips &lt;3 &gt;_&lt;",
                  is_retweet=True),
        FeedEntry(id="2", created_ms=0, author="c", topics=(), text="RT is a word here &amp;amp;", is_retweet=False),
    )
    shown = "\n".join(line.plain for line in entries_lines(posts, {}, width))
    assert "@b: fish & chips <3 >_<" in shown
    assert shown.count("RT") == 2  # the retweet's mark, and the other post's own word: no `RT RT`
    assert "RT is a word here &amp;" in shown  # not a retweet; `&amp;amp;` is a written `&amp;`


def test_a_share_that_is_there_is_never_zero_percent() -> None:
    """One post in 229 is `<1%`: `0%` read as "none" in the stream mix's language column."""
    from tweetwatch.tui.stream import percent

    assert [percent(s) for s in (None, 0.0, 1 / 229, 0.005, 0.006, 0.41, 1.0)] == [
        "—", "0%", "<1%", "<1%", "1%", "41%", "100%"]


def test_legend_names_stay_apart_or_give_way_to_plus_n() -> None:
    names = ("all", "trump_rally", "trump_poll", "trump_crowd", "biden_new", "biden_town")
    lines = [ChartLine(name, "cyan", ()) for name in names]
    legend = legend_strip(lines, 44, ["━"] * len(lines)).text  # 80x24's chart: QA saw `━ tr…  ━ tr…  ━ tr…`
    *named, last = legend.split("━")
    labels = [part.strip() for part in named[1:]] + [last.split()[0]]
    assert len(labels) == len(set(labels)), legend
    assert 1 < len(labels) < len(names) and last.split()[-1] == f"+{len(names) - len(labels)}", legend
    assert legend_strip(lines, 200, ["━"] * len(lines)).text.split() == [t for n in names for t in ("━", n)]
