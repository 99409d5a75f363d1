"""Names and figures as people read them: rounds, agencies, scores, intervals.

Pages, services and charts all draw their labels from here, so a round reads
the same on a screen, in a chart and on a notice. This module sits beside
``i18n`` below every other layer: it imports the locale catalogue and the pure
scoring module only, so ``charts`` can use it without reaching into the
services.
"""
from __future__ import annotations

import math

from i18n import t
from scoring.rounding import round_half_up
from scoring.rounds import parse_round_label


def round_parts(name: str) -> tuple[int, int]:
    """``2026Q4`` → (2026, 4); ValueError for anything else."""
    parsed = parse_round_label(name)
    if parsed is None:
        raise ValueError(f"round name {name!r} is not in YYYYQn form")
    return parsed


def round_label(name: str, lang: str) -> str:
    """``2026Q4`` → 2026年第四季度 (zh) or 2026 Q4 (en)."""
    year, quarter = round_parts(name)
    return t("rounds.label", lang, year=year, quarter=t(f"rounds.quarter.{quarter}", lang))


def agency_name(agency: dict, lang: str) -> str:
    """An agency's name in ``lang``; the Chinese name where no English one is kept."""
    return agency["name_en"] if lang == "en" and agency.get("name_en") else agency["name_zh"]


def group_name(code, groups: dict[str, dict], lang: str) -> str:
    """An agency group's name in ``lang`` (DESIGN §4.9), from ``groups`` (code -> row with
    name_zh/name_en); the code itself for a group no longer on the list, "" for none."""
    if _missing(code) or not code:
        return ""
    group = groups.get(code)
    return agency_name(group, lang) if group else str(code)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))  # NaN: a pandas gap


def score_text(score, missing: str = "") -> str:
    """A score to one decimal, rounded half up (DESIGN §4.3: 56.25 → 56.3)."""
    return missing if _missing(score) else f"{round_half_up(float(score)):.1f}"


def interval_text(low, high) -> str:
    """A 95% interval as people read it, e.g. 71.2–84.9; empty when there is none."""
    if _missing(low) or _missing(high):
        return ""
    return f"{score_text(low)}–{score_text(high)}"


def flag_text(flag, lang: str, missing: str = "") -> str:
    """A round's flag (red, yellow, blue) in ``lang``; ``missing`` when the agency has none
    (an insufficient round: None, or NaN in a pandas frame — never the raw key ``flags.nan``)."""
    return missing if _missing(flag) or flag == "" else t(f"flags.{flag}", lang)


def rank_text(rank, lang: str) -> str:
    """A rank as people read it ("3"), or "not ranked" for an agency without one (never "None")."""
    return t("officials.not_ranked", lang) if _missing(rank) else str(int(rank))


def news_tone(grade, flag) -> str:
    """How a round's result is announced to its agency: ``bad`` (a yellow flag or a poor grade:
    a warning box), ``good`` (a red flag or a good grade: a success box), else ``neutral``."""
    if flag == "yellow" or grade == "poor":
        return "bad"
    if flag == "red" or grade == "good":
        return "good"
    return "neutral"


def month_label(year: int, month: int, lang: str) -> str:
    """A calendar month as people read it: 2026年12月 (zh) or December 2026 (en)."""
    return t("monthly.month_label", lang, year=year, month_name=t(f"monthly.month_name.{month}", lang))


def rate_text(share, missing: str = "—", change=None) -> str:
    """A share as a percentage to one decimal, half up (75.0%); ``missing`` when there is no rate;
    with ``change`` (a difference of shares) its percentage points after it: "66.7% (+16.7)"."""
    if _missing(share):
        return missing
    text = f"{round_half_up(float(share) * 100):.1f}%"
    if not _missing(change):
        points = round_half_up(float(change) * 100)
        text += f" ({'+' if points >= 0 else '−'}{abs(points):.1f})"
    return text


def points_text(change, missing: str = "") -> str:
    """A change of a rate in percentage points, signed, one decimal, half up: "+16.7 pp" (ASCII
    signs: a metric reads its arrow from them); ``missing`` when there is none."""
    if _missing(change):
        return missing
    points = round_half_up(float(change) * 100)
    return f"{points:+.1f} pp"
