"""Reading an entry's prose for the claim rules STL002-STL008: sentences, the dates and the statistics in them.

Every rule of the family reads the same analysis of an entry. The engine runs all rules on one entry
before the next, so a one-slot cache keyed by the entry object computes it once per entry. The word
lists and patterns come from `rules/time_words.yml`, `rules/statistics.yml` and `rules/facts/*.yml`;
they are compiled once per distinct pack content.
"""

from __future__ import annotations

import calendar
import datetime as dt
import gc
import json
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from auditor.checks.base import AuditContext, Rule
from auditor.heap import collector_paused
from auditor.markdown_text import fenced_lines
from auditor.models import Entry

YEAR = r"(?:19|20)\d\d"
MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
# Month and day a vague part of a year ends on ("early 2025" is over by the end of April).
PARTS = {"early": (4, 30), "beginning": (3, 31), "start": (3, 31), "spring": (5, 31), "mid": (8, 31),
         "summer": (8, 31), "late": (12, 31), "end": (12, 31), "autumn": (11, 30), "fall": (11, 30),
         "winter": (12, 31)}
# Words after a four-digit number that make it a quantity, not a year ("2048 tokens").
NOT_YEAR_AFTER = {"tokens", "token", "bytes", "lines", "rows", "items", "characters", "chars", "words", "ms",
                  "px", "calls", "pages", "records", "points", "files", "steps", "times", "km", "mb", "gb", "kb"}

