"""Whether an entry's text reads as English, cheaply: the share of non-Latin letters, and of common English words
against common words of other Latin-script languages.

The prose rules are tuned for English (word lists, sentence lengths, readability formulas); a translation under
`ja-jp/` or `es-es/` is not badly written English. Thresholds and the word list are in rules/language.yml.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.checks.base import AuditContext
from auditor.markdown_text import fenced_lines
from auditor.models import Entry

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


# Letters outside Basic Latin..Latin Extended-B that are still Latin (Latin Extended Additional, -C, -D, -E and the
# fullwidth forms); every other letter past U+024F is another script.
_NON_LATIN = re.compile(
    "[^\u0000-\u024f\u1e00-\u1eff\u2c60-\u2c7f\ua720-\ua7ff\uab30-\uab6f\uff21-\uff3a\uff41-\uff5a]")


def _word_sets(settings: dict[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    key = (tuple(settings.get("stopwords") or ()), tuple(settings.get("foreign_stopwords") or ()))
    sets = _SETS.get(key)
    if sets is None:
        english = frozenset(str(word).lower() for word in key[0])
        sets = _SETS[key] = (english, frozenset(str(word).lower() for word in key[1]) - english)
    return sets


_SETS: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[frozenset[str], frozenset[str]]] = {}


def reads_as_english(text: str, settings: dict[str, Any]) -> bool:
    """False when the text is mostly non-Latin script, or long enough to tell and more another language's common
    words than English ones."""
    # A sample tells the language as well as the whole text does, at a fixed cost per entry.
    text = text[: int(settings.get("sample_chars", 1000))]
    words = _WORD.findall(text.lower())
    if not words:
        return True
    if not text.isascii():  # (most entries are ASCII: no letter to look at one by one)
        letters = "".join(words)
        if len(_NON_LATIN.findall(letters)) / len(letters) > float(settings.get("max_non_latin_share", 0.3)):
            return False
    if len(words) < int(settings.get("min_words", 20)):
        return True
    english, foreign = _word_sets(settings)
    english_share = sum(1 for word in words if word in english) / len(words)
    foreign_share = sum(1 for word in words if word in foreign) / len(words)
    return not (foreign_share > english_share and foreign_share >= float(settings.get("min_foreign_share", 0.05)))


def entry_is_english(entry: Entry, ctx: AuditContext) -> bool:
    """Whether the entry's title, summary and body prose (fenced code left out) read as English; cached per run."""
    cache: dict[int, bool] = ctx.__dict__.setdefault("_english", {})
    known = cache.get(id(entry))
    if known is None:
        settings = ctx.pack.get("language") or {}
        sample = int(settings.get("sample_chars", 1000))
        head, size = [], 0
        for line in entry.body_lines:  # only as many lines as the sample needs (fences are judged on those)
            head.append(line)
            size += len(line)
            if size > 2 * sample:
                break
        body = " ".join(line for line, fenced in zip(head, fenced_lines(head), strict=True) if not fenced)
        text = " ".join([entry.title or "", entry.summary or "", body])
        known = cache[id(entry)] = reads_as_english(text, settings)
    return known


__all__ = ["entry_is_english", "reads_as_english"]
