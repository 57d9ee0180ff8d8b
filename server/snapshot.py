"""Snapshots of a room's folded state (issue 16): a room loads from its group's last snapshot
and the events logged after it, not from the whole log.

A room is the fold of its group's log (:class:`protocol.state.GroupState`), and a group that
meets for months has a long one: each load (a session's first member, a node claiming a dead
node's groups) folded every event again, about 13 us each. When a room is unloaded between
sessions (:meth:`server.hub.Hub.idle_rooms`) and at least :data:`SNAPSHOT_EVENTS` events were
folded since its last snapshot, the relay writes its state as the log alone made it
(:func:`dump`), with the seq it is folded up to, to the store's ``snapshots`` table; the next
load restores it (:func:`restore`, about a tenth of a fold) and folds only what follows.

The contract:

- **Only the log's part.** What the relay sets from its store, not from the log, is left out and
  read again at the load, as for a room folded whole: the roster's live status (every member
  "offline"), the group's alert settings, the guests' invitations, the live session's attendance
  stretches. Everything else is the fold of events 1..seq, which nothing ever changes (the log is
  append-only), so a snapshot any node wrote of a group it held is right for every node: it was
  written by a room with nothing in flight, whose every event was stored.
- **Only this code's fold.** :data:`FOLD_VERSION` is a digest of the ``protocol`` package's
  source, which holds the fold, and of this module's, which holds the layout: a snapshot
  written by another version (older or newer, a fleet during an upgrade) is not used, and the
  group is folded whole, as before, until its next snapshot. So no change to the fold can meet
  a state it did not make.
- **Only our classes.** The state is pickled (shared objects stay shared: the live session is
  also the last of ``sessions``), and :func:`restore` resolves only classes a ``protocol`` module
  defines itself: no function, nothing it imports, no path through their attributes. So the only
  things a snapshot can call are those classes, whose constructors do no I/O: a row someone forged
  in the database cannot run code. It can make a wrong state, as forged events could, and, since
  pickle may set attributes on what it makes, disturb that relay process until it restarts;
  anyone who can write the database can already forge every member's words and tokens. A snapshot
  that cannot be restored (:class:`SnapshotError`) is logged and the log folded whole.
- **In pieces.** Pickling holds the interpreter for as long as it runs, so the chat, most of a
  long group's state, is pickled :data:`CHAT_PIECE` lines at a time, apart from the rest (no
  other record refers to a chat line): :func:`dump` and :func:`restore` run on a worker thread
  (the relay's loop gets its turn between two pieces, about 8 ms apart at most here), not on
  the loop. The pieces travel in one msgpack array with the layout's name and the group's id,
  both checked before anything is unpickled: another group's snapshot, whatever row it is found
  in, is never restored.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import io
import pickle
from pathlib import Path
from typing import Any

import msgpack

import protocol
from protocol.state import DEFAULT_ALERT_MOOD, ChatLine, GroupState, RosterEntry

__all__ = ["FOLD_VERSION", "SNAPSHOT_EVENTS", "SnapshotError", "dump", "restore"]

#: A room unloaded with at least this many events folded since its last snapshot gets a new one:
#: a load then folds fewer than this many events after restoring (about 25 ms here at most).
SNAPSHOT_EVENTS = 2000

#: Chat lines pickled or unpickled at once (about 8 ms here): the longest a snapshot holds the loop.
CHAT_PIECE = 4096

#: The first item of a snapshot: its layout (a change here changes FOLD_VERSION too).
_LAYOUT = "iop-snapshot/2"


def _fold_version() -> str:
    digest = hashlib.sha256()
    for path in [*sorted(Path(protocol.__file__).parent.glob("*.py")), Path(__file__)]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"{pickle.HIGHEST_PROTOCOL}:{digest.hexdigest()[:32]}"


#: The fold a snapshot was made by: the ``protocol`` package's source and this module's (the
#: layout), and pickle's protocol.
FOLD_VERSION = _fold_version()


class SnapshotError(Exception):
    """A snapshot that cannot be restored: folded whole instead."""


def dump(state: GroupState, group_id: int) -> bytes:
    """Group ``group_id``'s ``state`` as the log alone made it (what the store gives is left out), as
    bytes for the store. ``state`` itself is not changed; nothing else may change it meanwhile (on a
    worker thread: the room is unloaded)."""
    log_only = copy.copy(state)  # a new top object; the records under it are shared, not copied
    log_only.roster = {mid: _offline(entry) for mid, entry in state.roster.items()}
    log_only.alert_mood, log_only.watch_words = DEFAULT_ALERT_MOOD, frozenset()
    log_only.guest_invites, log_only.stretches = {}, []
    log_only.chat = []
    chat = state.chat
    pieces = [pickle.dumps(chat[i:i + CHAT_PIECE], protocol=pickle.HIGHEST_PROTOCOL) for i in range(0, len(chat), CHAT_PIECE)]
    main = pickle.dumps(log_only, protocol=pickle.HIGHEST_PROTOCOL)
    return msgpack.packb([_LAYOUT, group_id, main, pieces], use_bin_type=True)


def _offline(entry: RosterEntry) -> RosterEntry:
    return entry if entry.status == "offline" else dataclasses.replace(entry, status="offline")


class _ProtocolClasses(pickle.Unpickler):
    """An unpickler that makes only the ``protocol`` package's classes."""

    def find_class(self, module: str, name: str) -> Any:
        # A class that module defines itself: no dotted path through its attributes or its imports.
        if (module == "protocol" or module.startswith("protocol.")) and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type) and found.__module__ == module:
                return found
        raise SnapshotError(f"a snapshot may not make {module}.{name}")


def restore(data: bytes, group_id: int) -> GroupState:
    """The state :func:`dump` wrote of group ``group_id``; :class:`SnapshotError` when ``data`` is not
    one, or is another group's (never shown to this group's members, whatever row it was found in)."""
    try:
        layout, of_group, main, pieces = msgpack.unpackb(data, raw=False, use_list=True)
        if layout != _LAYOUT or not isinstance(main, bytes) or not all(isinstance(p, bytes) for p in pieces):
            raise SnapshotError(f"not a snapshot (layout {layout!r})")
        if of_group != group_id:
            raise SnapshotError(f"it is group {of_group!r}'s")
        state = _unpickled(main)
        if not isinstance(state, GroupState):
            raise SnapshotError(f"not a snapshot (a {type(state).__name__})")
        for piece in pieces:
            lines = _unpickled(piece)
            if not isinstance(lines, list) or not all(type(line) is ChatLine for line in lines):
                raise SnapshotError("not a snapshot (a piece of its chat is not chat lines)")
            state.chat.extend(lines)
    except SnapshotError:
        raise
    except Exception as exc:
        raise SnapshotError(f"not a snapshot ({type(exc).__name__}: {exc})") from None
    return state


def _unpickled(data: bytes) -> Any:
    return _ProtocolClasses(io.BytesIO(data)).load()