_DATES = re.compile(
    rf"""
    (?<![\w$#/.:+-])(?P<r1>{YEAR})\s*(?:–|—|-|\bto\b|\bthrough\b|\bthru\b|\buntil\b)\s*(?P<r2>{YEAR}|\d\d)(?![\w%/]|\.\d|-\d)
    |\bbetween\s+(?P<b1>{YEAR})\s+and\s+(?P<b2>{YEAR})\b
    |(?<![\w$#/.:+-])(?P<iy>{YEAR})-(?P<im>0[1-9]|1[0-2])(?:-(?P<id>0[1-9]|[12]\d|3[01]))?(?![\w-]|\.\d)
    |\b(?P<mon>{"|".join(sorted(MONTHS, key=len, reverse=True))})\.?\s+(?:(?P<md>\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?(?P<my>{YEAR})(?![\w-]|\.\d)
    |(?:\b[QH](?P<q>[1-4])|\b(?P<qw>first|second|third|fourth|1st|2nd|3rd|4th)\s+(?P<qh>quarter|half)(?:\s+of)?)
        \s*(?:of\s+)?(?P<qy>{YEAR})(?![\w-]|\.\d)
    |\b(?P<part>early|mid|late|the\s+end\s+of|end\s+of|the\s+beginning\s+of|beginning\s+of|the\s+start\s+of|start\s+of
        |spring|summer|autumn|fall|winter)(?:\s+of)?[\s-]+(?P<py>{YEAR})(?![\w-]|\.\d)
    |(?<![\w$#/.,:+-])(?P<y>{YEAR})(?![\w%/]|\.\d|-\d|,\d|\s*%)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_TOKEN_EDGES = ",;:!?()[]{}\"“”‘’'*_`"
_YEARISH = re.compile(r"(?:19|20)\d\d")
_NEXT_WORD = re.compile(r"\s*([A-Za-z]+)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“‘(\[]?[A-Z0-9])")
_BLANK = re.compile(r"`[^`\n]*`|https?://\S+|www\.\S+|\]\([^)\s]*\)|<[^>\n]*>")
_LINK = re.compile(r"https?://|www\.|\]\(")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s")


def phrases(words: list[str] | tuple[str, ...]) -> str:
    """An alternation of literal phrases, longest first, spaces matching any run of blanks or hyphens."""
    parts = []
    for word in sorted({str(w).strip() for w in words if str(w).strip()}, key=len, reverse=True):
        pieces = [re.escape(piece) for piece in re.split(r"\s+", word)]
        parts.append(r"\s+".join(pieces))
    return "|".join(parts) or r"(?!)"


def word_regex(words: list[str] | tuple[str, ...], patterns: list[str] | tuple[str, ...] = ()) -> re.Pattern[str]:
    alternatives = [rf"(?<!\w)(?:{phrases(words)})(?!\w)"] if words else []
    alternatives += list(patterns)
    return re.compile("|".join(alternatives) or r"(?!)", re.IGNORECASE)


class Words:
    """A word list as a regex, with a cheap test first: most texts hold none of the words.

    The test looks for each phrase, lowercased and single-spaced, with `in`; only a text that holds one
    runs the regex (which checks word boundaries). `patterns` is a mapping from a word every one of its
    regular expressions needs to those expressions (a plain list of expressions turns the test off).
    """

    def __init__(self, words: list[str] | tuple[str, ...], patterns: dict[str, list[str]] | list[str] | None = None,
                 ) -> None:
        needed: list[str] = []
        expressions: list[str] = []
        if isinstance(patterns, dict):
            for word, items in patterns.items():
                needed.append(str(word))
                expressions.extend(str(item) for item in ([items] if isinstance(items, str) else items or []))
        elif patterns:
            expressions = [str(item) for item in patterns]
        # The regexes are compiled when first needed (cached_property): most texts pass the cheap test, and a
        # one-file `check` would otherwise compile every word list of the lexicon for nothing.
        self._words, self._expressions = tuple(words), expressions
        self.phrases = tuple(" ".join(str(w).lower().split()) for w in words if str(w).strip())
        self._by_word: dict[str, str] = {}
        if isinstance(patterns, dict):
            for word, items in patterns.items():
                listed = [items] if isinstance(items, str) else list(items or [])
                if listed:
                    self._by_word[str(word).lower()] = "|".join(str(i) for i in listed)
        self.literals = None if expressions and not needed else tuple(
            sorted({" ".join(str(w).lower().split()) for w in [*words, *needed] if str(w).strip()}, key=len))
        self.first_words = None if self.literals is None else frozenset(
            literal.split()[0].strip(_TOKEN_EDGES) for literal in self.literals)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return word_regex(self._words, self._expressions)

    @cached_property
    def phrase_regex(self) -> re.Pattern[str]:
        """The phrases alone (tried when one occurs in a line as text)."""
        return word_regex(self._words)

    @cached_property
    def by_word(self) -> dict[str, re.Pattern[str]]:
        """Per needed word, that word's expressions (tried when the word is one of the line's words)."""
        return {word: re.compile(source, re.IGNORECASE) for word, source in self._by_word.items()}

    def in_sentence(self, sentence: Sentence, pos: int = 0) -> re.Match[str] | None:
        """`search` on a sentence, skipping the regex when none of the phrases' first words is in it."""
        if self.first_words is not None and self.first_words.isdisjoint(sentence.tokens):
            return None
        return self.regex.search(sentence.text, pos)

    def iter_sentence(self, sentence: Sentence, pos: int = 0) -> Iterator[re.Match[str]]:
        if self.first_words is not None and self.first_words.isdisjoint(sentence.tokens):
            return iter(())
        return self.regex.finditer(sentence.text, pos)

    def line_matches(self, text: str) -> list[re.Match[str]]:
        """Every match in one line, in order, overlaps dropped: the regex of each part the line may hold only."""
        lowered = text.lower()
        found: list[re.Match[str]] = []
        for phrase in self.phrases:
            if phrase in lowered:
                found.extend(self.phrase_regex.finditer(text))
                break
        for word, regex in self.by_word.items():
            if word in lowered:  # a substring test first (C speed); the regex checks the word's boundaries
                found.extend(regex.finditer(text))
        found.sort(key=lambda m: (m.start(), -m.end()))
        kept: list[re.Match[str]] = []
        for match in found:
            if not kept or match.start() >= kept[-1].end():
                kept.append(match)
        return kept

    def _may_match(self, text: str) -> bool:
        if self.literals is None:
            return True
        lowered = text.lower()
        for literal in self.literals:
            if literal in lowered:
                return True
        return False

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        part = text[pos:endpos] if (pos or endpos is not None) else text
        if not self._may_match(part):
            return None
        return self.regex.search(text, pos, len(text) if endpos is None else endpos)

    def finditer(self, text: str, pos: int = 0) -> Iterator[re.Match[str]]:
        if not self._may_match(text[pos:] if pos else text):
            return iter(())
        return self.regex.finditer(text, pos)


def words_of(lowered: str) -> set[str]:
    """A lowercased text's words as `Words.first_words` spells them (edges stripped, with and without a final dot)."""
    words = set()
    for word in lowered.split():
        word = word.strip(_TOKEN_EDGES)
        words.add(word)
        words.add(word.rstrip("."))
    return words


def years_before(day: dt.date, years: float) -> dt.date:
    whole = int(years)
    try:
        shifted = day.replace(year=day.year - whole)
    except ValueError:  # 29 February
        shifted = day.replace(year=day.year - whole, day=28)
    return shifted - dt.timedelta(days=round((years - whole) * 365.25))


# --- what the text holds ------------------------------------------------------------------------------

@dataclass(slots=True)
class DateRef:
    start: dt.date
    end: dt.date
    text: str
    pos: int
    endpos: int
    lead: str  # the words just before it, lowercased ("as of", "since", "in", ...)
    is_range: bool = False
    document: bool = False  # names a document's year ("the 2021 amendment"), not a period of data

    @property
    def label(self) -> str:
        if self.is_range:
            return f"{self.start.year}–{self.end.year}"
        return " ".join(self.text.split())


