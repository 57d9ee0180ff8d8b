"""The kinds of session a group holds, as the wire, the store and the schedule spell them.

One enum, shared by the schedule (which plans sessions of a kind), ``session.start``
(which starts one) and the guest rules (a guest is invited to one family session).
Nothing here performs I/O.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["SessionKind", "SESSION_KINDS", "DEFAULT_SESSION_KIND"]


class SessionKind(StrEnum):
    """What a session is for."""

    GROUP = "group"
    FAMILY = "family"
    WORKSHOP = "workshop"
    INDIVIDUAL = "individual"


SESSION_KINDS: tuple[str, ...] = tuple(kind.value for kind in SessionKind)
DEFAULT_SESSION_KIND = SessionKind.GROUP
