import re
from collections.abc import Iterable
from functools import lru_cache

from auditor.checks.base import AuditContext, Rule
from auditor.markdown_text import fenced_lines
from auditor.models import Entry, Finding, Severity


@lru_cache(maxsize=8)
def _prefilter(words: tuple[str, ...], patterns: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[re.Pattern[str], ...]]:
    """Cheap tests that any placeholder may be present: lower-cased words as substrings, each pattern alone
    (a lone pattern with a literal start is scanned fast; the alternation of all of them is not)."""
    return tuple(word.lower() for word in words), tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@lru_cache(maxsize=8)
def _pattern(words: tuple[str, ...], patterns: tuple[str, ...], capitals: tuple[str, ...] = ()) -> re.Pattern[str]:
    # One group for all the words: the engine tests the word boundary once, not once per word.
    parts = list(patterns)
    if words:
        parts.insert(0, r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)")
    if capitals:
        parts.insert(0, r"(?-i:(?<!\w)(?:" + "|".join(re.escape(word) for word in capitals) + r")(?!\w))")
    return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)


# Inline `code` and "quoted" text: a placeholder written there is shown or talked about, not left in.
_SHOWN = re.compile(r"(`+)[^`]+?\1|\"[^\"\n]*\"|“[^”\n]*”")


@lru_cache(maxsize=8)
def _mentions(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE) if patterns else None


def _left_in(text: str, pattern: re.Pattern[str], mentions: re.Pattern[str] | None) -> re.Match[str] | None:
    """The first placeholder on a line that is left in: not in code or quotes, not inside a mention."""
    spans: list[tuple[int, int]] | None = None  # worked out for the lines that hold a placeholder at all
    for match in pattern.finditer(text):
        if spans is None:
            spans = [m.span() for m in _SHOWN.finditer(text)] if ("`" in text or '"' in text or "“" in text) else []
            spans += [m.span() for m in mentions.finditer(text)] if mentions is not None else []
        start, end = match.span()
        if not any(a <= start and end <= b for a, b in spans):
            return match
    return None


class PlaceholderText(Rule):
    code = "STR012"
    name = "structure.placeholder-text"
    severity = Severity.warning
    depends_on = "entry"
    reason = "PLACEHOLDER"
    title = "Placeholder text (TODO, TBD, lorem ipsum) is left in the entry"
    what = ("Reports words (in any case), capital words (only as written) and patterns listed in "
            "`rules/placeholders.yml`, in the front matter's text and in the body. A placeholder that is talked "
            "about is not one: fenced and inline code, \"quoted\" text and the file's `mentions` (\"a TODO "
            "list\", \"mark unknowns as TBD\") are skipped, and so are template slots (`prompt_slots`: `ALT-XXX`, "
            "`[Brief description]`) in prompt files (the `prompt_files` setting: agents, instructions, skill "
            "bodies).")
    why = "Placeholders are notes to the author that readers should never see; they also mark facts nobody checked."
    example = "`- TODO: add pricing details` under Key features."
    fix = "Replace the placeholder with the real content, or remove the line."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        data = ctx.pack.get("placeholders", {})
        words, patterns = tuple(data.get("words", [])), tuple(data.get("patterns", []))
        capitals = tuple(data.get("capital_words", []))
        # Most entries hold no placeholder: cheap tests over the whole text spare the per-line loop.
        whole = "\n".join([entry.title or "", entry.summary or "", *entry.body_lines])
        lowered_words, lone_patterns = _prefilter(words, patterns)
        lowered = whole.lower()
        if (not any(word in lowered for word in lowered_words) and not any(word in whole for word in capitals)
                and not any(p.search(whole) for p in lone_patterns)):
            return
        pattern = _pattern(words, patterns, capitals)
        mentions = _mentions(tuple(data.get("mentions", []))
                             + (tuple(data.get("prompt_slots", [])) if entry.for_model else ()))
        for key in ("title", "summary"):
            value = getattr(entry, key)
            if value and (match := _left_in(str(value), pattern, mentions)):
                yield self._found(entry, match.group(0), entry.line_of(key), value)
        body = [] if entry.body_repeats_summary else entry.body_lines  # a list bullet: its summary was read above
        code = fenced_lines(body)
        for offset, text in enumerate(body):
            if code[offset]:
                continue
            if match := _left_in(text, pattern, mentions):
                yield self._found(entry, match.group(0), entry.body_start + offset, text)

    def _found(self, entry: Entry, word: str, line: int, text: str) -> Finding:
        return self.finding(
            entry, f"placeholder text `{word}` left in the entry", line=line,
            key=f"{word.lower()}:{text.strip().lower()}", evidence=text.strip()[:200],
            fix="Replace the placeholder with the real content, or remove the line.",
        )
