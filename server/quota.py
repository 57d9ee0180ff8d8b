"""What one member may store: per hour and in total.

Every event a member's command causes is stored for as long as the group
lives, so a member who resubmits a 60,000-character homework answer in a loop
could fill the disk (one did 37 MB in 30 s). The hub measures each decision's
events as stored (their msgpack ``data``) and refuses a command that would take
its member over either limit with ``quota_exceeded``; nothing is stored and the
refusal is not remembered against the command id.

The hourly window is kept in memory (a restart forgets it); the total is kept
in the store's ``member_usage`` table, updated in the same transaction as the
events, so it holds across restarts.
"""

from __future__ import annotations

from collections import deque

from protocol.errors import ErrorCode, ProtocolError

__all__ = ["MEMBER_BYTES_PER_HOUR", "MEMBER_BYTES_TOTAL", "Quota"]

#: Bytes one member's commands may add to the log in any sliding hour.
MEMBER_BYTES_PER_HOUR = 4 * 1024 * 1024
#: Bytes one member's commands may add to the log in all.
MEMBER_BYTES_TOTAL = 64 * 1024 * 1024
#: Facilitators' limits are this many times a member's: they load slide decks
#: (up to 60,000 characters, with presenter notes) and each session start logs
#: the deck again, so their legitimate writes are far larger than a member's.
FACILITATOR_FACTOR = 16
#: The window of the hourly limit, in seconds.
WINDOW = 3600.0


def _size_words(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB"
    return f"{n / 1024:.0f} KB"


class Quota:
    """Per-member storage accounting for one relay process."""

    def __init__(
        self, per_hour: int = MEMBER_BYTES_PER_HOUR, total: int = MEMBER_BYTES_TOTAL, facilitator_factor: int = FACILITATOR_FACTOR,
    ) -> None:
        self.per_hour = int(per_hour)
        self.total = int(total)
        self.facilitator_factor = int(facilitator_factor)
        self.totals: dict[int, int] = {}  # member_id -> bytes stored in all (loaded from the store on first use)
        self._recent: dict[int, deque[tuple[float, int]]] = {}
        self._hour: dict[int, int] = {}

    def used_this_hour(self, member_id: int, now: float) -> int:
        recent = self._recent.get(member_id)
        if not recent:
            return 0
        used = self._hour[member_id]
        while recent and recent[0][0] <= now - WINDOW:
            used -= recent.popleft()[1]
        self._hour[member_id] = used
        return used

    def check(self, member_id: int, size: int, now: float, pending: int = 0, *, facilitator: bool = False) -> None:
        """Refuse (raise ``quota_exceeded``) if ``size`` more bytes would pass a limit.

        ``pending`` is what the member already added in this batch, not yet recorded.
        """
        if size <= 0:
            return
        factor = self.facilitator_factor if facilitator else 1
        per_hour, total = self.per_hour * factor, self.total * factor
        if self.used_this_hour(member_id, now) + pending + size > per_hour:
            raise ProtocolError(
                ErrorCode.QUOTA_EXCEEDED,
                f"That would take what you stored in the last hour past the limit of {_size_words(per_hour)} "
                f"{'per facilitator' if facilitator else 'per member'}; wait a while before sending more, or ask your facilitator.",
            )
        if self.totals.get(member_id, 0) + pending + size > total:
            raise ProtocolError(
                ErrorCode.QUOTA_EXCEEDED,
                f"That would take what you stored in total past the limit of {_size_words(total)} "
                f"{'per facilitator' if facilitator else 'per member'}; nothing more can be kept for you, so ask your facilitator.",
            )

    def add(self, member_id: int, size: int, now: float) -> None:
        """Record ``size`` bytes stored for the member (after the commit succeeded)."""
        if size <= 0:
            return
        self._recent.setdefault(member_id, deque()).append((now, size))
        self._hour[member_id] = self._hour.get(member_id, 0) + size
        self.totals[member_id] = self.totals.get(member_id, 0) + size
