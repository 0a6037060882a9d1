"""Managed loops that survive: what runs beside a process's workers (folders, job runners and their
lease keepers, the outbox relay and replays, the housekeeping with its periodic duties, the gateway's
identity listener) goes on whatever the store or the broker throws at it.

A loop is `run(state, step, stopping)`: `step()` is one pass (it waits for its own next turn, as a
poll or a kick); whatever it raises that is an `Exception` — the store's (`PyMongoError`,
`Unavailable` while a dead client's transaction still holds the documents, `OutcomeUnknown`), the
broker's (kombu's and amqp's connection errors, `socket` and `OSError`s), a fault of ours — is
logged, counted in the loop's `LoopState`, and followed by a back-off (doubling from `first` to `most`
seconds, cut short only by `stopping`) before the next pass. `BaseException`s that are not
`Exception`s pass through: they are how a process or a green thread is ended (`GreenletExit` when
nameko kills its container, `KeyboardInterrupt`, `SystemExit`). Before, one `Unavailable` out of a
fold killed the fold's managed thread, nameko killed the container with it and the process exited 1.

Every loop's state is kept here, one per process and (service, loop) name, for
- a service's `ping` (kernel.service: each loop's last error, consecutive failures, last success),
  which the gateway's `/health` reads: a loop **failing persistently** — at least two passes in a row
  failed and the first of them `LOOP_FAILING_SECONDS` (30) ago or more — makes it "degraded";
- the Prometheus metrics (kernel.metrics reads the states at each scrape: `khadem_loop_*`).

A periodic duty of the housekeeping has a state of its own (`duty:<name>`), recorded by the
housekeeping pass that ran it: a duty that fails twice in a row is reported as failing.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

log = logging.getLogger(__name__)

# A step returns it to end its loop (a lease keeper whose job is over or whose lease was lost).
STOP = object()
FAILING_SECONDS = 30.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


@dataclass
class LoopState:
    service: str
    loop: str
    failing_after: float = FAILING_SECONDS
    started_at: datetime = field(default_factory=_now)
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failing_since: datetime | None = None   # the first failure of the current run of failures
    consecutive_failures: int = 0
    failures_total: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def succeeded(self) -> None:
        with self._lock:
            if self.consecutive_failures:
                log.info("%s %s: working again after %d failed passes", self.service, self.loop,
                         self.consecutive_failures)
            self.last_success_at = _now()
            self.consecutive_failures = 0
            self.failing_since = None

    def ended(self) -> None:
        """The work this loop was failing at is over (a lease keeper's job ended): no longer failing."""
        with self._lock:
            self.consecutive_failures = 0
            self.failing_since = None

    def failed(self, exc: BaseException) -> int:
        """Record a failed pass; returns how many have failed in a row."""
        with self._lock:
            now = _now()
            self.last_error, self.last_error_at = describe(exc), now
            self.failures_total += 1
            self.consecutive_failures += 1
            if self.failing_since is None:
                self.failing_since = now
            return self.consecutive_failures

    def failing(self, now: datetime | None = None) -> bool:
        """Failing persistently: two passes or more in a row, the first `failing_after` seconds ago."""
        since = self.failing_since
        return (self.consecutive_failures >= 2 and since is not None
                and ((now or _now()) - since).total_seconds() >= self.failing_after)

    def view(self) -> dict:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t else None
        return {"failing": self.failing(), "consecutive_failures": self.consecutive_failures,
                "failures_total": self.failures_total, "last_error": self.last_error,
                "last_error_at": iso(self.last_error_at), "failing_since": iso(self.failing_since),
                "last_success_at": iso(self.last_success_at), "started_at": iso(self.started_at)}


_states: dict[tuple[str, str], LoopState] = {}
_states_lock = threading.Lock()


def state(service: str, loop: str, failing_after: float | None = None) -> LoopState:
    """The state of `service`'s loop `loop` in this process (made at the first call)."""
    with _states_lock:
        s = _states.get((service, loop))
        if s is None:
            s = _states[(service, loop)] = LoopState(service, loop)
        if failing_after is not None:
            s.failing_after = failing_after
        return s


def states(service: str | None = None) -> list[LoopState]:
    with _states_lock:
        return [s for (svc, _), s in sorted(_states.items()) if service is None or svc == service]


def backoff(failures: int, first: float, most: float) -> float:
    """Seconds to wait after the `failures`-th failed pass in a row: `first`, doubling, at most `most`."""
    return min(most, first * 2 ** max(0, min(failures - 1, 30)))


def run(loop: LoopState, step: Callable[[], object], stopping: threading.Event, *,
        first: float = 0.5, most: float = 30.0) -> None:
    """Call `step()` until `stopping` is set (or a step returns STOP); a pass that raises is recorded
    and followed by a back-off, then the loop goes on."""
    while not stopping.is_set():
        try:
            if step() is STOP:
                loop.succeeded()
                return
        except Exception as exc:
            was_failing = loop.failing()
            n = loop.failed(exc)
            wait = backoff(n, first, most)
            if n == 1:   # the whole story once per run of failures, a line for each of the others
                log.warning("%s %s: a pass failed (%s); again in %.1fs", loop.service, loop.loop, describe(exc),
                            wait, exc_info=True)
            else:
                log.warning("%s %s: failed %d times in a row (%s); again in %.1fs", loop.service, loop.loop, n,
                            describe(exc), wait)
            if loop.failing() and not was_failing:
                log.error("%s %s: failing for %.0fs; reported in health as failing until a pass succeeds",
                          loop.service, loop.loop, (_now() - loop.failing_since).total_seconds())
            stopping.wait(wait)
        else:
            loop.succeeded()

