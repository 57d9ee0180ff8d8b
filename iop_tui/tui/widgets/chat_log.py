"""The chat's scrollback: lines are only ever added at the end, and an added line costs its own rows.

A deleted message's line is replaced in place by a sentence saying so, and
a line whose words change (a name, a facilitator's numbering) is rewritten
in place; nothing else moves, so a screen reader hears each new line once.
Lines only this person sees (help, refusals) have no message id.

On a slow link every byte written to the terminal counts (issue 17). The log
is drawn with Textual's Line API (:meth:`ChatLog.render_line`) and keeps its
own first row shown, so the compositor never sees its size change:

- an appended line repaints only its own rows;
- a rewritten line repaints only its rows (the rows below it too, only when
  its height changed);
- the selection (Up, Down, Home, End, Page Up, Page Down) is shown, with a
  ``> `` marker and reverse video, only while the log has the focus: moving
  it repaints the row it leaves and the row it reaches;
- when the lines reach the bottom the view jumps half a page at once (as a
  terminal's jump scroll does), so one repaint of the log is shared by the
  next half page of lines instead of one repaint per line;
- when the reader has picked a line above, new lines do not move the view;
  the last row says in words how many newer lines are below.

The rows follow the terminal's width: a resize wraps them again. The widget
keeps the part of the OptionList interface the face and its tests use
(``options`` with ``prompt``, ``option_count``, ``highlighted``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import events
from textual.binding import Binding
from textual.geometry import Offset, Region
from textual.strip import Strip
from textual.widget import Widget

from iop_tui.core import words
from iop_tui.tui.widgets.text import Hanging, hanging

__all__ = ["ChatLog", "ChatRow", "MARKER"]

#: The first cells of the selected line's first row; other rows get spaces.
MARKER = "> "


class ChatRow:
    """One line of the log, shaped like an OptionList option (``prompt``) for the face's tests."""

    __slots__ = ("prompt",)

    def __init__(self, prompt: Hanging) -> None:
        self.prompt = prompt


class _Reading:
    """The keys and the mouse of :class:`ChatLog`: the selection moves, the view follows it."""

    options: list[ChatRow]
    highlighted: int | None
    _highlighted: int | None
    _top: int
    _width: int
    _rows: list[tuple[int, str]]
    _first: list[int]

    if TYPE_CHECKING:  # ChatLog's, for the type checker only

        def _below(self) -> int: ...
        def _rows_shown(self) -> int: ...
        def _set_top(self, top: int) -> None: ...
        def _end_top(self) -> int: ...
        def focus(self, scroll_visible: bool = True) -> Any: ...

    def _on_focus(self, event: events.Focus) -> None:
        if self._highlighted is None and self.options:
            self._highlighted = len(self.options) - 1

    def action_cursor_up(self) -> None:
        if self.options:
            self.highlighted = max(0, (self._highlighted if self._highlighted is not None else len(self.options)) - 1)

    def action_cursor_down(self) -> None:
        if self.options:
            self.highlighted = min(len(self.options) - 1, (self._highlighted if self._highlighted is not None else -1) + 1)

    def action_first(self) -> None:
        if self.options:
            self.highlighted = 0

    def action_last(self) -> None:
        if self.options:
            self.highlighted = len(self.options) - 1
            if self._below():
                self._set_top(self._end_top())

    def _page(self, direction: int) -> None:
        if not self.options or not self._width:
            return
        current = self._highlighted if self._highlighted is not None else len(self.options) - 1
        row = max(0, min(len(self._rows) - 1, self._first[current] + direction * max(1, self._rows_shown())))
        self.highlighted = self._rows[row][0]

    def action_page_up(self) -> None:
        self._page(-1)

    def action_page_down(self) -> None:
        self._page(1)

    def on_click(self, event: events.Click) -> None:
        row = self._top + event.y
        if 0 <= row < len(self._rows) and event.y < self._rows_shown():
            self.focus()
            self.highlighted = self._rows[row][0]

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._set_top(self._top - 3)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._set_top(min(self._top + 3, self._end_top()))


