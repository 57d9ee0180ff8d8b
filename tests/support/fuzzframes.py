"""Generators of bad frames for the server-level fuzz (tests and bench/fuzz_server.py).

Everything is derived from :data:`protocol.messages.COMMANDS`, so a new
command kind or field is fuzzed without touching this file:

- :func:`valid_data` builds a well-formed ``data`` map for a kind;
- :func:`wrong_values` lists values that break one field's type, range,
  length, choices or shape;
- :func:`field_cases` yields (kind, field, value, frame) for every kind x
  field x wrong value;
- :func:`malformed_messages` yields websocket messages that are not valid
  frames at all (random bytes, truncated and nested msgpack, huge maps and
  strings, text frames, non-map values);
- :func:`random_message` draws one bad message of any sort from a seeded RNG.

Each generated message is refused by the relay with an ``error`` frame; none
may change the store.
"""

from __future__ import annotations

import random
from typing import Any
from collections.abc import Iterator

import msgpack

from protocol.codec import MAX_FRAME_BYTES, decode
from protocol.errors import ProtocolError
from protocol.messages import COMMANDS, PROTOCOL_VERSION, Field, parse_client_frame

__all__ = ["valid_value", "valid_data", "wrong_values", "field_cases", "malformed_messages", "random_message", "locally_refused", "pack"]


