"""How fast `auditor serve` answers on a real directory: audit a copy (offline, unless it has a store already),
then time each page in process (Starlette's TestClient: the app's own work, no network), best of --repeat.

    python bench/serve_pages.py DIRECTORY [--work /tmp/serve-bench] [--as-of 2026-12-01] [--repeat 5]

Prints one line per page: the best time in ms, the page's size, and for the entries pages how many entries the
filter kept. The target for a filtered entry list of a 4,000-entry directory is under 200 ms.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

PAGES = ("/", "/issues", "/entries", "/entries?severity=error", "/entries?q=github", "/entries?band=stale",
         "/entries?ticket=open&family=STL", "/tickets")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--work", type=Path, default=Path("/tmp/serve-bench"))
    parser.add_argument("--as-of", default="2026-12-01")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    copy = args.work / args.directory.resolve().name
    if not (copy / ".auditor" / "auditor.db").exists():
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(args.directory, copy, ignore=shutil.ignore_patterns(".auditor"))
        subprocess.run([sys.executable, "-m", "auditor", "audit", str(copy), "--offline", "--as-of", args.as_of],
                       check=True, capture_output=True)

    warnings.simplefilter("ignore")  # Starlette's note about its test client's HTTP library
    from starlette.testclient import TestClient

    from auditor.config import load_config
    from auditor.serve.app import ServeOptions, create_app
    from auditor.store.db import open_engine

    name = load_config(copy).name if (copy / "auditor.toml").is_file() else None
    engine = open_engine(f"sqlite:///{copy / '.auditor' / 'auditor.db'}")
    client = TestClient(create_app(engine, ServeOptions(directory=name)))
    for url in PAGES:
        best, size, kept = float("inf"), 0, ""
        for _ in range(args.repeat):
            start = time.perf_counter()
            answer = client.get(url)
            best = min(best, time.perf_counter() - start)
            size = len(answer.content)
            shown = re.search(r'<b id="shown">(\d+)</b> of (\d+)', answer.text)
            kept = f"{shown.group(1)} of {shown.group(2)} entries" if shown else ""
        print(f"{url:36} {answer.status_code} {best * 1000:7.1f} ms {size / 1024:8.1f} KB  {kept}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
