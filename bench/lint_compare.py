"""One-file check beside markdownlint-cli2 on the same file: wall seconds (median of several runs, interpreter and
Node start-up included), in a generated directory of N entries. Run by hand; markdownlint-cli2 is installed from npm
into a folder under /tmp the first time (nothing is installed in the repository):

    .venv/bin/python bench/lint_compare.py 5000 [--runs 7] [--npm-prefix /tmp/bench-markdownlint] [--json FILE]
    .venv/bin/python bench/lint_compare.py --directory DIR --file tools/000/x.md

Before every measured run the file is changed (a sentence of the run's own added; `--no-edit` checks it as it
is), as a contributor checks the file just edited: whatever the auditor keeps in `.auditor/` for that file's
old text cannot answer for it.

The two tools do different work: markdownlint-cli2 reads the one file and applies Markdown style rules; `auditor
check` reads the directory (references resolve against every entry), dates the entry and runs every offline rule.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AUDITOR = Path(sys.executable).parent / "auditor"
PACKAGE = "markdownlint-cli2"


def markdownlint(prefix: Path) -> Path:
    """The markdownlint-cli2 command under `prefix`, installed with npm when it is not there yet."""
    command = prefix / "node_modules" / ".bin" / PACKAGE
    if not command.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--silent", PACKAGE],
                       check=True)
    return command


# As an installed tool runs: its bytecode compiled once and kept (pip compiles it at install), whatever this shell
# says (some environments set PYTHONDONTWRITEBYTECODE, and every run would compile the whole package again).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], cwd: Path, runs: int, edited: Path | None = None) -> tuple[float, list[float], int]:
    """(median wall seconds, every run's, the last exit code): one unmeasured run first warms the file cache.
    With `edited`, that file is changed before every run (a sentence of its own added), as a contributor checks
    the file they have just changed: nothing kept for its old text can answer for it."""
    original = edited.read_bytes() if edited is not None else b""
    subprocess.run(command, cwd=cwd, capture_output=True, check=False, env=ENV)
    times, code = [], 0
    for run in range(runs):
        if edited is not None:
            edited.write_bytes(original + f"\nEdited before run {run + 1} of the benchmark.\n".encode())
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, check=False, env=ENV)
        times.append(time.perf_counter() - started)
        code = done.returncode
    if edited is not None:
        edited.write_bytes(original)
    return statistics.median(times), times, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("entries", nargs="?", type=int, default=5000, help="entries to generate (default 5000)")
    parser.add_argument("--directory", type=Path, help="an existing directory instead of a generated one")
    parser.add_argument("--file", help="the entry file, relative to the directory (default: the first tool)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--npm-prefix", type=Path, default=Path(tempfile.gettempdir()) / "bench-markdownlint")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--no-edit", dest="edit", action="store_false",
                        help="check the file as it is each run, instead of changing it before each run")
    args = parser.parse_args()

    work = None
    directory = args.directory
    if directory is None:
        sys.path.insert(0, str(HERE))
        from generate import generate

        work = Path(tempfile.mkdtemp(prefix="lint-compare-"))
        directory = work / "directory"
        generate(args.entries, directory)
    directory = directory.resolve()
    target = args.file or next(p.relative_to(directory).as_posix() for p in sorted(directory.rglob("*.md"))
                               if "tools" in p.parts)
    entries = sum(1 for _ in directory.rglob("*.md"))
    lint = markdownlint(args.npm_prefix)
    version = subprocess.run([str(lint), "--help"], capture_output=True, text=True, check=False).stdout.splitlines()
    rows = {
        "auditor check (offline)": [str(AUDITOR), "check", target, "--offline", "--as-of", "2026-11-28",
                                    "--fail-on", "none"],
        "auditor check --version (start-up)": [str(AUDITOR), "--version"],
        "markdownlint-cli2": [str(lint), target],
    }
    # Last, as a developer's clone runs it after an audit made .auditor/: the caches there (parsed entries, findings
    # of unchanged entries) warmed by the unmeasured first run. A fresh clone in CI has no such folder.
    warm = "auditor check (offline, caches in .auditor/)"
    rows[warm] = rows["auditor check (offline)"]
    results = {}
    for name, command in rows.items():
        if name == warm:
            (directory / ".auditor").mkdir(exist_ok=True)
        edited = directory / target if args.edit and name != "auditor check --version (start-up)" else None
        median, times, code = timed(command, directory, args.runs, edited)
        results[name] = {"median_s": round(median, 3), "min_s": round(min(times), 3), "max_s": round(max(times), 3),
                         "exit": code}
    print(f"{entries} entry files in {directory}; file {target}"
          f"{' (changed before every run)' if args.edit else ''}; {args.runs} runs each (median, min-max wall s)")
    print(f"markdownlint-cli2: {version[0] if version else '?'}; node {shutil.which('node')}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    for name, figures in results.items():
        print(f"  {name:<46} {figures['median_s']:>6.3f}  ({figures['min_s']:.3f}-{figures['max_s']:.3f})  "
              f"exit {figures['exit']}")
    if args.json:
        args.json.write_text(json.dumps({"entries": entries, "file": target, "runs": args.runs,
                                         "markdownlint": version[0] if version else "", "results": results},
                                        indent=2) + "\n", encoding="utf-8")
    if work is not None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
