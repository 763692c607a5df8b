"""Connections for the link checker: DNS resolution, the private-address guard, and the httpx transport.

Links come from contributors, so the checker must not become a way to probe the machine it runs on or
its network. The guard sits where connections are opened: every host name is resolved here, every
address it resolves to is checked, and the connection goes to the checked address, so a redirect to an
internal host, a name that resolves to 127.0.0.1 and a DNS answer that changes between check and connect
are all refused alike. `allow_private=True` (`--allow-private-addresses`) lifts it.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import select
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

Resolver = Callable[[str, int], Awaitable[list[str]]]
AddressPolicy = Callable[[str], "str | None"]  # address -> why it is off limits, or None

# Cloud metadata services that do not sit in a private or link-local range.
PRIVATE_NETWORKS = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]
METADATA_ADDRESSES = {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}


class LinkNetworkError(Exception):
    """A failure before any HTTP answer; `code` names it for the verdict."""

    code = "network"
    network_level = True  # counts towards "the network is down"
    retry = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NameNotFound(LinkNetworkError):
    code = "dns"
    retry = False

    def __init__(self, message: str, network_level: bool = True) -> None:
        super().__init__(message)
        self.network_level = network_level


class DNSUnavailable(LinkNetworkError):
    code = "dns-unavailable"


class PrivateAddress(LinkNetworkError):
    code = "private-address"
    # Refused by policy, not a network failure: it never counts towards "the network is down" (a captive portal
    # or a hijacked resolver is found by the canary instead, auditor.links.canary).
    network_level = False
    retry = False


class Refused(LinkNetworkError):
    code = "refused"
    network_level = False


class Unreachable(LinkNetworkError):
    code = "unreachable"


class ConnectTimedOut(LinkNetworkError):
    code = "connect-timeout"


class TLSFailure(LinkNetworkError):
    code = "tls"
    network_level = False
    retry = False


def private_reason(address: str) -> str | None:
    """Why an address is off limits, or None when it is a public one. An IPv6 address that carries an IPv4 one
    (IPv4-mapped, 6to4, Teredo, NAT64) is judged by the IPv4 address it leads to: a NAT64 network gives every
    public IPv4 host such an address, and one holding 192.168.1.1 reaches the LAN."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(ip)):
        form, inner = embedded
        reason = _reason(inner)
        return f"{reason} ({inner}) inside a {form} address" if reason else None
    return _reason(ip)


