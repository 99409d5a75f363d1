"""Unified social credit codes (统一社会信用代码), GB 32100-2015.

18 characters from a 31-character alphabet (no I, O, S, V, Z); the last is a
check character computed from the first 17 with weights 3^i mod 31.
"""
from __future__ import annotations

from surveys.core.errors import InvalidInput

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]
LENGTH = 18


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    return "".join(str(code).split()).upper()


def validate_uscc(code: str) -> str:
    """Return the normalised code, or raise InvalidInput saying what is wrong."""
    code = normalise(code)
    if len(code) != LENGTH:
        raise InvalidInput("uscc.wrong_length", code=code, length=len(code))
    for position, ch in enumerate(code, start=1):
        if ch not in ALPHABET:
            raise InvalidInput("uscc.illegal_character", code=code, character=ch, position=position)
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidInput("uscc.wrong_check", code=code, found=code[17], expected=expected)
    return code


def make_uscc(first17: str) -> str:
    """Complete 17 characters with their check character (demo data, tests)."""
    return first17 + check_character(first17)
