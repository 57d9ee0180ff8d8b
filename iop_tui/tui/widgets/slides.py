"""The slides pane: the group's deck, following the facilitator.

A member's view follows the live slide until they page on their own; the
status line then says so in words and how to return ("press L for live").
A facilitator loads a deck from a Markdown file on their own machine (read
here, in the client, and sent as ``deck.load``), sees the presenter notes
under the slide, and moves everyone's slide. The Markdown widget is created
only when there is a deck, so joining a session does not pay for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button, Input, Label, Static

from protocol.text import clean_line, clean_text

from iop_tui.tui.widgets.pane import SELF, Pane, field, quiet_input, set_text
from iop_tui.tui.widgets.toggles import WordButton

__all__ = ["SlidesPane", "slide_status"]


def slide_status(index: int, count: int, browsing: bool) -> str:
    """'Slide 3 of 8 · live' or 'Slide 2 of 8 · you are browsing; press L for live'."""
    if browsing:
        return f"Slide {index + 1} of {count} · you are browsing; press L for live"
    return f"Slide {index + 1} of {count} · live"


class _DeckForm(Vertical):
    """The facilitator's deck loader: a path on this computer."""

    def compose(self) -> ComposeResult:
        yield Label("Load a deck: a Markdown file on this computer (slides separated by ---):")
        yield field("Deck file:", quiet_input(id="deck-path", hint="for example: ~/decks/week3.md"))
        yield WordButton("Load deck", id="deck-load", compact=True)  # under the field: Tab moves down a row


class SlidesPane(Pane, can_focus=True):
    """The current slide as Markdown, with paging and (for facilitators) controls."""

    FOCUS = (SELF,)  # the pane itself: Right and Left page the slides

    BINDINGS = [
        Binding("right,right_square_bracket", "next_slide", "Next"),
        Binding("left,left_square_bracket", "previous_slide", "Previous"),
        Binding("l", "live", "Live slide"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._browse: int | None = None  # a member's own slide while browsing
        self._shown: tuple[str, str] | None = None
        self._model: Any = None
        self._markdown: Any = None  # the Markdown widget, once there is a deck

    def compose(self) -> ComposeResult:
        yield Static("No slides yet; the facilitator loads a deck.", id="slide-status", classes="lead", markup=False)
        yield Vertical(id="slide-body")
        yield Static("", id="slide-notes", markup=False)

    def facilitator_tools(self) -> Any:
        yield _DeckForm(id="deck-form", classes="form")

    # -- rendering -----------------------------------------------------------

    def _facilitator(self) -> bool:
        return bool(self._model is not None and self._model.is_facilitator)

    def show_model(self, model: Any) -> None:
        self._model = model
        self.mount_facilitator_tools(model)
        self._redraw()

    def _redraw(self) -> None:
        model = self._model
        if model is None:
            return
        state = model.state
        slides = state.slides
        status = self.query_one("#slide-status", Static)
        notes = self.query_one("#slide-notes", Static)
        if not slides:
            set_text(status, "No slides yet; the facilitator loads a deck.")
            set_text(notes, "")
            return
        live = min(state.slide_index, len(slides) - 1)
        index = live if self._browse is None else min(self._browse, len(slides) - 1)
        browsing = self._browse is not None and index != live
        title = f"{state.deck_title} — " if state.deck_title else ""
        set_text(status, title + slide_status(index, len(slides), browsing))
        slide = slides[index]
        self._show_markdown(slide["body"] or slide["title"], index)
        if self._facilitator():
            text = state.notes[index].strip() if index < len(state.notes) else ""
            set_text(notes, "Presenter notes (only facilitators see these): " + (text or "none for this slide."))
        else:
            set_text(notes, "")

    def _show_markdown(self, body: str, index: int) -> None:
        key = (str(index), body)
        if self._shown == key:
            return
        if self._shown is not None and self._shown[0] != key[0]:
            # Another slide: start at its title, not at the old slide's scroll position.
            self.call_after_refresh(self.scroll_home, animate=False)
        self._shown = key
        if self._markdown is not None:
            self._markdown.update(body)
            return
        from textual.widgets import Markdown  # imported on first use: markdown-it is heavy

        self._markdown = Markdown(body, id="slide-markdown")
        self.query_one("#slide-body", Vertical).mount(self._markdown)

    # -- actions -------------------------------------------------------------

    def _move(self, step: int) -> None:
        model = self._model
        if model is None or not model.state.slides:
            self.say("There are no slides yet.")
            return
        count = len(model.state.slides)
        live = min(model.state.slide_index, count - 1)
        if self._facilitator():
            target = live + step
            if 0 <= target < count:
                self.send("slide.goto", {"index": target})
            else:
                self.say("That is the last slide." if step > 0 else "That is the first slide.")
            return
        current = live if self._browse is None else self._browse
        target = max(0, min(count - 1, current + step))
        self._browse = None if target == live else target
        self._redraw()

    def action_next_slide(self) -> None:
        self._move(+1)

    def action_previous_slide(self) -> None:
        self._move(-1)

    def action_live(self) -> None:
        self._browse = None
        self._redraw()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "live" and self._facilitator():
            return False
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "deck-load":
            event.stop()
            self._load_deck()

    def on_input_submitted(self, event: Any) -> None:
        if event.input.id == "deck-path":
            event.stop()
            self._load_deck()

    def _load_deck(self) -> None:
        raw = self.query_one("#deck-path", Input).value.strip()
        if not raw:
            self.say("Type the path of a Markdown file first.", error=True)
            return
        from iop_tui.core.plan import PlanError, read_deck

        path = Path(raw).expanduser()
        try:
            markdown = read_deck(path)
        except PlanError as err:
            self.say(str(err), error=True)
            return
        self.send(  # a file is cleaned like the network
            "deck.load",
            {"markdown": clean_text(markdown)},
            said=f"Deck sent from {clean_line(path.name)}; Right and Left now move everyone's slide.",
            then=self._focus_slides,
        )

    def _focus_slides(self) -> None:
        """After a deck went out, the focus rests on the slides: Right and Left page them."""
        self.focus()
