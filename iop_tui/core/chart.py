"""A small chart of moods in text characters, for the full-screen face.

The chart is decoration beside the words (:func:`iop_tui.core.words.mood_text`
says every figure: a screen reader reads numbers, not blocks). One character
per session: a block whose height follows the mood from 0 to 10, and a middle
dot for a check-in that was passed.
"""

from __future__ import annotations

__all__ = ["BLOCKS", "PASSED", "mood_chart"]

#: Eight heights, lowest first.
BLOCKS = "▁▂▃▄▅▆▇█"
#: A session whose check-in was passed.
PASSED = "·"


def mood_chart(values: list[int | None], width: int = 24) -> str:
    """``"▃▄▆▅"``: the last ``width`` moods (0-10), oldest first."""
    out = []
    for value in values[-width:]:
        if value is None:
            out.append(PASSED)
        else:
            out.append(BLOCKS[min(len(BLOCKS) - 1, max(0, value) * len(BLOCKS) // 11)])
    return "".join(out)
