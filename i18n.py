"""The locale catalogue: every user-facing string is looked up here.

Catalogues live in ``data/locales/<lang>/*.toml``; every file of a language is
merged, so each part of the system can keep its own file (``app.toml``,
``scoring.toml`` …). Keys are dotted (``survey.title``). Chinese is the default.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LOCALE_DIR = Path(__file__).parent / "data" / "locales"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, full + "."))
        else:
            flat[full] = value
    return flat


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    merged: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / lang).glob("*.toml")):
        with path.open("rb") as f:
            merged.update(_flatten(tomllib.load(f)))
    return merged


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    """The text for ``key`` in ``lang``, with ``{placeholders}`` filled in.

    A key missing from ``lang`` falls back to Chinese, then to the key itself,
    so a forgotten translation shows up visibly instead of crashing a page.
    """
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**values) if values else text
