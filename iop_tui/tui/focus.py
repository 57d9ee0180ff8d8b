"""Whose is the focus: the person's, or the app's? (Textual face)

The person's keys come first. A phase change brings its pane forward, and a
pane that appears puts the focus on its first field, but never while the
person is writing: the focus then stays where they are. :class:`FocusKeeper`
keeps the two facts this needs:

- whether the focus was last placed by the app (a pane coming forward, a form
  appearing) and the person has not acted since;
- which text fields the person typed into and has not sent yet.

The app feeds it every key, paste and click (:meth:`FocusKeeper.person_acted`),
every focus a pane placed (:meth:`FocusKeeper.placed`) and every form a pane
sent (:meth:`FocusKeeper.fields_sent`), and asks :meth:`FocusKeeper.is_typing`.
"""

from __future__ import annotations

import weakref
from typing import Any

from textual import events
from textual.widget import Widget
from textual.widgets import Input

from iop_tui.tui.keyburst import text_field

__all__ = ["FocusKeeper"]


class FocusKeeper:
    """The focus's owner, and the fields holding text the person has not sent."""

    def __init__(self) -> None:
        self.auto = False  # the focus was placed by the app, and the person has not acted since
        self._edited: weakref.WeakSet[Any] = weakref.WeakSet()  # text fields the person typed into
        self._acted_at = float("-inf")  # the time of the person's latest key, paste or click

    def person_acted(self, event: events.Event, focused: Widget | None) -> None:
        """A key, a paste or a click from the terminal: the focus is the person's now."""
        if not isinstance(event, (events.Key, events.Paste, events.MouseDown)):
            return
        self.auto = False
        self._acted_at = max(self._acted_at, event.time)
        field = text_field(focused)
        if field is not None and not isinstance(event, events.MouseDown):
            self._edited.add(field)

    def app_placed(self) -> None:
        """The app itself just moved the focus (a pane brought forward)."""
        self.auto = True

    def placed(self, widget: Widget, at: float, focused: Widget | None) -> None:
        """A pane focused ``widget`` at time ``at`` on its own initiative.

        It counts as the app's only if the focus is still there and the person
        has not acted since: a key that came between makes it theirs.
        """
        if focused is widget and at >= self._acted_at:
            self.auto = True

    def fields_sent(self, pane: Widget) -> None:
        """What the person typed in ``pane`` has been sent: it no longer holds the pane forward."""
        for field in list(self._edited):
            if pane in field.ancestors:
                self._edited.discard(field)

    def is_typing(self, focused: Widget | None, active_pane: str | None, keys_held: bool) -> bool:
        """Is the person writing? Then nothing may move the focus away from them.

        True while keys are held (a burst being read), when the focus is in a text
        field the person has reached or acted in (not one the app focused on its own
        and left untouched), or when a text field of the pane in front
        (``active_pane``, a tab id) holds text the person typed and has not sent.
        """
        if keys_held:
            return True
        if text_field(focused) is not None and not self.auto:
            return True
        if active_pane is None:
            return False
        for field in list(self._edited):
            value = field.value if isinstance(field, Input) else field.text
            if value.strip() and field.is_attached and any(a.id == active_pane for a in field.ancestors):
                return True
        return False
