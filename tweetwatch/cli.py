"""Command line: `tweetwatch [run|collect|dashboard|summary|reset] [options]`.

Every failure the user can cause or fix ends as one line on stderr and a non-zero exit code
(2 usage, 3 Redis unavailable, 1 anything else); tracebacks go to the log file only.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import logging.handlers
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

from tweetwatch import __version__, native
from tweetwatch.config import DEMO_NAMESPACE, SOURCES, Settings, format_duration, resolve
from tweetwatch.errors import StoreRefused, StoreUnavailable, TweetwatchError, UsageError
from tweetwatch.store.cluster import route_of
from tweetwatch.store.embedded import EmbeddedServer
from tweetwatch.store.keys import NAMESPACE_RE
from tweetwatch.store.lease import CollectorLease
from tweetwatch.sanitize import clean_text, shown_path
from tweetwatch.secret import mask_url, url_has_secret
from tweetwatch.store.redis_store import UNKNOWN_SOURCE, Store, open_client
from tweetwatch.store.snapshot import Snapshot
from tweetwatch.sources.base import Source, label_of

if TYPE_CHECKING:
    from textual.app import App

    from tweetwatch.pipeline.collector import Collector

log = logging.getLogger("tweetwatch")

COMMANDS = ("run", "collect", "dashboard", "summary", "reset", "replay", "rules", "process", "export")
SUMMARY_WINDOW_S = 3600
DASHBOARD_WINDOW_S = 300
EXIT_INTERRUPTED = 130
LONG_RUNNING = ("run", "dashboard", "collect", "process")
"""Commands whose command line (`ps`) stays visible for long: a password there gets a note."""
HANGUP_GRACE_S = 10.0
"""After SIGHUP, how long the dashboard may take to close before `exit_if_stuck` ends it."""
TERMINAL_CHECK_S = 1.0
"""How often the dashboard checks that its terminal is still there (see `watch_terminal`)."""
STOP_GRACE_S = 20.0
"""After a stop request, how long `collect` and `run` wait for the collector to write what it
holds (it gives an unreachable Redis DRAIN_GRACE_S of that, plus a socket timeout for a hung
one) before they exit anyway."""
DRAIN_NOTICE_S = 1.0
"""A stop that takes longer than this (Redis away) says on stderr what it waits for."""


# --- argument parsing ---------------------------------------------------------------------


def _shared_options(parser: argparse.ArgumentParser) -> None:
    """Options every command takes; SUPPRESS so a subcommand's copy never hides the main one."""
    S = argparse.SUPPRESS
    g = parser.add_argument_group("shared options")
    g.add_argument("--redis", metavar="URL", default=S,
                   help="Redis/Valkey URL (env TWEETWATCH_REDIS_URL, REDIS_URL); default: a private embedded server")
    g.add_argument("--namespace", metavar="NS", default=S,
                   help="key namespace (default 'tweetwatch'; demo data goes to 'tweetwatch-demo')")
    g.add_argument("--track", metavar="NAME[:KW,...]", action="append", default=S,
                   help="topic to track, repeatable (default trump:trump,realdonaldtrump and biden:biden,joebiden)")
    g.add_argument("--replay", metavar="FILE", action="append", default=S,
                   help="replay a JSON-lines file (v1.1 or v2, .gz too); repeatable; selects the replay source")
    g.add_argument("--speed", metavar="N|max", default=S,
                   help="replay pace: 1 = original pace by created_at, max = as fast as possible "
                        "(default max for collect, 1 for run)")
    g.add_argument("--source", choices=SOURCES, default=S, help="where posts come from (default: replay with --replay, x with a bearer token, else demo)")
    g.add_argument("--demo-rate", metavar="N", dest="demo_rate", default=S,
                   help="mean tweets per second of the demo stream (default 20)")
    g.add_argument("--refresh", metavar="SECONDS", default=S, help="dashboard refresh interval (default 1)")
    g.add_argument("--window", metavar="W", default=S,
                   help="time window for windowed figures, e.g. 1m, 5m, 15m, 1h (default: 5m dashboard, 1h summary)")
    g.add_argument("--retention", metavar="D", default=S,
                   help="keep per-minute buckets this long in stream time, e.g. 6h (default 24h, max 7d)")
    g.add_argument("--config", metavar="PATH", default=S,
                   help="TOML config file (default: <user config dir>/tweetwatch/config.toml)")
    live = parser.add_argument_group("live sources")
    live.add_argument("--bearer-token-file", metavar="PATH", dest="bearer_token_file", default=S,
                      help="file holding the X API bearer token (or env X_BEARER_TOKEN / TWITTER_BEARER_TOKEN; "
                           "there is deliberately no flag that takes the token itself)")
    live.add_argument("--x-api-url", metavar="URL", dest="x_api_url", default=S,
                      help="X API base URL, e.g. a proxy or gateway (env TWEETWATCH_X_API_URL; default https://api.x.com)")
    live.add_argument("--rule-suffix", metavar="TEXT", dest="rule_suffix", default=S,
                      help="appended to every X stream rule, e.g. 'lang:en -is:retweet'")
    live.add_argument("--jetstream-url", metavar="URL", dest="jetstream_url", default=S,
                      help="Bluesky Jetstream endpoint (default wss://jetstream2.us-east.bsky.network/subscribe)")
    live.add_argument("--archive-dir", metavar="DIR", dest="archive_dir", default=S,
                      help="where live sources archive raw lines (default <user data dir>/tweetwatch/archive)")
    live.add_argument("--no-archive", action="store_true", dest="no_archive", default=S,
                      help="do not archive raw lines of live sources")
    live.add_argument("--no-resume", action="store_true", dest="no_resume", default=S,
                      help="start Jetstream from now, and a replay from its first line, not where the last "
                           "run's counts in this namespace end")
    look = parser.add_argument_group("analysis and terminal")
    look.add_argument("--no-sentiment", action="store_true", dest="no_sentiment", default=S,
                      help="do not score posts with VADER (sentiment costs ingest throughput)")
    look.add_argument("--colors", choices=("16", "256", "truecolor"), default=S,
                      help="dashboard colour depth (default: detected); 16 also uses the terminal's own palette")
    look.add_argument("--ascii", action="store_true", default=S,
                      help="draw charts with plain characters (for fonts without braille glyphs)")
    look.add_argument("--no-mouse", action="store_true", dest="no_mouse", default=S,
                      help="do not capture the mouse (terminal text selection keeps working)")


