import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.digests import category_of
from auditor.fixes import plain_value
from auditor.models import Edit, Entry, Finding, Severity
from auditor.sources.formats import declared_categories

# Mis-decoded UTF-8 (Ã©, â€”), HTML entities left half-escaped (`amp;`, `&quot;`) and quotes inside the value.
_GARBLED = re.compile('[\ufffd\u00c3\u00c2"]|\u00e2\u20ac|\u00f0\u0178|&?\\b(?:amp|quot|lt|gt|#\\d+);')


def unmangle(text: str) -> str:
    """A garbled category as it was probably meant: `A "A"amp; B` -> `A & B`."""
    text = re.sub(r'\s*"[^"]*"\s*&?amp;\s*', " & ", text)
    text = html.unescape(text.replace("amp;", "&amp;").replace("&&amp;", "&amp;"))
    return " ".join(text.replace('"', " ").split())


def category_key(text: str) -> str:
    """What is left of a category once case, `&`/`and`, punctuation and spacing are ignored."""
    text = unicodedata.normalize("NFKC", text).lower().replace("&", " ")
    return re.sub(r"[^a-z0-9]+", "", re.sub(r"\band\b", " ", text))


class UnknownCategory(Rule):
    depends_on = "files"
    code = "STR015"
    name = "structure.unknown-category"
    severity = Severity.warning
    title = "A category is garbled or not one the directory declares"
    what = (
        "Compares each entry's `category:` (of a YAML entry, a page, a skill or a manifest; an awesome list's "
        "heading path is not checked) with the directory's declared categories "
        "(`categories_file`, default `categories.yml` at the root: names or `{id, name}` records). A value that "
        "is a declared one written differently (case, `&`, punctuation: `Cloud Devops Mcp Servers` for `Cloud & "
        "DevOps MCP Servers`) is reported with the declared spelling as the fix. A garbled value is reported even "
        "when the declared list holds it too: mis-decoded text (`Ã©`, `â€”`), half-escaped HTML (`amp;`, "
        "`&quot;`) or quotes inside the name (`Developer Tools \"Developer Tools\"amp; IDE MCP Servers`, meant as "
        "`Developer Tools & IDE MCP Servers`). Any other value is outside the list, with the closest declared one "
        "suggested. Without a "
        "declared list, a spelling used by fewer entries than another spelling of the same category is reported. "
        "A spelling variant (case, `&` for `and`, punctuation) is an info: on real directories most are harmless "
        "(bench/precision); a garbled or undeclared category, which files the entry nowhere, is a warning."
    )
    why = (
        "Category pages and filters match the exact text: an entry filed under a variant spelling lands in a "
        "category of its own, or in none."
    )
    example = "`category: Messaging Mcp Servers` when categories.yml declares `Messaging MCP Servers`."
    fix = "Use the declared spelling, or add the category to the declared list."

    # The declared category, spelled another way by most of its entries, is the directory's spelling.
    convention = '[settings] category_match = "loose"'

    def convention_scope(self, entry: Entry) -> str | None:
        # Counted within the category meant (all its spellings), named by its declared spelling when there is one.
        if not entry.category or "category" not in entry.meta:
            return None
        key = category_key(entry.category)
        return f"category `{(getattr(self, 'declared', None) or {}).get(key) or key}`"

    def convention_key(self, finding: Finding) -> str | None:
        # Only a spelling variant is a convention; a garbled or undeclared category stays a defect of its entry.
        variant = " is written differently from " in finding.message or " by more entries" in finding.message
        return "" if variant else None

    def outline(self, entry: Entry) -> object:
        # Without a declared list, the spellings of the other entries' categories decide.
        return category_of(entry)

    def prepare(self, ctx: AuditContext) -> None:
        self.declared: dict[str, str] | None = None
        self.exact: set[str] = set()
        names = declared_categories(ctx.root, ctx.config) if ctx.root is not None else None
        if names is not None:
            self.exact = set(names)
            self.declared = {}
            for name in names:  # the first spelling of a key is the declared one (names before ids)
                if not _GARBLED.search(name):
                    self.declared.setdefault(category_key(name), name)
        spellings: dict[str, Counter[str]] = {}
        written = ctx.others.values("category", category_of) if ctx.others else map(category_of, ctx.entries)
        for category, entries in Counter(written).items():
            if category:
                spellings.setdefault(category_key(category), Counter())[category] += entries
        self.usual = {key: counts.most_common(1)[0][0] for key, counts in spellings.items() if len(counts) > 1}

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        value = entry.category
        if not value or "category" not in entry.meta:
            return
        line = entry.line_of("category")
        evidence = f"category: {value}"
        if _GARBLED.search(value):
            edit = None
            meant = unmangle(value)
            right = (self.declared or {}).get(category_key(meant))
            if right and right != value:
                fix = f"Write `category: {right}`."
                edit = _edit(entry, line, value, right)
            elif meant != value and not _GARBLED.search(meant):
                fix = f"Write `category: {meant}`" + (", and declare it so." if self.declared is not None else ".")
            else:
                fix = "Write the category again as plain UTF-8 text."
            also = " (the declared list holds it garbled too)" if value in self.exact else ""
            yield self.finding(entry, f"category `{value}` is garbled{also}", line=line, key=value,
                               evidence=evidence, fix=fix, edit=edit)
            return
        key = category_key(value)
        loose = ctx.config.settings.get("category_match") == "loose"
        if self.declared is not None:
            if value in self.exact:
                return
            if key in self.declared:
                if loose:
                    return
                right = self.declared[key]
                yield _variant(self.finding(
                    entry, f"category `{value}` is written differently from the declared category `{right}`",
                    line=line, key=value, evidence=evidence, fix=f"Write `category: {right}`.",
                    edit=_edit(entry, line, value, right)))
                return
            from rapidfuzz import fuzz, process

            match = process.extractOne(key, list(self.declared), scorer=fuzz.ratio, score_cutoff=80)
            fix = (f"Did you mean `{self.declared[match[0]]}`?" if match
                   else "Use one of the declared categories, or declare this one.")
            yield self.finding(entry, f"category `{value}` is not one of the declared categories", line=line,
                               key=value, evidence=evidence, fix=fix)
            return
        usual = self.usual.get(key)
        if usual and usual != value and not loose:
            yield _variant(self.finding(entry, f"category `{value}` is spelled `{usual}` by more entries", line=line,
                                        key=value, evidence=evidence, fix=f"Write `category: {usual}`."))


def _edit(entry: Entry, line: int, value: str, right: str) -> Edit | None:
    """The declared spelling in place of the value as written, when both are plain text on the `category:` line."""
    if "category" not in entry.field_lines or not plain_value(right) or value != value.strip():
        return None
    return Edit(entry.path, line, value, right)


def _variant(finding: Finding) -> Finding:
    """Another spelling of a known category (case, `&`/`and`, punctuation) still files the entry in the right place:
    an info, where a garbled or unknown category (the entry lands nowhere) is a warning."""
    finding.severity = Severity.info
    return finding
