"""``iop-server``: run the relay and manage groups, invitations and members.

    iop-server serve [--host 127.0.0.1] [--port 8765] [--data DIR]
    iop-server serve --store postgresql://... [--node-id NAME] [--internal-url URL] [--internal-secret S]
    iop-server group create NAME --facilitator NAME [--data DIR] [--json]
    iop-server group list [--data DIR] [--json]
    iop-server group set GROUP [--on-call EMAIL] [--alert-mood N] [--watch WORD,...] [--data DIR]
    iop-server invite GROUP --name NAME [--role participant|guest|facilitator] [--data DIR] [--json]
    iop-server invite GROUP (--name NAME | --id ID) --new-token [--data DIR] [--json]
    iop-server revoke GROUP (--name NAME | --id ID) [--data DIR]
    iop-server members GROUP [--data DIR] [--json]
    iop-server nodes --store postgresql://... [--json]
    iop-server export GROUP (--name NAME | --id ID) --out FILE [--data DIR]
    iop-server invite GROUP --name NAME --role guest [--family-session next|ID] [--data DIR]
    iop-server attendance GROUP [--session N] [--csv] [--data DIR]
    iop-server schedule (list|add|cancel|restore|remove|set|sent) GROUP ... [--data DIR] [--json]
    iop-server member GROUP (--name NAME | --id ID) [--reminders on|off] [--email E] [--sms PHONE] [--before 1h] [--quiet 22:00-07:00]

GROUP is a group's name or numeric id. Errors are one sentence on stderr with
exit code 2. ``serve`` prints ``iop-server listening on ws://HOST:PORT/`` once
ready and logs joins and leaves (names and roles, never content) to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import re
import signal
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from protocol.roles import FACILITATOR, GUEST, PARTICIPANT
from protocol.route import MAX_ROUTE, valid_route

from .collector import PASS_EVERY, Collector
from .limits import DEFAULT_BURST, DEFAULT_RATE_PER_S
from .export import member_export
from .hub import RELEASE_IDLE
from .notify import SmtpSettings
from .oncall import ON_CALL_AFTER
from .reminders import REMINDER_EVERY, REMINDER_LEASE, SmsSettings
from .schedule import add_cli as add_schedule_cli
from .schedule import run_cli as run_schedule_cli
from .store import GroupRecord, MemberRecord, Store, StoreError, is_store_url, open_store

__all__ = ["main", "build_parser"]


class CliError(Exception):
    """A one-sentence error for the person at the terminal (exit code 2)."""


def default_data_dir() -> Path:
    return Path(user_data_dir("iop-tui"))


def _add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, default=None, metavar="DIR",
        help=f"folder holding the relay's database (default: {default_data_dir()})",
    )
    add_store_option(parser)


# -- the store seam (issue 16): --store names a SQLite folder or a postgresql:// URL --


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", default=None, metavar="URL|DIR",
        help="the relay's database: a postgresql://user@host/db URL, or a SQLite folder like --data (default: --data's)",
    )


def store_ref(args: argparse.Namespace) -> str | Path:
    """What ``--store`` (else ``--data``, else the default folder) names."""
    store = getattr(args, "store", None)
    if store:
        return store if is_store_url(store) else Path(store)
    return args.data or default_data_dir()


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def _add_who(parser: argparse.ArgumentParser) -> None:
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--name", help="the member's name (case and accents as you like)")
    who.add_argument("--id", type=int, metavar="ID", help="the member's id, as 'iop-server members' shows it")


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above 0 (0 would run a periodic task on every turn of the loop)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iop-server",
        description="The iop-tui relay: run it, and manage groups and their members' join tokens.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="run the relay", description="Run the relay until interrupted.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port to listen on; 0 picks a free one (default: 8765)")
    serve.add_argument("--rate", type=float, default=DEFAULT_RATE_PER_S, help=f"commands per second per connection (default: {DEFAULT_RATE_PER_S:g})")
    serve.add_argument("--burst", type=int, default=DEFAULT_BURST, help=f"commands a connection may send at once (default: {DEFAULT_BURST})")
    serve.add_argument("--quiet", action="store_true", help="do not log joins and leaves")
    serve.add_argument("--smtp-host", default=None, metavar="HOST", help="mail server for on-call emails (default: $IOP_SMTP_HOST; none: no email)")
    serve.add_argument("--smtp-port", type=int, default=None, metavar="PORT", help="its port (default: $IOP_SMTP_PORT or 25)")
    serve.add_argument("--smtp-from", default=None, metavar="EMAIL", help="the sender of on-call emails (default: $IOP_SMTP_FROM or iop-server@localhost)")
    serve.add_argument(
        "--on-call-after", type=float, default=ON_CALL_AFTER, metavar="SECONDS",
        help=f"email an urgent request to the group's on-call address when no facilitator is connected this long (default: {ON_CALL_AFTER:g})",
    )
    # -- reminders (issue 15a): server/reminders.py --
    serve.add_argument("--sms-url", default=None, metavar="URL", help="the clinic's SMS provider webhook for text-message reminders (default: $IOP_SMS_URL; none: no texts)")
    serve.add_argument("--reminder-every", type=positive_seconds, default=REMINDER_EVERY, metavar="SECONDS", help=f"how often the relay looks for reminders due (default: {REMINDER_EVERY:g})")
    serve.add_argument(
        "--reminder-lease", type=positive_seconds, default=REMINDER_LEASE, metavar="SECONDS",
        help=f"how long a claimed reminder or on-call email is held before another relay may send it (default: {REMINDER_LEASE:g})",
    )
    # -- several nodes (issue 16): server/placement.py, server/forward.py (PostgreSQL only) --
    serve.add_argument("--node-id", default=None, metavar="NAME", help="this relay node's unique name among the nodes on one PostgreSQL database (default: hostname-pid)")
    serve.add_argument(
        "--internal-url", default=None, metavar="URL",
        help="where the other nodes reach this one, e.g. ws://10.0.0.5:8765/ (default: the address it listens on)",
    )
    serve.add_argument(
        "--internal-secret", default=None, metavar="SECRET",
        help="a secret shared by the nodes; their links present it (default: $IOP_INTERNAL_SECRET)",
    )
    serve.add_argument(
        "--release-idle", type=positive_seconds, default=None, metavar="SECONDS",
        help="unload a group's room once nobody has been in it this long, and on PostgreSQL release the group, so the next "
        f"session's first member claims it on whichever node the balancer chose (default: {RELEASE_IDLE:g} on PostgreSQL; "
        "never on a SQLite folder)",
    )
    # -- the tail (issue 16): server/lag.py, server/collector.py --
    serve.add_argument(
        "--collect-every", type=positive_seconds, default=PASS_EVERY, metavar="SECONDS",
        help=f"seconds between the garbage collector's scheduled passes, each walking only what was created since the last "
        f"(default: {PASS_EVERY:g})",
    )
    serve.add_argument(
        "--lag-log", type=Path, default=None, metavar="FILE",
        help="append, once a second, how late the event loop ran and how long flushes, commits and fan-outs took (default: none)",
    )
    # -- behind a load balancer (issue 16: docs/deployment.md) --
    serve.add_argument(
        "--trusted-proxy", action="append", default=[], metavar="ADDRESS",
        help="the address of a load balancer in front (repeatable): its connections are not held to the per-address cap "
        "of connections before hello, which the balancer enforces per member instead",
    )
    _add_data(serve)

    group = commands.add_parser("group", help="create or list groups", description="Create or list groups.")
    group_commands = group.add_subparsers(dest="group_command", metavar="ACTION", required=True)
    create = group_commands.add_parser("create", help="create a group and its first facilitator", description="Create a group and its first facilitator, and print the facilitator's join token.")
    create.add_argument("name", metavar="NAME", help="the group's name, e.g. 'Tuesday IOP'")
    create.add_argument("--facilitator", required=True, metavar="NAME", help="the facilitator's name")
    _add_data(create)
    _add_json(create)
    listing = group_commands.add_parser("list", help="list groups", description="List every group.")
    _add_data(listing)
    _add_json(listing)
    settings = group_commands.add_parser(
        "set", help="set a group's safety settings",
        description="Set a group's safety settings: where urgent requests go when no facilitator is connected, "
        "and which check-ins raise an alert for the facilitators. With no option, print them.",
    )
    settings.add_argument("group", metavar="GROUP", help="the group's name or id")
    settings.add_argument("--on-call", metavar="EMAIL", help="the on-call email address ('' removes it)")
    settings.add_argument("--alert-mood", type=int, metavar="N", help="a check-in mood at or below N (0-10) raises an alert (default: 2)")
    settings.add_argument("--watch", metavar="WORD,...", help="feeling words that raise an alert, comma-separated ('' clears the list)")
    _add_data(settings)

    invite = commands.add_parser("invite", help="add a member and print their join token", description="Add a member to a group and print their join token (shown once; only its hash is kept).")
    invite.add_argument("group", metavar="GROUP", help="the group's name or id")
    invite.add_argument("--name", help="the member's name as the group sees it (unique in the group, whatever the case)")
    invite.add_argument("--role", default=PARTICIPANT, choices=(PARTICIPANT, GUEST, FACILITATOR), help="the member's role (default: participant)")
    invite.add_argument(
        "--new-token", action="store_true",
        help="give an existing member (found by --name or --id) a new join token, keeping their history; "
        "the old token stops working and a revoked member can join again",
    )
    invite.add_argument("--id", type=int, metavar="ID", help="with --new-token: the member's id, as 'members' shows it")
    invite.add_argument(
        "--family-session", default=None, metavar="next|ID",
        help="for a guest: the family session they are invited to: 'next' (default: the one running now, "
        "else the next one started) or the id of a running family session; their token ends with it",
    )
    _add_data(invite)
    _add_json(invite)

    revoke = commands.add_parser("revoke", help="revoke a member's join token", description="Revoke a member's join token; they can no longer join.")
    revoke.add_argument("group", metavar="GROUP", help="the group's name or id")
    _add_who(revoke)
    _add_data(revoke)

    export = commands.add_parser(
        "export",
        help="export what one member may see of a group's log",
        description="Write one member's copy of the group's log as JSON: exactly the events they may see "
        "(never another member's private notes or lines). The file is created readable by its owner only.",
    )
    export.add_argument("group", metavar="GROUP", help="the group's name or id")
    _add_who(export)
    export.add_argument("--out", type=Path, required=True, help="the file to write (it must not exist yet)")
    _add_data(export)

    attendance = commands.add_parser(
        "attendance", help="export a group's attendance (facilitators' record)",
        description="Print who attended each session: joined, left, minutes present (reconnects within the grace merged) "
        "and late; participants who never came are listed absent. Times are UTC.",
    )
    attendance.add_argument("group", metavar="GROUP", help="the group's name or id")
    attendance.add_argument("--session", type=int, metavar="N", help="only session N (1 is the group's first session)")
    attendance.add_argument("--csv", action="store_true", help="print CSV with a header row")
    _add_data(attendance)

    members = commands.add_parser("members", help="list a group's members", description="List a group's members and their roles.")
    members.add_argument("group", metavar="GROUP", help="the group's name or id")
    _add_data(members)
    _add_json(members)

    nodes = commands.add_parser(
        "nodes", help="list the relay nodes sharing a PostgreSQL store",
        description="List the relay nodes that share a PostgreSQL store: each node's id (the route its members' clients send, "
        "which the balancer's server cookie must match), internal URL, lease and the groups it owns.",
    )
    _add_data(nodes)
    _add_json(nodes)
    # -- schedules and reminders (issue 15a): server/schedule.py --
    add_schedule_cli(commands)
    return parser


def _open_store(args: argparse.Namespace) -> Store:
    data = store_ref(args)
    try:
        return open_store(data)
    except sqlite3.Error as exc:
        raise CliError(f"Cannot open the data folder {data} ({exc}); check the path and its permissions.") from None


def _group(store: Store, ref: str) -> GroupRecord:
    found = store.find_group(ref)
    if found is None:
        raise CliError(f"There is no group {ref!r}; list groups with 'iop-server group list' or create one with 'iop-server group create'.")
    return found


def _print_member(args: argparse.Namespace, group: GroupRecord, member_id: int, name: str, role: str, token: str) -> None:
    if args.json:
        print(json.dumps({"group_id": group.id, "group": group.name, "member_id": member_id, "name": name, "role": role, "token": token}))
    else:
        print(f"{name} ({role}) can join {group.name} with the token: {token}")
        print("Keep it private: it is shown only once. Join with: iop-tui join ws://HOST:PORT/ and paste the token when asked")


def _cmd_group(args: argparse.Namespace) -> int:
    store = _open_store(args)
    try:
        if args.group_command == "list":
            groups = store.groups()
            if args.json:
                print(json.dumps([{"group_id": g.id, "group": g.name, "members": len(store.members(g.id, include_revoked=False))} for g in groups]))
            elif not groups:
                print("No groups yet; create one with 'iop-server group create NAME --facilitator NAME'.")
            else:
                for g in groups:
                    print(f"{g.id}\t{g.name}")
            return 0
        if args.group_command == "set":
            return _group_set(store, args)
        group_id = store.create_group(args.name)
        member_id, token = store.add_member(group_id, args.facilitator, FACILITATOR)
        group, founder = store.group(group_id), store.member(member_id)
        assert group is not None and founder is not None  # both made just above
        if not args.json:
            print(f"Created the group {group.name} (id {group.id}).")
        _print_member(args, group, member_id, founder.name, FACILITATOR, token)
        return 0
    finally:
        store.close()


def _group_set(store: Store, args: argparse.Namespace) -> int:
    group = _group(store, args.group)
    on_call = args.on_call
    if on_call is not None and on_call.strip() and not _EMAIL.fullmatch(on_call.strip()):
        raise CliError(f"{on_call.strip()!r} does not look like an email address; give one like oncall@clinic.example.")
    if args.alert_mood is not None and not 0 <= args.alert_mood <= 10:
        raise CliError("--alert-mood is a mood from 0 to 10; give one in that range.")
    watch = None if args.watch is None else [w for w in args.watch.split(",") if w.strip()]
    now = store.set_group_settings(group.id, on_call=on_call, alert_mood=args.alert_mood, watch_words=watch)
    print(f"{group.name}: on-call {now.on_call or 'none (urgent requests are not emailed)'}; "
          f"a check-in mood at or below {now.alert_mood} raises an alert; "
          f"watched feeling words: {', '.join(now.watch_words) or 'none'}.")
    return 0


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _pick_member(store: Store, group: GroupRecord, name: str | None, member_id: int | None, *, active_only: bool, prefer_active: bool) -> MemberRecord:
    """The one member ``--name`` or ``--id`` means, or a one-sentence refusal.

    A name is matched by :func:`protocol.names.name_key`; where several members
    share it (a database from before names were unique), active members come
    first when ``prefer_active``, and a choice that is still ambiguous is
    refused with the ids to choose from.
    """
    if member_id is not None:
        found = store.member(member_id)
        if found is None or found.group_id != group.id:
            raise CliError(f"{group.name} has no member with id {member_id}; see 'iop-server members {group.name!r}'.")
        if active_only and found.revoked:
            raise CliError(f"{found.name} (id {found.id}) is already revoked in {group.name}; nothing to do.")
        return found
    assert name is not None
    matches = store.members_named(group.id, name)
    active = [m for m in matches if not m.revoked]
    if active_only or (prefer_active and active):
        matches = active
    if not matches:
        which = "active member" if active_only else "member"
        raise CliError(f"{group.name} has no {which} named {name.strip()!r}; see 'iop-server members {group.name!r}'.")
    if len(matches) > 1:
        ids = ", ".join(f"{m.id} ({m.role}{', revoked' if m.revoked else ''})" for m in matches)
        raise CliError(f"{len(matches)} members of {group.name} are named {matches[0].name!r}: ids {ids}; choose one with --id.")
    return matches[0]


def _cmd_invite(args: argparse.Namespace) -> int:
    if not args.new_token and args.id is not None:
        raise CliError("--id names an existing member, so it goes with --new-token; to add someone new give --name.")
    if args.name is None and args.id is None:
        raise CliError("Give the member's name with --name (or, with --new-token, their id with --id).")
    store = _open_store(args)
    try:
        group = _group(store, args.group)
        if args.new_token:
            member = _pick_member(store, group, args.name, args.id, active_only=False, prefer_active=True)
            if args.family_session is not None and member.role != GUEST:
                raise CliError("--family-session is for guests; this member is not a guest.")
            token = store.reissue_token(member.id)
            if member.role == GUEST:  # a new token is a new invitation: to the running or the next family session
                store.invite_guest(member.id, _family_after(store, group, args.family_session)[0])
            if not args.json:
                was = " Their revocation is lifted." if member.revoked else ""
                print(f"{member.name} (id {member.id}) has a new join token; the old one no longer works.{was}")
            _print_member(args, group, member.id, member.name, member.role, token)
            return 0
        if args.family_session is not None and args.role != GUEST:
            raise CliError("--family-session is for guests; add --role guest.")
        after = _family_after(store, group, args.family_session) if args.role == GUEST else None
        member_id, token = store.add_member(group.id, args.name, args.role)
        added = store.member(member_id)
        assert added is not None  # made just above
        if after is not None:
            store.invite_guest(member_id, after[0])
            if not args.json:
                print(f"{added.name} is invited to {'the family session now running' if after[1] else 'the next family session'}; "
                      "they wait until a facilitator lets them in (/admit), and their token ends with that session.")
        _print_member(args, group, member_id, added.name, args.role, token)
        return 0
    finally:
        store.close()


def _sessions(store: Store, group: GroupRecord) -> list:
    """The group's sessions, oldest first (folded from the log's session events)."""
    from protocol.state import GroupState

    state = GroupState()
    for event in store.iter_events(group.id):
        if event.type in ("session.started", "session.ended"):
            state.apply(event)
    return state.sessions


def _family_after(store: Store, group: GroupRecord, which: str | None) -> tuple[int, bool]:
    """(the head seq the invitation counts from, whether a family session is running for it)."""
    from protocol.family import invited_session

    sessions = _sessions(store, group)
    head = store.head_seq(group.id)
    if which is None or which.strip().lower() == "next":
        live = invited_session(sessions, head)
        return head, live is not None and live.ended_seq is None and live.session_id <= head
    if not which.strip().isdigit():
        raise CliError("--family-session is 'next' or the id of a running family session.")
    found = next((s for s in sessions if s.session_id == int(which)), None)
    if found is None or found.kind != "family" or found.ended_seq is not None:
        raise CliError(f"Session {which} is not a running family session; use --family-session next to invite for the next one.")
    return found.session_id, True


def _cmd_attendance(args: argparse.Namespace) -> int:
    import csv

    from protocol.attendance import CSV_HEADER, csv_row, summarize

    store = _open_store(args)
    try:
        group = _group(store, args.group)
        sessions = _sessions(store, group)
        if not sessions:
            raise CliError(f"{group.name} has held no session yet, so there is no attendance to show.")
        chosen = list(enumerate(sessions, 1))
        if args.session is not None:
            if not 1 <= args.session <= len(sessions):
                raise CliError(f"{group.name} has held {len(sessions)} sessions; choose --session from 1 to {len(sessions)}.")
            chosen = [chosen[args.session - 1]]
        records = store.members(group.id)
        members = {m.id: (m.name, m.role) for m in records}
        expected = [m.id for m in records if m.role == PARTICIPANT and not m.revoked]
        now = time.time()
        out = csv.writer(sys.stdout) if args.csv else None
        if out is not None:
            out.writerow(CSV_HEADER)
        for number, info in chosen:
            end = info.ended_at if info.ended_at is not None else now
            rows = summarize(info.started_at, end, store.stretches(group.id, info.session_id), members, expected=expected)
            if out is not None:
                for row in rows:
                    out.writerow(csv_row(number, info.title, info.kind, row))
                continue
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(info.started_at))
            running = "" if info.ended_at is not None else ", still running"
            print(f"Session {number}, {info.title} ({info.kind}), {when}{running}:")
            for row in rows:
                print("  " + _attendance_words(row))
        return 0
    finally:
        store.close()


def _attendance_words(row) -> str:
    if row.absent:
        return f"{row.name} ({row.role}): absent"
    span = f"{time.strftime('%H:%M', time.gmtime(row.joined))}-{time.strftime('%H:%M', time.gmtime(row.left))}"
    late = f", late by {row.late_minutes} min" if row.late else ""
    return f"{row.name} ({row.role}): {row.minutes} min, {span}{late}"


def _cmd_revoke(args: argparse.Namespace) -> int:
    store = _open_store(args)
    try:
        group = _group(store, args.group)
        member = _pick_member(store, group, args.name, args.id, active_only=True, prefer_active=True)
        store.revoke_member(member.id)
        print(f"Revoked {member.name}'s join token for {group.name} (id {member.id}); they can no longer join or act.")
        return 0
    finally:
        store.close()


def _cmd_members(args: argparse.Namespace) -> int:
    store = _open_store(args)
    try:
        group = _group(store, args.group)
        members = store.members(group.id)
        if args.json:
            print(json.dumps([{"member_id": m.id, "name": m.name, "role": m.role, "revoked": m.revoked} for m in members]))
        else:
            for m in members:
                print("\t".join([str(m.id), m.name, m.role] + (["revoked"] if m.revoked else [])))
        return 0
    finally:
        store.close()


def _cmd_nodes(args: argparse.Namespace) -> int:
    if not is_store_url(store_ref(args)):
        raise CliError("A SQLite folder is served by one relay node only; 'nodes' lists the nodes sharing a PostgreSQL store (--store postgresql://...).")
    store = _open_store(args)
    try:
        nodes, unowned = store.relay_nodes()  # type: ignore[attr-defined]  # PgStore's
        if args.json:
            print(json.dumps({
                "nodes": [{"node_id": n, "internal_url": url, "lease_s": round(left, 1), "live": left > 0, "groups": owned} for n, url, left, owned in nodes],
                "groups_without_a_live_owner": unowned,
            }))
            return 0
        for node_id, url, left, owned in nodes:
            lease = f"lease {left:.1f} s left" if left > 0 else f"lease lapsed {-left:.0f} s ago"
            print("\t".join([node_id, url, lease, f"owns {owned} group{'' if owned == 1 else 's'}"]))
        if not nodes:
            print("No relay node has registered with this store yet.")
        if unowned:
            print(f"{unowned} group{' has' if unowned == 1 else 's have'} no owner with a live lease: the node their next member reaches claims "
                  f"{'it' if unowned == 1 else 'them'}.")
        return 0
    finally:
        store.close()


def _cmd_export(args: argparse.Namespace) -> int:
    store = _open_store(args)
    try:
        group = _group(store, args.group)
        member = _pick_member(store, group, args.name, args.id, active_only=False, prefer_active=True)
        document = member_export(group, member, store.iter_events(group.id), time.time())
        try:
            fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CliError(f"{args.out} already exists; choose a new file name so nothing is overwritten.") from None
        except OSError as exc:
            raise CliError(f"Cannot create {args.out} ({exc.strerror}); check the folder and its permissions.") from None
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(document, out, ensure_ascii=False, indent=1)
        print(f"Wrote {len(document['events'])} events that {member.name} (id {member.id}) may see to {args.out} (readable by you only).")
        return 0
    finally:
        store.close()


async def _serve(args: argparse.Namespace) -> int:
    from .edge import RelayServer  # the management commands need no websockets

    data = store_ref(args)
    smtp = SmtpSettings.from_env()
    if args.smtp_host:
        base = smtp or SmtpSettings(args.smtp_host)
        smtp = SmtpSettings(args.smtp_host, base.port, base.sender)
    if smtp is not None and (args.smtp_port is not None or args.smtp_from):
        smtp = SmtpSettings(smtp.host, args.smtp_port or smtp.port, args.smtp_from or smtp.sender)
    sms = SmsSettings(args.sms_url) if args.sms_url else SmsSettings.from_env()
    several = {flag: value for flag, value in (("--node-id", args.node_id), ("--internal-url", args.internal_url), ("--internal-secret", args.internal_secret)) if value}
    if several and not is_store_url(data):
        raise CliError(
            f"{' and '.join(several)} {'needs' if len(several) == 1 else 'need'} a PostgreSQL store (--store postgresql://...);"
            " a SQLite folder serves one node only."
        )
    if args.node_id is not None and valid_route(args.node_id) is None:
        raise CliError(
            f"--node-id {args.node_id!r} is not a node id: use 1-{MAX_ROUTE} letters, digits, dots, hyphens or underscores"
            " (the balancer routes members by it: docs/deployment.md)."
        )
    relay = RelayServer(
        data, args.host, args.port, rate_per_s=args.rate, burst=args.burst, smtp=smtp, on_call_after=args.on_call_after,
        sms=sms, reminder_every=args.reminder_every, reminder_lease=args.reminder_lease,
        node_id=args.node_id, internal_url=args.internal_url, internal_secret=args.internal_secret,
        release_idle=args.release_idle,
    )
    relay.trusted_proxies = frozenset(args.trusted_proxy)
    try:
        await relay.start()
    except StoreError:
        raise
    except sqlite3.Error as exc:
        raise CliError(f"Cannot open the data folder {data} ({exc}); check the path and its permissions.") from None
    except OSError as exc:
        raise CliError(f"Cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); choose another --host or --port.") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"iop-server listening on {relay.url}", flush=True)
    logging.getLogger("iop.server").info("serving data from %s", relay.store.path)
    collector = Collector(lambda: relay.quiet, pass_every=args.collect_every)
    collector.start()  # what the relay holds once serving is never walked by an ordinary pass
    collecting = loop.create_task(collector.run())
    monitor = _watch_lag(relay, args.lag_log, collector) if args.lag_log is not None else None
    await stop.wait()
    collecting.cancel()
    if monitor is not None:
        monitor.cancel()
    await relay.stop()
    logging.getLogger("iop.server").info("stopped")
    return 0


def _watch_lag(relay: Any, path: Path, collector: Collector) -> asyncio.Task[None]:
    """``--lag-log``: sample the loop's lateness and time the hub's steps (server/lag.py)."""
    from .lag import LagMonitor

    monitor = LagMonitor(path)
    hub, store = relay.hub, relay.store
    hub.flush = monitor.time("flush", hub.flush)
    collector.run_pass = monitor.time("gc_pass", collector.run_pass)  # type: ignore[method-assign]
    hub._fan_out = monitor.time("fan_out", hub._fan_out)
    store.commit = monitor.time("commit", store.commit)
    store.checkpoint = monitor.time("checkpoint_thread", store.checkpoint)
    if hub.writer is not None:  # commits on the writer's thread (server/writer.py)
        # the writer connection's commits: on the loop (SQLite's default), or on the writer's thread
        hub.writer.store.commit = monitor.time("writer_commit", hub.writer.store.commit)
        hub.writer.hand_off = monitor.time("handoff", hub.writer.hand_off)  # on the loop: waking the writer's thread
        hub._landed = monitor.time("landed", hub._landed)  # on the loop: deliver a batch, decide the next
    # A reconnect's steps (issue 16, an owner dies): the token's lookup, the room folded from the
    # store when it is new here (a joiner waits for it, the loop does not), the join (welcome), and on several nodes how long a member waited
    # for the placement (claims included) and how long each claim statement took.
    store.member_at_hello = monitor.time("token", store.member_at_hello)  # the token's member and reminder choices
    hub._load = monitor.time("room_load", hub._load)  # a room folded in one step (a reload, or a load outside a join)
    hub.load_room = monitor.atime("room_wait", hub.load_room)  # a joiner's wait for its room, folded in slices
    hub.join = monitor.time("join", hub.join)
    placement = relay.placement
    if placement.several:
        placement.place = monitor.atime("place", placement.place)
        if hasattr(placement, "_claim_batches"):
            placement._run_claims = monitor.atime("claim_sql", placement._run_claims)
    return asyncio.get_running_loop().create_task(monitor.run())


def _quiet_stdout() -> None:
    """After a broken pipe, point standard output at the null device, so the interpreter's
    final flush does not fail again with a traceback."""
    import os

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("websockets").setLevel(logging.WARNING)
    if getattr(args, "quiet", False):
        logging.getLogger("iop.server").setLevel(logging.WARNING)
    try:
        if args.command == "serve":
            return asyncio.run(_serve(args))
        if args.command in ("schedule", "member"):
            return run_schedule_cli(args, _open_store)
        handler = {"group": _cmd_group, "invite": _cmd_invite, "revoke": _cmd_revoke, "members": _cmd_members, "nodes": _cmd_nodes, "export": _cmd_export,
                   "attendance": _cmd_attendance}[args.command]
        return handler(args)
    except (CliError, StoreError) as exc:
        print(f"iop-server: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `iop-server schedule list G | head -1`: the reader has what it wanted
        _quiet_stdout()
        return 1
