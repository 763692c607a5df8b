"""Prose rules as data: Vale-style YAML rules, compiled once per run, run over an entry's prose.

A prose rule is one YAML mapping in the shape of a Vale rule (`extends`, `message`, `level`, `scope`
and the fields of its kind), so a directory can drop its existing Vale styles into its configuration.
Supported kinds: existence, substitution, occurrence, repetition, consistency, conditional, metric.
Anything else (an unknown kind, a field this engine does not implement, a regex that does not compile)
is reported once as a message naming the file, and never stops a run.

The prose of an entry is its title, its summary and its body outside fenced code, with inline code
spans, URLs, link targets and HTML tags blanked out. It is built once per entry and shared by every
PRS rule (the engine keeps the last entry's prose on the audit context).

Besides Vale's fields a rule may carry these (all optional; Vale itself would ignore them):
`label` (what a match is, for messages), `density` (flag the entry only above this many matches per
100 words), `min_matches`, `min_words` (skip entries with less prose), `unless` (a regex: a match whose
sentence also matches it does not count, e.g. a hype word next to a benchmark figure or a link),
`fix` (the suggested fix), `evidence` (how many matches to quote).
"""

from __future__ import annotations

import ast
import bisect
import hashlib
import json
import logging
import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import yaml

from auditor import safe_yaml
from auditor.checks.base import AuditContext, Rule
from auditor.checks.language import entry_is_english
from auditor.config import PackLoader
from auditor.markdown_text import fenced_lines
from auditor.models import Entry, Finding, Severity

log = logging.getLogger("auditor.prose")

KINDS = ("existence", "substitution", "occurrence", "repetition", "consistency", "conditional", "metric")
COMMON_FIELDS = {"extends", "message", "level", "scope", "link", "description", "action", "vocab", "limit"}
KIND_FIELDS: dict[str, set[str]] = {
    "existence": {"tokens", "raw", "append", "ignorecase", "nonword", "exceptions"},
    "substitution": {"swap", "ignorecase", "nonword", "exceptions", "capitalize", "append"},
    "occurrence": {"token", "max", "min", "ignorecase"},
    "repetition": {"tokens", "alpha", "ignorecase", "exceptions", "max"},
    "consistency": {"either", "ignorecase", "nonword", "exceptions"},
    "conditional": {"first", "second", "ignorecase", "exceptions"},
    "metric": {"formula", "condition"},
}
AUDITOR_FIELDS = {"label", "density", "min_matches", "min_words", "unless", "fix", "evidence"}
SCOPES = {"text", "heading", "paragraph", "list", "sentence", "table", "blockquote", "summary", "title"}
LEVELS = {"suggestion": Severity.info, "warning": Severity.warning, "error": Severity.error}

# --- the prose of one entry -----------------------------------------------------------------------------

# Inline code spans, HTML tags and comments become a space; autolinks, URLs and Markdown link targets
# become LINK, a mark that is no word (so it is not counted) but that a rule's `unless` can look for.
# Each pattern starts with a literal, so the regex engine skips ahead fast; each runs only when its
# literal occurs at all.
LINK = "\u2197"
_CLEANERS = (
    ("`", re.compile(r"`[^`\n]*`"), " "),
    ("<!--", re.compile(r"<!--.*?-->"), " "),
    ("<http", re.compile(r"<https?://[^>\s]*>"), f" {LINK} "),
    ("](", re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"), f"] {LINK} "),
    ("://", re.compile(r"(?:https?|ftp)://[^\s)>\]]+"), f" {LINK} "),
    ("<", re.compile(r"</?[A-Za-z][^>\n]*>"), " "),
)


def _clean(text: str) -> str:
    for literal, pattern, replacement in _CLEANERS:
        if literal in text:
            text = pattern.sub(replacement, text)
    return text


_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]")
_HEADING_AT = re.compile(r"[ \t]{0,3}#{1,6}[ \t]")  # for match(text, pos), where ^ would not match
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_WORD = re.compile(r"[a-z0-9]+")  # a trigger word: a lower-case alphanumeric run
# Words are alphanumeric runs (`don't` is two, `read-only` is two): punctuation becomes a space, then split.
_ASCII_WORDS = bytes(
    (c + 32 if 65 <= c <= 90 else c) if chr(c).isalnum() or c >= 128 else 32 for c in range(256)
)
_UNICODE_WORDS = {c: " " for c in range(128) if not chr(c).isalnum()}
_UNICODE_WORDS.update({ord(c): " " for c in "\u2019\u2018\u201c\u201d\u2014\u2013\u2026\u00a0\u2022\u00b7\u2192"
                       "\u2197\u00ab\u00bb\u2032\u2033\u00d7"})
# A sentence inside one block: runs to . ! or ? before a space (or the block's end).
_SENTENCE = re.compile(r"[^.!?]*(?:[.!?]+(?![\s\"')\]]|$)[^.!?]*)*(?:[.!?]+[\"')\]]*)?")
_SEGMENT_BREAK = "\x00\n"  # between title, summary and body: ends a block, starts a line
_CONTINUES = re.compile(r"\n(?=[ \t]*[^\s#|>*+\-\d\x00])")  # a newline before a line that starts no block
_SAME_TEXT = {"sentence": "text", "paragraph": "text", "summary": "text"}  # scopes that read the whole text


