"""docs/deployment.md's HAProxy configuration, pointed at this machine's nodes (issue 16).

The test of the page's configuration (tests/relay/test_deployment_haproxy.py) and the
benchmark's ``--balancer haproxy`` (bench/relay_load.py) both run the block between
``<!-- haproxy.cfg begins -->`` and ``<!-- haproxy.cfg ends -->`` as written, except for
what only a real deployment has (its addresses, certificate, per-address limits).
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["page_config", "server_lines"]

PAGE = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"


def page_config() -> str:
    """The page's haproxy.cfg block, as written."""
    found = re.search(r"<!-- haproxy.cfg begins -->\n```haproxy\n(.*?)```\n<!-- haproxy.cfg ends -->", PAGE.read_text(), re.S)
    if found is None:
        raise LookupError("docs/deployment.md lost its haproxy.cfg block")
    return found.group(1)


def server_lines(config: str, nodes: list[tuple[str, int]]) -> tuple[list[str], list[str]]:
    """``config`` without its ``server`` lines, and one line per node (name, loopback port) shaped
    as the page's first: its checks, and its cookie naming the node (the members' route)."""
    kept = [line for line in config.splitlines() if not line.strip().startswith("server ")]
    first = next(line for line in config.splitlines() if line.strip().startswith("server "))
    _server, page_name, _address, *rest = first.split()
    servers = ["    " + " ".join(["server", name, f"127.0.0.1:{port}", *(name if word == page_name else word for word in rest)]) for name, port in nodes]
    return kept, servers
