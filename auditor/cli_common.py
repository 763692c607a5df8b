"""Pieces every command group shares: consoles, the common options, and the finding formats."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from auditor.cli_params import install as _plain_params
from auditor.safe_text import for_terminal

_plain_params()  # typer reads the plain parameter kinds without importing pydantic (auditor.cli_params)


class SafeConsole(Console):
    """A console that shows the control characters and bidi controls of the text it prints as visible escapes:
    titles, owners and paths come from the directory's files, and a terminal would obey `\\e]0;...\\a`."""

    def print(self, *objects: Any, **kwargs: Any) -> None:  # noqa: A003 - rich's name
        super().print(*(for_terminal(o, keep_lines=True) if isinstance(o, str) else o for o in objects), **kwargs)


# Pipes and CI logs get wide lines instead of rich's 80-column default.
out = SafeConsole(highlight=False, soft_wrap=True, markup=False, width=None if sys.stdout.isatty() else 200)
err = SafeConsole(stderr=True, highlight=False, markup=False, width=None if sys.stderr.isatty() else 200)

AsOf = Annotated[str | None, typer.Option("--as-of", help="The date every check compares with (YYYY-MM-DD).",
                                          metavar="DATE")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="auditor.toml to use instead of the directory's.")]


class Level(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"
    none = "none"


class FindingFormat(str, Enum):
    text = "text"
    github = "github"
    json = "json"
    sarif = "sarif"
