"""Sliding-window limits counted in a service's store, so that every gateway and every instance of
the service sees the same count (a limit kept in one gateway's memory lets a client behind N gateways
try N times as often): failed sign-ins in the registry, public complaints and lookups in oversight.

One document per (bucket, key) holds the times of the last `limit` hits; the key (a username, an
address) is kept only as a keyed hash. A hit is counted in its own small transaction, so two
instances counting the same key at once both count (the store retries the loser)."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone

from pymongo import ASCENDING

from .errors import TooManyRequests
from .store import Store

COLLECTION = "throttles"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def recent(hits: list[datetime], now: datetime, window: float) -> list[datetime]:
    """The hits inside the window that ends now."""
    since = now - timedelta(seconds=window)
    return [t for t in hits if t > since]


def wait_for(recent_hits: list[datetime], now: datetime, limit: int, window: float) -> float | None:
    """None when one more hit is allowed, else the seconds until the oldest counted hit slides out."""
    if limit <= 0 or len(recent_hits) < limit:
        return None
    return max(1.0, (recent_hits[-limit] + timedelta(seconds=window) - now).total_seconds())


def ensure_indexes(db) -> None:
    # Documents whose window has passed are removed by the store itself.
    db[COLLECTION].create_index([("expires", ASCENDING)], expireAfterSeconds=0)


class Throttle:
    """`limit` hits of a key per `window` seconds in a bucket."""

    def __init__(self, store: Store, bucket: str, limit: int, window: float, secret: bytes = b"khadem-throttle"):
        self.store, self.bucket, self.limit, self.window, self.secret = store, bucket, limit, window, secret

    def _id(self, key: str) -> str:
        digest = hmac.new(self.secret, key.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]
        return f"{self.bucket}:{digest}"

    def _recent(self, doc: dict | None, now: datetime) -> list[datetime]:
        return recent((doc or {}).get("hits", []), now, self.window)

    def wait(self, key: str) -> float | None:
        """Without counting: None when `key` may go on, else the seconds until it may."""
        now = _now()
        return wait_for(self._recent(self.store.db[COLLECTION].find_one({"_id": self._id(key)}), now), now,
                        self.limit, self.window)

    def hit(self, key: str) -> float | None:
        """Count one hit of `key`; None when it was allowed, else the seconds until one would be (and
        it was not counted)."""
        doc_id = self._id(key)

        def work(tx):
            now = _now()
            hits = self._recent(tx.db[COLLECTION].find_one({"_id": doc_id}), now)
            wait = wait_for(hits, now, self.limit, self.window)
            if wait is None:
                hits = (hits + [now])[-max(self.limit, 1):]
                tx.db[COLLECTION].update_one({"_id": doc_id}, {"$set": {
                    "hits": hits, "expires": now + timedelta(seconds=self.window)}}, upsert=True)
            return wait
        wait, _, _ = self.store.transaction(work)
        return wait

    def check(self, key: str, field: str, what: str) -> None:
        """Raise TooManyRequests when `key` is over the limit (without counting)."""
        wait = self.wait(key)
        if wait is not None:
            raise TooManyRequests(f"{what}; try again in {int(wait) + 1} seconds", field, int(wait) + 1)

    def count(self, key: str, field: str, what: str) -> None:
        """Count a hit, or raise TooManyRequests when `key` is over the limit."""
        wait = self.hit(key)
        if wait is not None:
            raise TooManyRequests(f"{what}; try again in {int(wait) + 1} seconds", field, int(wait) + 1)
