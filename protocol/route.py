"""Routing a member to the relay node that owns their group (issue 16), without I/O.

Several relay nodes behind one load balancer: each group is owned by one node, and
a member who reaches another node is forwarded to the owner, one more websocket
hop for every frame of the session. To make that hop rare, the owner names itself
and the balancer routes by that name:

- The welcome carries ``route``: the owner's node id (only when there are several
  nodes). A forwarded welcome is the owner's own, so it names the owner.
- A client that knows routes sends the cookie :data:`ROUTE_COOKIE` on every opening
  handshake: the last route it was given, or empty before it has one. The balancer
  sends a request whose cookie names a live node to that node (HAProxy: ``cookie
  iop_node`` and ``server NAME ... cookie NODE-ID``, docs/deployment.md).
- A node that does not own the member's group, reached by a request that carried the
  cookie but not the owner's name (empty, or a node that no longer owns the group),
  sends a ``route`` frame naming the owner and closes with 4012 instead of forwarding:
  the client reconnects at once with the owner's name. When the cookie already named
  the owner (the balancer does not route by it, or the owner is down for it) the node
  forwards as before, so a member is sent round at most once per welcome.

A route is untrusted text that a client puts into a header: :func:`valid_route` is
the one check, on both sides.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MAX_ROUTE", "ROUTE_COOKIE", "cookie_header", "route_frame", "route_in_cookies", "valid_route"]

#: The cookie a route-aware client sends, and the balancer routes by.
ROUTE_COOKIE = "iop_node"
MAX_ROUTE = 64
_ROUTE = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_ROUTE}}}")
#: Header bytes looked at for the cookie: a longer Cookie header is not read past this.
_MAX_COOKIE_HEADER = 4096


def valid_route(value: Any) -> str | None:
    """``value`` if it is a route (1-64 of ``A-Z a-z 0-9 . _ -``: a node id, safe in a
    cookie and a header), else None."""
    if isinstance(value, str) and _ROUTE.fullmatch(value):
        return value
    return None


def cookie_header(route: str | None) -> str:
    """The ``Cookie`` header a route-aware client sends: its route, or empty before it has one."""
    return f"{ROUTE_COOKIE}={valid_route(route) or ''}"


def route_in_cookies(headers: list[str]) -> str | None:
    """The route a request's ``Cookie`` header(s) carry: None when there is no
    :data:`ROUTE_COOKIE` (a client that does not know routes), "" when it is empty
    or not a valid route, else the route."""
    found: str | None = None
    for header in headers:
        for pair in header[:_MAX_COOKIE_HEADER].split(";"):
            name, sep, value = pair.strip().partition("=")
            if sep and name == ROUTE_COOKIE:
                found = valid_route(value.strip().strip('"')) or ""
    return found


def route_frame(route: str) -> dict[str, Any]:
    """Sent instead of a forward: the group's owner is ``route``; reconnect with it as the cookie."""
    return {"kind": "route", "route": route}
