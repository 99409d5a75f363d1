"""The monthly bulletin's arithmetic (月通报), pure: frames and a working calendar in, frames out.

No database, no Streamlit: surveys/reports/monthly.py reads the casework and calls these.
The definitions, also in docs/monthly_bulletin.md and on the page:

- The month is a calendar month in county time (Asia/Shanghai). Its *cut-off* is the end of its
  last county day — or now, for the current month. A moment stored in UTC belongs to the month of
  its county date: a case closed at 23:30 on 31 December in China (15:30 UTC) counts in December.
- An item is a case (follow-up of a reminder, interview or referral) or a problem ticket.
  *Opened*: opened in the month. *Closed*: closed in the month (a case closed by the discipline
  office, a ticket confirmed solved by its enterprise). *On time*: closed on or before its due date
  (county dates); *late*: after it.
- *Overdue*: at the cut-off, not closed, waiting for the agency, and its due date has ended
  (due date's county day is over) — the same rule as the case inbox and the problem list
  (a ticket answered and waiting for the enterprise is not the agency's delay).
  *Days overdue*: working days after the due date up to the cut-off's day (China's official
  calendar: holidays off, make-up days on).
- *Rectification rate* = closed ÷ (closed + overdue): of the items the month asked to
  be finished, the share that were. *On-time rate* = on time ÷ closed. A rate with
  nothing to divide by is empty (shown as "—"), never 0 or 100 %.
- *Ranking on handling*: agencies with a rectification rate, by rectification rate (higher first),
  then on-time rate (higher first; none after any), then overdue items (fewer first); agencies
  equal on all three share the better rank (1, 2, 2, 4). Agencies with nothing to rate are not
  ranked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from surveys.core import clock
from surveys.core.workdays import WorkingCalendar

CASE, PROBLEM = "case", "problem"
KINDS = (CASE, PROBLEM)
MEASURES = ("opened", "closed", "on_time", "late", "overdue")
ITEM_COLUMNS = ["kind", "ref", "agency", "opened_at", "closed_at", "due_on"]
STEP_COLUMNS = ["kind", "ref", "at", "waiting"]
OVERDUE_COLUMNS = ["kind", "ref", "agency", "opened_on", "due_on", "days_overdue"]


@dataclass(frozen=True)
class Period:
    """A calendar month in county time and the moment its figures are taken at."""

    year: int
    month: int
    start: datetime  # the month's first county moment, in UTC
    cutoff: datetime  # the first moment not counted: the next month's start, or just after now (UTC)
    current: bool

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return next_month_start(self.year, self.month) - timedelta(days=1)

    @property
    def cutoff_day(self) -> date:
        """The county day the cut-off falls in: the last day, or today for the current month."""
        return clock.to_county(self.cutoff - timedelta(microseconds=1)).date()


def next_month_start(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1)


def month_period(year: int, month: int, now: datetime) -> Period:
    """The month's period; the current month (in county time) is cut off at ``now``.
    A month still to come has nothing in it yet: it is cut off at its start."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1–12, not {month}")
    start = clock.start_of_county_day(date(year, month, 1))
    end = clock.start_of_county_day(next_month_start(year, month))
    # the cut-off is the first moment not counted: what happened at "now" itself has happened
    cutoff = min(max(now + timedelta(microseconds=1), start), end)
    return Period(year, month, start, cutoff, current=start <= now < end)


