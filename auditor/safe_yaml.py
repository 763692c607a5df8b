"""The one way the auditor reads YAML (front matter, YAML pairs, post-mortems, site profiles, rule packs).

Contributors write most of it, so a document is composed into its node graph first (libyaml when PyYAML has it:
aliases are shared nodes there, cheap) and checked before any Python value is built: aliases may add at most
`ALIAS_BUDGET` nodes to what the text itself holds (a 400-byte "billion laughs" document would otherwise grow to
gigabytes), and nothing may nest deeper than `MAX_DEPTH` (PyYAML's constructors recurse). A document over either
limit raises `YamlLimitError`, a `yaml.YAMLError` with a mark, so every caller reports it as it reports a syntax
error: with the file and line.
"""

from __future__ import annotations

from typing import Any

import yaml

ALIAS_BUDGET = 10_000
MAX_DEPTH = 50
FastSafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLimitError(yaml.MarkedYAMLError):
    """A document over the alias budget or the depth limit; `problem_mark` is where."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)


def _may_exceed(text: str) -> bool:
    """Whether a document could hold an alias or nest MAX_DEPTH deep: an alias is written `*name`, and every level
    of nesting takes a line, a bracket or a `- ` of its own. Most front matter is neither: its nodes go unwalked."""
    if "*" in text:
        return True
    return text.count("\n") + text.count("[") + text.count("{") + text.count("- ") >= MAX_DEPTH


def check_limits(node: yaml.Node | None, text: str) -> None:
    """Raise YamlLimitError when expanding the aliases of this node graph adds more than ALIAS_BUDGET nodes, or when
    it nests deeper than MAX_DEPTH. The walk stops at the budget, so a bomb costs no more than a normal document."""
    if node is None or not _may_exceed(text):
        return
    seen: set[int] = set()
    visits = 0
    stack: list[tuple[yaml.Node, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise YamlLimitError(f"it nests deeper than {MAX_DEPTH} levels", current.start_mark)
        visits += 1
        if id(current) in seen:
            if visits - len(seen) > ALIAS_BUDGET:
                raise YamlLimitError(f"its aliases expand to more than {ALIAS_BUDGET:,} extra values (a YAML alias "
                                     "bomb)", current.start_mark)
        else:
            seen.add(id(current))
        if isinstance(current, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in current.value)
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))


def compose(text: str, loader_class: type) -> tuple[Any, Any]:
    """(the root node, the loader, still open) for one document, checked against the limits. The caller
    constructs and disposes."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
    except RecursionError:  # the pure-Python composer recurses once per level
        loader.dispose()
        raise YamlLimitError(f"it nests deeper than {MAX_DEPTH} levels", None) from None
    except BaseException:
        loader.dispose()
        raise
    try:
        check_limits(node, text)
    except YamlLimitError:
        loader.dispose()
        raise
    return node, loader


def load(text: str, loader_class: type = FastSafeLoader) -> Any:
    """The Python value of one YAML document, safely (a limit or a syntax error raises yaml.YAMLError)."""
    node, loader = compose(text, loader_class)
    try:
        return loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
