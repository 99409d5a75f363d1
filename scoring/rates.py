"""The standard rates of the national 政务服务"好差评" rules (issue 15 item 3), as pure arithmetic:
frames in, one frame out. Definitions (docs/rates.md says the same in words):

* 参评率 participation = raters who answered ÷ raters invited. An enterprise is invited to rate an
  agency in a round when it chose that agency (or answered it on paper); for the county, invited are
  the enterprises invited to rate any agency. Defined per round only (invitations are per round).
* 好评率 good = counted responses whose score is that of level 4 (满意) or above ÷ counted responses.
* 差评率 bad = counted responses whose score is that of level 2 (不满意) or below ÷ counted responses.
  A response's score is its §4.2 weighted mean, so "level 4 or above" means the mean rating ≥ 4.
* 整改率 rectified = problem tickets closed as rectified (rated 满意, 基本满意 or 默认满意) ÷ tickets
  raised (every ticket needs rectification).
* 按期整改率 on time = rectified tickets whose accepted answer came by its deadline ÷ rectified tickets.
* 回访满意率 return satisfied = the enterprise's ratings of answers at 满意 or 基本满意 ÷ its ratings
  (满意, 基本满意, 不满意) — every rating counts, so an answer rated 不满意 and then 满意 is one of each.
  默认满意 is no enterprise's verdict: it is left out here and shown beside it as its own count, and
  in ``return_satisfied_with_default`` (默认满意 counted as satisfied, over every rating).

A rate with no denominator is NaN ("—"), never 0. Periods: a round (its name) or a month ("YYYY-MM",
the county month of the response's last save, the ticket's raising, the rating). Each rate's change
is the difference, in rate units, from the same scope's previous period that has the rate.
Scopes: each agency, each group (when the caller gives the agencies' groups) and the county.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.config import DEFAULT_CONFIG, ScoringConfig

COUNTY, AGENCY, GROUP = "county", "agency", "group"
RATES = ("participation", "good", "bad", "rectified", "on_time", "return_satisfied",
         "return_satisfied_with_default")
# rate -> (numerator column, denominator column)
FRACTIONS = {
    "participation": ("responded", "invited"),
    "good": ("good_responses", "responses"),
    "bad": ("bad_responses", "responses"),
    "rectified": ("rectified_tickets", "tickets"),
    "on_time": ("on_time_tickets", "rectified_tickets"),
    "return_satisfied": ("satisfied_ratings", "enterprise_ratings"),
    "return_satisfied_with_default": ("satisfied_with_default", "all_ratings"),
}
# the rates that rest on responses alone, and their counts: what a finalisation stores for a city office
RESPONSE_RATES = ("participation", "good", "bad")
RESPONSE_COUNTS = ("invited", "responded", "responses", "good_responses", "bad_responses")
COUNTS = ("invited", "responded", "responses", "good_responses", "bad_responses", "tickets", "rectified_tickets",
          "on_time_tickets", "enterprise_ratings", "satisfied_ratings", "dissatisfied_ratings", "default_ratings",
          "all_ratings", "satisfied_with_default")
SATISFIED_RATINGS = ("satisfied", "basically_satisfied")
ENTERPRISE_RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")
DEFAULT_RATING = "default_satisfied"
GOOD_LEVEL, BAD_LEVEL = 4, 2


def level_points(level: int, config: ScoringConfig = DEFAULT_CONFIG) -> float:
    """The points (§4.1) a rating of ``level`` is worth."""
    return (level - config.lowest_level) * config.points_per_level


def _counts(frame: pd.DataFrame, keys: list[str], columns: dict[str, pd.Series]) -> pd.DataFrame:
    """Sum each boolean column over ``keys``."""
    data = frame[keys].copy()
    for name, values in columns.items():
        data[name] = values.astype(int).to_numpy()
    return data.groupby(keys, dropna=False)[list(columns)].sum()


def _summed(frame: pd.DataFrame, columns: dict[str, pd.Series],
            agency_groups: dict[str, str] | None) -> pd.DataFrame:
    """Counts that add up over agencies (responses, tickets, ratings) per (period, scope, unit):
    summed per (period, agency) first, then those rows once per scope — the same sums as every row
    once per scope, without copying 300,000 responses three times (issue 16)."""
    per_agency = _counts(frame, ["period", "agency"], columns).reset_index()
    return per_agency.pipe(_scoped, agency_groups).groupby(["period", "scope", "unit"], dropna=False)[
        list(columns)].sum()


def _scoped(frame: pd.DataFrame, agency_groups: dict[str, str] | None) -> pd.DataFrame:
    """Each row once per scope it belongs to: its agency, its agency's group (when groups are given), the county."""
    agency = frame.assign(scope=AGENCY, unit=frame["agency"])
    county = frame.assign(scope=COUNTY, unit=COUNTY)
    parts = [agency, county]
    if agency_groups:
        grouped = frame.assign(scope=GROUP, unit=frame["agency"].map(agency_groups))
        parts.append(grouped.dropna(subset=["unit"]))
    return pd.concat(parts, ignore_index=True)


