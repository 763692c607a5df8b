from auditor.checks.rules.xref._refs import ReferenceRule
from auditor.models import Severity


class MissingManifestItem(ReferenceRule):
    code = "XRF006"
    name = "xref.missing-manifest-item"
    severity = Severity.error
    reason = "XREF_BROKEN"
    ref_kind = "manifest"
    noun = "manifest item"
    title = "A plugin manifest lists an agent, skill or extension that is not there"
    what = (
        "Checks every path a `plugin.json` lists (`agents`, `skills`, `commands`, `hooks`, `extensions`, "
        "`mcpServers` ..., top level or under `extensions.<vendor>`) against the directory: relative to the "
        "plugin's folder, then to the root, then with the folder's file suffix from `reference_suffixes` "
        "(`./agents/reviewer.md` is `agents/reviewer.agent.md`). The fix names the closest existing item of the "
        "same folder."
    )
    why = "Installing the plugin fails, or installs it without the part the manifest promises."
    example = "`\"skills\": [\"./skills/react19-test-pattern/\"]` when the folder is `skills/react19-test-patterns/`."
    fix = "Correct the path in the manifest, add the missing item, or remove it from the list."
