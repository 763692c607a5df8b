"""auditor.cli_params: typer reads the auditor's parameters without pydantic, and gets what pydantic would give."""

from __future__ import annotations

import subprocess
import sys
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import typer.main
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param

from auditor.cli import app

ROOT = Path(__file__).resolve().parent.parent


def _parameters() -> list[Any]:
    found: list[Any] = []

    def walk(command: Any) -> None:
        found.extend(p for p in getattr(command, "params", []) if hasattr(p, "type_descriptor"))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return found


def _samples(annotation: Any, tmp: Path) -> list[Any]:
    if get_origin(annotation) is list:
        return [tuple(_samples(get_args(annotation)[0], tmp)[:2]), ()]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [*[m.value for m in annotation], *list(annotation), "bogus", "TEXT"]
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return [str(tmp), str(tmp / "missing.md"), "-", "", Path("x/y"), 3]
    return {str: ["abc", "", "-x", 5], int: ["3", "-2", "007", "1_0", " 4", "x", 5, 2.0],
            float: ["1.5", "2", "1e3", "inf", "x", 3, 2.5], bool: [True, False, "yes", "0"]}[annotation]


def _outcome(runtime: Any, value: Any, param: Any) -> tuple[str, Any]:
    try:
        got = runtime._coerce_value(value, param=param, ctx=None)
    except BadParameter as exc:
        return "error", exc.format_message()
    except Exception as exc:  # noqa: BLE001 - compared as they are
        return "error", f"{type(exc).__name__}: {exc}"
    return "value", (type(got), got)


def test_every_parameter_reads_a_value_as_typers_pydantic_path_does(tmp_path: Path) -> None:
    parameters = _parameters()
    kinds = {repr(p.type_descriptor.annotation) for p in parameters}
    assert len(parameters) > 100 and "<class 'pathlib.Path'>" in kinds and "list[str]" in kinds
    compared = 0
    for param in parameters:
        param._runtime_param = None
        plain = param.get_runtime_param()
        assert type(plain).__name__ == "PlainParam", param.name  # every parameter the auditor has is a plain kind
        reference = build_runtime_param(param.type_descriptor)  # typer's own: a pydantic TypeAdapter
        for value in _samples(param.type_descriptor.annotation, tmp_path):
            assert _outcome(plain, value, param) == _outcome(reference, value, param), (param.name, value)
            compared += 1
    assert compared > 500


@pytest.mark.parametrize("argv", [["rules", "list", "--as-of", "2026-01-01"],
                                  ["links", "check", "--format", "json", "--from", "missing-file.txt"]])
def test_a_command_runs_without_importing_pydantic(argv: list[str], tmp_path: Path) -> None:
    script = ("import sys\nfrom auditor.cli import main\nsys.argv = ['auditor', *sys.argv[1:]]\n"
              "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
              "print('pydantic loaded:', 'pydantic' in sys.modules, 'exit:', code, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script, *argv], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert "pydantic loaded: False" in done.stderr, done.stderr
    assert ("exit: 0" if argv[0] == "rules" else "missing-file.txt") in done.stderr + done.stdout


def test_a_bad_value_gets_typers_own_message() -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["links", "check", "--format", "xml", "https://example.com/"])
    assert result.exit_code == 2
    flat = " ".join(result.output.replace("│", " ").split())  # the message as one line, out of rich's box
    assert "Invalid value for '--format': Value error, 'xml' is not one of 'text', 'json'." in flat
