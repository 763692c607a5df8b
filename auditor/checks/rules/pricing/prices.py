"""Reading prices: "$20/month", "€9 per user per month", "Free", "$0.40 per 100k requests".

Shared by the PRC rules; the words it knows (currencies, periods, free) come from `rules/pricing.yml`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auditor.checks.base import AuditContext
from auditor.markdown_text import fenced_lines
from auditor.models import Entry

_AMOUNT = r"\d[\d,]*(?:\.\d+)?"
_SCALE = {"k": 1_000, "m": 1_000_000}


@dataclass(frozen=True)
class Price:
    text: str
    amount: float | None  # None: no figure at all ("Contact sales", "Custom")
    currency: str | None  # ISO code
    units: tuple[str, ...]  # ("user", "month"), ("100k requests",), () when no period or unit
    free: bool = False

    @property
    def period(self) -> str | None:
        """The time period it is billed for, when it names one."""
        return next((u for u in reversed(self.units) if u in _TIME_PERIODS), None)

    def describe(self) -> str:
        return self.text.strip()


_TIME_PERIODS = {"month", "year", "week", "day", "hour", "one-time"}


class Vocabulary:
    """The words of `rules/pricing.yml`, with the patterns built from them compiled once."""

    def __init__(self, pack: dict[str, Any]) -> None:
        self.currencies = {str(k): str(v) for k, v in (pack.get("currencies") or {}).items()}
        self.periods = {str(w).lower(): str(period) for period, words in (pack.get("periods") or {}).items()
                        for w in words or ()}
        self.free = frozenset(str(w).lower() for w in pack.get("free") or ())
        self.change_words = tuple(str(w) for w in pack.get("change_words") or ())
        symbols = sorted(self.currencies, key=len, reverse=True) or ["$"]
        currency = "|".join(re.escape(s) + (r"\b" if s[-1].isalnum() else "") for s in symbols)
        words = "|".join(sorted((re.escape(w) for w in self.periods), key=len, reverse=True)) or "month"
        self.price_re = re.compile(rf"(?P<cur1>{currency})?\s*(?P<amount>{_AMOUNT})\s*(?P<scale>[kKmM]\b)?\s*"
                                   rf"(?P<cur2>{currency})?")
        unit = rf"(?:(?:/|per\s+|an?\s+)\s*(?:user|seat|member|{words}|\d[\w.]*\s+[a-z]+)\b)"
        self.body_re = re.compile(
            rf"(?:(?:{currency})\s?{_AMOUNT}(?:\s?[kKmM]\b)?|{_AMOUNT}\s?(?:USD|EUR|GBP|CHF|CAD|AUD)\b)"
            rf"(?:\s*{unit})*(?:\s+(?:{words})\b)?", re.IGNORECASE)
        self.a_period_re = re.compile(rf"\b(?:an?)\s+(?=(?:{words})\b)", re.IGNORECASE)
        self.change_re = re.compile("|".join(rf"(?<!\w){re.escape(w.lower())}(?!\w)" for w in self.change_words)
                                    or r"(?!x)x")
        examples = [str(w) for w in pack.get("example_words") or ()]
        self.example_re = re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in examples) or r"(?!x)x",
                                     re.IGNORECASE)
        # a cheap test before the body is searched: does the line hold a currency sign or code at all?
        self.markers = tuple(symbols)


_VOCABULARIES: dict[int, tuple[dict[str, Any], Vocabulary]] = {}


def vocabulary(ctx: AuditContext) -> Vocabulary:
    """The run's vocabulary, built once per rule pack."""
    pack = ctx.pack.get("pricing") or {}
    hit = _VOCABULARIES.get(id(pack))
    if hit is None or hit[0] is not pack:
        if len(_VOCABULARIES) > 16:
            _VOCABULARIES.clear()
        hit = _VOCABULARIES[id(pack)] = (pack, Vocabulary(pack))
    return hit[1]