class _OneLineErrors(argparse.ArgumentParser):
    """Usage mistakes in one line, like every other error, not argparse's usage block: the
    options are a `--help` away."""

    def error(self, message: str) -> NoReturn:
        if message.endswith("expected one argument") and _value_looks_like_an_option(message):
            message += "; a value starting with - is given as --option=value"  # `--retention -5m`
        self.exit(2, f"tweetwatch: {clean_text(message, 300)} (`{self.prog} --help` lists the options)\n")


def _value_looks_like_an_option(message: str) -> bool:
    """Whether the option argparse names in `message` is followed on the command line by a
    word starting with `-` (taken for an option), rather than by nothing."""
    option = message.removeprefix("argument ").partition(":")[0].split("/")[0]
    args = sys.argv[1:]
    return any(word == option and later.startswith("-") for word, later in zip(args, args[1:]))


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineErrors(
        prog="tweetwatch",
        description="Watch a live stream of posts in your terminal: topic counts, keywords and rates.",
        epilog="Without a command, tweetwatch runs the collector and the dashboard together (run).",
    )
    parser.add_argument("--version", action="version", version=f"tweetwatch {__version__} ({native.status()})")
    _shared_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    helps = {
        "run": "collector and dashboard in one process (the default)",
        "collect": "collector only, no dashboard; status lines on stderr",
        "dashboard": "dashboard only, attached to an existing Redis/namespace",
        "summary": "print the current aggregates once and exit",
        "reset": "delete the namespace's keys",
        "replay": "re-watch recorded files (archives too): collector and dashboard, like run --replay",
        "rules": "list, sync or clear tweetwatch's X filtered-stream rules",
        "process": "scale-out worker: aggregate raw lines from `collect --raw-only` (consumer group)",
        "export": "write counters, series and keywords as CSV/JSON, or a topic's word cloud as PNG",
    }
    for name in COMMANDS:
        command = sub.add_parser(name, help=helps[name], description=helps[name])
        _shared_options(command)
        if name == "summary":
            command.add_argument("--json", action="store_true", help="print JSON")
        if name == "reset":
            command.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        if name == "collect":
            command.add_argument("--raw-only", action="store_true", dest="raw_only",
                                 help="put raw lines on a Redis stream for `process` workers instead of aggregating")
            command.add_argument("--raw-maxlen", type=int, default=None, dest="raw_maxlen", metavar="N",
                                 help="cap of the raw stream (default 200000 lines)")
            command.add_argument("--group", default=None,
                                 help="with --raw-only: the consumer group of the `process` workers, created with the "
                                      "stream so that lines the cap drops before they read them are reported "
                                      "(default tweetwatch)")
        if name == "process":
            command.add_argument("--group", default=None, help="consumer group (default tweetwatch)")
            command.add_argument("--consumer", default=None, help="consumer name (default host-pid)")
            command.add_argument("--claim-idle", type=float, default=30.0, dest="claim_idle", metavar="SECONDS",
                                 help="claim entries a dead worker left pending this long (default 30)")
            command.add_argument("--exit-when-idle", action="store_true", dest="exit_when_idle",
                                 help="exit once the forwarder (`collect --raw-only`) has stopped, the stream is "
                                      "drained and nothing is pending; a lull while it runs is not the end, and workers "
                                      "may start before it (they wait for it to record its topics)")
        if name == "export":
            command.add_argument("export_kind", metavar="KIND", choices=("csv", "json", "wordcloud"),
                                 help="csv (a directory of tables), json (one file, - for stdout) or wordcloud (PNG)")
            command.add_argument("-o", "--output", required=True, metavar="PATH", help="where to write")
            command.add_argument("--topic", metavar="NAME", help="topic of the word cloud")
            command.add_argument("--size", metavar="WxH", default="1200x600", help="word cloud image size (default 1200x600)")
            command.add_argument("--font", metavar="PATH", type=Path,
                                 help="word cloud font file (default: the bundled one, or an installed font "
                                      "with the words' characters)")
        if name == "replay":
            command.add_argument("files", metavar="FILE", nargs="+", help="JSON-lines files, .gz too")
        if name == "rules":
            command.add_argument("rules_action", metavar="ACTION", nargs="?", default="list",
                                 choices=("list", "sync", "clear"), help="list (default), sync or clear")
    return parser


