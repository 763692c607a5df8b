from auditor.checks.rules.capabilities.drift import VersionLagRule
from auditor.models import Severity


class PatchVersionBehind(VersionLagRule):
    code = "CAP003"
    name = "capabilities.patch-version-behind"
    severity = Severity.info
    lag = "patch"
    title = "The entry pins a package a patch release behind the registry's latest release"
    what = "Compares `package.version` with the registry's latest release and reports a pinned version that differs only in the patch number (or is a pre-release of the latest). Info: patch releases fix bugs and rarely change what an entry says."
    why = "Keeping the pinned version current keeps install instructions from pointing readers at known bugs."
    example = "`package: {registry: pypi, name: mcp-server-fetch, version: 1.4.0}` while PyPI's latest is 1.4.2."
    fix = "Set `package.version` to the latest release at the next review."