def pack(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def valid_value(spec: Field) -> Any:
    """A value that passes ``spec``'s checks."""
    if spec.choices:
        return spec.choices[0]
    t = spec.type
    if t == "str":
        return "x" * max(1, spec.min_len)
    if t == "date":
        return "2030-01-31"
    if t == "int":
        return spec.minimum if spec.minimum is not None else 0
    if t == "bool":
        return True
    if t == "list":
        assert spec.item is not None
        return [valid_value(spec.item) for _ in range(max(1, spec.min_len))]
    if t == "dict":
        return {f.name: valid_value(f) for f in spec.fields}
    raise ValueError(t)


def valid_data(kind: str) -> dict[str, Any]:
    return {f.name: valid_value(f) for f in COMMANDS[kind]}


def wrong_values(spec: Field) -> list[Any]:
    """Values that ``spec`` must refuse: wrong types, out of range, too long, not a choice."""
    out: list[Any] = []
    if not spec.nullable:
        out.append(None)
    t = spec.type
    if t in ("str", "date"):
        out += [1, 1.5, True, [], {}, ["x"], {"a": "b"}]
        if t == "date":
            out += ["2030-13-01", "31/01/2030", "tomorrow", "2030-1-1", ""]
        else:
            if spec.max_len is not None:
                out.append("y" * (spec.max_len + 1))
            if spec.min_len:
                out += ["", " " * spec.min_len]
            if spec.choices:
                out += ["not-a-choice", str(spec.choices[0]).upper()]
    elif t == "int":
        out += ["1", 1.5, True, False, [], {}, [1]]
        if spec.minimum is not None:
            out.append(spec.minimum - 1)
        if spec.maximum is not None:
            out.append(spec.maximum + 1)
        out += [2**63 - 1 if spec.maximum is not None else -(2**63)]
    elif t == "bool":
        out += [0, 1, "true", "", [], {}, 1.0]
    elif t == "list":
        assert spec.item is not None
        out += ["x", 1, {}, True]
        if spec.max_len is not None:
            out.append([valid_value(spec.item)] * (spec.max_len + 1))
        if spec.min_len:
            out.append([])
        for bad in wrong_values(spec.item)[:4]:
            out.append([bad])
    elif t == "dict":
        out += ["x", 1, [], True]
        base = {f.name: valid_value(f) for f in spec.fields}
        out.append({**base, "extra_field": 1})
        for f in spec.fields:
            if f.required:
                out.append({k: v for k, v in base.items() if k != f.name})
    return out


def field_cases(id_prefix: str = "f") -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
    """(kind, field name, bad value, frame) for every kind x field x wrong value,
    plus a missing required field and an unknown extra field per kind."""
    n = 0
    for kind, fields in COMMANDS.items():
        base = valid_data(kind)
        for spec in fields:
            for bad in wrong_values(spec):
                n += 1
                yield kind, spec.name, bad, {"kind": kind, "id": f"{id_prefix}{n}", "data": {**base, spec.name: bad}}
            if spec.required:
                n += 1
                data = {k: v for k, v in base.items() if k != spec.name}
                yield kind, spec.name, "<missing>", {"kind": kind, "id": f"{id_prefix}{n}", "data": data}
        n += 1
        yield kind, "<extra>", 1, {"kind": kind, "id": f"{id_prefix}{n}", "data": {**base, "unexpected": 1}}
        n += 1
        yield kind, "<data>", [], {"kind": kind, "id": f"{id_prefix}{n}", "data": []}
        n += 1
        yield kind, "<envelope>", 1, {"kind": kind, "id": f"{id_prefix}{n}", "data": base, "extra": 1}


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for i in range(depth):
        value = {"k": value} if i % 2 else [value]
    return value


def malformed_messages() -> Iterator[tuple[str, bytes | str]]:
    """(label, websocket message) pairs that are not valid command frames."""
    good = pack({"kind": "chat.send", "id": "m1", "data": {"text": "hello"}})
    yield "empty", b""
    yield "text frame", "{'kind': 'chat.send'}"
    yield "text frame json", '{"kind": "chat.send", "id": "t1", "data": {"text": "hi"}}'
    yield "not msgpack", b"\xc1\xc1\xc1"
    for cut in (1, 5, len(good) // 2, len(good) - 1):
        yield f"truncated at {cut}", good[:cut]
    yield "trailing bytes", good + b"\x00"
    yield "int", pack(7)
    yield "string", pack("chat.send")
    yield "list", pack(["chat.send", "id", {}])
    yield "nil", pack(None)
    yield "binary value", pack({"kind": "chat.send", "id": "b1", "data": {"text": b"bytes"}})
    yield "ext value", pack({"kind": "chat.send", "id": "e1", "data": {"text": msgpack.ExtType(5, b"xx")}})
    yield "int keys", pack({1: "chat.send", "id": "k1"})
    yield "nested 9", pack({"kind": "chat.send", "id": "n9", "data": {"text": _nested(9)}})
    yield "nested 200", pack({"kind": "chat.send", "id": "n200", "data": _nested(200)})
    yield "map of 300", pack({"kind": "chat.send", "id": "h300", "data": {f"k{i}": i for i in range(300)}})
    yield "array of 5000", pack({"kind": "chat.send", "id": "a5000", "data": {"text": list(range(5000))}})
    yield "declared huge map", b"\xdf\xff\xff\xff\xff"
    yield "declared huge array", b"\xdd\xff\xff\xff\xff"
    yield "declared huge string", b"\xdb\xff\xff\xff\xff" + b"a" * 10
    yield "string over the frame limit", pack({"kind": "chat.send", "id": "big", "data": {"text": "z" * (MAX_FRAME_BYTES + 10)}})
    yield "no kind", pack({"id": "nk", "data": {}})
    yield "kind not text", pack({"kind": 5, "id": "kn", "data": {}})
    yield "no id", pack({"kind": "chat.send", "data": {"text": "x"}})
    yield "id not text", pack({"kind": "chat.send", "id": 5, "data": {"text": "x"}})
    yield "id too long", pack({"kind": "chat.send", "id": "i" * 65, "data": {"text": "x"}})
    yield "unknown kind", pack({"kind": "session.explode", "id": "u1", "data": {}})
    yield "server frame kind", pack({"kind": "event", "id": "u2", "data": {}})
    yield "ack kind", pack({"kind": "ack", "id": "u3", "seq": 1})
    yield "hello again", pack({"kind": "hello", "v": PROTOCOL_VERSION, "token": "x", "resume_from": None})
    yield "hello other version", pack({"kind": "hello", "v": PROTOCOL_VERSION + 1, "token": "x"})
    yield "float nan", pack({"kind": "poll.vote", "id": "nan", "data": {"poll_id": float("nan"), "choices": [0]}})
    yield "huge int", pack({"kind": "slide.goto", "id": "hi", "data": {"index": 2**64 - 1}})
    yield "negative int", pack({"kind": "slide.goto", "id": "ni", "data": {"index": -(2**63)}})


def locally_refused(message: bytes | str) -> bool:
    """Whether the protocol layer itself refuses ``message`` (so the relay must too)."""
    try:
        frame = decode(message)
        parse_client_frame(frame)
    except ProtocolError:
        return True
    return False


def random_message(rng: random.Random, seq: int) -> bytes | str:
    """One bad message drawn at random, never one the protocol would accept."""
    while True:
        message = _random_message(rng, seq)
        if locally_refused(message):
            return message


def _random_message(rng: random.Random, seq: int) -> bytes | str:
    choice = rng.random()
    if choice < 0.15:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
    if choice < 0.2:
        return "".join(chr(rng.randint(32, 0x2FF)) for _ in range(rng.randint(0, 40)))
    kind = rng.choice(list(COMMANDS))
    fields = COMMANDS[kind]
    data = valid_data(kind)
    if choice < 0.7 and fields:
        spec = rng.choice(fields)
        data[spec.name] = rng.choice(wrong_values(spec))
        return pack({"kind": kind, "id": f"r{seq}", "data": data})
    frame: dict[str, Any] = {"kind": kind, "id": f"r{seq}", "data": data}
    raw = pack(frame)
    if choice < 0.85:
        cut = rng.randint(0, max(0, len(raw) - 1))
        return raw[:cut]
    if choice < 0.93:
        b = bytearray(raw)
        for _ in range(rng.randint(1, 4)):
            if b:
                b[rng.randrange(len(b))] = rng.getrandbits(8)
        return bytes(b)
    bad = rng.choice([
        {"kind": rng.choice(["x", "", "hello", "welcome", kind.upper()]), "id": f"r{seq}", "data": data},
        {"kind": kind, "id": rng.choice([None, 1, "", "i" * 80]), "data": data},
        {"kind": kind, "id": f"r{seq}", "data": rng.choice([None, 1, "x", [data]])},
        {"kind": kind, "id": f"r{seq}", "data": {**data, f"extra{rng.randint(0, 9)}": 1}},
    ])
    return pack(bad)
