"""Several counties in one deployment (DESIGN §7, issue 16): which counties there are and where
each county's database file is.

``QIPING_COUNTIES`` names a TOML file; without it the deployment is one county, its database at
``QIPING_DB`` exactly as before. The file lists each county under its slug, the word in the address
that chooses it (``?county=<slug>``)::

    [counties.qingchuan]
    name = "Qingchuan"        # the county's name as its people read it
    db = "qingchuan.db"        # relative to this file's folder, or absolute

A city office (issue 16 item 2) is listed the same way under ``[cities.<slug>]`` with
``covers = ["qingchuan", …]``; its own small file holds its accounts only.

Each county's data lives in its own SQLite file; nothing here opens one. Which county a browser
session belongs to is decided once per session (app_pages/ui.py ``county``).
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from surveys.core.errors import InvalidInput

SLUG = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


@dataclass(frozen=True)
class County:
    slug: str
    name: str
    db: Path
    demo_seed: int | None = None  # the demo builds this county from its own random stream
    covers: tuple[str, ...] = ()  # a city office: the counties whose published results it sees

    @property
    def is_city(self) -> bool:
        return bool(self.covers)


def config_path() -> Path | None:
    value = os.environ.get("QIPING_COUNTIES")
    return Path(value) if value else None


def _county(slug: str, entry, folder: Path) -> County:
    where = f"counties.{slug}"
    if not SLUG.match(slug):
        raise InvalidInput("counties.bad_slug", where=where)
    if not isinstance(entry, dict):
        raise InvalidInput("counties.bad_entry", where=where)
    name, db = entry.get("name"), entry.get("db")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("counties.missing_field", where=where, field="name")
    if not isinstance(db, str) or not db.strip():
        raise InvalidInput("counties.missing_field", where=where, field="db")
    seed = entry.get("demo_seed")
    if seed is not None and not isinstance(seed, int):
        raise InvalidInput("counties.bad_seed", where=where)
    path = Path(db)
    return County(slug, name.strip(), (path if path.is_absolute() else folder / path).resolve(), seed)


def parse(text: str, folder: Path) -> dict[str, County]:
    """The counties of a configuration file's ``text`` (relative paths from ``folder``), in its order.
    Two counties never share a file: that would put one county's data in the other's reach."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput("counties.bad_toml", problem=str(error)) from None
    entries = data.get("counties")
    if not isinstance(entries, dict) or not entries:
        raise InvalidInput("counties.none")
    counties = {slug: _county(slug, entry, folder) for slug, entry in entries.items()}
    cities = data.get("cities", {})
    if not isinstance(cities, dict):
        raise InvalidInput("counties.bad_entry", where="cities")
    for slug, entry in cities.items():
        city = _county(slug, entry, folder)
        covers = entry.get("covers")
        if slug in counties:
            raise InvalidInput("counties.same_slug", where=f"cities.{slug}")
        if not isinstance(covers, list) or not covers or any(name not in counties for name in covers):
            raise InvalidInput("counties.bad_covers", where=f"cities.{slug}")
        counties[slug] = replace(city, covers=tuple(covers))
    seen: dict[Path, str] = {}
    for county in counties.values():
        if county.db in seen:
            raise InvalidInput("counties.shared_file", first=seen[county.db], second=county.slug)
        seen[county.db] = county.slug
    return counties


def load(path: Path | None = None) -> dict[str, County] | None:
    """The configured counties, or None for a single-county deployment (no ``QIPING_COUNTIES``)."""
    path = path or config_path()
    if path is None:
        return None
    return parse(path.read_text(encoding="utf-8"), path.resolve().parent)


def city_covering(city: County, known: dict[str, County]) -> list[County]:
    """The counties a city office covers, in its file's order."""
    return [known[slug] for slug in city.covers if slug in known and not known[slug].is_city]


def county_for(slug: str | None, counties: dict[str, County]) -> County | None:
    """The county an address names, or None when it names none of them."""
    return counties.get(slug) if isinstance(slug, str) else None
