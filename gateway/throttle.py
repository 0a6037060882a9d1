"""A sliding-window limit per key (the client's address) for the public routes, kept in the
gateway's memory: each gateway process counts on its own, so behind N processes a client gets at
most N times the limit — still far from a flood, and nothing to share or lose."""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class Throttle:
    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000):
        self.limit, self.window, self.clock, self.max_keys = limit, window_seconds, clock, max_keys
        self.hits: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one request of `key`; None when allowed, else the seconds until it would be."""
        now = self.clock()
        with self.lock:
            q = self.hits.get(key)
            if q is None:
                if len(self.hits) >= self.max_keys:
                    self._prune(now)
                q = self.hits[key] = deque()
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= self.limit:
                return max(1.0, q[0] + self.window - now)
            q.append(now)
            return None

    def blocked(self, key: str) -> float | None:
        """Without counting: None when `key` may go on, else the seconds until it may."""
        now = self.clock()
        with self.lock:
            q = self.hits.get(key)
            while q and q[0] <= now - self.window:
                q.popleft()
            if q is not None and len(q) >= self.limit:
                return max(1.0, q[0] + self.window - now)
            return None

    def _prune(self, now: float) -> None:
        for key in [k for k, q in self.hits.items() if not q or q[-1] <= now - self.window]:
            del self.hits[key]
