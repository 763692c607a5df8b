"""Sharing a run's link checks across worker processes, host by host.

Checking links is CPU-bound on a fast network (httpx spends about 2 ms of CPU on a request), so a large run is
split into one shard per worker process (`link_workers`, 0: one per CPU). Every host belongs to exactly one
shard: its per-host limit (`link_per_host`), its 429 pause and AIMD pace, its HEAD/GET habits and its soft-404 probe
live in that one process, so no host ever sees more than `link_per_host` requests at once from the run. The
global limit (`link_concurrency`) is divided among the processes. Hosts are dealt out by their number of URLs,
the largest first, each to the shard with the fewest URLs so far.

A page that leads to a host of another shard (a redirect, or the soft-404 probe of the host it lands on) is not
followed there: the worker leaves it, and the parent checks those pages itself once every worker is done,
starting from what the workers learnt about each host (its 429 pace, whether it refuses HEAD). The workers are
forked (auditor.parallel.fork_pool) and each runs a fresh event loop and fresh httpx clients (nothing of the
parent's is used); the results come back to the parent, which alone decides whether the network is down and
writes history.

Small runs stay in the process: fewer than `link_parallel_min_urls` URLs, or a single host.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urldefrag, urlsplit

from auditor.links.checker import LinkChecker
from auditor.links.net import load_network_modules
from auditor.links.results import LinkResult
from auditor.parallel import fork_pool


def host_key(url: str) -> str:
    """The key the checker keeps a host's state under (`LinkChecker._host`); "" for a URL that does not parse."""
    try:
        return urlsplit(urldefrag(url)[0]).netloc.lower()
    except ValueError:
        return ""


def shard_count(settings: dict[str, Any], urls: list[str]) -> int:
    """How many processes share these URLs: 1 when `link_workers` is 1, below `link_parallel_min_urls` URLs,
    with fewer than two hosts, where fork is missing or in a pool's worker; else `link_workers` (0: one per CPU),
    never more than the hosts."""
    wanted = int(settings.get("link_workers", 0) or 0) or (os.cpu_count() or 1)
    if wanted <= 1 or len(urls) < int(settings.get("link_parallel_min_urls", 200)):
        return 1
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return 1  # no fork here, or already in a pool's worker (which may not start processes of its own)
    hosts = {host_key(u) for u in urls}
    return min(wanted, len(hosts)) if len(hosts) >= 2 else 1


def split_by_host(urls: list[str], shards: int) -> list[tuple[set[str], list[str]]]:
    """(hosts, URLs) per shard: every host in exactly one shard, the shards about equal in URLs."""
    by_host: dict[str, list[str]] = {}
    for url in dict.fromkeys(urls):
        by_host.setdefault(host_key(url), []).append(url)
    parts: list[tuple[set[str], list[str]]] = [(set(), []) for _ in range(shards)]
    for host, members in sorted(by_host.items(), key=lambda item: (-len(item[1]), item[0])):
        hosts, part = min(parts, key=lambda p: len(p[1]))
        hosts.add(host)
        part.extend(members)
    return [p for p in parts if p[1]]


@dataclass
class ShardOutcome:
    results: dict[str, LinkResult]
    deferred: list[str]  # pages that led to a host of another shard: the parent checks them
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)  # what the worker learnt about its hosts
    requests: int = 0
    max_open_per_host: int = 0
    max_open_total: int = 0


# What a worker learnt about a host, for the parent that checks the pages left to it: its pace (auditor.links.pace:
# the AIMD rate and the rate it refused, the pause, the announced budget; monotonic times hold across the fork)
# and its HEAD/GET habits.
_HOST_STATE = ("rate", "ceiling", "confirmed", "step", "climbed_at", "floor", "turn_at", "last_sent", "shown",
               "paused_until", "reacted_at", "budget", "budget_until", "head_refused", "html_after_head")


@dataclass
class _Job:
    checker: Callable[[], LinkChecker]
    shards: list[tuple[set[str], list[str]]]
    previous: dict[str, LinkResult]
    concurrency: int


_JOB: _Job | None = None  # set in the parent just before the fork; the workers inherit it


def _check_shard(index: int) -> ShardOutcome:
    assert _JOB is not None
    owned, urls = _JOB.shards[index]
    checker = _JOB.checker()
    checker.options = replace(checker.options, concurrency=_JOB.concurrency)
    checker.owned = owned
    results = checker.check_sync(urls, {u: _JOB.previous[u] for u in urls if u in _JOB.previous})
    hosts = {key: {name: getattr(host, name) for name in _HOST_STATE} for key, host in checker.hosts.items()
             if key in owned}
    return ShardOutcome(results, checker.deferred, hosts, checker.requests, checker.max_open_per_host,
                        checker.max_open_total)


class ShardedCheck:
    """Checks URLs like `LinkChecker.check_sync`, shared out to `workers` forked processes by host."""

    def __init__(self, make_checker: Callable[[], LinkChecker], workers: int) -> None:
        self.make_checker = make_checker
        self.workers = workers
        self.requests = 0
        self.max_open_per_host = 0
        self.max_open_total = 0
        self.deferred = 0
        self.shards: list[tuple[set[str], list[str]]] = []

    def run(self, urls: list[str], previous: dict[str, LinkResult] | None = None,
            progress: Callable[[int], None] | None = None) -> dict[str, LinkResult]:
        global _JOB
        previous = previous or {}
        self.shards = split_by_host(urls, self.workers)
        template = self.make_checker()
        concurrency = max(1, template.options.concurrency // len(self.shards))
        _JOB = _Job(self.make_checker, self.shards, previous, concurrency)
        results: dict[str, LinkResult] = {}
        deferred: list[str] = []
        learnt: dict[str, dict[str, Any]] = {}
        load_network_modules()  # once here, not once in every worker
        gc.freeze()  # the children's collector leaves the inherited objects alone (and their pages shared)
        try:
            with fork_pool(len(self.shards)) as pool:
                for outcome in pool.imap_unordered(_check_shard, range(len(self.shards))):
                    results.update(outcome.results)
                    deferred.extend(outcome.deferred)
                    learnt.update(outcome.hosts)
                    self.requests += outcome.requests
                    self.max_open_per_host = max(self.max_open_per_host, outcome.max_open_per_host)
                    self.max_open_total += outcome.max_open_total
                    if progress:
                        progress(len(outcome.results))
                pool.close()  # see fork_pool: never leave the block with workers still running
                pool.join()
        finally:
            _JOB = None
            gc.unfreeze()
        self.deferred = len(deferred)
        if deferred:  # every worker is done: this process now owns every host
            checker = template
            for key, state in learnt.items():
                host = checker._host(f"http://{key}/")  # noqa: SLF001 - seeding the host's state
                for name, value in state.items():
                    setattr(host, name, value)
            results.update(checker.check_sync(deferred, previous, progress))
            self.requests += checker.requests
            self.max_open_per_host = max(self.max_open_per_host, checker.max_open_per_host)
        return results
