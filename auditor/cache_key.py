"""What the auditor's caches are keyed and signed with: the version and code that wrote them, and a secret of this
user's, so a cache file committed into a directory cannot pass for one this machine wrote (the entry cache,
auditor/checks/cache.py; the parsed-entry cache, auditor/sources/parsed_cache.py)."""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

import auditor

NO_CACHE_ENV = "AUDITOR_NO_CACHE"


def caches_off() -> bool:
    """Whether AUDITOR_NO_CACHE asks every command and run in this process tree to use no cache (as `--no-cache`
    does for one command): to run a whole test suite, a CI job or a benchmark with nothing reused."""
    return os.environ.get(NO_CACHE_ENV, "").strip().lower() not in ("", "0", "false", "no")


@cache
def code_digest() -> str:
    """The auditor's version and the text of its code: a changed rule is a new rule."""
    digest = hashlib.sha256(auditor.__version__.encode())
    package = Path(auditor.__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def secret() -> bytes | None:
    """This user's cache key (created once, readable by the user alone); None when it cannot be kept."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "auditor"
    path = base / "cache-key"
    try:
        if not path.exists():
            base.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(os.urandom(32))
        secret = path.read_bytes()
    except OSError:
        return None
    return secret if len(secret) == 32 else None
