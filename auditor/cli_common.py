"""Pieces every command group shares: consoles, the common options, and the finding formats."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from auditor.cli_params import install as _plain_params
from auditor.safe_text import for_terminal

_plain_params()  # typer reads the plain parameter kinds without importing pydantic (auditor.cli_params)


class SafeConsole:
    """Where the commands print: text from the directory's files (titles, owners, paths) is shown with its control
    characters and bidi controls as visible escapes, since a terminal would obey `\\e]0;...\\a`.

    Plain text to a stream that is not a terminal (CI logs, pipes, the tests) is written as it is; anything else
    (a table, a style on a terminal, colour forced by FORCE_COLOR) goes through a rich console made on first use.
    rich's import costs every command about 20 ms, a tenth of a one-file `check`, which prints only lines."""

    _PLAIN_OPTIONS = frozenset({"style", "markup", "highlight", "soft_wrap", "end", "sep"})

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr
        self._rich: Any = None

    def _stream(self) -> Any:
        return sys.stderr if self.stderr else sys.stdout  # looked up each time: tests and runners swap them

    @property
    def rich(self) -> Any:
        """The rich console (made the first time it is needed)."""
        if self._rich is None:
            from rich.console import Console

            # Pipes and CI logs get wide lines instead of rich's 80-column default.
            width = None if self._stream().isatty() else 200
            self._rich = Console(stderr=self.stderr, highlight=False, markup=False, width=width,
                                 soft_wrap=not self.stderr)
        return self._rich

    @property
    def is_terminal(self) -> bool:
        return self.rich.is_terminal

    def print(self, *objects: Any, **kwargs: Any) -> None:  # noqa: A003 - rich's name
        shown = [for_terminal(o, keep_lines=True) if isinstance(o, str) else o for o in objects]
        stream = self._stream()
        if (self._rich is None and all(isinstance(o, str) for o in shown) and not kwargs.get("markup")
                and kwargs.keys() <= self._PLAIN_OPTIONS and not os.environ.get("FORCE_COLOR")
                and not stream.isatty()):
            stream.write(kwargs.get("sep", " ").join(shown) + kwargs.get("end", "\n"))
            stream.flush()  # as rich does: lines on stdout and stderr keep their order in a merged CI log
            return
        self.rich.print(*shown, **kwargs)


out = SafeConsole()
err = SafeConsole(stderr=True)

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
