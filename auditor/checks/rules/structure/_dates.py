"""What STR017 and STR018 share: the date-like values of an entry's data and the format each is written in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from auditor.models import Entry

# (format name, pattern); the first that matches names the value's format.
FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("YYYY-MM-DD", r"^\d{4}-\d{2}-\d{2}$"),
    ("YYYY-MM-DDThh:mm:ssZ", r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$"),
    ("YYYY-MM-DD hh:mm:ss+hh:mm", r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?\s?(Z|[+-]\d{2}:?\d{2}|UTC)$"),
    ("YYYY-MM-DDThh:mm", r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"),
    ("YYYY-MM-DD hh:mm", r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?$"),
    ("YYYY/MM/DD", r"^\d{4}/\d{1,2}/\d{1,2}$"),
    ("DD/MM/YYYY or MM/DD/YYYY", r"^\d{1,2}/\d{1,2}/\d{4}$"),
    ("DD.MM.YYYY", r"^\d{1,2}\.\d{1,2}\.\d{4}$"),
    ("Month D, YYYY", r"^[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}$"),
    ("D Month YYYY", r"^\d{1,2} [A-Z][a-z]{2,8}\.? \d{4}$"),
    ("epoch seconds", r"^1\d{9}$"),
))
NO_ZONE = {"YYYY-MM-DDThh:mm", "YYYY-MM-DD hh:mm"}
_DATE_KEY = re.compile(r"(date|updated|_at$|At$|reviewed|published|modified|created|time)", re.IGNORECASE)


def date_format(value: Any) -> str | None:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text or len(text) > 40 or not any(ch.isdigit() for ch in text):
        return None
    for name, pattern in FORMATS:
        if pattern.match(text):
            return name
    return None


def dated_values(entry: Entry) -> Iterator[tuple[str, str, str, int]]:
    """(key, value, format, line) for every date-like value of the entry's data: top-level values, and one level
    down (`version_detail.release_date`). Epoch numbers count only under a date-like key."""
    for key, value in entry.meta.items():
        items = value.items() if isinstance(value, dict) else [("", value)]
        for sub, item in items:
            name = f"{key}.{sub}" if sub else str(key)
            fmt = date_format(item)
            if fmt is None or (fmt == "epoch seconds" and not _DATE_KEY.search(name)):
                continue
            yield name, str(item).strip(), fmt, entry.line_of(str(key))
