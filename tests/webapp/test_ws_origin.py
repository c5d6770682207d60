"""A browser's websocket Origin must match the handshake's Host, port included; scripts send none."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator

from webapp.wsauth import OriginChecked, origin_allowed


class Accepting(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()


def handshake(app, headers: dict) -> bool:
    async def go():
        communicator = WebsocketCommunicator(app, "/ws/runs/1/",
                                             headers=[(k.encode(), v.encode()) for k, v in headers.items()])
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected
    # A thread of its own: a session-wide Playwright browser may keep an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()


@pytest.fixture
def app():
    return OriginChecked(Accepting.as_asgi())


def test_it_refuses_an_origin_on_another_port(app):
    assert not handshake(app, {"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:9999"})
    assert not handshake(app, {"host": "localhost:8000", "origin": "http://localhost"})


def test_it_accepts_an_origin_on_the_same_host_and_port(app):
    assert handshake(app, {"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8000"})
    assert handshake(app, {"host": "localhost", "origin": "https://localhost"})


def test_it_accepts_scripts_that_send_no_origin(app):
    assert handshake(app, {"host": "127.0.0.1:8000"})


def test_it_refuses_a_foreign_host_even_when_host_matches(app):
    assert not handshake(app, {"host": "evil.example:8000", "origin": "http://evil.example:8000"})
    assert not handshake(app, {"host": "127.0.0.1:8000", "origin": "null"})


@pytest.mark.parametrize("origin,host,ok", [
    ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
    ("http://127.0.0.1:8001", "127.0.0.1:8000", False),
    ("https://localhost:443", "localhost", True),
    ("http://localhost:80", "localhost", True),
    ("https://localhost", "localhost:80", False),
    ("http://[::1]:8000", "[::1]:8000", True),
    ("http://127.0.0.1:x", "127.0.0.1:8000", False),
    ("ftp://127.0.0.1:8000", "127.0.0.1:8000", False),
])
def test_it_compares_scheme_less_host_and_port(origin, host, ok):
    assert origin_allowed(origin, host) is ok


def test_it_trusts_listed_origins(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://layerlab.example.org"]
    assert origin_allowed("https://layerlab.example.org", "web:8000")


@pytest.mark.django_db(transaction=True)
def test_it_guards_the_real_websocket_stack():
    from webapp.asgi import application

    assert not handshake(application, {"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:9999"})
    assert handshake(application, {"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8000"})
