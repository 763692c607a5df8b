"""What the auditor's caches are keyed and signed with: the version and code that wrote them, and a secret of this
user's, so a cache file committed into a directory cannot pass for one this machine wrote (the entry cache,
auditor/checks/cache.py; the parsed-entry cache, auditor/sources/parsed_cache.py)."""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
from functools import cache
from pathlib import Path
from typing import Any

import auditor
from auditor.heap import collector_paused

NO_CACHE_ENV = "AUDITOR_NO_CACHE"
# A file modified within this many seconds of a run is read but not vouched for by its size and modification time
# (a second edit in the same clock tick, of the same size, would go unseen): every cache keyed by file stamps waits.
RACY_SECONDS = 2.0


def caches_off() -> bool:
    """Whether AUDITOR_NO_CACHE asks every command and run in this process tree to use no cache (as `--no-cache`
    does for one command): to run a whole test suite, a CI job or a benchmark with nothing reused."""
    return os.environ.get(NO_CACHE_ENV, "").strip().lower() not in ("", "0", "false", "no")


@cache
def code_digest() -> str:
    """The auditor's version and the text of its code: a changed rule is a new rule. (os.walk, not Path.rglob:
    every command pays for this, and rglob alone cost a one-file `check` 40 ms.)"""
    digest = hashlib.sha256(auditor.__version__.encode())
    package = os.path.dirname(os.path.realpath(auditor.__file__))
    found = []
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        relative = os.path.relpath(folder, package)
        found.extend((name if relative == "." else f"{relative}/{name}").replace(os.sep, "/")
                     for name in files if name.endswith(".py"))
    for rel in sorted(found):
        digest.update(rel.encode())
        with open(os.path.join(package, rel), "rb") as source:
            digest.update(source.read())
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


SIGNATURE_BYTES = 32
# A signed file whose bytes pickle cannot make objects of (a class another version of the auditor named, a file
# cut short) is ignored like one whose signature does not match.
_UNREADABLE = (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError)


def _signature(key: bytes, base: bytes, payload: bytes | memoryview) -> bytes:
    """HMAC-SHA256 of `base` and the payload under the secret. SHA-256 rather than BLAKE2b: processors with SHA
    instructions (most x86 and ARM chips of the last years, this project's machines among them) hash twice as fast
    with it, and a one-file `check` in a 50,000-entry folder verifies 41 MB of digests."""
    mac = hmac.new(key, base, "sha256")
    mac.update(payload)
    return mac.digest()


def read_signed_bytes(path: Path, key: bytes, base: bytes = b"") -> memoryview | None:
    """The payload `write_signed_bytes` wrote into `path` under this key and base; None when there is no such file, it
    cannot be read, or its signature does not match (a file written by anyone else is never decoded)."""
    try:
        data = memoryview(path.read_bytes())  # slices without copies
    except OSError:
        return None
    if len(data) <= SIGNATURE_BYTES or data[:SIGNATURE_BYTES] != _signature(key, base, data[SIGNATURE_BYTES:]):
        return None
    return data[SIGNATURE_BYTES:]


def read_signed(path: Path, key: bytes, base: bytes = b"") -> Any:
    """What `write_signed` pickled into `path` under this key and base; None when there is no such file, it cannot
    be read, or its signature does not match (a file written by anyone else is never unpickled)."""
    payload = read_signed_bytes(path, key, base)
    if payload is None:
        return None
    try:
        with collector_paused():  # many small objects and no cycles: no collection walking them as they come
            return pickle.loads(payload)  # noqa: S301 - signed by this user's key (above)
    except _UNREADABLE:
        return None


def write_signed_bytes(path: Path, key: bytes, base: bytes, payload: bytes) -> None:
    """Write `payload` into `path` after its signature, through a temporary file renamed over it: a reader sees the
    old file or the new one, and a full disk leaves no half-written file behind (the OSError is raised)."""
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as out:
            out.write(_signature(key, base, payload))
            out.write(payload)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def write_signed(path: Path, key: bytes, base: bytes, value: Any) -> None:
    """Pickle `value` into `path` after its signature (see `write_signed_bytes`)."""
    with collector_paused():
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    write_signed_bytes(path, key, base, payload)
