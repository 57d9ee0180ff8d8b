"""The chat's scrollback: lines are only ever added at the end.

A deleted message's line is replaced in place by a sentence saying so, and
a line whose words change (a name, a facilitator's numbering) is rewritten
in place; nothing else moves, so a screen reader hears each new line once.
Lines only this person sees (help, refusals) have no message id.
"""

from __future__ import annotations

from typing import Any

from textual.widgets.option_list import Option

from iop_tui.tui.widgets.cursor_list import CursorOptionList
from iop_tui.tui.widgets.text import hanging

__all__ = ["ChatLog"]


class ChatLog(CursorOptionList):
    """Chat lines in words, oldest first, the newest highlighted while the reader is at the end."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ids: list[int | None] = []  # message id per row; None for local lines
        self._texts: list[str] = []
        self._to_end = False  # lines were added while hidden: scroll to them when shown

    def message_id_at(self, index: int | None) -> int | None:
        """The message id of row ``index`` (None for a local line or no row)."""
        return self.ids[index] if index is not None and 0 <= index < len(self.ids) else None

    def show_lines(self, lines: list[Any], text_of: Any) -> None:
        """Show the state's chat ``lines`` (``text_of(line)`` says one): new ones are appended,
        changed ones rewritten in place; a reset state starts the scrollback again."""
        ids = [line.message_id for line in lines]
        shown = [i for i in self.ids if i is not None]
        if shown != ids[: len(shown)]:  # the state was reset: start the scrollback again
            self.clear_options()
            self.ids, self._texts = [], []
            shown = []
        by_id = {line.message_id: line for line in lines}
        for row, mid in enumerate(self.ids):
            if mid is None:
                continue
            text = text_of(by_id[mid])
            if text != self._texts[row]:
                self.replace_option_prompt_at_index(row, hanging(text))
                self._texts[row] = text
        new = lines[len(shown):]
        if new:
            self.append_rows([(line.message_id, text_of(line)) for line in new])

    def append_rows(self, rows: list[tuple[int | None, str]]) -> None:
        """Add rows (message id or None, text) at the end; follow them if the reader is at the end."""
        at_end = self.highlighted is None or self.highlighted >= self.option_count - 1
        self.add_options([Option(hanging(text)) for _, text in rows])
        for mid, text in rows:
            self.ids.append(mid)
            self._texts.append(text)
        if at_end and self.option_count:
            self.highlighted = self.option_count - 1
        self.scroll_end(animate=False)
        if at_end and not self.is_on_screen:
            self._to_end = True  # lines laid out while hidden: scroll again when shown

    def follow_to_end(self) -> None:
        """The chat is shown again: show its newest lines (unless a line was picked above)."""
        if not self._to_end:
            return
        self._to_end = False
        if self.option_count:
            self.highlighted = self.option_count - 1

        def to_end() -> None:
            self.scroll_end(animate=False, immediate=True)  # after the lines are laid out at the real width

        self.call_after_refresh(lambda: self.call_after_refresh(to_end))
