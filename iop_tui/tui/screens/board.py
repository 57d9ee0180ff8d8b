"""The shared board, full screen: columns of cards, moved by keyboard (B on the session screen).

Each column is a list of its cards, side by side (three fit at 80 columns; with
more the row scrolls sideways). Every state is words on the card's row: its
number, its words, "+2", "you gave a +1", "yours" or "by Sam" — the same line
the plain face's ``/board`` outline says (:func:`iop_tui.core.words.card_line`).
Left and Right move between columns, Up and Down between cards.

Every key builds the same typed line a plain-mode member would type
("/plus 3", "/card move 3 2") and runs it through the one interpreter
(:func:`iop_tui.core.commands.interpret`), so refusals are the same sentences;
the sends go up to the app as :class:`~iop_tui.tui.messages.SendOutcome`.
Adding or editing a card uses the field at the foot of the screen; Enter sends,
Escape leaves it without losing what was typed.

The session screen gives this screen the model after every burst of notices
(:meth:`BoardScreen.show_model`); it repaints only what changed, so an idle
board writes nothing.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.widgets.option_list import Option

from iop_tui.core import words
from iop_tui.core.commands import Context, interpret
from iop_tui.tui.messages import SendOutcome
from iop_tui.tui.widgets.cursor_list import CursorOptionList
from iop_tui.tui.widgets.pane import quiet_input, set_text
from iop_tui.tui.screens.viewkeys import PANE_KEY_BINDINGS, PaneKeysClose

__all__ = ["BoardScreen", "BOARD_KEYS"]

BOARD_KEYS = "Left/Right columns, Up/Down cards, A add, E edit, D remove, + a +1, Escape back."
FACILITATOR_KEYS = " Facilitators: [ ] move, M merge, C clear a column."


class BoardScreen(PaneKeysClose, Screen[None]):
    """The current board of the session as columns of cards."""

    BINDINGS = [
        *PANE_KEY_BINDINGS,  # a pane key closes the board and shows the pane (viewkeys)
        Binding("escape", "back", "Back"),
        Binding("left", "column(-1)", "Column left", show=False),
        Binding("right", "column(1)", "Column right", show=False),
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit", show=False),  # the head line lists every key; the footer keeps room for F9 and F12
        Binding("d,delete", "remove", "Remove", show=False),
        Binding("plus,p", "plus", "+1"),
        Binding("left_square_bracket", "move(-1)", "Move left", show=False),
        Binding("right_square_bracket", "move(1)", "Move right", show=False),
        Binding("m", "merge", "Merge", show=False),
        Binding("c", "clear", "Clear column", show=False),
    ]

    DEFAULT_CSS = """
    BoardScreen { layout: vertical; }
    #board-head { height: auto; padding: 0 1; }
    #board-columns { height: 1fr; overflow-x: auto; }
    .board-column { width: 1fr; min-width: 24; height: 1fr; border-right: vkey $foreground 30%; }
    .board-column-title { height: auto; padding: 0 1; text-style: bold; }
    .board-cards { height: 1fr; border: none; }
    #board-input { height: 1; margin: 0 1; display: none; }
    #board-input.open { display: block; }
    #board-said { height: auto; padding: 0 1; }
    """

    def __init__(self, model: Any, plan: Any = None) -> None:
        super().__init__()
        self.model, self.plan = model, plan
        self._shape: tuple[Any, ...] | None = None  # the board and columns the widgets were built for
        self._editing: int | None = None  # the card number being edited (None: adding a card)
        self._merging: int | None = None  # the card number marked to merge into another
        #: Card lines sent from the field (line -> (text, card edited)), the last few: a refused one comes back (take_back).
        self._typed: dict[str, tuple[str, int | None]] = {}

    # -- building and showing ---------------------------------------------------------

    def _board(self) -> Any:
        return self.model.state.current_board()

    def _shape_of(self) -> tuple[Any, ...]:
        board = self._board()
        return (board.board_id, tuple(board.columns)) if board is not None else (None,)

    def compose(self) -> ComposeResult:
        self._shape = self._shape_of()
        board = self._board()
        yield Static("", id="board-head", markup=False)
        with Horizontal(id="board-columns"):
            for index in range(len(board.columns) if board is not None else 0):
                with Vertical(classes="board-column"):
                    yield Static("", id=f"board-title-{index}", classes="board-column-title", markup=False)
                    yield CursorOptionList(id=f"board-cards-{index}", classes="board-cards", compact=True)
        yield quiet_input(id="board-input", hint="your card", max_length=300)
        yield Static("", id="board-said", markup=False)
        yield Footer(compact=True, show_command_palette=False)  # as the session screen's: F12 Hide fits 80 columns

    def on_mount(self) -> None:
        self._show_board()
        lists = list(self.query(CursorOptionList))
        if lists:
            lists[0].focus()

    async def show_model(self, model: Any, plan: Any = None) -> None:
        """Attributes down: the session screen hands over the model after every burst."""
        self.model, self.plan = model, plan
        if self._shape_of() != self._shape:
            await self.recompose()  # a new board, or other columns
            self.on_mount()
            return
        self._show_board()

    def _show_board(self) -> None:
        state, me_id = self.model.state, self.model.me_id
        board = self._board()
        facilitator = self.model.is_facilitator
        if board is None:
            set_text(self.query_one("#board-head", Static), f"{words.NO_BOARD} Escape goes back.")
            return
        cards = board.live_cards()
        seen = "; as a facilitator you see who wrote each" if facilitator and board.anonymous else ""
        head = (f"Board: {board.title}, {words.board_anonymity_text(board)}{seen}; "
                f"{words.count_words(len(cards), 'card')}. {BOARD_KEYS}{FACILITATOR_KEYS if facilitator else ''}")
        set_text(self.query_one("#board-head", Static), head)
        for index, title in enumerate(board.columns):
            column = board.live_cards(index)
            set_text(self.query_one(f"#board-title-{index}", Static), f"{index + 1} {title}: {words.count_words(len(column), 'card')}")
            rows = [words.card_line(c, board, state, me_id, facilitator=facilitator) for c in column]
            listing = self.query_one(f"#board-cards-{index}", CursorOptionList)
            if [str(o.prompt) for o in listing.options] == rows:
                continue  # nothing changed: no repaint
            keep = listing.highlighted
            listing.clear_options()
            listing.add_options([Option(row, id=f"card-{c.number}") for row, c in zip(rows, column, strict=True)])
            if rows and keep is not None:
                listing.highlighted = min(keep, len(rows) - 1)

    # -- where the person is ------------------------------------------------------------

    def _column_index(self) -> int | None:
        focused = self.focused
        if isinstance(focused, CursorOptionList) and focused.id and focused.id.startswith("board-cards-"):
            return int(focused.id.rsplit("-", 1)[1])
        return None

    def _card_number(self) -> int | None:
        focused = self.focused
        if not isinstance(focused, CursorOptionList) or focused.highlighted is None:
            return None
        option = focused.get_option_at_index(focused.highlighted)
        return int(option.id.rsplit("-", 1)[1]) if option.id else None

    def _say(self, text: str) -> None:
        set_text(self.query_one("#board-said", Static), text)

    def _run(self, line: str) -> bool:
        """Run a typed line through the one interpreter; True when its sends went up."""
        outcome = interpret(line, Context(self.model, plan=self.plan))
        if outcome.refusal:
            self._say(outcome.refusal)
            return False
        if outcome.ask:
            from iop_tui.tui.screens.confirm import ConfirmScreen

            def answer(yes: bool | None) -> None:
                if yes:
                    self.post_message(SendOutcome(outcome))
                elif outcome.declined:
                    self._say(outcome.declined)

            self.app.push_screen(ConfirmScreen(outcome.ask), answer)
            return True
        if outcome.sends:
            self.post_message(SendOutcome(outcome))
            self._say("")
        return True

    def _need_card(self) -> int | None:
        number = self._card_number()
        if number is None:
            self._say("Choose a card first: Left and Right move between columns, Up and Down between cards.")
        return number

    # -- keys -------------------------------------------------------------------------

    def action_back(self) -> None:
        field = self.query_one("#board-input", Input)
        if field.has_focus:
            self._close_field()
            return
        self.dismiss(None)

    def action_column(self, step: int) -> None:
        lists = list(self.query(CursorOptionList))
        if not lists:
            return
        index = self._column_index()
        index = 0 if index is None else (index + step) % len(lists)
        lists[index].focus()

    def action_add(self) -> None:
        if self._column_index() is None and self._board() is not None:
            self.action_column(0)
        self._editing = None
        self._open_field("", "your card for this column; Enter adds it")

    def action_edit(self) -> None:
        number = self._need_card()
        if number is None:
            return
        card = self._board().card_numbered(number)
        if card is None or card.author != self.model.me_id:
            self._say(words.not_your_card_text(number, "edit"))
            return
        self._editing = number
        self._open_field(card.text, f"new words for card {number}; Enter saves them")

    def _open_field(self, text: str, hint: str) -> None:
        field = self.query_one("#board-input", Input)
        self._column_before = self._column_index()
        field.placeholder = hint
        if not field.value or self._editing is not None:
            field.value = text
        field.add_class("open")
        field.focus()

    def take_back(self, model: Any) -> None:
        """A card line of this board's field that the relay refused: taken from the model
        before the chat input under the board would take it, back in the field, the
        refusal said on the board (the status line is under it)."""
        line = model.returned_line
        if line is None or line not in self._typed:
            return
        text, editing = self._typed.pop(model.take_returned_line())
        self._editing = editing
        self._open_field(text, "your card; Enter sends it again")
        self._say(model.last_error or "")

    def _close_field(self) -> None:
        field = self.query_one("#board-input", Input)
        field.remove_class("open")
        lists = list(self.query(CursorOptionList))
        column = getattr(self, "_column_before", None)
        if lists:
            lists[column if column is not None and column < len(lists) else 0].focus()

    @on(Input.Submitted, "#board-input")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self._close_field()
            return
        if self._editing is not None:
            line = f"/card edit {self._editing} {text}"
        else:
            column = getattr(self, "_column_before", None)
            line = f"/card {(column or 0) + 1} {text}"
        self._typed[line] = (text, self._editing)  # given back here if the relay refuses it (take_back)
        while len(self._typed) > 20:
            self._typed.pop(next(iter(self._typed)))
        if self._run(line):
            event.input.value = ""
            self._editing = None
            self._close_field()

    def action_remove(self) -> None:
        number = self._need_card()
        if number is not None:
            self._run(f"/card remove {number}")

    def action_plus(self) -> None:
        number = self._need_card()
        if number is not None:
            self._run(f"/plus {number}")

    def action_move(self, step: int) -> None:
        number, column = self._need_card(), self._column_index()
        board = self._board()
        if number is None or column is None or board is None:
            return
        target = column + step
        if not 0 <= target < len(board.columns):
            self._say(f"There is no column to the {'left' if step < 0 else 'right'}.")
            return
        self._run(f"/card move {number} {target + 1}")

    def action_merge(self) -> None:
        number = self._need_card()
        if number is None:
            return
        if self._merging is None or self._merging == number:
            self._merging = number
            self._say(f"Card {number} is marked to merge: choose the card it joins and press M again; Escape goes back.")
            return
        marked, self._merging = self._merging, None
        self._run(f"/card merge {marked} {number}")

    def action_clear(self) -> None:
        column = self._column_index()
        self._run(f"/board clear {column + 1}" if column is not None else "/board clear")

    def close_for_pane(self) -> bool:
        """A pane key: the board closes, unless a card is being typed (it is kept)."""
        if self.query_one("#board-input", Input).value:
            return False
        self.dismiss(None)
        return True
