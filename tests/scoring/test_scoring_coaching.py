"""Coaching and stuffing signals (scoring/coaching.py): reported, never excluded."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.coaching import (SIGNAL_COLUMNS, SignalRules, answer_seconds, coaching_signals, identical_in_window,
                              reading_floor, too_fast, top_share_jumps)

ITEMS = ["q1", "q2", "q3"]
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Rows:
    """Builds responses with consecutive ids."""

    def __init__(self):
        self.rows: list[dict] = []

    def add(self, agency, answers, round_="2026Q2", minute=0.0, seconds=None):
        saved = START + timedelta(minutes=minute)
        opened = None if seconds is None else (saved - timedelta(seconds=seconds)).isoformat()
        self.rows.append({"response": len(self.rows) + 1, "round": round_, "agency": agency,
                          "saved_at": saved.isoformat(), "opened_at": opened, **dict(zip(ITEMS, answers))})
        return self

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["response", "round", "agency", "saved_at", "opened_at", *ITEMS])


def history(rows: Rows, agency="A", rounds=("2025Q4", "2026Q1"), per_round=8, answers=(3, 4, 4)):
    for round_ in rounds:
        for i in range(per_round):
            rows.add(agency, answers, round_=round_, minute=i * 600)
    return rows


# --- top-share jump ---------------------------------------------------------------

def test_a_sudden_run_of_top_ratings_against_the_agencys_own_history():
    rows = history(Rows())
    for i in range(6):
        rows.add("A", (5, 5, 5), minute=i * 300)
    rows.add("A", (3, 4, 4), minute=5000)
    found = top_share_jumps(rows.frame(), ITEMS, "2026Q2")
    assert list(found.columns) == SIGNAL_COLUMNS
    [signal] = found.to_dict("records")
    assert (signal["agency"], signal["count"], signal["total"]) == ("A", 6, 7)
    assert signal["detail"]["baseline"] == 0 and signal["detail"]["share"] == pytest.approx(6 / 7)
    assert signal["detail"]["history_rounds"] == ["2025Q4", "2026Q1"]
    assert signal["responses"] == list(range(17, 23))  # the six all-5 answers, not the ordinary one


def test_an_agency_always_rated_top_is_no_jump():
    rows = history(Rows(), answers=(5, 5, 5))
    for i in range(6):
        rows.add("A", (5, 5, 5), minute=i)
    assert top_share_jumps(rows.frame(), ITEMS, "2026Q2").empty


def test_a_jump_needs_enough_answers_now_and_before():
    rows = history(Rows(), per_round=4)  # 8 earlier responses: under 10
    for i in range(6):
        rows.add("A", (5, 5, 5), minute=i)
    assert top_share_jumps(rows.frame(), ITEMS, "2026Q2").empty
    assert not top_share_jumps(rows.frame(), ITEMS, "2026Q2", SignalRules(min_history_responses=8)).empty
    few = history(Rows())
    for i in range(4):
        few.add("A", (5, 5, 5), minute=i)
    assert top_share_jumps(few.frame(), ITEMS, "2026Q2").empty


def test_only_the_rounds_before_count_as_history_and_other_agencies_do_not():
    rows = history(Rows(), agency="B")  # another agency's history is not A's
    rows = history(rows, rounds=("2026Q3",), per_round=10)  # a later round is not history
    for i in range(6):
        rows.add("A", (5, 5, 5), minute=i)
    assert top_share_jumps(rows.frame(), ITEMS, "2026Q2").empty


def test_a_small_rise_is_not_a_jump():
    rows = history(Rows(), answers=(5, 4, 4))  # a third of ratings were already 5
    for i in range(6):
        rows.add("A", (5, 5, 4), minute=i)  # two thirds now: +33 points, but six answers
    found = top_share_jumps(rows.frame(), ITEMS, "2026Q2", SignalRules(min_z=3.0))
    assert found.empty or found["detail"].iloc[0]["z"] >= 3.0
    assert top_share_jumps(rows.frame(), ITEMS, "2026Q2", SignalRules(min_jump=0.4)).empty


def test_top_level_four_counts_satisfied_and_above():
    rows = history(Rows(), answers=(3, 3, 3))
    for i in range(6):
        rows.add("A", (4, 4, 4), minute=i)
    assert top_share_jumps(rows.frame(), ITEMS, "2026Q2").empty  # no 5 at all
    assert len(top_share_jumps(rows.frame(), ITEMS, "2026Q2", SignalRules(top_level=4))) == 1


# --- identical answers within a window ---------------------------------------------

def test_identical_answers_saved_within_minutes():
    rows = Rows()
    for i in range(5):
        rows.add("A", (5, 5, 5), minute=i * 4)  # 16 minutes from first to last
    rows.add("A", (5, 5, 5), minute=300)  # the same answers hours later: not in the window
    rows.add("A", (4, 5, 5), minute=2)
    [signal] = identical_in_window(rows.frame(), ITEMS, "2026Q2").to_dict("records")
    assert (signal["agency"], signal["count"], signal["total"]) == ("A", 5, 7)
    assert signal["responses"] == [1, 2, 3, 4, 5]
    assert signal["detail"]["answers"] == "5,5,5"


def test_identical_answers_spread_over_the_round_are_no_signal():
    rows = Rows()
    for i in range(8):
        rows.add("A", (5, 5, 5), minute=i * 40)
    assert identical_in_window(rows.frame(), ITEMS, "2026Q2").empty
    assert len(identical_in_window(rows.frame(), ITEMS, "2026Q2", SignalRules(window_minutes=200))) == 1


def test_incomplete_answers_and_other_agencies_are_not_pooled():
    rows = Rows()
    for i in range(3):
        rows.add("A", (5, 5, 5), minute=i).add("B", (5, 5, 5), minute=i).add("A", (5, 5, np.nan), minute=i)
    assert identical_in_window(rows.frame(), ITEMS, "2026Q2").empty


def test_identical_answers_lost_among_many_others_saved_then_are_no_signal():
    rows = Rows()
    for i in range(5):
        rows.add("A", (5, 5, 5), minute=i)
    for i in range(12):  # twelve different answers saved in the same minutes
        rows.add("A", (i % 4 + 1, (i + 1) % 4 + 1, 3), minute=i / 3)
    assert identical_in_window(rows.frame(), ITEMS, "2026Q2").empty  # 5 of 17: under a third
    [signal] = identical_in_window(rows.frame(), ITEMS, "2026Q2", SignalRules(min_window_share=0.25)).to_dict(
        "records")
    assert signal["detail"]["saved_in_span"] == 17


def test_paper_returns_carry_no_answer_time():
    rows = Rows()
    for i in range(6):
        rows.add("A", (5, 5, 5), minute=0, seconds=1)
    frame = rows.frame().assign(source="paper")
    assert coaching_signals(frame, ITEMS, "2026Q2", item_chars=60).empty
    assert set(coaching_signals(frame.assign(source="online"), ITEMS, "2026Q2", item_chars=60)["kind"]) == {
        "identical_in_window", "too_fast"}


# --- too fast -----------------------------------------------------------------------

def test_reading_floor_grows_with_the_text():
    assert reading_floor(80, 5) == pytest.approx(80 / 8 + 5 * 1.5)
    assert reading_floor(160, 5) > reading_floor(80, 5)


def test_answers_saved_faster_than_reading_allows():
    rows = Rows()
    for seconds in (4, 6, 9):
        rows.add("A", (5, 5, 5), seconds=seconds)
    rows.add("A", (3, 4, 4), seconds=120)
    rows.add("A", (3, 4, 4))  # a paper return: no timing, left out
    [signal] = too_fast(rows.frame(), "2026Q2", floor_seconds=20).to_dict("records")
    assert (signal["count"], signal["total"], signal["responses"]) == (3, 4, [1, 2, 3])
    assert signal["detail"]["median_seconds"] == 6
    assert too_fast(rows.frame(), "2026Q2", floor_seconds=5).empty  # one under 5 s is not three


def test_untimed_answers_give_no_speed():
    rows = Rows().add("A", (5, 5, 5)).add("A", (5, 5, 5))
    assert answer_seconds(rows.frame()).isna().all()


def test_all_signals_together_sorted_by_kind():
    rows = history(Rows())
    for i in range(6):
        rows.add("A", (5, 5, 5), minute=i, seconds=5)
    found = coaching_signals(rows.frame(), ITEMS, "2026Q2", item_chars=60)
    assert list(found["kind"]) == ["identical_in_window", "too_fast", "top_share_jump"]
    assert set(found["agency"]) == {"A"}


def test_nothing_in_an_empty_round():
    assert coaching_signals(Rows().frame(), ITEMS, "2026Q2", item_chars=60).empty


def test_rules_reject_nonsense():
    with pytest.raises(ValueError, match="min_identical"):
        SignalRules(min_identical=0)
    with pytest.raises(ValueError, match="min_jump"):
        SignalRules(min_jump=1.5)


# --- properties ---------------------------------------------------------------------

answer = st.tuples(*[st.integers(1, 5)] * 3)
response = st.tuples(st.sampled_from(["A", "B"]), answer, st.floats(0, 600), st.one_of(st.none(), st.floats(0, 300)))


def build(drawn) -> pd.DataFrame:
    rows = Rows()
    for agency, answers, minute, seconds in drawn:
        rows.add(agency, answers, minute=minute, seconds=seconds)
    return rows.frame()


@SETTINGS
@given(st.lists(response, max_size=30))
def test_identical_signal_responses_really_share_answers_and_window(drawn):
    frame = build(drawn)
    rules = SignalRules(min_identical=3, window_minutes=20)
    for signal in identical_in_window(frame, ITEMS, "2026Q2", rules).to_dict("records"):
        chosen = frame[frame["response"].isin(signal["responses"])]
        assert len(chosen) == signal["count"] >= 3
        assert set(chosen["agency"]) == {signal["agency"]}
        assert len({tuple(r) for r in chosen[ITEMS].itertuples(index=False)}) == 1
        saved = pd.to_datetime(chosen["saved_at"])
        assert saved.max() - saved.min() <= pd.Timedelta(minutes=20)


@SETTINGS
@given(st.lists(response, max_size=30), st.floats(1, 200))
def test_too_fast_counts_exactly_the_timed_responses_under_the_floor(drawn, floor):
    frame = build(drawn)
    found = too_fast(frame, "2026Q2", floor, SignalRules(min_fast=1)).set_index("agency")
    seconds = answer_seconds(frame)
    for agency in ("A", "B"):
        mine = frame["agency"] == agency
        fast = frame.loc[mine & (seconds < floor), "response"].tolist()
        if fast:
            assert found.loc[agency, "responses"] == sorted(fast)
            assert found.loc[agency, "total"] == int((mine & seconds.notna()).sum())
        else:
            assert agency not in found.index


@SETTINGS
@given(st.lists(response, max_size=30), st.lists(answer, min_size=0, max_size=20))
def test_lowering_every_answer_this_round_never_creates_a_jump(drawn, earlier):
    """A jump is upward: turning every top rating of this round into a 1 leaves no signal."""
    rows = Rows()
    for i, answers in enumerate(earlier):
        rows.add("A", answers, round_="2026Q1", minute=i)
    for agency, answers, minute, seconds in drawn:
        rows.add(agency, tuple(1 if a == 5 else a for a in answers), minute=minute, seconds=seconds)
    assert top_share_jumps(rows.frame(), ITEMS, "2026Q2", SignalRules(min_history_responses=1)).empty


@SETTINGS
@given(st.lists(response, max_size=30))
def test_signals_never_name_a_response_outside_the_round(drawn):
    frame = pd.concat([build(drawn), history(Rows()).frame().assign(response=lambda f: f["response"] + 1000)])
    found = coaching_signals(frame, ITEMS, "2026Q2", item_chars=60, rules=SignalRules(min_fast=1, min_identical=2))
    this_round = set(frame.loc[frame["round"] == "2026Q2", "response"])
    for ids in found["responses"]:
        assert set(ids) <= this_round


@SETTINGS
@given(st.lists(answer, min_size=0, max_size=25), st.lists(answer, min_size=0, max_size=25),
       st.floats(0.05, 1.0), st.floats(0.5, 5.0))
def test_a_reported_jump_meets_every_threshold_it_was_given(earlier, now, min_jump, min_z):
    rows = Rows()
    for i, answers in enumerate(earlier):
        rows.add("A", answers, round_="2026Q1", minute=i)
    for i, answers in enumerate(now):
        rows.add("A", answers, minute=i)
    rules = SignalRules(min_jump=min_jump, min_z=min_z, min_history_responses=3, min_responses=3)
    found = top_share_jumps(rows.frame(), ITEMS, "2026Q2", rules)
    share_now = np.mean([sum(a == 5 for a in answers) / 3 for answers in now]) if now else 0
    share_before = np.mean([sum(a == 5 for a in answers) / 3 for answers in earlier]) if earlier else 0
    if len(now) >= 3 and len(earlier) >= 3:  # and conversely: every threshold met, a jump is reported
        level = min(max(share_before, 0.5 / len(earlier)), 1 - 0.5 / len(earlier))
        z = (share_now - share_before) / np.sqrt(level * (1 - level) / len(now))
        jump = share_now - share_before
        if abs(jump - min_jump) > 1e-9 and abs(z - min_z) > 1e-9:  # not on a boundary, where floats decide
            assert found.empty == (jump < min_jump or z < min_z)
    if found.empty:
        return
    detail = found["detail"].iloc[0]
    assert len(now) >= 3 and len(earlier) >= 3
    assert detail["share"] == pytest.approx(share_now) and detail["baseline"] == pytest.approx(share_before)
    assert detail["share"] - detail["baseline"] >= min_jump - 1e-12 and detail["z"] >= min_z
