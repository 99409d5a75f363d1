"""Scoring settings: DESIGN §4 defaults, configurable per round.

A finalised round pins its settings as JSON (``to_dict``/``from_dict``), so a
later change of the defaults never changes a published grade. Settings absent
from a pinned dict take their default, which is why every new setting must
default to the county's rule (the safeguard is off by default).
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from scoring.problems import ConfigError, Problem

# §4.10 rater panels. Every rater belongs to one; a response without a panel is an enterprise's.
ENTERPRISE, REPRESENTATIVE, SUPERVISOR = "enterprise", "representative", "supervisor"  # 两代表一委员, 行风监督员
PANELS = (ENTERPRISE, REPRESENTATIVE, SUPERVISOR)
# §4.9: rank and flag county-wide (the default) or within each agency group.
COUNTY, GROUP = "county", "group"
RANKING_SCOPES = (COUNTY, GROUP)


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
    # §4.10: each panel's weight; a panel without a (positive) weight counts nowhere.
    # Enterprises alone by default, which is exactly rule 3.
    panel_weights: dict[str, float] = field(default_factory=lambda: {ENTERPRISE: 1.0})
    # §4.10: a panel's score counts only with this many responses (when more than one panel is weighted).
    min_panel_responses: int = 3
    # §4.9: "county" ranks and flags county-wide, "group" within each agency group.
    ranking_scope: str = COUNTY
    # §4.11: a in a × survey score + (1 − a) × work-assessment score.
    annual_survey_weight: float = 0.7

    def __post_init__(self):
        problems = _check_types(self)
        if problems:
            raise ConfigError(problems)
        for f in fields(self):  # 80 and 80.0 must pin to the same JSON
            if _type_name(f.type) == "float":
                object.__setattr__(self, f.name, float(getattr(self, f.name)))
        problems = _check_panel_weights(self.panel_weights)
        if problems:
            raise ConfigError(problems)
        # A copy of plain floats in PANELS order: the caller's dict cannot change a frozen config later.
        weights = {panel: float(self.panel_weights[panel]) for panel in PANELS if panel in self.panel_weights}
        object.__setattr__(self, "panel_weights", weights)
        problems = _check_values(self)
        if problems:
            raise ConfigError(problems)

    def __hash__(self):  # the dict field is not hashable; hash its items instead
        return hash(tuple((f.name, _hashable(getattr(self, f.name))) for f in fields(self)))

    @property
    def weighted_panels(self) -> tuple[str, ...]:
        """The panels that count (§4.10): those with a positive weight, in ``PANELS`` order."""
        return tuple(panel for panel, weight in self.panel_weights.items() if weight > 0)

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
        A ``[panel_weights]`` table may sit beside ``[scoring]`` (or inside it as
        ``[scoring.panel_weights]``, but not both).
        """
        table = _read_toml(path)
        settings = dict(table.get("scoring", {k: v for k, v in table.items() if k != "weights"}))
        if "scoring" in table and "panel_weights" in table:
            if "panel_weights" in settings:
                raise ConfigError([Problem("config_twice", {"setting": "panel_weights"})])
            settings["panel_weights"] = table["panel_weights"]
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
    if type_name == "table":
        return isinstance(value, dict)
    if type_name == "str":
        return isinstance(value, str)
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_name(annotation) -> str:
    # Annotations are strings under ``from __future__ import annotations``.
    name = annotation if isinstance(annotation, str) else annotation.__name__
    return "table" if name.startswith("dict") else name


def _hashable(value):
    return tuple(value.items()) if isinstance(value, dict) else value


def _check_panel_weights(weights: dict) -> list[Problem]:
    """Known panels, each with a finite weight ≥ 0, and at least one weight above 0."""
    problems = [Problem("config_unknown_panel", {"panel": panel, "panels": ", ".join(PANELS)})
                for panel in weights if panel not in PANELS]
    problems += [
        Problem("config_bad_panel_weight", {"panel": panel, "value": weight})
        for panel, weight in weights.items()
        if panel in PANELS and not (_has_type(weight, "float") and math.isfinite(weight) and weight >= 0)
    ]
    if not problems and not any(weight > 0 for weight in weights.values()):
        problems.append(Problem("config_no_panel_weight", {}))
    return problems


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
        ("min_panel_responses", c.min_panel_responses >= 1, ">= 1"),
        ("ranking_scope", c.ranking_scope in RANKING_SCOPES, " | ".join(RANKING_SCOPES)),
        ("annual_survey_weight", 0 <= c.annual_survey_weight <= 1, "0 ... 1"),
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