# --- backend ------------------------------------------------------------------------------


@dataclass
class Backend:
    store: Store
    embedded: EmbeddedServer | None
    label: str


class _OneLineFormatter(logging.Formatter):
    """Console lines never carry a traceback (those go to the log file only)."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        lines = self.formatMessage(record).splitlines()
        return clean_text(lines[0]) if lines else ""


class _LogFile(logging.handlers.RotatingFileHandler):
    """The log file; when a record cannot be written (a full disk), one line says so on
    stderr, once, instead of logging's traceback for every record (a service's journal)."""

    _failed = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        if not self._failed:
            self._failed = True
            error = sys.exc_info()[1]
            try:
                print(f"tweetwatch: cannot write the log {shown_path(self.baseFilename)}: {error}; going on without it",
                      file=sys.stderr)
            except (OSError, ValueError):
                pass


def _setup_logging(settings: Settings, to_stderr: bool) -> Path | None:
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for noisy in ("tweepy", "urllib3", "requests", "oauthlib", "requests_oauthlib", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)  # never log request headers
    log_path: Path | None = None
    try:
        settings.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        log_path = settings.state_dir / "tweetwatch.log"
        handler = _LogFile(log_path, maxBytes=5_000_000, backupCount=3)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    except OSError:
        log_path = None
    if to_stderr:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.WARNING)
        console.setFormatter(_OneLineFormatter("tweetwatch: %(message)s"))
        console.addFilter(lambda record: not getattr(record, "raised", False))  # main prints those
        root.addHandler(console)
    return log_path


def connect(settings: Settings, role: str, wait: bool = False, stop: threading.Event | None = None,
            check: bool = True) -> Backend:
    """Connect to the configured Redis or the embedded server.

    `wait`: retry (with a visible message) until the server answers. `check=False`: don't
    check at all — the dashboard starts anyway and shows "Redis unreachable — retrying".
    """
    embedded: EmbeddedServer | None = None
    if settings.redis_url:
        url, label = settings.redis_url, mask_url(settings.redis_url)
    else:
        embedded = EmbeddedServer(settings.state_dir / "valkey")
        embedded.ensure_running()
        url, label = embedded.url, "embedded valkey"
    client = open_client(url, role, settings.namespace)  # on a Redis Cluster: the namespace's master
    store = Store(client, settings.namespace, url_label=label, retention_s=settings.retention_s)
    route = route_of(client)
    if embedded is not None:
        store.recover = embedded.ensure_running  # killed under us: restart it from its data
    elif route is not None:
        store.recover = route.refresh  # a cluster master died: ask the other nodes who owns the slot
    delay = 0.5
    while check:
        try:
            store.check_server()
            break
        except StoreRefused:
            raise  # wrong password, no permission, no scripting: waiting cannot help
        except StoreUnavailable as exc:
            if not wait or (stop is not None and stop.is_set()):
                raise
            log.warning("%s; retrying in %s s", exc, f"{delay:g}")  # 0.5, 1, 2 ... ("0 s" before)
            if not _logs_to_stderr():  # say it once, not twice
                print(f"tweetwatch: {exc}; retrying in {delay:g} s", file=sys.stderr)
            if stop is not None:
                stop.wait(delay)
            else:
                time.sleep(delay)
            delay = min(delay * 2, 10)
    return Backend(store, embedded, label)


def _logs_to_stderr() -> bool:
    return any(isinstance(h, logging.StreamHandler) and h.stream is sys.stderr for h in logging.getLogger().handlers)


def _lease(backend: Backend, source: Source, required: bool) -> CollectorLease:
    """The namespace's lease for `source` (store/lease.py). Raises NamespaceBusy when another
    live process reads the same source into the namespace. `required=False` (the dashboard
    with its collector, which starts while Redis may be away): an unreachable server defers
    taking it to the collector's first renewal."""
    lease = CollectorLease(backend.store, label_of(source))
    try:
        lease.acquire()
    except StoreRefused:
        raise
    except StoreUnavailable:
        if required:
            raise
    return lease


