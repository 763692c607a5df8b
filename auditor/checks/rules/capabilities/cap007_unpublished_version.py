from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.capabilities.packages import PackageRule, answer_for, package_of, same_version
from auditor.models import Entry, Finding, Severity


class UnpublishedVersion(PackageRule):
    code = "CAP007"
    name = "capabilities.unpublished-version"
    severity = Severity.warning
    reason = "VERSION_UNKNOWN"
    claim = "version"
    title = "The registry has the package but not the pinned version"
    what = "Reports an entry whose `package.version` is not among the package's releases in the registry (versions compare as numbers, so `1.0` matches `1.0.0`)."
    why = "A version that was never published (a typo, or a version from the project's changelog that never reached the registry) cannot be installed as written."
    example = "`package: {registry: npm, name: \"@scope/server\", version: 1.4.O}` or `version: 3.0.0` while the registry's releases stop at 2.4.1."
    fix = "Set `package.version` to a published release, usually the latest."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        package = package_of(entry)
        if package is None or package.version is None:
            return
        answer = answer_for(package, ctx)
        if answer.status != "ok" or not answer.versions:
            return
        if any(same_version(v, package.version) for v in answer.versions):
            return
        yield self.finding(
            entry, f"{package.registry_name} has no release {package.version} of {package.name}"
                   + (f" (its latest is {answer.latest})" if answer.latest else ""),
            line=entry.line_of("package"), key=f"{package.registry}:{package.name}:{package.version}",
            evidence=f"package: {package.registry} {package.label}" + (f" ({answer.url})" if answer.url else ""),
            fix="Set `package.version` to a published release" + (f", e.g. `{answer.latest}`" if answer.latest else "")
                + ".",
        )
