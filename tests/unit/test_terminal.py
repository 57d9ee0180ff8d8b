"""What the terminal can take (iop_tui.core.terminal): pure decisions from the environment."""

from __future__ import annotations

from iop_tui.core.terminal import cell_for_terminal, color_system, for_terminal, is_dumb, mouse_wanted


def test_text_for_an_ascii_terminal_keeps_its_meaning() -> None:
    assert for_terminal("Tuesday IOP \u00b7 Week 3 \u2014 Check-in\u2026", "ascii") == "Tuesday IOP - Week 3 - Check-in..."
    assert for_terminal("Zo\u00eb \u2764", "ascii") == "Zoe \\u2764"
    assert for_terminal("\u250f\u2501\u2513\u2503", "ascii") == "+-+|"
    assert for_terminal("Zo\u00eb \u2764", "utf-8") == "Zo\u00eb \u2764"
    assert for_terminal("Zo\u00eb", "iso8859-1") == "Zo\u00eb"


def test_a_grid_cell_keeps_its_width() -> None:
    assert cell_for_terminal("\u00e9", "ascii") == "e"
    assert cell_for_terminal("\u65e5", "ascii", 2) == "??"
    assert cell_for_terminal("\u2026", "ascii") == "."


def test_terminal_types() -> None:
    assert is_dumb({"TERM": "dumb"}) and not is_dumb({"TERM": "xterm"})
    assert color_system({"TERM": "linux", "COLORTERM": "truecolor"}) == "standard"
    assert color_system({"TERM": "vt100"}) == "standard"
    assert color_system({"TERM": "xterm-256color", "COLORTERM": "truecolor"}) is None
    assert color_system({"TERM": "linux", "TEXTUAL_COLOR_SYSTEM": "truecolor"}) is None


def test_mouse_clicks_only_on_a_local_terminal_unless_told() -> None:
    assert mouse_wanted({})
    assert not mouse_wanted({"SSH_CONNECTION": "192.0.2.7 50000 192.0.2.1 22"})
    assert mouse_wanted({"SSH_CONNECTION": "x", "IOP_TUI_MOUSE": "on"})
    assert not mouse_wanted({"IOP_TUI_MOUSE": "off"})
