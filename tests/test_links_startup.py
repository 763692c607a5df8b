"""What the link checker does before its first request: no CA bundle for http links, no imports in each worker."""

from __future__ import annotations

import ssl
import subprocess
import sys
import textwrap
from pathlib import Path

import trustme

from auditor.links.checker import CheckOptions, LinkChecker
from tests.links_server import WebServer

ROOT = Path(__file__).resolve().parent.parent


def _options() -> CheckOptions:
    return CheckOptions(allow_private=True, timeout=5.0, retries=0)


def test_the_tls_context_is_made_for_the_first_https_connection_only() -> None:
    ca = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(served)
    with WebServer() as plain, WebServer(tls=served) as secure:
        checker = LinkChecker(_options())
        results = checker.check_sync([plain.url("/ok"), plain.url("/gone")])
        assert [results[plain.url(p)].verdict for p in ("/ok", "/gone")] == ["alive", "broken"]
        assert checker.ssl_context is None  # http links only: the CA bundle was never loaded

        checker = LinkChecker(_options())
        first = checker.check_sync([plain.url("/ok"), secure.url("/ok")])
        assert first[plain.url("/ok")].verdict == "alive"
        # the default context (the system's CAs) was made for the https host, and refuses the test CA's certificate
        assert isinstance(checker.ssl_context, ssl.SSLContext)
        assert first[secure.url("/ok")].verdict == "broken" and first[secure.url("/ok")].code == "tls"

        trusted = LinkChecker(_options())
        trusted.ssl_context = ssl.create_default_context()
        ca.configure_trust(trusted.ssl_context)
        assert trusted.check_sync([secure.url("/ok")])[secure.url("/ok")].verdict == "alive"


def test_the_network_modules_loaded_before_the_fork_are_all_a_check_needs(tmp_path: Path) -> None:
    # A fresh interpreter: this test process has imported them long ago.
    script = textwrap.dedent("""
        import sys
        from auditor.links.checker import CheckOptions, LinkChecker
        from auditor.links.net import load_network_modules
        from tests.links_server import WebServer

        with WebServer() as server:
            fresh = set(sys.modules)
            load_network_modules()
            loaded = set(sys.modules) - fresh
            before = set(sys.modules)
            results = LinkChecker(CheckOptions(allow_private=True, retries=0)).check_sync([server.url("/ok")])
            print("verdict", results[server.url("/ok")].verdict)
            print("loaded", sorted(m for m in loaded if m.startswith("anyio")))
            print("later", sorted(m for m in set(sys.modules) - before if m.split(".")[0] in ("anyio", "sniffio")))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines["verdict"] == "alive"
    assert "anyio._backends._asyncio" in lines["loaded"]  # the interpreter had not loaded them before
    assert lines["later"] == "[]"  # and the check imported nothing more of anyio's: a forked worker would not


def test_httpx_command_line_client_is_not_loaded_with_the_checker() -> None:
    # httpx's own command-line client would bring rich's syntax highlighting and pygments: not for a link check
    script = ("import sys, auditor.links.checker, httpx\n"
              "print(sorted(m for m in ('rich.syntax', 'pygments') if m in sys.modules), httpx.AsyncClient.__name__)")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["[]", "AsyncClient"], done.stderr
