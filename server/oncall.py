"""The on-call watch: an urgent request nobody online can see goes to the group's on-call email.

When a member asks for urgent help (``urgent.raised``) or the relay raises an
alert (``alert.raised``, from a check-in or a questionnaire), the watch looks
again after ``after`` seconds: if the alert is still unacknowledged and no
facilitator of the group is connected, it emails the group's on-call address
(``iop-server group set GROUP --on-call EMAIL``) through the
:class:`~server.notify.Notifier`. While a facilitator is connected it keeps
looking every ``after`` seconds until someone acknowledges.

The email names the member, the group and the time, and nothing clinical: no
words of the member's, no mood, no answer. Once the SMTP server accepted it
the relay logs ``urgent.emailed`` (facilitators only), and an alert with that
event is never emailed again, across restarts too: :meth:`OnCall.resume`
looks at every group with an on-call address when the relay starts. A message
the server refused is tried again after ``retry`` seconds.

Exactly once across several nodes (issue 16):

- Only the group's **owner** decides an email (it alone knows whether a
  facilitator is connected): when an alert's clock runs out on a node that does
  not own the group, the node asks the placement; a group another live node
  owns is left to it, and a group nobody owns (nobody is connected anywhere) is
  claimed, so one node decides. A node that claims a group looks at its alerts
  at once (:meth:`OnCall.adopt`): an owner that died leaves its alerts to the next.
- The owner writes each new alert's email into the outbox when the alert is
  raised, held by it until the email is due. Every node looks every
  ``min(after, 30)`` seconds (:meth:`OnCall.sweep`) for such rows whose hold ran
  out and that no clock of its own watches: a row whose owner died while nobody
  was connected (so nobody claims the group for a member) is found by another
  node, which claims the group once the owner's lease has lapsed and sends it.
  A row whose alert was acknowledged meanwhile is marked ``cancelled``.
- Before sending, the owner **claims** the email in the store's outbox, as
  reminders are claimed (:meth:`~server.store.Store.claim_reminder`: the row
  (member, ``oncall:ALERT``, ``oncall``) under a lease of ``lease`` seconds,
  ``serve --reminder-lease``), and marks it sent once the SMTP server accepted
  it. Another node (a paused old owner that wakes up) finds it claimed and
  leaves it. A claim whose node died before sending (the fault hook
  ``IOP_FAULT=die-after-oncall-claim`` for the tests) is taken over when its
  lease has run out and sent then (at once by the same node id started again:
  its earlier process is gone); a row found sent whose ``urgent.emailed``
  was never logged (the sender died in between) is logged then, not sent again.
- The one window left, as for reminders: a node that dies (or is paused past
  the claim's lease) after the SMTP server accepted the message and before the
  row says sent; the next owner sends it again, with the same ``Message-ID``
  (the outbox key), so a mail system that drops duplicates drops it. Never two
  emails from two live nodes: the guarantee is at most one send per live claim,
  at least one while any node runs.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
import os
import re
import time
from typing import Any

from protocol.events import Draft, Event
from protocol.roles import FACILITATORS
from protocol.state import GroupState

from .hub import Hub, Room
from .notify import Notifier, NotifyError
from .placement import Local, Placement, PlacementError, SinglePlacement
from .reminders import FAULT_ENV, REMINDER_LEASE

__all__ = ["OnCall", "ON_CALL_AFTER", "email_text"]

log = logging.getLogger("iop.server")

#: Seconds an alert waits for a connected facilitator before the on-call email.
ON_CALL_AFTER = 120.0
#: Seconds before a refused email is tried again.
RETRY_AFTER = 60.0

ALERT_EVENTS = ("urgent.raised", "alert.raised")
#: The outbox channel of on-call emails (their rows sit beside the reminders').
CHANNEL = "oncall"
#: Tries of one on-call email: an urgent request is never given up.
ATTEMPTS = 10**9
#: Seconds between two looks for emails left due by a node that died (at most; ``after`` if shorter).
SWEEP_EVERY = 30.0


def email_text(member: str, group: str, ts: float) -> tuple[str, str]:
    """The on-call email's subject and body: who, where and when; nothing clinical."""
    when = _dt.datetime.fromtimestamp(ts, _dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    subject = f"iop-tui: {member} in {group} needs a facilitator now"
    body = (
        f"{member}, a member of the group {group}, needs a facilitator's attention: "
        f"an urgent request was made at {when}, and no facilitator was connected.\n\n"
        "Join the group with iop-tui to read it and acknowledge it, or follow your program's crisis procedure.\n"
    )
    return subject, body


class OnCall:
    """Watches one hub's alerts and emails the on-call address when nobody is online."""

    def __init__(
        self, hub: Hub, notifier: Notifier, *, after: float = ON_CALL_AFTER, retry: float = RETRY_AFTER,
        placement: Placement | None = None, lease: float = REMINDER_LEASE, clock=time.time,
    ) -> None:
        self.hub = hub
        self.notifier = notifier
        self.after = after
        self.retry = retry
        self.placement = placement if placement is not None else SinglePlacement()
        self.lease = lease
        self.clock = clock
        self._timers: dict[tuple[int, int], asyncio.TimerHandle] = {}
        self._sending: dict[tuple[int, int], asyncio.Task[Any]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        hub.watcher = self.watch

    def watch(self, room: Room, events: list[Event]) -> None:
        """Hub callback: start the clock of every new alert, and hold its email in the outbox
        until it is due (so another node finds it should this one die: :meth:`sweep`)."""
        for event in events:
            if event.type in ALERT_EVENTS:
                self._schedule(room.group.id, event.seq, self.after)
                if self.hub.store.group_settings(room.group.id).on_call:
                    member_id = int(event.data.get("member_id", 0))
                    self.hub.store.claim_reminder(
                        member_id, f"oncall:{event.seq}", CHANNEL, room.group.id, event.ts,
                        owner=self.placement.node_id, lease=self.after, now=self.clock(), max_attempts=ATTEMPTS,
                    )

    def start(self) -> None:
        """Look for emails left due by a node that died (:meth:`sweep`) every ``min(after, 30)`` s."""
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        every = min(self.after, SWEEP_EVERY)
        while True:
            await asyncio.sleep(every)
            try:
                self.sweep()
            except Exception as exc:  # the store unreachable (PostgreSQL restarting): look again next time
                log.warning("Could not look for on-call emails due (%s); looking again in %g s.", exc, every)

    def sweep(self) -> None:
        """Decide every on-call email due in the outbox that no clock of this node watches."""
        for _member_id, occasion, group_id in self.hub.store.due_outbox(CHANNEL, self.clock()):
            key = (group_id, int(occasion.split(":", 1)[1]))
            if key not in self._timers and key not in self._sending:
                self._schedule(*key, 0.0)

    def resume(self) -> None:
        """At start: every alert of a group with an on-call address that was neither
        acknowledged nor emailed before the relay stopped gets its clock again."""
        for group_id in self.hub.store.groups_on_call():
            room = self.hub.room(group_id)
            for alert in room.state.unacknowledged():
                if not alert.emailed:
                    self._schedule(group_id, alert.alert_id, self.after)

    def adopt(self, group_id: int) -> None:
        """This node just claimed the group (issue 16): its alerts neither acknowledged nor
        emailed get their clocks, counted from when they were raised (the last owner may be dead)."""
        if not self.hub.store.group_settings(group_id).on_call:
            return
        room = self.hub.room(group_id)
        now = self.clock()
        for alert in room.state.unacknowledged():
            if not alert.emailed:
                self._schedule(group_id, alert.alert_id, max(0.0, alert.ts + self.after - now))

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in self._sending.values():
            task.cancel()
        if self._sweeper is not None:
            self._sweeper.cancel()

    async def wait_sent(self) -> None:
        """Wait for the emails being handed to the SMTP server now (tests, shutdown)."""
        while self._sending:
            await asyncio.gather(*list(self._sending.values()), return_exceptions=True)

    def _schedule(self, group_id: int, alert_id: int, delay: float) -> None:
        key = (group_id, alert_id)
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        self._timers[key] = asyncio.get_running_loop().call_later(delay, self._due, group_id, alert_id)

    def _due(self, group_id: int, alert_id: int) -> None:
        key = (group_id, alert_id)
        self._timers.pop(key, None)
        if key in self._sending:
            return
        task = asyncio.get_running_loop().create_task(self._decide(group_id, alert_id))
        self._sending[key] = task
        task.add_done_callback(lambda _t: self._sending.pop(key, None))

    async def _decide(self, group_id: int, alert_id: int) -> None:
        """The alert's clock ran out: on the group's owner, claim the email, send it, log it."""
        try:
            where = await self.placement.place(group_id)
        except (PlacementError, LookupError) as exc:
            log.warning("Could not tell which node owns group %d (%s); its urgent request is looked at again shortly.", group_id, exc)
            self._schedule(group_id, alert_id, self.retry)
            return
        if not isinstance(where, Local):
            return  # another live node owns the group: it decides (its clock, or adopt() when it claimed it)
        room = self.hub.room(group_id)  # (read again when this node just claimed the group)
        alert = room.state.alerts.get(alert_id)
        if alert is None or alert.acknowledged_by is not None or alert.emailed:
            if alert is not None and alert.acknowledged_by is not None:
                self.hub.store.cancel_outbox(alert.member_id, f"oncall:{alert_id}", CHANNEL)  # not needed: no node looks again
            return
        if self.hub.facilitators_online(room):
            self._schedule(group_id, alert_id, self.after)  # look again while nobody has acknowledged
            return
        on_call = self.hub.store.group_settings(group_id).on_call
        if not on_call:
            log.warning("An urgent request in %s went unseen and the group has no on-call address; set one with 'iop-server group set'.", room.group.name)
            return
        occasion = f"oncall:{alert_id}"
        store, node, now = self.hub.store, self.placement.node_id, self.clock()
        # (own_again: a row this node's id holds is from this node, which decides here now, or from its
        # earlier process, which is gone: its hold until the email is due, or a send it never finished)
        claimed = store.claim_reminder(
            alert.member_id, occasion, CHANNEL, group_id, alert.ts, owner=node, lease=self.lease, now=now, max_attempts=ATTEMPTS, own_again=True,
        )
        if not claimed:
            state = store.outbox_state(alert.member_id, occasion, CHANNEL)
            if state is not None and state[0] == "sent":  # sent by a node that died before logging it
                self._log_sent(room, alert_id, alert.member_id, on_call)
            elif state is not None:  # another node holds the claim: look again when it runs out
                self._schedule(group_id, alert_id, max(0.5, state[1] - now + 0.1))
            return
        if os.environ.get(FAULT_ENV) == "die-after-oncall-claim":
            os._exit(75)  # the tests' fault: dead between the claim and the send
        subject, body = email_text(room.state.name_of(alert.member_id), room.group.name, alert.ts)
        message_id = f"<{re.sub(r'[^A-Za-z0-9.-]', '-', f'{alert.member_id}:{occasion}:{CHANNEL}')}@iop-tui>"
        try:
            await self.notifier.send(on_call, subject, body, message_id=message_id)
        except NotifyError as exc:
            log.warning("%s", exc)
            store.finish_reminder(alert.member_id, occasion, CHANNEL, owner=node, sent=False, now=now, retry_at=self.clock() + self.retry, error=str(exc))
            self._schedule(group_id, alert_id, self.retry)
            return
        store.finish_reminder(alert.member_id, occasion, CHANNEL, owner=node, sent=True, now=self.clock())
        self._log_sent(self.hub.rooms.get(group_id, room), alert_id, alert.member_id, on_call)

    def _log_sent(self, room: Room, alert_id: int, member_id: int, to: str) -> None:
        """Log ``urgent.emailed`` with the room's next batch (refused, and the group dropped, should
        another node own it now: that node logs it when its clock of the alert finds the email sent)."""

        def emailed(state: GroupState, _now: float) -> list[Draft]:
            alert = state.alerts.get(alert_id)
            if alert is not None and alert.emailed:
                return []  # logged already (a batch stored after all, read back)
            return [Draft("urgent.emailed", FACILITATORS, {"alert_id": alert_id, "member_id": member_id, "to": to})]

        def said(_events: list[Event]) -> None:
            log.info("emailed the on-call address of %s about an urgent request", room.group.name)

        self.hub.log_soon(room, emailed, said)