def _invited(invitations: pd.DataFrame, agency_groups: dict[str, str] | None) -> pd.DataFrame:
    """Invited and responded per (period, scope, unit): each enterprise once per unit, as answered
    if it answered any of the unit's agencies. Counted on integer codes (a province's 300,000
    invitations a round, issue 16): each (period, unit, enterprise) is one number."""
    keys = ["period", "scope", "unit"]
    if invitations.empty:
        return pd.DataFrame(columns=["invited", "responded"],
                            index=pd.MultiIndex.from_tuples([], names=keys), dtype=int)
    period_codes, periods = pd.factorize(invitations["period"])
    enterprise_codes, enterprises = pd.factorize(invitations["enterprise"])
    responded = invitations["responded"].astype(bool).to_numpy()
    # the agencies' strings are factorized once; the county and the groups follow from their codes
    # (a group per distinct agency, not per invitation: the same codes, in the same first-seen order)
    agency_codes, agency_names = pd.factorize(invitations["agency"])
    units = {AGENCY: (agency_codes, agency_names),
             COUNTY: (np.zeros(len(agency_codes), dtype=np.intp), pd.Index([COUNTY]))}
    if agency_groups:
        group_of_agency, group_names = pd.factorize(pd.Series(agency_names).map(agency_groups))
        units[GROUP] = (np.where(agency_codes >= 0, group_of_agency[agency_codes], -1), group_names)
    parts = []
    for scope, (unit_codes, names) in units.items():
        present = unit_codes >= 0  # a missing group: -1, left out
        cell = period_codes[present].astype(np.int64) * len(names) + unit_codes[present]
        answered = pd.Series(responded[present]).groupby(cell * len(enterprises) + enterprise_codes[present]).max()
        per_cell = answered.groupby(answered.index.to_numpy() // len(enterprises)).agg(["size", "sum"])
        cells = per_cell.index.to_numpy()
        parts.append(pd.DataFrame({"period": periods[cells // len(names)], "scope": scope,
                                   "unit": names[cells % len(names)], "invited": per_cell["size"].to_numpy(),
                                   "responded": per_cell["sum"].to_numpy().astype(int)}))
    return pd.concat(parts, ignore_index=True).set_index(keys)


def standard_rates(invitations: pd.DataFrame, responses: pd.DataFrame, tickets: pd.DataFrame,
                   ratings: pd.DataFrame, agency_groups: dict[str, str] | None = None,
                   config: ScoringConfig = DEFAULT_CONFIG) -> pd.DataFrame:
    """One row per (period, scope, unit): every count of COUNTS and every rate of RATES.

    invitations: period, agency, enterprise, responded (bool) — one row per invitation.
    responses:   period, agency, score (points; counted responses only).
    tickets:     period, agency, rectified (bool), on_time (bool).
    ratings:     period, agency, rating (satisfied / basically_satisfied / dissatisfied / default_satisfied).
    """
    return with_rates(standard_counts(invitations, responses, tickets, ratings, agency_groups, config))


def standard_counts(invitations: pd.DataFrame, responses: pd.DataFrame, tickets: pd.DataFrame,
                    ratings: pd.DataFrame, agency_groups: dict[str, str] | None = None,
                    config: ScoringConfig = DEFAULT_CONFIG) -> pd.DataFrame:
    """The counts behind ``standard_rates`` (columns: period, scope, unit and COUNTS, no rates), so
    that parts counted apart can be added (``add_counts``): every count is a sum over its rows, and
    invitations are deduplicated per enterprise within a period only — so inputs split by period
    (finalised rounds apart from the round in progress), or tickets apart from responses, add up to
    the counts of the whole (issue 16: the finalised rounds' part is kept, not recounted)."""
    keys = ["period", "scope", "unit"]
    parts = [
        _invited(invitations, agency_groups),
        _summed(responses, {"responses": pd.Series(True, index=responses.index),
                            "good_responses": responses["score"] >= level_points(GOOD_LEVEL, config),
                            "bad_responses": responses["score"] <= level_points(BAD_LEVEL, config)}, agency_groups),
        _summed(tickets, {"tickets": pd.Series(True, index=tickets.index),
                          "rectified_tickets": tickets["rectified"].astype(bool),
                          "on_time_tickets": tickets["rectified"].astype(bool) & tickets["on_time"].astype(bool)},
                agency_groups),
        _summed(ratings, {"enterprise_ratings": ratings["rating"].isin(ENTERPRISE_RATINGS),
                          "satisfied_ratings": ratings["rating"].isin(SATISFIED_RATINGS),
                          "dissatisfied_ratings": ratings["rating"] == "dissatisfied",
                          "default_ratings": ratings["rating"] == DEFAULT_RATING,
                          "all_ratings": pd.Series(True, index=ratings.index),
                          "satisfied_with_default": ratings["rating"].isin(SATISFIED_RATINGS + (DEFAULT_RATING,))},
                agency_groups),
    ]
    table = pd.concat([p for p in parts if len(p)], axis=1) if any(len(p) for p in parts) else pd.DataFrame()
    table = table.reindex(columns=list(COUNTS)).fillna(0).astype(int).reset_index()
    if table.empty:
        return pd.DataFrame(columns=keys + list(COUNTS))
    table.columns = keys + list(COUNTS)
    return table


def add_counts(*tables: pd.DataFrame) -> pd.DataFrame:
    """Several ``standard_counts`` tables added up, row by (period, scope, unit)."""
    keys = ["period", "scope", "unit"]
    present = [t for t in tables if len(t)]
    if not present:
        return pd.DataFrame(columns=keys + list(COUNTS))
    if len(present) == 1:
        return present[0].copy()
    return pd.concat(present, ignore_index=True).groupby(keys, sort=False, dropna=False)[list(COUNTS)].sum().astype(int) \
        .reset_index()


def with_rates(counts: pd.DataFrame) -> pd.DataFrame:
    """A ``standard_counts`` table with every rate of RATES, sorted by (period, scope, unit)."""
    keys = ["period", "scope", "unit"]
    if counts.empty:
        return pd.DataFrame(columns=keys + list(COUNTS) + list(RATES))
    return rates_from_counts(counts).sort_values(keys, ignore_index=True)


def rates_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """``counts`` with every rate of RATES whose two counts (FRACTIONS) are among its columns:
    numerator ÷ denominator, NaN where the denominator is 0."""
    table = counts.copy()
    for rate, (numerator, denominator) in FRACTIONS.items():
        if numerator in table.columns and denominator in table.columns:
            below = table[denominator].astype(float)
            table[rate] = np.where(below > 0, table[numerator].astype(float) / below.where(below > 0, 1), np.nan)
    return table


def with_change(rates: pd.DataFrame) -> pd.DataFrame:
    """``rates`` with ``<rate>_change`` for each rate: the difference from the same (scope, unit)'s
    latest earlier period that has that rate (NaN when there is none). Periods sort as text:
    round names ("2026Q3") and months ("2026-09") both do."""
    frame = rates.sort_values(["scope", "unit", "period"]).copy()
    units = [frame["scope"], frame["unit"]]
    for rate in RATES:
        # vectorised (no Python function per unit): thousands of agencies in a province (issue 16)
        previous = frame[rate].groupby(units).ffill().groupby(units).shift(1)
        frame[f"{rate}_change"] = frame[rate] - previous
    return frame.sort_values(["period", "scope", "unit"], ignore_index=True)
