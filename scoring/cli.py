"""``python -m scoring``: grade a responses file, list its anomaly signals, or grade a year.

    python -m scoring grade FILE [--config FILE.toml] [--detail]
    python -m scoring anomalies FILE [--config FILE.toml]
    python -m scoring annual RESULTS [--work FILE] [--veto FILE] [--config FILE.toml]

Results go to standard output as CSV; problems go to standard error, worded
in the language of ``QIPING_LANG`` (zh by default), and then nothing is
written to standard output. Exit status: 0 done, 1 bad input or settings,
2 bad command line.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from scoring.annual import YEAR_COLUMNS, grade_year
from scoring.annual_io import known_years, read_quarterly, read_veto, read_work
from scoring.anomalies import detect_anomalies
from scoring.config import DEFAULT_CONFIG, ScoringConfig, weights_from_toml
from scoring.io import read_responses
from scoring.pipeline import grade_rounds
from scoring.problems import ConfigError, InputError, Problem
from scoring.rounding import round_half_up_array

OUTPUT_COLUMNS = ["round", "agency", "n", "score", "grade", "action"]
DETAIL_COLUMNS = ["ci_low", "ci_high", "flag", "rank", "uncertain"]
MAX_PROBLEMS_SHOWN = 200  # a broken million-row file should not flood the terminal
EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    lang = _language()
    args = _parser(lang).parse_args(argv)
    try:
        config, weights = _settings(args.config)
    except ConfigError as e:
        return _report(e.problems, args.config, lang)
    if args.command == "annual":
        return _annual(args, config, lang)
    try:
        loaded = read_responses(args.file, config)
        weights = _weights_for(loaded.items, weights)
    except InputError as e:
        return _report(e.problems, args.file, lang)
    except ConfigError as e:
        return _report(e.problems, args.config, lang)
    if args.command == "grade":
        text = grade_csv(loaded.frame, loaded.items, weights, config, detail=args.detail)
    else:
        text = detect_anomalies(loaded.frame, loaded.items, config).to_csv(index=False, lineterminator="\n")
    _write_stdout(text)
    return EXIT_OK


def grade_csv(frame, items, weights, config: ScoringConfig, detail: bool = False) -> str:
    """The CSV the command prints: the six contract columns, then the detail columns if asked."""
    result = grade_rounds(frame, items, weights, config)
    out = pd.DataFrame(
        {
            "round": result["round"],
            "agency": result["agency"],
            "n": result["n"],
            "score": _one_decimal(result["score"]),
            "grade": result["grade"],
            "action": result["action"],
        }
    )
    if detail:
        out["ci_low"] = _one_decimal(pd.Series(round_half_up_array(result["ci_low"].to_numpy())))
        out["ci_high"] = _one_decimal(pd.Series(round_half_up_array(result["ci_high"].to_numpy())))
        out["flag"] = result["flag"].fillna("")
        out["rank"] = ["" if rank is None else str(rank) for rank in result["rank"]]
        out["uncertain"] = np.where(result["uncertain"], "true", "false")
    return out.to_csv(index=False, lineterminator="\n")


def _annual(args, config: ScoringConfig, lang: str) -> int:
    """Read the three files (reporting the problems of every one of them), then print the year's results."""
    reports: list[tuple[list[Problem], str]] = []
    try:
        quarterly = read_quarterly(args.results, config)
    except InputError as e:
        reports.append((e.problems, args.results))
        quarterly = None
    known = known_years(quarterly) if quarterly is not None else None  # None: not checked against the results
    extra = {}
    for name, path, reader in (("work", args.work, read_work), ("veto", args.veto, read_veto)):
        if path is None:
            continue
        try:
            extra[name] = reader(path, known)
        except InputError as e:
            reports.append((e.problems, path))
    if reports:
        for problems, path in reports:
            _report(problems, path, lang)
        return EXIT_BAD_INPUT
    _write_stdout(annual_csv(grade_year(quarterly, extra.get("work"), extra.get("veto"), config)))
    return EXIT_OK