def _unit(word: str, vocab: Vocabulary) -> str:
    word = word.strip().lower().rstrip(".")
    if word in vocab.periods:
        return vocab.periods[word]
    if word in {"user", "users", "seat", "seats", "member", "members", "editor", "editors", "developer",
                "developers", "person"}:
        return "user"
    return re.sub(r"\s+", " ", word)


def parse_price(value: Any, vocab: Vocabulary) -> Price:
    """One front-matter price. Numbers (YAML `price: 20`) have neither currency nor period."""
    text = str(value).strip()
    lowered = text.lower()
    if lowered in vocab.free:
        return Price(text, 0.0, None, (), free=True)
    match = vocab.price_re.search(text)
    if not match:
        return Price(text, None, None, ())
    amount = float(match.group("amount").replace(",", ""))
    if match.group("scale"):
        amount *= _SCALE[match.group("scale").lower()]
    symbol = match.group("cur1") or match.group("cur2")
    currency = vocab.currencies.get(symbol) if symbol else None
    rest = text[match.end():]
    units = tuple(_units(rest, vocab)) or tuple(_period_words(lowered, vocab))
    return Price(text, amount, currency, units, free=amount == 0)


def _units(rest: str, vocab: Vocabulary) -> Iterator[str]:
    """The units after an amount: "/user/month", "per user per month", "a month", "per 100k requests"."""
    rest = vocab.a_period_re.sub(" per ", rest.replace("/", " per "))
    for segment in re.split(r"\bper\b", rest, flags=re.IGNORECASE)[1:]:
        tokens = re.findall(r"[\w.-]+", segment)
        if not tokens:
            continue
        first = _unit(tokens[0], vocab)
        if first in _TIME_PERIODS or first == "user" or len(tokens) == 1:
            yield first
        else:
            yield _unit(" ".join(tokens[:2]), vocab)


def _period_words(lowered: str, vocab: Vocabulary) -> Iterator[str]:
    for word in re.findall(r"[a-z][a-z-]*", lowered):
        if word in vocab.periods:
            yield vocab.periods[word]
            return


def body_prices(text: str, vocab: Vocabulary) -> Iterator[tuple[re.Match[str], Price]]:
    """Prices written in prose: a currency is required, so a bare number is never taken for a price."""
    for match in vocab.body_re.finditer(text):
        yield match, parse_price(match.group(0), vocab)


def plans(entry: Entry) -> list[dict[str, Any]]:
    """The front matter's pricing items that are mappings (STR007 reports a `pricing` that is not a list)."""
    items = entry.meta.get("pricing")
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict)]


def checked_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class TextPrice:
    """A price stated in an entry's text, with the date it speaks from."""

    line: int
    price: Price
    date: dt.date
    basis: str  # where the date comes from: "dated on its line", "`updated`", "`published`"


def text_prices(entry: Entry, vocab: Vocabulary, fallback: tuple[dt.date | None, str]) -> list[TextPrice]:
    """Prices with a currency and a unit or period ("$3.00 per 1M tokens", "$20/month") in the summary and the
    body (fenced code and illustrations left out), each dated by a date on its own line, else by `fallback` (the
    entry's last change). A price with neither date is left out: nothing says when it was true."""
    from auditor.checks.rules.staleness._claims import find_dates

    texts: list[tuple[int, str]] = [(entry.line_of("summary"), entry.summary or "")]
    if not entry.body_repeats_summary:
        code = fenced_lines(entry.body_lines)
        texts += [(entry.body_start + i, text) for i, text in enumerate(entry.body_lines) if not code[i]]
    found: list[TextPrice] = []
    for line, text in texts:
        if not text or not any(marker in text for marker in vocab.markers) or vocab.example_re.search(text):
            continue
        for _match, price in body_prices(text, vocab):
            if price.amount is None or price.free or not price.units:
                continue
            own = [ref for ref in find_dates(text) if not ref.is_range]
            if own:
                date, basis = max(ref.end for ref in own), "dated on its line"
            elif fallback[0] is not None:
                date, basis = fallback[0], f"`{fallback[1]}`"
            else:
                continue
            found.append(TextPrice(line, price, date, basis))
    return found
