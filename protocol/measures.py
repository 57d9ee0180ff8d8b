"""Standard measures: PHQ-9 and GAD-7, their published items, scoring and bands.

Pure data and functions. Each item is answered on one scale, 0 to 3, about
the last two weeks. A total is the sum of the answers; its band is read from
the published cut-offs. PHQ-9 item 9 (thoughts of being better off dead or of
self-harm) is the safety item: any answer above 0 must reach the facilitators
at once, whatever the total (:func:`needs_alert`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ANSWERS", "Measure", "MEASURES", "PHQ9", "GAD7", "score", "band", "needs_alert", "SAFETY_ITEM"]

#: The one answer scale of both measures: (value, words).
ANSWERS: tuple[tuple[int, str], ...] = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)

STEM = "Over the last 2 weeks, how often have you been bothered by the following problem?"


@dataclass(frozen=True)
class Measure:
    key: str  # the wire name: "phq9", "gad7"
    title: str  # "PHQ-9"
    items: tuple[str, ...]
    bands: tuple[tuple[int, int, str], ...]  # (lowest total, highest total, band)
    safety_item: int | None = None  # index (from 0) of an item whose answer above 0 raises an alert

    @property
    def maximum(self) -> int:
        return 3 * len(self.items)


PHQ9 = Measure(
    "phq9",
    "PHQ-9",
    (
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed; or the opposite, being so fidgety "
        "or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead, or of hurting yourself in some way",
    ),
    ((0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 19, "moderately severe"), (20, 27, "severe")),
    safety_item=8,
)

GAD7 = Measure(
    "gad7",
    "GAD-7",
    (
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid, as if something awful might happen",
    ),
    ((0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")),
)

MEASURES: dict[str, Measure] = {m.key: m for m in (PHQ9, GAD7)}

#: (measure key, item index) of every safety item.
SAFETY_ITEM = {(m.key, m.safety_item) for m in MEASURES.values() if m.safety_item is not None}


def score(measure: Measure, answers: dict[int, int]) -> int:
    """The total of a complete set of answers (item index -> 0..3)."""
    if sorted(answers) != list(range(len(measure.items))):
        raise ValueError(f"{measure.title} needs an answer to each of its {len(measure.items)} items")
    if any(not 0 <= a <= 3 for a in answers.values()):
        raise ValueError("every answer is 0 to 3")
    return sum(answers.values())


def band(measure: Measure, total: int) -> str:
    """The published band of a total ("minimal" ... "severe")."""
    for low, high, name in measure.bands:
        if low <= total <= high:
            return name
    raise ValueError(f"{measure.title} totals run from 0 to {measure.maximum}")


def needs_alert(measure: Measure, item: int, answer: int) -> bool:
    """Whether this one answer must reach the facilitators at once (PHQ-9 item 9 above 0)."""
    return measure.safety_item == item and answer > 0
