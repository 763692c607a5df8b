from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.capabilities.packages import PackageRule, answer_for, package_of
from auditor.models import Entry, Finding, Severity


class VersionUnverified(PackageRule):
    code = "CAP008"
    name = "capabilities.version-unverified"
    severity = Severity.info
    on_tickets = False
    reason = "VERSION_UNVERIFIED"
    title = "The package's version could not be checked against its registry"
    what = "Says so, once per entry with a `package`, when the registry could not be asked or gave no usable answer: `--offline` (or the `offline` setting), a network error, a timeout (`registry_timeout`), a 5xx or 429, a document that is not a registry's, or a registry the auditor does not know. Always info: an unverified version opens no ticket and raises nothing; the next run asks again (unverified answers are never cached). When the store holds an earlier answer for the package, even one past `registry_cache_ttl_hours`, that answer is used instead and this finding does not appear, so an outage neither hides nor resolves what an earlier run found."
    why = "A check that could not run must not look like a pass, and must not look like a problem either: the network is not the entry's fault."
    example = "`auditor check --offline tools/x.md` on an entry with `package: {registry: pypi, name: x, version: 1.0}`: \"x 1.0 is unverified: PyPI could not be asked (offline)\"."
    fix = "Nothing to fix in the entry. Run the audit with network access (or fix `registry_urls`) to have the version checked."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        package = package_of(entry)
        if package is None:
            return
        answer = answer_for(package, ctx)
        if answer.status not in ("unverified", "unsupported"):
            return
        yield self.finding(
            entry, f"{package.label} is unverified: {package.registry_name} could not be asked "
                   f"({answer.detail or 'no answer'})",
            line=entry.line_of("package"), key=f"{package.registry}:{package.name}",
            evidence=f"package: {package.registry} {package.label}" + (f" ({answer.url})" if answer.url else ""),
        )
