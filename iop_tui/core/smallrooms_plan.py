"""Small rooms in a session plan: prepared breakout rounds and role-play scenarios (issue 13).

In the plan's TOML (see iop_tui/demo/content/plan.toml)::

    [[breakouts]]
    rooms = 2
    minutes = 8
    prompt = "Share one automatic thought from this week and a balanced one."
    assign = "random"            # random | hand | kept

    [[scenarios]]
    title = "Asking for a raise"
    setting = "A small office, Friday afternoon."
    checklist = ["A clear ask", "Calm voice"]   # what observers watch for
    debrief = ["What did the asker do well?"]   # posted when the scene ends

    [[scenarios.roles]]
    name = "the member asking for a raise"
    cue = "You rehearsed this; say what you want in one sentence."

    [[scenarios.roles]]
    name = "the observer"
    observer = true
    cue = "Watch, and note what you see."

Both are only *prepared*: ``/breakout plan N`` opens a round and
``/roleplay plan N`` starts a scene when the moment comes. Every field is
checked when the plan loads, with the protocol's own validation, and text
from the file passes the one cleaner like text from the network: the table,
text and validation checks are plan.py's own (``_check_keys``, ``_text``,
``_validate``), so a small-rooms table is refused in the same sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iop_tui.core.plan import PlanError, _text, _validate
from iop_tui.core.plan import _check_keys as _table
from protocol.messages import ROOM_ASSIGNMENTS
from protocol.text import clean_line

__all__ = ["PlannedBreakout", "PlannedScenario", "parse_breakouts", "parse_scenarios"]

_BREAKOUT_KEYS = ("rooms", "minutes", "prompt", "assign")
_SCENARIO_KEYS = ("title", "setting", "roles", "checklist", "debrief")
_ROLE_KEYS = ("name", "cue", "observer")


@dataclass(frozen=True)
class PlannedBreakout:
    rooms: int
    minutes: int
    prompt: str
    assign: str = "random"

    def command(self) -> tuple[str, dict[str, Any]]:
        return "breakout.open", {"rooms": self.rooms, "minutes": self.minutes, "prompt": self.prompt, "assign": self.assign}

    def describe(self) -> str:
        prompt = f": {self.prompt}" if self.prompt else ""
        return f"{self.rooms} rooms for {self.minutes} minutes, {self.assign}{prompt}"


@dataclass(frozen=True)
class PlannedScenario:
    title: str
    setting: str
    roles: tuple[tuple[str, str, bool], ...]  # (name, cue, observer)
    checklist: tuple[str, ...] = ()
    debrief: tuple[str, ...] = ()

    def command(self, *, in_rooms: bool = False, cast: list[dict[str, int]] | None = None) -> tuple[str, dict[str, Any]]:
        roles = [{"name": n, "cue": c, "observer": o} for n, c, o in self.roles]
        return "roleplay.start", {
            "title": self.title, "setting": self.setting, "roles": roles, "checklist": list(self.checklist),
            "cast": list(cast or []), "in_rooms": in_rooms,
        }

    def describe(self) -> str:
        names = ", ".join(f"{i}. {n}{' (observer)' if o else ''}" for i, (n, _c, o) in enumerate(self.roles, 1))
        return f"{self.title}; roles: {names}"


def _str(table: dict[str, Any], key: str, where: str, name: str, default: str | None = None) -> str:
    return _text(table, key, where, name, default, multiline=("setting", "cue"))


def _int(table: dict[str, Any], key: str, where: str, name: str) -> int:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlanError(f"{name}: {where} needs {key!r}, a whole number.")
    return value


def _texts(table: dict[str, Any], key: str, where: str, name: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PlanError(f"{name}: {key!r} in {where} must be a list of texts in quotes.")
    return tuple(clean_line(v) for v in value)


def parse_breakouts(tables: Any, name: str) -> tuple[PlannedBreakout, ...]:
    if not isinstance(tables, list):
        raise PlanError(f"{name}: write breakout rounds as [[breakouts]] tables.")
    out = []
    for number, table in enumerate(tables, 1):
        where = f"breakout {number}"
        table = _table(table, _BREAKOUT_KEYS, where, name)
        assign = _str(table, "assign", where, name, "random")
        if assign not in ROOM_ASSIGNMENTS:
            raise PlanError(f"{name}: {where} has assign {assign!r}; use one of {', '.join(ROOM_ASSIGNMENTS)}.")
        planned = PlannedBreakout(_int(table, "rooms", where, name), _int(table, "minutes", where, name), _str(table, "prompt", where, name, ""), assign)
        _validate(planned.command(), where, name)
        out.append(planned)
    return tuple(out)


def parse_scenarios(tables: Any, name: str) -> tuple[PlannedScenario, ...]:
    if not isinstance(tables, list):
        raise PlanError(f"{name}: write role-play scenarios as [[scenarios]] tables.")
    out = []
    for number, table in enumerate(tables, 1):
        where = f"scenario {number}"
        table = _table(table, _SCENARIO_KEYS, where, name)
        roles_table = table.get("roles", [])
        if not isinstance(roles_table, list) or not roles_table:
            raise PlanError(f"{name}: {where} needs roles, written as [[scenarios.roles]] tables.")
        roles = []
        for index, role in enumerate(roles_table, 1):
            at = f"{where}, role {index}"
            role = _table(role, _ROLE_KEYS, at, name)
            observer = role.get("observer", False)
            if not isinstance(observer, bool):
                raise PlanError(f"{name}: 'observer' in {at} must be true or false.")
            roles.append((_str(role, "name", at, name), _str(role, "cue", at, name, ""), observer))
        planned = PlannedScenario(
            _str(table, "title", where, name), _str(table, "setting", where, name, ""), tuple(roles),
            _texts(table, "checklist", where, name), _texts(table, "debrief", where, name),
        )
        _validate(planned.command(), where, name)
        _validate(("roleplay.end", {"debrief": list(planned.debrief)}), where, name)
        out.append(planned)
    return tuple(out)
