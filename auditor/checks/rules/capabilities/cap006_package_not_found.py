from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.capabilities.packages import PackageRule, answer_for, package_of
from auditor.models import Entry, Finding, Severity


class PackageNotFound(PackageRule):
    code = "CAP006"
    name = "capabilities.package-not-found"
    severity = Severity.error
    reason = "PACKAGE_NOT_FOUND"
    claim = "version"
    title = "The registry has no package of that name"
    what = "Reports an entry whose `package.name` the registry answers with 404 or 410. A timeout, a network error or a 5xx is not a \"not found\": that is CAP008 (unverified)."
    why = "The name is misspelt, or the package was removed or renamed. Readers who copy the install command get an error, or worse, a look-alike package someone registered under the missing name."
    example = "`package: {registry: pypi, name: postgress-mcp}`: PyPI answers 404."
    fix = "Find the package's real name on its repository or the vendor's docs and correct `package.name` (and the install instructions)."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        package = package_of(entry)
        if package is None:
            return
        answer = answer_for(package, ctx)
        if answer.status != "not-found":
            return
        yield self.finding(
            entry, f"{package.registry_name} has no package called `{package.name}` ({answer.detail or 'not found'})",
            line=entry.line_of("package"), key=f"{package.registry}:{package.name}",
            evidence=f"package: {package.registry} {package.label}" + (f" ({answer.url})" if answer.url else ""),
        )
