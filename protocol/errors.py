"""Error codes and the one exception the protocol layer raises.

Every refusal a peer can receive carries a stable machine-readable ``code``
and a one-sentence ``message`` a person can read: what happened and what to do.
"""

from __future__ import annotations

__all__ = ["ErrorCode", "ProtocolError"]


class ErrorCode:
    """Stable error codes sent in ``error`` frames (strings on the wire)."""

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

    ALL = frozenset(
        {
            BAD_FRAME,
            UNKNOWN_KIND,
            INVALID,
            TOO_LARGE,
            UNSUPPORTED_VERSION,
            UNAUTHORIZED,
            FORBIDDEN,
            RATE_LIMITED,
            NOT_FOUND,
            CONFLICT,
            HANDSHAKE,
            INTERNAL,
            QUOTA_EXCEEDED,
        }
    )


class ProtocolError(Exception):
    """A refusal with a stable code and a one-sentence message for a person.

    ``command_id`` is the client-chosen id of the refused command when it
    could be read, so the client can match the error to what it sent.
    """

    def __init__(self, code: str, message: str, command_id: str | None = None) -> None:
        if code not in ErrorCode.ALL:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.command_id = command_id

    def with_id(self, command_id: str | None) -> "ProtocolError":
        """Return the same refusal bound to a command id."""
        return ProtocolError(self.code, self.message, command_id)

    def __repr__(self) -> str:
        return f"ProtocolError({self.code!r}, {self.message!r}, command_id={self.command_id!r})"
