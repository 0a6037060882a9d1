"""When to restart a process that died, as a supervisor does (no I/O; the clock is given).

- Every death is followed by a restart after a back-off that doubles from `first` up to `most`
  seconds with the deaths of the last `window` seconds (a process that stayed up that long starts
  again from the first back-off).
- A **crash loop** is `limit` deaths *of the process's own making* within `window` seconds (it
  exited, with any code, or was ended by a signal of its own fault: SIGSEGV, SIGABRT …): a restart
  would only repeat it. That process alone is then held for `pause` seconds (300: five minutes)
  before it is tried again — the cause may have gone meanwhile (a store or broker back, a fix
  deployed) — and so on after every further crash loop. Nothing else is stopped: before, a crash
  loop stopped every process, the stores included, and the system stayed down until started by hand.
- A death by a signal sent from outside (SIGKILL, SIGTERM, SIGINT, SIGHUP: an operator, a chaos run,
  the kernel's out-of-memory killer) is restarted with the back-off but never counts toward a crash
  loop: a restart does not repeat it, and a burst of kills must not leave the service down for the
  pause. (A process the out-of-memory killer ends at every start is restarted every `most` seconds,
  as Kubernetes' CrashLoopBackOff would.)
"""
from __future__ import annotations

import signal
from collections import deque
from dataclasses import dataclass, field

# Signals another process sends: the death says nothing about whether a restart would die again.
FROM_OUTSIDE = frozenset({signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP})


def killed_from_outside(returncode: int) -> bool:
    """A Popen return code that means a signal sent from outside ended the process."""
    return returncode < 0 and -returncode in FROM_OUTSIDE


@dataclass(frozen=True)
class Restart:
    delay: float               # seconds before the process is started again
    crash_loop: bool = False   # held for the pause: say so loudly


@dataclass
class RestartPolicy:
    first: float = 1.0
    most: float = 30.0
    limit: int = 5
    window: float = 60.0
    pause: float = 300.0
    deaths: deque = field(default_factory=deque)    # every death within the window (the back-off)
    crashes: deque = field(default_factory=deque)   # deaths of its own making within the window

    def died(self, now: float, killed: bool = False) -> Restart:
        """Record a death at `now` (`killed`: by a signal from outside): when to start it again."""
        for q in (self.deaths, self.crashes):
            while q and q[0] <= now - self.window:
                q.popleft()
        self.deaths.append(now)
        if not killed:
            self.crashes.append(now)
            if len(self.crashes) >= self.limit:
                # Held: after the pause it starts afresh (the deaths before it are out of the window).
                self.crashes.clear()
                self.deaths.clear()
                return Restart(self.pause, crash_loop=True)
        return Restart(min(self.most, self.first * 2 ** (len(self.deaths) - 1)))
