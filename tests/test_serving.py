"""`sixtcap serve --workers N`: the socket the workers share sends each response at once (TCP_NODELAY on
every connection), instead of holding the body of a response ~40 ms for the client's acknowledgement of
its head (sixtcap/serving.py)."""

from __future__ import annotations

import asyncio
import os
import socket

from uvicorn import Config

from sixtcap.serving import without_nagle


def as_a_worker_gets_it(sock: socket.socket) -> socket.socket:
    """The socket rebuilt as multiprocessing rebuilds it in a worker: family, type and protocol as
    recorded by Python, on a copy of the descriptor."""
    return socket.socket(sock.family, sock.type, sock.proto, fileno=os.dup(sock.fileno()))


def nodelay_of_an_accepted_connection(listening: socket.socket) -> int:
    """TCP_NODELAY of a connection accepted by an asyncio server on `listening` (what uvicorn runs)."""

    async def main() -> int:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[int] = loop.create_future()

        class Accept(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        server = await loop.create_server(Accept, sock=listening)
        _reader, writer = await asyncio.open_connection(*listening.getsockname()[:2])
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()

    return asyncio.run(main())


def test_the_workers_socket_sets_tcp_nodelay_on_every_connection() -> None:
    bound = without_nagle(Config("sixtcap.app:from_environment", host="127.0.0.1", port=0).bind_socket())
    try:
        worker = as_a_worker_gets_it(bound)
        assert worker.proto == socket.IPPROTO_TCP
        assert nodelay_of_an_accepted_connection(worker) != 0
    finally:
        bound.close()


def test_a_unix_socket_is_left_as_it_is() -> None:
    first, second = socket.socketpair(socket.AF_UNIX)
    try:
        assert without_nagle(first) is first
    finally:
        first.close()
        second.close()
