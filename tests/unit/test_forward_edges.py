"""The splice's frame edges (server/forward.py): the owner's frames pass unread, whatever the chunks."""

from __future__ import annotations

import struct

from websockets.frames import Close, Frame, Opcode
from websockets.streams import StreamReader

from protocol.errors import CloseCode
from server.forward import _FrameEdges


def server_frame(opcode: Opcode, payload: bytes) -> bytes:
    return Frame(opcode, payload).serialize(mask=False)


def frames_in(stream: bytes) -> list[Frame]:
    """Parse a server's stream as a client would (websockets' own parser)."""
    reader = StreamReader()
    reader.feed_data(stream)
    reader.feed_eof()
    out = []
    while reader.buffer:
        parser = Frame.parse(reader.read_exact, mask=False)
        try:
            while True:
                next(parser)
        except StopIteration as done:
            out.append(done.value)
    return out


STREAM = [
    server_frame(Opcode.BINARY, b"a" * 10),
    server_frame(Opcode.BINARY, b"b" * 300),  # 16-bit length
    server_frame(Opcode.PING, b"ping"),
    server_frame(Opcode.BINARY, b"c" * 70_000),  # 64-bit length
    server_frame(Opcode.CLOSE, Close(CloseCode.TOO_SLOW, "Too far behind").serialize()),
]


def test_the_owners_frames_pass_unchanged_in_any_chunks_and_the_edges_are_known():
    whole = b"".join(STREAM)
    for size in (1, 2, 3, 7, 100, 4096, len(whole)):
        edges = _FrameEdges()
        out = b"".join(edges.feed(whole[i : i + size]) for i in range(0, len(whole), size))
        assert out == whole, size
        assert edges.at_edge and edges.closed


def test_mid_frame_is_not_an_edge():
    edges = _FrameEdges()
    edges.feed(STREAM[1][:5])
    assert not edges.at_edge
    edges.feed(STREAM[1][5:])
    assert edges.at_edge and not edges.closed


def test_an_owner_going_away_is_passed_on_as_owner_moved():
    going = server_frame(Opcode.CLOSE, Close(CloseCode.GOING_AWAY, "bye").serialize())
    edges = _FrameEdges()
    out = edges.feed(STREAM[0] + going[:3]) + edges.feed(going[3:])
    parsed = frames_in(out)
    assert parsed[0].data == b"a" * 10
    code = struct.unpack("!H", parsed[1].data[:2])[0]
    assert parsed[1].opcode is Opcode.CLOSE and code == CloseCode.OWNER_MOVED
