"""`sixtcap serve`: the socket the workers share sends each response at once (TCP_NODELAY on every
connection), instead of holding the body of a response ~40 ms for the client's acknowledgement of its head
(sixtcap/serving.py); once started, a server process leaves what it loaded out of the garbage collector's
full passes (server.gc_freeze)."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from uvicorn import Config

from bot.brain import Brain
from bot.config import load_settings
from bot.resources import Resources
from nlu.parser import EmbeddedParser
from sixtcap.app import create_app
from sixtcap.serving import without_nagle
from tests.conftest import PSEUDONYMS, channel_settings


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


def test_a_served_app_freezes_what_it_loaded_once_started(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    assert load_settings().server.gc_freeze  # the default; SIXTCAP_SERVER__GC_FREEZE=false turns it off
    settings = channel_settings()
    brain = Brain(loaded_engine, Resources.load(settings), parser, PSEUDONYMS)
    gc.unfreeze()
    try:
        with TestClient(create_app(settings, loaded_engine, brain)) as client:  # as the tests make it
            assert client.get("/livez").status_code == 200
            assert gc.get_freeze_count() == 0
        with TestClient(create_app(settings, loaded_engine, brain, freeze_heap=True)) as client:  # as served
            assert gc.get_freeze_count() > 10_000  # the models, texts, catalogue
            reply = client.post(
                "/widget/messages", json={"conversation_id": str(uuid.uuid4()), "text": "salut"}
            )
            assert reply.status_code == 200
    finally:
        gc.unfreeze()
