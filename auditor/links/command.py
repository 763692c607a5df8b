"""`auditor links check`: check URLs given on the command line or in a file, without a directory."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.links.book import LinkBook, by_host
from auditor.links.results import VERDICTS, LinkResult
from auditor.safe_text import for_terminal


class UsageError(ValueError):
    pass


def read_url_file(path: Path) -> list[str]:
    """One URL per line; blank lines and lines starting with # are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def check_urls(urls: list[str], settings: dict[str, Any], pack: dict[str, Any], as_of: dt.date,
               progress: Callable[[str, int | None], Callable[[int], None]] | None = None,
               **kwargs: Any) -> tuple[list[LinkResult], dict[str, Any]]:
    bad = [u for u in urls if not u.lower().startswith(("http://", "https://"))]
    if bad:
        raise UsageError(f"not a web URL: {bad[0]} (http:// or https:// only)")
    book = LinkBook.from_settings(settings, pack, as_of, progress=progress, **kwargs)
    started = time.monotonic()
    unique = list(dict.fromkeys(urls))
    judged = book.check_urls(unique)
    results = [judged[u].result for u in unique if u in judged]
    counts = {v: sum(1 for r in results if r.verdict == v) for v in VERDICTS}
    summary = {
        "urls": len(results),
        "skipped": len(unique) - len(results),
        "by_verdict": counts,
        "by_host": by_host(results),
        "network": "unavailable" if book.network_down else "available",
        "requests": book.requests,
        "seconds": round(time.monotonic() - started, 2),
    }
    return results, summary


def as_json(results: list[LinkResult], summary: dict[str, Any]) -> str:
    return json.dumps({"results": [r.as_dict() for r in results], "summary": summary}, indent=2) + "\n"


def as_text(results: list[LinkResult], summary: dict[str, Any]) -> str:
    lines = []
    # URLs come from the user's files, reasons and suggestions quote what servers answered (a Location header):
    # control characters and bidi overrides are shown as escapes, never sent to the terminal.
    for r in results:
        status = str(r.status) if r.status is not None else "-"
        line = f"{r.verdict:<16} {status:>3}  {for_terminal(r.url)}"
        if r.reason and r.verdict != "alive":
            line += f"  ({for_terminal(r.reason)})"
        if r.suggestion:
            line += f"\n{'':<21}-> {for_terminal(r.suggestion)}"
        lines.append(line)
    lines.append("")
    counts = ", ".join(f"{n} {v}" for v, n in summary["by_verdict"].items() if n) or "nothing"
    lines.append(f"{summary['urls']} URLs in {summary['seconds']} s ({summary['requests']} requests): {counts}")
    if summary["network"] == "unavailable":
        lines.append("The network is unavailable: links that failed before HTTP are unverified, not broken.")
    lines.append("By host:")
    for host, verdicts in summary["by_host"].items():
        lines.append(f"  {for_terminal(host)}: " + ", ".join(f"{n} {v}" for v, n in verdicts.items()))
    return "\n".join(lines) + "\n"


def exit_status(results: list[LinkResult]) -> int:
    """1 when a link is broken or misses its #fragment, else 0 (blocked and unverified links never fail)."""
    return 1 if any(r.verdict in ("broken", "fragment-missing") for r in results) else 0
