"""Layering: the client core never pulls in textual; the protocol never pulls in websockets.

Each check imports in a fresh interpreter, so what another test imported
cannot hide (or fake) a dependency.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CORE = ["iop_tui.core.connection", "iop_tui.core.model", "iop_tui.core.words", "iop_tui.core.session", "iop_tui.core.config"]


def loaded_after(modules: list[str]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout))


def top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_client_core_imports_no_textual() -> None:
    loaded = top_level(loaded_after(CORE))
    assert "iop_tui" in loaded and "websockets" in loaded
    assert "textual" not in loaded and "rich" not in loaded
    assert "server" not in loaded


def test_plain_face_imports_no_textual_when_present() -> None:
    if not (REPO / "iop_tui" / "plain.py").exists():
        return  # the plain face is written elsewhere; the core check above still holds
    loaded = top_level(loaded_after(["iop_tui.plain.face"]))
    assert "textual" not in loaded and "server" not in loaded


def test_protocol_imports_no_io_libraries() -> None:
    loaded = top_level(loaded_after(["protocol"]))
    assert "protocol" in loaded
    assert not {"websockets", "textual", "server", "iop_tui"} & loaded


def test_the_check_can_fail() -> None:
    """Importing the Textual face does load textual: the checks above would see it."""
    if not (REPO / "iop_tui" / "app.py").exists():
        return
    assert "textual" in top_level(loaded_after(["iop_tui.tui.app"]))
