"""`tweetwatch export csv|json|wordcloud`: the current aggregates as files.

* `csv -o DIR` writes `counters.csv`, `series.csv`, `keywords.csv` and `mix.csv` into DIR; a
  text cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, so a spreadsheet
  shows it rather than running it as a formula (JSON keeps every text exact);
* `json -o FILE` (or `-o -` for stdout) writes the same tables as one JSON document;
* `wordcloud --topic NAME -o FILE.png` draws a PNG word cloud with `wordcloud`, in its bundled
  font (DroidSansMono, Latin, Greek and Cyrillic) unless the words need another: then in an
  installed font fontconfig finds with them all (`cloud_font`), or in `--font PATH`.

Everything comes from one `Store.read_snapshot(window)` plus one read of each topic's top
words; pandas shapes the tables. Library code: raises `UsageError`, never prints.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from tweetwatch.errors import UsageError
from tweetwatch.sanitize import shown_path
from tweetwatch.store.snapshot import ALL, Snapshot
from tweetwatch.summary import sentiment_dict

KEYWORDS_PER_TOPIC = 50
CLOUD_WORDS = 200
CLOUD_RANDOM_STATE = 7
DEFAULT_CLOUD_SIZE = (1200, 600)
TABLES = ("counters", "series", "keywords", "mix")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet opening a CSV runs a text cell starting so as a formula (CSV injection)."""
FC_TIMEOUT_S = 10.0
FONT_FIX = ("install a font that has them (Debian/Ubuntu: apt install fonts-noto-cjk for Chinese, "
            "Japanese and Korean, fonts-noto for most other scripts) or pass one with --font PATH")


def tables(snapshot: Snapshot, keywords: dict[str, list[tuple[str, int]]] | None = None) -> dict[str, pd.DataFrame]:
    """The snapshot as tidy tables: counters, per-topic series, keyword ranks, stream mix."""
    rows: list[dict[str, Any]] = []
    for name, total, window, rate, authors, mood in [
        ("all", snapshot.total, snapshot.total_window, snapshot.rate_per_s, None, snapshot.sentiment),
        *((t.name, t.count_total, t.count_window, t.rate_per_s, t.unique_authors, t.sentiment)
          for t in snapshot.topics),
    ]:
        sentiment = sentiment_dict(mood) or {}
        rows.append({
            "topic": name, "total": total, "window": window, "rate_per_s": round(rate, 3),
            "unique_authors": authors, "sentiment_mean": sentiment.get("mean"),
            "positive_share": sentiment.get("positive"), "neutral_share": sentiment.get("neutral"),
            "negative_share": sentiment.get("negative"),
        })
    counters = pd.DataFrame(rows)
    # The "all" row has no author count: a nullable integer column keeps the topics' counts
    # integers (a float column printed 7 as 7.0) and leaves that cell empty in CSV, null in JSON.
    counters["unique_authors"] = counters["unique_authors"].astype("Int64")

    series = snapshot.series
    n = series.length
    starts = [series.start_epoch + i * series.bucket_s for i in range(n)]
    spans = [series.bucket_s] * n
    head_s = 0
    if snapshot.stream_clock is not None:  # the rows cover the window: from its first second to the clock's
        clock_s = int(snapshot.stream_clock.timestamp())
        head_s = series.start_epoch - (clock_s - snapshot.window_s + 1)
        if spans:
            spans[-1] = min(spans[-1], clock_s - starts[-1] + 1)  # the clock's bucket, up to the clock
    if head_s > 0:  # a shorter first row, so the rows add up to the window's counts
        starts.insert(0, series.start_epoch - head_s)
        spans.insert(0, head_s)
    columns: dict[str, Any] = {"start": pd.to_datetime(starts, unit="s", utc=True), "bucket_s": spans}
    for key, counts in series.counts.items():
        columns["all" if key == ALL else key] = ([series.head.get(key, 0)] if head_s > 0 else []) + list(counts)[:n]
    series_df = pd.DataFrame(columns)

    keyword_rows = []
    for topic in snapshot.topics:
        ranked = (keywords or {}).get(topic.name) or list(topic.top_keywords)
        keyword_rows += [{"topic": topic.name, "rank": i + 1, "word": w, "count": n} for i, (w, n) in enumerate(ranked)]
    keywords_df = pd.DataFrame(keyword_rows, columns=["topic", "rank", "word", "count"])

    mix = snapshot.mix
    mix_rows = [{"kind": "posts", "name": "all", "count": mix.tweets, "share": 1.0 if mix.tweets else None}]
    for kind in ("retweets", "quotes", "replies", "links"):
        mix_rows.append({"kind": kind, "name": kind, "count": getattr(mix, kind), "share": mix.share(kind)})
    for kind, items in (("language", mix.languages), ("hashtag", mix.hashtags), ("mention", mix.mentions)):
        mix_rows += [{"kind": kind, "name": name, "count": n,
                      "share": n / mix.tweets if mix.tweets else None} for name, n in items]
    mix_df = pd.DataFrame(mix_rows, columns=["kind", "name", "count", "share"])
    return {"counters": counters, "series": series_df, "keywords": keywords_df, "mix": mix_df}


