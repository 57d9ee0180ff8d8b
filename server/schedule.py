"""Schedules on the relay: what the store holds, the ``schedule`` frame, and ``iop-server schedule`` / ``member``.

Contract:

- A group's schedule (rules, cancellations, time zone, public label, how to
  join) lives in the store (migration 4); :func:`upcoming` expands it with
  :func:`protocol.schedule.occurrences` over the next
  :data:`~protocol.schedule.HORIZON_DAYS` days.
- :meth:`Schedules.frame_for` is the ``schedule`` frame one connection gets after its
  welcome and whenever the group's schedule revision changes: the coming
  sessions, the public label and the member's *own* reminder choices (a guest
  gets the family sessions only, and no choices). No other member's address
  ever leaves the store.
- ``iop-server schedule ACTION GROUP ...`` (list, add, cancel, restore, remove,
  set, sent) and ``iop-server member GROUP (--name|--id) ...`` (a member's reminder
  choices) are registered by :func:`add_cli` and run by :func:`run_cli`. Errors
  are one sentence (:class:`~server.store.StoreError`, exit code 2).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

from protocol.roles import GUEST
from protocol.schedule import (
    HORIZON_DAYS,
    MAX_LABEL,
    MAX_JOIN,
    MAX_SESSION_MINUTES,
    MAX_WIRE_SESSIONS,
    Occurrence,
    ReminderPrefs,
    Rule,
    calendar_ics,
    clean_email,
    clean_phone,
    occurrences,
    parse_clock,
    parse_days,
    parse_lead,
    parse_quiet,
    schedule_frame,
    zone,
)
from protocol.sessionkind import DEFAULT_SESSION_KIND, SESSION_KINDS, SessionKind

from .store import GroupRecord, MemberRecord, Store, StoreError

__all__ = ["DEFAULT_LABEL", "DEFAULT_JOIN", "upcoming", "Schedules", "group_ics", "public_text", "add_cli", "run_cli", "check_email", "check_phone"]

#: What a reminder and a calendar call the group until a facilitator sets a public label:
#: never the group's own name, which may say what it treats.
DEFAULT_LABEL = "Your group"
DEFAULT_JOIN = "open iop-tui and join your group as usual"

def check_email(text: str) -> str:
    """A tidy email address, '' for none, or StoreError with a sentence."""
    return _sentence(clean_email, text)


def check_phone(text: str) -> str:
    """A phone number without spacing, '' for none, or StoreError with a sentence."""
    return _sentence(clean_phone, text)


def public_text(store: Store, group_id: int) -> tuple[str, str, str]:
    """The group's (time zone name, public label, how to join), defaults filled in."""
    tz, label, join, _rev = store.schedule_settings(group_id)
    return tz, label or DEFAULT_LABEL, join or DEFAULT_JOIN


def upcoming(store: Store, group_id: int, now: float, *, days: int = HORIZON_DAYS, limit: int = MAX_WIRE_SESSIONS) -> list[Occurrence]:
    """The group's sessions not yet over, within ``days``, cancelled ones marked."""
    tz = zone(store.schedule_settings(group_id)[0])
    return occurrences(store.schedule_rules(group_id), store.schedule_cancellations(group_id), tz, now, now + days * 86400, limit)


class _GroupPart(NamedTuple):
    """What every member of a group is sent alike, as read at one schedule revision."""

    revision: int | None
    read_at: float
    tz: str
    label: str
    join: str
    planned: list[Occurrence]


