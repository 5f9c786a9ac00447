"""Listening sockets that fail with one clear line: which port, what it is for, what moves it."""

from __future__ import annotations

import socket

MANAGEMENT_PORT_SETTING = "`endpoints.all.port` (e.g. KESTRA_ENDPOINTS_ALL_PORT=8091)"
API_PORT_SETTING = "`--port`"


class PortUnavailableError(RuntimeError):
    """A port this process must listen on is taken (or refused); the message says what to change."""

    def __init__(self, *, port: int, purpose: str, setting: str, reason: str) -> None:
        self.port = port
        super().__init__(f"Cannot listen on port {port}, the {purpose}: {reason}. Move it with {setting}.")


def unavailable(error: OSError, *, port: int, purpose: str, setting: str) -> PortUnavailableError:
    reason = (error.strerror or str(error)).lower()
    return PortUnavailableError(port=port, purpose=purpose, setting=setting, reason=reason)


def listening_socket(host: str, port: int, *, purpose: str, setting: str) -> socket.socket:
    """A bound socket for an aiohttp site (``web.run_app(sock=...)``), bound before anything starts
    so a taken port stops the process at once, with nothing to undo."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp's own sites do
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise unavailable(error, port=port, purpose=purpose, setting=setting) from None
    return sock
