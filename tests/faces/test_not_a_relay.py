"""Pointed at something that is not a relay, the client says what answered and stops (issue 8 item 8).

An HTTP server (200 or 404), a websocket service of another kind, or a name
that does not resolve once gave "Connection lost. Reconnecting" forever, a
silent /status and a 15 s Control D. Real servers on loopback (Python's
http.server, a websockets echo server, a TCP listener that never answers),
the real client in a pty for the plain face and the pilot for the Textual face.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from websockets.asyncio.server import serve

from tests.support.apphelp import SIZE, wait_until
from iop_tui.tui.app import IopApp
from iop_tui.core.connection import FAILED, Connection
from iop_tui.core.session import ClientSession
from tests.support.plainpty import PtyProgram, client_env


@pytest.fixture
def http_server(tmp_path: Path):
    """Python's own http.server on a free loopback port, serving an empty folder."""
    folder = tmp_path / "site"
    folder.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"ws://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_listener():
    """A TCP port that accepts connections and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"ws://127.0.0.1:{sock.getsockname()[1]}/"
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    sock.close()


def _plain(url: str, tmp_path: Path) -> PtyProgram:
    argv = [sys.executable, "-m", "iop_tui", "join", url, "--token", "not-a-real-token", "--plain"]
    return PtyProgram(argv, client_env(tmp_path / "config"))


@pytest.mark.parametrize(("path", "answer"), [("/", "HTTP 200 OK"), ("/no/such/page", "HTTP 404 File not found")])
async def test_plain_mode_at_a_web_server_says_what_answered_and_stops(http_server, tmp_path, path, answer):
    url = http_server + path
    with _plain(url, tmp_path) as client:
        text = await client.wait_for(f"The address {url} answered as a web server ({answer}), not as an iop-tui relay")
        assert "check the address and port your facilitator sent." in text
        assert await client.wait_exit() == 1
        assert "Reconnecting" not in client.flat and "Connection lost" not in client.flat


async def test_plain_mode_at_an_unknown_host_names_it_and_stops(tmp_path):
    url = "ws://nonexistent.invalid:8765/"
    with _plain(url, tmp_path) as client:
        await client.wait_for(f"The server name nonexistent.invalid in {url} could not be found", timeout=30)
        assert await client.wait_exit(timeout=30) == 1
        assert "error -2" not in client.flat.lower()


async def test_status_answers_and_control_d_leaves_at_once_before_the_join(silent_listener, tmp_path):
    with _plain(silent_listener, tmp_path) as client:
        await asyncio.sleep(0.5)  # the client is waiting for the handshake that never comes
        client.type("/status")
        await client.wait_for("Connection: connecting.")
        await client.wait_for("Not joined yet; what you type is kept until the join finishes, and Control D leaves.")
        client.eof()
        await client.wait_for("Left.")
        assert await client.wait_exit() == 0


async def test_a_websocket_service_that_is_not_a_relay_is_named_and_not_retried():
    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        conn = Connection(f"ws://127.0.0.1:{port}/", "token", backoff=(0.05,))
        await asyncio.wait_for(conn.run(), 10)
        assert conn.state == FAILED
        assert conn.fatal_message == (
            f"The address ws://127.0.0.1:{port}/ answered with a websocket service that is not an iop-tui relay; "
            "check the address and port your facilitator sent."
        )


async def test_the_full_screen_face_shows_what_answered_at_a_web_server(http_server):
    url = http_server + "/no/such/page"
    session = ClientSession(url, "not-a-real-token")
    app = IopApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.screen.query("#fatal-sentence"), "the fatal screen")
        sentence = str(app.screen.query_one("#fatal-sentence").render())
        assert f"The address {url} answered as a web server (HTTP 404 File not found)" in sentence
        await pilot.press("q")
    assert session.fatal_message is not None
