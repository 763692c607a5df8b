"""CPU seconds of `auditor check ONE-FILE --offline` by phase, in-process (CPU time: on a shared machine wall time
says little). Run from inside the directory:

    python bench/check_phases.py ENTRY-PATH [--as-of 2026-11-28]
"""

from __future__ import annotations

import argparse
import resource
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("entry", help="the entry file, relative to the directory (the working directory)")
    parser.add_argument("--as-of", default="2026-11-28")
    args = parser.parse_args()
    started = time.process_time()
    import auditor.cli  # noqa: F401 - what every command pays

    imported = time.process_time()
    import datetime as dt
    from pathlib import Path

    from auditor.config import load_config
    from auditor.pipeline import check_entries
    from auditor.sources.detect import source_for

    root = Path(".").resolve()
    config = load_config(root)
    config.settings["offline"] = True
    configured = time.process_time()
    source = source_for(root, config)
    detected = time.process_time()
    entries = source.load(config)
    read = time.process_time()
    check_entries(entries, config, dt.date.fromisoformat(args.as_of), only={args.entry}, root=root)
    checked = time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"import cli {imported - started:.2f} | config, rule pack, pipeline {configured - imported:.2f} | "
          f"detect format {detected - configured:.2f} | read {len(entries)} entries {read - detected:.2f} | "
          f"rules {checked - read:.2f} (+children {children.ru_utime + children.ru_stime:.2f}) | "
          f"total {checked - started:.2f} CPU s")


if __name__ == "__main__":
    main()
