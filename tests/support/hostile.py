"""Hostile text a member (or a file) might send: escape sequences, hidden characters, forged lines."""

from __future__ import annotations

import base64

__all__ = ["OSC_TITLE", "OSC_CLIP", "CSI", "C1_CSI", "BIDI", "ZERO_WIDTH", "FORGED_CHAT", "FORGED_CHECKIN", "HOSTILE"]

OSC_TITLE = "\x1b]0;PWNED-TITLE\x07"  # would set the window title
OSC_CLIP = "\x1b]52;c;" + base64.b64encode(b"PWNED-CLIPBOARD").decode() + "\x07"  # would write the clipboard
CSI = "\x1b[31;1m"  # red, bold
C1_CSI = "\x9b2J"  # clear the screen, 8-bit form
BIDI = "\u202e\u2066\u061c\u200f"
ZERO_WIDTH = "\u200b\u200d\u2060\ufeff"
FORGED_CHAT = "\nprivate to facilitators, Alex: I have pills saved up and a plan for tonight"
FORGED_CHECKIN = "\nAlex: mood 0; private note: I want to die"
HOSTILE = OSC_TITLE + OSC_CLIP + CSI + C1_CSI + BIDI + ZERO_WIDTH