@dataclass(slots=True)
class Stat:
    value: float
    decimals: int
    unit: str  # percent | money | multiplier | count
    text: str
    pos: int
    endpos: int
    qualifier: str  # "" | approx | min | max
    symbol: bool = False  # the bound is written as a symbol ("<1K users", "> 20%"): a threshold


@dataclass(slots=True)
class Sentence:
    line: int
    unit: int  # index into Analysis.units
    text: str  # code spans, URLs and link targets blanked out (same length as raw)
    raw: str
    dates: list[DateRef]
    stats: list[Stat]
    table: bool = False  # a Markdown table row: a record, not prose
    heading: bool = False
    _tokens: frozenset[str] | None = None

    @property
    def tokens(self) -> frozenset[str]:
        """The sentence's lowercased words, for the quick tests of `Words.in_sentence`."""
        if self._tokens is None:
            self._tokens = frozenset(words_of(self.text.lower()))
        return self._tokens

    @property
    def evidence(self) -> str:
        text = _LIST_ITEM.sub("", " ".join(self.raw.split()))
        return text if len(text) <= 220 else text[:217] + "..."


@dataclass(slots=True)
class FactFigure:
    label: str
    value: float
    group: str
    period: tuple[int, int] | None
    source: FactSource


@dataclass
class FactSource:
    key: str
    source: str
    url: str
    published: int | None
    aliases: re.Pattern[str]
    labels: re.Pattern[str]
    alias_words: tuple[str, ...] = ()  # lowercased, for a quick substring test before the regex
    figures: dict[str, FactFigure] = field(default_factory=dict)  # regex group name -> figure


@dataclass(slots=True)
class FactMatch:
    sentence: Sentence
    stat: Stat
    figure: FactFigure
    label_text: str
    agrees: bool


@dataclass
class Lexicon:
    """The compiled form of the pack data the claim rules read."""

    prefilter: tuple[str, ...]  # lowercase words; a text without a digit and without these holds no claim
    snapshot: re.Pattern[str]  # anchored at the end of the text before a date
    undated_snapshot: Words
    present: Words
    historical: Words
    examples: Words
    relative: Words
    future: Words
    past: Words
    relative_periods: Words
    relative_period_kinds: dict[str, str]
    stat_suffix: re.Pattern[str]
    qualifier_before: re.Pattern[str]
    approx_words: set[str]
    lower_words: set[str]
    upper_words: set[str]
    min_count: float
    sources: Words
    requirements: Words
    events: Words
    document_nouns: frozenset[str]
    setting_nouns: frozenset[str]
    facts: list[FactSource]
    tolerance: float
    window: int
    default_stat_horizon: float
    default_claim_days: int
    deadline: re.Pattern[str]  # anchored at the end of the text before a date
    deadline_past: Words


def lexicon(pack: dict[str, Any]) -> Lexicon:
    key = json.dumps({k: pack.get(k) for k in ("time_words", "statistics", "facts")}, sort_keys=True, default=str)
    return _build(key)


def _figure_phrase(text: str) -> str:
    words = [re.escape(w) for w in re.split(r"[\s-]+", str(text).strip()) if w]
    if not words:
        return r"(?!)"
    return r"[\s-]+".join(words) + r"(?:e?s)?"


