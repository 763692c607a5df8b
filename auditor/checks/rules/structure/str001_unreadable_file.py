from auditor.checks.base import LoadProblemRule
from auditor.models import Severity


class UnreadableFile(LoadProblemRule):
    code = "STR001"
    name = "structure.unreadable-file"
    severity = Severity.error
    title = "The entry file is empty, is not UTF-8 text, is too large or too slow to check, or is not a file the auditor reads"
    problem_kinds = ("unreadable", "empty", "too-large")
    what = (
        "Reports entry files that hold nothing, or whose bytes are not UTF-8, naming the first bad line; files "
        "that are not read at all, saying why (a symbolic link leading outside the directory, a link loop, a named "
        "pipe, a socket or a device); files over `max_entry_bytes`, of which only the first part is read; and entries "
        "on which a rule ran longer than `rule_time_budget` and was stopped, naming the rule."
    )
    why = (
        "Nothing in such a file reaches readers, and the entry silently vanishes from the directory. A link out of "
        "the directory would put whatever it points at (`/proc/self/environ`: the CI's secrets) into the report."
    )
    example = (
        "A file saved as Latin-1 containing `caf\\xe9` on line 4; a zero-byte `tools/new.md`; "
        "`tools/env.md -> /proc/self/environ`."
    )
    fix = "Re-save the file as UTF-8, replace the link by the file it points at, or delete it if created by mistake."