_NAT64 = [ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48")]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    if ip.sixtofour:
        return "6to4", ip.sixtofour
    if ip.teredo:
        return "Teredo", ip.teredo[1]
    if any(ip in net for net in _NAT64):
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if ip in METADATA_ADDRESSES or str(ip) == "169.254.169.254":
        return "a cloud metadata address"
    private = any(ip in net for net in PRIVATE_NETWORKS if net.version == ip.version)
    for test, name in ((ip.is_loopback, "a loopback address"), (ip.is_unspecified, "an unspecified address"),
                       (ip.is_link_local, "a link-local address"), (private, "a private address"),
                       (ip.is_multicast, "a multicast address"),
                       (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "a site-local address"),
                       (ip.is_private or ip.is_reserved, "a non-public address (a reserved range)")):
        if test:
            return name
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return "a carrier-grade NAT address"
    if not ip.is_global:
        return "a non-public address (a reserved range)"
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to. `.invalid` names never resolve (RFC 6761), so they are not asked."""
    if host.lower().rstrip(".").endswith(".invalid") or host.lower() == "invalid":
        raise NameNotFound(f"DNS: {host} does not resolve (a .invalid name)", network_level=False)
    try:
        ipaddress.ip_address(host.strip("[]"))
        return [host.strip("[]")]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
            raise NameNotFound(f"DNS: {host} does not resolve") from None
        raise DNSUnavailable(f"DNS lookup of {host} failed: {exc.strerror or exc}") from None
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses


# What httpcore's network backend (anyio's asyncio backend) imports on a run's first connection.
NETWORK_MODULES = ("sniffio", "anyio._backends._asyncio", "anyio._core._sockets", "anyio._core._streams",
                   "anyio.streams.tls", "anyio.streams.memory", "anyio.streams.stapled", "anyio.to_thread")


def load_network_modules() -> None:
    """Import what the first connection would: the link workers (auditor.links.shards) are forked after this, so
    each of them does not import it again on its own first request (30-80 ms of CPU each, at the start of the
    run, when every host is waiting for its first answer)."""
    import importlib

    for name in NETWORK_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # another anyio layout: the workers import what they need, as before
            pass


class AsyncioStream(httpcore.AsyncNetworkStream):
    """A connection on asyncio's own streams. httpcore's default backend under asyncio goes through anyio, whose
    cancel scope, task lookups and wrappers around every read and write cost about a tenth of the link checker's
    CPU on a fast network; the checker always runs on asyncio, so it talks to asyncio directly. Errors are
    httpcore's, as anyio's backend raises them; an end of stream reads as b"" (a TLS peer that closes without
    close_notify included, as httpcore asks of anyio)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self.reader.read(max_bytes)
        except TimeoutError:
            raise httpcore.ReadTimeout("no data within the read timeout") from None
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self.writer.write(buffer)
                await self.writer.drain()
        except TimeoutError:
            raise httpcore.WriteTimeout("could not write within the write timeout") from None
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        self.writer.close()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self.writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError:
            self.writer.close()
            raise httpcore.ConnectTimeout("the TLS handshake timed out") from None
        except (OSError, EOFError) as exc:  # ssl.SSLError is an OSError
            self.writer.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> object:
        if info == "socket":
            return self.writer.get_extra_info("socket")
        if info == "ssl_object":
            return self.writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self.writer.get_extra_info("sockname")
        if info == "server_addr":
            return self.writer.get_extra_info("peername")
        if info == "is_readable":
            return _readable(self.writer.get_extra_info("socket"))
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio's streams (see `AsyncioStream`); `host` is an address here."""

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=(local_address, 0) if local_address else None)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():  # asyncio sets TCP_NODELAY itself, as anyio does
            sock.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                                  ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - never used
        raise httpcore.ConnectError("unix sockets are not link targets")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with our resolution in front: the connection goes to a checked address."""

    def __init__(self, resolver: Resolver, allow_private: bool, dns_timeout: float,
                 policy: AddressPolicy | None = None) -> None:
        self.resolver = resolver
        self.policy = policy or private_reason
        self.allow_private = allow_private
        self.dns_timeout = dns_timeout
        self.inner = AsyncioBackend()

    async def _addresses(self, host: str, port: int) -> list[str]:
        try:
            addresses = await asyncio.wait_for(self.resolver(host, port), self.dns_timeout)
        except TimeoutError:
            raise DNSUnavailable(f"DNS lookup of {host} timed out") from None
        if not addresses:
            raise NameNotFound(f"DNS: {host} has no address")
        if not self.allow_private:
            for address in addresses:
                why = self.policy(address)
                if why:
                    shown = host if host == address else f"{host} ({address})"
                    raise PrivateAddress(f"refused: {shown} is {why}; the checker does not connect to private "
                                         f"addresses (--allow-private-addresses lifts this)")
        return addresses

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._addresses(host, port)
        last: LinkNetworkError | None = None
        for address in addresses:
            try:
                return _Stream(await self.inner.connect_tcp(address, port, timeout=timeout,
                                                            local_address=local_address, socket_options=socket_options))
            except httpcore.ConnectTimeout:
                last = ConnectTimedOut(f"connecting to {host}:{port} timed out")
            except httpcore.ConnectError as exc:
                last = _connect_failure(exc, host, port)
        assert last is not None
        raise last

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                                  ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - never used
        raise PrivateAddress("refused: unix sockets are never link targets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _Stream(httpcore.AsyncNetworkStream):
    """httpcore's stream with its socket looked up once. The connection pool asks every connection of a host
    whether its socket is readable (closed by the server) each time it hands out a request, and the stream
    underneath answers by building a table of socket attributes, a getpeername() call included: a tenth of the
    checker's time on a busy run."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self.inner = inner
        self.sock: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self.inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self.inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return _Stream(await self.inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> object:
        if info == "socket":
            return self.sock
        if info == "is_readable":
            return _readable(self.sock)
        return self.inner.get_extra_info(info)


def _readable(sock: socket.socket | None) -> bool:
    """Whether a read would return at once: data, or the end of a connection the server closed."""
    if sock is None or sock.fileno() < 0:
        return True
    poll = select.poll()
    poll.register(sock.fileno(), select.POLLIN)
    return bool(poll.poll(0))


def _connect_failure(exc: Exception, host: str, port: int) -> LinkNetworkError:
    number, text, link = None, str(exc), exc.__cause__ or exc.__context__
    for _ in range(6):  # anyio wraps the socket's error: walk down to the errno
        if link is None:
            break
        if getattr(link, "errno", None) is not None:
            number, text = link.errno, str(link)
            break
        link = link.__cause__ or link.__context__
    if number == errno.ECONNREFUSED or "refused" in text.lower():
        return Refused(f"connection to {host}:{port} refused")
    if number in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN):
        return Unreachable(f"{host}:{port} is unreachable ({text})")
    return Unreachable(f"could not connect to {host}:{port}: {text or type(exc).__name__}")


