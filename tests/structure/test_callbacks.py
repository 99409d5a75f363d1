"""Streamlit runs a widget's callback before the script, so the entry script's session checks
(idle time-out, deactivated or superseded credential) come too late for it: every enterprise
callback that writes through a service checks the session itself, first."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "app_pages" / "enterprise").glob("*.py"))
SERVICES = {"responses", "problems"}


def callbacks(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("on_click", "on_change") and isinstance(node.value, ast.Name):
            names.add(node.value.id)
    return names


def writes_through_a_service(function: ast.FunctionDef) -> bool:
    return any(isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in SERVICES
               for n in ast.walk(function))


def checks_the_session_first(function: ast.FunctionDef) -> bool:
    body = [s for s in function.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return bool(body) and "session_still_valid" in ast.unparse(body[0])


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_writing_callback_checks_the_session_first(page):
    tree = ast.parse(page.read_text(encoding="utf-8"))
    named = callbacks(tree)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in named]
    unchecked = [f.name for f in functions if writes_through_a_service(f) and not checks_the_session_first(f)]
    assert not unchecked, f"{page.name}: callbacks that write without checking the session: {unchecked}"


def test_the_check_finds_an_unchecked_callback():
    tree = ast.parse("def save():\n    responses.save_response(db)\nst.button('x', on_click=save)\n")
    (function,) = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert callbacks(tree) == {"save"}
    assert writes_through_a_service(function) and not checks_the_session_first(function)
