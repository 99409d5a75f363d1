"""Refusals the services raise. Each carries a catalogue key, so the page
shows it in the reader's language."""
from __future__ import annotations

from dataclasses import dataclass

from i18n import DEFAULT_LANGUAGE, t
from surveys import clock


class Term(str):
    """A value that is itself a catalogue key, translated when the message is shown."""


class Moment(str):
    """A stored UTC timestamp, shown in county time the reader's way when the message is shown."""


def _localise_value(value, lang: str):
    if isinstance(value, Term):
        return t(value, lang)
    if isinstance(value, Moment):
        return clock.format_datetime(value, lang)
    return value


def _localise(values: dict, lang: str) -> dict:
    return {k: _localise_value(v, lang) for k, v in values.items()}


class QipingError(Exception):
    """A refusal with a message for people: ``message(lang)``."""

    def __init__(self, key: str, **values):
        self.key = key
        self.values = values
        super().__init__(self.message(DEFAULT_LANGUAGE))

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return t(self.key, lang, **_localise(self.values, lang))


class PermissionDenied(QipingError):
    pass


class NotFound(QipingError):
    pass


class InvalidInput(QipingError):
    pass


class RoundNotOpen(QipingError):
    pass


class SignInRefused(QipingError):
    pass


@dataclass(frozen=True)
class RowProblem:
    """One bad cell of an imported file: where it is and what is wrong."""

    line: int
    column: str
    key: str
    values: tuple = ()

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        reason = t(self.key, lang, **_localise(dict(self.values), lang))
        column = t(self.column, lang) if isinstance(self.column, Term) else self.column
        return t("import.row_problem", lang, line=self.line, column=column, reason=reason)


class ImportRefused(QipingError):
    """A file with bad rows: every problem listed, nothing imported."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        super().__init__("import.refused", count=len(problems))

    def details(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        return [p.message(lang) for p in self.problems]
