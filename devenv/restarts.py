"""When to restart a process that died, as a supervisor does (no I/O; the clock is given): after a
back-off that doubles from `first` up to `most` seconds, and never again once it has died `limit`
times within `window` seconds — a crash loop, which a restart would only repeat. A process that has
stayed up for `window` seconds starts again from the first back-off."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class RestartPolicy:
    first: float = 1.0
    most: float = 30.0
    limit: int = 5
    window: float = 60.0
    deaths: deque = field(default_factory=deque)

    def died(self, now: float) -> float | None:
        """Record a death at `now`: the seconds to wait before the restart, or None for a crash loop."""
        while self.deaths and self.deaths[0] <= now - self.window:
            self.deaths.popleft()
        self.deaths.append(now)
        if len(self.deaths) >= self.limit:
            return None
        return min(self.most, self.first * 2 ** (len(self.deaths) - 1))