def _release(backend: Backend | None, lease: CollectorLease | None = None) -> None:
    if lease is not None:
        lease.release()
    if backend is None:
        return
    try:
        backend.store.client.close()
    except Exception:
        pass
    if backend.embedded is not None:
        backend.embedded.stop_if_last()


def make_source(settings: Settings):  # noqa: ANN201 - returns a Source
    """The configured source; live sources are wrapped so raw lines are archived."""
    if settings.source == "replay":
        from tweetwatch.sources.replay import ReplaySource

        return ReplaySource(settings.replay, speed=settings.speed)
    if settings.source == "demo":
        from tweetwatch.sources.demo import DemoSource

        return DemoSource(topics=[(t.name, t.keywords) for t in settings.topics], rate=settings.demo_rate)
    if settings.source == "x":
        from tweetwatch.sources.x import XSource

        live = XSource(
            bearer_token=settings.bearer_token,
            topics=settings.topics,
            api_url=settings.x_api_url,
            rule_suffix=settings.rule_suffix,
        )
    else:
        from tweetwatch.sources.jetstream import JetstreamSource

        live = JetstreamSource(url=settings.jetstream_url)
    if not settings.archive:
        return live
    from tweetwatch.sources.archive import Archive, ArchivingSource

    return ArchivingSource(live, Archive(settings.archive_dir, live.label))


@contextmanager
def _stop_signals(on_signal: Callable[[int], None]) -> Iterator[None]:
    """Route SIGTERM and SIGHUP (the SSH session closing) to a clean stop."""
    previous: dict[int, object] = {}

    def handler(signum: int, _frame: FrameType | None) -> None:
        on_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)  # type: ignore[arg-type]


def exit_if_stuck(finish: Callable[[], None], grace_s: float = HANGUP_GRACE_S,
                  leave: Callable[[int], None] = os._exit) -> None:
    """After SIGHUP (the terminal gone): Textual's shutdown writes to the dead terminal and,
    about once in 15 `tmux kill-session`, blocks there for good (its writer thread's queue),
    deaf to SIGTERM, and `tweetwatch` kept its collector and lease alive as an orphan. If the
    process is still here after `grace_s`, `finish` (write what is held, release the lease
    and the embedded server) and leave."""
    time.sleep(grace_s)
    log.warning("the terminal went away and the dashboard did not close within %.0f s; leaving", grace_s)
    try:
        finish()
    finally:
        leave(0)


