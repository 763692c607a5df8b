"""Give a generated bench directory a git history, and time the git dating pass on it.

    python bench/git_history.py commit DIR [--batches 50]   one commit per batch of entry files, five days apart
    python bench/git_history.py time DIR                     load the entries, then time auditor/entry_dates.py alone

`commit` also sets `git_dates = "prefer"` in the directory's auditor.toml, so every entry is dated from history
(the generated entries all state `updated`, which `auto` would take instead): the worst case for the git pass.
The commit dates are fixed (from 2026-01-05), so the same N gives the same history.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

FIRST_COMMIT = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def _git(directory: Path, *args: str, when: dt.datetime = FIRST_COMMIT, stdin: str | None = None) -> None:
    stamp = when.isoformat()
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": "Bench",
           "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "Bench",
           "GIT_COMMITTER_EMAIL": "bench@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-C", str(directory), *args], check=True, env=env, input=stdin, text=True,
                   stdout=subprocess.DEVNULL)


def commit(directory: Path, batches: int) -> int:
    """Commit the entry files in `batches` commits, five days apart (all before the bench's as-of date); returns
    how many commits were made."""
    files = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*.md") if ".auditor" not in p.parts)
    config = directory / "auditor.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[settings]\ngit_dates = "prefer"\n', encoding="utf-8")
    _git(directory, "init", "-q", "-b", "main")
    size = max(1, -(-len(files) // batches))
    made = 0
    for start in range(0, len(files), size):
        when = FIRST_COMMIT + dt.timedelta(days=5 * made)
        _git(directory, "add", "--pathspec-from-file=-", stdin="\n".join(files[start:start + size]) + "\n")
        _git(directory, "commit", "-q", "--no-verify", "-m", f"entries {start + 1}-{start + size}", when=when)
        made += 1
    _git(directory, "add", "-A", when=FIRST_COMMIT + dt.timedelta(days=5 * made))
    _git(directory, "commit", "-q", "--no-verify", "-m", "configuration",
         when=FIRST_COMMIT + dt.timedelta(days=5 * made))
    return made + 1


def time_dating(directory: Path) -> str:
    from auditor.config import load_config
    from auditor.entry_dates import date_entries
    from auditor.pipeline import load_entries

    config = load_config(directory)
    entries = load_entries(directory, config)
    start = time.perf_counter()
    date_entries(entries, directory, config)
    seconds = time.perf_counter() - start
    dated = sum(1 for e in entries if e.last_changed_by == "git")
    return f"git dating: {seconds:.2f} s for {len(entries)} entries ({dated} dated from git)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["commit", "time"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--batches", type=int, default=50)
    args = parser.parse_args(argv)
    if args.action == "commit":
        print(f"{commit(args.directory, args.batches)} commits")
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        print(time_dating(args.directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
