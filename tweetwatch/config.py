"""Settings: flags beat environment beat the config file beat defaults.

The config file is TOML, by default `<user config dir>/tweetwatch/config.toml`
(`--config PATH` or `TWEETWATCH_CONFIG` to choose another). Keys mirror the long flags:

    redis = "redis://localhost:6379/0"
    namespace = "election"
    source = "replay"
    speed = "max"
    refresh = 1.0
    demo_rate = 40
    track = ["trump:trump,realdonaldtrump", "biden:biden,joebiden"]
    # or: [topics]  trump = ["trump", "realdonaldtrump"]
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from tweetwatch.errors import UsageError
from tweetwatch.pipeline.text import Topic, tokenize
from tweetwatch.sanitize import clean_text, shown_path
from tweetwatch.secret import Secret, mask_url, user_info_is_cut
from tweetwatch.store.keys import validate_namespace, validate_topic_name

DEFAULT_NAMESPACE = "tweetwatch"
DEMO_NAMESPACE = "tweetwatch-demo"
DEFAULT_TRACK = ("trump:trump,realdonaldtrump", "biden:biden,joebiden")
SOURCES = ("demo", "replay", "x", "jetstream")
LIVE_SOURCES = ("x", "jetstream")
DEFAULT_X_API_URL = "https://api.x.com"
DEFAULT_JETSTREAM_URL = "wss://jetstream2.us-east.bsky.network/subscribe"
WINDOWS_S = (60, 300, 900, 3600)
COLOR_DEPTHS = ("16", "256", "truecolor")
MAX_TOPICS = 16
MAX_KEYWORDS = 50


@dataclass
class Settings:
    command: str = "run"
    redis_url: str | None = None
    """None = the embedded server."""
    namespace: str = DEFAULT_NAMESPACE
    namespace_explicit: bool = False
    topics: tuple[Topic, ...] = ()
    topics_explicit: bool = False
    source: str = "demo"
    source_explicit: bool = False
    replay: list[Path] = field(default_factory=list)
    speed: float | None = None
    """None = as fast as possible."""
    refresh_s: float = 1.0
    retention_s: int = 86400
    """How long minute buckets are kept, in stream time (and the longest window)."""
    window_s: int | None = None
    """None = the command's default (dashboard 5m, summary 1h)."""
    demo_rate: float = 20.0
    state_dir: Path = field(default_factory=lambda: Path(platformdirs.user_state_dir("tweetwatch")))
    config_path: Path | None = None
    json: bool = False
    yes: bool = False
    bearer_token: Secret | None = field(default=None, repr=False)
    """X API bearer token (never printed; see tweetwatch.secret)."""
    x_api_url: str = DEFAULT_X_API_URL
    rule_suffix: str = ""
    jetstream_url: str = DEFAULT_JETSTREAM_URL
    archive: bool = True
    resume: bool = True
    """A source that can (Jetstream, a replay of files) resumes where the namespace's counts end."""
    archive_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("tweetwatch")) / "archive")
    rules_action: str = "list"
    sentiment: bool = True
    """Score posts with VADER (`--no-sentiment` turns it off; it costs throughput)."""
    colors: str | None = None
    """Dashboard colour depth: `16`, `256`, `truecolor`; None = detected."""
    ascii: bool = False
    mouse: bool = True
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("tweetwatch")))
    """Screenshots go to `<data dir>/screenshots`."""

    @property
    def is_demo(self) -> bool:
        return self.source == "demo"


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir("tweetwatch")) / "config.toml"


_TEXT, _NUMBER, _FLAG = "a string", "a number or a string", "true or false"
_TEXTS, _TOPICS = "a list of strings", "a table of lists of strings"
FILE_KEYS = {
    "redis": _TEXT, "namespace": _TEXT, "source": _TEXT, "speed": _NUMBER, "refresh": _NUMBER,
    "window": _NUMBER, "retention": _NUMBER, "demo_rate": _NUMBER, "colors": _NUMBER,
    "track": _TEXTS, "topics": _TOPICS, "replay": _TEXTS, "x_api_url": _TEXT, "jetstream_url": _TEXT,
    "rule_suffix": _TEXT, "archive_dir": _TEXT, "bearer_token": _TEXT, "bearer_token_file": _TEXT,
    "archive": _FLAG, "resume": _FLAG, "sentiment": _FLAG, "ascii": _FLAG, "mouse": _FLAG,
}
"""Every key the config file may hold, with the type it must have."""
MAX_CONFIG_BYTES = 1 << 20
"""A config file is a few hundred bytes: a longer one than this is refused, not read."""


