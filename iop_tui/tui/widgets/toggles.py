"""Radio buttons, checkboxes and buttons whose state and focus are words, not only a colour.

Textual draws an on and an off toggle with the same glyph in two colours;
with NO_COLOR, a monochrome terminal or a braille display the two look the
same. These say "(x)" / "( )" and "[x]" / "[ ]". The control the keys go to
is shown by reverse video in Textual; here it also starts with "> " (the
marker of a list's selected row), and every other control with two spaces,
so nothing moves when the focus does.
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.widgets import Button, Checkbox, RadioButton, RadioSet

__all__ = ["FOCUS_MARK", "WordButton", "WordCheckbox", "WordRadioButton"]

#: The first cells of the control in focus; other controls get as many spaces.
FOCUS_MARK = "> "


def _mark(focused: bool) -> str:
    return FOCUS_MARK if focused else " " * len(FOCUS_MARK)


class WordRadioButton(RadioButton):
    """A radio button drawn as "(x)" when chosen and "( )" when not; "> " before the
    row the arrow keys are on while its radio set has the focus."""

    @property
    def _button(self) -> Content:
        parent = self.parent
        here = isinstance(parent, RadioSet) and parent.has_focus and self.has_class("-selected")
        return Content.assemble(_mark(here), ("(x)" if self.value else "( )", self.get_visual_style("toggle--button")))


class WordCheckbox(Checkbox):
    """A checkbox drawn as "[x]" when ticked and "[ ]" when not, "> " before it in focus."""

    @property
    def _button(self) -> Content:
        return Content.assemble(_mark(self.has_focus), ("[x]" if self.value else "[ ]", self.get_visual_style("toggle--button")))


class WordButton(Button):
    """A button whose label starts with "> " while it has the focus."""

    def render(self) -> Content:
        label = self.label if isinstance(self.label, Content) else Content(str(self.label))
        return Content.assemble(_mark(self.has_focus), label)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return super().get_content_width(container, viewport) + len(FOCUS_MARK)
