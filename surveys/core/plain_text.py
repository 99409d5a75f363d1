"""Free text typed by people (comments, reports, reasons): kept as plain text.

Control characters are dropped (line breaks and tabs kept), the ends trimmed,
and text over the limit is refused rather than cut, so nobody's words are
silently shortened. Markup stays as typed and is always shown as text.
"""
from __future__ import annotations

import unicodedata

from surveys.core.errors import InvalidInput


def plain_text(text: str | None, maximum: int, too_long_key: str) -> str:
    text = (text or "").replace("\r\n", "\n")
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    if len(kept) > maximum:
        raise InvalidInput(too_long_key, maximum=maximum, length=len(kept))
    return kept
