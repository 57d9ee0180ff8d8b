"""Error and close codes, and the one exception the protocol layer raises.

Every refusal a peer can receive carries a stable machine-readable ``code``
and a one-sentence ``message`` a person can read: what happened and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum, StrEnum

__all__ = ["CloseCode", "ErrorCode", "HELLO_CLOSE_CODES", "ProtocolError", "hello_close_code"]


class ErrorCode(StrEnum):
    """Stable error codes sent in ``error`` frames (each is its string on the wire)."""

    BAD_FRAME = "bad_frame"  # not msgpack, not a map, or missing the envelope
    UNKNOWN_KIND = "unknown_kind"  # a kind this protocol version does not define
    INVALID = "invalid"  # a field has the wrong type, length or range
    TOO_LARGE = "too_large"  # the frame exceeds the announced size limit
    UNSUPPORTED_VERSION = "unsupported_version"  # hello with another protocol version
    UNAUTHORIZED = "unauthorized"  # missing, unknown or revoked token
    FORBIDDEN = "forbidden"  # the role may not issue this command (or is muted)
    RATE_LIMITED = "rate_limited"  # too many commands too quickly
    NOT_FOUND = "not_found"  # the poll, message, slide or homework does not exist
    CONFLICT = "conflict"  # the command does not fit the session's current state
    HANDSHAKE = "handshake"  # a command before hello, or a second hello
    INTERNAL = "internal"  # the server failed; nothing was applied
    QUOTA_EXCEEDED = "quota_exceeded"  # the member has stored as much as they may (per hour or in total)


class CloseCode(IntEnum):
    """Websocket close codes the relay sends, and clients act on (ints on the wire).

    The 4000s are ours; 1001 and 1008 are the standard codes the relay uses.
    docs/protocol.md says what a client does after each.
    """

    GOING_AWAY = 1001  # the relay is shutting down: reconnect with backoff and resume
    POLICY = 1008  # no hello, or a hello the relay could not read
    UNAUTHORIZED = 4001  # the token is unknown or revoked (also when revoked while connected)
    UNSUPPORTED_VERSION = 4002  # the hello's protocol version is not this one
    REMOVED = 4003  # a facilitator removed the member from the group
    TOO_SLOW = 4008  # the member fell too far behind the fan-out: reconnect and resume
    REPLACED = 4009  # the same member opened a newer connection elsewhere
    OWNER_MOVED = 4012  # the group moved to another relay node: reconnect now and resume (issue 16)
    FLOODING = 4029  # frames went on after rate_limited: wait, then reconnect and resume


#: The close code that follows a refused hello, by the refusal's error code
#: (keys are :class:`ErrorCode`, which equal their strings): the relay closes
#: with it, and a client that reads the refusal first knows the close to come.
HELLO_CLOSE_CODES: Mapping[str, CloseCode] = {
    ErrorCode.UNSUPPORTED_VERSION: CloseCode.UNSUPPORTED_VERSION,
    ErrorCode.UNAUTHORIZED: CloseCode.UNAUTHORIZED,
}


def hello_close_code(code: str) -> CloseCode:
    """How the relay closes after refusing a hello with ``code``: any refusal
    without a code of its own is a policy close (1008)."""
    return HELLO_CLOSE_CODES.get(code, CloseCode.POLICY)


class ProtocolError(Exception):
    """A refusal with a stable code and a one-sentence message for a person.

    ``command_id`` is the client-chosen id of the refused command when it
    could be read, so the client can match the error to what it sent.
    """

    def __init__(self, code: ErrorCode | str, message: str, command_id: str | None = None) -> None:
        super().__init__(message)
        self.code = ErrorCode(code)  # ValueError for a code this protocol does not define
        self.message = message
        self.command_id = command_id

    def with_id(self, command_id: str | None) -> ProtocolError:
        """Return the same refusal bound to a command id."""
        return ProtocolError(self.code, self.message, command_id)

    def __repr__(self) -> str:
        return f"ProtocolError({self.code.value!r}, {self.message!r}, command_id={self.command_id!r})"
