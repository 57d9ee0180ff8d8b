"""The msgpack wire codec: bytes <-> frames (plain dicts), with size limits.

Decoding never raises anything but :class:`ProtocolError`, so an edge can turn
any bad input into an error frame without guessing what went wrong.
"""

from __future__ import annotations

from typing import Any

import msgpack

from .errors import ErrorCode, ProtocolError

__all__ = ["MAX_FRAME_BYTES", "TOKEN_BYTES", "encode", "decode", "decode_command", "frame_cost"]

#: Largest frame a peer may send (a deck of slides fits well inside).
MAX_FRAME_BYTES = 64 * 1024

# Bounds on what the unpacker will build, so a tiny frame cannot declare a
# huge container and make the decoder allocate it. These suit any frame, from
# either side (a relay's event may hold a deck of 100 slides).
_LIMITS = dict(
    max_str_len=MAX_FRAME_BYTES,
    max_bin_len=0,
    max_array_len=4096,
    max_map_len=256,
    max_ext_len=0,
)
#: Tighter bounds for what a client sends: no command holds a list of more than
#: 20 items (``messages.MAX_ITEMS``) or a map of more than a dozen fields, so a
#: frame that does is refused while it is read, before it is built.
COMMAND_ARRAY_LEN = 64
COMMAND_MAP_LEN = 32
_COMMAND_LIMITS = dict(_LIMITS, max_array_len=COMMAND_ARRAY_LEN, max_map_len=COMMAND_MAP_LEN)
_MAX_DEPTH = 8
#: Levels of nesting a command may have, counting the frame's own map and the
#: values at the bottom: the deepest (a homework log: frame, data, log, entry,
#: feelings, a word) has 6.
COMMAND_DEPTH = 7


#: A frame costs one token of the relay's rate limit per started this many bytes.
TOKEN_BYTES = 8 * 1024


def frame_cost(size: int) -> int:
    """Tokens a frame of ``size`` bytes costs: one per started ``TOKEN_BYTES``, at
    least one, so the costliest frames a member may send are also the rarest."""
    return 1 + (size - 1) // TOKEN_BYTES if size > 0 else 1


def encode(frame: dict[str, Any]) -> bytes:
    """Encode a frame as msgpack."""
    packed: bytes = msgpack.packb(frame, use_bin_type=True)
    return packed


def decode_command(data: bytes | str) -> dict[str, Any]:
    """Decode one frame a client sent, at a bounded cost: at most ``MAX_FRAME_BYTES``,
    lists of at most ``COMMAND_ARRAY_LEN`` items, maps of at most ``COMMAND_MAP_LEN``
    keys, nested at most ``COMMAND_DEPTH`` deep; anything else is refused with ``bad_frame``."""
    return decode(data, MAX_FRAME_BYTES, _limits=_COMMAND_LIMITS, _depth=COMMAND_DEPTH)


def decode(
    data: bytes | str, max_size: int = MAX_FRAME_BYTES, *, _limits: dict[str, int] = _LIMITS, _depth: int = _MAX_DEPTH
) -> dict[str, Any]:
    """Decode one frame; raise :class:`ProtocolError` for anything but a msgpack map."""
    if isinstance(data, str):
        raise ProtocolError(ErrorCode.BAD_FRAME, "Frames must be binary msgpack, not text; send a binary message.")
    if len(data) > max_size:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"That message is {len(data)} bytes, over the {max_size}-byte limit; send something shorter.")
    try:
        frame = msgpack.unpackb(data, raw=False, strict_map_key=True, **_limits)
    except ValueError as exc:
        if "exceeds max" in str(exc):
            raise ProtocolError(ErrorCode.BAD_FRAME, "The message holds a list or map larger than any command needs; check the client.") from None
        raise ProtocolError(ErrorCode.BAD_FRAME, f"The message could not be read as msgpack ({type(exc).__name__}); check the client.") from None
    except Exception as exc:  # msgpack raises many exception types for bad input
        raise ProtocolError(ErrorCode.BAD_FRAME, f"The message could not be read as msgpack ({type(exc).__name__}); check the client.") from None
    if not isinstance(frame, dict):
        raise ProtocolError(ErrorCode.BAD_FRAME, "A frame must be a msgpack map with a 'kind' field.")
    if _too_deep(frame, _depth):
        raise ProtocolError(ErrorCode.BAD_FRAME, "The message is nested too deeply to be a valid frame.")
    return frame


def _too_deep(value: Any, limit: int, level: int = 1) -> bool:
    """Whether ``value`` (a container at ``level``) nests deeper than ``limit``,
    counting the values at the bottom as a level. A container of plain values
    is checked by one pass in C (``map(type, ...)``), never item by item."""
    if not value:
        return level > limit
    if level + 1 > limit:
        return True
    items = value.values() if isinstance(value, dict) else value
    types = set(map(type, items))
    if dict not in types and list not in types:
        return False
    return any(_too_deep(v, limit, level + 1) for v in items if isinstance(v, (dict, list)))
