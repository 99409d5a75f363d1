"""Scoring settings: DESIGN §4 defaults, configurable per round.

A finalised round pins its settings as JSON (``to_dict``/``from_dict``), so a
later change of the defaults never changes a published grade. Settings absent
from a pinned dict take their default, which is why every new setting must
default to the county's rule (the safeguard is off by default).
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from scoring.problems import ConfigError, Problem


@dataclass(frozen=True)
class ScoringConfig:
    # §4.1: a rating r is worth (r - lowest_level) * points_per_level.
    lowest_level: int = 1
    highest_level: int = 5
    points_per_level: float = 25.0
    # §4.4: grades from the rounded score.
    min_responses: int = 5
    good_threshold: float = 80.0
    fair_threshold: float = 60.0
    # DESIGN §1: red flag for the top three, yellow for the bottom three that missed the bar.
    flag_top_n: int = 3
    flag_bottom_n: int = 3
    # §4.8: level of the interval shown next to every score.
    confidence: float = 0.95
    # Optional safeguard (off: the county's rule is the default). When on, a
    # score below the fair threshold is graded poor only if the whole interval
    # lies below the threshold; otherwise the agency is graded fair.
    poor_only_if_interval_below_fair: bool = False
    # Anomaly signals (reported for review, never used to exclude anything).
    anomaly_min_agencies: int = 3  # all-lowest / all-highest needs this many agencies rated
    anomaly_identical_min_agencies: int = 5  # same answers given to this many agencies
    anomaly_burst_min_responses: int = 5  # identical answers within one agency-round
    anomaly_burst_min_share: float = 0.5  # ...making up at least this share of it

    def __post_init__(self):
        problems = _check_types(self)
        if problems:
            raise ConfigError(problems)
        for f in fields(self):  # 80 and 80.0 must pin to the same JSON
            if _type_name(f.type) == "float":
                object.__setattr__(self, f.name, float(getattr(self, f.name)))
        problems = _check_values(self)
        if problems:
            raise ConfigError(problems)

    @property
    def max_score(self) -> float:
        return (self.highest_level - self.lowest_level) * self.points_per_level

    def to_dict(self) -> dict:
        """Plain JSON-ready values, for pinning to a finalised round."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "ScoringConfig":
        """Settings from a (possibly older, partial) dict; unknown keys are refused."""
        known = {f.name: f for f in fields(cls)}
        unknown = [Problem("config_unknown_key", {"setting": key}) for key in values if key not in known]
        if unknown:
            raise ConfigError(unknown)
        return cls(**values)

    @classmethod
    def from_toml(cls, path: str | Path) -> "ScoringConfig":
        """Settings from a TOML file: top-level keys or a ``[scoring]`` table.

        A ``[weights]`` table (item → weight) may sit in the same file for the
        command line; it is read by ``weights_from_toml``, not here.
        """
        table = _read_toml(path)
        settings = table.get("scoring", {k: v for k, v in table.items() if k != "weights"})
        return cls.from_dict(settings)


def weights_from_toml(path: str | Path) -> dict[str, float] | None:
    """The optional ``[weights]`` table of a settings file."""
    weights = _read_toml(path).get("weights")
    if weights is None:
        return None
    bad = [item for item, w in weights.items() if not _has_type(w, "float") or not w > 0 or not math.isfinite(w)]
    if bad:
        raise ConfigError([Problem("config_bad_weight", {"item": item, "value": weights[item]}) for item in bad])
    return {item: float(w) for item, w in weights.items()}


def _read_toml(path: str | Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError:
        raise ConfigError([Problem("config_unreadable", {"path": str(path)})]) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError([Problem("config_syntax", {"path": str(path), "reason": str(e)})]) from None


def _has_type(value, type_name) -> bool:
    type_name = _type_name(type_name)
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_name(annotation) -> str:
    # Annotations are strings under ``from __future__ import annotations``.
    return annotation if isinstance(annotation, str) else annotation.__name__


def _check_types(c: ScoringConfig) -> list[Problem]:
    return [
        Problem("config_bad_type", {"setting": f.name, "value": getattr(c, f.name), "expected": _type_name(f.type)})
        for f in fields(c)
        if not _has_type(getattr(c, f.name), f.type)
    ]


def _check_values(c: ScoringConfig) -> list[Problem]:
    """Range checks: a setting that would make the rules meaningless is refused."""
    rules = [
        ("lowest_level", c.lowest_level < c.highest_level, f"< {c.highest_level}"),
        ("points_per_level", math.isfinite(c.points_per_level) and c.points_per_level > 0, "> 0"),
        ("min_responses", c.min_responses >= 1, ">= 1"),
        ("fair_threshold", 0 <= c.fair_threshold <= c.good_threshold, f"0 ... {c.good_threshold}"),
        ("good_threshold", c.good_threshold <= c.max_score, f"<= {c.max_score}"),
        ("flag_top_n", c.flag_top_n >= 0, ">= 0"),
        ("flag_bottom_n", c.flag_bottom_n >= 0, ">= 0"),
        ("confidence", 0 < c.confidence < 1, "0 < x < 1"),
        ("anomaly_min_agencies", c.anomaly_min_agencies >= 1, ">= 1"),
        ("anomaly_identical_min_agencies", c.anomaly_identical_min_agencies >= 2, ">= 2"),
        ("anomaly_burst_min_responses", c.anomaly_burst_min_responses >= 2, ">= 2"),
        ("anomaly_burst_min_share", 0 < c.anomaly_burst_min_share <= 1, "0 < x <= 1"),
    ]
    return [
        Problem("config_out_of_range", {"setting": key, "value": getattr(c, key), "expected": expected})
        for key, ok, expected in rules
        if not ok
    ]


DEFAULT_CONFIG = ScoringConfig()
# The answer levels people choose from, highest first (DESIGN §3: 5 = very
# satisfied … 1 = very dissatisfied): the questionnaire, the paper form, the
# validation of an answer and every chart of answer shares use this one tuple.
RATING_LEVELS = tuple(range(DEFAULT_CONFIG.highest_level, DEFAULT_CONFIG.lowest_level - 1, -1))
