"""The fast loop stays fast: a test in tests/unit cannot open a network socket (see conftest.py)."""

from __future__ import annotations

import asyncio
import socket

import pytest


def test_a_unit_test_cannot_open_an_internet_socket() -> None:
    with pytest.raises(AssertionError, match="belongs in tests/relay"):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(AssertionError, match="belongs in tests/relay"):
        socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)


async def test_the_event_loop_still_runs_in_a_unit_test() -> None:
    assert await asyncio.sleep(0, "ran") == "ran"
