"""Reading incident-response prose: sentences with their lines, severity-level definitions, deadlines,
quoted spans and blaming language. Word lists come from `rules/incident.yml` (the `incident` pack)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from auditor.markdown_text import fenced_lines
from auditor.models import Entry

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“‘(\[]?[A-Z0-9])")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|‘[^’\n]*’|`[^`\n]*`|(?<!\w)'[^'\n]*'(?!\w)")

NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "twenty-four": 24, "thirty": 30,
    "forty-five": 45, "forty-eight": 48, "sixty": 60, "seventy-two": 72, "ninety": 90,
}
UNIT_MINUTES = {"minute": 1, "min": 1, "hour": 60, "hr": 60, "h": 60, "day": 1440, "business day": 1440,
                "working day": 1440, "week": 10080}
_NUMBER = r"\d+(?:\.\d+)?|" + "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))
_UNIT = r"business\s+days?|working\s+days?|minutes?|mins?|hours?|hrs?|h|days?|weeks?"


def _duration(n: int) -> str:
    return rf"(?P<num{n}>{_NUMBER})(?:\s+|-)?(?P<unit{n}>{_UNIT})\b"


# A deadline, not a cadence: "within 15 minutes", "no later than 2 hours", "48 hours after resolution".
DEADLINE = re.compile(
    rf"\b(?:within|no\s+later\s+than|in\s+under|in\s+less\s+than|at\s+most|inside(?:\s+of)?)\s+(?:the\s+first\s+)?"
    rf"{_duration(1)}"
    rf"|(?<![\w-]){_duration(2)}\s+(?:of|after|from|following)\s+(?:the\s+)?"
    rf"(?:declar|resol|restor|mitigat|detect|incident|outage|start)",
    re.IGNORECASE,
)
CADENCE = re.compile(rf"\bevery\s+{_duration(1)}|(?<![\w-]){_duration(2)}\s+(?:intervals|cadence)", re.IGNORECASE)


@dataclass
class Sentence:
    line: int
    text: str
    where: str  # summary | body


def phrase_pattern(words: list[str] | tuple[str, ...]) -> str:
    """A regex alternation of literal phrases, longest first; a space matches any run of spaces or a hyphen."""
    parts = []
    for word in sorted({str(w).strip() for w in words if str(w).strip()}, key=len, reverse=True):
        parts.append(r"[\s-]+".join(re.escape(piece) for piece in re.split(r"[\s-]+", word)))
    return "|".join(parts) or r"(?!)"


def word_regex(words: list[str] | tuple[str, ...]) -> re.Pattern[str]:
    """Any of the phrases as whole words, plurals included ("post-mortem" finds "post-mortems")."""
    return re.compile(rf"(?<![\w-])(?:{phrase_pattern(words)})(?:s|es)?(?!\w)", re.IGNORECASE)


def sentences(entry: Entry) -> list[Sentence]:
    """The summary and the body prose (headings and fenced code left out), one item per sentence."""
    found: list[Sentence] = []
    if entry.summary:
        summary = " ".join(str(entry.summary).split())
        line = entry.line_of("summary")
        found.extend(Sentence(line, part, "summary") for part in _split(summary))
    code = fenced_lines(entry.body_lines)
    for offset, text in enumerate(entry.body_lines):
        if code[offset] or _HEADING.match(text) or not text.strip():
            continue
        cleaned = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", text).strip()
        found.extend(Sentence(entry.body_start + offset, part, "body") for part in _split(cleaned))
    return found


def split_sentences(text: str) -> list[str]:
    return _split(" ".join(text.split()))


def _split(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def quoted_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _QUOTED.finditer(text)]


def inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in spans)


def minutes_of(number: str, unit: str) -> float:
    text = number.lower()
    value = float(NUMBER_WORDS[text]) if text in NUMBER_WORDS else float(text)
    unit_text = " ".join(unit.lower().split())
    unit_text = unit_text if unit_text == "h" else unit_text.removesuffix("s")
    return value * UNIT_MINUTES.get(unit_text, 1)


def duration_minutes(match: re.Match[str]) -> float:
    """The length of a DEADLINE or CADENCE match, in minutes."""
    number = match.group("num1") or match.group("num2")
    unit = match.group("unit1") or match.group("unit2")
    return minutes_of(number, unit)


def describe_minutes(minutes: float) -> str:
    if minutes >= 4 * 1440 and minutes % 1440 == 0:
        days = int(minutes // 1440)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes >= 60 and minutes % 60 == 0:
        hours = int(minutes // 60)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes:g} minutes"


# --- severity levels -------------------------------------------------------------------------------------------


@dataclass
class LevelDefinition:
    level: str
    definition: str
    text: str  # the words that define it, e.g. "P0 for complete outage"
    line: int
    evidence: str


def level_names(pack: dict[str, Any]) -> list[str]:
    return [str(level["name"]) for level in pack.get("policy", {}).get("levels", [])]


def level_token(names: list[str]) -> str:
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)) or r"(?!)"


def level_definitions(items: list[Sentence], names: list[str]) -> list[LevelDefinition]:
    """"P0 for complete outage", "P1: major feature broken", "P2 (degraded)", "| P3 | minor |" and the like.
    Ranges ("P0-P3"), lists ("P0 and P1") and bare mentions ("a P1 incident") are not definitions."""
    token = level_token(names)
    pattern = re.compile(
        rf"(?<![\w-])(?P<level>{token})(?![\w])\s*(?:(?:for|means|is|=|:|\||\(|–|—)|\s-\s)\s*(?P<def>[^,;.()|]+)"
    )
    range_before = re.compile(rf"(?:{token})\s*(?:-|–|—|to|through)\s*$")
    found = []
    for item in items:
        for match in pattern.finditer(item.text):
            if range_before.search(item.text[: match.start()]):
                continue
            definition = match.group("def").strip()
            first = definition.split()[0] if definition.split() else ""
            if not definition or re.fullmatch(token, first) or first.lower() in ("and", "or", "to", "through"):
                continue
            text = item.text[match.start(): match.start("def")] + definition
            found.append(LevelDefinition(match.group("level"), definition, text, item.line, item.text))
    return found


def levels_in(text: str, names: list[str]) -> set[str]:
    """The levels a sentence refers to, with ranges ("P0-P2") and "P1 and above" expanded (P0 is the most severe)."""
    token = level_token(names)
    order = {name: i for i, name in enumerate(names)}
    found: set[str] = set()
    for match in re.finditer(rf"(?<![\w-])({token})\s*(?:-|–|—|to|through)\s*({token})(?!\w)", text):
        a, b = sorted((order[match.group(1)], order[match.group(2)]))
        found.update(names[a:b + 1])
    for match in re.finditer(
            rf"(?<![\w-])({token})(?:\s*\+|\s+(?:and|or)\s+(above|higher|more severe|below|lower|less severe))?",
            text):
        index = order[match.group(1)]
        direction = match.group(2) or ""
        if match.group(0).rstrip().endswith("+") or direction in ("above", "higher", "more severe"):
            found.update(names[: index + 1])
        elif direction:
            found.update(names[index:])
        else:
            found.add(match.group(1))
    return found


# --- deadlines -------------------------------------------------------------------------------------------------


@dataclass
class Deadline:
    topic: str  # status_page | postmortem
    minutes: float
    text: str  # the matched words, e.g. "within 15 minutes"
    line: int
    evidence: str


_CLAUSE_BREAK = re.compile(r"\s*(?:;|:|\bbut\b|\bwhile\b|\bwhereas\b|\botherwise\b)\s*", re.IGNORECASE)


def clauses(text: str) -> list[str]:
    """A sentence cut at semicolons, colons and "but"/"while": "required for P1 and above; optional for P2"."""
    return [part for part in _CLAUSE_BREAK.split(text) if part.strip()]


def deadlines(items: list[Sentence], topics: dict[str, list[str]]) -> list[Deadline]:
    """Each deadline in a sentence about one of the topics, given to the topic whose words are nearest
    before it (else nearest after it)."""
    regexes = {topic: word_regex(words) for topic, words in topics.items()}
    found = []
    for item in items:
        spots = [(m.start(), topic) for topic, rx in regexes.items() for m in rx.finditer(item.text)]
        if not spots:
            continue
        for match in DEADLINE.finditer(item.text):
            before = [s for s in spots if s[0] < match.start()]
            after = [s for s in spots if s[0] >= match.start()]
            topic = max(before)[1] if before else min(after)[1]
            found.append(Deadline(topic, duration_minutes(match), match.group(0).strip(), item.line, item.text))
    return found


def cadence_minutes(items: list[Sentence], words: list[str]) -> float | None:
    """"Updates every 30 minutes" in a sentence about the status page, if the entry says so."""
    rx = word_regex(words)
    for item in items:
        if rx.search(item.text):
            match = CADENCE.search(item.text)
            if match:
                return duration_minutes(match)
    return None


# --- blaming language ------------------------------------------------------------------------------------------


@dataclass
class Blame:
    phrase: str
    rewording: str
    start: int
    end: int


def blame_in(text: str, pack: dict[str, Any], names: list[str] | tuple[str, ...] = ()) -> list[Blame]:
    """Blaming phrases used (not quoted) in the text, and a person named as the cause."""
    blame = pack.get("blame", {})
    quotes = quoted_spans(text)
    found: list[Blame] = []
    for item in blame.get("phrases", []):
        for match in word_regex([item["phrase"]]).finditer(text):
            if inside(quotes, match.start(), match.end()):
                continue
            found.append(Blame(match.group(0), str(item["rewording"]), match.start(), match.end()))
    person_words = [str(w) for w in blame.get("people", [])] + [str(n) for n in names if str(n).strip()]
    person = rf"(?:(?:the|a|an|our|one|their)\s+)?(?:[\w-]+\s+){{0,2}}?(?:{phrase_pattern(person_words)})(?![\w-])"
    before = phrase_pattern([str(w) for w in blame.get("cause_before", [])])
    after = "|".join(re.escape(str(w)) for w in blame.get("cause_after", [])) or r"(?!)"
    person_as_cause = re.compile(
        rf"(?<![\w-])(?:{before})\s+{person}"
        rf"|(?<![\w-])(?:(?:the|a|an|our)\s+)?(?:{phrase_pattern(person_words)})(?:{after})(?!\w)"
        rf"|(?<![\w-])[A-Z][a-z]+(?:'s|’s)\s+(?:mistake|error|fault)\b",
        re.IGNORECASE,
    )
    rewording = ("name the conditions, not the person: what in the system or process let the action cause harm "
                 "(\"the deploy tool allowed a push without a canary\")")
    for match in person_as_cause.finditer(text):
        if inside(quotes, match.start(), match.end()):
            continue
        if any(b.start <= match.start() < b.end or match.start() <= b.start < match.end() for b in found):
            continue
        found.append(Blame(match.group(0), rewording, match.start(), match.end()))
    found.sort(key=lambda b: b.start)
    return found
