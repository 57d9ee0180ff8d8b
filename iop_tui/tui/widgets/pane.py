"""What every pane of the session screen shares.

A pane is given the current :class:`~iop_tui.core.model.SessionModel` with
:meth:`Pane.show_model` and the loaded plan as :attr:`Pane.plan` (attributes
down). It never calls the app: :meth:`Pane.send`, :meth:`Pane.say` and the
other helpers post the messages of :mod:`iop_tui.tui.messages`, which bubble
up to the app (messages up). Each pane says where its focus goes
(:attr:`Pane.FOCUS`). Panes only touch the screen when what they show has
changed, so an idle session writes nothing to the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from rich.highlighter import Highlighter
from rich.text import Text
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, TextArea

from iop_tui.tui.messages import Confirm, FieldsSent, FocusPlaced, Say, SendCommand
from iop_tui.tui.widgets.text import plain, set_text

__all__ = ["Pane", "SELF", "set_text", "plain", "quiet_input", "quiet_text_area", "split_items", "field"]

#: Characters a field never draws as they are (see :class:`ShownClean`).
#: Controls (C0, C1) and the bidi marks and overrides; a joiner in an emoji stays as it is.
_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

#: In :attr:`Pane.FOCUS`: the pane itself (it scrolls with the arrow keys).
SELF = ""


class ShownClean(Highlighter):
    """What a field holds, drawn with every control character (an escape sequence pasted
    or in a file's name) and bidi override as a visible "\ufffd": the value
    is kept as it is, one character for one, so the caret and a selection stay in place,
    and no byte of it reaches the terminal as a command."""

    def __call__(self, text: str | Text) -> Text:
        shown = text.copy() if isinstance(text, Text) else Text(text)
        self.highlight(shown)
        return shown

    def highlight(self, text: Text) -> None:
        plain = text.plain
        if _UNSHOWN.search(plain):
            text.plain = _UNSHOWN.sub("\ufffd", plain)


def quiet_input(*, hint: str = "", **kwargs: Any) -> Input:
    """An Input whose cursor does not blink (a blink repaints twice a second).

    ``hint`` is the grey example text shown while the field is empty.
    """
    kwargs.setdefault("compact", True)
    # Coming back into a filled field puts the caret at the end, never a selection of
    # all its text that the next key would replace (a note would be lost to one letter).
    kwargs.setdefault("select_on_focus", False)
    kwargs.setdefault("highlighter", ShownClean())
    widget = Input(placeholder=hint, **kwargs)
    widget.cursor_blink = False
    return widget


def quiet_text_area(**kwargs: Any) -> TextArea:
    """A TextArea whose cursor does not blink."""
    kwargs.setdefault("compact", True)
    widget = TextArea(**kwargs)
    widget.cursor_blink = False
    return widget


def field(label: str, widget: Widget) -> Horizontal:
    """A text field on one row after its label ("Mood, 0 to 10: 4"): the row under the
    caret says what the field is and what it holds, which is what a console screen
    reader reads when the focus moves there (the example text alone said neither)."""
    return Horizontal(Label(label, markup=False), widget, classes="field")


def split_items(text: str) -> list[str]:
    """Items written on one line separated by ';' (or one per line)."""
    parts = text.replace("\n", ";").split(";")
    return [p.strip() for p in parts if p.strip()]


class Pane(VerticalScroll):
    """The scrolling body of one tab."""

    #: Where the focus goes when the pane comes forward: the first of these
    #: (selectors inside the pane, or :data:`SELF`) that is shown and focusable.
    FOCUS: ClassVar[tuple[str, ...]] = (SELF,)

    #: The session model and the loaded plan (:class:`iop_tui.core.plan.Plan`), given by the
    #: screen (before mounting, for a pane mounted late: it renders them when mounted).
    model: Any = None
    plan: Any = None

    def show_model(self, model: Any) -> None:
        """Render from the session model; called after every batch of notices."""

    def on_mount(self) -> None:
        # Panes may be mounted late (lazily, after the first frame): catch up.
        if self.model is not None:
            self.show_model(self.model)

    def focus_first(self) -> Widget | None:
        """Focus the first control of :attr:`FOCUS` that is shown; return it (None if none is)."""
        for selector in self.FOCUS:
            for widget in [self] if selector == SELF else self.query(selector):
                if widget.focusable and all(getattr(a, "display", True) for a in widget.ancestors_with_self):
                    widget.focus()
                    return widget
        return None

    def mount_facilitator_tools(self, model: Any) -> None:
        """Mount the facilitator-only forms the first time a facilitator is seen.

        Members never build them: fewer widgets, less memory, a faster start
        on a low-resource machine.
        """
        if model.is_facilitator and not getattr(self, "_tools_mounted", False):
            self._tools_mounted = True
            tools = list(self.facilitator_tools())
            if tools:
                self.mount_all(tools)
                self.call_after_refresh(self.show_model, model)

    def facilitator_tools(self) -> Any:
        """Widgets only facilitators get (yielded), mounted at the end of the pane."""
        return ()

    # -- messages up ------------------------------------------------------------

    def send(self, kind: str, data: dict[str, Any], *, said: str = "", then: Callable[[], None] | None = None) -> None:
        """Ask the app to send a command. Once sent, ``said`` is said and ``then`` called;
        if it cannot go, the app says why and neither happens."""
        self.post_message(SendCommand(kind, data, said=said, then=then))

    def say(self, text: str, *, error: bool = False) -> None:
        """Tell the person something in one sentence (status line, and a toast for a problem)."""
        self.post_message(Say(text, error=error))

    def confirm(self, question: str, answer: Callable[[bool | None], None], *, yes: str = "Yes", no: str = "No, keep it") -> None:
        """Ask ``question`` in a dialog whose default is ``no``; ``answer`` gets the choice.

        The answer runs in this pane, so what it posts bubbles up from here (Textual
        stops a message at its sender's child: one posted in the screen's context
        would never reach the app).
        """

        def answered(choice: bool | None) -> None:
            self.call_next(answer, choice)

        self.post_message(Confirm(question, answered, yes=yes, no=no))

    def place_focus(self, widget: Widget) -> None:
        """Focus ``widget`` on the pane's own initiative (the person's next key makes it theirs)."""
        widget.focus()
        self.post_message(FocusPlaced(widget))

    def fields_sent(self) -> None:
        """What the person typed in this pane was sent: it no longer holds the pane in front."""
        self.post_message(FieldsSent(self))