@lru_cache(maxsize=16)
def _build(key: str) -> Lexicon:
    data = json.loads(key)
    tw = data.get("time_words") or {}
    st = data.get("statistics") or {}
    facts = data.get("facts") or {}

    snapshot_words = tw.get("snapshot_markers", [])
    relative_periods = {str(k).lower(): str(v) for k, v in (tw.get("relative_periods") or {}).items()}
    # The phrases that can date a sentence without a digit, lowercased, single-spaced.
    prefilter = tuple(sorted({"time of writing", "time of this writing", "time of publication"} | {
        " ".join(phrase.split()) for phrase in relative_periods if phrase.strip()}))

    qualifiers = [*st.get("approximate_words", []), *st.get("lower_bound_words", []),
                  *st.get("upper_bound_words", [])]
    qual_alt = phrases(qualifiers)
    nouns = phrases(st.get("count_nouns", []))
    mult_words = phrases(st.get("multiplier_words", []))
    # A statistic is read from a number outwards: what follows it says what it counts, what precedes it
    # whether it is a sum of money and whether it is approximate. Anchored matches at one number are cheap.
    stat_suffix = re.compile(
        rf"""
        (?P<pct>\s?(?:%|percent\b|per\s+cent\b))
        |(?P<mult>\s?(?:x|×|times)\s+(?:{mult_words})\b)
        |(?P<cmag>\s?(?:thousand|million|billion|[km])\b)?\+?\s+(?:[a-z][\w-]*\s+)?(?P<noun>{nouns})\b
        """,
        re.IGNORECASE | re.VERBOSE,
    )
    qualifier_before = re.compile(rf"(?<!\w)(?:{qual_alt})\s*$", re.IGNORECASE)
    sources = []
    for name, fact in sorted(facts.items()):
        if not isinstance(fact, dict):
            continue
        aliases = [*fact.get("aliases", [])]
        url = str(fact.get("url") or "")
        bare_url = re.sub(r"^https?://", "", url).rstrip("/")
        if bare_url:
            aliases.append(bare_url)
        groups: dict[str, FactFigure] = {}
        label_parts = []
        published = fact.get("published")
        source = FactSource(key=name, source=str(fact.get("source") or name), url=url,
                            published=int(published) if published else None,
                            aliases=word_regex(aliases), labels=re.compile("(?!)"),
                            alias_words=tuple(" ".join(str(a).lower().split()) for a in aliases if str(a).strip()))
        for group in fact.get("groups", []):
            period = group.get("period")
            span = (int(period["from"]), int(period["to"])) if isinstance(period, dict) else None
            for figure in group.get("figures", []):
                item = FactFigure(label=str(figure["label"]), value=float(figure["value"]),
                                  group=str(group.get("name", "")), period=span, source=source)
                for text in [figure["label"], *figure.get("synonyms", [])]:
                    gname = f"f{len(groups)}"
                    groups[gname] = item
                    label_parts.append((len(str(text)), gname, _figure_phrase(text)))
        label_parts.sort(key=lambda part: -part[0])
        source.labels = re.compile(
            r"(?<!\w)(?:" + "|".join(f"(?P<{g}>{p})" for _, g, p in label_parts) + r")(?!\w)" if label_parts
            else r"(?!)", re.IGNORECASE)
        source.figures = groups
        sources.append(source)

    return Lexicon(
        prefilter=prefilter,
        # "as of the", "(cached: ", "**Last Updated:** ": the marker, then punctuation and emphasis, then the date
        snapshot=re.compile(rf"(?<![^\W_])(?:{phrases(snapshot_words)})[\s:*_(\-–—]*(?:the\s+)?$", re.IGNORECASE),
        undated_snapshot=Words(tw.get("undated_snapshot_markers", [])),
        present=Words(tw.get("present_state_words", [])),
        historical=Words(tw.get("historical_words", [])),
        examples=Words(tw.get("example_words", [])),
        relative=Words(tw.get("relative_words", []), tw.get("relative_patterns")),
        future=Words(tw.get("future_markers", [])),
        past=Words(tw.get("past_markers", [])),
        relative_periods=Words(list(relative_periods)),
        relative_period_kinds=relative_periods,
        stat_suffix=stat_suffix,
        qualifier_before=qualifier_before,
        approx_words={w.lower() for w in st.get("approximate_words", [])},
        lower_words={w.lower() for w in st.get("lower_bound_words", [])},
        upper_words={w.lower() for w in st.get("upper_bound_words", [])},
        min_count=float(st.get("min_count", 10)),
        sources=Words(st.get("source_words", [])),
        requirements=Words(st.get("requirement_words", [])),
        events=Words(st.get("event_words", [])),
        document_nouns=frozenset(str(w).lower() for w in st.get("document_nouns", [])),
        setting_nouns=frozenset(str(w).lower() for w in st.get("setting_nouns", [])),
        facts=sources,
        tolerance=float(st.get("approximate_tolerance_points", 2.0)),
        window=int(st.get("label_window_chars", 45)),
        default_stat_horizon=float(st.get("default_horizon_years", 3)),
        default_claim_days=int(tw.get("default_claim_interval_days", 180)),
        deadline=re.compile(rf"(?<!\w)(?:{phrases(tw.get('deadline_markers', []))})\s*(?:the\s+)?$", re.IGNORECASE),
        deadline_past=Words(tw.get("deadline_past_words", [])),
    )


# --- parsing ------------------------------------------------------------------------------------------

def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


_LEAD = re.compile(r"((?:[a-z]+\s+){0,4}[a-z]+)\s*(?:the\s+)?$", re.IGNORECASE)


