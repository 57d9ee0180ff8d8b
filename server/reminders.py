"""Reminders: the relay emails and texts members before sessions and homework deadlines, each exactly once.

Contract:

- :class:`Reminders` runs as a task of ``serve`` (started by the edge). Every
  ``every`` seconds it looks at each group's occasions: the coming sessions of
  its schedule (a family session is a session of kind family) and the due
  dates of homework not yet submitted (the occasion is
  :data:`HOMEWORK_DUE_AT` on the due day, in the group's time zone).
- A member gets a reminder only with consent, on the channels they gave an
  address for (email needs ``--smtp-host``, text messages ``--sms-url``), at
  :func:`protocol.schedule.send_at`: their lead time before the occasion, moved
  out of their quiet hours, and never while their quiet hours last (a reminder
  whose only time left is in them is not sent). Nothing goes out for an
  occasion already started.
- What it says carries nothing clinical: the group's public label (``iop-server
  schedule set --label``), the kind of occasion, the time and how to join; an
  email has the session's ``.ics`` event attached. No homework title, no group
  name. Addresses never reach the event log or the relay's log lines.
- Exactly once: before sending, the relay claims the (member, occasion,
  channel) row of the store's outbox in one transaction
  (:meth:`~server.store.Store.claim_reminder`) under a lease of ``lease``
  seconds; after the provider accepted, the row becomes ``sent``. Another relay
  on the same store finds the row claimed and leaves it. A claim whose relay
  died before sending (the fault hook ``IOP_FAULT=die-after-reminder-claim``
  kills the process right there, for the tests) is taken over once its lease
  has run out, by any relay, and sent then: once. A failed send releases the
  row until :data:`RETRY_AFTER`, at most :data:`MAX_ATTEMPTS` times. The one
  window left is a relay dying after the provider accepted and before the row
  says ``sent``; the email's ``Message-ID`` and the webhook's
  ``Idempotency-Key`` are the outbox key, so the provider can drop the second.
- The SMS webhook is a POST of JSON ``{"to", "text", "id"}`` to the clinic's
  provider (``--sms-url`` or ``IOP_SMS_URL``), from a worker thread with a
  timeout; any 2xx answer means accepted.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import logging
import os
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from protocol.roles import PARTICIPANT
from protocol.schedule import ReminderPrefs, calendar_ics, in_quiet, send_at, zone
from protocol.state import GroupState

from .notify import Attachment, Notifier, NotifyError
from .room import add_invited
from .schedule import public_text, upcoming
from .store import MemberRecord, Store

__all__ = ["Reminders", "SmsSettings", "REMINDER_EVERY", "REMINDER_LEASE", "FAULT_ENV", "reminder_text"]

log = logging.getLogger("iop.server")

T = TypeVar("T")

#: Seconds between two looks for reminders due.
REMINDER_EVERY = 30.0
#: Seconds a claimed reminder is held by its relay before another may take it over.
REMINDER_LEASE = 120.0
#: Seconds before a reminder the provider refused is tried again.
RETRY_AFTER = 300.0
#: Tries per (member, occasion, channel) before it is given up (state ``failed``).
MAX_ATTEMPTS = 5
#: Seconds to wait for the SMS provider's answer.
WEBHOOK_TIMEOUT = 10.0
#: The local time on a homework's due day that its reminder counts back from.
HOMEWORK_DUE_AT = _dt.time(18, 0)
#: The environment variable of the fault hook; ``die-after-reminder-claim`` ends the process after a claim.
FAULT_ENV = "IOP_FAULT"


@dataclass(frozen=True)
class SmsSettings:
    """Where text-message reminders go: the clinic's SMS provider's webhook."""

    url: str
    timeout: float = WEBHOOK_TIMEOUT

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmsSettings | None:
        env = os.environ if env is None else env
        url = env.get("IOP_SMS_URL", "").strip()
        return cls(url) if url else None


@dataclass(frozen=True)
class Occasion:
    """Something a member is reminded of."""

    key: str  # "session:<occurrence key>" or "homework:<id>"
    at: float  # when it happens (seconds since the epoch)
    what: str  # "group session", "family session", "homework due"
    minutes: int = 0  # a session's length
    members: frozenset[int] | None = None  # who it concerns (None: every member)
    ics: bytes | None = None


def reminder_text(label: str, occasion: Occasion, tz: ZoneInfo, join: str) -> tuple[str, str, str]:
    """(email subject, email body, text message): the public label, the time, how to join; nothing clinical."""
    when = _dt.datetime.fromtimestamp(occasion.at, tz)
    day = f"{when:%A} {when.day} {when:%B}"
    if occasion.key.startswith("homework:"):
        subject = f"Reminder: {label}, homework due {day}"
        body = f"{label}: your homework is due {day}.\nOpen iop-tui to see it and hand it in.\n"
        sms = f"{label}: homework due {day}. Open iop-tui to hand it in."
    else:
        subject = f"Reminder: {label}, {occasion.what} {day} at {when:%H:%M}"
        body = (
            f"{label}: {occasion.what} on {day} {when.year} at {when:%H:%M} ({tz.key}), {occasion.minutes} minutes.\n"
            f"How to join: {join}\n"
        )
        sms = f"{label}: {occasion.what} {when:%a} {when.day} {when:%b} {when:%H:%M} ({tz.key}). Join: {join}"
    stop = "You get this because you asked for reminders; to stop them, type /reminders off in iop-tui or ask your facilitator.\n"
    return subject, body + "\n" + stop, sms[:300]


class Reminders:
    """Looks for reminders due and sends each (member, occasion, channel) once."""

    def __init__(
        self, store: Store, notifier: Notifier | None, sms: SmsSettings | None, *,
        every: float = REMINDER_EVERY, lease: float = REMINDER_LEASE, clock=time.time,
    ) -> None:
        #: The store as the reminders read and write it: a connection of their own, used from
        #: worker threads, one call at a time, so a look over every group (its queries, a
        #: PostgreSQL round trip each) and a claim waiting for a lock never hold the event loop
        #: (issue 16). Never the hub's: that one belongs to the loop's thread.
        self.store = store
        self._store_lock = threading.Lock()
        # Each group's state as the reminders last folded it (homework, due dates), and the seq it
        # is folded to: a look reads only the events since, and never loads the group's room.
        self._folded: dict[int, tuple[GroupState, int]] = {}
        self.notifier = notifier
        self.sms = sms
        self.every = every
        self.lease = lease
        self.clock = clock
        self.owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._stop = asyncio.Event()
        #: Set once the first look has found what is due (the relay's start waits for it).
        self.first_looked = asyncio.Event()
        self.sent = 0

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(c for c, on in (("email", self.notifier is not None), ("sms", self.sms is not None)) if on)

    async def run(self) -> None:
        """Look every ``every`` seconds until :meth:`stop`; a send in progress finishes first."""
        while not self._stop.is_set():
            try:
                await self.tick(self.clock())
            except Exception:
                log.exception("looking for reminders failed; will look again")
            try:
                await asyncio.wait_for(self._stop.wait(), self.every)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        """Close the reminders' own store connection (after :meth:`run` has ended)."""
        with self._store_lock:
            self.store.close()

    # -- what is due ---------------------------------------------------------------

    def occasions(self, group_id: int, tz: ZoneInfo, label: str, join: str, now: float) -> list[Occasion]:
        found: list[Occasion] = []
        for occ in upcoming(self.store, group_id, now):
            if occ.cancelled or occ.start <= now:
                continue
            ics = calendar_ics([occ], label=label, join=join, group_id=group_id, now=now)
            found.append(Occasion(f"session:{occ.key}", occ.start, f"{occ.kind} session", occ.minutes, None, ics))
        state = self._state(group_id)
        for hw in state.homework.values():
            try:
                day = _dt.date.fromisoformat(hw.due)
            except ValueError:
                continue
            at = _dt.datetime.combine(day, HOMEWORK_DUE_AT, tz).timestamp()
            if at <= now:
                continue
            participants = {m.member_id for m in state.roster.values() if m.role == PARTICIPANT and not m.removed}
            if hw.assigned_to is not None:  # personal homework: only those it is for are reminded
                participants &= set(hw.assigned_to)
            found.append(Occasion(f"homework:{hw.homework_id}", at, "homework due", 0, frozenset(participants - set(hw.submissions))))
        return found

    async def tick(self, now: float) -> int:
        """Send every reminder due now; return how many went out."""
        if not self.channels:
            self.first_looked.set()
            return 0
        count = 0
        try:
            due = await self._off_loop(self._due, now)
        finally:
            self.first_looked.set()
        for one in due:
            count += await self._one(*one, now)
        return count

    async def _off_loop(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on a worker thread, alone on the reminders' store."""

        def alone() -> T:
            with self._store_lock:
                return fn(*args, **kwargs)

        return await asyncio.to_thread(alone)

    def _due(self, now: float) -> list[tuple[int, MemberRecord, ReminderPrefs, str, Occasion, ZoneInfo, str, str]]:
        """Every (group, member, prefs, channel, occasion, ...) whose reminder is due now (a worker thread)."""
        found = []
        for group in self.store.groups():
            members = self.store.reminder_members(group.id)
            if not members:
                continue
            tz_name, label, join = public_text(self.store, group.id)
            tz = zone(tz_name)
            local_now = _dt.datetime.fromtimestamp(now, tz)
            for occasion in self.occasions(group.id, tz, label, join, now):
                for member, prefs in members:
                    if occasion.members is not None and member.id not in occasion.members:
                        continue
                    if send_at(occasion.at, prefs, tz) > now or in_quiet(local_now, prefs.quiet):
                        continue  # not yet; never in the member's quiet hours
                    for channel in prefs.channels:
                        if channel in self.channels:
                            found.append((group.id, member, prefs, channel, occasion, tz, label, join))
        return found

    def _state(self, group_id: int) -> GroupState:
        """The group's state folded from its log, up to date (a worker thread; no room is loaded)."""
        state, seq = self._folded.get(group_id) or (GroupState(), 0)
        add_invited(state, self.store.members(group_id))
        for event in self.store.iter_events(group_id, after=seq):
            state.apply(event)
            seq = event.seq
        self._folded[group_id] = (state, seq)
        return state

    # -- one reminder ----------------------------------------------------------------

    async def _one(
        self, group_id: int, member: MemberRecord, prefs: ReminderPrefs, channel: str, occasion: Occasion,
        tz: ZoneInfo, label: str, join: str, now: float,
    ) -> int:
        claimed = await self._off_loop(
            self.store.claim_reminder,
            member.id, occasion.key, channel, group_id, occasion.at, owner=self.owner, lease=self.lease, now=now, max_attempts=MAX_ATTEMPTS,
        )
        if not claimed:
            return 0
        if os.environ.get(FAULT_ENV) == "die-after-reminder-claim":
            os._exit(75)  # the tests' fault: dead between the decision and the send
        subject, body, sms = reminder_text(label, occasion, tz, join)
        key = f"{member.id}:{occasion.key}:{channel}"
        try:
            if channel == "email":
                assert self.notifier is not None
                attachments = [Attachment(occasion.ics, "text/calendar", "session.ics")] if occasion.ics else []
                await self.notifier.send(prefs.email, subject, body, attachments=attachments, message_id=f"<{re.sub(r'[^A-Za-z0-9.-]', '-', key)}@iop-tui>")
            else:
                await self._post_sms(prefs.sms, sms, key)
        except NotifyError as exc:
            log.warning("A %s reminder for %s (member %d) was not accepted: %s", channel, member.name, member.id, exc)
            await self._off_loop(
                self.store.finish_reminder, member.id, occasion.key, channel, owner=self.owner, sent=False, now=now,
                retry_at=self.clock() + RETRY_AFTER, error=str(exc),
            )
            return 0
        await self._off_loop(
            self.store.finish_reminder, member.id, occasion.key, channel, owner=self.owner, sent=True, now=self.clock(),
        )
        self.sent += 1
        log.info("sent the %s reminder to %s (member %d) for %s", channel, member.name, member.id, occasion.key)
        return 1

    async def _post_sms(self, to: str, text: str, key: str) -> None:
        assert self.sms is not None
        settings = self.sms
        body = json.dumps({"to": to, "text": text, "id": key}).encode()
        request = urllib.request.Request(
            settings.url, data=body, method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": key, "User-Agent": "iop-server"},
        )

        def post() -> int:
            with urllib.request.urlopen(request, timeout=settings.timeout) as answer:
                return int(answer.status)

        try:
            status = await asyncio.to_thread(post)
        except urllib.error.HTTPError as exc:
            raise NotifyError(f"The SMS provider answered {exc.code}; it will be tried again.") from None
        except (OSError, ValueError) as exc:
            raise NotifyError(f"The SMS provider at {settings.url} could not be reached ({exc}); it will be tried again.") from None
        if not 200 <= status < 300:
            raise NotifyError(f"The SMS provider answered {status}; it will be tried again.")
