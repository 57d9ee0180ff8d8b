"""The protocol package without I/O: codec, frame validation, decks, audiences.

The last test is property-based: any bytes a peer might send, passed through
``decode`` and ``parse_client_frame``, either parse or raise
:class:`ProtocolError` with a known code and a sentence — never anything else.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.codec import MAX_FRAME_BYTES, decode, encode
from protocol.deck import MAX_SLIDES, parse_deck
from protocol.errors import ErrorCode, ProtocolError
from protocol.events import EVENT_TYPES, Event, parse_event
from protocol.messages import (
    COMMANDS,
    MAX_ID,
    PROTOCOL_VERSION,
    Command,
    Field,
    Hello,
    Limits,
    ack_frame,
    command_frame,
    error_frame,
    hello_frame,
    parse_client_frame,
    parse_command,
    parse_hello,
    presence_frame,
    synced_frame,
    welcome_frame,
)
from protocol.roles import (
    AUDIENCES, EVERYONE, FACILITATOR, FACILITATORS, GUEST, MEMBER, MEMBERS, PARTICIPANT, PERMISSIONS, ROLES, ROOM, SELF, Stay, Visit, sees,
    visible_to,
)


def _sentence(err: ProtocolError) -> None:
    assert err.code in set(ErrorCode)
    assert err.message and err.message[0].isupper() and err.message.endswith(".") and "\n" not in err.message


def _refused(fn, *args) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        fn(*args)
    _sentence(caught.value)
    return caught.value


# -- codec -------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        hello_frame("tok-en", None),
        hello_frame("tok-en", 41, "plain"),
        command_frame("chat.send", "c-1", {"text": "Grüße — 你好 🌱", "to": "group", "me": False}),
        welcome_frame(
            member={"id": 1, "name": "Dana", "role": "facilitator"},
            group={"id": 1, "name": "Tuesday IOP"},
            roster=[{"id": 2, "name": "Sam", "role": "participant", "status": "online", "muted": False}],
            limits=Limits(MAX_FRAME_BYTES, 10.0, 20),
            head_seq=12,
            mode="resume",
            replay_from=9,
        ),
        Event(3, "poll.revealed", 1.5, 1, "Dana", EVERYONE, None, {"poll_id": 2, "counts": [1, 0], "names": {"0": ["Sam"]}}).to_wire(),
        synced_frame(12),
        presence_frame({"id": 2, "name": "Sam", "role": "participant"}, "reconnecting"),
        ack_frame("c-1", None),
        error_frame(ProtocolError(ErrorCode.CONFLICT, "That poll is already closed.", "c-2")),
    ],
)
def test_codec_roundtrip(frame: dict[str, Any]):
    data = encode(frame)
    assert isinstance(data, bytes)
    assert decode(data) == frame


def test_an_event_roundtrips_through_parse_event():
    event = Event(7, "chat.posted", 2.0, 2, "Sam", MEMBER, 2, {"message_id": 7, "member_id": 2, "text": "hi", "to": "facilitators", "me": False})
    assert parse_event(decode(encode(event.to_wire()))) == event


@pytest.mark.parametrize(
    "frame",
    [
        {"seq": 0, "type": "chat.posted", "audience": EVERYONE, "data": {}},
        {"seq": 1, "type": "chat.exploded", "audience": EVERYONE, "data": {}},
        {"seq": 1, "type": "chat.posted", "audience": "the world", "data": {}},
        {"seq": 1, "type": "chat.posted", "audience": EVERYONE, "data": []},
        {"type": "chat.posted", "audience": EVERYONE, "data": {}},
    ],
)
def test_parse_event_refuses_what_it_cannot_read(frame):
    assert _refused(parse_event, frame).code == ErrorCode.BAD_FRAME


@pytest.mark.parametrize(
    "data, code",
    [
        ("a text frame", ErrorCode.BAD_FRAME),
        (b"", ErrorCode.BAD_FRAME),
        (b"\xc1", ErrorCode.BAD_FRAME),  # a byte msgpack never uses
        (b"\x82\xa1a", ErrorCode.BAD_FRAME),  # truncated map
        (msgpack.packb({"kind": "hello"}) + b"\x00", ErrorCode.BAD_FRAME),  # trailing bytes
        (msgpack.packb([1, 2, 3]), ErrorCode.BAD_FRAME),  # not a map
        (msgpack.packb("hello"), ErrorCode.BAD_FRAME),
        (msgpack.packb(None), ErrorCode.BAD_FRAME),
        (msgpack.packb({1: "int key"}), ErrorCode.BAD_FRAME),
        (msgpack.packb({"kind": b"bytes"}, use_bin_type=True), ErrorCode.BAD_FRAME),  # bin is never used
        (b"\xd4\x01\x01", ErrorCode.BAD_FRAME),  # ext types are never used
        (b"\xdd\xff\xff\xff\xff", ErrorCode.BAD_FRAME),  # declares a 4-billion-item array
        (b"\xdf\xff\xff\xff\xff", ErrorCode.BAD_FRAME),  # declares a 4-billion-entry map
        (b"\xdb\xff\xff\xff\xff", ErrorCode.BAD_FRAME),  # declares a 4 GB string
        (b"\xdd\x00\x00\x10\x01" + b"\x00" * 4097, ErrorCode.BAD_FRAME),  # 4097 real items
        (b"\x91" * 60_000 + b"\x00", ErrorCode.BAD_FRAME),  # nested 60 000 deep
        (b"\x00" * (MAX_FRAME_BYTES + 1), ErrorCode.TOO_LARGE),
    ],
)
def test_decode_refusals(data, code):
    assert _refused(decode, data).code == code


def test_too_large_names_the_limit():
    err = _refused(decode, encode({"kind": "chat.send", "x": "a" * MAX_FRAME_BYTES}))
    assert err.code == ErrorCode.TOO_LARGE and str(MAX_FRAME_BYTES) in err.message


def test_a_frame_of_exactly_the_limit_is_read():
    frame = {"kind": "deck.load", "pad": ""}
    frame["pad"] = "a" * (MAX_FRAME_BYTES - len(encode(frame)) - 4)
    while len(encode(frame)) < MAX_FRAME_BYTES:
        frame["pad"] += "a"
    assert len(encode(frame)) == MAX_FRAME_BYTES
    assert decode(encode(frame)) == frame


def _nested(levels: int) -> dict[str, Any]:
    """A frame ``levels`` deep, counting the frame map and the scalar at the bottom."""
    value: Any = 0
    for _ in range(levels - 2):
        value = [value]
    return {"kind": "x", "v": value}


def test_nesting_limit():
    assert decode(encode(_nested(8))) == _nested(8)
    assert _refused(decode, encode(_nested(9))).code == ErrorCode.BAD_FRAME
    assert "deeply" in _refused(decode, encode(_nested(20))).message


# -- hello ---------------------------------------------------------------------


def test_hello_parses():
    hello = parse_client_frame(hello_frame("secret", 12, "iop-tui 0.1"))
    assert hello == Hello(PROTOCOL_VERSION, "secret", 12, "iop-tui 0.1")
    assert parse_hello({"kind": "hello", "v": PROTOCOL_VERSION, "token": "t"}) == Hello(PROTOCOL_VERSION, "t", None, "")
    assert parse_hello({"kind": "hello", "v": PROTOCOL_VERSION, "token": "t", "client": 7}).client == ""
    assert parse_hello({"kind": "hello", "v": PROTOCOL_VERSION, "token": "t", "client": "c" * 500}).client == "c" * 80


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"v": None}, ErrorCode.BAD_FRAME),
        ({"v": "1"}, ErrorCode.BAD_FRAME),
        ({"v": True}, ErrorCode.BAD_FRAME),
        ({"v": PROTOCOL_VERSION + 1}, ErrorCode.UNSUPPORTED_VERSION),
        ({"v": 0}, ErrorCode.UNSUPPORTED_VERSION),
        ({"token": None}, ErrorCode.UNAUTHORIZED),
        ({"token": ""}, ErrorCode.UNAUTHORIZED),
        ({"token": 1234}, ErrorCode.UNAUTHORIZED),
        ({"token": "t" * 201}, ErrorCode.UNAUTHORIZED),
        ({"resume_from": -1}, ErrorCode.BAD_FRAME),
        ({"resume_from": "5"}, ErrorCode.BAD_FRAME),
        ({"resume_from": True}, ErrorCode.BAD_FRAME),
        ({"resume_from": 1.5}, ErrorCode.BAD_FRAME),
    ],
)
def test_hello_refusals(changes, code):
    frame = {**hello_frame("secret", None), **changes}
    frame = {k: v for k, v in frame.items() if v is not None or k == "resume_from"}
    err = _refused(parse_client_frame, frame)
    assert err.code == code
    if code == ErrorCode.UNSUPPORTED_VERSION:
        assert "update the client" in err.message


# -- commands --------------------------------------------------------------------


def _valid(spec: Field) -> Any:
    """A valid value for a field."""
    if spec.choices:
        return spec.choices[0]
    if spec.type == "str":
        return "x" * max(spec.min_len, 1)
    if spec.type == "int":
        return spec.minimum if spec.minimum is not None else 0
    if spec.type == "bool":
        return True
    if spec.type == "date":
        return "2026-12-01"
    if spec.type == "list":
        assert spec.item is not None
        return [_valid(spec.item)] * max(spec.min_len, 1)
    if spec.type == "dict":
        return {f.name: _valid(f) for f in spec.fields}
    raise AssertionError(spec.type)


def _valid_data(kind: str) -> dict[str, Any]:
    return {f.name: _valid(f) for f in COMMANDS[kind]}


def _wrong(spec: Field) -> list[Any]:
    """Values that must be refused as ``invalid`` for a field."""
    out: list[Any] = [1.5, {"a": 1}]
    if not spec.nullable:
        out.append(None)
    if spec.type in ("str", "date"):
        out += [5, ["x"], True]
        if spec.type == "date":
            out += ["2026-13-01", "20261201", "next week", "2026-12-1"]
        elif spec.choices:
            out.append("no-such-choice")
        else:
            if spec.max_len is not None:
                out.append("y" * (spec.max_len + 1))
            if spec.min_len:
                out += ["", "   "]
    elif spec.type == "int":
        out += ["1", True, False]
        if spec.minimum is not None:
            out.append(spec.minimum - 1)
        if spec.maximum is not None:
            out.append(spec.maximum + 1)
    elif spec.type == "bool":
        out += [0, 1, "true"]
    elif spec.type == "list":
        assert spec.item is not None
        out += ["x", 3]
        if spec.max_len is not None:
            out.append([_valid(spec.item)] * (spec.max_len + 1))
        if spec.min_len:
            out.append([])
        out += [[bad] for bad in _wrong(spec.item)[:4]]
    elif spec.type == "dict":
        out = [1.5, "x", [1], {}]
        out.append({**_valid(spec), "extra": 1})
    return out


def _field_cases():
    for kind, fields in sorted(COMMANDS.items()):
        for spec in fields:
            for i, bad in enumerate(_wrong(spec)):
                yield pytest.param(kind, spec.name, bad, id=f"{kind}-{spec.name}-{i}")


@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_every_command_kind_parses_valid_data(kind: str):
    data = _valid_data(kind)
    command = parse_client_frame(command_frame(kind, "id-1", data))
    assert isinstance(command, Command) and command.kind == kind and command.id == "id-1"
    assert set(command.data) == {f.name for f in COMMANDS[kind]}


@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_defaults_fill_missing_optional_fields(kind: str):
    required = {f.name: _valid(f) for f in COMMANDS[kind] if f.required}
    command = parse_command(command_frame(kind, "id", required))
    for spec in COMMANDS[kind]:
        if not spec.required:
            assert command.data[spec.name] == spec.default
    for spec in COMMANDS[kind]:
        if spec.required:
            missing = {k: v for k, v in required.items() if k != spec.name}
            err = _refused(parse_command, command_frame(kind, "id", missing))
            assert err.code == ErrorCode.INVALID and spec.name in err.message and err.command_id == "id"


@pytest.mark.parametrize("kind, name, bad", list(_field_cases()))
def test_every_field_refuses_wrong_values(kind: str, name: str, bad: Any):
    data = {**_valid_data(kind), name: bad}
    err = _refused(parse_command, command_frame(kind, "cmd-9", data))
    assert err.code == ErrorCode.INVALID
    assert err.command_id == "cmd-9"  # bound, so the client can match it
    # A limit is said in a person's words from LIMIT_WORDS ("The deck is too long: at most 60,000 characters.").
    assert (name in err.message or "at most" in err.message) and "None" not in err.message


def test_text_is_trimmed_where_it_must_not_be_empty():
    command = parse_command(command_frame("chat.send", "a", {"text": "  hi  "}))
    assert command.data == {"text": "hi", "to": "group", "me": False}


@pytest.mark.parametrize(
    "frame, code",
    [
        ({"id": "a", "data": {}}, ErrorCode.BAD_FRAME),
        ({"kind": 5, "id": "a"}, ErrorCode.BAD_FRAME),
        ({"kind": "chat.send", "data": {"text": "x"}}, ErrorCode.BAD_FRAME),
        ({"kind": "chat.send", "id": "", "data": {"text": "x"}}, ErrorCode.BAD_FRAME),
        ({"kind": "chat.send", "id": "i" * (MAX_ID + 1), "data": {"text": "x"}}, ErrorCode.BAD_FRAME),
        ({"kind": "chat.send", "id": 17, "data": {"text": "x"}}, ErrorCode.BAD_FRAME),
        ({"kind": "chat.send", "id": "a", "data": ["x"]}, ErrorCode.BAD_FRAME),
        ({"kind": "chat.send", "id": "a", "data": {"text": "x"}, "extra": 1}, ErrorCode.BAD_FRAME),
        ({"kind": "chat.shout", "id": "a", "data": {}}, ErrorCode.UNKNOWN_KIND),
        ({"kind": "welcome", "id": "a", "data": {}}, ErrorCode.UNKNOWN_KIND),
        ({"kind": "chat.send", "id": "a", "data": {"text": "x", "colour": "red"}}, ErrorCode.INVALID),
    ],
)
def test_envelope_refusals(frame, code):
    err = _refused(parse_client_frame, frame)
    assert err.code == code
    if code in (ErrorCode.UNKNOWN_KIND, ErrorCode.INVALID):
        assert err.command_id == "a"


def test_a_missing_data_map_means_no_fields():
    assert parse_command({"kind": "hand.raise", "id": "h"}) == Command("hand.raise", "h", {})


def test_error_frame_carries_the_bound_id():
    err = ProtocolError(ErrorCode.INVALID, "Field text must not be empty.").with_id("c-3")
    assert error_frame(err) == {"kind": "error", "id": "c-3", "code": "invalid", "message": "Field text must not be empty."}
    with pytest.raises(ValueError):
        ProtocolError("no_such_code", "x")


# -- decks -----------------------------------------------------------------------


def test_deck_separators_titles_and_notes():
    deck = parse_deck(
        "title: Week 3\r\n"
        "# Welcome ##\r\nGlad you're here.\r\nNotes: greet latecomers\r\n"
        "  ---  \r\n"
        "Second slide without heading\nmore text\nnote: quiet note\n"
        "---\n"
        "## Breathing\nIn for 4.\n???\nPace it.\nStill notes.\n"
        "---\n"
        "   \n"
        "---\n"
        "NOTES: only notes here\n"
    )
    assert deck.title == "Week 3"
    assert [s.title for s in deck.slides] == ["Welcome", "Second slide without heading", "Breathing", "Untitled"]
    assert deck.slides[0].body == "# Welcome ##\nGlad you're here."
    assert [s.notes for s in deck.slides] == ["greet latecomers", "quiet note", "Pace it.\nStill notes.", "only notes here"]
    assert all("note" not in s.body.lower() for s in deck.slides)


def test_deck_title_defaults_to_the_first_slide():
    assert parse_deck("# Urges\nthey pass").title == "Urges"
    assert parse_deck("x" * 200).slides[0].title == "x" * 80


@pytest.mark.parametrize("markdown", ["", "   \n", "---", "---\n\n---\n", "title: Only a title"])
def test_an_empty_deck_is_refused(markdown):
    err = _refused(parse_deck, markdown)
    assert err.code == ErrorCode.INVALID and "---" in err.message


def test_a_deck_has_at_most_max_slides():
    assert len(parse_deck("\n---\n".join(["s"] * MAX_SLIDES)).slides) == MAX_SLIDES
    assert _refused(parse_deck, "\n---\n".join(["s"] * (MAX_SLIDES + 1))).code == ErrorCode.INVALID


# -- audiences ---------------------------------------------------------------------

ME, OTHER = 2, 3

#: audience -> role -> (sees its own subject's event, sees another member's)
VISIBILITY = {
    EVERYONE: {FACILITATOR: (True, True), PARTICIPANT: (True, True), GUEST: (True, True)},
    MEMBERS: {FACILITATOR: (True, True), PARTICIPANT: (True, True), GUEST: (False, False)},
    FACILITATORS: {FACILITATOR: (True, True), PARTICIPANT: (False, False), GUEST: (False, False)},
    MEMBER: {FACILITATOR: (True, True), PARTICIPANT: (True, False), GUEST: (True, False)},
    # A member's own (an unshared journal entry): not another member's, not the facilitators' either.
    SELF: {FACILITATOR: (True, False), PARTICIPANT: (True, False), GUEST: (True, False)},
    # A breakout room's line: without knowing who was in the room (protocol.roles.sees's
    # stays), only the facilitators; the room's members through sees (tests below).
    ROOM: {FACILITATOR: (True, True), PARTICIPANT: (False, False), GUEST: (False, False)},
}


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("role", ROLES)
def test_visible_to_table(audience, role):
    own, other = VISIBILITY[audience][role]
    subject = ME if audience in (MEMBER, SELF) else None
    assert visible_to(audience, subject, role, ME) is own
    assert visible_to(audience, OTHER if audience in (MEMBER, SELF) else None, role, ME) is other


@pytest.mark.parametrize("role", ROLES)
def test_a_room_line_reaches_whoever_was_in_that_room_at_that_seq_and_the_facilitators(role):
    stays = [Stay(2, 10, 20), Stay(1, 21)]  # room 2 from seq 10 to 20, then room 1
    visits = [Visit(1, 5)]  # a guest in the session that started at seq 1
    def saw(room: int, seq: int) -> bool:
        return sees(role, ME, ROOM, room, seq, "chat.posted", visits, stays)
    if role == FACILITATOR:
        assert saw(2, 5) and saw(3, 30)
        return
    assert [saw(2, s) for s in (9, 10, 20, 21)] == [False, True, True, False]
    assert [saw(1, s) for s in (20, 21, 99)] == [False, True, True]
    assert not saw(3, 15) and not saw(None, 15)  # type: ignore[arg-type]
    assert not sees(role, ME, ROOM, 2, 15, "chat.posted", visits, [])


def test_visible_to_refuses_the_unknown():
    assert not visible_to("nobody", None, FACILITATOR, 1)
    assert not visible_to(MEMBER, None, PARTICIPANT, 2)  # a member event without a subject
    assert not visible_to(SELF, None, FACILITATOR, 2)  # a self event without a subject reaches no one
    assert not visible_to(MEMBERS, None, "intruder", 2)


# -- property: nothing but ProtocolError ----------------------------------------------

_KINDS = sorted(COMMANDS) + ["hello", "welcome", "", "chat"]
_FIELD_NAMES = sorted({f.name for fields in COMMANDS.values() for f in fields} | {"v", "token", "resume_from", "client"})

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["group", "facilitators", "single", "quiz", "scale", "checklist", "2026-12-01", "checkin", ""]),
)
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=5)), max_leaves=20)
_frames = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.one_of(st.sampled_from(_KINDS), _scalars),
        "id": st.one_of(st.text(max_size=70), _scalars),
        "data": st.one_of(st.dictionaries(st.sampled_from(_FIELD_NAMES), _values, max_size=6), _values),
        "v": st.one_of(st.just(PROTOCOL_VERSION), _scalars),
        "token": st.one_of(st.text(min_size=1, max_size=20), _scalars),
        "resume_from": st.one_of(st.integers(min_value=-3, max_value=10**6), _scalars),
        "client": _values,
    },
)


def _check_outcome(data: bytes) -> None:
    try:
        parsed = parse_client_frame(decode(data))
    except ProtocolError as err:
        _sentence(err)
        return
    if isinstance(parsed, Command):
        # Normalised data is itself valid: parsing it again changes nothing.
        assert parse_command(command_frame(parsed.kind, parsed.id, parsed.data)) == parsed
    else:
        assert isinstance(parsed, Hello) and parsed.version == PROTOCOL_VERSION


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=_frames)
def test_random_frames_parse_or_refuse(frame):
    _check_outcome(msgpack.packb(frame, use_bin_type=True))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(COMMANDS)), edits=st.dictionaries(st.sampled_from(_FIELD_NAMES), _values, max_size=3))
def test_mutated_valid_commands_parse_or_refuse(kind, edits):
    _check_outcome(msgpack.packb(command_frame(kind, "m", {**_valid_data(kind), **edits}), use_bin_type=True))


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(sorted(COMMANDS)),
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=4),
    cut=st.one_of(st.none(), st.integers(min_value=0)),
)
def test_corrupted_bytes_parse_or_refuse(kind, flips, cut):
    raw = bytearray(msgpack.packb(command_frame(kind, "m", _valid_data(kind)), use_bin_type=True))
    for where, byte in flips:
        raw[where % len(raw)] = byte
    if cut is not None:
        raw = raw[: cut % (len(raw) + 1)]
    _check_outcome(bytes(raw))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_parse_or_refuse(data):
    _check_outcome(data)


def test_homework_due_dates_are_iso_days():
    spec = next(f for f in COMMANDS["homework.assign"] if f.name == "due")
    assert spec.type == "date"
    assert parse_command(command_frame("homework.assign", "d", {"title": "t", "homework_kind": "text", "due": dt.date(2026, 12, 1).isoformat()})).data["due"] == "2026-12-01"


# -- the protocol document stays in step with the code ----------------------------------

_DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_protocol_doc_permission_table_matches_the_code():
    text = _DOC.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z]+\.[a-z]+)` \|([^|]*)\|([^|]*)\|([^|]*)\|", text, re.MULTILINE)
    table = {kind: {role for role, cell in zip(ROLES, cells, strict=True) if "✓" in cell} for kind, *cells in rows if kind in COMMANDS}
    assert table == {kind: set(roles) for kind, roles in PERMISSIONS.items()}


def test_protocol_doc_names_every_kind_event_and_code():
    text = _DOC.read_text(encoding="utf-8")
    names = set(COMMANDS) | set(EVENT_TYPES) | set(ErrorCode) | {"4001", "4002", "4003", "4008", "1001"}
    assert {n for n in names if f"`{n}`" not in text and f"| {n} |" not in text} == set()