class Schedules:
    """The ``schedule`` frames a relay sends: each group's part (its public text and upcoming
    sessions) read once per schedule revision, and at most :attr:`FRESH_FOR` seconds old.

    A join's frame then costs one read, the member's reminder choices, instead of five (on
    PostgreSQL each a round trip on the loop, and hundreds of joins come at once when an owner
    dies: issue 16). A revision moves whenever a group's schedule, settings or a member's
    choices change; the relay looks every second and sends the changed groups fresh frames,
    so a join in that second may get the last frame, followed by the fresh one."""

    #: Seconds a group's sessions are kept: sessions that have ended since are left out as the
    #: frame is made; one that comes within the horizon meanwhile waits this long at most.
    FRESH_FOR = 60.0

    def __init__(self, store: Store) -> None:
        self.store = store
        self._groups: dict[int, _GroupPart] = {}

    def frame_for(self, group_id: int, member_id: int, role: str, now: float, revision: int | None, prefs: ReminderPrefs | None = None) -> dict[str, Any]:
        """The ``schedule`` frame for one member's connection, the group's schedule being at ``revision``;
        ``prefs``: the member's reminder choices if already read (else they are read here)."""
        part = self._groups.get(group_id)
        if part is None or part.revision != revision or now - part.read_at >= self.FRESH_FOR:
            part = self._groups[group_id] = _GroupPart(revision, now, *public_text(self.store, group_id), upcoming(self.store, group_id, now))
        tz, label, join = part.tz, part.label, part.join
        sessions = [o for o in part.planned if o.start + o.minutes * 60 > now]
        if role == GUEST:  # a family member is told of the family sessions only, and keeps no reminder choices here
            return schedule_frame(group_id=group_id, tz=tz, label=label, join=join,
                                  sessions=[o for o in sessions if o.kind == SessionKind.FAMILY], reminders=None)
        return schedule_frame(group_id=group_id, tz=tz, label=label, join=join, sessions=sessions, reminders=prefs if prefs is not None else self.store.reminder_prefs(member_id))


def group_ics(store: Store, group_id: int, now: float) -> bytes:
    _tz, label, join = public_text(store, group_id)
    return calendar_ics(upcoming(store, group_id, now), label=label, join=join, group_id=group_id, now=now)


# -- the command line -------------------------------------------------------------------


def _add_common(parser: argparse.ArgumentParser, *, json_out: bool = True) -> None:
    parser.add_argument("group", metavar="GROUP", help="the group's name or id")
    parser.add_argument("--data", type=Path, default=None, metavar="DIR", help="folder holding the relay's database")
    parser.add_argument("--store", default=None, metavar="URL|DIR", help="the relay's database: a postgresql:// URL or a SQLite folder")  # issue 16
    if json_out:
        parser.add_argument("--json", action="store_true", help="print the result as JSON")


def add_cli(commands: Any) -> None:
    """Register ``schedule`` and ``member`` on the ``iop-server`` subcommands."""
    schedule = commands.add_parser(
        "schedule", help="plan a group's sessions", description="List, add, cancel or remove a group's planned sessions.",
    )
    actions = schedule.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the coming sessions", description="List the coming sessions and the rules behind them.")
    _add_common(listing)
    listing.add_argument("--ics", type=Path, metavar="FILE", help="also write the coming sessions as an iCalendar file ('-' for standard output)")
    listing.add_argument("--days", type=int, default=HORIZON_DAYS, metavar="N", help=f"how many days ahead (default: {HORIZON_DAYS})")
    add = actions.add_parser(
        "add", help="add weekly or one-off sessions",
        description="Add sessions: weekly on --weekly days (for --weeks weeks or until --until), or once on --on. Times are in the group's time zone.",
    )
    _add_common(add)
    when = add.add_mutually_exclusive_group(required=True)
    when.add_argument("--weekly", metavar="DAYS", help="days of the week, e.g. TU or TU,TH")
    when.add_argument("--on", metavar="YYYY-MM-DD", help="one session on this day")
    add.add_argument("--at", required=True, metavar="HH:MM", help="start time, in the group's time zone")
    add.add_argument("--minutes", type=int, default=90, help="length in minutes (default: 90)")
    add.add_argument("--kind", default=DEFAULT_SESSION_KIND.value, choices=SESSION_KINDS, help="kind of session (default: group)")
    add.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="weekly: the first day it may fall on (default: today)")
    end = add.add_mutually_exclusive_group()
    end.add_argument("--weeks", type=int, metavar="N", help="weekly: for N weeks")
    end.add_argument("--until", metavar="YYYY-MM-DD", help="weekly: the last day it may fall on")
    for name, helptext in (("cancel", "cancel the sessions of a day, or one session"), ("restore", "undo a cancellation")):
        action = actions.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".")
        _add_common(action)
        action.add_argument("--on", required=True, metavar="YYYY-MM-DD", help="the day, in the group's time zone")
        action.add_argument("--at", metavar="HH:MM", help="only the session starting at this time")
    sent = actions.add_parser(
        "sent", help="the reminders sent or pending",
        description="List the group's reminder outbox: member, occasion, channel, state (claimed, sent, failed), tries. No addresses.",
    )
    _add_common(sent)
    remove = actions.add_parser("remove", help="remove a rule", description="Remove one rule (see 'schedule list') and every session it planned.")
    _add_common(remove)
    remove.add_argument("rule", type=int, metavar="RULE", help="the rule's number")
    settings = actions.add_parser(
        "set", help="time zone, public label, how to join",
        description="Set the group's time zone and what reminders and calendars say: a public label "
        "(never anything clinical) and how to join. With no option, print them.",
    )
    _add_common(settings)
    settings.add_argument("--tz", metavar="ZONE", help="the group's time zone, e.g. Europe/Paris")
    settings.add_argument("--label", metavar="TEXT", help=f"the public label reminders carry (default: {DEFAULT_LABEL!r})")
    settings.add_argument("--join", metavar="TEXT", help="how to join, as reminders say it")

    member = commands.add_parser(
        "member", help="a member's reminder choices",
        description="Show or change one member's reminders: consent, email, text messages, lead time, quiet hours.",
    )
    _add_common(member)
    who = member.add_mutually_exclusive_group(required=True)
    who.add_argument("--name", help="the member's name")
    who.add_argument("--id", type=int, metavar="ID", help="the member's id")
    member.add_argument("--reminders", choices=("on", "off"), help="the member's consent to reminders (nothing is sent without it)")
    member.add_argument("--email", metavar="EMAIL", help="where email reminders go ('' for none)")
    member.add_argument("--sms", metavar="PHONE", help="where text-message reminders go ('' for none)")
    member.add_argument("--before", metavar="LEAD", help="how long before, e.g. 30m, 2h, 1d (default: 1h)")
    member.add_argument("--quiet", metavar="HH:MM-HH:MM", help="no reminder in these hours, group time ('off' for none)")


