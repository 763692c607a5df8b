"""The report's screenshot in the README and the docs: audit a copy of examples/directory, then let Debian's
chromium, headless, photograph its index.html.

    python docs/screenshot.py [OUT.png]     # default: docs/images/report.png

tests/test_docs.py runs the same steps into a temporary folder and compares the result with the committed PNG.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "directory"
PNG = Path(__file__).resolve().parent / "images" / "report.png"
AS_OF = "2026-11-28"  # the example's date, so the picture does not change with the day it is taken
WIDTH, HEIGHT = 1280, 1400


def browser() -> str | None:
    """Debian's chromium (or another Chromium build on PATH), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def audit_example(work: Path) -> Path:
    """Audit a copy of the example directory offline; the report's index.html."""
    directory = work / "directory"
    shutil.copytree(EXAMPLE, directory, ignore=shutil.ignore_patterns(".auditor"))
    subprocess.run([sys.executable, "-m", "auditor", "audit", str(directory), "--offline", "--as-of", AS_OF],
                   check=True, capture_output=True, text=True, cwd=work)
    return directory / ".auditor" / "report" / "index.html"


def photograph(page: Path, out: Path, work: Path) -> None:
    """A WIDTH x HEIGHT PNG of `page`, taken by headless chromium with a profile of its own under `work`."""
    chromium = browser()
    if chromium is None:
        raise RuntimeError("no chromium on PATH (Debian: apt-get install chromium)")
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--force-device-scale-factor=1", f"--user-data-dir={work / 'profile'}",
               f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={out}", page.as_uri()]
    env = {**os.environ, "HOME": str(work)}  # chromium writes its caches under HOME
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=120, env=env)
    if not out.is_file():
        raise RuntimeError(f"chromium wrote no screenshot to {out}")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def png_pixels(data: bytes) -> bytes:
    """The PNG's decompressed scanlines (filter bytes included): enough to tell a blank page from a report."""
    at, chunks = 8, []
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            chunks.append(data[at + 8:at + 8 + length])
        at += 12 + length
    return zlib.decompress(b"".join(chunks))


def take(out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        photograph(audit_example(work), out, work)
    return out


if __name__ == "__main__":
    target = take(Path(sys.argv[1]) if len(sys.argv) > 1 else PNG)
    print(f"{target}: {png_size(target.read_bytes())}")
