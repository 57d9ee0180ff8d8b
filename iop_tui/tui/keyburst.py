"""Keys that arrive together: a paste the terminal did not bracket (Textual face).

A terminal without bracketed paste (tmux ``paste-buffer``, ``send-keys -l``,
a serial console) delivers pasted text as one key event per character. Taken
one by one, a 100 KB paste costs one edit and one repaint per character, and
wherever the focus is not in a text field every letter is a command: ``h``
raises a hand, digits switch panes, Enter votes, ``y`` confirms.

:class:`KeyBurst` sits in front of the app's key handling. Printable keys
(and Enter, Tab and line feeds that follow them) are held until the messages
already queued have been read, which is exactly when the next key typed by a
person could arrive. Then:

- one key alone is handled as always (a hotkey is still a hotkey);
- several keys together are a burst: in a text field they are inserted as
  one piece of text (line breaks and tabs become spaces in a one-line field,
  and no Enter in a burst sends anything: the person reads the text and
  presses Enter themselves); anywhere else none of them is a command, and
  the person is told so in one sentence;
- a key that follows a burst closely (by the time the terminal's keys were
  read) still belongs to it, so a long paste read in several chunks never
  lets a stray letter or Enter through as a command: a letter within
  ``QUIET`` seconds, an Enter or Tab within ``BREAK_QUIET``. The two differ
  because a letter alone matters only outside a text field, where it is a
  command, while over a slow link the letters a person types arrive together
  and the Enter they press a moment later must still send their line;
- an Enter or Tab within ``QUIET`` of a burst is held too, and is text when
  more keys were queued behind it: a chunk read late on a busy machine may
  begin with the paste's line break, and the person's own Enter is the last
  key they press, never the first of a run of letters.

So the work per burst is one insertion, whatever its length, and a burst
never sends a command (no hand raised or lowered, no message sent, no vote,
no confirmation).
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Input, TextArea

from iop_tui.core import words
from iop_tui.tui.panekeys import PANE_KEYS, bring_forward_now

__all__ = ["BREAK_QUIET", "KeyBurst", "QUIET", "text_field", "spaces_for_breaks"]

#: Seconds after a burst's last key in which a lone printable key still counts as part of it.
#: A paste over a slow SSH link or on a busy machine is read in chunks a few hundred
#: milliseconds apart; a person who has just pasted looks at the screen before pressing a
#: hotkey, so half a second costs no one a key and lets no chunk's letter act as a command.
QUIET = 0.5

#: The same for a lone Enter, Tab or line feed: a person presses Enter a fifth of a second
#: after typing, and over a slow link what they typed arrived as one burst.
BREAK_QUIET = 0.1

#: Keys that are text inside a burst although they are not printable.
_TEXT_KEYS = {"enter": "\n", "tab": "\t", "ctrl+j": "\n"}


def text_field(widget: Any) -> Input | TextArea | None:
    """``widget`` if it is a text field the person can type into, else None."""
    if isinstance(widget, Input):
        return widget
    if isinstance(widget, TextArea) and not widget.read_only:
        return widget
    return None


class KeyBurst:
    """Holds printable keys until the queue is read, then handles them as one burst or one key."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.keys: list[events.Key] = []
        self._last_burst_at: float | None = None  # time of the newest key of the current burst
        self._ignored = 0  # keys ignored in the current burst (for the sentence)

    @property
    def pending(self) -> bool:
        return bool(self.keys)

    def _within(self, event: events.Key, seconds: float) -> bool:
        """Whether ``event`` came less than ``seconds`` after the last burst's newest key."""
        return self._last_burst_at is not None and event.time - self._last_burst_at < seconds

    def _follows_burst(self, event: events.Key) -> bool:
        return self._within(event, QUIET if event.is_printable else BREAK_QUIET)

    async def before(self, event: events.Event) -> events.Event | None:
        """Filter one input event from the terminal before Textual handles it.

        None: the key is held (it may be part of a burst). Otherwise the event
        to handle, after any keys held before it; a paste into a one-line field
        has its line breaks as spaces (Textual would keep only its first line).
        """
        if isinstance(event, events.Key) and not event.key.isdigit() and event.key in PANE_KEYS:
            if self.keys:
                await self.flush()
            # F1-F6, Alt+1-6: never part of a burst, and the pane is in front before the next key.
            return None if await bring_forward_now(self.app, PANE_KEYS[event.key]) else event
        if isinstance(event, events.Key) and self.take(event):
            return None
        if self.keys:
            await self.flush()  # keys held before this event are handled first
        if isinstance(event, events.Paste) and isinstance(self.app.focused, Input) and spaces_for_breaks(event.text) != event.text:
            return events.Paste(spaces_for_breaks(event.text))
        return event

    def take(self, event: events.Key) -> bool:
        """Hold ``event`` if it may be part of a burst; False means handle it now.

        An Enter or Tab is held when keys are held or a burst came lately: a chunk of
        a paste read late may begin with its line break, and only the keys queued
        behind the Enter tell it from the person's own (see :meth:`flush`).
        """
        if event.is_printable or (event.key in _TEXT_KEYS and (self.keys or self._within(event, QUIET))):
            if not self.keys:
                self.app.call_later(self.flush)
            self.keys.append(event)
            return True
        return False

    async def flush(self) -> None:
        """Handle the held keys: one key as itself, several as a burst."""
        keys, self.keys = self.keys, []
        if not keys:
            return
        field = text_field(self.app.focused)
        if len(keys) == 1 and not self._follows_burst(keys[0]):
            self._last_burst_at = None
            pane = PANE_KEYS.get(keys[0].key) if field is None else None  # in a text field a digit is text
            if pane is None or not await bring_forward_now(self.app, pane):
                await self.app.handle_key_now(keys[0])
            return
        follows_burst = self._within(keys[0], QUIET)  # the same paste, read in another chunk
        self._last_burst_at = keys[-1].time
        if field is not None:
            self._insert(field, keys)
            return
        self._ignored = self._ignored + len(keys) if follows_burst else len(keys)
        sentence = words.burst_ignored_text(self._ignored)
        if follows_burst:
            self.app.status(sentence)  # the same burst read in several chunks: one toast
        else:
            self.app.say(sentence, error=True)

    @staticmethod
    def _insert(field: Input | TextArea, keys: list[events.Key]) -> None:
        text = "".join(_TEXT_KEYS.get(k.key, k.character or "") for k in keys)
        if isinstance(field, Input):
            text = spaces_for_breaks(text)
            before = field.value
            start, end = sorted(field.selection)
            field.replace(text, start, end)
            if field.value == before and text.strip() != text:
                # A field that takes only some text (a number, a date) refused the spaces
                # that line breaks became: "4" and Enter typed quickly is still the mood 4.
                field.replace(text.strip(), start, end)
        else:
            field.insert(text)


def spaces_for_breaks(text: str) -> str:
    """Text for a one-line field: each line break or tab becomes a space, nothing is dropped."""
    return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
