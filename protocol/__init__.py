"""The iop-tui wire protocol, without I/O.

Message kinds and their validation (:mod:`.messages`), the msgpack codec
(:mod:`.codec`), error codes (:mod:`.errors`), roles, audiences and the one
permission table (:mod:`.roles`), logged events (:mod:`.events`), Markdown
decks (:mod:`.deck`) and the fold of events into a group's state
(:mod:`.state`). Nothing here imports websockets, textual, ``server`` or
``iop_tui``; see docs/protocol.md for the wire format.
"""

from .codec import MAX_FRAME_BYTES, decode, encode
from .errors import ErrorCode, ProtocolError
from .events import EVENT_TYPES, Draft, Event, parse_event
from .messages import COMMANDS, PHASES, PROTOCOL_VERSION, Command, Hello, parse_client_frame
from .roles import AUDIENCES, FACILITATOR, GUEST, PARTICIPANT, PERMISSIONS, ROLES, may, visible_to
from .state import GroupState

__all__ = [
    "AUDIENCES",
    "COMMANDS",
    "Command",
    "Draft",
    "ErrorCode",
    "EVENT_TYPES",
    "Event",
    "FACILITATOR",
    "GUEST",
    "GroupState",
    "Hello",
    "MAX_FRAME_BYTES",
    "PARTICIPANT",
    "PERMISSIONS",
    "PHASES",
    "PROTOCOL_VERSION",
    "ProtocolError",
    "ROLES",
    "decode",
    "encode",
    "may",
    "parse_client_frame",
    "parse_event",
    "visible_to",
]
