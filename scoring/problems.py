"""Problems found in input or settings, as codes plus values.

The scoring package never words a message itself: a problem carries a code
(``bad_rating``) and the values to show (line, column, value). The command
line, and the app, turn it into text with the locale catalogue key
``scoring.problem.<code>``, so the same problem reads well in Chinese and
English.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    code: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:  # for logs and tracebacks, not for users
        details = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.code}({details})"


class ProblemsError(ValueError):
    """Raised with every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class InputError(ProblemsError):
    """The responses file cannot be scored as it stands."""


class ConfigError(ProblemsError):
    """The scoring settings are not usable."""