def _moments(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601")


def _county_days(moments: pd.Series) -> pd.Series:
    return moments.dt.tz_convert(clock.COUNTY_TIME).dt.date


def prepared_items(items: pd.DataFrame, steps: pd.DataFrame, period: Period) -> pd.DataFrame:
    """``items`` with their moments parsed and, per item, what held at the cut-off.

    ``items``: kind, ref, agency, opened_at, closed_at (UTC ISO text or empty), due_on (a county date).
    ``steps``: kind, ref, at, waiting — each change of whose turn it is (waiting: for the agency).
    An item without steps waits for the agency until it is closed.
    """
    frame = items[ITEM_COLUMNS].copy()
    frame["opened_at"] = _moments(frame["opened_at"])
    frame["closed_at"] = _moments(frame["closed_at"].replace("", None))
    frame["due_on"] = pd.to_datetime(frame["due_on"]).dt.date
    frame["closed_on"] = _county_days(frame["closed_at"])
    frame["waiting"] = _waiting_at(frame, steps, period.cutoff)
    return frame


def _waiting_at(frame: pd.DataFrame, steps: pd.DataFrame, cutoff: datetime) -> pd.Series:
    """Whether each item was waiting for its agency at ``cutoff``, by its last step up to then."""
    waiting = pd.Series(True, index=frame.index)
    if steps.empty:
        return waiting
    known = steps.assign(at=_moments(steps["at"]))
    known = known[known["at"] <= cutoff].sort_values("at", kind="stable")
    last = known.groupby(["kind", "ref"])["waiting"].last()
    keys = pd.MultiIndex.from_frame(frame[["kind", "ref"]])
    found = last.reindex(keys)
    return pd.Series(found.fillna(True).astype(bool).to_numpy(), index=frame.index)


def _in_month(moments: pd.Series, period: Period) -> pd.Series:
    return moments.notna() & (moments >= period.start) & (moments < period.cutoff)


def overdue_mask(frame: pd.DataFrame, period: Period) -> pd.Series:
    """Open at the cut-off, waiting for the agency, and past the end of its due date."""
    due_ended = pd.Series([clock.end_of_county_day(d) <= period.cutoff for d in frame["due_on"]],
                          index=frame.index, dtype=bool)
    opened = frame["opened_at"] < period.cutoff
    still_open = frame["closed_at"].isna() | (frame["closed_at"] >= period.cutoff)
    return opened & still_open & frame["waiting"] & due_ended


def flags(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    """One row per item: which of the month's measures it counts in."""
    closed = _in_month(frame["closed_at"], period)
    by_due = pd.Series([pd.notna(c) and c <= d for c, d in zip(frame["closed_on"], frame["due_on"])],
                       index=frame.index, dtype=bool)
    on_time = closed & by_due
    return pd.DataFrame({
        "opened": _in_month(frame["opened_at"], period),
        "closed": closed,
        "on_time": on_time,
        "late": closed & ~on_time,
        "overdue": overdue_mask(frame, period),
    }, index=frame.index)


def rate(numerator, denominator):
    """A share, or None when there is nothing to divide by."""
    return None if not denominator else numerator / denominator


def agency_figures(items: pd.DataFrame, steps: pd.DataFrame, agencies: list[str], period: Period) -> pd.DataFrame:
    """Per agency (every one in ``agencies``, in that order): each measure for cases and for tickets
    (``case_opened`` … ``problem_overdue``), the totals (``opened`` … ``overdue``), the two rates and
    the rank on handling."""
    frame = prepared_items(items, steps, period)
    counted = flags(frame, period).astype(int)
    counted["agency"], counted["kind"] = frame["agency"], frame["kind"]
    by_kind = counted.groupby(["agency", "kind"])[list(MEASURES)].sum()
    out = pd.DataFrame(index=pd.Index(agencies, name="agency"))
    for kind in KINDS:
        for measure in MEASURES:
            column = by_kind[measure].xs(kind, level="kind") if kind in by_kind.index.get_level_values("kind") \
                else pd.Series(dtype=int)
            out[f"{kind}_{measure}"] = column.reindex(out.index).fillna(0).astype(int)
    for measure in MEASURES:
        out[measure] = out[f"{CASE}_{measure}"] + out[f"{PROBLEM}_{measure}"]
    out["rectification_rate"] = [rate(c, c + o) for c, o in zip(out["closed"], out["overdue"])]
    out["on_time_rate"] = [rate(t, c) for t, c in zip(out["on_time"], out["closed"])]
    out["rank"] = handling_ranks(out)
    return out.reset_index()


def handling_ranks(figures: pd.DataFrame) -> pd.Series:
    """Rank on handling (1 best); equal on every key shares the better rank; no rate → no rank (None)."""
    rated = figures[figures["rectification_rate"].notna()]
    keys = list(zip(-rated["rectification_rate"].astype(float),
                    [-r if r is not None and pd.notna(r) else 1.0 for r in rated["on_time_rate"]],
                    rated["overdue"]))
    ordered = sorted(keys)
    ranks = {key: ordered.index(key) + 1 for key in set(keys)}  # the first place a key reaches
    series = pd.Series([None] * len(figures), index=figures.index, dtype=object)
    for index, key in zip(rated.index, keys):
        series[index] = ranks[key]
    return series


def overdue_list(items: pd.DataFrame, steps: pd.DataFrame, period: Period,
                 calendar: WorkingCalendar) -> pd.DataFrame:
    """The items overdue at the cut-off, longest overdue first: kind, ref, agency, opened_on,
    due_on, days_overdue (working days after the due date up to the cut-off's day)."""
    frame = prepared_items(items, steps, period)
    late = frame[overdue_mask(frame, period)].copy()
    if late.empty:
        return pd.DataFrame(columns=OVERDUE_COLUMNS)
    late["opened_on"] = _county_days(late["opened_at"])
    late["days_overdue"] = [calendar.working_days_between(due, period.cutoff_day) for due in late["due_on"]]
    late = late.sort_values(["days_overdue", "due_on", "agency", "kind", "ref"],
                            ascending=[False, True, True, True, True], kind="stable")
    return late[OVERDUE_COLUMNS].reset_index(drop=True)


def county_totals(figures: pd.DataFrame) -> dict:
    """The county's line: every count summed, and the two rates over the sums."""
    totals = {m: int(figures[m].sum()) for m in MEASURES}
    for kind in KINDS:
        totals.update({f"{kind}_{m}": int(figures[f"{kind}_{m}"].sum()) for m in MEASURES})
    totals["rectification_rate"] = rate(totals["closed"], totals["closed"] + totals["overdue"])
    totals["on_time_rate"] = rate(totals["on_time"], totals["closed"])
    return totals
