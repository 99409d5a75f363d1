"""Where the project's data files are: one place, so moving a module never moves its data."""
from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"  # questionnaires, locale catalogues, rosters, demo vocabulary; the SQLite file
