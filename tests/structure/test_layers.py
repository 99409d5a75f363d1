"""The layers of DESIGN §7, checked from the source so a shortcut fails here first.

* ``charts/``, ``scoring/`` and ``labels.py`` import nothing of the services
  (``surveys``) or the pages (``app_pages``): pure functions stay pure.
* No page holds SQL: no ``execute``/``query`` calls, no SQL statement in a string.
* ``surveys/`` imports nothing of the pages: calls go downward only.
* Every page file the navigation lists exists (a missing one is an error, not a
  page silently left out of the menu), every page file is listed, and a role's
  folder holds only pages that role sees.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app_pages import navigation
from surveys.core.actors import ADMIN, AGENCY, DISCIPLINE, ENTERPRISE

ROOT = Path(__file__).resolve().parents[2]
PURE = [*sorted((ROOT / "charts").glob("*.py")), *sorted((ROOT / "scoring").glob("*.py")), ROOT / "labels.py"]
PAGES = sorted((ROOT / "app_pages").rglob("*.py"))
UPPER_LAYERS = ("surveys", "app_pages")
SERVICES = sorted((ROOT / "surveys").rglob("*.py"))
ROLE_FOLDERS = {"enterprise": ENTERPRISE, "agency": AGENCY, "discipline": DISCIPLINE, "admin": ADMIN, "shared": None}
DATABASE_CALLS = {"execute", "executemany", "executescript", "query"}
SQL_STATEMENT = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\b(CREATE|DROP|ALTER)\s+(TABLE|INDEX|VIEW)\b|\bPRAGMA\b")  # SQL is written in capitals here; prose is not


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (functions included)."""
    modules = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def sql_in_page(path: Path) -> list[str]:
    """What in a page looks like database access: calls to execute/query, SQL in strings."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DATABASE_CALLS:
            found.append(f"line {node.lineno}: .{node.func.attr}(…)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_STATEMENT.search(node.value):
            found.append(f"line {node.lineno}: {node.value[:60]!r}")
    return found


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_charts_and_scoring_import_no_services_or_pages(path):
    upward = sorted(m for m in imported_modules(path) if m.split(".")[0] in UPPER_LAYERS)
    assert upward == [], f"{path.relative_to(ROOT)} imports {upward}"


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: str(p.relative_to(ROOT)))
def test_services_import_no_pages(path):
    upward = sorted(m for m in imported_modules(path) if m.split(".")[0] == "app_pages")
    assert upward == [], f"{path.relative_to(ROOT)} imports {upward}"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_hold_no_sql(path):
    assert sql_in_page(path) == []


def test_the_checks_catch_what_they_look_for(tmp_path):
    """The scanners themselves: a page with SQL and a chart importing a service are caught."""
    page = tmp_path / "page.py"
    page.write_text('rows = db.execute("SELECT name FROM rounds")\nhelp = "Select the rounds from the list"\n')
    assert sorted(f.split(":")[0] for f in sql_in_page(page)) == ["line 1", "line 1"]  # the call and its SQL
    chart = tmp_path / "chart.py"
    chart.write_text("def f():\n    from surveys.collection.rounds import open_round\n")
    assert "surveys.collection.rounds" in imported_modules(chart)


def test_every_page_the_navigation_lists_exists():
    listed = {page.path for page in [*navigation.PAGES, navigation.SIGN_IN]} | set(navigation.HOME.values())
    assert [name for name in sorted(listed) if not (ROOT / name).is_file()] == []


def test_every_page_file_is_in_the_navigation():
    """A page file nobody can reach is dead code or a forgotten PAGES entry."""
    listed = {page.path for page in [*navigation.PAGES, navigation.SIGN_IN]}
    page_files = {str(path.relative_to(ROOT)) for folder in ROLE_FOLDERS
                  for path in (ROOT / "app_pages" / folder).glob("*.py")}
    assert sorted(page_files - listed) == []


def test_each_role_folder_holds_pages_its_role_sees():
    """app_pages/<role>/ holds pages of that role only; pages several roles open are in shared/."""
    for folder, role in ROLE_FOLDERS.items():
        seen = [page.path for page in navigation.pages_of_role(role)] if role else []
        for path in (ROOT / "app_pages" / folder).glob("*.py"):
            name = str(path.relative_to(ROOT))
            if role:
                assert name in seen, f"{name} is in {folder}/ but {role} does not see it"
            else:
                assert name == navigation.SIGN_IN.path or len(roles_seeing(name)) > 1, f"{name} belongs to one role"


def roles_seeing(path: str) -> list[str]:
    return [role for role in ROLE_FOLDERS.values() if role
            and path in [page.path for page in navigation.pages_of_role(role)]]
