import re
from collections.abc import Iterable, Iterator

from auditor.checks.base import AuditContext
from auditor.checks.registry import Version
from auditor.checks.rules.capabilities.packages import Package, PackageRule, answer_for, package_of
from auditor.markdown_text import fenced_lines
from auditor.models import Entry, Finding, Severity

_WORD = r"(?:latest|newest|current|most\s+recent)"
_KIND = r"(?:stable\s+)?(?:version|release)"
_NAME = r"[A-Za-z@][\w@/.+-]*(?:\s+[A-Z][\w.+-]*)?"
_VER = r"v?(?P<ver>\d+(?:\.\d+)+)(?![\w.]*\d)"
# "the latest version of Kubernetes (1.28)", "latest release is v2.1", "the current stable version, 3.0"
_FORWARD = re.compile(
    rf"\b{_WORD}\s+{_KIND}(?:\s+of\s+(?:the\s+)?(?P<name>{_NAME}))?\s*(?:(?:is|was)\s+|[:,(—–-]\s*)?\(?\s*{_VER}",
    re.IGNORECASE)
# "Kubernetes 1.28, the latest version", "Kubernetes 1.28 is the current release"
_BACKWARD = re.compile(rf"\b(?P<name>[A-Z@][\w@/.+-]*)\s+{_VER},?\s+(?:is\s+)?(?:the|its)\s+{_WORD}\s+{_KIND}")

_HINTS = ("latest", "newest", "current", "most recent")
# What both patterns hold ("latest version", "current stable release"), searched in the lowered body: a body without
# it anywhere has no claim (a "current" alone no longer sends every line through the patterns).
_SOMEWHERE = re.compile(rf"{_WORD}\s+{_KIND}")
_WORDS = ("latest", "newest", "current", "recent")


def _may_claim(body: str) -> bool:
    lowered = body.lower()
    return (("version" in lowered or "release" in lowered) and any(word in lowered for word in _WORDS)
            and _SOMEWHERE.search(lowered) is not None)


def _hinted(text: str) -> bool:
    """A cheap test before the full patterns."""
    lowered = text.lower()
    return any(hint in lowered for hint in _HINTS)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def claims(entry: Entry) -> Iterator[tuple[int, str, str | None, str]]:
    """(line, quoted claim, product name or None, version) for each "latest version" claim outside code blocks."""
    if not _may_claim("\n".join(entry.body_lines)):
        return
    code = fenced_lines(entry.body_lines)
    for offset, text in enumerate(entry.body_lines):
        if code[offset] or not _hinted(text):
            continue
        for pattern in (_FORWARD, _BACKWARD):
            for match in pattern.finditer(text):
                quote = match.group(0).strip()
                if quote.count("(") > quote.count(")") and text[match.end():match.end() + 1] == ")":
                    quote += ")"
                yield entry.body_start + offset, quote, match.group("name"), match.group("ver")


def _names(entry: Entry, package: Package) -> set[str]:
    return {k for k in (_key(package.name.rsplit("/", 1)[-1]), _key(package.name), _key(entry.title or "")) if k}


def _is_own(name: str | None, entry: Entry, package: Package | None) -> bool:
    if package is None:
        return False
    if name is None:
        return True
    wanted = _key(name)
    return bool(wanted) and any(wanted in known or known in wanted for known in _names(entry, package))


def _behind(claimed: Version, actual: Version) -> bool:
    """True when `actual` is later than `claimed` at the precision the claim was written with (1.28 ~ 1.28.3)."""
    size = len(claimed.release)
    return claimed.release < actual.padded(size)[:size]


class VersionClaim(PackageRule):
    code = "CAP009"
    name = "capabilities.version-claim"
    severity = Severity.warning
    reason = "VERSION_CLAIM"
    claim = "version"
    title = "The text names a \"latest version\" that is out of date or no longer verified"
    what = "Finds claims such as \"the latest version of Kubernetes (1.28)\", \"the latest release is 2.1\" or \"Kubernetes 1.28, the current version\". When the claim is about the entry's own `package` (it names no product, or names the package or the entry's title) it is checked: against `package.version` (a claim older than the pinned version is wrong) and against the registry's latest release. A claim the registry confirms is fine. Any other claim, and any claim the registry could not confirm, is reported when the entry is past its kind's review interval, because nobody has looked at it since it may have changed."
    why = "\"Latest\" is true on the day it is written and wrong a few weeks later; readers cannot tell how old the claim is."
    example = "A tool reviewed on 2025-01-15 says \"supports the latest version of Kubernetes (1.28)\"; an MCP server pinned at 0.3.0 says \"the latest release is 0.2\"."
    fix = "Replace \"latest\" with the version and the date it was checked (\"1.31, as of November 2026\"), or correct the version."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        found = list(claims(entry))
        if not found:
            return
        package = package_of(entry)
        pinned = package.parsed if package else None
        answer = answer_for(package, ctx) if package else None
        latest = Version.parse(answer.latest) if answer and answer.status == "ok" and answer.latest else None
        interval = ctx.config.kind_data(entry.kind).get("review_interval_days")
        overdue = None
        if entry.reviewed is not None and interval and entry.reviewed <= ctx.as_of:
            age = (ctx.as_of - entry.reviewed).days
            overdue = age if age > int(interval) else None
        for line, quote, name, text in found:
            claimed = Version.parse(text)
            if claimed is None:
                continue
            key = f"claim:{_key(name or '')}:{text}"
            if _is_own(name, entry, package):
                assert package is not None
                if pinned is not None and _behind(claimed, pinned):
                    yield self.finding(
                        entry, f"the text calls {text} the latest version, but `package.version` pins {pinned}",
                        line=line, key=key, evidence=quote, claim_date=entry.reviewed,
                        fix=f"Make the text and `package.version` agree (the text is older than {pinned}).")
                    continue
                if latest is not None:
                    if _behind(claimed, latest):
                        yield self.finding(
                            entry, f"the text calls {text} the latest version of {package.name}; "
                                   f"{package.registry_name}'s latest release is {latest}",
                            line=line, key=key, evidence=quote, claim_date=entry.reviewed,
                            fix=f"Update the claim to {latest} (and `package.version`), or say which version "
                                f"the entry was checked against and when.")
                    continue  # the registry confirms the claim
            if overdue is not None:
                yield self.finding(
                    entry, f"\"{quote}\" was last verified {overdue} days ago on {entry.reviewed.isoformat()} "
                           f"(a {entry.kind} is reviewed every {interval} days)",
                    line=line, key=key, evidence=quote, claim_date=entry.reviewed)
