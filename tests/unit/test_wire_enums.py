"""The wire's constants are enums and Literal types, and their values are the wire's.

The numbers and strings below are written out on purpose: they are what
peers already send and read, so a renamed or renumbered member fails here
before it reaches a relay or a client. docs/protocol.md lists the same.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from iop_tui.core import connection
from protocol import messages, roles
from protocol.codec import decode, encode
from protocol.errors import HELLO_CLOSE_CODES, CloseCode, ErrorCode, ProtocolError, hello_close_code
from protocol.messages import error_frame

pytestmark = pytest.mark.unit

_DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = _DOC.index(f"\n## {title}\n")
    end = _DOC.find("\n## ", start + 1)
    return _DOC[start : end if end != -1 else len(_DOC)]


def test_close_codes_keep_their_numbers():
    assert {code.name: int(code) for code in CloseCode} == {
        "GOING_AWAY": 1001,
        "POLICY": 1008,
        "UNAUTHORIZED": 4001,
        "UNSUPPORTED_VERSION": 4002,
        "REMOVED": 4003,
        "TOO_SLOW": 4008,
        "REPLACED": 4009,
        "OWNER_MOVED": 4012,
        "FLOODING": 4029,
    }


def test_error_codes_keep_their_strings():
    assert {code.name: str(code) for code in ErrorCode} == {
        "BAD_FRAME": "bad_frame",
        "UNKNOWN_KIND": "unknown_kind",
        "INVALID": "invalid",
        "TOO_LARGE": "too_large",
        "UNSUPPORTED_VERSION": "unsupported_version",
        "UNAUTHORIZED": "unauthorized",
        "FORBIDDEN": "forbidden",
        "RATE_LIMITED": "rate_limited",
        "NOT_FOUND": "not_found",
        "CONFLICT": "conflict",
        "HANDSHAKE": "handshake",
        "INTERNAL": "internal",
        "QUOTA_EXCEEDED": "quota_exceeded",
    }


def test_the_protocol_doc_close_code_table_is_the_enum():
    rows = re.findall(r"^\| (\d{4}) \|", _section("Close codes"), re.MULTILINE)
    assert sorted(int(row) for row in rows) == sorted(CloseCode)


def test_the_protocol_doc_error_table_is_the_enum():
    rows = re.findall(r"^\| `([a-z_]+)` \|", _section("Errors"), re.MULTILINE)
    assert sorted(rows) == sorted(ErrorCode)


def test_an_error_frame_carries_the_plain_string_on_the_wire():
    frame = decode(encode(error_frame(ProtocolError(ErrorCode.CONFLICT, "That poll is already closed.", "c-1"))))
    assert frame == {"kind": "error", "id": "c-1", "code": "conflict", "message": "That poll is already closed."}
    assert type(frame["code"]) is str


def test_a_refusal_takes_a_code_as_its_string_and_refuses_unknown_codes():
    assert ProtocolError("not_found", "No such poll.").code is ErrorCode.NOT_FOUND
    with pytest.raises(ValueError):
        ProtocolError("no_such_code", "Nothing.")


def test_a_refused_hello_closes_as_the_relay_and_the_client_both_expect():
    assert hello_close_code(ErrorCode.UNAUTHORIZED) == 4001
    assert hello_close_code("unsupported_version") == 4002
    assert hello_close_code(ErrorCode.BAD_FRAME) == hello_close_code(ErrorCode.HANDSHAKE) == 1008
    # Every close a refused hello leads to stops the client with a sentence, never a retry.
    assert set(HELLO_CLOSE_CODES.values()) <= set(connection.FATAL_CLOSE_CODES)
    assert set(connection.FATAL_CLOSE_CODES) == {CloseCode.UNAUTHORIZED, CloseCode.UNSUPPORTED_VERSION, CloseCode.REMOVED, CloseCode.REPLACED}


@pytest.mark.parametrize(
    ("literal", "values"),
    [
        (roles.Role, roles.ROLES),
        (roles.Audience, roles.AUDIENCES),
        (messages.Phase, messages.PHASES),
        (messages.PollKind, messages.POLL_KINDS),
        (messages.HomeworkKind, messages.HOMEWORK_KINDS),
        (messages.ChatTarget, messages.CHAT_TARGETS),
        (messages.NoteVisibility, messages.NOTE_VISIBILITY),
        (messages.PresenceStatus, messages.PRESENCE_STATUSES),
        (messages.WelcomeMode, messages.WELCOME_MODES),
        (connection.ConnectionState, (connection.CONNECTING, connection.CONNECTED, connection.RECONNECTING, connection.OFFLINE, connection.FAILED)),
    ],
)
def test_each_status_literal_lists_exactly_its_fields_values(literal, values):
    assert get_args(literal) == values


def test_the_status_values_are_the_wire_strings():
    assert roles.ROLES == ("facilitator", "participant", "guest")
    assert roles.AUDIENCES == ("everyone", "members", "facilitators", "member", "self", "room")
    assert messages.PRESENCE_STATUSES == ("online", "reconnecting", "offline")
    assert messages.WELCOME_MODES == ("resume", "reset")
