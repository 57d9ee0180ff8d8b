"""Plan files on disk for the plan-loading tests: a plan naming a deck, and a file it must never read."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SECRET", "PLAN", "write_plan", "write_secret"]

SECRET = "Alex's intake notes: do not share"
PLAN = 'title = "Week 3"\ndeck = "{deck}"\n'


def write_plan(folder: Path, deck: str) -> Path:
    """``folder/plan.toml`` naming ``deck`` as its deck."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plan.toml"
    path.write_text(PLAN.format(deck=deck), encoding="utf-8")
    return path


def write_secret(folder: Path) -> Path:
    """``folder/secret.md``: a file outside a plan's folder that no plan may send."""
    path = folder / "secret.md"
    path.write_text(f"# Private\n{SECRET}\n", encoding="utf-8")
    return path
