"""One string object for short text that repeats across entries (headings, fences, front-matter keys and values,
ids in `related`): at 50,000 generated entries a third of the loaded heap was copies of the same strings, and
every copy is a page a forked check worker may have to duplicate (auditor/checks/engine.py)."""

from __future__ import annotations

SHORT = 120  # longer lines rarely repeat (in real directories nearly all repeats are shorter than 80)
_POOL_LIMIT = 300_000  # the pool is emptied when it holds this many strings, so it never grows without bound
_pool: dict[str, str] = {}


def shared(text: str) -> str:
    """`text`, or the equal string read before it when it is short."""
    if len(text) > SHORT:
        return text
    if len(_pool) >= _POOL_LIMIT:
        _pool.clear()
    return _pool.setdefault(text, text)


def share_lines(lines: list[str]) -> None:
    """The short lines of `lines` replaced in place by the equal strings read before."""
    if len(_pool) + len(lines) >= _POOL_LIMIT:
        _pool.clear()
    pooled = _pool.setdefault
    for index, line in enumerate(lines):
        if len(line) <= SHORT:
            lines[index] = pooled(line, line)


def forget() -> None:
    """Empty the pool (loading is over: its table is not needed while the entries are checked)."""
    _pool.clear()