def annual_csv(year: pd.DataFrame) -> str:
    """The CSV of the annual command: ``YEAR_COLUMNS``, empty fields for missing values."""
    out = pd.DataFrame(
        {
            "year": year["year"],
            "agency": year["agency"],
            "quarters": year["quarters"],
            "survey_score": _one_decimal(year["survey_score"]),
            "work_score": [_as_written(v) for v in year["work_score"].to_numpy(dtype=float)],
            "score": _one_decimal(year["score"]),
            "grade": year["grade"],
            "rank": ["" if rank is None else str(rank) for rank in year["rank"]],
        }
    )
    return out[YEAR_COLUMNS].to_csv(index=False, lineterminator="\n")


def _as_written(value: float) -> str:
    """A work score as entered (88 → 88.0, 88.25 → 88.25); empty when there is none."""
    if np.isnan(value):
        return ""
    return f"{value:.1f}" if round(value, 1) == value else repr(float(value))


def _one_decimal(values: pd.Series) -> list[str]:
    # The scores are already rounded half up; formatting only prints that tenth.
    return ["" if np.isnan(v) else f"{v:.1f}" for v in values.to_numpy(dtype=float)]


def _settings(config_path: str | None) -> tuple[ScoringConfig, dict[str, float] | None]:
    if config_path is None:
        return DEFAULT_CONFIG, None
    return ScoringConfig.from_toml(config_path), weights_from_toml(config_path)


def _weights_for(items: list[str], weights: dict[str, float] | None) -> dict[str, float] | None:
    """Weights from the settings file must name exactly the file's items."""
    if weights is None:
        return None
    problems = [Problem("weight_missing", {"item": item}) for item in items if item not in weights]
    problems += [Problem("weight_unknown_item", {"item": item}) for item in weights if item not in items]
    if problems:
        raise ConfigError(problems)
    return weights


# --- output ----------------------------------------------------------------------


def _report(problems: list[Problem], source: str | None, lang: str) -> int:
    name = Path(source).name if source else ""
    shown = problems[:MAX_PROBLEMS_SHOWN]
    lines = [t("scoring.cli.problem_line", lang, file=name, message=_words(p, lang)) for p in shown]
    if len(problems) > len(shown):
        lines.append(t("scoring.cli.more_problems", lang, count=len(problems) - len(shown)))
    sys.stderr.write("\n".join(lines) + "\n")
    return EXIT_BAD_INPUT


def _words(problem: Problem, lang: str) -> str:
    params = dict(problem.params)
    if problem.code == "config_bad_type":
        params["expected"] = t(f"scoring.type.{params['expected']}", lang)
    return t(f"scoring.problem.{problem.code}", lang, **params)


def _write_stdout(text: str) -> None:
    # Agency codes may be Chinese: write UTF-8 whatever the terminal's locale says.
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


# --- command line ------------------------------------------------------------------


def _language() -> str:
    lang = os.environ.get("QIPING_LANG", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


class _Parser(argparse.ArgumentParser):
    """argparse with its English usage and errors replaced by catalogue text."""

    lang = DEFAULT_LANGUAGE

    def error(self, message):
        sys.stderr.write(t("scoring.cli.usage", self.lang) + "\n")
        sys.exit(EXIT_USAGE)

    def print_help(self, file=None):
        (file or sys.stdout).write(t("scoring.cli.help", self.lang) + "\n")


def _parser(lang: str) -> argparse.ArgumentParser:
    _Parser.lang = lang
    parser = _Parser(prog="python -m scoring")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("grade", "anomalies"):
        command = commands.add_parser(name)
        command.add_argument("file")
        command.add_argument("--config")
        if name == "grade":
            command.add_argument("--detail", action="store_true")
    annual = commands.add_parser("annual")
    annual.add_argument("results")
    annual.add_argument("--work")
    annual.add_argument("--veto")
    annual.add_argument("--config")
    return parser
