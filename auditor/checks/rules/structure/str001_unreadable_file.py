from auditor.checks.base import LoadProblemRule
from auditor.models import Severity


class UnreadableFile(LoadProblemRule):
    code = "STR001"
    name = "structure.unreadable-file"
    severity = Severity.error
    title = "The entry file is empty or is not UTF-8 text"
    problem_kinds = ("unreadable", "empty")
    what = "Reports entry files that hold nothing, or whose bytes are not UTF-8, naming the first bad line."
    why = "Nothing in such a file reaches readers, and the entry silently vanishes from the directory."
    example = "A file saved as Latin-1 containing `caf\\xe9` on line 4; a zero-byte `tools/new.md`."
    fix = "Re-save the file as UTF-8, or delete it if the entry was created by mistake."