def watch_terminal(fd: int, on_gone: Callable[[], None], done: threading.Event,
                   every_s: float = TERMINAL_CHECK_S) -> None:
    """Call `on_gone` once if the terminal on `fd` goes away, until `done` is set. A terminal
    closing without a SIGHUP (a dashboard whose pty is not its controlling terminal, or
    whose SIGHUP was ignored) leaves Textual's input thread reading end-of-file in a busy
    loop, ~90% of a core for good. A hung-up terminal refuses `tcgetattr` (EIO): one ioctl
    a second notices it."""
    import termios

    while not done.wait(every_s):
        try:
            termios.tcgetattr(fd)
        except (OSError, termios.error):
            on_gone()
            return


def _status_printer() -> Callable[[str], None]:
    """Status lines on stderr, from any thread; never raises. When stderr is gone, EIO (the
    terminal went away: a disowned job after its SSH session ended) or EPIPE (its reader
    left), it is pointed at /dev/null, so no later write fails (a log line, the exit's
    flush), and the command goes on: a terminal closing sends SIGHUP, which stops it, and a
    job that got none was disowned to keep running. The log file still has everything.
    Other write errors (a full disk) drop the line."""
    gone = threading.Event()

    def emit(line: str) -> None:
        if gone.is_set():
            return
        try:
            print(f"tweetwatch: {line}", file=sys.stderr, flush=True)
        except OSError as exc:
            if exc.errno not in (errno.EIO, errno.EPIPE) or gone.is_set():
                return
            gone.set()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
            log.warning("stderr is gone (%s); going on without status lines", os.strerror(exc.errno))

    return emit


# --- commands -----------------------------------------------------------------------------


def cmd_collect(settings: Settings) -> int:
    source = make_source(settings)  # fails early on a missing replay file
    stop = threading.Event()
    with _stop_signals(lambda _signum: stop.set()):  # from the start: a stop while connecting is clean too
        return _collect(settings, source, stop)


def _collect(settings: Settings, source: Source, stop: threading.Event) -> int:
    from tweetwatch.pipeline.collector import Collector

    backend = connect(settings, "collector", wait=True, stop=stop)
    lease: CollectorLease | None = None
    collector: Collector | None = None
    try:
        lease = _lease(backend, source, required=True)
        status = _status_printer()
        collector = Collector(
            source, backend.store, settings.topics, is_demo=settings.is_demo, resume=settings.resume,
            on_status=status, lease=lease,
        )
        collector.batches.aggregator.set_sentiment(settings.sentiment)
        collector.start()
        try:
            while not stop.is_set() and not collector.wait(0.2):
                pass
        except KeyboardInterrupt:
            status("stopping; writing what was collected (ctrl+c again to abort)")
        _drain(collector, notify=status)
        return 0
    finally:
        _release(backend, None if _redis_lost(collector) else lease)


def _drain(collector: Collector, notify: Callable[[str], None]) -> None:
    """Stop `collector` and wait (at most STOP_GRACE_S) for it to write what it holds; a wait
    longer than DRAIN_NOTICE_S is said through `notify`. Raises the collector's error, or
    StoreUnavailable (exit 3) when Redis stayed unreachable with tweets not written.
    `collect` and `run` both stop their collector here."""
    collector.stop()
    finished = collector.wait(DRAIN_NOTICE_S)
    if not finished:
        held = collector.stats.unwritten_tweets
        waiting = f"writing {held:,} held tweets to Redis" if held else "waiting for the collector to write what it holds"
        notify(f"stopping: {waiting} (at most {STOP_GRACE_S - DRAIN_NOTICE_S:.0f} s more)")
        finished = collector.wait(STOP_GRACE_S - DRAIN_NOTICE_S)
    stats = collector.stats
    if finished and collector.error is not None:
        raise collector.error
    if stats.unwritten_tweets and (finished or stats.last_error):  # unfinished: a hung Redis holds the writer
        reason = f" ({stats.last_error})" if stats.last_error else ""
        raise StoreUnavailable(f"stopping with {stats.unwritten_tweets:,} tweets not written: "
                               f"Redis stayed unreachable{reason}")
    if not finished:
        raise TweetwatchError(f"the collector did not finish within {STOP_GRACE_S:.0f} s of the stop; "
                              f"{stats.unwritten_tweets:,} tweets not written")


