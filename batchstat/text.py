"""Text from servers and users, made safe for a terminal: the one sanitiser.

Status words, ids, request ids, messages and URLs come from servers (or are typed by
users) and may hold escape sequences (colours, cursor moves, OSC 8 links, window titles),
carriage returns and backspaces that rewrite what was printed, or bidi overrides that
show text in another order than it is. Every human-facing string passes through
:func:`printable` (``Runtime.say`` for stderr lines, the tables and the live view);
JSON keeps the exact values, escaped as JSON does.
"""

from __future__ import annotations

import re

# Whole escape sequences first (their payload is not text to show), then any other
# control character, and the invisible characters that reorder or hide text.
_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor movement, erase
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\|$)"  # OSC: links, window titles (BEL or ST ends it)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\|$)"  # DCS, SOS, PM, APC strings
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"  # 8-bit OSC
    r"|\x1b."  # any other two-character escape
)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+")


def printable(text: object) -> str:
    """``text`` as one line a terminal shows as it is: no escape sequences, no control
    characters (a run of them becomes one space), no bidi or zero-width characters."""
    value = text if isinstance(text, str) else str(text)
    if value.isprintable():  # the common case, at C speed
        return value
    return _CONTROL.sub(" ", _SEQUENCE.sub("", value))


def shorten(text: str, limit: int = 80) -> str:
    """At most ``limit`` characters (for echoing what a user typed in an error)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
