"""The live X API v2 filtered stream, through tweepy's `StreamingClient`.

`XSource.lines(stop)` starts a helper thread that syncs the stream rules (see `x_rules`) and
then runs tweepy's stream loop, one connection at a time; raw lines go through a queue, and
`lines()` yields them, or `None` every 100 ms while nothing arrives, so the collector can
flush on time. The collector does the parsing: a line is handed on exactly as X sent it.

Connection policy (X's "handling disconnections" guide, the schedule tweepy implements):

* network errors, stalls, streams the server closed, `operational-disconnect` lines:
  reconnect after a linear backoff, 0.25 s more each attempt, at most 16 s;
* HTTP errors (5xx and other unexpected statuses): exponential, 5 s doubling to 320 s;
* 429 (rate limit, TooManyConnections): exponential from 60 s, at most 320 s, and never
  before the time X gives for the limit's reset (`x-rate-limit-reset`, or `Retry-After`;
  at most 15 min ahead): another attempt before it only meets another 429;
* 401/403/404: stop at once with one line that names what to fix; no retry loop.

A stall is no byte (not even a keep-alive `\\r\\n`, which X sends every ~20 s) for
`stall_timeout` seconds (default 20): it is the read timeout of the stream request. The
backoff counters reset once a connection delivers its first line. tweepy's own
`_connect` loop would sleep with fixed, uninterruptible `time.sleep` calls and cannot say
how long it waits, so each tweepy connection attempt here ends after one try (its public
`on_*` hooks call `disconnect()`), and this module waits (interruptibly, visibly in
`state`) before the next. The environment variables `TWEETWATCH_X_STALL_TIMEOUT` (seconds)
and `TWEETWATCH_X_BACKOFF_SCALE` (a factor on every wait) exist so tests run in seconds.

Secrets: the bearer token is a `Secret`; it is revealed only when the tweepy client is
built (tweepy puts it in the Authorization header). Nothing here logs a request, and
tweepy's DEBUG logging (which prints headers) is held at INFO or above.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import requests
import tweepy

from tweetwatch.config import DEFAULT_X_API_URL
from tweetwatch.errors import TweetwatchError, UsageError
from tweetwatch.pipeline.text import Topic
from tweetwatch.sanitize import clean_text
from tweetwatch.secret import Secret, mask_url
from tweetwatch.sources.x_http import ApiHostAdapter, mount, quiet_tweepy_debug_logging
from tweetwatch.sources.x_rules import Rule, RuleRecord, desired_rules, is_ours, plan_sync

log = logging.getLogger(__name__)

DEFAULT_STALL_TIMEOUT_S = 20.0
IDLE_YIELD_S = 0.1
QUEUE_LINES = 50_000
"""Raw lines read but not yet taken by the collector, at most."""
EXPANSIONS = ("author_id", "referenced_tweets.id")
TWEET_FIELDS = ("author_id", "created_at", "entities", "lang", "note_tweet", "referenced_tweets")
USER_FIELDS = ("username", "name")

NETWORK_STEP_S, NETWORK_MAX_S = 0.25, 16.0
HTTP_START_S, HTTP_MAX_S = 5.0, 320.0
RATE_LIMIT_START_S = 60.0
RATE_LIMIT_WINDOW_S = 900.0
"""X's rate-limit windows are 15 minutes: a reset time X gives further ahead is not believed."""

TOKEN_HELP = "set X_BEARER_TOKEN (or TWITTER_BEARER_TOKEN) or --bearer-token-file PATH"


def check_token(token: Secret) -> None:
    """Refuse, before any request, a token that cannot be what X issued: X's bearer tokens are
    printable ASCII without spaces, and an HTTP header cannot carry a line break, a control
    or a non-ASCII character (requests or http.client would fail on every attempt). The
    message says what and where, never the token."""
    value = token.reveal()
    for index, char in enumerate(value, 1):
        if "!" <= char <= "~":
            continue
        if char in "\r\n":
            what, why = "a line break", "an HTTP header cannot carry"
        elif char in " \t":
            what, why = "a space" if char == " " else "a tab", "no bearer token has"
        elif char.isascii():
            what, why = f"a control character (U+{ord(char):04X})", "an HTTP header cannot carry"
        else:
            what, why = f"a non-ASCII character (U+{ord(char):04X})", "an HTTP header cannot carry"
        raise UsageError(f"the bearer token has {what} at character {index} of {len(value)}, which {why}: "
                         f"copy it again and {TOKEN_HELP}")


