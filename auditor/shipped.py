"""Where the data the auditor ships lives: the rule packs (`rules/`) and the report templates (`reports/`).

In a checkout they are the repository's top-level folders, which editors change without touching Python. A wheel
carries copies inside the package, under `auditor/_data/` (setup.py copies them there when it builds), so an
installed `auditor` needs nothing from the repository.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SHIPPED = ("rules", "reports")


def shipped(name: str) -> Path:
    """The folder `name` (one of SHIPPED): the installed package's copy when there is one, else the checkout's."""
    installed = PACKAGE / "_data" / name
    return installed if installed.is_dir() else PACKAGE.parent / name