def find_dates(text: str, document_nouns: frozenset[str] = frozenset()) -> list[DateRef]:
    found: list[DateRef] = []
    if not _YEARISH.search(text):
        return found
    for m in _DATES.finditer(text):
        g = m.groupdict()
        is_range = False
        try:
            if g["r1"] or g["b1"]:
                first = int(g["r1"] or g["b1"])
                second_text = g["r2"] or g["b2"]
                second = int(second_text) if len(second_text) == 4 else first // 100 * 100 + int(second_text)
                hyphen_month = len(second_text) == 2 and "-" in m.group(0) and 1 <= int(second_text) <= 12
                if hyphen_month or second < first:
                    if not hyphen_month:
                        continue
                    # "2026-10" is October 2026, not 2026 to 2010
                    start, end = dt.date(first, int(second_text), 1), _month_end(first, int(second_text))
                elif second - first > 60:
                    continue
                else:
                    start, end, is_range = dt.date(first, 1, 1), dt.date(second, 12, 31), True
            elif g["iy"]:
                year, month = int(g["iy"]), int(g["im"])
                if g["id"]:
                    start = end = dt.date(year, month, int(g["id"]))
                else:
                    start, end = dt.date(year, month, 1), _month_end(year, month)
            elif g["mon"]:
                year, month = int(g["my"]), MONTHS[g["mon"].lower()]
                if g["md"]:
                    start = end = dt.date(year, month, int(g["md"]))
                else:
                    start, end = dt.date(year, month, 1), _month_end(year, month)
            elif g["qy"]:
                year = int(g["qy"])
                is_half = (g["qh"] or "").lower() == "half" or m.group(0).lstrip().upper().startswith("H")
                number = int(g["q"]) if g["q"] else ORDINALS[g["qw"].lower()]
                months = 6 if is_half else 3
                if number * months > 12:
                    continue
                start, end = dt.date(year, (number - 1) * months + 1, 1), _month_end(year, number * months)
            elif g["py"]:
                year = int(g["py"])
                part = g["part"].lower().split()[-1]
                month, day = PARTS.get(part, (12, 31))
                start, end = dt.date(year, 1, 1), dt.date(year, month, day)
            else:
                year = int(g["y"])
                after = _NEXT_WORD.match(text, m.end())
                if after and after.group(1).lower() in NOT_YEAR_AFTER:
                    continue
                start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        except ValueError:
            continue
        before = text[max(0, m.start() - 40):m.start()]
        lead = _LEAD.search(before)
        after = _NEXT_WORD.match(text, m.end())
        document = bool(after and after.group(1).lower() in document_nouns)
        found.append(DateRef(start, end, m.group(0), m.start(), m.end(),
                             " ".join(lead.group(1).lower().split()) if lead else "", is_range, document))
    return found


def _number(text: str) -> tuple[float, int]:
    digits = text.replace(",", "")
    decimals = len(digits.split(".", 1)[1]) if "." in digits else 0
    return float(digits), decimals


_NUMBER = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\d)")
_MAGNITUDE = re.compile(r"\s?(?:thousand|million|billion|trillion|bn|[kmb])\b", re.IGNORECASE)
_CURRENCY_CODES = ("usd ", "eur ", "gbp ", "us$", "usd", "eur", "gbp")


def _previous_word(text: str, end: int) -> tuple[str, int]:
    """The word ending just before `end` (skipping blanks), and where it starts."""
    stop = end
    while stop > 0 and text[stop - 1] in " \t":
        stop -= 1
    start = stop
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "._"):
        start -= 1
    return text[start:stop], start


def find_stats(text: str, lex: Lexicon) -> list[Stat]:
    found = []
    for number in _NUMBER.finditer(text):
        begin, end = number.start(), number.end()
        raw = number.group(0)
        before = text[max(0, begin - 4):begin]
        unit = ""
        symbol_before = before[-1:] in ("$", "€", "£", "¥")
        code = None if symbol_before else next((c for c in _CURRENCY_CODES if before.lower().endswith(c)), None)
        if symbol_before or code:
            magnitude = _MAGNITUDE.match(text, end)
            if not magnitude:
                continue  # a price ("$19"), not a statistic
            unit, end = "money", magnitude.end()
            begin -= 1 if symbol_before else len(code)
        else:
            suffix = lex.stat_suffix.match(text, end)
            if not suffix:
                continue
            end = suffix.end()
            if suffix.group("pct"):
                after = _NEXT_WORD.match(text, end)
                if after and after.group(1).lower() in lex.setting_nouns:
                    continue  # "400% zoom" is a setting
                unit = "percent"
            elif suffix.group("mult"):
                unit = "multiplier"
            else:
                value = float(raw.replace(",", ""))
                if before.rstrip().lower().endswith(("per", "/", "every", "each")):
                    continue
                if not suffix.group("cmag") and (
                        value < lex.min_count or ("," not in raw and "." not in raw and 1900 <= value <= 2099)):
                    continue
                if not suffix.group("noun").islower():  # "Microsoft 365 Agents" is a name
                    continue
                word, word_start = _previous_word(text, begin)
                if word[:1].isupper() and text[:word_start].strip(" -*+>\t\"“("):
                    continue  # "React 19.2 applications", "Laravel 12+ applications": a version, not a count
                unit = "count"
        value, decimals = _number(raw)
        qualifier, symbol = "", False
        if begin > 0:
            qual = lex.qualifier_before.search(text, max(0, begin - 24), begin)
            if qual:
                qual_text = " ".join(qual.group(0).lower().split())
                qualifier = ("approx" if qual_text in lex.approx_words else "min" if qual_text in lex.lower_words
                             else "max" if qual_text in lex.upper_words else "")
                symbol = qualifier in ("min", "max") and not qual_text[0].isalpha()
                begin = qual.start()
        found.append(Stat(value, decimals, unit, " ".join(text[begin:end].split()), begin, end, qualifier, symbol))
    return found


