"""A TCP proxy in front of a real Redis that can lose the reply to a transaction.

`ReplyLosingProxy(target).lose_reply_to(b"EXEC")`: the next request holding `EXEC` reaches
the server, which runs it, but its reply is thrown away and the client's connection closed,
as when a stall outlasts the socket timeout or a network path drops. The client cannot tell
whether the transaction ran.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlparse


class ReplyLosingProxy:
    def __init__(self, target_url: str) -> None:
        parsed = urlparse(target_url)
        self._target: tuple[int, object] = (
            (socket.AF_UNIX, parsed.path) if parsed.scheme == "unix" else (socket.AF_INET, (parsed.hostname, parsed.port))
        )
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self._listener.getsockname()[1]}/0"
        self._lose_after: bytes | None = None
        self.lost = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def lose_reply_to(self, marker: bytes) -> None:
        self._lose_after = marker
        self.lost.clear()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            family, address = self._target
            server = socket.socket(family, socket.SOCK_STREAM)
            server.connect(address)
            armed = threading.Event()
            threading.Thread(target=self._requests, args=(client, server, armed), daemon=True).start()
            threading.Thread(target=self._replies, args=(server, client, armed), daemon=True).start()

    def _requests(self, client: socket.socket, server: socket.socket, armed: threading.Event) -> None:
        try:
            while data := client.recv(65536):
                if self._lose_after is not None and self._lose_after in data:
                    self._lose_after = None
                    armed.set()
                server.sendall(data)
        except OSError:
            pass
        finally:
            _close(server)

    def _replies(self, server: socket.socket, client: socket.socket, armed: threading.Event) -> None:
        try:
            while data := server.recv(65536):
                if armed.is_set():  # the server ran it; the client never hears
                    self.lost.set()
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            _close(client)
            _close(server)


def _close(sock: socket.socket) -> None:
    """Shut down first: a plain close leaves the other thread's `recv` holding the socket open,
    and the peer would wait for its timeout instead of seeing the connection end."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