def _env_float(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"invalid {name} {raw!r}: expected a number") from None
    if not low <= value <= high:
        raise UsageError(f"invalid {name} {raw!r}: must be between {low:g} and {high:g}")
    return value


def _default_state_dir() -> Path:
    env = os.environ.get("TWEETWATCH_STATE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_state_dir("tweetwatch"))


# --- errors -------------------------------------------------------------------------------


class Retry(Exception):
    """A failure worth another attempt after a backoff of the given kind (and not before
    `not_before_s` seconds, when X said when to come back)."""

    def __init__(self, kind: str, reason: str, not_before_s: float = 0.0) -> None:
        super().__init__(reason)
        self.kind = kind  # "network" | "http" | "rate"
        self.reason = reason
        self.not_before_s = not_before_s


def _reset_in_s(response: requests.Response | None) -> float:
    """Seconds until X's rate limit resets, from the response's `x-rate-limit-reset` (epoch
    seconds) or `Retry-After` (seconds); 0 when it says neither (or something unreadable),
    at most one rate-limit window."""
    if response is None:
        return 0.0
    headers = response.headers
    try:
        if "x-rate-limit-reset" in headers:
            wait = float(headers["x-rate-limit-reset"]) - time.time()
        elif "retry-after" in headers:
            wait = float(headers["retry-after"])
        else:
            return 0.0
    except ValueError:  # an HTTP date in Retry-After, or garbage: X sends seconds
        return 0.0
    if math.isnan(wait):  # "nan" parses as a float
        return 0.0
    return min(max(wait, 0.0), RATE_LIMIT_WINDOW_S)


def _detail(response: requests.Response | None, limit: int = 160) -> str:
    """X's own words from an error body (title/detail/connection_issue), terminal-safe."""
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []
    errors = body.get("errors") if isinstance(body.get("errors"), list) else [body]
    for error in errors[:3]:
        if isinstance(error, dict):
            for key in ("connection_issue", "reason", "detail", "message", "title"):
                value = error.get(key)
                if isinstance(value, str) and value and value not in parts:
                    parts.append(value)
                    break
    return clean_text("; ".join(parts), limit)


def http_failure(status: int, response: requests.Response | None, token: Secret, api_url: str) -> Exception:
    """The exception for an HTTP error status: a TweetwatchError to stop, or a Retry."""
    detail = _detail(response)
    said = f" (X says: {detail})" if detail else ""
    if status == 401:
        return UsageError(
            f"X API rejected the bearer token {token.masked()} (401 Unauthorized){said}: "
            f"{TOKEN_HELP} with a valid app bearer token"
        )
    if status == 403:
        return UsageError(
            f"X API refused the filtered stream (403 Forbidden){said}: the app must belong to a "
            "Project with filtered-stream access (Pro or Enterprise); check its access level in the developer portal"
        )
    if status == 404:
        return UsageError(f"no X filtered-stream endpoint at {mask_url(api_url)} (404 Not Found): check --x-api-url")
    if status == 429:
        text = response.text if response is not None else ""
        reset_s = _reset_in_s(response)
        resets = f"; X resets the limit in {reset_s:.0f} s" if reset_s >= 1 else ""
        if "TooManyConnections" in text:
            return Retry("rate", f"429 too many connections: another client is using this app's stream{resets}", reset_s)
        return Retry("rate", f"429 rate limited{said}{resets}", reset_s)
    return Retry("http", f"HTTP {status}{said}")


def _translate(exc: BaseException, token: Secret, api_url: str) -> Exception:
    if isinstance(exc, tweepy.HTTPException):
        return http_failure(exc.response.status_code, exc.response, token, api_url)
    if isinstance(exc, requests.Timeout):
        return Retry("network", f"no answer from {mask_url(api_url)}")
    if isinstance(exc, requests.ConnectionError):
        return Retry("network", f"cannot reach {mask_url(api_url)}")
    if isinstance(exc, (requests.RequestException, ValueError)):
        return Retry("network", f"unexpected reply from {mask_url(api_url)}: {type(exc).__name__}")
    return exc


# --- rules --------------------------------------------------------------------------------


class XApi:
    """The rules endpoints, through a tweepy StreamingClient pointed at `api_url`."""

    def __init__(self, bearer_token: Secret, api_url: str = DEFAULT_X_API_URL) -> None:
        check_token(bearer_token)
        quiet_tweepy_debug_logging()
        self.token = bearer_token
        self.api_url = api_url.rstrip("/")
        self.client = tweepy.StreamingClient(bearer_token.reveal(), return_type=dict)
        mount(self.client.session, ApiHostAdapter(self.api_url, DEFAULT_STALL_TIMEOUT_S))

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            result = fn(*args, **kwargs)
        except (tweepy.TweepyException, requests.RequestException, ValueError) as exc:
            raise _translate(exc, self.token, self.api_url) from None
        return result if isinstance(result, dict) else {}

    def list_rules(self) -> list[Rule]:
        body = self._call(self.client.get_rules)
        data = body.get("data") or []
        return [
            Rule(str(r.get("value", "")), r.get("tag"), str(r.get("id")))
            for r in data if isinstance(r, dict)
        ]

    def add_rules(self, rules: Sequence[Rule], dry_run: bool = False) -> list[Rule]:
        if not rules:
            return []
        add = [tweepy.StreamRule(value=r.value, tag=r.tag) for r in rules]
        body = self._call(self.client.add_rules, add, **({"dry_run": "true"} if dry_run else {}))
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        problems = [e for e in errors if e.get("title") != "DuplicateRule"]
        if problems:
            first = problems[0]
            value = clean_text(str(first.get("value", "")), 120)
            tag = next((r.tag for r in rules if r.value == first.get("value")), None)
            details = first.get("details") or first.get("detail") or first.get("title") or "invalid rule"
            if isinstance(details, list):
                details = "; ".join(str(d) for d in details)
            where = f"topic {tag!r}" if tag else "a rule"
            raise UsageError(f"X rejected the rule for {where} ({value}): {clean_text(str(details), 200)}")
        created = [
            Rule(str(r.get("value", "")), r.get("tag"), str(r.get("id")))
            for r in body.get("data") or [] if isinstance(r, dict)
        ]
        # X keeps one rule per value: a DuplicateRule names the rule that already has it
        by_value = {r.value: r for r in rules}
        duplicates = {str(e.get("value")): str(e.get("id")) for e in errors if e.get("title") == "DuplicateRule"}
        if duplicates and not dry_run:
            existing = {r.id: r for r in self.list_rules()}
            for value, rule_id in duplicates.items():
                wanted, found = by_value.get(value), existing.get(rule_id)
                if wanted is None or found is None or found.tag == wanted.tag:
                    if wanted is not None:
                        created.append(Rule(value, wanted.tag, rule_id))  # the same rule: adopt it
                    continue
                raise UsageError(
                    f"the X rule for topic {wanted.tag!r} ({clean_text(value, 120)}) already exists with "
                    f"tag {clean_text(str(found.tag), 40)!r} (rule {rule_id}, not tweetwatch's): X keeps one "
                    "rule per value; delete that rule or change the topic's keywords"
                )
        return created

    def delete_rules(self, ids: Sequence[str]) -> None:
        if ids:
            self._call(self.client.delete_rules, list(ids))


@dataclass
class SyncResult:
    rules: list[Rule]
    ours: set[str]
    added: int
    deleted: int


def sync_rules(api: XApi, topics: Sequence[Topic], suffix: str, record: RuleRecord) -> SyncResult:
    """Make tweetwatch's rules exactly one per topic; leave other rules alone."""
    wanted = desired_rules(topics, suffix)
    current = api.list_rules()
    recorded = record.load()
    plan = plan_sync(current, wanted, recorded)
    if plan.add:
        api.add_rules(plan.add, dry_run=True)  # a rule X rejects changes nothing
    api.delete_rules([r.id for r in plan.delete if r.id])
    added = api.add_rules(plan.add)
    ours = {r.id for r in plan.keep if r.id} | {r.id for r in added if r.id}
    record.save(ours)
    rules = api.list_rules()
    for rule in plan.foreign:
        if rule.tag in {t.name for t in topics}:
            log.warning(
                "X rule %s (tag %r) was not created by tweetwatch; posts it matches count for topic %r too",
                rule.id, rule.tag, rule.tag,
            )
    return SyncResult(rules, ours, len(added), len(plan.delete))


def clear_rules(api: XApi, topics: Sequence[Topic], suffix: str, record: RuleRecord) -> tuple[list[Rule], int]:
    """Delete tweetwatch's rules (`is_ours`: recorded, or adopted); the rules that remain."""
    wanted, recorded = desired_rules(topics, suffix), record.load()
    ours = [r for r in api.list_rules() if is_ours(r, wanted, recorded)]
    api.delete_rules([r.id for r in ours if r.id])
    record.save(())
    return api.list_rules(), len(ours)


def cmd_rules(settings: Any) -> int:
    """`tweetwatch rules list|sync|clear`: rules on stdout (one per line), counts on stderr."""
    token = settings.bearer_token
    if not token:
        raise UsageError(f"tweetwatch rules needs the X API bearer token: {TOKEN_HELP}")
    api = XApi(token, settings.x_api_url)
    record = RuleRecord(settings.state_dir, settings.x_api_url)
    action = settings.rules_action
    try:
        if action == "sync":
            result = sync_rules(api, settings.topics, settings.rule_suffix, record)
            rules, ours = result.rules, result.ours
            note = f"added {result.added}, deleted {result.deleted} stale"
        elif action == "clear":
            rules, deleted = clear_rules(api, settings.topics, settings.rule_suffix, record)
            ours, note = set(), f"deleted {deleted}"
        else:
            rules = api.list_rules()
            wanted, recorded = desired_rules(settings.topics, settings.rule_suffix), record.load()
            ours = {r.id for r in rules if is_ours(r, wanted, recorded)}
            note = ""
    except Retry as exc:
        raise TweetwatchError(f"X API: {exc.reason}") from None
    for rule in rules:
        print(rule.line(rule.id in ours))
    mine = sum(1 for r in rules if r.id in ours)
    summary = f"{len(rules)} rules at {mask_url(api.api_url)}, {mine} of them tweetwatch's"
    print(f"tweetwatch: {summary}" + (f" ({note})" if note else ""), file=sys.stderr)
    return 0


# --- the stream ---------------------------------------------------------------------------


class Backoff:
    """X's reconnect schedule; `scale` shrinks every wait (tests)."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
        self.reset()

    def reset(self) -> None:
        self.network = 0.0
        self.http = 0.0

    def next(self, kind: str) -> float:
        if kind == "network":
            self.network = min(self.network + NETWORK_STEP_S, NETWORK_MAX_S)
            wait = self.network
        elif kind == "rate":
            self.http = min(max(self.http * 2, RATE_LIMIT_START_S), HTTP_MAX_S)
            wait = self.http
        else:
            self.http = min(max(self.http * 2, HTTP_START_S), HTTP_MAX_S)
            wait = self.http
        return wait * self.scale


_END = object()


class _Fatal:
    def __init__(self, error: TweetwatchError) -> None:
        self.error = error


class _StreamClient(tweepy.StreamingClient):
    """One connection attempt: every way it ends is recorded in `outcome` and ends tweepy's loop."""

    def __init__(self, runner: _Runner) -> None:
        super().__init__(runner.source.bearer_token.reveal(), max_retries=0)
        self.runner = runner
        self.outcome: Exception | None = None
        self.response: requests.Response | None = None
        self._connects = 0
        mount(self.session, ApiHostAdapter(runner.source.api_url, runner.source.stall_timeout,
                                           on_response=self._remember))

    def _remember(self, response: requests.Response) -> None:
        self.response = response

    def _end(self, outcome: Exception) -> None:
        if self.outcome is None:
            self.outcome = outcome
        self.disconnect()

    def on_connect(self) -> None:
        self._connects += 1
        if self._connects > 1 or self.runner.closing.is_set():
            self._end(Retry("network", "stream ended"))
            return
        self.runner.connected()

    def on_data(self, raw_data: bytes) -> None:
        runner = self.runner
        runner.heard()
        while True:  # bounded: a collector that falls behind slows the read (X drops slow readers)
            try:
                runner.queue.put(raw_data, timeout=0.5)
                break
            except queue.Full:
                if runner.closing.is_set():
                    self._end(Retry("network", "stopped"))
                    return
        if b"operational-disconnect" in raw_data and _is_operational_disconnect(raw_data):
            self._end(Retry("network", "operational-disconnect from X"))
        elif runner.closing.is_set():
            self._end(Retry("network", "stopped"))

    def on_keep_alive(self) -> None:
        self.runner.heard()
        if self.runner.closing.is_set():
            self._end(Retry("network", "stopped"))

    def on_request_error(self, status_code: int) -> None:
        self._end(http_failure(status_code, self.response, self.runner.source.bearer_token,
                               self.runner.source.api_url))

    def on_connection_error(self) -> None:
        silent = time.monotonic() - self.runner.last_heard
        source = self.runner.source
        if self.runner.was_connected and silent >= source.stall_timeout * 0.9:
            self._end(Retry("network", f"stall: nothing for {source.stall_timeout:g} s"))
        elif self.runner.was_connected:
            self._end(Retry("network", "connection dropped"))
        else:
            self._end(Retry("network", f"cannot reach {mask_url(source.api_url)}"))

    def on_closed(self, response: requests.Response) -> None:
        self._end(Retry("network", "stream closed by X"))

    def on_exception(self, exception: Exception) -> None:
        log.warning("X stream: %s: %s", type(exception).__name__, exception)
        self._end(Retry("network", f"{type(exception).__name__}"))

    def on_disconnect(self) -> None:
        pass

    def stop_reading(self) -> None:
        """Unblock a read in progress (urllib3's public `HTTPResponse.shutdown`)."""
        self.disconnect()
        response = self.response
        if response is not None:
            try:
                response.raw.shutdown()
            except Exception:  # already released or closed: nothing is blocked
                pass


def _is_operational_disconnect(raw: bytes) -> bool:
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(obj, dict) or "data" in obj or not isinstance(obj.get("errors"), list):
        return False
    for error in obj["errors"]:
        if isinstance(error, dict) and any(
            "operational-disconnect" in str(error.get(k, "")).lower() or error.get(k) == "OperationalDisconnect"
            for k in ("title", "type", "disconnect_type")
        ):
            return True
    return False


class _Runner:
    """The helper thread: sync rules, then connect, read, back off, reconnect until closed."""

    def __init__(self, source: XSource) -> None:
        self.source = source
        self.queue: queue.Queue[object] = queue.Queue(maxsize=QUEUE_LINES)
        self.closing = threading.Event()
        self.last_heard = time.monotonic()
        self.was_connected = False
        self.client: _StreamClient | None = None
        self.thread = threading.Thread(target=self._run, name="tweetwatch-x-stream", daemon=True)
        self.backoff = Backoff(source.backoff_scale)
        self._fresh = False

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.closing.set()
        client = self.client
        if client is not None:
            client.stop_reading()
        self.thread.join(2.0)

    # called from tweepy's hooks, in this runner's thread
    def connected(self) -> None:
        self.was_connected = True
        self._fresh = True
        self.last_heard = time.monotonic()
        self.source._set("connected")

    def heard(self) -> None:
        self.last_heard = time.monotonic()
        if self._fresh:
            self._fresh = False
            self.backoff.reset()

    def _post(self, item: object) -> None:
        """Queue an end marker behind the lines already read, unless nobody reads any more."""
        while not self.closing.is_set():
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    # the loop
    def _run(self) -> None:
        source = self.source
        synced = False
        try:
            while not self.closing.is_set():
                try:
                    if not synced:
                        source._set("connecting", "syncing rules")
                        source._sync_rules()
                        synced = True
                    outcome = self._connect_once()
                except (TweetwatchError, Retry) as exc:
                    outcome = exc
                except (tweepy.TweepyException, requests.RequestException) as exc:
                    outcome = _translate(exc, source.bearer_token, source.api_url)
                if self.closing.is_set():
                    break
                if isinstance(outcome, TweetwatchError):
                    source._set("stopped", str(outcome))
                    self._post(_Fatal(outcome))
                    return
                if not isinstance(outcome, Retry):
                    log.error("X stream: unexpected %s: %s", type(outcome).__name__, outcome)
                    outcome = Retry("network", type(outcome).__name__)
                wait = max(self.backoff.next(outcome.kind), outcome.not_before_s * self.backoff.scale)
                log.warning("X stream: %s; reconnecting in %.1f s", outcome.reason, wait)
                source._set("reconnecting", outcome.reason, until=time.monotonic() + wait)
                self.closing.wait(wait)
        except Exception as exc:  # a bug: end the source with one line, the traceback in the log
            log.exception("X stream thread failed")
            self._post(_Fatal(TweetwatchError(f"X stream failed: {type(exc).__name__}: {exc}")))
            return
        source._set("stopped", "stop requested")
        self._post(_END)

    def _connect_once(self) -> Exception | None:
        source = self.source
        source._set("connecting")
        client = self.client = _StreamClient(self)
        self.was_connected = False
        params: dict[str, Any] = {
            "expansions": list(EXPANSIONS),
            "tweet_fields": list(TWEET_FIELDS),
            "user_fields": list(USER_FIELDS),
        }
        if source.backfill_minutes:
            params["backfill_minutes"] = source.backfill_minutes
        if self.closing.is_set():
            return None
        client.filter(**params)  # returns when the connection ended (hooks call disconnect)
        return client.outcome or Retry("network", "stream ended")


class XSource:
    """Live posts from the X API v2 filtered stream; topics come from `matching_rules` tags."""

    label = "x"
    topics_from_rules = True

    def __init__(
        self,
        bearer_token: Secret,
        topics: Sequence[Topic],
        api_url: str = DEFAULT_X_API_URL,
        rule_suffix: str = "",
        *,
        state_dir: Path | None = None,
        stall_timeout: float | None = None,
        backoff_scale: float | None = None,
        backfill_minutes: int | None = None,
    ) -> None:
        if not bearer_token:
            raise UsageError(f"the x source needs a bearer token: {TOKEN_HELP}")
        check_token(bearer_token)
        if not topics:
            raise UsageError("the x source needs at least one --track topic")
        self.bearer_token = bearer_token
        self.topics = tuple(topics)
        self.api_url = api_url.rstrip("/")
        self.rule_suffix = rule_suffix
        self.state_dir = state_dir or _default_state_dir()
        self.stall_timeout = stall_timeout or _env_float(
            "TWEETWATCH_X_STALL_TIMEOUT", DEFAULT_STALL_TIMEOUT_S, 0.1, 600)
        self.backoff_scale = backoff_scale if backoff_scale is not None else _env_float(
            "TWEETWATCH_X_BACKOFF_SCALE", 1.0, 0.001, 100)
        self.backfill_minutes = backfill_minutes if backfill_minutes is not None else int(
            _env_float("TWEETWATCH_X_BACKFILL_MINUTES", 0, 0, 5))
        desired_rules(self.topics, rule_suffix)  # a rule too long is a usage error, before any request
        self.rules: list[Rule] = []
        self._phase = "connecting"
        self._reason = ""
        self._until = 0.0
        self._runner: _Runner | None = None
        quiet_tweepy_debug_logging()

    def __repr__(self) -> str:
        return f"XSource(api_url={mask_url(self.api_url)!r}, topics={[t.name for t in self.topics]!r})"

    # -- state -----------------------------------------------------------------------------
    def _set(self, phase: str, reason: str = "", until: float = 0.0) -> None:
        self._phase, self._reason, self._until = phase, reason, until

    @property
    def state(self) -> str:
        phase, reason = self._phase, self._reason
        if phase == "connected":
            runner = self._runner
            ago = time.monotonic() - runner.last_heard if runner is not None else 0.0
            rules = f"{len(self.rules)} rules, " if self.rules else ""
            return f"connected ({rules}last data {ago:.0f} s ago)"
        if phase == "reconnecting":
            left = max(0, math.ceil(self._until - time.monotonic()))
            return f"reconnecting in {left} s ({reason})"
        return f"{phase} ({reason})" if reason else phase

    def where(self) -> str:
        return f"x stream at {mask_url(self.api_url)}"

    # -- rules -----------------------------------------------------------------------------
    def _sync_rules(self) -> None:
        api = XApi(self.bearer_token, self.api_url)
        result = sync_rules(api, self.topics, self.rule_suffix, RuleRecord(self.state_dir, self.api_url))
        self.rules = result.rules
        log.info("X stream rules at %s (added %d, deleted %d stale):", mask_url(self.api_url), result.added, result.deleted)
        for rule in result.rules:
            log.info("  %s", rule.line(rule.id in result.ours))

    # -- lines -----------------------------------------------------------------------------
    def lines(self, stop: threading.Event) -> Iterator[bytes | None]:
        runner = self._runner = _Runner(self)
        runner.start()
        get = runner.queue.get
        try:
            while not stop.is_set():
                try:
                    item = get(timeout=IDLE_YIELD_S)
                except queue.Empty:
                    yield None
                    continue
                if item.__class__ is bytes:
                    yield item  # type: ignore[misc]
                elif isinstance(item, _Fatal):
                    raise item.error
                elif item is _END:
                    return
        finally:
            runner.close()
            if self._phase != "stopped":
                self._set("stopped", "stop requested")