def _redis_lost(collector: Collector | None) -> bool:
    """Whether `collector` stopped holding tweets Redis never took (see `_drain`). Its lease is
    then left to expire (15 s; at once for a successor on this host): releasing it would wait
    out another socket timeout on a hung server, and fail on a dead one."""
    return collector is not None and collector.stats.unwritten_tweets > 0 and bool(collector.stats.last_error)


def _checked_name(what: str, value: str) -> str:
    """A consumer or group name (part of Redis keys and replies), or UsageError."""
    if not NAMESPACE_RE.match(value):
        raise UsageError(f"invalid {what} name {value!r}: use 1-64 letters, digits, '_', '-' or '.'")
    return value


def _group_flag(flags: dict[str, object]) -> str:
    from tweetwatch.store.raw_stream import DEFAULT_GROUP

    return _checked_name("group", str(flags.get("group") or DEFAULT_GROUP))


def cmd_collect_raw(settings: Settings, flags: dict[str, object]) -> int:
    from tweetwatch.pipeline.workers import RawForwarder
    from tweetwatch.store.raw_stream import DEFAULT_RAW_MAXLEN, RawStream

    maxlen: int | None = flags.get("raw_maxlen")  # type: ignore[assignment]
    if maxlen is not None and maxlen < 1:
        raise UsageError(f"invalid --raw-maxlen {maxlen}: give the number of lines the stream keeps (1 or more)")
    group = _group_flag(flags)
    source = make_source(settings)
    stop = threading.Event()
    with _stop_signals(lambda _signum: stop.set()):  # from the start: a stop while connecting is clean too
        backend = connect(settings, "forwarder", wait=True, stop=stop)
        lease: CollectorLease | None = None
        try:
            lease = _lease(backend, source, required=True)
            backend.store.write_meta(settings.topics, source.label, settings.is_demo)
            forwarder = RawForwarder(source, RawStream(backend.store, maxlen or DEFAULT_RAW_MAXLEN),
                                     on_status=_status_printer(),
                                     resume=settings.resume, lease=lease, topics=settings.topics,
                                     is_demo=settings.is_demo, group=group)
            try:
                forwarder.run(stop)
            except KeyboardInterrupt:
                stop.set()
            return 0
        finally:
            _release(backend, lease)


def cmd_process(settings: Settings, flags: dict[str, object]) -> int:
    from tweetwatch.pipeline.workers import Processor, default_consumer_name
    from tweetwatch.store.raw_stream import RawStream

    claim_idle = float(flags.get("claim_idle") or 30)  # type: ignore[arg-type]
    if not 0.1 <= claim_idle <= 86_400:  # NaN fails this too
        raise UsageError(f"invalid --claim-idle {claim_idle}: give seconds between 0.1 and 86400")
    claim_idle_ms = int(claim_idle * 1000)
    consumer = _checked_name("consumer", str(flags.get("consumer") or default_consumer_name()))
    group = _group_flag(flags)
    stop = threading.Event()
    with _stop_signals(lambda _signum: stop.set()):  # from the start: a stop while connecting is clean too
        backend = connect(settings, "process", wait=True, stop=stop)
        try:
            worker = Processor(
                backend.store, RawStream(backend.store),
                group=group,
                consumer=consumer,
                claim_idle_ms=claim_idle_ms,
                exit_when_idle=bool(flags.get("exit_when_idle")),
                sentiment=settings.sentiment,
            )
            try:
                worker.run(stop, on_status=_status_printer())
            except KeyboardInterrupt:
                stop.set()
            return 0
        finally:
            _release(backend)


def _read_retained(store: Store, window_s: int) -> Snapshot:
    """The snapshot of `window_s`, or of the collector's retention when that is shorter (said
    on stderr): older minutes are deleted, so a longer window would show the retention's
    figures under its name. The snapshot carries the retention: a second read only then."""
    snapshot = store.read_snapshot(window_s)
    retention_s = snapshot.retention_s
    if retention_s is None or window_s <= retention_s:
        return snapshot
    print(f"tweetwatch: window {format_duration(window_s)} is longer than the collector's retention; "
          f"showing the last {format_duration(retention_s)}", file=sys.stderr)
    return store.read_snapshot(retention_s)


