"""Refusals the services raise. Each carries a catalogue key, so the page
shows it in the reader's language."""
from __future__ import annotations

from dataclasses import dataclass

from i18n import DEFAULT_LANGUAGE, t
from surveys.core import clock


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

    def message(self, lang: str = DEFAULT_LANGUAGE, quote=None) -> str:
        """The message in ``lang``. ``quote`` (str -> str), when given, is applied to every
        value the message quotes (what the user typed, a name from the roster) and not to
        the catalogue's own words: a page drawing Markdown passes its escaper."""
        values = _localise(self.values, lang)
        if quote is not None:
            values = {k: quote(v) if isinstance(v, str) else v for k, v in values.items()}
        return t(self.key, lang, **values)


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


MAX_LISTED = 50  # problems named one by one; past that a person fixes the pattern, not a list


class ProblemList:
    """The problems found in a file: all counted, the first ``MAX_LISTED`` kept,
    so that a file of bad rows cannot fill memory with messages."""

    def __init__(self):
        self._kept: list[RowProblem] = []
        self._total = 0

    def append(self, problem: RowProblem) -> None:
        self._total += 1
        if len(self._kept) < MAX_LISTED:
            self._kept.append(problem)

    def __len__(self) -> int:
        return self._total

    def __iter__(self):
        return iter(self._kept)


class ImportRefused(QipingError):
    """A file with bad rows, nothing imported: the first problems listed, the rest counted."""

    def __init__(self, problems: list[RowProblem] | ProblemList):
        self.total = len(problems)
        self.problems = list(problems)[:MAX_LISTED]
        super().__init__("import.refused", count=self.total)

    def details(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        lines = [p.message(lang) for p in self.problems]
        if self.total > len(self.problems):
            lines.append(t("import.more_problems", lang, count=self.total - len(self.problems)))
        return lines


class StorageBusy(QipingError):
    """The database stayed locked by other writers past the write budget: nothing
    was stored, and the user may simply press the button again."""

    def __init__(self):
        super().__init__("errors.storage_busy")