@dataclass
class Analysis:
    texts: list[str]  # the title, the summary, then every body line ("" inside fenced code)
    lines: tuple[int, int, int]  # the title's line, the summary's line, the first body line
    sentences: list[Sentence]
    whole: str  # the texts, lowercased
    _facts: list[FactMatch] | None = None
    _sources: list[FactSource] | None = None
    _units: list[tuple[int, str]] | None = None
    _spans: tuple[list[int], list[int], list[int]] | None = None  # per text: paragraph start, end, list intro
    _paragraphs: dict[tuple[int, int], str] = field(default_factory=dict)
    _searched: dict[tuple[int, int, int], bool] = field(default_factory=dict)

    def line(self, index: int) -> int:
        return self.lines[index] if index < 2 else self.lines[2] + index - 2

    @property
    def units(self) -> list[tuple[int, str]]:
        """(line, raw text) for every text."""
        if self._units is None:
            self._units = [(self.line(index), text) for index, text in enumerate(self.texts)]
        return self._units

    def paragraph(self, unit: int) -> str:
        """The raw text of the paragraph or list item holding a text, plus the line that leads into its list.
        Built once per paragraph: every sentence of a long paragraph asks for it."""
        texts = self.texts
        if unit < 2:  # the title and the summary stand alone
            return texts[unit]
        starts, ends, intros = self._paragraph_spans()
        start, end = starts[unit], ends[unit]
        text = self._paragraphs.get((start, end))
        if text is None:
            lines = texts[start:end + 1]
            # the sentence that introduces a list ("According to the 2024 survey:") sources its items
            if intros[start] >= 0:
                lines.insert(0, texts[intros[start]])
            text = self._paragraphs[(start, end)] = "\n".join(lines)
        return text

    def paragraph_search(self, unit: int, pattern: Any) -> bool:
        """Whether `pattern` (anything with `.search`) matches the paragraph of a text; asked once per paragraph."""
        if unit < 2:
            return bool(pattern.search(self.texts[unit]))
        starts, ends, _ = self._paragraph_spans()
        key = (starts[unit], ends[unit], id(pattern))
        found = self._searched.get(key)
        if found is None:
            found = self._searched[key] = bool(pattern.search(self.paragraph(unit)))
        return found

    def _paragraph_spans(self) -> tuple[list[int], list[int], list[int]]:
        """For every text: the first and last text of its paragraph, and the line introducing its list (-1: none),
        in one pass each way. A paragraph runs on over non-blank lines; a heading or a list item ends it."""
        if self._spans is not None:
            return self._spans
        texts = self.texts
        count = len(texts)
        blank_or_heading = [not text.strip() or bool(_HEADING.match(text)) for text in texts]
        item = [bool(_LIST_ITEM.match(text)) for text in texts]
        starts = list(range(count))
        for index in range(3, count):
            if not blank_or_heading[index - 1] and not item[index]:
                starts[index] = starts[index - 1]
        ends = list(range(count))
        for index in range(count - 2, 1, -1):
            if not blank_or_heading[index + 1] and not item[index + 1]:
                ends[index] = ends[index + 1]
        intros = [-1] * count
        previous = 2  # the nearest text before a run of list items
        for index in range(3, count):
            if not item[index - 1]:
                previous = index - 1
            if item[index] and previous > 1 and texts[previous].strip().rstrip("*_ ").endswith(":"):
                intros[index] = previous
        self._spans = (starts, ends, intros)
        return self._spans


_LAST: list[Any] = [None, None, None]  # entry, lexicon, analysis


_FREEZE_SENTENCES = 10_000  # an analysis with this many sentences (some 0.6 MB of claims) is frozen (see below)


