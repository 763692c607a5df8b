from auditor.checks.base import LoadProblemRule
from auditor.models import Severity


class UnparsableFile(LoadProblemRule):
    code = "STR014"
    name = "structure.unparsable-file"
    severity = Severity.error
    title = "A YAML or JSON entry file does not parse, or a record in it has no name"
    problem_kinds = ("unparsable", "missing-name")
    what = (
        "Reports entry files of the other directory formats that the parser rejects (a YAML entry file, a registry "
        "JSON file, a plugin manifest), with the parser's message and the line it points at; and registry records "
        "without a `name`, which nothing can identify. The rest of the directory is still audited, and a YAML "
        "entry's Markdown twin is still read."
    )
    why = (
        "A file the site's build cannot parse drops the entry from the directory (or fails the build) without "
        "anyone noticing in review."
    )
    example = "`data/openapi-mcp/openapi-mcp.yml` with a stray line `isct1` between two keys: no `:` where YAML wants one."
    fix = "Correct the file at the named line (the message quotes the parser), or give the record its `name`."
