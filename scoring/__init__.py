"""Qiping's pure scoring engine: pandas in, pandas out (DESIGN §4).

No database, no Streamlit, no file access outside ``scoring.io`` and the
command line (``python -m scoring``). The app's finalisation and the command
line call the same functions.
"""
from scoring.actions import ACTIONS, FOLLOW_UPS, INTERVIEW, NONE, REFERRAL, REMINDER, assign_actions
from scoring.annual import YEAR_COLUMNS, grade_year
from scoring.anomalies import ANOMALY_COLUMNS, detect_anomalies
from scoring.config import (COUNTY, DEFAULT_CONFIG, ENTERPRISE, GROUP, PANELS, RANKING_SCOPES, RATING_LEVELS,
                            REPRESENTATIVE, SUPERVISOR, ScoringConfig)
from scoring.flags import BLUE, RED, YELLOW, assign_flags, assign_ranks
from scoring.grades import FAIR, GOOD, GRADES, INSUFFICIENT, POOR, assign_grades, poor_is_uncertain
from scoring.pipeline import RESULT_COLUMNS, grade_rounds
from scoring.problems import ConfigError, InputError, Problem
from scoring.rounding import round_half_up
from scoring.rounds import is_round_label, round_ordinal
from scoring.groups import agency_groups, ranking_partition
from scoring.panels import combine_panels, panel_codes
from scoring.scores import agency_round_scores, panel_scores, response_scores

__all__ = [
    "ACTIONS", "ANOMALY_COLUMNS", "BLUE", "COUNTY", "DEFAULT_CONFIG", "ENTERPRISE", "GROUP", "PANELS",
    "RANKING_SCOPES", "REPRESENTATIVE", "SUPERVISOR", "YEAR_COLUMNS", "FAIR", "FOLLOW_UPS", "GOOD", "GRADES", "INSUFFICIENT",
    "INTERVIEW", "NONE", "POOR", "RATING_LEVELS", "RED", "REFERRAL", "REMINDER", "RESULT_COLUMNS", "YELLOW",
    "ConfigError", "InputError", "Problem", "ScoringConfig",
    "agency_groups", "agency_round_scores", "assign_actions", "combine_panels", "grade_year", "panel_codes", "panel_scores",
    "ranking_partition", "assign_flags", "assign_ranks", "assign_grades", "detect_anomalies",
    "grade_rounds", "is_round_label", "poor_is_uncertain", "response_scores", "round_half_up", "round_ordinal",
]
