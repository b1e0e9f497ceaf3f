"""A fake X API v2 filtered stream: a real HTTP server on 127.0.0.1 for the tests.

It speaks the parts of the protocol tweetwatch uses:

* `GET /2/tweets/search/stream/rules`, `POST` with `{"add": [...]}` or `{"delete": {"ids": [...]}}`
  and `?dry_run=true` (duplicates and invalid rules answered the way X does);
* `GET /2/tweets/search/stream`: HTTP/1.1 chunked, one `\\r\\n`-terminated JSON document per
  line, keep-alive blank lines (`\\r\\n`), `matching_rules` filled in from the rules that exist
  when the post is sent, `includes.users`;
* every request must carry `Authorization: Bearer <token>` (401 otherwise).

Each stream connection plays the next *script* from `connections` (a list of steps); when
none are left it holds the connection open with keep-alives. Steps: `post(...)`, `line(...)`,
`keepalive()`, `pause(s)`, `drop()` (connection cut mid-stream), `end()` (clean end of the
response), `stall(s)` (silence), `status(code)` (an HTTP error instead of a stream),
`operational_disconnect()` (X's error line, then the end of the stream) and `hold()`.

Everything the server sent as a non-blank line is in `sent_lines`; every request in `requests`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

RULES_PATH = "/2/tweets/search/stream/rules"
STREAM_PATH = "/2/tweets/search/stream"
BASE_TIME = datetime(2025, 3, 14, 15, 0, 0, tzinfo=UTC)

OPERATIONAL_DISCONNECT = {
    "errors": [{
        "title": "operational-disconnect",
        "disconnect_type": "OperationalDisconnect",
        "detail": "This stream has been disconnected for operational reasons.",
        "type": "https://api.twitter.com/2/problems/operational-disconnect",
    }]
}
TOO_MANY_CONNECTIONS = {
    "title": "ConnectionException",
    "detail": "This stream is currently at the maximum allowed connection limit.",
    "connection_issue": "TooManyConnections",
    "type": "https://api.twitter.com/2/problems/streaming-connection",
}
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
FORBIDDEN = {
    "client_id": "123",
    "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens "
              "from a Twitter developer App that is attached to a Project.",
    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
    "title": "Client Forbidden",
    "required_enrollment": "Appropriate Level of API Access",
    "reason": "client-not-enrolled",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}


@dataclass
class Step:
    kind: str
    value: Any = None
    tags: tuple[str, ...] = ()


def post(tweet_id: int | str, text: str, tags: tuple[str, ...] | list[str], *, seconds: int = 0,
         author: str = "1001", username: str = "someone", lang: str = "en", **extra: Any) -> Step:
    """A post delivered with `matching_rules` for those of `tags` that are rules at send time."""
    data: dict[str, Any] = {
        "id": str(tweet_id),
        "text": text,
        "author_id": author,
        "created_at": (BASE_TIME + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "lang": lang,
        "edit_history_tweet_ids": [str(tweet_id)],
        **extra,
    }
    doc = {"data": data, "includes": {"users": [{"id": author, "username": username, "name": username}]}}
    return Step("post", doc, tuple(tags))


def line(doc: dict[str, Any] | bytes) -> Step:
    return Step("line", doc)


def keepalive() -> Step:
    return Step("keepalive")


def pause(seconds: float) -> Step:
    return Step("pause", seconds)


def drop() -> Step:
    return Step("drop")


def end() -> Step:
    return Step("end")


def stall(seconds: float) -> Step:
    return Step("stall", seconds)


def status(code: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Step:
    return Step("status", (code, body, headers or {}))


def operational_disconnect() -> Step:
    return Step("opdisconnect")


def hold() -> Step:
    return Step("hold")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    authorized: bool
    body: Any = None
    at: float = field(default_factory=time.monotonic)


class FakeXApi:
    def __init__(self, token: str, keepalive_interval: float = 0.2) -> None:
        self.token = token
        self.keepalive_interval = keepalive_interval
        self.connections: list[list[Step]] = []
        self.rules: dict[str, dict[str, str]] = {}
        self.requests: list[Request] = []
        self.sent_lines: list[bytes] = []
        self.holding = threading.Event()
        """Set when a stream connection reached `hold()` (every scripted line was sent)."""
        self.rules_status: int | None = None
        """Answer every rules request with this status (e.g. 429, 503) when set."""
        self._next_id = 1_700_000_000_000_000_000
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-x-api", daemon=True)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeXApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeXApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state helpers for tests -----------------------------------------------------------
    def add_rule(self, value: str, tag: str | None = None) -> str:
        with self._lock:
            self._next_id += 1
            rule_id = str(self._next_id)
            self.rules[rule_id] = {"id": rule_id, "value": value, **({"tag": tag} if tag else {})}
            return rule_id

    def stream_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path == STREAM_PATH]

    def rule_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path == RULES_PATH]

    # -- protocol --------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                api._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                api._handle(self, "POST")

        return Handler

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        query = parse_qs(parts.query)
        body = None
        length = int(h.headers.get("Content-Length") or 0)
        if length:
            raw = h.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
        authorized = h.headers.get("Authorization") == f"Bearer {self.token}"
        self.requests.append(Request(method, parts.path, query, authorized, body))
        if not authorized:
            return self._json(h, 401, UNAUTHORIZED)
        if parts.path == RULES_PATH:
            if self.rules_status is not None:
                return self._json(h, self.rules_status, TOO_MANY_CONNECTIONS if self.rules_status == 429 else
                                  {"title": "Service Unavailable", "status": self.rules_status})
            if method == "GET":
                return self._json(h, 200, self._list_rules())
            return self._json(h, 200, self._change_rules(body, query.get("dry_run", ["false"])[0] == "true"))
        if parts.path == STREAM_PATH and method == "GET":
            with self._lock:
                script = self.connections.pop(0) if self.connections else [hold()]
            return self._stream(h, script)
        return self._json(h, 404, {"title": "Not Found Error", "detail": f"no route {parts.path}"})

    def _json(self, h: BaseHTTPRequestHandler, code: int, doc: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(doc).encode()
        h.send_response(code)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(payload)

    def _sent(self) -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def _list_rules(self) -> dict[str, Any]:
        with self._lock:
            rules = list(self.rules.values())
        meta = {"sent": self._sent(), "result_count": len(rules)}
        return {"data": rules, "meta": meta} if rules else {"meta": meta}

    def _change_rules(self, body: Any, dry_run: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            return {"errors": [{"title": "Invalid Request", "detail": "body must be JSON"}]}
        if "add" in body:
            created: list[dict[str, str]] = []
            errors: list[dict[str, Any]] = []
            with self._lock:
                existing = {r["value"]: r["id"] for r in self.rules.values()}
            for rule in body["add"]:
                value, tag = rule.get("value", ""), rule.get("tag")
                if not value or "INVALID" in value or len(value) > 512 or value.count('"') % 2:
                    errors.append({"value": value, "details": ["Rule has invalid syntax"],
                                   "title": "Invalid Rule", "type": "https://api.twitter.com/2/problems/invalid-rules"})
                elif value in existing:
                    errors.append({"value": value, "id": existing[value], "title": "DuplicateRule",
                                   "type": "https://api.twitter.com/2/problems/duplicate-rules"})
                elif not dry_run:
                    rule_id = self.add_rule(value, tag)
                    created.append(self.rules[rule_id])
                    existing[value] = rule_id
                else:
                    created.append({"value": value, **({"tag": tag} if tag else {}), "id": "0"})
            invalid = sum(1 for e in errors if e["title"] == "Invalid Rule")
            doc: dict[str, Any] = {"meta": {"sent": self._sent(), "summary": {
                "created": len(created), "not_created": len(errors),
                "valid": len(body["add"]) - invalid, "invalid": invalid}}}
            if created:
                doc["data"] = created
            if errors:
                doc["errors"] = errors
            return doc
        if "delete" in body:
            ids = [str(i) for i in body["delete"].get("ids", [])]
            deleted, errors = 0, []
            with self._lock:
                for rule_id in ids:
                    if rule_id in self.rules:
                        if not dry_run:
                            del self.rules[rule_id]
                        deleted += 1
                    else:
                        errors.append({"errors": [{"parameters": {}, "message": "Rule does not exist"}],
                                       "title": "Not Found", "id": rule_id})
            doc = {"meta": {"sent": self._sent(), "summary": {"deleted": deleted, "not_deleted": len(errors)}}}
            if errors:
                doc["errors"] = errors
            return doc
        return {"errors": [{"title": "Invalid Request", "detail": "add or delete expected"}]}

    # -- the stream ------------------------------------------------------------------------
    def _stream(self, h: BaseHTTPRequestHandler, script: list[Step]) -> None:
        first = script[0] if script else None
        if first is not None and first.kind == "status":
            code, body, headers = first.value
            default = TOO_MANY_CONNECTIONS if code == 429 else FORBIDDEN if code == 403 else UNAUTHORIZED \
                if code == 401 else {"title": "Service Unavailable", "status": code}
            return self._json(h, code, body or default, headers)
        h.send_response(200)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        h.wfile.flush()
        h.close_connection = True
        try:
            for step in script:
                if not self._play(h, step):
                    return
            self._chunk(h, b"")  # scripted lines ran out without an ending: end cleanly
        except (BrokenPipeError, ConnectionResetError, OSError):
            return  # the client went away

    def _chunk(self, h: BaseHTTPRequestHandler, data: bytes) -> None:
        h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        h.wfile.flush()

    def _send_line(self, h: BaseHTTPRequestHandler, doc: dict[str, Any] | bytes) -> None:
        raw = doc if isinstance(doc, bytes) else json.dumps(doc, ensure_ascii=False).encode()
        self.sent_lines.append(raw)  # before it is on the wire: a fast client may compare at once
        self._chunk(h, raw + b"\r\n")

    def _play(self, h: BaseHTTPRequestHandler, step: Step) -> bool:
        """Send one step; False when the connection is over."""
        kind = step.kind
        if kind == "post":
            with self._lock:
                matching = [{"id": r["id"], "tag": r["tag"]} for r in self.rules.values()
                            if r.get("tag") in step.tags]
            doc = dict(step.value)
            if matching:
                doc["matching_rules"] = matching
            self._send_line(h, doc)
        elif kind == "line":
            self._send_line(h, step.value)
        elif kind == "keepalive":
            self._chunk(h, b"\r\n")
        elif kind == "pause":
            time.sleep(step.value)
        elif kind == "drop":
            h.wfile.flush()
            h.connection.shutdown(socket.SHUT_RDWR)
            return False
        elif kind == "end":
            self._chunk(h, b"")
            return False
        elif kind == "stall":
            self._stopping.wait(step.value)
            h.connection.shutdown(socket.SHUT_RDWR)
            return False
        elif kind == "opdisconnect":
            self._send_line(h, OPERATIONAL_DISCONNECT)
            self._chunk(h, b"")
            return False
        elif kind == "hold":
            self.holding.set()
            while not self._stopping.wait(self.keepalive_interval):
                self._chunk(h, b"\r\n")
            return False
        return True
