"""The Textual face keeps Textual's own conventions (read from the source, no terminal).

Attributes down, messages up: panes never call the app, screens reach it only
through Textual's own ``App`` API, and every message the face posts is a class
of ``iop_tui/tui/messages.py``. Each pane says where its focus goes; the
session screen imports its panes by name; every key binding says what it does
(the footer and the command palette teach the keys from those words); and no
class or function grows past about 300 lines. (What the panes post is tested
in tests/faces/test_pane_messages.py.)
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from textual.app import App
from textual.binding import Binding

TUI = Path(__file__).resolve().parents[2] / "iop_tui" / "tui"
MAX_LINES = 300


def modules(folder: Path = TUI) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py"))


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(TUI.parents[1]).with_suffix("").parts)


def uses_of_the_app(path: Path) -> list[tuple[int, str]]:
    """(line, attribute) for every ``self.app.ATTRIBUTE`` in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "app"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "self"
        ):
            found.append((node.lineno, node.attr))
    return found


def test_the_face_has_its_folders() -> None:
    assert (TUI / "widgets").is_dir() and (TUI / "screens").is_dir() and (TUI / "messages.py").is_file()
    assert len(modules(TUI / "widgets")) >= 8


def test_no_widget_reaches_into_the_app() -> None:
    reaching = {
        f"{path.name}:{line} self.app.{attr}"
        for path in modules(TUI / "widgets")
        for line, attr in uses_of_the_app(path)
    }
    assert not reaching, f"widgets post messages up instead: {sorted(reaching)}"


def test_screens_use_only_textuals_own_app_api() -> None:
    ours = {
        f"{path.name}:{line} self.app.{attr}"
        for path in modules(TUI / "screens")
        for line, attr in uses_of_the_app(path)
        if not hasattr(App, attr)
    }
    assert not ours, f"screens call the iop-tui app directly: {sorted(ours)}"


def test_no_type_ignore_hides_a_call_into_the_app() -> None:
    hidden = [
        f"{path.relative_to(TUI)}:{number}"
        for path in modules()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "self.app." in line and "type: ignore" in line
    ]
    assert not hidden, hidden


def test_every_message_class_lives_in_messages_py() -> None:
    elsewhere = []
    for path in modules():
        if path.name == "messages.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                (isinstance(b, ast.Name) and b.id == "Message") or (isinstance(b, ast.Attribute) and b.attr == "Message")
                for b in node.bases
            ):
                elsewhere.append(f"{path.relative_to(TUI)}: {node.name}")
    assert not elsewhere, elsewhere
    messages = importlib.import_module("iop_tui.tui.messages")
    for name in messages.__all__:
        assert inspect.isclass(getattr(messages, name)), name


def test_every_pane_says_where_its_focus_goes() -> None:
    from iop_tui.tui.screens.session import PANES, _body
    from iop_tui.tui.widgets.pane import Pane

    for pane in PANES:
        body = _body(pane)
        assert isinstance(body, Pane), pane
        assert "FOCUS" in type(body).__dict__ and type(body).FOCUS, f"{type(body).__name__} has no FOCUS of its own"
    screen_source = (TUI / "screens" / "session.py").read_text()
    assert "#checkin-mood" not in screen_source and "#chat-input" not in screen_source, "the screen knows ids inside panes"


def test_the_session_screen_imports_its_panes_by_name() -> None:
    for path in modules():
        tree = ast.parse(path.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "importlib" not in imported, f"{path.relative_to(TUI)} imports by string"


def test_every_key_binding_says_what_it_does() -> None:
    silent = []
    for path in modules():
        module = importlib.import_module(module_name(path))
        for name, cls in vars(module).items():
            if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                continue
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding):
                    description = binding.description
                else:  # a tuple: (key, action, description)
                    description = binding[2] if len(binding) > 2 else ""
                if not description.strip():
                    silent.append(f"{name}: {binding}")
    assert not silent, silent


def test_no_class_or_function_of_the_face_is_over_300_lines() -> None:
    long = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_LINES:
                    long.append(f"{path.relative_to(TUI)}: {node.name} has {length} lines")
    assert not long, long
