"""The msgpack wire codec: bytes <-> frames (plain dicts), with size limits.

Decoding never raises anything but :class:`ProtocolError`, so an edge can turn
any bad input into an error frame without guessing what went wrong.
"""

from __future__ import annotations

from typing import Any

import msgpack

from .errors import ErrorCode, ProtocolError

__all__ = ["MAX_FRAME_BYTES", "encode", "decode"]

#: Largest frame a peer may send (a deck of slides fits well inside).
MAX_FRAME_BYTES = 64 * 1024

# Bounds on what the unpacker will build, so a tiny frame cannot declare a
# huge container and make the decoder allocate it.
_LIMITS = dict(
    max_str_len=MAX_FRAME_BYTES,
    max_bin_len=0,
    max_array_len=4096,
    max_map_len=256,
    max_ext_len=0,
)
_MAX_DEPTH = 8


def encode(frame: dict[str, Any]) -> bytes:
    """Encode a frame as msgpack."""
    return msgpack.packb(frame, use_bin_type=True)


def decode(data: bytes | str, max_size: int = MAX_FRAME_BYTES) -> dict[str, Any]:
    """Decode one frame; raise :class:`ProtocolError` for anything but a msgpack map."""
    if isinstance(data, str):
        raise ProtocolError(ErrorCode.BAD_FRAME, "Frames must be binary msgpack, not text; send a binary message.")
    if len(data) > max_size:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"That message is {len(data)} bytes, over the {max_size}-byte limit; send something shorter.")
    try:
        frame = msgpack.unpackb(data, raw=False, strict_map_key=True, **_LIMITS)
    except Exception as exc:  # msgpack raises many exception types for bad input
        raise ProtocolError(ErrorCode.BAD_FRAME, f"The message could not be read as msgpack ({type(exc).__name__}); check the client.") from None
    if not isinstance(frame, dict):
        raise ProtocolError(ErrorCode.BAD_FRAME, "A frame must be a msgpack map with a 'kind' field.")
    if _depth(frame) > _MAX_DEPTH:
        raise ProtocolError(ErrorCode.BAD_FRAME, "The message is nested too deeply to be a valid frame.")
    return frame


def _depth(value: Any, level: int = 1) -> int:
    if level > _MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level