@dataclass(eq=False)
class Prose:
    """The prose of one entry, with its line numbers. Everything is computed lazily, once per scope."""

    segments: list[tuple[int, str, str]]  # (first line, kind: title | summary | body, text)
    fences: int = 0
    _texts: dict[str, tuple[str, list[int], list[int]]] = field(default_factory=dict)
    _tokens: dict[str, list[Any]] = field(default_factory=dict)
    _wordsets: dict[str, set[Any]] = field(default_factory=dict)
    _blocks: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    _lower: dict[str, str] = field(default_factory=dict)
    _headings: dict[str, int] = field(default_factory=dict)
    _continuations: dict[str, list[int]] = field(default_factory=dict)
    _hits: set[str] | None = None
    _heading_lines: str | None = None

    def text(self, scope: str = "text") -> tuple[str, list[int], list[int]]:
        """(text, segment start offsets, segment first lines) for a scope: `text`, `~heading`, `heading`..."""
        scope = _SAME_TEXT.get(scope, scope)
        cached = self._texts.get(scope)
        if cached is None:
            parts, starts, lines, offset = [], [], [], 0
            for first_line, kind, text in self.segments:
                selected = _select(text, kind, scope)
                if selected is None:
                    continue
                parts.append(selected)
                starts.append(offset)
                lines.append(first_line)
                offset += len(selected) + len(_SEGMENT_BREAK)
            cached = self._texts[scope] = (_SEGMENT_BREAK.join(parts), starts, lines)
        return cached

    def lower(self, scope: str = "text") -> str:
        scope = _SAME_TEXT.get(scope, scope)
        low = self._lower.get(scope)
        if low is None:
            low = self._lower[scope] = self.text(scope)[0].lower()
        return low

    def line_of(self, scope: str, offset: int) -> int:
        text, starts, lines = self.text(scope)
        index = max(bisect.bisect_right(starts, offset) - 1, 0)
        return lines[index] + text.count("\n", starts[index], offset)

    def tokens(self, scope: str = "text") -> list[Any]:
        """The scope's words, lower-cased: bytes for ASCII text (much faster to split), else str."""
        scope = _SAME_TEXT.get(scope, scope)
        tokens = self._tokens.get(scope)
        if tokens is None:
            low = self.heading_lines().lower() if scope == "heading" else self.lower(scope)
            if low.isascii():
                tokens = low.encode("ascii").translate(_ASCII_WORDS).split()
            else:
                tokens = low.translate(_UNICODE_WORDS).split()
            self._tokens[scope] = tokens
        return tokens

    def wordset(self, scope: str = "text") -> set[Any]:
        scope = _SAME_TEXT.get(scope, scope)
        found = self._wordsets.get(scope)
        if found is None:
            found = self._wordsets[scope] = set(self.tokens(scope))
        return found

    def word_count(self, scope: str = "text") -> int:
        if scope == "~heading":
            return len(self.tokens("text")) - len(self.tokens("heading"))
        return len(self.tokens(scope))

    def blocks(self, scope: str = "text") -> list[tuple[int, int]]:
        """(start, end) of every block: a paragraph (over several lines), a list item (with its
        continuation lines), a heading, a table row, a blockquote line, the title, the summary."""
        scope = _SAME_TEXT.get(scope, scope)
        found = self._blocks.get(scope)
        if found is not None:
            return found
        found = []
        headings = 0
        text = self.text(scope)[0]
        pos, start, end, open_ = 0, -1, 0, False
        for line in text.split("\n"):
            line_end = pos + len(line)
            first = line[:1]
            if first in (" ", "\t", "\x00"):
                stripped = line.strip(" \t\x00")
                first = stripped[:1]
            if not first:
                if start >= 0:
                    found.append((start, end))
                    start = -1
            else:
                if first == "#":
                    marker = True
                    headings += 1
                elif first in "|>":
                    marker = True
                elif first in "-*+":
                    marker = line.lstrip(" \t")[1:2] in (" ", "\t", "")
                else:
                    marker = first in "0123456789" and _LIST_ITEM.match(line) is not None
                if start >= 0 and open_ and not marker:
                    end = line_end
                else:
                    if start >= 0:
                        found.append((start, end))
                    start, end, open_ = pos, line_end, first not in "#|"
                if line.endswith("\x00"):
                    open_ = False
            pos = line_end + 1
        if start >= 0:
            found.append((start, end))
        self._blocks[scope] = found
        self._headings[scope] = headings
        return found

    def continuations(self, scope: str = "text") -> list[int]:
        """Offsets of the newlines that continue a paragraph or list item (hard-wrapped prose). Most entries
        have none, and then every non-blank line is a block of its own: no per-line work is needed."""
        scope = _SAME_TEXT.get(scope, scope)
        found = self._continuations.get(scope)
        if found is None:
            text = self.text(scope)[0]
            found = []
            for m in _CONTINUES.finditer(text):
                at = m.start()
                previous = text[text.rfind("\n", 0, at) + 1:at]
                head = previous.lstrip(" \t")[:1]
                if head and head not in "#|\x00" and not previous.endswith("\x00"):
                    found.append(at)
            self._continuations[scope] = found
        return found

    def block_around(self, scope: str, offset: int) -> tuple[int, int]:
        text = self.text(scope)[0]
        if not self.continuations(scope):
            start = text.rfind("\n", 0, offset) + 1
            end = text.find("\n", offset)
            return start, len(text) if end < 0 else end
        blocks = self.blocks(scope)
        index = max(bisect.bisect_right(blocks, (offset, 1 << 62)) - 1, 0)
        return blocks[index] if blocks else (0, len(text))

    def long_blocks(self, scope: str, spaces: int) -> list[tuple[int, int]]:
        """The blocks holding at least `spaces` spaces, the only ones where a sentence of more words can be."""
        text = self.text(scope)[0]
        if self.continuations(scope):
            return [(a, b) for a, b in self.blocks(scope)
                    if text.count(" ", a, b) >= spaces and not text[a:b].lstrip().startswith("|")]
        found, pos = [], 0
        for line in text.split("\n"):  # a table row is cells, not a sentence
            if len(line) > spaces and line.count(" ") >= spaces and not line.lstrip().startswith("|"):
                found.append((pos, pos + len(line)))
            pos += len(line) + 1
        return found

    def sentences_in(self, scope: str, start: int, end: int) -> list[tuple[int, str]]:
        """(offset, sentence) for the sentences of one block."""
        text = self.text(scope)[0]
        block = text[start:end].replace("\n", " ").replace("\x00", " ")
        found = []
        for m in _SENTENCE.finditer(block):
            sentence = m.group(0)
            stripped = sentence.lstrip()
            if stripped.strip():
                found.append((start + m.start() + len(sentence) - len(stripped), stripped.rstrip()))
        return found

    def sentences(self, scope: str = "text") -> list[tuple[int, str]]:
        found = []
        for start, end in self.blocks(scope):
            found.extend(self.sentences_in(scope, start, end))
        return found

    def sentence_at(self, scope: str, offset: int) -> str:
        start, end = self.block_around(scope, offset)
        sentence = ""
        for begin, text in self.sentences_in(scope, start, end):
            if begin > offset:
                break
            sentence = text
        return sentence

    def sentence_count(self, scope: str = "text") -> int:
        """Blocks plus the sentence ends inside them (`. `, `! `, `? `): an estimate, no regex."""
        scope = _SAME_TEXT.get(scope, scope)
        if scope == "~heading":  # the whole text's, less its headings' (a heading is one sentence)
            return self.sentence_count("text") - self.heading_lines().count("\n") - 1
        text = self.text(scope)[0]
        lines = text.split("\n")
        # a line ends a sentence: hard-wrapped paragraphs count a few too many (never too few)
        return len(lines) - lines.count("") + text.count(". ") + text.count("! ") + text.count("? ")

    def heading_lines(self) -> str:
        """The heading lines of the body, one a line (no line numbers kept: for counting)."""
        if self._heading_lines is None:
            body = self.segments[-1][2] if self.segments and self.segments[-1][1] == "body" else ""
            self._heading_lines = "\n".join(_heading_spans(body))
        return self._heading_lines

    def hits(self) -> set[str]:
        """The anchor words of every compiled rule that occur in the entry (one pass over its words)."""
        found = self._hits
        if found is None:
            tokens = self.tokens("text")
            if tokens and isinstance(tokens[0], bytes):
                found = {word.decode("ascii") for word in _ANCHORS_ASCII.intersection(tokens)}
            else:
                found = _ANCHORS.intersection(tokens)
            self._hits = found
        return found


