"""Whether an entry's text reads as English, cheaply: the share of non-Latin letters, and of common English words
against common words of other Latin-script languages.

The prose rules are tuned for English (word lists, sentence lengths, readability formulas); a translation under
`ja-jp/` or `es-es/` is not badly written English. Thresholds and the word list are in rules/language.yml.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from auditor.checks.base import AuditContext
from auditor.markdown_text import fenced_lines
from auditor.models import Entry

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def reads_as_english(text: str, settings: dict[str, Any]) -> bool:
    """False when the text is mostly non-Latin script, or long enough to tell and more another language's common
    words than English ones."""
    words = _WORD.findall(text.lower())
    if not words:
        return True
    letters = [ch for word in words for ch in word]
    non_latin = sum(1 for ch in letters if ord(ch) > 0x24F and "LATIN" not in unicodedata.name(ch, ""))
    if non_latin / len(letters) > float(settings.get("max_non_latin_share", 0.3)):
        return False
    if len(words) < int(settings.get("min_words", 20)):
        return True
    english = {str(word).lower() for word in settings.get("stopwords") or []}
    foreign = {str(word).lower() for word in settings.get("foreign_stopwords") or []} - english
    english_share = sum(1 for word in words if word in english) / len(words)
    foreign_share = sum(1 for word in words if word in foreign) / len(words)
    return not (foreign_share > english_share and foreign_share >= float(settings.get("min_foreign_share", 0.05)))


def entry_is_english(entry: Entry, ctx: AuditContext) -> bool:
    """Whether the entry's title, summary and body prose (fenced code left out) read as English; cached per run."""
    cache: dict[int, bool] = ctx.__dict__.setdefault("_english", {})
    known = cache.get(id(entry))
    if known is None:
        code = fenced_lines(entry.body_lines)
        body = " ".join(line for line, fenced in zip(entry.body_lines, code, strict=True) if not fenced)
        text = " ".join([entry.title or "", entry.summary or "", body])
        known = cache[id(entry)] = reads_as_english(text, ctx.pack.get("language") or {})
    return known


__all__ = ["entry_is_english", "reads_as_english"]
