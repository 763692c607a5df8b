"""What every source is: something that yields entries. Nothing downstream knows which one ran."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from auditor.config import Config
from auditor.models import Entry

Progress = Callable[[str, int | None], Callable[[int], None]]  # (task name, total) -> advance(n)


def no_progress(_name: str, _total: int | None) -> Callable[[int], None]:
    return lambda _n: None


class Source(Protocol):
    """A place entries come from. `kind` and `location` are recorded with the run; `root` is the local folder
    that relative links resolve against (None for a live site)."""

    kind: str
    location: str
    root: Path | None

    def load(self, config: Config, progress: Progress = no_progress) -> list[Entry]: ...


@dataclass
class FolderSource:
    """The content folder: one Markdown file with YAML front matter per entry (the embedded default)."""

    root: Path
    kind: str = "folder"
    read_paths: list[str] = field(default_factory=list)  # the files read, for the run summary
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why) for files left unread
    marked: list[tuple[str, str]] = field(default_factory=list)  # of those, the archival or generated copies
    use_cache: bool = True  # parsed entries of unchanged files from earlier runs (auditor/sources/parsed_cache.py)
    cache_hits: int = 0  # how many entries this load took from that cache
    # path -> (size, mtime_ns) of each plain file as the walk found it before reading it (None: not looked at):
    # what keeps the digests up to date without a second look at each file (auditor/checks/digests.py)
    stamps: dict[str, tuple[int, int]] | None = None

    @property
    def location(self) -> str:
        return str(self.root.resolve())

    def load(self, config: Config, progress: Progress = no_progress) -> list[Entry]:
        from auditor.sources.folder import iter_entry_rels, iter_entry_stats, load_rels
        from auditor.sources.marked import drop_marked
        from auditor.sources.parsed_cache import ParsedCache
        from auditor.sources.safe_files import max_entry_bytes

        self.skipped, self.stamps = [], None
        exclude = tuple(config.settings["exclude"])
        limit = max_entry_bytes(config.settings)
        cache = ParsedCache.open(self.root, config.kinds, limit, config.pack) if self.use_cache else None
        if cache is not None:  # each file's status from the walk (scandir's entries): one lstat a file
            stats = list(iter_entry_stats(self.root, exclude, self.skipped))
            cache.read_all()  # every file is asked for: every shard is read
            found = [rel for rel, _ in stats]
            # A file kept unchanged in the cache was not marked as an archival copy when it was read: not looked at
            # again
            known = {rel for rel, info in stats if cache.unchanged(rel, info)}
            self.stamps = {rel: (info.st_size, info.st_mtime_ns) for rel, info in stats if info is not None}
        else:
            found, known = list(iter_entry_rels(self.root, exclude, self.skipped)), set()
        kept, self.marked = drop_marked(self.root, [rel for rel in found if rel not in known], config.pack)
        if known:
            unmarked = set(kept) | known
            kept = [rel for rel in found if rel in unmarked]
        self.skipped.extend(self.marked)
        self.read_paths = kept
        entries = load_rels(self.root, kept, config.kinds, progress("reading entries", len(kept)), limit, cache)
        self.cache_hits = cache.hits if cache is not None else 0
        return entries
