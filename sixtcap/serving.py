"""`sixtcap serve --workers N`: uvicorn's worker processes, on a listening socket whose connections send
each response at once.

uvicorn binds the socket shared by its workers with `socket.socket(family)`, so Python records its protocol
as 0, and passes it to the workers so; asyncio sets TCP_NODELAY only on connections of a socket whose
protocol is IPPROTO_TCP. Without it, Nagle's algorithm holds the second write of every response (uvicorn
writes the head, then the body) until the client acknowledges the first, which a client waiting for the
body does after its delayed-ACK timer: about 40 ms added to each response of a multi-process server
(the single process binds through asyncio, which sets it)."""

from __future__ import annotations

import socket
from typing import Any


def without_nagle(sock: socket.socket) -> socket.socket:
    """The same listening socket, its protocol read from the kernel (IPPROTO_TCP: asyncio then sets
    TCP_NODELAY on every connection it accepts, in every worker), TCP_NODELAY set on it as well (which
    Linux copies to the connections it accepts). A Unix socket is returned as it is."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return sock
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return socket.socket(fileno=sock.detach())  # family, type and protocol read from the descriptor


def run_workers(app: str, workers: int, **options: Any) -> None:
    """`uvicorn.run(app, factory=True, workers=workers, **options)`, on a socket `without_nagle`."""
    from uvicorn import Config
    from uvicorn.supervisors import Multiprocess

    config = Config(app, factory=True, workers=workers, **options)
    sock = without_nagle(config.bind_socket())
    try:
        Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
