"""The link checker against a misbehaving web on 127.0.0.1 (tests/links_server.py): every behaviour gets its verdict."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterator
from typing import Any

import pytest
import trustme

from auditor.config import load_rule_pack
from auditor.links.checker import CheckOptions, LinkChecker, _Host
from auditor.links.content import Markers
from auditor.links.history import MemoryHistory
from auditor.links.landing import deep, same_page, same_site
from auditor.links.pace import _clock_second, rate_budget, retry_after
from auditor.links.results import LinkResult
from tests.links_server import WebServer, refused_port

MARKERS = Markers.from_pack(load_rule_pack().get("links"))


def fast(**overrides: Any) -> CheckOptions:
    """Short timeouts and backoffs so the whole module runs in seconds; loopback allowed."""
    values: dict[str, Any] = {"timeout": 0.4, "retries": 1, "backoff": 0.01, "retry_after_cap": 2.0,
                              "slow_down": 0.05, "allow_private": True} | overrides
    return CheckOptions(**values)


@pytest.fixture(scope="module")
def web() -> Iterator[dict[str, WebServer]]:
    with WebServer() as main, WebServer() as limited, WebServer("soft") as soft, WebServer("spa") as spa, \
            WebServer("parked") as parked:
        # `limited` is a host of its own: once it answers 429 it is slowed down, and the others must not wait
        yield {"main": main, "limited": limited, "soft": soft, "spa": spa, "parked": parked}


# (site, path) -> (verdict, code)
BEHAVIOURS: dict[tuple[str, str], tuple[str, str]] = {
    ("main", "/ok"): ("alive", "ok"),
    ("main", "/pdf"): ("alive", "ok"),
    ("main", "/gone"): ("broken", "http-404"),
    ("main", "/gone-410"): ("broken", "http-410"),
    ("main", "/head-405"): ("alive", "ok"),  # HEAD refused, GET serves
    ("main", "/head-lies"): ("alive", "ok"),  # HEAD says 404, GET serves
    ("main", "/head-lies-ok"): ("broken", "http-404"),  # HEAD says 200, GET says 404
    ("limited", "/rate-limited"): ("alive", "ok"),  # 429 + Retry-After: 1, then 200
    ("limited", "/rate-limited-forever"): ("unverified", "rate-limited"),  # Retry-After beyond the cap
    ("main", "/flaky"): ("alive", "ok"),  # 503 once, then 200
    ("main", "/down"): ("broken", "http-5xx"),  # 503 on every try
    ("main", "/slow"): ("unverified", "timeout"),
    ("main", "/huge"): ("alive", "ok"),  # 50 MB of HTML, read only as far as needed
    ("main", "/huge.bin"): ("alive", "ok"),  # 50 MB download: HEAD is enough
    ("main", "/soft-404"): ("broken", "soft-404"),  # 200 titled "Page not found"
    ("soft", "/old-pricing"): ("broken", "soft-404"),  # 200, same page as a random path
    ("soft", "/billing"): ("alive", "ok"),  # a real page on the same soft-404 host
    ("spa", "/settings/profile"): ("alive", "ok"),  # an app shell looks the same everywhere: not dead
    ("main", "/parked"): ("broken", "parked"),
    ("parked", "/docs"): ("broken", "parked"),
    ("main", "/challenge"): ("blocked", "challenge"),  # 403 + cf-mitigated: challenge
    ("main", "/challenge-200"): ("blocked", "challenge"),  # 200 "Just a moment..."
    ("main", "/robots-999"): ("blocked", "challenge"),
    ("main", "/login-wall"): ("blocked", "login"),  # redirect to /login
    ("main", "/private"): ("blocked", "login"),  # 401
    ("main", "/loop-a"): ("broken", "redirect-loop"),
    ("main", "/chain/3"): ("redirected", "moved"),  # three permanent hops
    ("main", "/chain/14"): ("broken", "too-many-redirects"),
    ("main", "/moved"): ("redirected", "moved"),
    ("main", "/moved-308"): ("redirected", "moved"),
    ("main", "/temporary"): ("alive", "ok"),  # 302 is not a move
    ("main", "/retired"): ("broken", "soft-404"),  # 302 to the home page: a soft 404 by redirect
    ("main", "/retired-301"): ("broken", "soft-404"),  # moved for good to the home page is no fix either
    ("main", "/app-route"): ("alive", "ok"),  # 302 to `/#/docs/app-route`: an app's route, not the home page
    ("main", "/ok#intro"): ("alive", "ok"),
    ("main", "/ok#old-anchor"): ("alive", "ok"),  # <a name=...>
    ("main", "/ok#missing"): ("fragment-missing", "fragment-missing"),
    ("main", "/ok#L10"): ("alive", "ok"),  # line anchors are not checked
}


@pytest.fixture(scope="module")
def checked(web: dict[str, WebServer]) -> tuple[dict[str, LinkResult], LinkChecker, float]:
    urls = [web[site].url(path) for site, path in BEHAVIOURS]
    urls += [f"http://127.0.0.1:{refused_port()}/docs", "http://docs.nothing-here.invalid/guide"]
    checker = LinkChecker(fast(), MARKERS)
    started = time.monotonic()
    results = checker.check_sync(urls)
    return results, checker, time.monotonic() - started


@pytest.mark.parametrize(("site", "path"), list(BEHAVIOURS), ids=[f"{s}{p}" for s, p in BEHAVIOURS])
def test_behaviour_gets_its_verdict(web: dict[str, WebServer], checked: tuple, site: str, path: str) -> None:
    results, _, _ = checked
    result = results[web[site].url(path)]
    assert (result.verdict, result.code) == BEHAVIOURS[(site, path)], result.reason


def test_refused_port_and_unresolvable_name_are_broken(checked: tuple) -> None:
    results, _, _ = checked
    refused = next(r for u, r in results.items() if u.endswith("/docs") and "127.0.0.1" in u and r.code == "refused")
    assert refused.verdict == "broken" and "refused" in refused.reason
    dns = results["http://docs.nothing-here.invalid/guide"]
    assert (dns.verdict, dns.code, dns.status) == ("broken", "dns", None)


def test_redirects_are_recorded_hop_by_hop(web: dict[str, WebServer], checked: tuple) -> None:
    results, _, _ = checked
    chain = results[web["main"].url("/chain/3")]
    assert [hop["status"] for hop in chain.chain] == [301, 301, 301, 200]
    assert chain.suggestion == chain.final_url == web["main"].url("/other")
    loop = results[web["main"].url("/loop-a")]
    assert [hop["url"].rsplit("/", 1)[1] for hop in loop.chain] == ["loop-a", "loop-b", "loop-a"]


def test_a_deep_link_sent_to_the_home_page_is_broken_with_the_chain_as_evidence(web: dict[str, WebServer],
                                                                               checked: tuple) -> None:
    results, _, _ = checked
    retired = results[web["main"].url("/retired")]
    assert retired.reason == "redirected to the home page" and retired.suggestion is None
    assert [(hop["url"], hop["status"]) for hop in retired.chain] == [(web["main"].url("/retired"), 302),
                                                                      (web["main"].url("/"), 200)]


def test_redirects_to_a_generic_page_are_soft_404s_and_other_redirects_are_not() -> None:
    with WebServer("locale") as locale, WebServer("errors") as errors, WebServer("signin") as signin, \
            WebServer("signin") as private, WebServer() as main, WebServer(host="127.0.0.2") as other, \
            WebServer("moved", host="127.0.0.3") as retired:
        private.state["home_public"] = False  # every page behind the login, the home page too
        retired.state["to"] = other.url("/")  # a retired domain: every path sent to its successor's home page
        cases = {
            locale.url("/old-docs"): ("broken", "redirected to the home page"),  # 301 to the root listing /en/
            locale.url("/docs"): ("redirected", "moved permanently to " + locale.url("/en/docs")),
            locale.url("/"): ("alive", "HTTP 200 after a temporary redirect to " + locale.url("/en/")),
            errors.url("/removed-page"): ("broken", f"redirected to {errors.url('/error')}, where "
                                                    f"{errors.base.split('//')[1]} sends paths that do not exist"),
            errors.url("/docs"): ("alive", "HTTP 200"),
            signin.url("/group/deleted-project"): ("broken", f"redirected to {signin.url('/users/sign_in')}, "
                                                             f"where {signin.base.split('//')[1]} sends paths"),
            signin.url("/explore"): ("alive", "HTTP 200"),
            private.url("/group/project"): ("blocked", "a login wall"),  # nothing tells private from lost here
            retired.url("/docs/guide"): ("broken", "redirected to the home page, where "
                                                   f"{retired.base.split('//')[1]} sends paths that do not exist"),
            main.url("/to?u=" + other.url("/")): ("alive", "HTTP 200"),  # a short link to a site's home page
            main.url("/to?u=" + other.url("/ok")): ("alive", "HTTP 200"),
        }
        results = LinkChecker(fast(), MARKERS).check_sync(list(cases))
        for url, (verdict, reason) in cases.items():
            assert (results[url].verdict, results[url].reason[:len(reason)]) == (verdict, reason), url
        assert results[locale.url("/docs")].suggestion == locale.url("/en/docs")
        assert [hop["status"] for hop in results[errors.url("/removed-page")].chain] == [302, 200]


def test_where_a_redirect_lands_is_told_from_its_urls() -> None:
    assert not deep("https://x.com/") and not deep("https://x.com/en/") and not deep("https://x.com/index.html")
    assert not deep("https://x.com/?p=12") and deep("https://x.com/docs/guide") and deep("https://x.com/pricing")
    assert same_site("http://x.com/docs", "https://www.x.com/") and same_site("https://docs.x.com/a", "https://x.com/")
    assert not same_site("https://bit.ly/acme", "https://acme.com/")
    assert not same_site("http://127.0.0.1:8001/a", "http://127.0.0.1:8002/")  # another port: another site
    assert same_page("http://x.com/login?next=/a", "https://x.com/login/?next=/b")  # http -> https: one page
    assert not same_page("https://x.com/docs", "https://x.com/")


def test_bodies_are_read_only_as_far_as_needed(web: dict[str, WebServer], checked: tuple) -> None:
    deadline = time.monotonic() + 10  # the server thread notices the hang-up on its next write
    while "huge_written" not in web["main"].state and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "huge_written" in web["main"].state, "the checker asked for the 50 MB page"
    # The checker hung up early: what the server got out is its socket buffers' worth, not the 50 MB body.
    assert web["main"].state["huge_written"] < 20 * 1024 * 1024


def test_head_first_then_get_only_where_needed() -> None:
    with WebServer() as server:
        paths = ["/pdf", "/huge.bin", "/head-405"]
        # a timeout long enough that a loaded machine does not turn a slow HEAD into a GET
        results = LinkChecker(fast(timeout=3.0), MARKERS).check_sync([server.url(p) for p in paths])
        assert all(r.verdict == "alive" for r in results.values())
        assert server.count("/pdf", "GET") == server.count("/huge.bin", "GET") == 0  # downloads: HEAD is enough
        assert server.count("/head-405", "HEAD") == 1 and server.count("/head-405", "GET") == 1  # refused: GET
    with WebServer() as server:  # a host whose pages are HTML: after three HEADs it gets GET straight away
        checker = LinkChecker(fast(per_host=1), MARKERS)
        checker.check_sync([server.url(f"/ok?page={n}") for n in range(8)])
        assert server.count("/ok", "HEAD") == 3 and server.count("/ok", "GET") == 8


def test_rate_limit_honours_retry_after_and_slows_the_host(web: dict[str, WebServer], checked: tuple) -> None:
    _, checker, _ = checked
    times = web["limited"].state["rate_times"]
    assert len(times) >= 2 and times[1] - times[0] >= 0.9  # waited for Retry-After: 1
    assert checker.hosts[web["limited"].base.split("//")[1]].interval > 0  # slowed down for the rest of the run
    assert checker.hosts[web["main"].base.split("//")[1]].interval == 0


def test_a_429_holds_the_whole_host_for_its_retry_after_then_paces_it() -> None:
    with WebServer() as server:
        when: list[tuple[str, float]] = []
        handle = server.handle

        def timed(request: Any, method: str) -> None:
            when.append((request.path, time.monotonic()))
            handle(request, method)

        server.handle = timed  # type: ignore[method-assign]
        checker = LinkChecker(fast(per_host=1, retry_after_cap=5.0), MARKERS)
        results = checker.check_sync([server.url("/rate-limited"), server.url("/pdf")])  # /pdf: HEAD is enough
        assert all(r.verdict == "alive" for r in results.values())
        refused_at = when[0][1]
        assert when[0][0] == "/rate-limited" and len(when) >= 3
        assert when[1][1] - refused_at >= 0.9  # no page of the host asked for before Retry-After: 1 was over
        # it took one request before refusing: paced at half a request a second at first (a floor of slow_down)
        assert checker.hosts[server.base.split("//")[1]].ceiling == 0.5
        assert when[2][1] - when[1][1] >= 0.5  # a quarter of a request a second, climbing: still far apart


def refused_host(taken: int, over: float, retry: float | None = None) -> tuple[_Host, float]:
    """A host that took `taken` requests in the last `over` seconds and refused the next."""
    host = _Host(4)
    now = time.monotonic()
    host.sent.extend(now - over + i * over / taken for i in range(taken + 1))  # the last one at `now`
    host.rate_limited(retry, 0.0, sent_at=host.sent[-1])
    return host, now


def test_a_429_halves_the_rate_the_host_took_and_it_climbs_back_until_the_host_is_not_paced() -> None:
    host, now = refused_host(30, 0.3)  # 30 taken in 0.3 s, the 31st refused
    assert host.ceiling == pytest.approx(30 - 1.2)  # what it took, 4% under (one under on a slow host)
    assert host.rate == pytest.approx(host.ceiling / 2)  # multiplicative decrease
    host._climb(now + 0.125)  # additive increase, by the second: back to the ceiling in a quarter second
    assert host.rate == pytest.approx(host.ceiling * 0.75, rel=0.02)
    host._climb(now + 0.5)
    assert host.rate == pytest.approx(host.ceiling * 1.5, rel=0.02)  # on above the rate it refused
    host._climb(now + 0.8)
    assert host.rate == pytest.approx(2 * host.ceiling + 2)  # about twice, until the host shows it takes more
    for n in range(45):
        host.answered(now + 1.0 + n / 50)  # it answered 45 sent within a second: half as much again as 28.8
    host._climb(now + 2.0)
    # but only in one: a host counting in fixed windows of the clock answers twice its limit within a second that
    # straddles two of them
    assert host.rate == pytest.approx(2 * host.ceiling + 2)
    for n in range(45):
        host.answered(now + 2.0 + n / 50)  # and as many in the next second
    host._climb(now + 3.0)
    assert host.rate == 0 and host.interval == 0  # it refused once, not for good
    slow, _ = refused_host(1, 0.5)  # it took one and refused the next: one under would be none, half of it
    assert slow.ceiling == 0.5 and slow.rate == 0.25


def test_a_host_refused_again_above_the_rate_it_took_is_held_at_that_rate() -> None:
    host, now = refused_host(30, 0.3)
    host._climb(now + 0.5)  # probing above 28.8 a second
    assert host.rate > host.ceiling
    host.sent.clear()
    base = time.monotonic()
    host.sent.extend(base - 1.0 + i / 25 for i in range(26))  # it took 25 in that second
    host.reacted_at = -1e9  # a later 429, not another answer of the same burst
    host.rate_limited(None, 0.0, sent_at=host.sent[-1])
    assert host.confirmed and host.ceiling == pytest.approx(24.0)  # its limit, one under
    assert host.rate == pytest.approx(12.0)
    host._climb(time.monotonic() + 30)
    assert host.rate == pytest.approx(24.0)  # climbs back and stays: no further 429
    host.reacted_at = -1e9  # refused at that rate all the same: the limit is lower still
    host.sent.extend(base + 1.0 + i / 21 for i in range(21))
    host.rate_limited(None, 0.0, sent_at=host.sent[-1])
    assert host.ceiling < 24.0 and host.rate < host.ceiling


def test_a_paced_host_is_never_sent_more_than_its_rate_in_any_second_even_after_a_late_wake_up() -> None:
    async def run() -> tuple[list[float], list[float]]:
        host = _Host(4)
        host.rate = host.ceiling = 28.8
        host.confirmed = True

        async def one(n: int) -> float:
            at = await host.pace()
            if n == 5:
                time.sleep(0.3)  # a busy event loop: the next turns wake up late, and must not catch up in a burst
            return at

        sends = list(await asyncio.gather(*(one(n) for n in range(40))))
        return sends, list(host.sent)

    sends, everything = asyncio.run(run())
    assert len(everything) == 40
    assert max(sum(1 for t in everything if at - 1.0 < t <= at) for at in sends) <= 28


def host_refused_in_a_second_of_the_clock(answered_before: int) -> _Host:
    """A host that answered 10 in each of two seconds of the clock, 20 within the one that straddles them, and
    `answered_before` in the second of the clock before those; in the next it answered 10 and refused the 11th."""
    host = _Host(4)
    start = _clock_second(time.monotonic()) - 4  # four whole seconds of the wall clock ago
    sends = [start + 0.01 + i / 20 for i in range(answered_before)]  # a second of the clock of its own
    sends += [start + 1.51 + i / 20 for i in range(10)] + [start + 2.01 + i / 20 for i in range(10)]
    sends += [start + 3.01 + i / 20 for i in range(10)]
    for at in sends:
        host.went(at)
        host.answered(at)
    host.went(start + 3.51)
    host.rate_limited(1.0, 0.0, sent_at=start + 3.51)
    return host


def test_a_host_that_counts_in_fixed_windows_of_the_clock_is_paced_at_what_it_took_in_one() -> None:
    # 20 answered within a second, then refused with only 10 in the second up to the refusal: on its own no limit
    # of so many a second (test_a_429_under_a_rate_the_host_has_taken_is_no_limit_unless_the_next_one_is_refused_too).
    # But the host never answered more than 10 within a second of the clock, and refused the 11th in one: it counts
    # in those.
    host = host_refused_in_a_second_of_the_clock(answered_before=10)
    assert host.ceiling == pytest.approx(10 - 1) and host.rate == pytest.approx(host.ceiling / 2)
    # Once it has answered 12 within a second of the clock, a refusal at 10 in one is no such limit either.
    host = host_refused_in_a_second_of_the_clock(answered_before=12)
    assert host.rate == 0 and host.ceiling == 0
    assert host.paused_until > time.monotonic() + 0.9  # the host is paused all the same
    fresh, _ = refused_host(15, 0.5)  # a host asked for half a second only: what it took in that second
    assert fresh.ceiling == pytest.approx(15 - 1)


def test_the_requests_sent_after_a_refused_one_that_the_host_answered_count_in_the_rate_it_took() -> None:
    host = _Host(4)
    now = time.monotonic()
    early = [now - 0.5 + i / 100 for i in range(4)]  # four sent at once, the fourth refused: it reached the host last
    later = [now - 0.4 + i / 100 for i in range(8)]  # sent after it, reaching the host before it
    for at in early + later:
        host.went(at)
    for at in early[:3] + later[:7]:
        host.answered(at)
    host.rate_limited(1.0, 0.0, sent_at=early[3])
    host.rate_limited(1.0, 0.0, sent_at=later[7])  # the last one refused too: the host's limit, at 10 taken
    assert host.ceiling == pytest.approx(10 - 1)  # not 3 - 1: those seven were taken in the same second
    assert host.confirmed is False and host.rate == pytest.approx(host.ceiling / 2)


def test_a_host_with_a_long_window_is_paced_over_the_span_its_retry_after_names() -> None:
    host, now = refused_host(40, 2.0, retry=20.0)  # 40 taken in two seconds, then "come back in 20 s"
    assert host.ceiling == pytest.approx((40 - 1.6) / 20)  # under 2 a second over the window of 20 s, not 38
    assert host.paused_until >= now + 19.9 and host.rate == pytest.approx(host.ceiling / 2)
    host._climb(host.paused_until + 2.5)  # it climbs over the window too: back to the ceiling after 5 s
    assert host.rate == pytest.approx(host.ceiling * 0.75, rel=0.02)


def busiest_second(times: list[float]) -> int:
    return max((sum(1 for t in times if at <= t < at + 1.0) for at in times), default=0)


@pytest.mark.slow
def test_a_host_that_refused_once_recovers_its_full_rate() -> None:
    with WebServer("limit") as server:
        server.state |= {"refuse_at": 20, "delay": 0.01}  # 429 (Retry-After: 1) to its 20th request, only then
        checker = LinkChecker(fast(slow_down=0.0, retries=2), MARKERS)
        results = checker.check_sync([server.url(f"/p/{n}") for n in range(300)])
        assert all(r.verdict == "alive" for r in results.values())
        refused = [t for t, status in server.log if status == 429]
        assert len(refused) == 1
        host = checker.hosts[server.base.split("//")[1]]
        assert host.rate == 0  # no longer paced
        after = [t for t, _ in server.log if t > refused[0] + 1.0]
        # Paced at half what it took, climbing back: the host got more than twice that rate in some second
        # afterwards (held at what it refused, it never would have).
        assert busiest_second(after) > 2 * host.ceiling


@pytest.mark.slow
@pytest.mark.parametrize("window", ["sliding", "fixed"])
def test_a_host_with_a_hard_limit_converges_to_it_and_is_not_refused_again(window: str) -> None:
    limit = 10
    with WebServer("limit") as server:
        server.state["limit"] = limit  # 429 (Retry-After: 1) beyond 10 requests in any second
        # or in each second of the clock: a window that may move on between a refusal and the next request
        server.state["fixed"] = window == "fixed"
        checker = LinkChecker(fast(slow_down=0.0, retries=2, timeout=5.0), MARKERS)  # no retried timeout on a busy box
        results = checker.check_sync([server.url(f"/p/{n}") for n in range(90)])
        assert all(r.verdict == "alive" for r in results.values())
        refused = [t for t, status in server.log if status == 429]
        bursts = [t for i, t in enumerate(refused) if i == 0 or t - refused[i - 1] > 0.5]
        # the first burst teaches the rate (climbing past it, when the burst did not show it, finds the limit);
        # after that no 429. A fixed window may take one more: what a host took in the second up to a refusal is up
        # to twice its limit when that second straddles two of its windows, and until the host has been asked for
        # two seconds there is no longer span to tell.
        assert 1 <= len(bursts) <= 2 + (window == "fixed")
        for at in bursts:  # the whole host is paused: nothing asked but what was on its way when the 429 left
            assert not [t for t, _ in server.log if at + 0.1 < t < at + 0.95]
        after = [t for t, status in server.log if t > refused[-1] + 1.0]  # all answered: the last 429 is before
        # A sliding-window server would have refused an 11th request within a second (its window and this count
        # agree). A fixed-window one counts per second of the clock and refused none of these; in its log, taken as
        # requests arrive, a pace held at about the limit shows one more within some second when one request
        # arrives late and the next on time, which that server rightly accepts.
        assert len(after) >= 40 and busiest_second(after) <= limit + (window == "fixed")
        assert len(after) / (after[-1] - after[0]) >= limit / 3  # converged to its limit, not to a crawl


def answered_host(taken: int, over: float, ago: float = 0.0) -> tuple[_Host, list[float]]:
    """A host sent `taken` requests over `over` seconds, up to `ago` seconds ago, and answered every one."""
    host = _Host(4)
    end = time.monotonic() - ago
    times = [end - over + i * over / taken for i in range(1, taken + 1)]
    for at in times:
        host.sent.append(at)
        host.answered(at)
    return host, times


def test_a_429_that_only_its_page_got_lifts_the_host_pause_and_leaves_its_pace() -> None:
    host, times = answered_host(30, 0.3)
    now = time.monotonic()
    host.went(now - 0.002)
    host.went(now - 0.001)
    host.rate_limited(1.0, 0.0, sent_at=now - 0.002)  # refused, while the next one was on its way
    assert host.rate > 0 and host.ceiling > 0  # taken as the host's rate at first
    assert host.paused_until >= now + 0.99  # and the host paused, until the one on its way tells
    host.answered(now - 0.001)  # the one sent after it was answered: no limit refuses that
    assert host.rate == 0 and host.ceiling == 0  # the pace it had
    assert host.paused_until < now  # the host goes on; only the refused page waits (LinkChecker._fetch)


def test_a_429_with_nothing_sent_after_it_pauses_the_host_for_its_retry_after() -> None:
    host, _ = answered_host(30, 0.3, ago=0.05)
    now = time.monotonic()
    host.went(now - 0.003)  # on its way before the refused one: its answer tells nothing
    host.went(now - 0.002)
    host.rate_limited(1.0, 0.0, sent_at=now - 0.002)
    host.answered(now - 0.003)
    assert host.paused_until >= now + 0.99
    host.went(now - 0.001)  # a request that got no answer at all tells nothing either
    host.rate_limited(1.0, 0.0, sent_at=now - 0.0015)  # (another refusal of the same burst, sent before it)
    host.lost(now - 0.001)
    assert host.paused_until >= now + 0.99


def test_a_429_that_the_requests_sent_after_it_share_is_the_hosts_limit() -> None:
    for answered in (False, True):
        host, _ = answered_host(30, 0.3, ago=0.05)
        now = time.monotonic()
        sends = [now - 0.004, now - 0.003, now - 0.002, now - 0.001]
        for at in sends:
            host.went(at)
        host.rate_limited(1.0, 0.0, sent_at=sends[0])
        host.rate_limited(1.0, 0.0, sent_at=sends[1])  # sent after it, refused too: the rate
        host.rate_limited(1.0, 0.0, sent_at=sends[2])
        if answered:  # and one answered: some of each, the rate as far as anyone can tell; not a limit shown
            host.answered(sends[3])
        else:
            host.rate_limited(1.0, 0.0, sent_at=sends[3])
        assert host.paused_until >= now + 0.99 and host.rate == pytest.approx(host.ceiling / 2)
        assert host.confirmed is not answered  # all refused: held at that rate, not probed above it
        host._climb(time.monotonic() + 30)
        assert host.rate == pytest.approx(host.ceiling if not answered else 2 * host.ceiling + 2)


def test_a_429_under_a_rate_the_host_has_taken_is_no_limit_unless_the_next_one_is_refused_too() -> None:
    for burst in (False, True):
        host, _ = answered_host(30, 0.3, ago=5.0)  # it took 30 in 0.3 s
        now = time.monotonic()
        host.sent.append(now - 0.5)
        host.went(now - 0.001)
        host.went(now)
        host.rate_limited(1.0, 0.0, sent_at=now - 0.001)  # refused at two a second
        assert host.paused_until >= now + 0.99
        assert host.rate == 0 and host.ceiling == 0  # paused for its Retry-After, not paced after it
        if burst:
            host.rate_limited(1.0, 0.0, sent_at=now)  # one sent after it refused too: that is the rate
            assert host.ceiling == 0.5 and host.rate == 0.25


def test_a_paced_host_refused_under_the_rate_it_has_taken_is_no_longer_paced() -> None:
    host, _ = answered_host(30, 0.3, ago=5.0)
    now = time.monotonic()
    host.rate, host.ceiling, host.step, host.climbed_at = 10.0, 16.0, 32.0, now  # paced after an earlier 429
    host.sent.append(now - 0.5)
    host.went(now - 0.002)
    host.went(now - 0.001)
    host.rate_limited(1.0, 0.0, sent_at=now - 0.002)  # refused at two a second: that 429 told nothing either
    assert host.rate == 0 and host.paused_until >= now + 0.99
    host.answered(now - 0.001)  # the page's own 429: that puts back no pace the host had before it
    assert host.rate == 0 and host.paused_until < now


def test_a_page_under_way_gets_its_host_next_free_turn() -> None:
    with WebServer() as server:
        checker = LinkChecker(fast(per_host=1, retry_after_cap=5.0), MARKERS)
        pages = [server.url(f"/pdf?n={n}") for n in range(6)]
        results = checker.check_sync([server.url("/ok"), *pages, server.url("/rate-limited"), *pages[:3]])
        assert all(r.verdict == "alive" for r in results.values())
        order = [(method, path) for method, path, _ in server.headers_seen]
        # HEAD /ok says HTML: its GET goes before the five PDFs that were waiting (one went meanwhile)
        assert order.index(("GET", "/ok")) <= 2
        # the page refused with 429 is asked again first when the host's pause is over, before the pages
        # that waited for the pause to end (one of them had the host's turn already)
        refused = order.index(("HEAD", "/rate-limited"))
        assert ("HEAD", "/rate-limited") in order[refused + 1:refused + 3]


@pytest.mark.slow
def test_pages_that_ask_for_a_pause_once_neither_slow_their_host_nor_hold_it_longer_than_the_evidence_takes() -> None:
    with WebServer("limit") as server:
        server.state |= {"busy": {f"/p/{n}" for n in (15, 60, 110, 160)}, "delay": 0.005}
        checker = LinkChecker(fast(slow_down=0.0, retries=2, timeout=5.0), MARKERS)  # counted: no retried timeout
        results = checker.check_sync([server.url(f"/p/{n}") for n in range(200)])
        assert all(r.verdict == "alive" for r in results.values())
        refused = [t for t, status in server.log if status == 429]
        assert len(refused) == 4
        assert len(server.log) == 204  # every page once, the four refused ones twice
        host = checker.hosts[server.base.split("//")[1]]
        # Refusals of their own pages, not of the rate: the host is not paced, or (when the last one could not be
        # told from a limit) at no less than about half what it has taken, climbing; never held to a limit.
        assert not host.confirmed and (host.rate == 0 or host.rate >= host.shown / 3)


@pytest.mark.slow
def test_a_page_that_asks_for_a_pause_holds_only_itself_once_the_host_answered_the_pages_sent_after_it() -> None:
    with WebServer("limit") as server:
        # Every answer takes 0.1 s: the three pages sent after /p/1 are still on their way when its 429 comes.
        server.state |= {"busy": {"/p/1"}, "delay": 0.1}
        checker = LinkChecker(fast(per_host=4, slow_down=0.0, retries=2, timeout=2.0), MARKERS)
        results = checker.check_sync([server.url(f"/p/{n}") for n in range(40)])
        assert all(r.verdict == "alive" for r in results.values())
        (refused_at,) = [t for t, status in server.log if status == 429]
        asked = [t for t, _ in server.log]
        # The host was answering the pages sent after it: they go on during the Retry-After (a pause would have
        # held them all for the second, as the test above the rate-limited host shows)...
        assert len([t for t in asked if refused_at + 0.05 < t < refused_at + 0.9]) >= 8
        # ... and the refused page alone waits for it: asked again no sooner.
        assert server.count("/p/1") == 2 and max(asked) >= refused_at + 0.95


@pytest.mark.slow
@pytest.mark.parametrize("style", ["ietf", "draft", "github"])
def test_a_host_that_announces_its_budget_is_never_pushed_into_a_429(style: str) -> None:
    with WebServer("limit") as server:
        server.state |= {"limit": 8, "announce": style}  # 8 requests in each second of the clock, said so
        # Requests are counted exactly: a timeout long enough that a loaded machine never retries one
        checker = LinkChecker(fast(slow_down=0.0, timeout=5.0), MARKERS)
        results = checker.check_sync([server.url(f"/p/{n}") for n in range(30)])
        assert all(r.verdict == "alive" for r in results.values())
        assert len(server.log) == 30 and all(status == 200 for _, status in server.log)


def test_rate_limit_headers_are_read_in_every_style() -> None:
    now = 1_800_000_000.0
    assert rate_budget({"ratelimit-remaining": "7", "ratelimit-reset": "30"}) == (7, 30.0)  # IETF draft
    assert rate_budget({"ratelimit-remaining": "7", "ratelimit-reset": str(int(now) + 12)}, now) == (7, 12.0)  # GitLab
    assert rate_budget({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now) + 60)}, now) == (0, 60.0)
    assert rate_budget({"ratelimit": '"default";r=50;t=30, "daily";r=3;t=5000'}) == (3, 5000.0)  # draft 07+
    assert rate_budget({"ratelimit": "limit=100, remaining=50, reset=5"}) == (50, 5.0)  # its earlier form
    assert rate_budget({"x-ratelimit-remaining": "12"}) is None  # no reset: nothing to wait for
    assert rate_budget({"ratelimit-remaining": "many", "ratelimit-reset": "1"}) is None

def test_https_links_are_checked_over_reused_connections_and_an_untrusted_certificate_is_broken() -> None:
    ca = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(served)
    with WebServer(tls=served) as server:
        untrusted = LinkChecker(fast(), MARKERS).check_sync([server.url("/ok")])[server.url("/ok")]
        assert untrusted.verdict == "broken" and untrusted.code == "tls" and "certificate" in untrusted.reason
        checker = LinkChecker(fast(per_host=1), MARKERS)
        checker.ssl_context = ssl.create_default_context()
        ca.configure_trust(checker.ssl_context)
        urls = [server.url(p) for p in ("/ok", "/other", "/pdf", "/gone", "/moved")]
        results = checker.check_sync(urls)
        assert [results[u].verdict for u in urls] == ["alive", "alive", "alive", "broken", "redirected"]
        # one connection carried every request: the pool saw it as open and reusable after each answer
        assert sum(server.hits.values()) >= 6 and len(server.clients) == 1


def test_flaky_503_is_retried(web: dict[str, WebServer], checked: tuple) -> None:
    assert web["main"].state["flaky"] >= 2


def test_fragment_missing_says_which(web: dict[str, WebServer], checked: tuple) -> None:
    results, _, _ = checked
    assert "`missing`" in results[web["main"].url("/ok#missing")].reason


def test_each_distinct_url_is_fetched_once_and_per_host_limit_holds() -> None:
    with WebServer() as server:
        urls = [server.url(f"/slowish?n={n}") for n in range(8)] * 3 + [server.url("/ok")] * 5
        checker = LinkChecker(fast(per_host=2, timeout=2.0), MARKERS)
        results = checker.check_sync(urls)
        assert len(results) == 9 and all(r.verdict == "alive" for r in results.values())
        assert 1 < server.max_open <= 2 and checker.max_open_per_host <= 2
        assert server.count("/ok", "GET") == 1
        assert server.count("/slowish", "GET") == 8  # each distinct URL once, however often it is listed


def test_global_limit_holds() -> None:
    with WebServer() as a, WebServer() as b:
        urls = [s.url(f"/slowish?n={n}") for s in (a, b) for n in range(4)]
        checker = LinkChecker(fast(concurrency=3, per_host=3, timeout=2.0), MARKERS)
        checker.check_sync(urls)
        assert checker.max_open_total == 3 and a.max_open <= 3 and b.max_open <= 3


def test_conditional_request_reuses_the_verdict_on_304() -> None:
    with WebServer() as server:
        url = server.url("/etag")
        first = LinkChecker(fast(), MARKERS).check_sync([url])[url]
        assert first.etag == '"v1"' and first.verdict == "alive"
        history = MemoryHistory()
        history.record([first])
        second = LinkChecker(fast(), MARKERS).check_sync([url], previous={url: first})[url]
        assert second.verdict == "alive" and "304" in second.reason
        sent = [h for m, p, h in server.headers_seen if p == "/etag"][-1]
        assert sent.get("if-none-match") == '"v1"' and "if-modified-since" in sent


def test_configured_headers_user_agent_skip_and_accepted_statuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODE_HOST_TOKEN", "s3cret")
    with WebServer() as server:
        options = fast(headers={"127.0.0.1": {"Authorization": "Bearer $CODE_HOST_TOKEN"}},
                       user_agent="house-checker/1.0", skip=[r"/skipped"], accept_status={401})
        results = LinkChecker(options, MARKERS).check_sync(
            [server.url("/echo-headers"), server.url("/skipped"), server.url("/private")])
        assert server.url("/skipped") not in results and server.count("/skipped") == 0
        assert results[server.url("/private")].verdict == "alive"
        sent = [h for m, p, h in server.headers_seen if p == "/echo-headers"][0]
        assert sent["authorization"] == "Bearer s3cret" and sent["user-agent"] == "house-checker/1.0"


def test_retry_after_parsing() -> None:
    assert retry_after({"retry-after": "7"}) == 7.0
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert retry_after({}) is None and retry_after({"retry-after": "soon"}) is None


def test_checker_runs_inside_a_fresh_event_loop_each_time() -> None:
    # check_sync is called from synchronous code (the pipeline); it must not leak a loop between runs.
    with WebServer() as server:
        for _ in range(2):
            assert LinkChecker(fast(), MARKERS).check_sync([server.url("/ok")])[server.url("/ok")].verdict == "alive"
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


def test_sharded_run_gives_the_in_process_verdicts_and_keeps_the_per_host_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`link_workers` 2 with the threshold lowered: the run is shared out to two forked processes by host, each
    host in one of them; a page redirecting to another shard's host is checked by the parent afterwards."""
    import datetime as dt

    from auditor.links.book import LinkBook
    from auditor.links.shards import ShardedCheck

    def run(workers: int) -> tuple[dict[tuple[str, str], tuple[str, str]], dict[str, WebServer], LinkBook]:
        with WebServer() as main, WebServer() as limited, WebServer("soft") as soft, WebServer("spa") as spa, \
                WebServer("parked") as parked:
            web = {"main": main, "limited": limited, "soft": soft, "spa": spa, "parked": parked}
            cases = dict(BEHAVIOURS)
            cases[("main", "/to?u=" + soft.url("/billing"))] = ("alive", "ok")  # a redirect to another host
            cases.update({(site, f"/slowish?n={n}"): ("alive", "ok") for site in ("main", "spa") for n in range(6)})
            settings = {"link_workers": workers, "link_parallel_min_urls": 10, "link_per_host": 2,
                        "link_concurrency": 64, "link_timeout": 0.4, "link_retries": 1, "link_backoff": 0.01,
                        "link_retry_after_cap": 2.0, "link_slow_down": 0.05, "allow_private_addresses": True,
                        "link_wayback_url": ""}
            book = LinkBook(settings, MARKERS, dt.date.today())
            judged = book.check_urls([web[site].url(path) for site, path in cases])
            verdicts = {(site, path.split("?u=")[0]): (judged[web[site].url(path)].result.verdict,
                                                       judged[web[site].url(path)].result.code)
                        for site, path in cases}
            return verdicts, web, book

    runs: list[ShardedCheck] = []
    original = ShardedCheck.run

    def spy(self: ShardedCheck, *args: Any, **kwargs: Any) -> dict[str, LinkResult]:
        runs.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ShardedCheck, "run", spy)
    alone, _, _ = run(1)
    assert not runs  # link_workers = 1: in this process
    sharded, web, book = run(2)
    assert len(runs) == 1 and len(runs[0].shards) == 2
    owners = [hosts for hosts, _ in runs[0].shards]
    assert not owners[0] & owners[1] and len(owners[0] | owners[1]) == 5  # every host in exactly one shard
    main, soft = (web[site].base.split("//")[1] for site in ("main", "soft"))
    assert owners[0] == {main} and soft in owners[1]  # the busiest host alone, the others together
    assert runs[0].deferred == 1  # /to redirects from main to soft: left to the parent
    assert sharded == alone
    assert all(verdict == BEHAVIOURS.get(case, verdict) for case, verdict in sharded.items())
    assert 0 < book.max_open_per_host <= 2 and book.requests > 0  # counted by the workers' checkers
    # Counted by the servers, on pages that answer (a timed-out /slow keeps its server thread busy after the
    # checker gave up, so `main` above may count 3): three hosts, two shards, never more than 2 at once.
    with WebServer() as a, WebServer() as b, WebServer() as c:
        settings = {"link_workers": 2, "link_parallel_min_urls": 10, "link_per_host": 2, "link_timeout": 2.0,
                    "allow_private_addresses": True, "link_wayback_url": ""}
        book = LinkBook(settings, MARKERS, dt.date.today())
        judged = book.check_urls([s.url(f"/slowish?n={n}") for s in (a, b, c) for n in range(8)])
        assert len(judged) == 24 and all(j.result.verdict == "alive" for j in judged.values())
        assert len(runs) == 2 and len(runs[1].shards) == 2
        assert [s.max_open for s in (a, b, c)] == [2, 2, 2]
