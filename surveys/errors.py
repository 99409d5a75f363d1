"""Refusals the services raise. Each carries a catalogue key, so the page
shows it in the reader's language."""
from __future__ import annotations

from dataclasses import dataclass

from i18n import DEFAULT_LANGUAGE, t


class Term(str):
    """A value that is itself a catalogue key, translated when the message is shown."""


def _localise(values: dict, lang: str) -> dict:
    return {k: t(v, lang) if isinstance(v, Term) else v for k, v in values.items()}


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
        return t("import.row_problem", lang, line=self.line, column=self.column, reason=reason)


class ImportRefused(QipingError):
    """A file with bad rows: every problem listed, nothing imported."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        super().__init__("import.refused", count=len(problems))

    def details(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        return [p.message(lang) for p in self.problems]


class StorageBusy(QipingError):
    """The database stayed locked by other writers past the write budget: nothing
    was stored, and the user may simply press the button again."""

    def __init__(self):
        super().__init__("errors.storage_busy")
