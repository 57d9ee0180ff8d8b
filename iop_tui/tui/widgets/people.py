"""The people pane: who is here, in words.

Each row says the name, role and presence ("online", "away", "offline"),
then "hand up" and "muted" when they apply — never colour alone. A
facilitator moderates from the highlighted row: M mutes or unmutes, H lowers
a hand, R removes (after a confirmation), A orders the list by airtime,
quietest first, and back (each member's row then says their share of the
session's group-chat words: the facilitator's kit, facilitators only).
Removed members are named above the list ("Revoked: Riley."); past guests
(whose family-session invitation ended) are one count there, and P names them
(:func:`iop_tui.core.words.revoked_line`).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static
from textual.widgets.option_list import Option

from iop_tui.core import words
from iop_tui.tui.messages import Moderate
from iop_tui.tui.widgets.cursor_list import CursorOptionList
from iop_tui.tui.widgets.pane import Pane, set_text
from iop_tui.tui.widgets.text import hanging

__all__ = ["PeoplePane", "person_line"]

PRESENCE_WORDS = {"online": "online", "reconnecting": "away", "offline": "offline"}


def person_line(entry: Any, hands: list[int], me_id: int | None, airtime: str = "") -> str:
    """'Sam (participant): online, hand up, muted' (and, for facilitators, '41% of words')."""
    who = f"{entry.name} (you)" if entry.member_id == me_id else entry.name
    words = [PRESENCE_WORDS.get(entry.status, entry.status)]
    if entry.member_id in hands:
        words.append(f"hand up, number {hands.index(entry.member_id) + 1} in the queue")
    if entry.muted:
        words.append("muted")
    if airtime:
        words.append(airtime)
    return f"{who} ({entry.role}): " + ", ".join(words)


def _between(entry: Any, model: Any) -> str:
    """For a facilitator (issue 15): a guest waiting to be let in, and each
    member's attendance of the last recorded session."""
    if not model.is_facilitator:
        return ""
    state = model.state
    said = []
    if entry in state.waiting_guests():
        said.append("waiting: /admit " + (entry.name.split() or [entry.name])[0])
    attended = words.person_attendance(state, entry.member_id, words.live_rows(model))
    if attended:
        said.append(attended)
    return "".join(", " + s for s in said)


class PeopleList(CursorOptionList):
    """The roster; facilitator keys act on the highlighted person."""

    # Not shown in the footer: the pane's help row says them in words, and a footer that changed when the
    # pane came forward was read by a screen reader instead of the person under the cursor (issue 12).
    BINDINGS = [
        Binding("m", "moderate('mute')", "Mute", show=False),
        Binding("h", "moderate('lower')", "Lower", show=False),
        Binding("r", "moderate('remove')", "Remove", show=False),
        Binding("a", "airtime_order", "Airtime order", show=False, tooltip="Order the people by airtime, quietest first, or by role and name"),
        Binding("p", "past_guests", "Past guests", show=False, tooltip="Name the past guests, or fold them into a count again"),
    ]

    def action_past_guests(self) -> None:
        pane = self.parent
        if isinstance(pane, PeoplePane):
            pane.toggle_past_guests()

    def action_airtime_order(self) -> None:
        pane = self.parent
        if isinstance(pane, PeoplePane):
            pane.toggle_airtime_order()

    def action_moderate(self, what: str) -> None:
        pane = self.parent
        if isinstance(pane, PeoplePane):
            pane.moderate_selected(what)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("moderate", "airtime_order"):
            pane = self.parent
            return isinstance(pane, PeoplePane) and pane.facilitating
        return True


class PeoplePane(Pane):
    """Roster with presence, raised hands and mutes."""

    FOCUS = ("#people-list",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._model: Any = None
        self._ids: list[int] = []
        self._rows: list[str] = []
        self.by_airtime = False  # a facilitator's A: quietest first
        self.guests_named = False  # P: the past guests named instead of counted

    def compose(self) -> ComposeResult:
        yield Static("", id="people-hands", classes="lead", markup=False)
        yield PeopleList(id="people-list", compact=True)
        yield Static("", id="people-help", markup=False)

    def show_model(self, model: Any) -> None:
        self._model = model
        state = model.state
        me_id = model.me.member_id if model.me is not None else None
        order = {"facilitator": 0, "participant": 1, "guest": 2}
        people = sorted(
            (e for e in state.roster.values() if not e.removed),
            key=lambda e: (order.get(e.role, 3), e.name.lower()),
        )
        said = words.airtime_shares(state) if model.is_facilitator else {}
        if said and self.by_airtime:
            people.sort(key=lambda e: (e.member_id not in said, said[e.member_id][0] if e.member_id in said else 0))
        ids = [e.member_id for e in people]
        rows = [
            person_line(e, state.hands, me_id, said[e.member_id][1] if e.member_id in said else "") + _between(e, model)
            for e in people
        ]
        plist = self.query_one("#people-list", PeopleList)
        if ids != self._ids or rows != self._rows:
            highlighted = plist.highlighted
            plist.set_options([Option(hanging(r)) for r in rows])
            if ids:
                plist.highlighted = 0 if highlighted is None else min(highlighted, len(ids) - 1)
            self._ids, self._rows = ids, rows
        hands = [state.name_of(m) for m in state.hands]
        revoked = words.revoked_line(state, guests_named=self.guests_named, hint=words.PAST_GUESTS_KEY)
        set_text(
            self.query_one("#people-hands", Static),
            (("Hands up, oldest first: " + ", ".join(hands) + ".") if hands else "No hands are up.")
            + (" " + revoked if revoked else ""),
        )
        if model.is_facilitator:
            help_text = ("On a person: M mutes or unmutes, H lowers their hand, R removes them from the group. A orders by airtime"
                         + (", quietest first (on)." if self.by_airtime else " (off)."))
        elif model.me is not None and model.me.role == "guest":
            help_text = words.GUEST_ROSTER
        else:
            help_text = "Press H on any pane outside a text field, or type /hand in chat, to raise or lower your hand."
        set_text(self.query_one("#people-help", Static), help_text)

    @property
    def facilitating(self) -> bool:
        """Whether this person facilitates (the moderation keys are theirs)."""
        return bool(self._model is not None and self._model.is_facilitator)

    def toggle_airtime_order(self) -> None:
        self.by_airtime = not self.by_airtime
        if self._model is not None:
            self.show_model(self._model)
        self.say(words.airtime_order_text(self.by_airtime))

    def toggle_past_guests(self) -> None:
        """P: name the past guests, or fold them into one count again."""
        self.guests_named = not self.guests_named
        if self._model is not None:
            self.show_model(self._model)

    def moderate_selected(self, what: str) -> None:
        index = self.query_one("#people-list", PeopleList).highlighted
        if self._model is None or index is None or index >= len(self._ids):
            self.say("Choose a person in the list first.", error=True)
            return
        entry = self._model.state.roster.get(self._ids[index])
        if entry is not None:
            if what == "mute":
                what = "unmute" if entry.muted else "mute"
            self.post_message(Moderate(what, entry))