class ChatLog(_Reading, Widget, can_focus=True):
    """Chat lines in words, oldest first; the newest is selected while the reader is at the end."""

    BINDINGS = [
        Binding("up", "cursor_up", "Previous line", show=False),
        Binding("down", "cursor_down", "Next line", show=False),
        Binding("home", "first", "First line", show=False),
        Binding("end", "last", "Newest line", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ]  # the actions: _Reading

    COMPONENT_CLASSES = {"chat-log--selected"}

    DEFAULT_CSS = """
    ChatLog {
        height: 1fr;
    }
    ChatLog > .chat-log--selected {
        text-style: reverse;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("compact", None)  # the OptionList's option: this log has no border to drop
        super().__init__(**kwargs)
        self.ids: list[int | None] = []  # message id per line; None for local lines
        self._texts: list[str] = []
        self.options: list[ChatRow] = []
        self._highlighted: int | None = None
        self._top = 0  # the first row shown
        self._width = 0  # the width the rows were wrapped at (0: not yet)
        self._rows: list[tuple[int, str]] = []  # (line index, row text) at ``_width``
        self._first: list[int] = []  # the first row of each line
        self._follow_pending = False  # show the newest lines at the next paint (they came while hidden)

    # -- the OptionList part the face uses ------------------------------------------------

    @property
    def option_count(self) -> int:
        return len(self.options)

    @property
    def highlighted(self) -> int | None:
        return self._highlighted

    @highlighted.setter
    def highlighted(self, index: int | None) -> None:
        if index is not None:
            index = max(0, min(index, len(self.options) - 1)) if self.options else None
        old, self._highlighted = self._highlighted, index
        if old == index:
            return
        if self.has_focus:
            for line in (old, index):
                self._refresh_line(line)
        self._show_line(index)

    def message_id_at(self, index: int | None) -> int | None:
        """The message id of line ``index`` (None for a local line or no line)."""
        return self.ids[index] if index is not None and 0 <= index < len(self.ids) else None

    def clear_options(self) -> None:
        self.ids, self._texts, self.options = [], [], []
        self._highlighted, self._top = None, 0
        self._rows, self._first = [], []
        self.refresh()

    # -- lines in, rows out --------------------------------------------------------------

    def show_lines(self, lines: list[Any], text_of: Any) -> None:
        """Show the state's chat ``lines`` (``text_of(line)`` says one): new ones are appended,
        changed ones rewritten in place; a reset state starts the scrollback again."""
        ids = [line.message_id for line in lines]
        shown = [i for i in self.ids if i is not None]
        if shown != ids[: len(shown)]:  # the state was reset: start the scrollback again
            self.clear_options()
            shown = []
        by_id = {line.message_id: line for line in lines}
        for index, mid in enumerate(self.ids):
            if mid is None:
                continue
            text = text_of(by_id[mid])
            if text != self._texts[index]:
                self._rewrite(index, text)
        new = lines[len(shown):]
        if new:
            self.append_rows([(line.message_id, text_of(line)) for line in new])

    def append_rows(self, rows: list[tuple[int | None, str]]) -> None:
        """Add lines (message id or None, text) at the end; follow them if the reader is at the end."""
        if not rows:
            return
        following = self._highlighted is None or self._highlighted >= len(self.options) - 1
        start = len(self.options)
        for mid, text in rows:
            self.ids.append(mid)
            self._texts.append(text)
            self.options.append(ChatRow(hanging(text)))
        if not self._width:  # not laid out yet: the first paint draws everything
            if following:
                self._highlighted = len(self.options) - 1
            return
        first_new_row = len(self._rows)
        for index in range(start, len(self.options)):
            self._wrap_line(index)
        old_focus_line = self._highlighted
        if following:
            self._highlighted = len(self.options) - 1
            if self._height <= 0:  # hidden (another pane is in front): follow them when shown
                self._follow_pending = True
                return
            if self.has_focus:
                self._refresh_line(old_focus_line)
            if not self._jump_to(len(self._rows) - 1):
                self._refresh_rows(first_new_row, len(self._rows))
        else:
            self._refresh_rows(first_new_row, len(self._rows))
            self._refresh_indicator()

    def follow_to_end(self) -> None:
        """The chat is shown again: show its newest lines (unless a line was picked above)."""
        if self._highlighted is None or self._highlighted >= len(self.options) - 1:
            self._highlighted = len(self.options) - 1 if self.options else None
            self._follow_pending = True  # placed at the next paint, once the log has its size again
            self.refresh()

    def _rewrite(self, index: int, text: str) -> None:
        self._texts[index] = text
        self.options[index] = ChatRow(hanging(text))
        if not self._width:
            return
        first = self._first[index]
        old_height = self._line_height(index)
        new_rows = [(index, row) for row in self.options[index].prompt.lines(self._text_width)]
        self._rows[first : first + old_height] = new_rows
        if len(new_rows) == old_height:
            self._refresh_rows(first, first + old_height)
            return
        for later in range(index + 1, len(self.options)):
            self._first[later] += len(new_rows) - old_height
        self._refresh_rows(first, len(self._rows) + abs(len(new_rows) - old_height))

    # -- layout ------------------------------------------------------------------------

    @property
    def _height(self) -> int:
        return self.size.height

    @property
    def _text_width(self) -> int:
        return max(1, self._width - len(MARKER))

    def _wrap_line(self, index: int) -> None:
        self._first.append(len(self._rows))
        self._rows.extend((index, row) for row in self.options[index].prompt.lines(self._text_width))

    def _line_height(self, index: int) -> int:
        end = self._first[index + 1] if index + 1 < len(self._first) else len(self._rows)
        return end - self._first[index]

    def _layout(self) -> None:
        """Wrap every line at the widget's width (the first paint, and after a resize), and
        show the newest lines if they came while the log was hidden or it was shown again."""
        width = self.size.width
        if width <= 0 or self.size.height <= 0:
            return
        if width != self._width:
            self._width, self._rows, self._first = width, [], []
            for index in range(len(self.options)):
                self._wrap_line(index)
            if self._highlighted is None or self._highlighted >= len(self.options) - 1:
                self._follow_pending = True
            else:
                self._top = min(self._top, self._end_top())
        if self._follow_pending:
            self._follow_pending = False
            last = len(self._rows) - 1
            if not self._top <= last < self._top + self._height:  # the newest row is not in view
                self._top = self._end_top()

    def _end_top(self) -> int:
        return max(0, len(self._rows) - self._height)

    def _set_top(self, top: int) -> None:
        top = max(0, min(top, max(0, len(self._rows) - 1)))
        if top != self._top:
            self._top = top
            self.refresh()

    def _jump_to(self, row: int) -> bool:
        """Bring ``row`` into view from below with a jump of half a page; True if the view moved."""
        height = self._height
        if height <= 0 or row < self._top + height:
            return False
        needed = row - (self._top + height) + 1
        self._set_top(self._top + max(needed, height // 2))
        return True

    def _show_line(self, index: int | None) -> None:
        """Move the view so that line ``index`` is shown (a reader's key)."""
        if index is None or not self._width or index >= len(self._first):
            return
        first, height = self._first[index], self._line_height(index)
        if first < self._top:
            self._set_top(first)
        elif first + height > self._top + self._rows_shown():
            top = min(first, first + height - max(1, self._height - 1))  # the last row may say what is below
            self._set_top(min(top, self._end_top()))
        elif self._below():
            self._refresh_indicator()

    def _below(self) -> int:
        """How many rows are below the view."""
        return max(0, len(self._rows) - (self._top + self._height))

    def _rows_shown(self) -> int:
        """Rows of lines shown: the last row says how many are below, when some are."""
        return self._height - 1 if self._below() and self._height > 1 else self._height

    # -- repaint only what changed --------------------------------------------------------

    def _refresh_rows(self, start: int, end: int) -> None:
        top, height = self._top, self._height
        first, last = max(start, top), min(end, top + height)
        if first < last and self._width:
            self.refresh(Region(0, first - top, self._width, last - first))

    def _refresh_line(self, index: int | None) -> None:
        if index is not None and self._width and index < len(self._first):
            first = self._first[index]
            self._refresh_rows(first, first + self._line_height(index))

    def _refresh_indicator(self) -> None:
        if self._width and self._height:
            self.refresh(Region(0, self._height - 1, self._width, 1))

    def render_line(self, y: int) -> Strip:
        self._layout()
        width = self.size.width
        base = self.rich_style
        plain_style = RichStyle(color=base.color, bgcolor=base.bgcolor)
        if y == self._height - 1 and self._height > 1 and (below := self._below()):
            text = words.chat_more_below(below)
            return Strip([Segment(text[:width].ljust(width), plain_style)], width)
        row = self._top + y
        if row >= len(self._rows):
            return Strip([Segment(" " * width, plain_style)], width)
        index, text = self._rows[row]
        mark = "  "
        style = plain_style
        if index == self._highlighted and self.has_focus:
            style = plain_style + self.get_component_rich_style("chat-log--selected", partial=True)
            if row == self._first[index]:
                mark = MARKER
        return Strip([Segment((mark + text)[:width].ljust(width), style)], width)

    def on_resize(self, event: events.Resize) -> None:
        if self._highlighted is None or self._highlighted >= len(self.options) - 1:
            self._follow_pending = True  # a new height: the newest line at the bottom again
        self._layout()
        self.refresh()

    # -- where the terminal cursor rests -----------------------------------------------------

    def cursor_row_offset(self) -> Offset | None:
        """Screen offset of the selected line's first cell, or None if it is not shown."""
        index = self._highlighted
        if index is None or not self.is_mounted or not self._width or index >= len(self._first):
            return None
        y = self._first[index] - self._top
        if not 0 <= y < self._rows_shown():
            return None
        region = self.content_region
        return Offset(region.x, region.y + y)
