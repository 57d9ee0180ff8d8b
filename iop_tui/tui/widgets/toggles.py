"""Radio buttons and checkboxes whose state is a symbol, not only a colour.

Textual draws an on and an off toggle with the same glyph in two colours;
with NO_COLOR, a monochrome terminal or a braille display the two look the
same. These say "(x)" / "( )" and "[x]" / "[ ]".
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton

__all__ = ["WordRadioButton", "WordCheckbox"]


class WordRadioButton(RadioButton):
    """A radio button drawn as "(x)" when chosen and "( )" when not."""

    @property
    def _button(self) -> Content:
        return Content.assemble(("(x)" if self.value else "( )", self.get_visual_style("toggle--button")))


class WordCheckbox(Checkbox):
    """A checkbox drawn as "[x]" when ticked and "[ ]" when not."""

    @property
    def _button(self) -> Content:
        return Content.assemble(("[x]" if self.value else "[ ]", self.get_visual_style("toggle--button")))