def _select(text: str, kind: str, scope: str) -> str | None:
    """The part of one segment a scope covers; lines outside it are blanked so line numbers stay right."""
    if scope in ("text", "sentence", "paragraph", "summary"):
        return text
    if scope == "title":
        return text if kind == "title" else None
    if kind != "body":
        return None if scope in ("heading", "list", "table", "blockquote") else text
    if scope == "~heading":
        if "#" not in text:
            return text
        return "\n".join("" if line.lstrip(" ")[:1] == "#" and _HEADING.match(line) else line
                         for line in text.split("\n"))
    if scope == "heading":
        return _headings_only(text)
    keep = {
        "heading": lambda line: _HEADING.match(line) is not None,
        "~heading": lambda line: not line.lstrip(" ").startswith("#") or _HEADING.match(line) is None,
        "list": lambda line: _LIST_ITEM.match(line) is not None,
        "table": lambda line: line.lstrip().startswith("|"),
        "blockquote": lambda line: line.lstrip().startswith(">"),
    }.get(scope)
    if keep is None:
        return text
    return "\n".join(line if keep(line) else "" for line in text.split("\n"))


def _heading_spans(text: str) -> list[str]:
    found, at = [], text.find("#")
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        if not text[start:at].strip(" ") and _HEADING_AT.match(text, start):
            found.append(text[start:end])
        at = text.find("#", end)
    return found


def _headings_only(text: str) -> str:
    """The heading lines of a text, every other line blank: a find() per `#`, no per-line work."""
    pieces, done, at = [], 0, text.find("#")
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        if not text[start:at].strip(" ") and _HEADING_AT.match(text, start):
            pieces.append("\n" * text.count("\n", done, start))
            pieces.append(text[start:end])
            done = end
        at = text.find("#", end)
    pieces.append("\n" * text.count("\n", done))
    return "".join(pieces)


def build_prose(entry: Entry) -> Prose:
    segments: list[tuple[int, str, str]] = []
    if entry.title:
        segments.append((entry.line_of("title"), "title", _clean(str(entry.title))))
    if entry.summary:
        summary = " ".join(str(entry.summary).split())  # a folded summary reads as one paragraph
        segments.append((entry.line_of("summary"), "summary", _clean(summary)))
    body = "" if entry.body_repeats_summary else "\n".join(entry.body_lines)
    fences = 0
    if "```" in body or "~~~" in body:
        mask = fenced_lines(entry.body_lines)
        fences = sum(1 for i, code in enumerate(mask) if code and (i == 0 or not mask[i - 1]))
        body = "\n".join("" if code else line for line, code in zip(entry.body_lines, mask, strict=True))
    if body:
        segments.append((entry.body_start, "body", _clean(body)))
    return Prose(segments, fences)


# --- syllables and metric variables ---------------------------------------------------------------------

_VOWELS = re.compile(r"[aeiouy]+")


# Syllables are estimated over the whole text at once, with no per-word work: with vowels mapped to "v"
# and everything else to a space, each " v" starts a vowel group, and a vowel group is a syllable. A silent
# final e counts too ("make" has two), so the estimate runs about 10% high; the thresholds allow for it.
_VOWEL_RUNS = bytes(ord("v") if chr(c) in "aeiouyAEIOUY" else 32 for c in range(256))
_SHAPE = bytes(
    ord("v") if chr(c) in "aeiouyAEIOUY" else ord("c") if chr(c).isalnum() or c >= 128 else 32 for c in range(256)
)


def _text_stats(prose: Prose, text: str, needed: set[str], words: int) -> dict[str, float]:
    raw = b" " + text.encode("utf-8") + b" "
    values: dict[str, float] = {"words": words}
    if needed & {"syllables", "polysyllabic_words", "complex_words"}:
        values["syllables"] = max(raw.translate(_VOWEL_RUNS).count(b" v"), words)
    if needed & {"characters", "long_words", "polysyllabic_words", "complex_words"}:
        shapes = raw.translate(_SHAPE).split()
        values["characters"] = sum(map(len, shapes))
        values["long_words"] = sum(1 for w in shapes if len(w) > 6)
        many = [w for w in shapes if (b"c" + w).count(b"cv") >= 3]
        values["polysyllabic_words"] = len(many)
        values["complex_words"] = len(many)  # suffixes are not looked at: the same estimate
    return values


