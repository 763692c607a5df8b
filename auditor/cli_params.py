"""Command-line values read without pydantic: a tenth to a fifth of a second off every command's start.

Typer (0.16 and later) turns each command-line value into its Python type through a pydantic `TypeAdapter`, built
the first time the parameter is read, so every command imports pydantic (0.1-0.2 s with `importlib.metadata`,
which its plugin loader imports) before it does anything: more than `auditor links check` needs to send its first
request. The auditor's parameters are all of a few plain kinds (str, int, float, bool, Path, an Enum of choices,
lists of str or Path), and for a value that is valid, what pydantic gives back for them is plain Python: the
string itself, `int(text)`, `Path(text)`, the Enum member. `install()` has typer read those values so, and hands
every other value, and any value that does not convert cleanly, to typer's own pydantic path, so the error shown
for a bad value is typer's, word for word. With a typer that has no such path (before 0.16) nothing changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


class _Heavy(Exception):  # noqa: N818 - not an error: this value goes to typer's own (pydantic) coercion
    pass


def _plain(annotation: Any, info: Any, value: Any, param: Any, ctx: Any) -> Any:
    """`value` as `annotation`, as typer's pydantic adapter would give it for a valid value, or _Heavy."""
    from typer._param_types import coerce_cli_choice, coerce_cli_path

    kind = type(value)
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        items = value if isinstance(value, list | tuple) else [value]
        return [_plain(item, info, v, param, ctx) for v in items]
    if annotation is str and kind is str:
        return value
    if annotation is bool and kind is bool:
        return value
    if annotation is int and info.min is None and info.max is None:
        if kind is int or (kind is str and _INT.fullmatch(value)):
            return int(value)
    if annotation is float and info.min is None and info.max is None:
        if kind is float or (kind is str and _FLOAT.fullmatch(value)):
            return float(value)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return coerce_cli_choice(value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx)
    if isinstance(annotation, type) and issubclass(annotation, Path) and info.path_type is None:
        if kind is str and value:
            value = annotation(value)
        if isinstance(value, annotation):  # the checks (exists, readable, ...) as typer makes them
            return coerce_cli_path(value, info, path_type=annotation, param=param, ctx=ctx)
    raise _Heavy


_SIMPLE = (str, bool, int, float)


def _handled(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        args = get_args(annotation)
        return len(args) == 1 and _handled(args[0])
    if annotation in _SIMPLE:
        return True
    return isinstance(annotation, type) and issubclass(annotation, Enum | Path)


def install() -> None:
    """Have typer read the plain kinds of values without pydantic (see the module's docstring); idempotent."""
    try:
        from typer import core
        from typer._coercion import RuntimeParam, build_runtime_param
    except ImportError:  # a typer without pydantic coercion
        return
    parameter = getattr(core, "_TyperParameter", None)
    if parameter is None or not hasattr(parameter, "get_runtime_param") or getattr(parameter, "_auditor_plain", False):
        return

    @dataclass(frozen=True)
    class PlainParam(RuntimeParam):  # type: ignore[misc, valid-type]
        """A parameter of a plain kind; typer's own coercion for a value that is not plainly valid."""

        descriptor: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return _plain(self.annotation, self.parameter_info, value, param, ctx)
            except Exception:  # noqa: BLE001 - typer's path decides, and words the error
                return build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            descriptor = self.type_descriptor
            if descriptor.file_annotation is None and descriptor.parameter_info.parser is None \
                    and _handled(descriptor.annotation):
                self._runtime_param = PlainParam(parameter_info=descriptor.parameter_info,
                                                 annotation=descriptor.annotation, descriptor=descriptor)
            else:
                self._runtime_param = build_runtime_param(descriptor)
        return self._runtime_param

    parameter.get_runtime_param = get_runtime_param
    parameter._auditor_plain = True