def _note_if_nothing_recorded(settings: Settings, snapshot: Snapshot) -> None:
    """A mistyped namespace looks like an idle one otherwise."""
    if snapshot.source == UNKNOWN_SOURCE and not (snapshot.total or snapshot.control or snapshot.rejected):
        print(f"tweetwatch: nothing recorded in namespace '{settings.namespace}' yet"
              + (f" (the demo's data is in '{DEMO_NAMESPACE}')" if settings.namespace != DEMO_NAMESPACE else ""),
              file=sys.stderr)


def cmd_summary(settings: Settings) -> int:
    from tweetwatch.summary import summary_dict, summary_text

    backend = connect(settings, "summary")
    try:
        snapshot = _read_retained(backend.store, settings.window_s or SUMMARY_WINDOW_S)
    finally:
        _release(backend)
    _note_if_nothing_recorded(settings, snapshot)
    if settings.json:
        print(json.dumps(summary_dict(snapshot), ensure_ascii=False))
    else:
        print(summary_text(snapshot))
    return 0


def cmd_export(settings: Settings, flags: dict) -> int:
    from pathlib import Path

    from tweetwatch import export

    kind = flags["export_kind"]
    size = export.parse_size(flags.get("size") or "1200x600")
    font = flags.get("font")
    if font is not None:
        export.check_font(font)
    backend = connect(settings, "export")
    try:
        snapshot = _read_retained(backend.store, settings.window_s or SUMMARY_WINDOW_S)
        window_s = snapshot.window_s
        names = [t.name for t in snapshot.topics]
        if kind == "wordcloud":
            topic = (flags.get("topic") or "").casefold()
            if topic not in names:
                known = ", ".join(names) or "none recorded yet"
                given = f"unknown topic {flags['topic']!r}" if flags.get("topic") else "needs --topic NAME"
                raise UsageError(f"export wordcloud {given} (topics: {known})")
            words = backend.store.read_top_words(topic, window_s, export.CLOUD_WORDS)
            path, lacking = export.write_wordcloud(words, Path(flags["output"]), size, font)
            if lacking:
                print(f"tweetwatch: {export.missing_glyphs_note(lacking, font)}", file=sys.stderr)
            print(f"wrote {shown_path(path)}", file=sys.stderr)
            return 0
        top = {name: backend.store.read_top_words(name, window_s, export.KEYWORDS_PER_TOPIC) for name in names}
    finally:
        _release(backend)
    _note_if_nothing_recorded(settings, snapshot)
    frames = export.tables(snapshot, top)
    if kind == "csv":
        paths = export.write_csv(frames, Path(flags["output"]))
        print(f"wrote {', '.join(shown_path(p) for p in paths)}", file=sys.stderr)
    else:
        written = export.write_json(export.json_document(snapshot, frames), flags["output"])
        if written is not None:
            print(f"wrote {shown_path(written)}", file=sys.stderr)
    return 0


def cmd_reset(settings: Settings) -> int:
    backend = connect(settings, "reset")
    try:
        if not settings.yes:
            if not sys.stdin.isatty():
                raise UsageError("reset needs --yes when not run from a terminal")
            try:
                answer = input(f"Delete every key of namespace '{settings.namespace}' on {backend.label}? [y/N] ")
            except EOFError:  # ctrl+d: no
                answer = ""
                print(file=sys.stderr)
            if answer.strip().lower() not in ("y", "yes"):
                print("nothing deleted", file=sys.stderr)
                return 1
        deleted = backend.store.reset()
        print(f"deleted {deleted} keys of namespace '{settings.namespace}'", file=sys.stderr)
        return 0
    finally:
        _release(backend)


