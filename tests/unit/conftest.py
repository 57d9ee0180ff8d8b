"""The unit layer opens no network socket: checked for every test in this folder.

An internet socket (IPv4 or IPv6) created by a test here, or by anything it
calls, fails the test with :class:`NetworkInUnitTest`, so a test that needs a
relay on loopback goes to ``tests/relay`` instead of slowing the fast loop.
Unix socket pairs stay allowed: the asyncio event loop wakes itself with one.

``sam`` and ``dana``: a participant's and a facilitator's
:class:`tests.support.commandroom.Room`, the command tests' live session.

``store``, ``group`` and ``clock``: for tests of the hub without a socket
(tests/support/hubpeer.py), a real SQLite :class:`server.store.Store` in
``tmp_path``, the seeded group on it (:func:`tests.support.wsclient.seed`) and a
:class:`tests.support.hubpeer.Clock` the test moves. A module's own fixture of
the same name wins (tests/unit/test_store.py has its own ``store``).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from server.store import Store
from tests.support.commandroom import Room
from tests.support.hubpeer import Clock
from tests.support.wsclient import Seeded, seed


class NetworkInUnitTest(AssertionError):
    """A unit test tried to open an internet socket."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    original = socket.socket.__init__

    def guarded(self, family=-1, type=-1, proto=-1, fileno=None):
        inet = family in (socket.AF_INET, socket.AF_INET6) or (family == -1 and fileno is None)
        if inet:
            raise NetworkInUnitTest("tests/unit opens no network socket; a test that needs one belongs in tests/relay")
        original(self, family, type, proto, fileno)

    monkeypatch.setattr(socket.socket, "__init__", guarded)


@pytest.fixture
def sam() -> Room:
    return Room("participant")


@pytest.fixture
def dana() -> Room:
    return Room("facilitator")


@pytest.fixture
def store(tmp_path: Path):
    store = Store(tmp_path / "data")
    yield store
    store.close()


@pytest.fixture
def group(store: Store) -> Seeded:
    return seed(store)


@pytest.fixture
def clock() -> Clock:
    return Clock()
