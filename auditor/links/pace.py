"""How fast the link checker sends requests to one host: paused on a Retry-After, paced like a congestion controller
(AIMD) after a 429, and held within the budget a host announces in its rate-limit headers.

- A 429 (or a 503 with Retry-After) holds every request to the host until the Retry-After is over. The host then
  gets half the rate it accepted (multiplicative decrease: what it was sent in the second up to the refused request,
  or over the Retry-After's span when that is longer, one request under), and the rate climbs back steadily
  (additive increase) to that rate within a quarter of such a window, then on above it.
- A host that refused once recovers: the rate climbs on to about twice the one it refused, and once the host has
  answered half as much again as that within one second of the wall clock (sent at its new pace), it is no longer
  paced (only `link_per_host` holds it). A host refused again above the rate it refused, at about the rate it took
  then, has shown its limit: it climbs back to that and stays there, so it gets no further 429.
- What the requests sent after the refused one, before its 429 came back, got tells what the 429 was about (a host
  over its limit refuses everything until its window moves on). Once each is back: all answered, the 429 was that
  page's own (a page that asks for a pause once): the pace is put back as it was and the host's pause is lifted, and
  only the refused page waits for its Retry-After (the checker asks it again then). All refused (a burst of 429s),
  the host has shown its limit at once: it climbs back to the rate it took and stays there, unprobed. Some of each,
  the rate as far as anyone can tell: the host stays paused and paced. No such request (or none answered at all), no
  evidence: the host stays paused.
- Not every 429 is about the rate either. One at a rate well under what the host has answered within a second during
  the run is no limit (a refusal at random, a page of its own sent alone): the host is paused all the same, but a
  pace learnt from an earlier 429 that this one contradicts is dropped (one held under a limit it has shown is
  halved), unless another request on its way with it is refused too. Unless the host counts in fixed windows of the
  clock: it answers up to twice its limit within a second that straddles two of them, and never more than its limit
  within one, so a host that has never answered more within a second of the wall clock than it took in the 429's is
  paced at that.
- A 429 to a request sent before the host's last reaction to a 429 belongs to that burst and is not reacted to again
  (as TCP counts one loss per window); one to a request sent after it is news. When the earliest-sent refusal of a
  burst comes back late, the rate the host took is measured up to it.
- Requests are evenly spaced, never more than the rate in any second (a late wake-up cannot bunch them), and never
  closer than `link_slow_down` seconds once the host has answered 429.
- `RateLimit-Remaining`/`RateLimit-Reset` (IETF draft and GitLab), the draft's `RateLimit: r=..;t=..`, and
  `X-RateLimit-Remaining`/`X-RateLimit-Reset` (GitHub) say how many requests are left until when: a host whose
  budget is spent is held until its window resets, so it is not pushed into a 429 at all.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import email.utils
import math
import re
import time
from collections import deque
from dataclasses import dataclass

DECREASE = 0.5  # the pace after a 429: this share of the rate the host accepted
_EPOCH = 1e9  # a reset header above this is a Unix time (GitHub, GitLab), below it a number of seconds (IETF)
_COMBINED = re.compile(r"\b(?:r|remaining)\s*=\s*(\d+).*?\b(?:t|reset)\s*=\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def retry_after(headers: dict[str, str], now: dt.datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (a number or an HTTP date), or None."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def rate_budget(headers: dict[str, str], now: float | None = None) -> tuple[int, float] | None:
    """(requests left, seconds until the host's window resets) from its rate-limit headers, or None.
    `now` is the Unix time that reset times given as Unix times are measured from."""
    found: list[tuple[int, float]] = []
    for prefix in ("ratelimit-", "x-ratelimit-", "x-rate-limit-"):
        remaining, reset = headers.get(prefix + "remaining"), headers.get(prefix + "reset")
        if remaining and reset:
            try:
                found.append((int(float(remaining)), float(reset)))
            except ValueError:
                continue
    # The draft's one header: `"default";r=50;t=30` (a list, one item per policy) or `limit=100, remaining=50,
    # reset=5` in its earlier form.
    for item in re.split(r",\s*(?=\"|[a-z-]+\s*;)", headers.get("ratelimit", "")):
        match = _COMBINED.search(item)
        if match:
            found.append((int(match.group(1)), float(match.group(2))))
    if not found:
        return None
    remaining, reset = min(found)
    if reset > _EPOCH:
        reset -= now if now is not None else time.time()
    return max(remaining, 0), max(reset, 0.0)


# What a refusal changes, and what is put back when it turns out to be a page's own.
_PACE = ("rate", "ceiling", "confirmed", "step", "climbed_at", "turn_at", "best")


@dataclass
class _Refusal:
    """A 429 and the pace before it, kept until a request sent between the refused one and the 429's arrival is
    answered (the 429 was that page's own) or refused too (it was the rate)."""

    sent_at: float  # when the refused request went
    at: float  # when its 429 came
    retry_after: float | None
    telling: bool  # taken as the host's rate
    before: dict[str, float | bool]
    paused_before: float  # the host's pause before this 429: what is left of it when the 429 was the page's own
    witnesses: list[float]  # when the requests went that were sent after the refused one and not back yet
    answered: int  # how many requests sent after the refused one the host answered
    refused: int = 0  # and how many it refused


def _wake(waiting: asyncio.Future[None]) -> None:
    if not waiting.done():
        waiting.set_result(None)


def _clock_second(at: float) -> float:
    """When the whole second of the wall clock that the monotonic time `at` falls in began, in monotonic time."""
    to_wall = time.time() - time.monotonic()
    return math.floor(at + to_wall) - to_wall


def _under(accepted: float) -> float:
    """One request under what a host took (4% under a fast host's rate); half of it for a host that took one."""
    return max(accepted - max(1.0, 0.04 * accepted), 0.5 * accepted)


class HostPace:
    """One host's pace; `LinkChecker` keeps one per host (and auditor.links.shards hands it to the parent)."""

    def __init__(self) -> None:
        self.pace_lock = asyncio.Lock()
        self.rate = 0.0  # requests a second the host is paced at (0: not paced)
        self.ceiling = 0.0  # the rate it accepted when it last refused (0: it never refused)
        self.confirmed = False  # refused again above that rate: the ceiling is its limit, not probed past
        self.step = 0.0  # how much the rate climbs each second without a 429
        self.climbed_at = 0.0
        self.floor = 0.0  # the least spacing of its requests once it has answered 429 (`link_slow_down`)
        self.turn_at = -1e9  # when the last request was due
        self.last_sent = 0.0  # when it went
        self.paused_until = 0.0  # a Retry-After holds every request to the host until then
        self.reacted_at = -1e9  # when the host's last 429 changed its pace
        self.budget: float | None = None  # requests its rate-limit headers leave until `budget_until`
        self.budget_until = 0.0
        self.sent: deque[float] = deque()  # when the requests of the last minute were sent
        self.taken: list[float] = []  # when the requests it answered (not 429) of the last two seconds were sent
        self.best = 0  # the most requests it answered that were sent within one second of the clock, since its last 429
        self.shown = 0  # the most it answered sent within any one second of the run: a 429 well under it is no limit
        self.shown_in_clock_second = 0  # the most it answered that were sent within one second of the wall clock
        self.pending: _Refusal | None = None  # the last 429, until a request sent meanwhile tells what it was
        self.flying: list[float] = []  # when the requests on their way went (sorted)
        self.waking: asyncio.Future[None] | None = None  # a request waiting for its turn: woken when a pause lifts

    @property
    def interval(self) -> float:
        """Seconds between two requests to the host (0: not paced)."""
        return max(1.0 / self.rate if self.rate else 0.0, self.floor)

    def _climb(self, now: float) -> None:
        """Additive increase: the rate grows by `step` for every second since it last did (a pause not counted)."""
        start = max(self.climbed_at, self.paused_until)
        if self.rate <= 0 or now <= start:
            return
        self.rate += self.step * (now - start)
        self.climbed_at = now
        if self.confirmed:
            self.rate = min(self.rate, self.ceiling)
        elif self.best > self.ceiling + max(1.0, 0.5 * self.ceiling):
            self.rate = 0.0  # it has answered half as much again as the rate it refused, in a second: recovered
        else:  # up to about twice that rate, until it answers that much (a pause leaves its window empty)
            self.rate = min(self.rate, 2 * self.ceiling + 2)

    def _due(self, now: float) -> float:
        self._climb(now)
        # A turn is due an interval after the last one was due: a wake-up made late by a busy event loop does not
        # slow the host further (and after a quiet spell there is no burst to catch up: never before the last went).
        due = max(self.turn_at + self.interval, self.last_sent, self.paused_until)
        if self.budget is not None and self.budget < 1 and self.budget_until > now:
            due = max(due, self.budget_until)  # spent: wait for the host's window to reset
        most = int(self.rate)
        if most >= 1 and len(self.sent) >= most:  # never more than the rate in any second
            due = max(due, self.sent[-most] + 1.0)
        return due

    async def pace(self) -> float:
        """Wait for the host's turn; returns when the request goes."""
        now = time.monotonic()
        if self.rate > 0 or self.floor > 0 or self.paused_until > now or self.budget is not None:
            async with self.pace_lock:
                now = time.monotonic()  # after waiting for the lock
                while (due := self._due(now)) > now:
                    # the rate climbs while the request waits: a long interval is looked at again as it does
                    await self._nap(min(due - now, 0.25) if self.rate > 0 else due - now)
                    now = time.monotonic()
                if self.budget is not None:
                    self.budget = None if now >= self.budget_until else self.budget - 1
                self.turn_at, self.last_sent = due, now
        self.went(now)
        return now

    def went(self, at: float) -> None:
        """A request to the host went at `at` (`pace` says so for each): it is on its way until answered, refused
        or `lost`."""
        self.sent.append(at)
        while self.sent[0] < at - 60.0:  # as long as a Retry-After may say the host's window lasts
            self.sent.popleft()
        bisect.insort(self.flying, at)

    async def _nap(self, seconds: float) -> None:
        """Sleep `seconds`, or less when the host's pause is lifted meanwhile."""
        loop = asyncio.get_running_loop()
        self.waking = waking = loop.create_future()
        timer = loop.call_later(seconds, _wake, waking)
        try:
            await waking
        finally:
            timer.cancel()
            self.waking = None

    def _landed(self, sent_at: float) -> bool:
        """The request sent at `sent_at` is back; whether it was a witness of the pending 429."""
        here = bisect.bisect_left(self.flying, sent_at)
        if here < len(self.flying) and self.flying[here] == sent_at:
            del self.flying[here]
        pending = self.pending
        if pending is not None and sent_at in pending.witnesses:
            pending.witnesses.remove(sent_at)
            return True
        return False

    def lost(self, sent_at: float) -> None:
        """The request sent at `sent_at` got no answer (a timeout, a dropped connection): no evidence either way."""
        if self._landed(sent_at):
            self._settle()

    def answered(self, sent_at: float) -> None:
        """A request sent at `sent_at` was answered (not refused): how much the host has shown it takes."""
        bisect.insort(self.taken, sent_at)
        del self.taken[:bisect.bisect_left(self.taken, self.taken[-1] - 2.0)]
        # Counted in whole seconds of the wall clock: a host counting in fixed windows of the clock answers up to
        # twice its limit within a second that straddles two of them.
        start = _clock_second(sent_at)
        end = bisect.bisect_left(self.taken, start + 1.0)
        self.shown_in_clock_second = max(self.shown_in_clock_second, end - bisect.bisect_left(self.taken, start))
        here = bisect.bisect_left(self.taken, sent_at)
        before = here - bisect.bisect_left(self.taken, sent_at - 1.0) + 1
        after = bisect.bisect_right(self.taken, sent_at + 1.0) - here
        self.shown = max(self.shown, before, after)
        if sent_at >= self.reacted_at:
            # Only what was sent at the pace set by the last 429 says the host recovered: the requests on their way
            # when it came (a fixed window that moved on meanwhile answers them all) were sent at another pace.
            self.best = max(self.best, end - bisect.bisect_left(self.taken, max(start, self.reacted_at)))
        if self._landed(sent_at):
            self.pending.answered += 1  # type: ignore[union-attr] - a witness lands only while a 429 is pending
            self._settle()

    def _settle(self) -> None:
        """What the requests sent after the refused one, before its 429 came back, say once every one is back.
        - The host answered them all: a host over its limit would have refused them too. The 429 was that page's
          own (a page that asks for a pause once): the host's pace is what it was (or none, when the 429 had
          already been found to contradict the pace it had), and its pause is lifted; the refused page alone
          waits for its Retry-After.
        - It refused them all: the host's limit, shown at once. It is held at the rate it took, not probed above.
        - Some of each: the rate, as far as anyone can tell (see `rate_limited`); none back answered or refused
          (no such request, or lost): no evidence, the pause stands."""
        pending = self.pending
        if pending is None or pending.witnesses or not (pending.answered or pending.refused):
            return
        if pending.refused:  # kept: a late 429 of the same burst may still show the limit came sooner
            self.confirmed = self.confirmed or not pending.answered
            return
        self.pending = None
        if pending.telling or pending.before["confirmed"]:
            self._restore(pending.before)
        self.paused_until = min(self.paused_until, pending.paused_before)
        if self.waking is not None:
            _wake(self.waking)

    def rate_limited(self, retry_after: float | None, floor: float, sent_at: float | None = None) -> None:
        """The host answered 429: hold it for `retry_after`, then pace it at half the rate it refused."""
        now = time.monotonic()
        witness = False
        if sent_at is not None:
            witness = self._landed(sent_at)
            same_burst = sent_at <= self.reacted_at  # on its way before the host's last 429 came back
        else:
            same_burst = now < max(self.paused_until, self.reacted_at + 1.0)
        if same_burst:  # another answer of the same burst: dealt with
            pending = self.pending
            if pending is not None and sent_at is not None and sent_at < pending.sent_at:
                # One sent before the refused one was refused too, its 429 late: the host's limit was reached
                # there, so that is where the rate it took is measured, and the other refusal is one sent after it.
                pending.sent_at, pending.telling = sent_at, False
                pending.witnesses = self.flying[bisect.bisect_right(self.flying, sent_at):]
                pending.answered = len(self.taken) - bisect.bisect_right(self.taken, sent_at)
                witness = True
            if pending is not None and witness:
                # A request sent after the refused one was refused too: a host over its limit refuses everything
                # until its window moves on. It is the rate after all, whatever the host took before, and the host
                # stays paused.
                pending.refused += 1
                if not pending.telling:
                    self._restore(pending.before)
                    self._slow_down(pending.at, pending.sent_at, pending.retry_after, True, pending.answered)
                    pending.telling = True
                self._settle()
            return
        before = {name: getattr(self, name) for name in _PACE}
        paused_before = self.paused_until
        self.reacted_at = now
        self.floor = floor
        if retry_after is not None:
            self.paused_until = now + retry_after
        # The requests sent after the refused one: those the host has answered already (the order its answers come
        # back in says nothing), and those still on their way, which the 429 waits for.
        answered = 0 if sent_at is None else len(self.taken) - bisect.bisect_right(self.taken, sent_at)
        telling = self._slow_down(now, sent_at if sent_at is not None else now, retry_after, False, answered)
        self.pending = None
        if sent_at is not None:
            witnesses = self.flying[bisect.bisect_right(self.flying, sent_at):]
            self.pending = _Refusal(sent_at, now, retry_after, telling, before, paused_before, witnesses, answered)
            self._settle()

    def _restore(self, before: dict[str, float | bool]) -> None:
        for name, value in before.items():
            setattr(self, name, value)

    def _slow_down(self, now: float, at: float, retry_after: float | None, burst: bool, answered_after: int) -> bool:
        """The pace after a 429 for the request sent at `at`; whether the 429 told the host's rate. `answered_after`
        requests sent after it were answered: the host took them too (sent a moment later, they reached it sooner)."""
        # What the host took in its window up to the refused request: the second before it, or the Retry-After's
        # span for a host that counts over a longer window (60 a minute: 40 in two seconds, then "come back in 58
        # seconds"). Counted up to the refused request, not the 429's arrival: the requests sent meanwhile would
        # pace the host above its limit, but for those it answered (they reached it before the refused one).
        window = min(max(1.0, retry_after or 0.0), 60.0)
        accepted = max(self._sent_within(at, window) + answered_after, 1)
        # Refused at a rate well under one it has taken within a second during the run: not a limit of so many a
        # second (a page that asks for a pause, a refusal at random), unless it came in a burst. Counted over the run,
        # not since the last 429: a pause empties the window before the next refusal, so that count would always
        # tell, and every such page would slow the host further.
        telling = burst or window > 1.0 or self.shown <= 1.25 * accepted + 1
        if not telling:
            # Unless the host counts in fixed windows of the clock: it takes up to twice its limit within a second
            # that straddles two of them, but never more than its limit within one. Refused at what it took in this
            # second of the clock, having never answered more in any, it has shown its limit.
            in_clock_second = self._took_in_clock_second(at)
            if self.shown_in_clock_second <= in_clock_second + 1:
                accepted, telling = max(in_clock_second, 1), True
        took = _under(accepted) / window
        self._climb(now)
        self.climbed_at, self.turn_at = now, -1e9  # the first request after the pause goes when it ends
        if not telling:
            if self.confirmed:  # held under a limit it has shown: the pace it had halves, the limit stays
                self.rate = DECREASE * self.rate
            else:  # the rate it was paced at came from a 429 that this one contradicts: pausing is all it asks
                self.rate = 0.0
            return False
        if self.rate <= 0:  # refused at full speed: what it took is the rate to get back to
            refused_at, self.confirmed = took, False
            self.ceiling = took
        elif self.rate > self.ceiling and not self.confirmed:  # refused again above it
            refused_at = min(self.rate, took)
            # at about the rate it took before: that is its limit; well above it: a better measure of the rate
            self.confirmed = took <= 1.25 * self.ceiling + 1
            self.ceiling = took
        else:  # refused at or under the rate it had taken: the limit is lower
            refused_at = min(self.rate, took)
            self.ceiling = min(self.ceiling, took)
        self.best = 0
        self.rate = DECREASE * refused_at
        self.step = 2 * self.ceiling / window  # back to the ceiling within a quarter window, twice it in 3/4
        return True

    def _took_in_clock_second(self, at: float) -> int:
        """What the host took in the whole second of the wall clock that the request refused at `at` went in: the
        requests sent before it, and those sent after it that were answered (they reached the host first)."""
        start = _clock_second(at)
        before = self._sent_within(at, at - start)
        return before + bisect.bisect_left(self.taken, start + 1.0) - bisect.bisect_right(self.taken, at)

    def _sent_within(self, at: float, span: float) -> int:
        """How many requests went in the `span` seconds before the one sent at `at` (not counting it)."""
        return sum(1 for t in self.sent if at - span <= t <= at) - 1

    def announced(self, remaining: int, reset_in: float, in_flight: int, longest: float) -> None:
        """The host's rate-limit headers say `remaining` requests are left for `reset_in` seconds; the requests
        still in flight will take their share. A reset further off than `longest` is not waited for."""
        if reset_in > longest:
            return
        now = time.monotonic()
        until, left = now + reset_in, float(remaining - in_flight)
        if self.budget is None or now >= self.budget_until or until > self.budget_until + 0.5:  # a new window
            self.budget, self.budget_until = left, until
        else:  # answers of one window arrive out of order: the smaller count is the safe one
            self.budget, self.budget_until = min(self.budget, left), max(self.budget_until, until)