def load_file(path: Path, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise UsageError(f"config file not found: {shown_path(path)}")
        return {}
    try:
        data = tomllib.loads(_read_config(path).decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {shown_path(path)} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"config file {shown_path(path)} is not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"cannot read config file {shown_path(path)}: {exc.strerror}") from None
    check_file(data, path)
    return data


def _read_config(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_CONFIG_BYTES; anything else is a usage error
    (`--config /dev/zero` never ends; a FIFO would wait for a writer, so it is opened without waiting)."""
    with open(path, "rb", opener=_open_without_waiting) as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise UsageError(f"config file {shown_path(path)} is not a regular file")
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise UsageError(f"config file {shown_path(path)} is over {MAX_CONFIG_BYTES >> 20} MiB: not a tweetwatch config")
    return data


def _open_without_waiting(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def check_file(data: dict[str, Any], path: Path) -> None:
    """Refuse unknown keys (a typo would be ignored silently) and values of the wrong type
    (`trump = "trump"` would have become the keywords t, r, u, m, p)."""
    shown = shown_path(path)
    for key, value in data.items():
        wanted = FILE_KEYS.get(key)
        if wanted is None:
            raise UsageError(f"config file {shown}: unknown key {key!r} (known: {', '.join(sorted(FILE_KEYS))})")
        if not _has_type(value, wanted, key):
            raise UsageError(f"config file {shown}: {key!r} must be {wanted}")
    for name, keywords in (data.get("topics") or {}).items():
        if not _has_type(keywords, _TEXTS, "topics"):
            raise UsageError(f"config file {shown}: topics.{name} must be {_TEXTS}, e.g. {name} = [\"{name}\"]")


def _has_type(value: Any, wanted: str, key: str) -> bool:
    if wanted == _TEXT:
        return isinstance(value, str)
    if wanted == _NUMBER:
        return isinstance(value, str | int | float) and not isinstance(value, bool)
    if wanted == _FLAG:
        return isinstance(value, bool)
    if wanted == _TOPICS:
        return isinstance(value, dict)
    if key == "replay" and isinstance(value, str):  # one file may be given as a string
        return True
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def parse_topic(spec: str) -> Topic:
    """`name[:kw1,kw2,...]`; without keywords the name is the keyword."""
    name, _, rest = spec.partition(":")
    name = name.strip().casefold()
    validate_topic_name(name)
    keywords = tuple(k.strip() for k in rest.split(",") if k.strip()) if rest else (name,)
    if not keywords:
        raise UsageError(f"topic {name!r} has no keywords")
    if len(keywords) > MAX_KEYWORDS:
        raise UsageError(f"topic {name!r} has more than {MAX_KEYWORDS} keywords")
    for keyword in keywords:
        if len(keyword) > 64:
            raise UsageError(f"keyword too long (max 64 characters): {keyword[:20]}...")
        if not tokenize(keyword):  # `!!!`, `#`, a URL: matching drops them, so it never matches
            raise UsageError(f"keyword {clean_text(keyword)!r} of topic {name!r} can never match: "
                             "it has no letters or digits outside a URL")
    return Topic(name, keywords)


def parse_topics(specs: list[str]) -> tuple[Topic, ...]:
    topics = tuple(parse_topic(s) for s in specs)
    names = [t.name for t in topics]
    if len(set(names)) != len(names):
        raise UsageError("each topic name may be given once")
    if len(topics) > MAX_TOPICS:
        raise UsageError(f"at most {MAX_TOPICS} topics can be tracked")
    return topics


MIN_SPEED = 0.01


def parse_speed(value: str | float | int) -> float | None:
    text = str(value).strip().lower()
    if text == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        raise UsageError(f"invalid speed {value!r}: use a number > 0 or 'max'") from None
    if not speed >= MIN_SPEED:  # NaN too
        raise UsageError(f"invalid speed {value!r}: use a number from {MIN_SPEED} (100x slower than it was) or 'max'")
    return speed


def parse_duration(value: str | int | float, maximum: int = 86400) -> int:
    """`90`, `90s`, `5m`, `1h`, `1d` -> seconds (between 1 s and `maximum`)."""
    text = str(value).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if text and text[-1] in units:
            seconds = float(text[:-1]) * units[text[-1]]
        else:
            seconds = float(text)
    except ValueError:
        raise UsageError(f"invalid duration {value!r}: use e.g. 30s, 5m, 1h") from None
    if not 1 <= seconds <= maximum:
        raise UsageError(f"invalid duration {value!r}: must be between 1s and {format_duration(maximum)}")
    return int(seconds)


def format_duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def resolve(flags: dict[str, Any], environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
    """Merge flags (only those the user gave), environment, config file and defaults."""
    env = os.environ if environ is None else environ
    settings = Settings(command=flags.get("command") or "run")
    if env.get("TWEETWATCH_STATE_DIR"):
        settings.state_dir = Path(env["TWEETWATCH_STATE_DIR"])

    config_flag = flags.get("config") or env.get("TWEETWATCH_CONFIG")
    config_path = Path(config_flag) if config_flag else default_config_path()
    settings.config_path = config_path
    file = load_file(config_path, explicit=bool(config_flag))

    def pick(flag: str, env_names: tuple[str, ...], file_key: str) -> tuple[Any, bool]:
        if flags.get(flag) is not None:
            return flags[flag], True
        for name in env_names:
            if env.get(name):
                return env[name], True
        if file.get(file_key) is not None:
            return file[file_key], True
        return None, False

    url, _ = pick("redis", ("TWEETWATCH_REDIS_URL", "REDIS_URL"), "redis")
    settings.redis_url = _check_user_info(str(url), "Redis URL") if url else None

    replay = flags.get("replay") or file.get("replay") or []
    if isinstance(replay, str):
        replay = [replay]
    settings.replay = [Path(p).expanduser() for p in replay]

    settings.bearer_token = _bearer_token(flags, env, file)
    source, source_explicit = pick("source", ("TWEETWATCH_SOURCE",), "source")
    if source is None:
        source = "replay" if settings.replay else "x" if settings.bearer_token else "demo"
    source = str(source)
    if source not in SOURCES:
        raise UsageError(f"unknown source {source!r}: choose one of {', '.join(SOURCES)}")
    if source == "x" and not settings.bearer_token and settings.command in ("run", "collect", "rules"):
        raise UsageError(
            "the x source needs a bearer token: set X_BEARER_TOKEN or use --bearer-token-file PATH"
        )
    if source == "replay" and not settings.replay and settings.command in ("run", "collect"):
        raise UsageError("the replay source needs at least one --replay FILE")
    if settings.replay and source != "replay":
        raise UsageError(f"--replay cannot be combined with --source {source}")
    settings.source = source
    settings.source_explicit = source_explicit or bool(settings.replay)

    namespace, ns_explicit = pick("namespace", ("TWEETWATCH_NAMESPACE",), "namespace")
    if namespace is None:
        collecting = settings.command in ("run", "collect")
        demo_reader = settings.source_explicit and source == "demo"
        namespace = DEMO_NAMESPACE if source == "demo" and (collecting or demo_reader) else DEFAULT_NAMESPACE
    settings.namespace = validate_namespace(str(namespace))
    settings.namespace_explicit = ns_explicit

    track = flags.get("track")
    if track:
        settings.topics, settings.topics_explicit = parse_topics(list(track)), True
    elif isinstance(file.get("topics"), dict):
        specs = [f"{name}:{','.join(kws)}" for name, kws in file["topics"].items()]
        settings.topics, settings.topics_explicit = parse_topics(specs), True
    elif file.get("track"):
        settings.topics, settings.topics_explicit = parse_topics(list(file["track"])), True
    else:
        settings.topics = parse_topics(list(DEFAULT_TRACK))

    speed, speed_given = pick("speed", ("TWEETWATCH_SPEED",), "speed")
    if speed_given:
        settings.speed = parse_speed(speed)
    else:
        settings.speed = None if settings.command == "collect" else 1.0

    refresh, _ = pick("refresh", ("TWEETWATCH_REFRESH",), "refresh")
    if refresh is not None:
        settings.refresh_s = _number_between(refresh, 0.1, 60, "refresh interval (seconds)")

    window, window_given = pick("window", ("TWEETWATCH_WINDOW",), "window")
    if window_given:
        settings.window_s = parse_duration(window)

    rate, _ = pick("demo_rate", ("TWEETWATCH_DEMO_RATE",), "demo_rate")
    if rate is not None:
        settings.demo_rate = _number_between(rate, 0.001, 200_000, "demo rate (tweets/s)")

    url, _ = pick("x_api_url", ("TWEETWATCH_X_API_URL",), "x_api_url")
    if url:
        settings.x_api_url = _http_url(str(url), "--x-api-url", ("http", "https"))
    url, _ = pick("jetstream_url", ("TWEETWATCH_JETSTREAM_URL",), "jetstream_url")
    if url:
        settings.jetstream_url = _http_url(str(url), "--jetstream-url", ("ws", "wss"))
    suffix, _ = pick("rule_suffix", ("TWEETWATCH_RULE_SUFFIX",), "rule_suffix")
    settings.rule_suffix = str(suffix or "").strip()
    archive_dir, _ = pick("archive_dir", ("TWEETWATCH_ARCHIVE_DIR",), "archive_dir")
    if archive_dir:
        settings.archive_dir = Path(str(archive_dir)).expanduser()
    elif env.get("TWEETWATCH_STATE_DIR"):
        settings.archive_dir = settings.state_dir / "archive"
    settings.archive = not (flags.get("no_archive") or file.get("archive") is False)
    settings.resume = not (flags.get("no_resume") or file.get("resume") is False)
    settings.rules_action = flags.get("rules_action") or "list"
    settings.sentiment = not (flags.get("no_sentiment") or file.get("sentiment") is False)
    colors, _ = pick("colors", ("TWEETWATCH_COLORS",), "colors")
    if colors is not None:
        settings.colors = str(colors).lower()
        if settings.colors not in COLOR_DEPTHS:
            raise UsageError(f"invalid --colors {colors!r}: choose one of {', '.join(COLOR_DEPTHS)}")
    settings.ascii = bool(flags.get("ascii") or file.get("ascii") is True)
    settings.mouse = not (flags.get("no_mouse") or file.get("mouse") is False)
    if env.get("TWEETWATCH_STATE_DIR"):
        settings.data_dir = settings.state_dir
    retention, _ = pick("retention", ("TWEETWATCH_RETENTION",), "retention")
    if retention is not None:
        settings.retention_s = parse_duration(retention, maximum=7 * 86400)
    settings.json = bool(flags.get("json"))
    settings.yes = bool(flags.get("yes"))
    return settings


def _bearer_token(flags: dict[str, Any], env: Any, file: dict[str, Any]) -> Secret | None:
    """From --bearer-token-file, X_BEARER_TOKEN / TWITTER_BEARER_TOKEN, or the config file.

    Deliberately no flag that takes the token itself: it would sit in shell history and `ps`.
    """
    path = flags.get("bearer_token_file") or file.get("bearer_token_file")
    if path:
        try:
            token = Path(str(path)).expanduser().read_text().strip()
        except OSError as exc:
            raise UsageError(f"cannot read bearer token file {shown_path(path)}: {exc.strerror}") from None
        if not token:
            raise UsageError(f"bearer token file {shown_path(path)} is empty")
        return Secret(token)
    for name in ("X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN"):
        if env.get(name):
            return Secret(env[name])
    if file.get("bearer_token"):
        return Secret(str(file["bearer_token"]))
    return None


def _http_url(url: str, option: str, schemes: tuple[str, ...]) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise UsageError(f"invalid {option}: not a URL") from None
    if parts.scheme not in schemes or not parts.netloc:
        raise UsageError(f"invalid {option} {mask_url(url)!r}: expected a {' or '.join(schemes)} URL")
    return _check_user_info(url, option).rstrip("/")


def _check_user_info(url: str, what: str) -> str:
    """`url`, unless an unencoded `/`, `?` or `#` in its password ends the host part early:
    every client would connect to the user name as a host (or to localhost), with the rest
    of the password in the path, so it is refused before anything connects or prints it."""
    if user_info_is_cut(url):
        raise UsageError(f"invalid {what} {mask_url(url)}: a '/', '?' or '#' in its password ends the host part; "
                         "percent-encode them (%2F, %3F, %23)")
    return url


def _number_between(value: Any, low: float, high: float, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"invalid {what} {value!r}: expected a number") from None
    if not low <= number <= high:
        raise UsageError(f"{what} must be between {low:g} and {high:g}, got {value!r}")
    return number