def _day(text: str, what: str) -> _dt.date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise ValueError
        return _dt.date.fromisoformat(text.strip())
    except ValueError:
        raise StoreError(f"{what} {text.strip()!r} is not a day; give one like 2026-12-01.") from None


def _sentence(call: Any, *args: Any) -> Any:
    """Run a parser of protocol.schedule, turning its ValueError sentence into a StoreError."""
    try:
        return call(*args)
    except ValueError as exc:
        raise StoreError(str(exc)) from None


def _group(store: Store, ref: str) -> GroupRecord:
    found = store.find_group(ref)
    if found is None:
        raise StoreError(f"There is no group {ref!r}; list groups with 'iop-server group list'.")
    return found


def _when(occ: Occurrence, tz: _dt.tzinfo) -> str:
    start = occ.local(tz)  # type: ignore[arg-type]
    return f"{start:%a %Y-%m-%d %H:%M}"


def _rule_text(rule: Rule) -> str:
    if rule.weekly:
        span = f"from {rule.first}" + (f" until {rule.last}" if rule.last else "")
        return f"weekly on {','.join(rule.days)} at {rule.at:%H:%M} for {rule.minutes} min, {rule.kind}, {span}"
    return f"once on {rule.first} at {rule.at:%H:%M} for {rule.minutes} min, {rule.kind}"


def _print_schedule(store: Store, group: GroupRecord, args: argparse.Namespace, now: float) -> None:
    tz_name, label, join = public_text(store, group.id)
    tz = zone(tz_name)
    rules = store.schedule_rules(group.id)
    sessions = upcoming(store, group.id, now, days=max(1, min(args.days, 366)), limit=500) if hasattr(args, "days") else upcoming(store, group.id, now)
    if getattr(args, "json", False):
        print(json.dumps({
            "group_id": group.id, "group": group.name, "tz": tz_name, "label": label, "join": join,
            "rules": [{"rule": r.id, "kind": r.kind, "days": list(r.days), "first": r.first.isoformat(), "at": r.at.strftime("%H:%M"),
                       "minutes": r.minutes, "last": r.last.isoformat() if r.last else None} for r in rules],
            "cancelled": store.schedule_cancellations(group.id),
            "sessions": [{**o.to_wire(), "local": _when(o, tz)} for o in sessions],
        }))
        return
    print(f"{group.name}: time zone {tz_name}; reminders call it {label!r}; how to join: {join}")
    if not rules:
        print("No sessions planned; add some with 'iop-server schedule add'.")
        return
    for rule in rules:
        print(f"rule {rule.id}: {_rule_text(rule)}")
    for occ in sessions:
        print(f"{_when(occ, tz)}\t{occ.minutes} min\t{occ.kind}" + ("\tcancelled" if occ.cancelled else ""))


