"""Shared fixtures: a running relay on a free loopback port, and a seeded group.

Each test is marked by its folder: ``unit`` (no sockets, seconds), ``relay`` (a
real relay on loopback), ``faces`` (Textual's pilot, a pty, tmux), so
``pytest -m unit`` (or ``pytest tests/unit``) is the fast loop.

``relay``: a :class:`server.edge.RelayServer` with its data in ``tmp_path``.
``seeded``: group "Tuesday IOP" on that relay with facilitator Dana,
participants Sam, Alex and Riley and guest Jo (see :class:`wsclient.Seeded`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.wsclient import Seeded, seed

LAYERS = ("unit", "relay", "faces")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        layer = Path(str(item.path)).parent.name
        if layer in LAYERS:
            item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture
async def relay(tmp_path: Path):
    from server.edge import RelayServer

    async with RelayServer(tmp_path / "data") as server:
        yield server


@pytest.fixture
def seeded(relay) -> Seeded:
    return seed(relay.store, relay.url)
