"""Layering: the client core and the plain face never pull in textual; the protocol does no I/O.

Each check imports in a fresh interpreter, so what another test imported
cannot hide (or fake) a dependency. Every module of each package is found
and imported, so a new module is checked as soon as it exists, and the named
ones must be there: a module that moved fails here instead of passing unseen.
The same rules are import-linter contracts in pyproject.toml (`make check`);
this test sees what is actually loaded at run time, lazy imports included.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]

CORE = {"iop_tui.core.connection", "iop_tui.core.model", "iop_tui.core.words", "iop_tui.core.session", "iop_tui.core.config", "iop_tui.core.plan", "iop_tui.core.commands"}
PLAIN = {"iop_tui.plain.face", "iop_tui.plain.narrator", "iop_tui.plain.run", "iop_tui.plain.text"}
PROTOCOL = {"protocol.codec", "protocol.errors", "protocol.events", "protocol.messages", "protocol.roles", "protocol.state", "protocol.text"}


def loaded_after(packages: list[str]) -> tuple[set[str], set[str]]:
    """Import every module of ``packages`` in a fresh interpreter: (the modules found, all of sys.modules)."""
    code = (
        "import importlib, json, pkgutil, sys\n"
        "found = []\n"
        f"for package in {packages!r}:\n"
        "    root = importlib.import_module(package)\n"
        "    found.append(package)\n"
        "    for info in pkgutil.walk_packages(root.__path__, package + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "        found.append(info.name)\n"
        "print(json.dumps([found, sorted(sys.modules)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    found, modules = json.loads(out.stdout)
    return set(found), set(modules)


def top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_client_core_imports_no_textual_no_face_and_no_demo() -> None:
    found, loaded = loaded_after(["iop_tui.core"])
    assert found >= CORE
    assert "websockets" in top_level(loaded)
    assert not {"textual", "rich", "server"} & top_level(loaded)
    assert not {m for m in loaded if m.startswith(("iop_tui.plain", "iop_tui.tui", "iop_tui.demo", "iop_tui.cli", "iop_tui.launch"))}


def test_plain_face_imports_no_textual() -> None:
    found, loaded = loaded_after(["iop_tui.plain"])
    assert found >= PLAIN
    assert not {"textual", "rich", "server"} & top_level(loaded)
    assert not {m for m in loaded if m.startswith("iop_tui.tui")}


def test_protocol_imports_nothing_of_ours_and_no_io() -> None:
    found, loaded = loaded_after(["protocol"])
    assert found >= PROTOCOL
    assert not {"websockets", "textual", "rich", "server", "iop_tui", "asyncio", "sqlite3"} & top_level(loaded)


def test_the_check_can_fail() -> None:
    """Importing the Textual face does load textual: the checks above would see it."""
    found, loaded = loaded_after(["iop_tui.tui"])
    assert "iop_tui.tui.app" in found
    assert "textual" in top_level(loaded)
