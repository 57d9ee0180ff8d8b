"""The one rule for when two names are the same person's name.

A group never holds two members whose names share a :func:`name_key`: the
key ignores case, the Unicode form (a precomposed "ë" and "e" with a
combining diaeresis are one letter) and runs of spaces. The relay's CLI
refuses a second such name, and the clients find members by the same key,
so "/mute zoë 李" finds "Zoë 李".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import TypeVar

__all__ = ["name_key", "tidy_name", "find_by_name"]

T = TypeVar("T")


def tidy_name(name: str) -> str:
    """A name as it is kept and shown: NFC, trimmed, inner spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def name_key(name: str) -> str:
    """The key two names share exactly when they name the same member."""
    return unicodedata.normalize("NFC", tidy_name(name).casefold())


def find_by_name(entries: Iterable[T], name: str, *, attr: str = "name") -> list[T]:
    """The entries whose ``attr`` has the same :func:`name_key` as ``name``."""
    key = name_key(name)
    return [e for e in entries if name_key(getattr(e, attr)) == key]