def write_csv(frames: dict[str, pd.DataFrame], directory: Path) -> list[Path]:
    """One CSV per table in `directory` (created)."""
    if directory.suffix.lower() == ".csv" or str(directory) == "-":
        raise UsageError(f"csv export writes four files: give a directory, not {shown_path(directory)} "
                         "(export json -o - writes to standard output)")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for name in TABLES:
            path = directory / f"{name}.csv"
            _defused(frames[name]).to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
            paths.append(path)
    except OSError as exc:
        raise UsageError(f"cannot write to {shown_path(directory)}: {exc.strerror or exc}") from None
    return paths


def _defuse(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, with a leading `'` (OWASP's advice)."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _defused(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` for CSV: its text cells and headers defused (hashtags, mentions, words and names
    come from the network); numeric columns are left alone, so a count stays a number."""
    out = frame.rename(columns=_defuse)
    for column in out.select_dtypes(include=["object", "string"]).columns:
        out[column] = out[column].map(_defuse)
    return out


def json_document(snapshot: Snapshot, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    clock = snapshot.stream_clock
    doc: dict[str, Any] = {
        "namespace": snapshot.namespace,
        "source": snapshot.source,
        "demo": snapshot.is_demo,
        "window_s": snapshot.window_s,
        "stream_clock": clock.isoformat().replace("+00:00", "Z") if clock else None,
        "exported_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "bucket_s": snapshot.series.bucket_s,
    }
    for name in TABLES:
        doc[name] = json.loads(frames[name].to_json(orient="records", date_format="iso"))
    return doc


def write_json(document: dict[str, Any], output: str) -> Path | None:
    text = json.dumps(document, ensure_ascii=False, indent=1)
    if output == "-":
        try:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            raise  # `| head`: the reader left, not an error (the CLI ends quietly)
        except OSError as exc:
            raise UsageError(f"cannot write to standard output: {exc.strerror or exc}") from None
        return None
    path = Path(output)
    try:
        if path.parent != Path(""):
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {shown_path(path)}: {exc.strerror or exc}") from None
    return path


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(p) for p in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"invalid size {text!r}: use WIDTHxHEIGHT, e.g. 1200x600") from None
    if not (50 <= width <= 8000 and 50 <= height <= 8000):
        raise UsageError("image size must be between 50 and 8000 pixels a side")
    return width, height


def check_font(path: Path) -> None:
    """`--font PATH`: a file Pillow (so wordcloud) can draw with, or a one-line UsageError."""
    from PIL import ImageFont

    try:
        with path.open("rb"):
            pass
        ImageFont.truetype(str(path), 12)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or "not a font file (TrueType, OpenType or a collection)"
        raise UsageError(f"cannot use --font {shown_path(path)}: {reason}") from None


@functools.cache
def font_chars(path: str) -> frozenset[int]:
    """The code points the font at `path` (its first face) has glyphs for, read from its cmap
    once; empty if fontTools cannot read it. fontTools is there: wordcloud needs matplotlib,
    which needs fontTools."""
    from fontTools.ttLib import TTFont

    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            return frozenset(font.getBestCmap() or ())
    except Exception:  # noqa: BLE001 - TTLibError, OSError, struct.error: a file it cannot read
        return frozenset()


def find_font(chars: str) -> str | None:
    """An installed scalable font that has every one of `chars`, found with fontconfig
    (`fc-list :charset=...`): regular upright faces first, then by path, so the choice is
    stable. None when no font has them all, or fontconfig is missing."""
    if not chars:
        return None
    pattern = ":scalable=true:charset=" + " ".join(f"{ord(c):x}" for c in sorted(set(chars)))
    try:
        listed = subprocess.run(["fc-list", "--format", "%{weight}\t%{slant}\t%{file}\n", pattern],
                                capture_output=True, text=True, timeout=FC_TIMEOUT_S, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None

    def rank(line: str) -> tuple[float, float, str]:
        weight, slant, file = line.split("\t", 2)
        weights = [float(w) for w in re.findall(r"[\d.]+", weight)] or [0.0]  # "80", or "[0 210]" (variable)
        off = 0.0 if min(weights) <= 80 <= max(weights) else min(abs(w - 80) for w in weights)  # 80: regular
        return off, float((re.findall(r"[\d.]+", slant) or ["0"])[0]), file

    fonts = sorted(rank(line) for line in listed.splitlines() if line.count("\t") >= 2)
    return fonts[0][2] if fonts else None


def cloud_font(words: list[str], font: Path | None = None) -> tuple[str | None, str]:
    """The font to draw `words` with (None: wordcloud's bundled one) and the characters of
    theirs it lacks. Without `font`, the bundled font while it has every character (its cmap,
    read once), else the installed font `find_font` gives for the characters it lacks."""
    from wordcloud.wordcloud import FONT_PATH

    chars = set("".join(words))
    if font is not None:
        have = font_chars(str(font))
        return str(font), "" if not have else "".join(sorted(c for c in chars if ord(c) not in have))
    lacking = "".join(sorted(c for c in chars if ord(c) not in font_chars(FONT_PATH)))
    found = find_font(lacking)
    return found, "" if found else lacking


def missing_glyphs_note(chars: str, font: Path | None = None) -> str:
    """One line naming the scripts of `chars` (that the cloud's font lacks) and what to do."""
    scripts = dict.fromkeys(_script(c) for c in chars)
    shown = "".join(chars[:12]) + ("…" if len(chars) > 12 else "")
    whose = f"--font {shown_path(font)} lacks" if font else "no installed font has all"
    return (f"note: {whose} the {', '.join(scripts)} characters {shown}: words with them are drawn "
            f"as empty boxes in the word cloud; {FONT_FIX}")


def _script(char: str) -> str:
    """`char`'s script as its Unicode name starts: CJK, HIRAGANA, LINEAR B...; else U+XXXX."""
    name = unicodedata.name(char, "")
    head = re.split(r"-| (?:LETTER|SYLLABLE|IDEOGRAPH|DIGIT|SIGN|VOWEL|CHARACTER|SMALL|CAPITAL)\b", name)[0]
    return "CJK" if head.startswith("CJK") else head or f"U+{ord(char):04X}"


def write_wordcloud(words: list[tuple[str, int]], path: Path, size: tuple[int, int] = DEFAULT_CLOUD_SIZE,
                    font: Path | None = None) -> tuple[Path, str]:
    """A PNG word cloud of `words` (word, count), like the seed's per-candidate clouds, in
    `font` or the one `cloud_font` picks; also the characters of the words the font lacks."""
    from wordcloud import WordCloud

    if path.is_dir() or path.suffix.lower() != ".png":
        raise UsageError("export wordcloud writes a PNG image: give -o a file name ending in .png, "
                         f"not {shown_path(path)}")
    frequencies = {w: n for w, n in words if n > 0}
    if not frequencies:
        raise UsageError("no keywords in the window: nothing to draw")
    font_path, lacking = cloud_font(list(frequencies), font)  # max_words below: every word is drawn
    width, height = size
    cloud = WordCloud(
        font_path=font_path, width=width, height=height, background_color="white", random_state=CLOUD_RANDOM_STATE,
        max_words=len(frequencies), prefer_horizontal=0.9, normalize_plurals=False,
    ).generate_from_frequencies(frequencies)
    try:
        if path.parent != Path(""):
            path.parent.mkdir(parents=True, exist_ok=True)
        cloud.to_file(str(path))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot write {shown_path(path)}: {exc}") from None
    return path, lacking