def metric_variables(prose: Prose, scope: str, needed: set[str]) -> dict[str, float]:
    """Vale's metric variables for a scope; the costly ones only when the formula uses them. For the
    usual scope (all prose but headings) they are the whole text's less the headings'."""
    if scope == "~heading":
        whole = _text_stats(prose, prose.text("text")[0], needed, prose.word_count("text"))
        headings = _text_stats(prose, prose.heading_lines(), needed, prose.word_count("heading"))
        values = {key: whole[key] - headings.get(key, 0) for key in whole}
    else:
        values = _text_stats(prose, prose.text(scope)[0], needed, prose.word_count(scope))
    if "sentences" in needed:
        values["sentences"] = max(prose.sentence_count(scope), 1)
    if needed & {"paragraphs", "list", "blockquote", "pre"} or any(n.startswith("heading_") for n in needed):
        text = prose.text(scope)[0]
        lines = text.split("\n")
        values["paragraphs"] = len(prose.blocks(scope))
        items = [_LIST_ITEM.match(line) is not None for line in lines]
        values["list"] = sum(1 for before, now in zip([False, *items], items, strict=False) if now and not before)
        values["blockquote"] = sum(1 for line in lines if line.lstrip().startswith(">"))
        values["pre"] = prose.fences
        for level in range(1, 7):
            values[f"heading_h{level}"] = sum(1 for line in lines if line.startswith("#" * level + " "))
    return values


_OPS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow, ast.Mod: operator.mod, ast.USub: operator.neg, ast.UAdd: operator.pos,
}
_FUNCS: dict[str, Callable[..., float]] = {
    "sqrt": math.sqrt, "log": math.log, "log10": math.log10, "abs": abs, "min": min, "max": max,
    "round": round, "floor": math.floor, "ceil": math.ceil, "pow": pow,
}


def compile_formula(formula: str) -> tuple[ast.Expression, set[str]]:
    """Parse a metric formula; only arithmetic, numbers, the metric variables and a few math functions."""
    tree = ast.parse(formula.replace("heading.h", "heading_h").strip(), mode="eval")
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            if not (isinstance(node.value, ast.Name) and node.value.id == "math" and node.attr in _FUNCS):
                raise ValueError(f"unsupported name {ast.unparse(node)!r}")
        elif not isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Constant, ast.Load,
                                   *_OPS)):
            raise ValueError(f"unsupported syntax {ast.unparse(node)!r}")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ValueError(f"unsupported constant {node.value!r}")
    names.discard("math")
    unknown = {n for n in names if n not in _FUNCS and n not in _VARIABLES}
    if unknown:
        raise ValueError(f"unknown variable(s) {', '.join(sorted(unknown))}")
    return tree, names


_VARIABLES = {"words", "sentences", "characters", "syllables", "polysyllabic_words", "complex_words",
              "long_words", "paragraphs", "list", "pre", "blockquote", *(f"heading_h{i}" for i in range(1, 7))}


_FORMULA_GLOBALS: dict[str, Any] = {"__builtins__": {}, "math": math, **_FUNCS}


_CONDITION = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$")
_COMPARE = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge, "==": operator.eq,
            "!=": operator.ne}

# --- compiled rules -------------------------------------------------------------------------------------


class RuleProblem(ValueError):
    """A rule this engine cannot run as written."""


@dataclass
class Match:
    offset: int
    text: str
    line: int = 0
    count: int = 0  # an occurrence rule's count in the unit
    note: str = ""  # per-match detail: a suggestion, a count, a value
    fix: str = ""


@dataclass
class Outcome:
    """What one prose rule found in one entry."""

    rule: CompiledRule
    matches: list[Match]
    words: int
    value: float | None = None  # a metric's value

    @property
    def density(self) -> float:
        return 100.0 * len(self.matches) / self.words if self.words else 0.0


