"""A fresh PostgreSQL schema per test, on the machine's PostgreSQL (issue 16).

``IOP_TEST_PG`` names the server (default ``postgresql://postgres@127.0.0.1:5432/test``,
trust auth on loopback). Each test gets its own schema, dropped after, and a URL
whose ``search_path`` is that schema. When no PostgreSQL answers, the test is
skipped on a developer's machine and FAILS under CI (``CI=true``): `.ci/run`
starts PostgreSQL first, so a missing one is a broken machine, never a silent skip.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.wsclient import Seeded

BASE = os.environ.get("IOP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _unavailable(why: str) -> None:
    message = f"PostgreSQL at {BASE} is not available ({why}); start it (see .ci/run) or set IOP_TEST_PG"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def fresh_schema() -> Iterator[str]:
    """Yield a postgresql:// URL on a new, empty schema; drop it afterwards."""
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed: pip install -e '.[test]'")
        raise
    name = f"t_{secrets.token_hex(6)}"
    try:
        admin = psycopg.connect(BASE, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        _unavailable(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        raise
    with admin:
        admin.execute(f"CREATE SCHEMA {name}".encode())
        sep = "&" if "?" in BASE else "?"
        try:
            yield f"{BASE}{sep}options={quote(f'-csearch_path={name}')}"
        finally:
            admin.execute(f"DROP SCHEMA {name} CASCADE".encode())


def seeded_pg(url: str, groups: int = 1, *, on_call: str = "") -> list[Seeded]:
    """Seed ``groups`` groups ("Group 1", ...: a facilitator, three participants, a guest) on
    the schema at ``url``; ``on_call``: each group's on-call address."""
    from server.store import open_store
    from tests.support.wsclient import seed

    store = open_store(url)
    try:
        found = [seed(store, name=f"Group {i + 1}") for i in range(groups)]
        if on_call:
            for group in found:
                store.set_group_settings(group.group_id, on_call=on_call)
        return found
    finally:
        store.close()