def cmd_dashboard(settings: Settings, with_collector: bool) -> int:
    from tweetwatch.pipeline.collector import Collector
    from tweetwatch.tui.app import DashboardApp

    from tweetwatch.sources.replay import STDIN

    if with_collector and settings.source == "replay" and STDIN in settings.replay:
        raise UsageError("--replay - reads standard input, which the dashboard needs for its keys: "
                         "run `tweetwatch collect --replay -` and watch it with `tweetwatch dashboard`")
    source = make_source(settings) if with_collector else None
    backend = connect(settings, "run" if with_collector else "dashboard", check=False)
    collector: Collector | None = None
    lease: CollectorLease | None = None
    try:
        if source is not None:
            lease = _lease(backend, source, required=False)
            collector = Collector(source, backend.store, settings.topics, is_demo=settings.is_demo,
                                  resume=settings.resume, lease=lease)
            collector.batches.aggregator.set_sentiment(settings.sentiment)
            collector.start()
        reader = Store(backend.store.client, settings.namespace, url_label=backend.label)
        reader.recover = backend.store.recover
        app = DashboardApp(reader, refresh_s=settings.refresh_s, window_s=settings.window_s or DASHBOARD_WINDOW_S,
                           colors=settings.colors, ascii_only=settings.ascii,
                           screenshot_dir=settings.data_dir / "screenshots")

        def stop_collector() -> None:  # the screen is left: stderr is the terminal's again
            if collector is not None:
                _drain(collector, notify=_status_printer())

        def finish() -> None:  # the hangup watchdog's way out: log, never raise
            try:
                if collector is not None:
                    _drain(collector, notify=log.warning)
            except TweetwatchError as exc:
                log.error("%s", exc)
            finally:
                _release(backend, None if _redis_lost(collector) else lease)

        def request_exit(signum: int) -> None:
            loop = getattr(app, "_loop", None)
            if loop is not None:
                loop.call_soon_threadsafe(app.exit)
            if signum == signal.SIGHUP:
                threading.Thread(target=exit_if_stuck, args=(finish,), daemon=True, name="hangup-watchdog").start()

        closed = threading.Event()
        if sys.stdin.isatty():
            threading.Thread(target=watch_terminal, args=(sys.stdin.fileno(), lambda: request_exit(signal.SIGHUP), closed),
                             daemon=True, name="terminal-watch").start()
        with _stop_signals(request_exit):
            try:
                _run_app(app, settings.mouse, then=stop_collector)
            finally:
                closed.set()
        return 0
    finally:
        _release(backend, None if _redis_lost(collector) else lease)


def _run_app(app: App[Any], mouse: bool, then: Callable[[], None]) -> None:
    """`app.run()`, calling `then` as soon as the app has left the screen: before asyncio.run
    waits for the app's thread workers, which a read in flight on a hung Redis holds for up
    to its socket timeout. The collector's drain runs meanwhile, and says what it waits for."""

    async def run() -> None:
        await app.run_async(mouse=mouse)
        then()

    asyncio.run(run())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    flags = {k: v for k, v in vars(args).items()}
    command = flags.get("command") or "run"
    if command == "replay":  # `tweetwatch replay FILE...` is `tweetwatch run --replay FILE...`
        flags["replay"] = [*(flags.get("replay") or []), *flags.pop("files")]
        command = "run"
    flags["command"] = command
    try:
        settings = resolve(flags)
        _setup_logging(settings, to_stderr=command in ("collect", "process"))
        if command in LONG_RUNNING and flags.get("redis") and url_has_secret(str(flags["redis"])):
            print("tweetwatch: note: the password in --redis can be read by every user of this machine "
                  "(ps, /proc) while this runs; put the URL in TWEETWATCH_REDIS_URL instead", file=sys.stderr)
        if flags.get("raw_maxlen") is not None and not flags.get("raw_only"):
            raise UsageError("--raw-maxlen is the raw stream's cap: it goes with --raw-only")
        if command == "collect" and flags.get("group") is not None and not flags.get("raw_only"):
            raise UsageError("--group is the workers' consumer group: it goes with --raw-only")
        if command == "collect" and flags.get("raw_only"):
            return cmd_collect_raw(settings, flags)
        if command == "collect":
            return cmd_collect(settings)
        if command == "process":
            return cmd_process(settings, flags)
        if command == "summary":
            return cmd_summary(settings)
        if command == "reset":
            return cmd_reset(settings)
        if command == "export":
            return cmd_export(settings, flags)
        if command == "rules":
            from tweetwatch.sources.x import cmd_rules

            return cmd_rules(settings)
        return cmd_dashboard(settings, with_collector=command == "run")
    except TweetwatchError as exc:
        print(f"tweetwatch: {clean_text(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tweetwatch: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `tweetwatch summary | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug: one line for the user, the traceback in the log
        log.exception("unexpected error")
        print(f"tweetwatch: unexpected error: {type(exc).__name__}: {clean_text(str(exc))} (details in the log file)",
              file=sys.stderr)
        return 1