@dataclass(eq=False)
class CompiledRule:
    name: str  # Style.Rule for a directory's styles, the pack name for shipped packs
    source: str  # the file (or pack key) it came from, for messages
    kind: str
    data: dict[str, Any]
    scope: str = "text"
    message: str = "%s"
    level: Severity = Severity.warning
    label: str = "matches"
    density: float = 0.0
    min_matches: int = 1
    min_words: int = 0
    evidence: int = 3
    fix: str = ""
    pattern: re.Pattern[str] | None = None
    # When every token is a plain phrase: a match needs all of a phrase's words in the entry (a cheap prefilter).
    triggers: tuple[Phrase, ...] | None = None
    exceptions: re.Pattern[str] | None = None
    unless: re.Pattern[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def run(self, prose: Prose) -> Outcome | None:
        """The entry's matches when they add up to a finding, else None."""
        scope = self.scope
        if self.triggers is not None and not self._present(prose):
            return None
        words = prose.word_count(scope)
        if words < self.min_words or (self.kind != "metric" and words == 0):
            return None
        value = None
        if self.kind == "metric":
            found, value = self._metric(prose)
        else:
            found = getattr(self, "_" + self.kind)(prose)
        if self.unless is not None and found:
            found = self._drop_supported(prose, found)
        if len(found) < self.min_matches:
            return None
        outcome = Outcome(self, found, words, value)
        if self.kind != "metric" and self.density and outcome.density <= self.density:
            return None
        for match in found:
            match.line = prose.line_of(scope, match.offset)
        return outcome

    # Each kind returns its matches (offset into prose.text(scope)).

    def _excepted(self, text: str) -> bool:
        return self.exceptions is not None and self.exceptions.fullmatch(text) is not None

    def _present(self, prose: Prose) -> set[str]:
        """The anchor words of the phrases whose words all occur in the entry."""
        by_anchor = self.extra["anchors"]
        anchors = by_anchor.keys() & prose.hits()
        if not anchors:
            return set()
        low = prose.lower("text")  # a phrase's other words must occur too (as text: a cheap superset test)
        return {phrase[0] for anchor in anchors for phrase in by_anchor[anchor]
                if len(phrase[1]) == 1 or all(word in low for word in phrase[1])}

    def _scan(self, prose: Prose) -> Iterable[re.Match[str]]:
        """The pattern's matches in the scope's text. With trigger words, only the lines around each
        trigger word are searched (and the line after, for a phrase broken over two lines): one regex
        over a whole entry costs more than finding a few words."""
        text = prose.text(self.scope)[0]
        assert self.pattern is not None
        low = prose.lower(self.scope)
        if self.triggers is None or len(low) != len(text):
            yield from self.pattern.finditer(text)
            return
        windows = set()
        for word in self._present(prose):
            at = low.find(word)
            while at >= 0:
                line_start = low.rfind("\n", 0, at)
                start = low.rfind("\n", 0, line_start) + 1 if line_start > 0 else 0
                end = low.find("\n", at)
                end = -1 if end < 0 else low.find("\n", end + 1)
                windows.add((start, len(low) if end < 0 else end))
                if len(windows) > 12:  # the words are everywhere: one pass over the whole text
                    yield from self.pattern.finditer(text)
                    return
                at = low.find(word, at + len(word))
        seen = -1
        for start, end in sorted(windows):
            for m in self.pattern.finditer(text, max(start, seen), end):
                if m.start() >= seen:
                    seen = m.end()
                    yield m

    def _existence(self, prose: Prose) -> list[Match]:
        return [Match(m.start(), m.group(0)) for m in self._scan(prose) if not self._excepted(m.group(0))]

    def _substitution(self, prose: Prose) -> list[Match]:
        found = []
        for m in self._scan(prose):
            observed = m.group(0)
            if self._excepted(observed):
                continue
            for key_re, replacement in self.extra["swap"]:
                if key_re.fullmatch(observed):
                    suggestion = key_re.sub(replacement, observed, count=1)
                    break
            else:
                continue
            if self.extra["capitalize"] and observed[:1].isupper():
                suggestion = suggestion[:1].upper() + suggestion[1:]
            if suggestion == observed:
                continue
            shown = " or ".join(f"'{s}'" for s in suggestion.split("|")) if suggestion else "nothing (remove it)"
            fix = f"'{observed}' → {shown}"
            found.append(Match(m.start(), observed, note=_format(self.message, suggestion, observed), fix=fix))
        return found

    def _units(self, prose: Prose, spaces: int = 0) -> list[tuple[int, str]]:
        """The units a sentence- or paragraph-scoped rule counts in; with `spaces`, only blocks that hold
        at least that many spaces (a block with fewer cannot hold a sentence of more words)."""
        if self.scope in ("sentence", "paragraph"):
            text = prose.text("text")[0]
            blocks = prose.long_blocks("text", spaces) if spaces else prose.blocks("text")
            if self.scope == "paragraph":
                return [(a, text[a:b]) for a, b in blocks]
            return [unit for a, b in blocks for unit in prose.sentences_in("text", a, b)]
        return [(0, prose.text(self.scope)[0])]

    def _occurrence(self, prose: Prose) -> list[Match]:
        assert self.pattern is not None
        most, least = self.extra["max"], self.extra["min"]
        found = []
        wordlike = self.extra["wordlike"] and most is not None and least is None
        for offset, unit in self._units(prose, spaces=most if wordlike else 0):
            if most is not None and least is None and len(unit) <= most:
                continue  # cannot hold more than `max` non-empty matches
            count = len(self.pattern.findall(unit))
            if (most is not None and count > most) or (least is not None and count < least):
                found.append(Match(offset, unit.strip(), note=_format(self.message, count), count=count))
        return found

    def _repetition(self, prose: Prose) -> list[Match]:
        text = prose.text(self.scope)[0]
        assert self.pattern is not None
        found, previous, run = [], None, 0
        for m in self.pattern.finditer(text):
            token = m.group(0)
            if self.extra["alpha"] and not token.isalpha():
                previous = None
                continue
            same = token.lower() if self.extra["ignorecase"] else token
            gap = text[previous[1]:m.start()] if previous else None
            if previous and same == previous[0] and gap is not None and not gap.strip():
                run += 1
                if run > self.extra["max"] and not self._excepted(token):
                    found.append(Match(m.start(), token, note=_format(self.message, token)))
            else:
                run = 0
            previous = (same, m.end())
        return found

    def _consistency(self, prose: Prose) -> list[Match]:
        text = prose.text(self.scope)[0]
        found = []
        for first, second in self.extra["either"]:
            a = [m for m in first.finditer(text) if not self._excepted(m.group(0))]
            b = [m for m in second.finditer(text) if not self._excepted(m.group(0))]
            if a and b:
                minority = b if a[0].start() < b[0].start() else a
                majority = a if minority is b else b
                for m in minority:
                    found.append(Match(m.start(), m.group(0),
                                       note=_format(self.message, majority[0].group(0), m.group(0))))
        return found

    def _conditional(self, prose: Prose) -> list[Match]:
        first, second = self.extra["first"], self.extra["second"]
        found = []
        for offset, unit in self._units(prose):
            defined = {(m.group(1) if m.groups() else m.group(0)) for m in second.finditer(unit)}
            for m in first.finditer(unit):
                token = m.group(1) if m.groups() else m.group(0)
                if token not in defined and not self._excepted(token):
                    found.append(Match(offset + m.start(), token, note=_format(self.message, token)))
        return found

    def _metric(self, prose: Prose) -> tuple[list[Match], float | None]:
        names, (op, limit) = self.extra["names"], self.extra["condition"]
        values = metric_variables(prose, self.scope, names)
        try:
            value = float(eval(self.extra["code"], _FORMULA_GLOBALS, values))  # noqa: S307 (checked AST)
        except (ZeroDivisionError, ValueError, OverflowError, NameError, TypeError):
            return [], None
        if not _COMPARE[op](value, limit):
            return [], value
        shown = f"{value:.1f}"
        starts = prose.text(self.scope)[1]  # reported at the body's first line (the last segment)
        return [Match(starts[-1] if starts else 0, shown, note=_format(self.message, shown))], value

    def _drop_supported(self, prose: Prose, found: list[Match]) -> list[Match]:
        assert self.unless is not None
        return [match for match in found if not self.unless.search(prose.sentence_at(self.scope, match.offset))]


def _format(message: str, *args: Any) -> str:
    """Vale messages use `%s` placeholders; fill as many as there are."""
    count = message.count("%s")
    if not count:
        return message
    try:
        return message % tuple(str(a) for a in (*args, *[""] * count)[:count])
    except (TypeError, ValueError):
        return message


def _bool(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise RuleProblem(f"`{key}` must be true or false, not {value!r}")
    return value


def _strings(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise RuleProblem(f"`{key}` must be a list of strings")
    return [str(v) for v in value]


def _compile(source: str, flags: int) -> re.Pattern[str]:
    try:
        return re.compile(source, flags)
    except re.error as exc:
        raise RuleProblem(f"regular expression {source!r} does not compile: {exc}") from None


def _bounded(parts: list[str], nonword: bool) -> str:
    # Vale wraps tokens in \b...\b; a lookaround says the same for tokens that start or end with a word
    # character, and lets a token such as "#1" match at all.
    # longest first, so "best-in-class" is matched whole rather than as "best"
    group = "(?:" + "|".join(sorted(parts, key=lambda part: len(_drop_lookarounds(part)), reverse=True)) + ")"
    return group if nonword else r"(?<!\w)" + group + r"(?!\w)"


_COMMON = {"a", "an", "the", "to", "of", "in", "on", "at", "is", "are", "it", "i", "we", "for", "with", "and", "or",
           "as", "be", "by", "this", "that", "some", "many", "more", "most", "so", "s"}
_LITERAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 '’\-]*")


def _drop_lookarounds(token: str) -> str:
    """The token without its (?=...), (?!...), (?<=...), (?<!...) groups, nested parentheses included."""
    out, i = [], 0
    while i < len(token):
        if token.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            depth = 0
            while i < len(token):
                if token[i] == "\\":
                    i += 2
                    continue
                depth += {"(": 1, ")": -1}.get(token[i], 0)
                i += 1
                if depth == 0:
                    break
            continue
        out.append(token[i])
        i += 1
    return "".join(out)


# Every compiled rule's anchor words: one intersection with an entry's words tells every rule whether to look.
_ANCHORS: set[str] = set()
_ANCHORS_ASCII: set[bytes] = set()
Phrase = tuple[str, frozenset[str], frozenset[bytes]]  # (anchor word, every word it needs, the same as bytes)


def _phrase(token: str) -> Phrase | None:
    """What a plain-phrase token needs: all of its words in the entry. Its longest word, usually the rarest,
    anchors the search ("a number of" is looked for around "number"). None for a real regular expression."""
    plain = _drop_lookarounds(token).replace(r"\#", "#").lstrip("#")
    if not plain or not _LITERAL.fullmatch(plain):
        return None
    words = _WORD.findall(plain.lower())
    if not words or not all(w.isascii() for w in words):
        return None
    anchor = max((w for w in words if w not in _COMMON), key=len, default=max(words, key=len))
    return anchor, frozenset(words), frozenset(w.encode("ascii") for w in words)


def _phrases(tokens: Iterable[str]) -> tuple[Phrase, ...] | None:
    found = []
    for token in tokens:
        phrase = _phrase(token)
        if phrase is None:
            return None
        found.append(phrase)
    return tuple(found)


def compile_rule(name: str, source: str, data: Any) -> tuple[CompiledRule | None, list[str]]:
    """A runnable rule, or None, and the problems to report (unsupported fields are ignored, not fatal)."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return None, [f"{source}: a prose rule must be a YAML mapping, not {type(data).__name__}; rule skipped"]
    kind = str(data.get("extends", "")).strip()
    if kind not in KINDS:
        what = f"`extends: {kind}` is not supported" if kind else "no `extends:`"
        return None, [f"{source}: {what} (supported: {', '.join(KINDS)}); rule skipped"]
    unknown = sorted(set(data) - COMMON_FIELDS - KIND_FIELDS[kind] - AUDITOR_FIELDS)
    if unknown:
        problems.append(f"{source}: field(s) {', '.join(unknown)} not supported for `extends: {kind}`; ignored")
    try:
        rule = _build(name, source, kind, data)
    except RuleProblem as exc:
        return None, [*problems, f"{source}: {exc}; rule skipped"]
    return rule, problems


def _scope(data: dict[str, Any]) -> str:
    scope = data.get("scope", "text")
    scopes = [scope] if isinstance(scope, str) else list(scope) if isinstance(scope, list) else [None]
    cleaned = {str(s).strip().removesuffix(".md") for s in scopes}
    if cleaned == {"text", "~heading"} or cleaned == {"~heading"} or cleaned == {"paragraph", "list"}:
        return "~heading"
    if len(cleaned) == 1:
        only = cleaned.pop()
        if only.startswith("heading.h") or only == "heading":
            return "heading"
        if only in SCOPES:
            return only
        if only in ("table.cell", "table.header"):
            return "table"
    raise RuleProblem(f"scope {scope!r} is not supported (supported: {', '.join(sorted(SCOPES))}, ~heading)")


def _build(name: str, source: str, kind: str, data: dict[str, Any]) -> CompiledRule:
    ignorecase = _bool(data, "ignorecase", kind in ("existence",))
    flags = re.MULTILINE | (re.IGNORECASE if ignorecase else 0)
    level = LEVELS.get(str(data.get("level", "warning")).strip().lower())
    if level is None:
        raise RuleProblem(f"`level: {data.get('level')}` is not one of suggestion, warning, error")
    rule = CompiledRule(
        name=name, source=source, kind=kind, data=data, scope=_scope(data),
        message=str(data.get("message", "%s")), level=level, label=str(data.get("label", "matches")),
        density=float(data.get("density", 0) or 0), min_matches=int(data.get("min_matches", 1) or 1),
        min_words=int(data.get("min_words", 0) or 0), evidence=int(data.get("evidence", 3) or 3),
        fix=str(data.get("fix", "")).strip(),
    )
    exceptions = _strings(data, "exceptions")
    if exceptions:
        rule.exceptions = _compile("(?:" + "|".join(exceptions) + ")", re.IGNORECASE if ignorecase else 0)
    if data.get("unless"):
        rule.unless = _compile(str(data["unless"]), re.IGNORECASE)
    nonword = _bool(data, "nonword", False)
    if kind == "existence":
        tokens, raw = _strings(data, "tokens"), _strings(data, "raw")
        if not tokens and not raw:
            raise RuleProblem("an existence rule needs `tokens` or `raw`")
        parts = [_bounded(tokens, nonword)] if tokens else []
        parts = [*parts, "".join(raw)] if _bool(data, "append", False) else ["".join(raw), *parts] if raw else parts
        rule.pattern = _compile("".join(parts), flags)
        rule.triggers = None if raw or nonword else _phrases(tokens)
        if data.get("scope", "text") not in ("text", "~heading", ["text", "~heading"]):
            rule.triggers = None
    elif kind == "substitution":
        swap = data.get("swap")
        if not isinstance(swap, dict) or not swap:
            raise RuleProblem("a substitution rule needs a `swap` mapping of observed: expected")
        pairs = []
        for key, value in swap.items():
            replacement = re.sub(r"\$(\d)", r"\\\1", "" if value is None else str(value))
            pairs.append((_compile(str(key), flags), replacement))
        rule.pattern = _compile(_bounded([str(k) for k in swap], nonword), flags)
        rule.extra = {"swap": pairs, "capitalize": _bool(data, "capitalize", False)}
        rule.triggers = None if nonword else _phrases(str(k) for k in swap)
        if data.get("scope", "text") not in ("text", "~heading", ["text", "~heading"]):
            rule.triggers = None
    elif kind == "occurrence":
        if "token" not in data:
            raise RuleProblem("an occurrence rule needs a `token`")
        if data.get("max") is None and data.get("min") is None:
            raise RuleProblem("an occurrence rule needs `max` or `min`")
        rule.pattern = _compile(str(data["token"]), flags)
        rule.extra = {"max": None if data.get("max") is None else int(data["max"]),
                      "min": None if data.get("min") is None else int(data["min"]),
                      # a token that matches words and never spaces or punctuation: a unit with more
                      # than `max` of them has about as many spaces, which is cheap to count first
                      "wordlike": bool(rule.pattern.fullmatch("word") and not rule.pattern.search(" ,;.!?"))}
    elif kind == "repetition":
        tokens = _strings(data, "tokens")
        if not tokens:
            raise RuleProblem("a repetition rule needs `tokens`")
        rule.pattern = _compile("(?:" + "|".join(tokens) + ")", flags)
        rule.extra = {"alpha": _bool(data, "alpha", False), "ignorecase": ignorecase, "max": int(data.get("max", 0))}
    elif kind == "consistency":
        either = data.get("either")
        if not isinstance(either, dict) or not either:
            raise RuleProblem("a consistency rule needs an `either` mapping of one form: the other")
        rule.extra = {"either": [(_compile(_bounded([str(a)], nonword), flags),
                                  _compile(_bounded([str(b)], nonword), flags)) for a, b in either.items()]}
    elif kind == "conditional":
        if not data.get("first") or not data.get("second"):
            raise RuleProblem("a conditional rule needs `first` and `second`")
        rule.extra = {"first": _compile(str(data["first"]), flags), "second": _compile(str(data["second"]), flags)}
    elif kind == "metric":
        if not data.get("formula") or not data.get("condition"):
            raise RuleProblem("a metric rule needs `formula` and `condition`")
        try:
            tree, names = compile_formula(str(data["formula"]))
        except (SyntaxError, ValueError) as exc:
            raise RuleProblem(f"formula {str(data['formula']).strip()!r} is not supported: {exc}") from None
        condition = _CONDITION.match(str(data["condition"]))
        if not condition:
            raise RuleProblem(f"condition {data['condition']!r} is not a comparison such as '> 8.0'")
        rule.extra = {"formula": tree, "names": names, "condition": (condition.group(1), float(condition.group(2))),
                      # compile_formula allowed only arithmetic, numbers, the variables and math functions
                      "code": compile(tree, f"<{source} formula>", "eval")}
        if rule.scope in ("text", "summary"):
            rule.scope = "~heading"
    if rule.triggers is not None:
        # every phrase needs its anchor: when no anchor occurs, nothing can match (one set operation)
        by_anchor: dict[str, list[Phrase]] = {}
        for phrase in rule.triggers:
            by_anchor.setdefault(phrase[0], []).append(phrase)
        rule.extra["anchors"] = by_anchor
        _ANCHORS.update(by_anchor)
        _ANCHORS_ASCII.update(anchor.encode("ascii") for anchor in by_anchor)
    return rule


@lru_cache(maxsize=256)
def _compile_cached(name: str, source: str, content: str) -> tuple[CompiledRule | None, tuple[str, ...]]:
    rule, problems = compile_rule(name, source, json.loads(content))
    return rule, tuple(problems)


def compile_cached(name: str, source: str, data: Any) -> tuple[CompiledRule | None, tuple[str, ...]]:
    """Compile once per distinct content: the same pack in every run (and every test) compiles once."""
    try:
        content = json.dumps(data, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return None, (f"{source}: rule cannot be read as data; rule skipped",)
    return _compile_cached(name, source, content)


# --- the engine for one run -----------------------------------------------------------------------------

_reported: set[str] = set()


def report_problem(message: str) -> None:
    """Say once per process what cannot be run as written; never stop the run."""
    if message not in _reported:
        _reported.add(message)
        log.warning("prose rules: %s", message)


def _read_style_file(path: Path) -> tuple[Any, str | None]:
    try:
        return safe_yaml.load(path.read_text(encoding="utf-8"), PackLoader), None
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{path}: cannot be read: {exc}; rule skipped"
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        return None, f"{path}{where}: not valid YAML; rule skipped"


def style_files(paths: Iterable[str], base: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """(Style.Rule name, file) for every Vale rule file under the given folders or files."""
    found, problems = [], []
    for entry in paths:
        path = Path(entry)
        path = path if path.is_absolute() else base / path
        if path.is_file():
            found.append((f"{path.parent.name}.{path.stem}", path))
        elif path.is_dir():
            for file in sorted(path.rglob("*.yml")):
                if file.name.startswith(".") or file.parent.name in ("Vocab", "vocabularies", "config"):
                    continue
                found.append((f"{file.parent.name}.{file.stem}", file))
        else:
            problems.append(f"{path}: prose style path does not exist (setting prose_styles)")
    return found, problems


@dataclass
class ProseEngine:
    packs: dict[str, CompiledRule]  # shipped pack name -> rule
    custom: list[CompiledRule]  # a directory's own styles
    problems: list[str]
    _last: tuple[Entry, Prose] | None = None

    def prose(self, entry: Entry) -> Prose:
        """The entry's prose, built once and shared by every PRS rule checking that entry (the rules of
        one entry run one after another, so only the last entry's prose is kept)."""
        if self._last is None or self._last[0] is not entry:
            self._last = (entry, build_prose(entry))
        return self._last[1]


SHIPPED = ("hedging", "intensifiers", "filler", "hype", "condescension", "long-sentences", "readability")


def engine_for(ctx: Any) -> ProseEngine:
    """One engine per audit context: packs compiled (cached by content), style files read once."""
    engine = getattr(ctx, "_prose_engine", None)
    if engine is not None:
        return engine
    problems: list[str] = []
    packs: dict[str, CompiledRule] = {}
    custom: list[CompiledRule] = []
    pack = ctx.pack.get("prose", {}) or {}
    for name, data in sorted(pack.items()):
        rule, found = compile_cached(name, f"rules/prose/{name}.yml", data)
        problems.extend(found)
        if rule is not None:
            (packs.__setitem__(name, rule) if name in SHIPPED else custom.append(rule))
    settings = ctx.config.settings
    paths = settings.get("prose_styles") or []
    if isinstance(paths, str):
        paths = [paths]
    if paths:
        base = ctx.config.source.parent if ctx.config.source else Path.cwd()
        files, found = style_files(paths, base)
        problems.extend(found)
        for name, path in files:
            data, problem = _read_style_file(path)
            if problem:
                problems.append(problem)
                continue
            rule, found = compile_cached(name, str(path), data)
            problems.extend(found)
            if rule is not None:
                custom.append(rule)
    for problem in problems:
        report_problem(problem)
    engine = ProseEngine(packs, custom, problems)
    ctx._prose_engine = engine
    return engine


def content_key(data: Any) -> str:
    return hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:12]


def evidence(outcome: Outcome) -> str:
    """The first few matches with their lines: `line 12: 'might' …`."""
    rule = outcome.rule
    shown = []
    for match in outcome.matches[: rule.evidence]:
        text = match.text if len(match.text) <= 80 else match.text[:77] + "…"
        detail = f" ({match.note})" if match.note and match.note != match.text and rule.kind != "existence" else ""
        shown.append(f"line {match.line}: \"{text}\"{detail}")
    more = len(outcome.matches) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


# --- the PRS rules' shared behaviour --------------------------------------------------------------------


def describe(outcome: Outcome) -> str:
    """The finding's message: how many matches, how dense, and the first few distinct ones."""
    rule, count = outcome.rule, len(outcome.matches)
    if rule.kind == "metric":
        op, limit = rule.extra["condition"]
        return f"{rule.label} is {outcome.value:.1f} (flagged when {op} {limit:g}) over {outcome.words} words"
    head = f"{count} {_plural(rule.label, count)}"
    if rule.density:
        head += (f" in {outcome.words} words ({outcome.density:.1f} per 100 words; "
                 f"the limit is {rule.density:g})")
    if rule.kind == "occurrence":
        most = max(outcome.matches, key=lambda m: m.count)
        return f"{head} (the longest has {most.count}, line {most.line})" if count > 1 else f"{head} ({most.count})"
    distinct: list[str] = []
    for match in outcome.matches:
        shown = match.text.lower() if rule.data.get("ignorecase", True) else match.text
        if shown not in distinct:
            distinct.append(shown)
    listed = ", ".join(f"'{text}'" for text in distinct[:5]) + (", …" if len(distinct) > 5 else "")
    return f"{head}: {listed}"


def _plural(label: str, count: int) -> str:
    """`sentences over 45 words` for 2, `sentence over 45 words` for 1."""
    if count != 1:
        return label
    first, _, rest = label.partition(" ")
    if first.endswith(("ches", "shes", "xes", "sses")):
        first = first[:-2]
    elif first.endswith("s") and not first.endswith("ss"):
        first = first[:-1]
    return f"{first} {rest}".strip()


def suggested_fix(outcome: Outcome, default: str) -> str:
    rule = outcome.rule
    swaps: list[str] = []
    for match in outcome.matches:
        if match.fix and match.fix not in swaps:
            swaps.append(match.fix)
    if swaps:
        lead = rule.fix or "Replace"
        return f"{lead}: " + "; ".join(swaps[:5]) + ("; …" if len(swaps) > 5 else "")
    return rule.fix or default


class PackRule(Rule):
    """A PRS rule that runs one shipped pack, `rules/prose/<pack>.yml`, and reports once per entry."""

    pack: ClassVar[str]
    reason = "PROSE"
    claim = "prose"
    depends_on = "entry"  # a shipped pack over the entry's own text (the packs are part of the cache's key)

    def prepare(self, ctx: AuditContext) -> None:
        engine_for(ctx)  # compile the packs once per run, before any entry

    def outcomes(self, entry: Entry, ctx: AuditContext) -> Iterable[tuple[str, Outcome]]:
        engine = engine_for(ctx)
        rule = engine.packs.get(self.pack)
        if rule is not None:
            outcome = rule.run(engine.prose(entry))
            if outcome is not None:
                yield self.pack, outcome

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        if not entry_is_english(entry, ctx):  # English-tuned packs do not judge a translation
            return
        for key, outcome in self.outcomes(entry, ctx):
            first = outcome.matches[0]
            yield self.finding(
                entry, describe(outcome), line=first.line, key=key, evidence=evidence(outcome),
                fix=suggested_fix(outcome, self.fix.strip().splitlines()[0]),
            )
