"""Hostile directory content never leaks, hangs or kills a run (issue 14).

Everything that could hang, or eat the machine's memory, on a regression runs in a child process with limits set
by the test (`resource.setrlimit` for memory and CPU, `timeout=` for wall time): a regression fails the test
instead of stalling the suite or the machine. No test measures a duration.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import AS_OF, skill, write_tree

ROOT = Path(__file__).resolve().parent.parent
MEMORY_LIMIT = 1_500_000_000  # bytes of address space for one CLI run: a bomb or a 200 MB entry goes over it
CPU_LIMIT = 60  # seconds
SECRET = "hunter2-ci-token"


def _limits(memory: int, cpu: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


def run_cli(*args: str, cwd: Path, memory: int = MEMORY_LIMIT, timeout: int = 90) -> subprocess.CompletedProcess:
    """`python -m auditor ARGS` with a memory and CPU limit and a wall-time timeout (a hang fails the test)."""
    env = {**os.environ, "CI_SECRET_TOKEN": SECRET, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=lambda: _limits(memory, CPU_LIMIT), check=False)


def run_python(code: str, cwd: Path, memory: int = MEMORY_LIMIT, timeout: int = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=lambda: _limits(memory, CPU_LIMIT), check=False, env={**os.environ})


def findings_of(stdout: str) -> list[dict]:
    return json.loads(stdout)["findings"]


def messages(findings: list[dict], code: str) -> dict[str, str]:
    return {f["path"].rsplit("tools/", 1)[-1]: f["message"] for f in findings if f["code"] == code}


# --- case 1: files that are not regular files inside the directory ------------------------------------------------

@pytest.fixture
def hostile_dir(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "dir", {
        "auditor.toml": "",
        "tools/good.md": skill("good"),
        "real/target.md": skill("target"),
    })
    write_tree(tmp_path / "outside", {"secret.md": skill("secret", extra_front=f"token: {SECRET}\n")})
    tools = root / "tools"
    (tools / "env.md").symlink_to("/proc/self/environ")
    (tools / "leak.md").symlink_to(tmp_path / "outside" / "secret.md")
    (tools / "a.md").symlink_to("b.md")
    (tools / "b.md").symlink_to("a.md")
    (tools / "inside.md").symlink_to("../real/target.md")  # within the root: followed
    os.mkfifo(tools / "x.md")
    sock_path = tools / "s.md"
    if len(str(sock_path)) < 100:  # AF_UNIX paths are short
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(sock_path))
        server.close()
    return root


def _assert_refused(findings: list[dict], sockets: bool) -> None:
    refused = messages(findings, "STR001")
    assert "outside the directory (to /proc/self/environ)" in refused["env.md"]
    assert "outside the directory" in refused["leak.md"]
    assert "symbolic link loop" in refused["a.md"] and "symbolic link loop" in refused["b.md"]
    assert "named pipe" in refused["x.md"]
    if sockets:
        assert "socket" in refused["s.md"]
    assert "inside.md" not in refused and "good.md" not in refused


def test_audit_refuses_links_out_of_the_root_loops_pipes_and_sockets(hostile_dir: Path) -> None:
    done = run_cli("audit", str(hostile_dir), "--offline", "--as-of", AS_OF, "--format", "json", cwd=hostile_dir)
    assert done.returncode in (0, 1), done.stderr
    findings = findings_of(done.stdout)
    _assert_refused(findings, (hostile_dir / "tools" / "s.md").exists())
    assert SECRET not in done.stdout
    assert "CI_SECRET_TOKEN" not in done.stdout
    for path in (hostile_dir / ".auditor" / "report").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert SECRET not in text and "CI_SECRET_TOKEN" not in text, path
    assert {f["entry"] for f in findings if f["path"].endswith("tools/inside.md")} <= {"target", "inside"}


def test_check_refuses_them_too(hostile_dir: Path) -> None:
    done = run_cli("check", "tools", "--offline", "--as-of", AS_OF, "--format", "json", cwd=hostile_dir)
    assert done.returncode == 1, done.stderr
    _assert_refused(findings_of(done.stdout), (hostile_dir / "tools" / "s.md").exists())
    assert SECRET not in done.stdout and "CI_SECRET_TOKEN" not in done.stdout


def test_docs_pages_refuse_them(hostile_dir: Path) -> None:
    (hostile_dir / "auditor.toml").write_text('[settings]\ninput_format = "docs-pages"\n', encoding="utf-8")
    for rel in ("tools/page.md", "real/target.md"):
        (hostile_dir / rel).write_text("---\ntitle: A page\ndescription: d\n---\n# A page\n", encoding="utf-8")
    done = run_cli("check", "tools", "--offline", "--as-of", AS_OF, "--format", "json", cwd=hostile_dir)
    findings = findings_of(done.stdout)
    refused = messages(findings, "STR001")
    assert "outside the directory" in refused["leak.md"] and "named pipe" in refused["x.md"]
    assert SECRET not in done.stdout and "CI_SECRET_TOKEN" not in done.stdout


def test_incident_validate_refuses_a_pipe_and_a_loop(tmp_path: Path) -> None:
    folder = tmp_path / "postmortems"
    folder.mkdir()
    os.mkfifo(folder / "x.yml")
    (folder / "a.yml").symlink_to("b.yml")
    (folder / "b.yml").symlink_to("a.yml")
    (folder / "leak.yml").symlink_to("/proc/self/environ")
    done = run_cli("incident", "validate", str(folder), "--as-of", AS_OF, cwd=tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    out = done.stdout + done.stderr
    assert "named pipe" in out and "symbolic link loop" in out and "outside the directory" in out
    assert SECRET not in out


@pytest.mark.slow
def test_an_entry_over_max_entry_bytes_is_read_in_part_and_reported(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "dir", {"auditor.toml": "", "tools/good.md": skill("good")})
    big = root / "tools" / "big.md"
    line = "Some words about the tool, repeated for a very long page of prose.\n"
    with big.open("w", encoding="utf-8") as handle:
        handle.write(skill("big"))
        handle.write(line * (200_000_000 // len(line)))  # 200 MB
    done = run_cli("check", "tools", "--offline", "--as-of", AS_OF, "--format", "json", cwd=root,
                   memory=1_000_000_000)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    refused = messages(findings_of(done.stdout), "STR001")
    assert "over max_entry_bytes (1,000,000): only its first" in refused["big.md"]


# --- case 2: YAML bombs -------------------------------------------------------------------------------------------

def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        name, prev = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


DEEP = "deep: " + "[" * 900 + "]" * 900 + "\n"
DEEP_BLOCK = "".join("  " * level + "k:\n" for level in range(400)) + "  " * 400 + "k: v\n"


@pytest.mark.parametrize(("bomb", "deeper"), [(billion_laughs(), 0), (DEEP, 0), (DEEP_BLOCK, 50)],
                         ids=["aliases", "flow", "block"])
def test_front_matter_and_yaml_pair_bombs_are_findings(tmp_path: Path, bomb: str, deeper: int) -> None:
    """Reported on the line where the bomb starts (or, nested in blocks, where it goes deeper than the limit)."""
    root = write_tree(tmp_path / "dir", {
        "auditor.toml": "",
        "tools/good.md": skill("good"),
        "tools/bomb.md": "---\nkind: tool\ntitle: Bomb\n" + bomb + "---\n## Use cases\nx\n",
    })
    done = run_cli("check", "tools", "--offline", "--as-of", AS_OF, "--format", "json", cwd=root)
    assert done.returncode == 1, done.stderr[-2000:]
    found = [f for f in findings_of(done.stdout) if f["path"].endswith("bomb.md") and f["code"] == "STR002"]
    assert len(found) == 1
    assert found[0]["line"] == 4 + deeper and "the front matter is not read" in found[0]["message"]
    pairs = write_tree(tmp_path / "pairs", {
        "auditor.toml": '[settings]\ninput_format = "yaml-pairs"\n',
        "a/a.yml": "name: A\ndescription: d\n",
        "b/b.yml": "name: B\n" + bomb,
    })
    done = run_cli("check", ".", "--offline", "--as-of", AS_OF, "--format", "json", cwd=pairs)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    found = [f for f in findings_of(done.stdout) if f["path"].endswith("b/b.yml") and "is not read" in f["message"]]
    assert len(found) == 1 and found[0]["line"] == 2 + deeper


@pytest.mark.parametrize("bomb", [billion_laughs(), DEEP], ids=["aliases", "flow"])
def test_post_mortem_bomb_is_pm001(tmp_path: Path, bomb: str) -> None:
    folder = write_tree(tmp_path / "pm", {"bomb.yml": "incident:\n  id: INC-1\n" + bomb})
    done = run_cli("incident", "validate", str(folder), "--as-of", AS_OF, cwd=tmp_path)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "bomb.yml:3: PM001 the file is not read" in done.stdout


def test_rule_pack_and_site_profile_bombs_are_configuration_errors(tmp_path: Path) -> None:
    pack = write_tree(tmp_path / "rules", {"kinds.yml": billion_laughs()})
    profile = write_tree(tmp_path, {"site.yml": "name: x\n" + billion_laughs()}) / "site.yml"
    code = (
        "from pathlib import Path\n"
        "from auditor.config import ConfigError, load_rule_pack\n"
        "from auditor.sources.site_profile import ProfileError, load_profile\n"
        "try:\n"
        f"    load_rule_pack(Path({str(pack)!r}))\n"
        "except ConfigError as exc:\n"
        "    print('pack:', exc)\n"
        "try:\n"
        f"    load_profile(Path({str(profile)!r}))\n"
        "except ProfileError as exc:\n"
        "    print('profile:', exc)\n"
    )
    done = run_python(code, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"pack: {pack / 'kinds.yml'}:" in done.stdout and "alias bomb" in done.stdout
    assert f"profile: {profile}" in done.stdout


# --- case 3: rules linear in the entry's length -------------------------------------------------------------------

@pytest.mark.slow
def test_statistics_rules_on_a_one_megabyte_paragraph_stay_within_a_cpu_limit(tmp_path: Path) -> None:
    """STL005/STL006 rebuilt a paragraph's text for every sentence in it: minutes on one long paragraph."""
    sentences = ("Adoption grew 37% between 2015 and 2017 across 4,200 teams.",
                 "It handles 12,000 requests per second, 3x faster than before.",
                 "It was written to make reviews quicker and clearer for everyone.")
    lines = [sentences[index % 3] for index in range(16_000)]  # one paragraph of about 1 MB
    root = write_tree(tmp_path / "dir", {
        "auditor.toml": "",
        "skills/large.md": skill("large", body="## Use cases\n" + "\n".join(lines) + "\n"),
    })
    done = run_cli("check", "skills", "--offline", "--as-of", AS_OF, "--format", "json", cwd=root, timeout=600)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    codes = {f["code"] for f in findings_of(done.stdout)}
    assert {"STL005", "STL006"} <= codes