class LazyTLSPool(httpcore.AsyncConnectionPool):
    """httpcore's connection pool, with its TLS context made when it opens its first https connection: loading
    the CA bundle takes 50-70 ms of CPU, which a run of http links need not spend before its first request. (It is
    made as the first https connection is set up, before that connection resolves its host name.)"""

    def __init__(self, tls: Callable[[], ssl.SSLContext], **kwargs: Any) -> None:
        super().__init__(ssl_context=None, **kwargs)
        self.tls = tls

    def create_connection(self, origin: httpcore.Origin) -> httpcore.AsyncConnectionInterface:
        if self._ssl_context is None and origin.scheme == b"https":
            self._ssl_context = self.tls()
        return super().create_connection(origin)


class LazyTLSTransport(httpx.AsyncHTTPTransport):
    """httpx's transport on a `LazyTLSPool`. `verify` is an SSL context, a bool (as httpx takes them), or a
    function that makes the context, called when the first https connection opens."""

    def __init__(self, *, verify: bool | ssl.SSLContext | Callable[[], ssl.SSLContext] = True,
                 limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),  # noqa: B008
                 network_backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        lazy = callable(verify) and not isinstance(verify, ssl.SSLContext)
        super().__init__(limits=limits, verify=False if lazy else verify, trust_env=False)  # type: ignore[arg-type]
        # httpx built a context from `verify` (reused here), or a function makes one on the first https connection
        tls = verify if lazy else (lambda context=self._pool._ssl_context: context)  # noqa: SLF001
        self._pool = LazyTLSPool(
            tls, max_connections=limits.max_connections,  # type: ignore[arg-type]
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=network_backend,
        )


class GuardedTransport(LazyTLSTransport):
    """httpx's transport with `GuardedBackend` under its connection pool. TLS errors get their own code."""

    def __init__(self, *, resolver: Resolver, allow_private: bool, limits: httpx.Limits, dns_timeout: float = 5.0,
                 verify: bool | ssl.SSLContext | Callable[[], ssl.SSLContext] = True,
                 policy: AddressPolicy | None = None) -> None:
        super().__init__(verify=verify, limits=limits,
                         network_backend=GuardedBackend(resolver, allow_private, dns_timeout, policy))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.ConnectError as exc:
            link: BaseException | None = exc
            for _ in range(4):  # httpcore wraps the ssl module's error
                if link is None:
                    break
                if isinstance(link, ssl.SSLError):
                    raise TLSFailure(f"TLS failed: {link}") from None
                link = link.__cause__ or link.__context__
            raise
            raise
