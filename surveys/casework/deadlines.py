"""The county's deadlines, in working days (issue 15 item 2): one place for every step's limit.

Each deadline is a county setting (table ``settings``); the defaults follow the national
good-and-bad-rating (hao cha ping) practice: the agency contacts the enterprise within 1 working day, fixes a simple
problem within 5 and a complex one within 15 (counted from the day the problem was raised).
The enterprise has 5 working days to rate an answer before it counts as satisfied by default. A case's
agency step is due 15 working days after it opens. An overdue step is first reminded to the
agency; if it is still overdue ``escalation_grace`` working days after the reminder, it is
escalated to the discipline office.
"""
from __future__ import annotations

from surveys.casework import cases
from surveys.core import audit
from surveys.core.actors import Actor
from surveys.core.errors import InvalidInput, Term
from surveys.core.permissions import requires
from surveys.storage.db import write_transaction

# setting name -> default working days
DEFAULTS: dict[str, int] = {
    "problem_contact_working_days": 1,
    "problem_simple_working_days": 5,
    "problem_complex_working_days": 15,
    "problem_rating_working_days": 5,
    "case_due_working_days": cases.DUE_WORKING_DAYS,
    "escalation_grace_working_days": 1,
}
LONGEST = 120  # working days: half a year is more than any step should take
# before issue 15 a ticket had one deadline, ``problem_due_working_days``: a county that set it keeps it
_OLD_NAMES = {"problem_complex_working_days": "problem_due_working_days"}


def working_days(db, name: str) -> int:
    """The county's setting ``name`` (one of DEFAULTS), or its default."""
    default = DEFAULTS[name]
    if name in _OLD_NAMES:
        default = cases.configured_int(db, _OLD_NAMES[name], default)
    return cases.configured_int(db, name, default)


def all_deadlines(db) -> dict[str, int]:
    return {name: working_days(db, name) for name in DEFAULTS}


@requires("deadlines.manage")
def set_deadlines(db, actor: Actor, values: dict[str, int]) -> dict[str, int]:
    """Set some of the county's deadlines; returns the ones that changed (old → new is audited).
    Refused, with the setting named, for an unknown name or a number outside 1–LONGEST
    (the grace before escalation may be 0: escalate the day after the reminder)."""
    checked = {}
    for name, value in values.items():
        if name not in DEFAULTS:
            raise InvalidInput("loop.deadlines.unknown", setting=name)
        lowest = 0 if name == "escalation_grace_working_days" else 1
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if number is None or isinstance(value, bool) or not lowest <= number <= LONGEST:
            raise InvalidInput("loop.deadlines.out_of_range", setting=Term(f"loop.deadlines.name.{name}"),
                               value=value, lowest=lowest, highest=LONGEST)
        checked[name] = number
    with write_transaction(db):
        before = all_deadlines(db)
        changed = {name: number for name, number in checked.items() if before[name] != number}
        for name, number in changed.items():
            db.execute("INSERT INTO settings (name, value) VALUES (?, ?)"
                       " ON CONFLICT (name) DO UPDATE SET value = excluded.value", [name, str(number)])
        if changed:
            audit.record(db, actor, "deadlines.set", "settings",
                         **{name: [before[name], number] for name, number in changed.items()})
    return changed
