"""MkDocs hook: writes the generated pages (docs/generate.py) before every build, so they are never stale."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

_GENERATOR = Path(__file__).resolve().parent / "generate.py"


def on_pre_build(config: Any) -> None:
    spec = importlib.util.spec_from_file_location("auditor_docs_generate", _GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(Path(config["docs_dir"]))