def analyze(entry: Entry, lex: Lexicon) -> Analysis:
    if _LAST[0] is entry and _LAST[1] is lex:
        return _LAST[2]
    # The analysis builds a few objects per sentence and no reference cycles. Left on, the cyclic garbage collector
    # walks them again at each full collection while they pile up (8 collections, 1.2 s, in a 16 MB entry's
    # analysis), and again in every rule after: the pass grew faster than the text. It is paused while the
    # analysis runs, and a large analysis is then frozen (kept out of the collector's sight, as loading does with
    # the entries; freed as usual when the next entry's analysis replaces it).
    with collector_paused():
        result = _analyze(entry, lex)
    if len(result.sentences) >= _FREEZE_SENTENCES:
        gc.freeze()
    _LAST[:] = [entry, lex, result]
    return result


def _line_starts(texts: list[str]) -> list[int]:
    starts, position = [], 0
    for text in texts:
        starts.append(position)
        position += len(text) + 1
    return starts


def _has_digit(text: str) -> bool:
    for digit in "0123456789":
        if digit in text:
            return True
    return False


def _has_word(lowered: str, words: tuple[str, ...]) -> bool:
    for word in words:
        if word in lowered:
            return True
    return False


def _analyze(entry: Entry, lex: Lexicon) -> Analysis:
    texts = [entry.title or "", entry.summary or "", *([] if entry.body_repeats_summary else entry.body_lines)]
    whole = "\n".join(texts)
    if ("```" in whole or "~~~" in whole) and len(texts) > 2:
        for index, code in enumerate(fenced_lines(entry.body_lines), start=2):
            if code:
                texts[index] = ""
        whole = "\n".join(texts)
    analysis = Analysis(texts=texts, lines=(entry.line_of("title"), entry.line_of("summary"), entry.body_start),
                        sentences=[], whole="")
    sentences = analysis.sentences
    lowered = whole.lower()
    words = lex.prefilter
    # Find the lines worth reading from the whole text at once: most lines hold no digit and no dating phrase.
    # (str.find is a C loop; a regex over the whole text costs some 30 ns a character.)
    hits: set[int] = set()
    starts: list[int] | None = None
    for digit in "0123456789":
        found = whole.find(digit)
        while found != -1:
            if starts is None:
                starts = _line_starts(texts)
            index = bisect_right(starts, found) - 1
            hits.add(index)
            if index + 1 >= len(starts):
                break
            found = whole.find(digit, starts[index + 1])
    for word in words:
        found = lowered.find(word)
        while found != -1:
            if starts is None:
                starts = _line_starts(texts)
            hits.add(bisect_right(starts, found) - 1)
            found = lowered.find(word, found + 1)
    for index in sorted(hits):
        line, raw = analysis.line(index), texts[index]
        if "`" in raw or "/" in raw or "<" in raw or "www." in raw:
            blanked = _BLANK.sub(lambda m: " " * len(m.group(0)), raw)
        else:
            blanked = raw
        cut = 0
        for piece in [*_SENTENCE_END.finditer(blanked), None]:
            stop = piece.start() if piece else len(blanked)
            text = blanked[cut:stop]
            if _has_digit(text) or _has_word(text.lower(), words):
                sentences.append(Sentence(line, index, text, raw[cut:stop], find_dates(text, lex.document_nouns),
                                          find_stats(text, lex), raw.lstrip().startswith("|"),
                                          bool(_HEADING.match(raw))))
            cut = piece.end() if piece else stop
    analysis.whole = lowered
    return analysis


# --- the facts registry -------------------------------------------------------------------------------

def cited_sources(entry: Entry, analysis: Analysis, lex: Lexicon) -> list[FactSource]:
    """The registry sources an entry names (an alias in its text, or a link to the source's URL)."""
    if analysis._sources is None:
        links = " ".join(str(v) for v in entry.links.values()).lower() if entry.links else ""
        analysis._sources = [
            source for source in lex.facts
            if (any(word in analysis.whole for word in source.alias_words) and source.aliases.search(analysis.whole))
            or (source.url and source.url.lower().rstrip("/") in links)
        ]
    return analysis._sources


def agrees(stat: Stat, truth: float, tolerance: float) -> bool:
    rounding = 0.5 * 10 ** (-stat.decimals) + 1e-9
    if stat.qualifier == "approx":
        return abs(stat.value - truth) <= max(rounding, tolerance)
    if stat.qualifier == "min":
        return truth >= stat.value - rounding
    if stat.qualifier == "max":
        return truth <= stat.value + rounding
    return abs(stat.value - truth) <= rounding


