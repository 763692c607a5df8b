"""What checking one URL found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

VERDICTS = ("alive", "redirected", "broken", "blocked", "unverified", "fragment-missing")

# Reason codes (`LinkResult.code`): a machine-readable why behind the verdict.
# A link never seen alive that fails with one of these is broken at once (a new link in CI); any other
# failure, and any failure of a link that has been alive, must repeat on checks `link_fail_after_hours` apart.
DEFINITIVE = {"http-404", "http-410", "dns", "parked", "soft-404", "redirect-loop", "too-many-redirects"}


@dataclass
class LinkResult:
    url: str
    verdict: str
    status: int | None = None  # the last HTTP status seen (None: no answer)
    final_url: str = ""
    chain: list[dict[str, Any]] = field(default_factory=list)  # [{"url", "status"}] for every hop
    reason: str = ""  # for people
    code: str = ""  # for machines: http-404, dns, refused, timeout, soft-404, parked, challenge, ...
    suggestion: str | None = None  # the redirect target, or an archived copy of a dead page
    network_level: bool = False  # failed before HTTP: DNS, unreachable, connect timeout (network-down detection)
    checked_at: dt.datetime | None = None
    from_cache: bool = False
    etag: str | None = None
    last_modified: str | None = None

    @property
    def host(self) -> str:
        try:
            return urlsplit(self.url).netloc.lower()
        except ValueError:
            return ""

    @property
    def hostname(self) -> str:
        """The host name alone (no port, no brackets), lowercased; "" for an address that names none."""
        try:
            return (urlsplit(self.url).hostname or "").lower()
        except ValueError:
            return ""

    def as_dict(self) -> dict[str, Any]:
        """The shape `auditor links check --format json` prints for each URL."""
        return {"url": self.url, "verdict": self.verdict, "status": self.status, "final_url": self.final_url,
                "chain": self.chain, "reason": self.reason, "suggestion": self.suggestion}

    def document(self) -> dict[str, Any]:
        """Everything worth keeping in the store."""
        return self.as_dict() | {"code": self.code, "network_level": self.network_level,
                                 "etag": self.etag, "last_modified": self.last_modified}

    @classmethod
    def from_document(cls, doc: dict[str, Any], checked_at: dt.datetime | None = None) -> LinkResult:
        return cls(
            url=doc["url"], verdict=doc["verdict"], status=doc.get("status"), final_url=doc.get("final_url") or "",
            chain=list(doc.get("chain") or []), reason=doc.get("reason") or "", code=doc.get("code") or "",
            suggestion=doc.get("suggestion"), network_level=bool(doc.get("network_level")), checked_at=checked_at,
            etag=doc.get("etag"), last_modified=doc.get("last_modified"),
        )

    def chain_text(self) -> str:
        return " -> ".join(f"{hop['url']} ({hop['status']})" for hop in self.chain)
