"""docs/architecture.md names the one function owning each DESIGN rule: every name must exist."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

TABLE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
NAME = re.compile(r"`((?:scoring|surveys|charts|labels)(?:\.\w+)+)`")  # code names, not table columns
NOT_BUILT = "not yet built (issue 14)"


def table_rows() -> list[list[str]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and cells[0] not in ("Rule", "---"):
            rows.append(cells)
    return rows


def named_functions() -> list[str]:
    return sorted({name for row in table_rows() for cell in (row[2], row[3]) for name in NAME.findall(cell)})


def resolve(dotted: str):
    """Import the longest module prefix of ``dotted`` and get the rest as attributes."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("dotted", named_functions())
def test_every_owner_named_in_the_table_exists(dotted):
    assert resolve(dotted) is not None


def test_every_rule_has_one_owner_or_says_it_is_not_built():
    rows = table_rows()
    assert len(rows) >= 25
    for rule, _, owner, _ in rows:
        assert owner == NOT_BUILT or len(NAME.findall(owner)) == 1, rule


def test_all_eleven_scoring_rules_are_listed_and_owned_by_the_pure_engine():
    owners = {rule: owner for rule, _, owner, _ in table_rows()}
    assert {f"§4.{n}" for n in range(1, 12)} <= set(owners)
    # issue 14 built rules 9-11 in scoring/; the app side uses the same functions
    assert all(NAME.findall(owners[f"§4.{n}"])[0].startswith("scoring.") for n in (9, 10, 11))