def fact_matches(entry: Entry, analysis: Analysis, lex: Lexicon) -> list[FactMatch]:
    """Each quoted percentage paired with the registry figure whose label stands nearest to it."""
    if analysis._facts is not None:
        return analysis._facts
    matches: list[FactMatch] = []
    sources = cited_sources(entry, analysis, lex) if lex.facts else []
    for source in sources:
        for sentence in analysis.sentences:
            stats = [s for s in sentence.stats if s.unit == "percent"]
            if not stats:
                continue
            labels = [(m.start(), m.end(), source.figures[m.lastgroup], m.group(0))
                      for m in source.labels.finditer(sentence.text) if m.lastgroup]
            if not labels:
                continue
            pairs = []
            if "respectively" in sentence.text.lower() and len(labels) == len(stats):
                pairs = list(zip(sorted(labels), sorted(stats, key=lambda s: s.pos), strict=True))
            else:
                # "binary pushes caused 37%" and "software (41%)" put the label first; a figure before its
                # label ("37% were binary pushes") is rarer, so it pays a penalty when both readings are open.
                # A pair never spans another label or figure.
                marks = sorted([label[0] for label in labels] + [stat.pos for stat in stats])
                candidates = []
                for label in labels:
                    for stat in stats:
                        if stat.pos >= label[1]:
                            gap, lo, hi, penalty = stat.pos - label[1], label[0], stat.pos, 0
                        else:
                            gap, lo, hi, penalty = label[0] - stat.endpos, stat.pos, label[0], 15
                        if not -1 <= gap <= lex.window or any(lo < mark < hi for mark in marks):
                            continue
                        candidates.append((max(gap, 0) + penalty, label[0], stat.pos, label, stat))
                used_labels, used_stats = set(), set()
                for _, _, _, label, stat in sorted(candidates, key=lambda c: c[:3]):
                    if label[0] in used_labels or stat.pos in used_stats:
                        continue
                    used_labels.add(label[0])
                    used_stats.add(stat.pos)
                    pairs.append((label, stat))
            for label, stat in pairs:
                figure = label[2]
                matches.append(FactMatch(sentence, stat, figure, " ".join(label[3].split()),
                                         agrees(stat, figure.value, lex.tolerance)))
    analysis._facts = matches
    return matches


def format_value(value: float) -> str:
    return f"{value:g}"


# --- what the claim rules share -----------------------------------------------------------------------

class ClaimRule(Rule):
    """A rule reading the shared analysis; subclasses set code, docs and `check`."""

    _lex: Lexicon | None = None

    def prepare(self, ctx: AuditContext) -> None:
        self._lex = lexicon(ctx.pack)

    def lex(self, ctx: AuditContext) -> Lexicon:
        if self._lex is None:
            self._lex = lexicon(ctx.pack)
        return self._lex


def claim_interval(entry: Entry, ctx: AuditContext, lex: Lexicon) -> tuple[int, str] | None:
    """(days, how it reads) after which a claim pinned to a date is stale: the kind's `dated_claim_horizon_years`
    when it sets one, else its `review_interval_days`, else `default_claim_interval_days`. None: off (news)."""
    data = ctx.config.kind_data(entry.kind)
    if "dated_claim_horizon_years" in data:
        if data["dated_claim_horizon_years"] is None:
            return None
        years = float(data["dated_claim_horizon_years"])
        return round(years * 365.25), years_text(years)
    days = int(data.get("review_interval_days") or lex.default_claim_days)
    return days, f"{days} days"


def own_date(entry: Entry) -> tuple[dt.date | None, str]:
    """The date an undated claim in the entry speaks from, and where it comes from: `published` for news, else
    the entry's last change (`updated`; a git date where a source gives one would be better), else `published`."""
    # A last-change date read from git, once entries carry one, is the better date here than `updated`.
    if entry.kind == "news" and entry.published:
        return entry.published, "published"
    if entry.updated:
        return entry.updated, "updated"
    if entry.published:
        return entry.published, "published"
    return None, ""


def kind_horizon(entry: Entry, ctx: AuditContext, key: str, default: float) -> float | None:
    """Years from `rules/kinds.yml` for the entry's kind; None when the kind turns the check off."""
    data = ctx.config.kind_data(entry.kind)
    if key in data:
        return None if data[key] is None else float(data[key])
    return default


def age_text(as_of: dt.date, then: dt.date) -> str:
    years = (as_of - then).days / 365.25
    if years >= 1:
        return f"{years:.1f} years"
    days = (as_of - then).days
    return f"{days} day" + ("" if days == 1 else "s")


def years_text(value: float) -> str:
    return f"{value:g} year" + ("" if value == 1 else "s")


def sentence_key(sentence: Sentence) -> str:
    return " ".join(re.sub(r"[^\w%$.]+", " ", sentence.raw.lower()).split())[:120]
