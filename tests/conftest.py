"""Shared fixtures: a running relay on a free loopback port, and a seeded group.

``relay``: a :class:`server.edge.RelayServer` with its data in ``tmp_path``.
``seeded``: group "Tuesday IOP" on that relay with facilitator Dana,
participants Sam, Alex and Riley and guest Jo (see :class:`wsclient.Seeded`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wsclient import Seeded, seed  # noqa: E402


@pytest.fixture
async def relay(tmp_path: Path):
    from server.edge import RelayServer

    async with RelayServer(tmp_path / "data") as server:
        yield server


@pytest.fixture
def seeded(relay) -> Seeded:
    return seed(relay.store, relay.url)