# --- case 4: `check --changed-since` reads every path git can hold ---------------------------------------------------

ODD_NAMES = ["a b.md", "tab\there.md", 'quote"d.md', "new\nline.md", "ünïcødé.md", "back\\slash.md", " lead.md"]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, timeout=60)


@pytest.mark.parametrize("how", ["committed", "edited", "renamed", "untracked"])
def test_changed_since_reads_paths_with_spaces_tabs_quotes_newlines_and_non_ascii(tmp_path: Path, how: str) -> None:
    root = write_tree(tmp_path / "dir", {"auditor.toml": "", "skills/base.md": skill("base")})
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.email", "editor@example.com")
    _git(root, "config", "user.name", "Editor")
    if how in ("edited", "renamed"):
        write_tree(root, {f"skills/{name}": skill(f"s{index}") for index, name in enumerate(ODD_NAMES)})
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    _git(root, "checkout", "-q", "-b", "change")
    spoiled = {f"skills/{name}": skill(f"s{index}", owner="") for index, name in enumerate(ODD_NAMES)}
    if how == "renamed":
        for name in ODD_NAMES:
            _git(root, "mv", f"skills/{name}", f"skills/moved {name}")
        spoiled = {f"skills/moved {name}": text for name, text in zip(ODD_NAMES, spoiled.values(), strict=True)}
    write_tree(root, spoiled)
    if how != "untracked":
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "change")
    done = run_cli("check", "--changed-since", "main", "--offline", "--as-of", AS_OF, "--format", "json",
                   "--fail-on", "none", cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    flagged = {f["path"].split("skills/", 1)[1] for f in result["findings"]}
    assert {rel.split("skills/", 1)[1] for rel in spoiled} <= flagged
    assert result["summary"]["changed_since"]["files"] == len(ODD_NAMES)


# --- case 6: exports, terminals and the HTML report --------------------------------------------------------------

HOSTILE_TITLE = '=HYPERLINK("http://evil.example")<script>alert(1)</script>\x1b]0;pwned\x07\u202etxt.exe'
CONTROLS = ("\x1b", "\x07", "\u202e")


def _hostile_entry(entry_id: str, title: str, owner: str) -> str:
    text = skill(entry_id, reviewed="2020-01-01")  # long unreviewed: a ticket opens
    lines = []
    for line in text.splitlines():
        if line.startswith("title:"):
            line = "title: " + json.dumps(title)  # a JSON string is a YAML double-quoted one
        elif line.startswith("owner:"):
            line = "owner: " + json.dumps(owner)
        lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def audited_hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Audited once for the tests below, which only read its store and report."""
    root = write_tree(tmp_path_factory.mktemp("hostile") / "dir", {
        "auditor.toml": "",
        "skills/evil.md": _hostile_entry("evil", HOSTILE_TITLE, "@SUM(1+1)"),
        "skills/-\x1b[2J.md": _hostile_entry("dash", "+plus", "\tcmd"),
        "skills/long.md": _hostile_entry("long", "L" * 5000, "-owner"),
    })
    done = run_cli("audit", ".", "--offline", "--as-of", AS_OF, cwd=root)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return root


def test_csv_cells_never_start_a_formula(audited_hostile: Path) -> None:
    import csv
    import io

    done = run_cli("tickets", "export", "--format", "csv", cwd=audited_hostile)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = list(csv.reader(io.StringIO(done.stdout)))
    cells = [cell for row in rows[1:] for cell in row]
    assert len(rows) >= 4
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "'@SUM(1+1)" in cells and "'-\x1b[2J" in cells and "'-owner" in cells


def test_tickets_md_escapes_html(audited_hostile: Path) -> None:
    text = (audited_hostile / ".auditor" / "report" / "tickets.md").read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.parametrize("command", [("tickets", "list"), ("tickets", "show", "1"), ("tickets", "show", "2"),
                                     ("tickets", "show", "3"), ("check", "skills"), ("audit", ".")])
def test_terminal_output_shows_control_characters_as_escapes(audited_hostile: Path, command: tuple[str, ...]) -> None:
    extra = ("--offline", "--as-of", AS_OF, "--format", "text") if command[0] in ("check", "audit") else ()
    done = run_cli(*command, *extra, cwd=audited_hostile)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    shown = done.stdout + done.stderr
    for control in CONTROLS:
        assert control not in shown, (command, control)
    if command[0] == "tickets" and command[-1] != "3":  # ticket 3 is the long title's
        assert "\\x1b" in shown or "\\u202e" in shown


def test_html_report_isolates_direction_and_folds_long_values(audited_hostile: Path) -> None:
    from markupsafe import escape

    report = audited_hostile / ".auditor" / "report"
    page = (report / "index.html").read_text(encoding="utf-8")
    assert f"<bdi>{escape(HOSTILE_TITLE)}</bdi></a>" in page  # the entry's link to its own page
    assert "<script>alert(1)" not in page
    assert "show all 5,000 characters" in page
    assert f"<bdi>{'L' * 300}</bdi>…" in page
    pages = [p.read_text(encoding="utf-8") for p in (report / "entries").glob("*.html")]
    assert any(f"<h1><bdi>{escape(HOSTILE_TITLE)}</bdi></h1>" in p for p in pages)
    assert not any("<script>alert(1)" in p for p in pages)


# --- case 9: IPv6 forms that lead to a private IPv4 address ----------------------------------------------------------

@pytest.mark.parametrize(("address", "why"), [
    ("2002:c0a8:101::1", "a private address (192.168.1.1) inside a 6to4 address"),
    ("2002:7f00:1::", "a loopback address (127.0.0.1) inside a 6to4 address"),
    ("2002:a9fe:a9fe::1", "a cloud metadata address (169.254.169.254) inside a 6to4 address"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "a private address (10.0.0.1) inside a Teredo address"),
    ("64:ff9b::10.0.0.1", "a private address (10.0.0.1) inside a NAT64 address"),
    ("64:ff9b:1::a9fe:a9fe", "a cloud metadata address (169.254.169.254) inside a NAT64 address"),
    ("::ffff:192.168.1.1", "a private address"),
    ("fec0::1", "a site-local address"),
    ("fec0:1234::8", "a site-local address"),
])
def test_ipv6_forms_of_private_addresses_are_refused(address: str, why: str) -> None:
    from auditor.links.net import private_reason

    assert private_reason(address) == why


@pytest.mark.parametrize("address", ["2002:808:808::1", "64:ff9b::8.8.8.8", "2606:4700::1111"])
def test_ipv6_forms_of_public_addresses_pass(address: str) -> None:
    """A NAT64 network gives every public IPv4 host a 64:ff9b:: address: those links are checked as usual."""
    from auditor.links.net import private_reason

    assert private_reason(address) is None


# --- case 7: configuration errors exit 2, store errors exit 3, never a traceback -------------------------------------

BAD_CONFIGS = {  # auditor.toml -> what the message must name
    '[settings]\nworkers = "many"\n': "`workers` = 'many' is not a whole number >= 0",
    "[settings]\nlink_concurrency = 0\n": "`link_concurrency` = 0 is out of range: expected a whole number >= 1",
    "[settings]\nlink_per_host = -2\n": "`link_per_host` = -2 is out of range",
    "[settings]\nlink_timeout = 0\n": "`link_timeout` = 0 is out of range: expected a number > 0",
    "[settings]\nlink_retries = -1\n": "`link_retries` = -1 is out of range",
    '[settings]\nlink_skip = ["(unclosed"]\n': "`link_skip` pattern '(unclosed' is not a regular expression",
    '[settings]\nunreviewed_findings = "hide"\n': "`unreviewed_findings` = 'hide' is not one of: report, summary",
    "exclude = 5\n": "`exclude` = 5 is not a list",
    '[rules]\ndisable = ["STL999"]\n': "unknown rule code(s) STL999",
    b'name = "caf\xe9"\n': "not UTF-8 text (byte 0xe9",
}


@pytest.mark.parametrize("toml", list(BAD_CONFIGS), ids=lambda toml: str(toml)[:24])
def test_bad_settings_exit_2_naming_file_key_value_and_allowed(tmp_path: Path, toml: str | bytes) -> None:
    """`check` here; `audit`, `tickets` and `site` read the file through the same `load_config`."""
    command = "check"
    root = write_tree(tmp_path / "dir", {"auditor.toml": toml, "skills/good.md": skill("good")})
    done = run_cli(command, "skills" if command == "check" else ".", "--offline", "--as-of", AS_OF, cwd=root,
                   timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "auditor.toml: " in done.stderr and BAD_CONFIGS[toml] in done.stderr


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31", ""])
@pytest.mark.parametrize("command", [("check", "skills"), ("incident", "validate", "skills")])
def test_as_of_out_of_range_or_empty_exits_2(tmp_path: Path, as_of: str, command: tuple[str, ...]) -> None:
    root = write_tree(tmp_path / "dir", {"auditor.toml": "", "skills/good.md": skill("good")})
    done = run_cli(*command, "--offline", "--as-of", as_of, cwd=root) if command[0] != "incident" else \
        run_cli(*command, "--as-of", as_of, cwd=root)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "--as-of" in done.stderr


@pytest.fixture(scope="module")
def audited_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_tree(tmp_path_factory.mktemp("store") / "dir", {
        "auditor.toml": "", "skills/good.md": skill("good", reviewed="2020-01-01")})
    assert run_cli("audit", ".", "--offline", "--as-of", AS_OF, cwd=root).returncode in (0, 1)
    return root


@pytest.mark.parametrize("command", [("runs",), ("tickets", "list"), ("tickets", "show", "1"),
                                     ("tickets", "export"), ("audit", ".", "--offline")])
def test_a_truncated_sqlite_store_exits_3(tmp_path: Path, audited_store: Path, command: tuple[str, ...]) -> None:
    root = Path(shutil.copytree(audited_store, tmp_path / "dir"))
    store = root / ".auditor" / "auditor.db"
    store.write_bytes(store.read_bytes()[:5000])
    done = run_cli(*command, cwd=root)
    assert done.returncode == 3, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "error:" in done.stderr


# --- case 8: a lock whose holder was killed on this machine is taken over at once ------------------------------------

def test_a_dead_holder_on_this_host_is_taken_over_at_once(tmp_path: Path) -> None:
    import datetime as dt

    from sqlalchemy import insert

    from auditor.schedule.lock import DirectoryLock, default_holder
    from auditor.store.db import open_engine
    from auditor.store.models import Lock

    engine = open_engine(f"sqlite:///{tmp_path / 'auditor.db'}")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True, timeout=60)
    dead = f"{socket.gethostname()}:{gone.stdout.strip()}"
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(insert(Lock).values(name="dir", holder=dead, acquired_at=now,
                                         expires_at=now + dt.timedelta(seconds=300)))
    assert DirectoryLock(engine, "dir", lease_seconds=300).acquire(scheduled=False)
    # a live holder on this host (this test process) is still waited for
    with engine.begin() as conn:
        conn.execute(Lock.__table__.update().values(holder=default_holder(),
                                                    expires_at=now + dt.timedelta(seconds=300)))
    assert not DirectoryLock(engine, "dir", holder="other:1", lease_seconds=300).acquire(scheduled=False)
    engine.dispose()


# --- case 7: outputs and stores that cannot be written ---------------------------------------------------------------

@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make `folder` refuse new files for real: its permissions, or, for root (whom permissions do not stop), the
    immutable attribute (`chattr +i`); skipped only where neither works."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], capture_output=True, check=False).returncode:
        pytest.skip("running as root, where permissions do not stop writes, and `chattr +i` is not available here")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], capture_output=True, check=True)


def _one_error_line(stderr: str, path: Path | str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error: cannot write "), stderr[-2000:]
    assert str(path) in lines[0], lines[0]
    return lines[0]


def _runs_status(root: Path) -> str:
    done = run_cli("runs", cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _store_intact(store: Path) -> None:
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("how", ["under-a-file", "read-only"])
def test_an_unwritable_report_dir_exits_3_naming_it_and_keeps_the_run(tmp_path: Path, audited_store: Path,
                                                                       how: str) -> None:
    root = Path(shutil.copytree(audited_store, tmp_path / "dir"))
    if how == "under-a-file":
        (tmp_path / "afile").write_text("not a folder\n", encoding="utf-8")
        report, guard = tmp_path / "afile" / "report", contextlib.nullcontext()
    else:
        report = tmp_path / "locked"
        report.mkdir()
        guard = read_only(report)
    with guard:
        done = run_cli("audit", ".", "--offline", "--as-of", AS_OF, "--report-dir", str(report), cwd=root)
    assert done.returncode == 3, done.stderr[-2000:]
    line = _one_error_line(done.stderr, report)
    assert "run #2 is recorded in the store" in line and "--report-dir" in line
    if report.is_dir():
        assert list(report.iterdir()) == []  # nothing half-written, no .tmp left
    runs = _runs_status(root)
    assert "completed" in runs.split("#2 ", 1)[1].splitlines()[0], runs
    _store_intact(root / ".auditor" / "auditor.db")


def test_a_read_only_directory_names_the_store_and_the_way_out(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "dir", {"auditor.toml": "", "skills/good.md": skill("good")})
    with read_only(root):
        done = run_cli("audit", ".", "--offline", "--as-of", AS_OF, cwd=root)
        assert done.returncode == 3, done.stderr[-2000:]
        line = _one_error_line(done.stderr, root / ".auditor")
        assert "--db" in line
        elsewhere = tmp_path / "elsewhere"
        done = run_cli("audit", ".", "--offline", "--as-of", AS_OF, "--db", f"sqlite:///{elsewhere / 'a.db'}",
                       "--report-dir", str(elsewhere / "report"), cwd=root)
        assert done.returncode == 0, done.stderr[-2000:]
    assert (elsewhere / "report" / "index.html").is_file()
    assert not (root / ".auditor").exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="/dev/full (a device that is always full) is Linux's")
def test_a_full_disk_under_out_exits_3(tmp_path: Path, audited_store: Path) -> None:
    root = Path(shutil.copytree(audited_store, tmp_path / "dir"))
    done = run_cli("tickets", "export", "--out", "/dev/full", cwd=root)
    assert done.returncode == 3, done.stderr[-2000:]
    assert "no space left" in _one_error_line(done.stderr, "/dev/full")
    assert Path("/dev/full").is_char_device()  # written into, never renamed over


def _file_size_limit(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_under_the_report_exits_3_and_keeps_the_run(tmp_path: Path, pg_url: str) -> None:
    """The disk fills while the report is written (a file size limit: no file over 4 KB). The store is the local
    PostgreSQL, so the run itself is stored whole; the report folder is left as it was."""
    from sqlalchemy import create_engine, text

    root = write_tree(tmp_path / "dir", {"auditor.toml": "", "skills/good.md": skill("good", reviewed="2020-01-01")})
    report = tmp_path / "report"
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "auditor", "audit", ".", "--offline", "--as-of", AS_OF, "--db",
                           pg_url, "--report-dir", str(report)], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120, preexec_fn=lambda: _file_size_limit(4096), check=False)
    assert done.returncode == 3, done.stderr[-2000:]
    line = _one_error_line(done.stderr, report / "index.html")
    assert "larger than allowed" in line and "run #1 is recorded" in line
    assert list(report.iterdir()) == []
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status, entries_count FROM runs")).all() == [("completed", 1)]
    engine.dispose()


# --- case 8: a run whose process was killed is marked interrupted by whoever opens the store next ---------------------

def test_a_killed_audit_is_marked_interrupted_by_the_next_command(tmp_path: Path) -> None:
    """SIGKILL of an audit that is waiting on a link (a server that accepts and never answers, so the audit is
    surely mid-run): `auditor runs` then shows it interrupted, not running, and the next audit runs at once."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections complete in the kernel; nothing ever answers
    port = silent.getsockname()[1]
    root = write_tree(tmp_path / "dir", {
        "auditor.toml": "[settings]\nlink_timeout = 120.0\nlink_retries = 0\n",
        "skills/good.md": skill("good", extra_front=f"links: {{docs: http://127.0.0.1:{port}/docs}}\n"),
    })
    env = {**os.environ, "NO_COLOR": "1"}
    audit = subprocess.Popen([sys.executable, "-m", "auditor", "audit", ".", "--as-of", AS_OF,
                              "--allow-private-addresses"], cwd=root, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        silent.settimeout(120)
        request, _ = silent.accept()  # the audit is fetching the link: it is mid-run
        assert audit.poll() is None
        audit.kill()
        request.close()
        audit.wait(timeout=60)
        with sqlite3.connect(root / ".auditor" / "auditor.db") as conn:
            assert conn.execute("SELECT status FROM runs").fetchall() == [("running",)]  # as SIGKILL left it
    finally:
        if audit.poll() is None:
            audit.kill()
            audit.wait(timeout=60)
        silent.close()
    runs = _runs_status(root)
    first = runs.split("#1 ", 1)[1].splitlines()[0]
    assert "interrupted" in first and "ended without recording an outcome" in first, runs
    done = run_cli("audit", ".", "--offline", "--as-of", AS_OF, cwd=root)
    assert done.returncode in (0, 1), done.stderr[-2000:]  # not 4: the dead holder's lock is taken over
    with sqlite3.connect(root / ".auditor" / "auditor.db") as conn:
        assert conn.execute("SELECT id, status FROM runs ORDER BY id").fetchall() == [(1, "interrupted"),
                                                                                      (2, "completed")]



def test_lock_renewal_outlasts_database_is_locked(tmp_path: Path) -> None:
    """While another connection holds SQLite's write lock (the audit storing a large run), renewals fail with
    "database is locked"; the heartbeat keeps trying and renews the lease once the writer is done."""
    import threading

    from sqlalchemy import select

    from auditor.schedule.lock import DirectoryLock
    from auditor.store.db import open_engine
    from auditor.store.models import Lock

    store = tmp_path / "auditor.db"
    engine = open_engine(f"sqlite:///{store}")
    lock = DirectoryLock(engine, "dir", lease_seconds=600)
    assert lock.acquire(scheduled=False)
    with engine.connect() as conn:
        before = conn.execute(select(Lock.expires_at)).scalar()
    writer = sqlite3.connect(store, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock
    idle = threading.Event()
    try:
        with lock.heartbeat(every=0.05):
            for _ in range(600):
                if lock.failed_renewals >= 2:
                    break
                idle.wait(0.1)
            assert lock.failed_renewals >= 2 and lock.renewals == 0
            writer.execute("COMMIT")
            for _ in range(600):
                if lock.renewals:
                    break
                idle.wait(0.1)
            assert lock.renewals >= 1 and not lock.lost.is_set()
    finally:
        writer.close()
    with engine.connect() as conn:
        assert conn.execute(select(Lock.expires_at)).scalar() > before
    lock.release()
    engine.dispose()


# --- case 3: a rule that takes too long on one entry is stopped there, not left to hang the run -----------------------

@pytest.mark.parametrize("workers", [1, 2])
def test_a_rule_over_its_time_budget_is_stopped_on_that_entry(tmp_path: Path, workers: int) -> None:
    """A directory's own style rule whose pattern backtracks exponentially on one entry's line: PRS008 is stopped
    on that entry after `rule_time_budget`, STR001 names the rule, and every other rule and entry is checked."""
    root = write_tree(tmp_path / "dir", {
        "auditor.toml": ('[settings]\nprose_styles = ["styles"]\nrule_time_budget = 1.0\n'
                         f"workers = {workers}\nparallel_min_entries = 1\n"),
        "styles/House/Slow.yml": "extends: existence\nmessage: \"slow '%s'\"\nlevel: warning\nraw:\n  - '(a+)+!'\n",
        "styles/House/Hedge.yml": "extends: existence\nmessage: \"hedge '%s'\"\nlevel: warning\ntokens:\n  - maybe\n",
        "skills/good.md": skill("good", body="## Use cases\n- It maybe works.\n"),
        "skills/evil.md": skill("evil", body="## Use cases\n- " + "a" * 60 + " maybe.\n"),
    })
    done = run_cli("check", "skills", "--offline", "--as-of", AS_OF, "--format", "json", cwd=root)
    assert done.returncode == 1, done.stderr[-2000:]
    findings = findings_of(done.stdout)
    stopped = [f for f in findings if f["code"] == "STR001"]
    assert [(f["entry"], f["path"]) for f in stopped] == [("evil", "skills/evil.md")]
    assert "rule PRS008 (prose.custom-style) was stopped after 1 s" in stopped[0]["message"]
    assert any(f["entry"] == "good" and f["code"] == "PRS008" and "maybe" in f["message"] for f in findings)
    assert any(f["entry"] == "evil" and f["code"] == "STR008" for f in findings)  # the other rules ran on it


# --- case 6: the post-mortem mix page and `links check` show hostile text inert ---------------------------------------

def test_incident_stats_html_isolates_and_folds_hostile_categories(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(ROOT / "examples" / "incidents", tmp_path / "incidents"))
    (folder / "auditor.toml").write_text(
        f'[settings]\nincident_directory = "{ROOT / "examples" / "directory"}"\n', encoding="utf-8")
    hostile = "<script>alert(1)</script>\u202eevil" + "x" * 400
    source = (folder / "valid" / "2026-09-15-feed-latency.yml").read_text(encoding="utf-8")
    (folder / "valid" / "2026-09-16-hostile.yml").write_text(
        source.replace("category: user_behavior_change", "category: " + json.dumps(hostile)), encoding="utf-8")
    page = tmp_path / "mix.html"
    done = run_cli("incident", "stats", str(folder / "valid"), "--html", str(page), cwd=folder)
    assert done.returncode == 0, done.stderr[-2000:]
    html = page.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<bdi>&lt;script&gt;alert(1)" in html  # the override cannot reorder the text around it
    assert f"show all {len(hostile)} characters" in html  # folded, the whole value one click away
    assert "\\u202e" in done.stdout and "\u202e" not in done.stdout  # the terminal table shows it as an escape


def test_links_check_text_shows_control_characters_as_escapes(tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text("http://127.0.0.1:9/a\x1b]0;pwned\x07\x1b[2J\u202ebad\n", encoding="utf-8")
    done = run_cli("links", "check", "--from", str(listing), cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\u202e" not in done.stdout
    assert "/a\\x1b]0;pwned\\x07\\x1b[2J\\u202ebad" in done.stdout


def test_a_large_claim_analysis_is_kept_out_of_the_collectors_way(tmp_path: Path) -> None:
    """The claim analysis of a large entry runs with the cyclic collector paused and is then frozen, so later
    collections do not walk its sentences again (what made STL002 grow faster than the text); a small one is not
    frozen, and the collector is on again either way."""
    import gc

    from auditor.checks.rules.staleness import _claims
    from auditor.config import load_config
    from auditor.sources.markdown import read_entry

    config = load_config(write_tree(tmp_path / "dir", {"auditor.toml": ""}))
    lex = _claims.lexicon(config.pack)
    sentences = "".join(f"As of {2010 + i % 10}, {i % 90 + 5}% of teams ran it.\n" for i in range(12_000))
    for body, frozen in (("As of 2019, 40% of teams ran it.\n", False), (sentences, True)):
        entry = read_entry(skill("big", body="## Use cases\n" + body).encode(), "big", "skills/big.md", config.kinds)
        gc.unfreeze()
        try:
            analysis = _claims.analyze(entry, lex)
            assert gc.isenabled()
            assert (gc.get_freeze_count() > 0) is frozen, len(analysis.sentences)
        finally:
            gc.unfreeze()
            _claims._LAST[:] = [None, None, None]


def test_a_full_disk_under_the_store_exits_3_and_leaves_it_intact(tmp_path: Path, audited_store: Path) -> None:
    """The disk fills while the store is written (no file may grow past 8 KB): the audit stops with the store's
    path and what to do, and the store keeps its earlier run, intact."""
    root = Path(shutil.copytree(audited_store, tmp_path / "dir"))
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "auditor", "audit", ".", "--offline", "--as-of", AS_OF], cwd=root,
                          env=env, capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: _file_size_limit(8192), check=False)
    assert done.returncode == 3, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("error: the store at sqlite:///") and "auditor.db" in first and "--db" in first, first
    _store_intact(root / ".auditor" / "auditor.db")
    with sqlite3.connect(root / ".auditor" / "auditor.db") as conn:
        assert conn.execute("SELECT id, status FROM runs WHERE status = 'completed'").fetchall() == [(1, "completed")]


# Every command that takes a directory, with the bad file as the directory's auditor.toml.
COMMANDS_READING_CONFIG = [
    ("check", "skills", "--offline"), ("audit", ".", "--offline"), ("fix", "skills", "--diff"),
    ("incident", "validate", "skills"), ("incident", "stats", "skills"), ("schedule", ".", "--list"),
    ("links", "check", "--config", "auditor.toml", "--from", "urls.txt"),
    ("runs", "-d", "."), ("tickets", "list", "-d", "."), ("tickets", "export", "-d", "."),
]


@pytest.mark.parametrize("command", COMMANDS_READING_CONFIG, ids=" ".join)
def test_every_command_meets_every_bad_setting_without_a_traceback(tmp_path: Path, command: tuple[str, ...],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process, so a traceback is an exception the runner catches: each command either reports the file (exit 2)
    or, when it does not read the settings it was given, still ends cleanly."""
    from typer.testing import CliRunner

    from auditor.cli import app

    runner = CliRunner()
    for toml, named in BAD_CONFIGS.items():
        root = write_tree(tmp_path / f"dir{abs(hash(toml))}", {"auditor.toml": toml, "skills/good.md": skill("good"),
                                                              "urls.txt": ""})
        monkeypatch.chdir(root)
        dated = [] if command[0] == "schedule" else ["--as-of", AS_OF]  # the scheduler keeps the real clock
        result = runner.invoke(app, [*command, *dated])
        shown = result.output + (getattr(result, "stderr", "") or "")
        assert result.exception is None or isinstance(result.exception, SystemExit), (toml, shown[-1500:])
        assert "Traceback" not in shown
        assert result.exit_code in (0, 2, 3), (toml, result.exit_code, shown[-1500:])
        if result.exit_code == 2:
            assert "auditor.toml" in shown and named in shown, (toml, shown[-1500:])
