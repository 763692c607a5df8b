"""Is the network itself up? Asked before any link is called broken for a failure that came before HTTP.

A machine without DNS or without a route out (a sandbox, many CI runners) makes every link fail before HTTP;
without this, one or two such links in a pull request would be reported broken. The canary resolves and connects
(TCP only) to a few well-known hosts (`link_canary_hosts`), all at once, once per run, and only when some link
did fail before HTTP. One host that answers is enough. A well-known name resolving to a private address is a
captive portal or a hijacked resolver: the network is not usable either.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from auditor.links.net import LinkNetworkError, Resolver, private_reason
from auditor.links.results import LinkResult

# Failures before any HTTP answer (LinkResult.code): what a dead network looks like, whatever the link.
BEFORE_HTTP = {"dns", "dns-unavailable", "unreachable", "connect-timeout", "refused", "tls", "timeout", "network"}

# Names that never lead to the public internet: a failure to reach them says nothing about the network.
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".invalid")


@dataclass
class CanaryAnswer:
    up: bool
    reason: str = ""  # why the network counts as unavailable
    hijacked: bool = False  # a well-known name resolved to a private address


def public_host(host: str) -> bool:
    """Whether a link's host name could be on the public internet (not a private address, not `localhost`)."""
    name = host.strip("[]").lower().rstrip(".")
    try:
        return private_reason(name) is None
    except ValueError:
        pass
    return "." in name and name != "localhost" and not name.endswith(_LOCAL_SUFFIXES)


def failed_before_http(result: LinkResult) -> bool:
    """A link to a public host that failed before HTTP in a way a dead network would explain. A `.invalid` name
    (never resolves, by RFC 6761) and a refusal by the private-address guard are the link's own fault."""
    if result.status is not None or result.code not in BEFORE_HTTP:
        return False
    if result.code == "dns" and not result.network_level:
        return False
    return public_host(urlsplit(result.url).hostname or "")


def _split(spec: str) -> tuple[str, int]:
    host, _, port = spec.strip().rpartition(":")
    if not host or not port.isdigit():
        return spec.strip(), 443
    return host, int(port)


def host_of_spec(spec: str) -> str:
    """The host name of a `link_canary_hosts` entry (`name:port`), lowercased as URLs give it."""
    return _split(spec)[0].strip("[]").lower()


async def _reach(spec: str, resolver: Resolver, timeout: float) -> CanaryAnswer:
    host, port = _split(spec)
    try:
        addresses = [str(ipaddress.ip_address(host.strip("[]")))]  # an address: nothing to resolve or distrust
    except ValueError:
        try:
            addresses = await asyncio.wait_for(resolver(host, port), timeout)
        except LinkNetworkError as exc:
            return CanaryAnswer(False, exc.message)
        except TimeoutError:
            return CanaryAnswer(False, f"DNS lookup of {host} timed out")
        if any(private_reason(a) for a in addresses):
            return CanaryAnswer(False, f"{host} resolves to a private address (a captive portal or a hijacked "
                                       f"resolver)", hijacked=True)
    reason = f"{host} has no address"
    for address in addresses:
        try:
            _reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
        except TimeoutError:
            reason = f"connecting to {host}:{port} timed out"
            continue
        except OSError as exc:
            reason = f"could not connect to {host}:{port}: {exc.strerror or exc}"
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return CanaryAnswer(True)
    return CanaryAnswer(False, reason)


async def probe(hosts: list[str], resolver: Resolver, timeout: float) -> CanaryAnswer:
    """Up as soon as one host answers; otherwise down, with every host's reason."""
    tasks = [asyncio.ensure_future(_reach(spec, resolver, timeout)) for spec in hosts]
    failures: list[CanaryAnswer] = []
    try:
        for done in asyncio.as_completed(tasks):
            answer = await done
            if answer.up:
                return answer
            failures.append(answer)
    finally:
        for task in tasks:
            task.cancel()
    if not failures:  # no host configured: nothing says the network is down
        return CanaryAnswer(True)
    return CanaryAnswer(False, "; ".join(f.reason for f in failures), hijacked=any(f.hijacked for f in failures))


def run_probe(hosts: list[str], resolver: Resolver, timeout: float) -> CanaryAnswer:
    return asyncio.run(probe(hosts, resolver, timeout))
