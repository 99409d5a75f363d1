"""docs/architecture.md's folder map and README's "Where things are" fail here when they fall
behind the code: a new part, module or page folder must be written down where a newcomer looks."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
PARTS = sorted(path for path in (ROOT / "surveys").iterdir() if (path / "__init__.py").is_file())
PAGE_FOLDERS = sorted(path for path in (ROOT / "app_pages").iterdir() if path.is_dir() and path.name != "__pycache__")


def folder_map() -> dict[str, str]:
    """First cell (the backticked names in it) -> the row's description."""
    section = ARCHITECTURE.split("## Folder map", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 2 and cells[0] not in ("folder", "---"):
            rows[cells[0]] = cells[1]
    return rows


def row_for(path: str) -> str:
    return next(description for names, description in folder_map().items() if f"`{path}`" in names)


def test_every_part_of_the_services_is_on_the_map_with_each_of_its_modules():
    for part in PARTS:
        description = row_for(f"surveys/{part.name}/")
        modules = sorted(module.stem for module in part.glob("*.py") if module.stem != "__init__")
        assert [m for m in modules if f"`{m}`" not in description] == [], part.name


def test_every_page_folder_is_on_the_map():
    for folder in PAGE_FOLDERS:
        assert row_for(f"app_pages/{folder.name}/")


def test_everything_the_map_names_exists():
    named = [name for names in folder_map() for name in re.findall(r"`([^`]+)`", names)]
    assert len(named) > 20
    missing = [name for name in named
               if not (ROOT / name).exists() and not (ROOT / "app_pages" / name).exists()]
    assert missing == []


def test_every_part_has_a_one_line_docstring():
    for part in PARTS:
        for module in [part / "__init__.py", *part.glob("*.py")]:
            text = module.read_text(encoding="utf-8").lstrip()
            assert text.startswith('"""'), f"{module.relative_to(ROOT)} says nothing of itself"


def test_the_readme_points_to_each_part_and_to_the_architecture():
    where = README.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    assert "docs/architecture.md" in where
    assert [part.name for part in PARTS if f"{part.name}/" not in where] == []
    assert [folder.name for folder in PAGE_FOLDERS if f"{folder.name}/" not in where] == []