def _schedule(store: Store, args: argparse.Namespace) -> int:
    group = _group(store, args.group)
    now = time.time()
    action = args.schedule_command
    if action == "list":
        if args.ics is not None:
            data = calendar_ics(upcoming(store, group.id, now, days=max(1, min(args.days, 366)), limit=500), label=public_text(store, group.id)[1],
                                join=public_text(store, group.id)[2], group_id=group.id, now=now)
            if str(args.ics) == "-":
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
                return 0
            args.ics.write_bytes(data)
            print(f"Wrote the coming sessions of {group.name} to {args.ics}.", file=sys.stderr)
        _print_schedule(store, group, args, now)
        return 0
    if action == "set":
        tz = None if args.tz is None else args.tz.strip()
        if tz is not None:
            _sentence(zone, tz)
        for value, limit, what in ((args.label, MAX_LABEL, "--label"), (args.join, MAX_JOIN, "--join")):
            if value is not None and len(value.strip()) > limit:
                raise StoreError(f"{what} is at most {limit} characters; shorten it.")
        if (tz, args.label, args.join) != (None, None, None):
            store.set_schedule_settings(group.id, tz=tz, label=None if args.label is None else args.label.strip(),
                                        join=None if args.join is None else args.join.strip())
        tz_name, label, join = public_text(store, group.id)
        print(f"{group.name}: time zone {tz_name}; reminders and calendars call it {label!r}; how to join: {join}")
        return 0
    if action == "add":
        at = _sentence(parse_clock, args.at)
        if not 1 <= args.minutes <= MAX_SESSION_MINUTES:
            raise StoreError(f"--minutes is a length from 1 to {MAX_SESSION_MINUTES}; give one in that range.")
        tz = zone(store.schedule_settings(group.id)[0])
        if args.on is not None:
            if args.weeks is not None or args.until is not None or args.first is not None:
                raise StoreError("--weeks, --until and --from go with --weekly; a one-off session needs only --on and --at.")
            rule = Rule(0, args.kind, _day(args.on, "--on"), at, args.minutes)
        else:
            days = _sentence(parse_days, args.weekly)
            first = _day(args.first, "--from") if args.first else _dt.datetime.now(tz).date()
            last: _dt.date | None = None
            if args.weeks is not None:
                if not 1 <= args.weeks <= 104:
                    raise StoreError("--weeks is from 1 to 104; give one in that range.")
                last = first + _dt.timedelta(weeks=args.weeks) - _dt.timedelta(days=1)
            elif args.until is not None:
                last = _day(args.until, "--until")
                if last < first:
                    raise StoreError(f"--until {last} is before the first day {first}; give a later day.")
            rule = Rule(0, args.kind, first, at, args.minutes, days, last)
        rule_id = store.add_schedule_rule(group.id, rule)
        print(f"Added rule {rule_id} to {group.name}: {_rule_text(Rule(rule_id, *[getattr(rule, f) for f in ('kind', 'first', 'at', 'minutes', 'days', 'last')]))}.")
        _print_schedule(store, group, argparse.Namespace(json=False, days=HORIZON_DAYS), now)
        return 0
    if action in ("cancel", "restore"):
        day = _day(args.on, "--on")
        local = day.isoformat() + (f"T{_sentence(parse_clock, args.at):%H:%M}" if args.at else "")
        store.cancel_sessions(group.id, local, restore=action == "restore")
        tz = zone(store.schedule_settings(group.id)[0])
        midnight = _dt.datetime.combine(day, _dt.time(0, 0), tz).timestamp()
        that_day = occurrences(store.schedule_rules(group.id), store.schedule_cancellations(group.id), tz, midnight, midnight + 86400, 100)
        hit = [o for o in that_day if o.key.split("-", 1)[1].startswith(local)]
        verb = "Cancelled" if action == "cancel" else "Restored"
        if hit:
            print(f"{verb} in {group.name}: " + "; ".join(f"{_when(o, tz)} {o.kind} session" for o in hit) + ".")
        else:
            print(f"{verb} {local} in {group.name}; no planned session falls then yet.")
        return 0
    if action == "sent":
        names = {m.id: m.name for m in store.members(group.id)}
        rows = store.reminder_log(group.id)
        if args.json:
            print(json.dumps([{"member_id": r[0], "name": names.get(r[0], "?"), "occasion": r[1], "channel": r[2], "state": r[3],
                               "attempts": r[4], "sent_at": r[5], "error": r[6]} for r in rows]))
        elif not rows:
            print(f"No reminders yet in {group.name}.")
        else:
            for member_id, occasion, channel, state, attempts, sent_at, error in rows:
                when = _dt.datetime.fromtimestamp(sent_at, _dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if sent_at else ""
                print("\t".join([names.get(member_id, "?"), occasion, channel, state, f"{attempts} {'try' if attempts == 1 else 'tries'}", when, error]).rstrip())
        return 0
    if action == "remove":
        if not store.remove_schedule_rule(group.id, args.rule):
            raise StoreError(f"{group.name} has no schedule rule {args.rule}; see 'iop-server schedule list {group.name!r}'.")
        print(f"Removed rule {args.rule} from {group.name} and every session it planned.")
        return 0
    raise StoreError(f"Unknown schedule action {action!r}.")


def _pick(store: Store, group: GroupRecord, args: argparse.Namespace) -> MemberRecord:
    if args.id is not None:
        found = store.member(args.id)
        if found is None or found.group_id != group.id:
            raise StoreError(f"{group.name} has no member with id {args.id}; see 'iop-server members {group.name!r}'.")
        return found
    matches = [m for m in store.members_named(group.id, args.name) if not m.revoked]
    if len(matches) != 1:
        raise StoreError(f"{group.name} has {'no' if not matches else 'more than one'} active member named {args.name.strip()!r}; "
                         f"see 'iop-server members {group.name!r}' and use --id.")
    return matches[0]


def prefs_sentence(prefs: ReminderPrefs) -> str:
    """One line for the admin: what this member gets."""
    if not prefs.consent:
        state = "off (nothing is sent)"
    elif not prefs.channels:
        state = "on, but no email or phone number is given, so nothing is sent"
    else:
        state = "on, by " + " and ".join(prefs.channels)
    quiet = f"quiet hours {prefs.quiet_text}" if prefs.quiet else "no quiet hours"
    return f"reminders {state}; {prefs.lead} minutes before; {quiet}; email {prefs.email or 'none'}; text messages to {prefs.sms or 'none'}"


def _member(store: Store, args: argparse.Namespace) -> int:
    group = _group(store, args.group)
    member = _pick(store, group, args)
    changes: dict[str, Any] = {}
    if args.reminders is not None:
        changes["consent"] = args.reminders == "on"
    if args.email is not None:
        changes["email"] = check_email(args.email)
    if args.sms is not None:
        changes["sms"] = check_phone(args.sms)
    if args.before is not None:
        changes["lead"] = _sentence(parse_lead, args.before)
    if args.quiet is not None:
        quiet = _sentence(parse_quiet, args.quiet)
        changes["quiet"] = ReminderPrefs(quiet=quiet).quiet_text
    prefs = store.set_reminder_prefs(member.id, **changes) if changes else store.reminder_prefs(member.id)
    if args.json:
        print(json.dumps({"member_id": member.id, "name": member.name, **prefs.to_wire()}))
    else:
        print(f"{member.name} (id {member.id}) in {group.name}: {prefs_sentence(prefs)}.")
    return 0


def run_cli(args: argparse.Namespace, open_store: Any) -> int:
    """Run ``schedule`` or ``member``; ``open_store(args)`` opens the data folder as the CLI does."""
    store: Store = open_store(args)
    try:
        return _schedule(store, args) if args.command == "schedule" else _member(store, args)
    finally:
        store.close()

