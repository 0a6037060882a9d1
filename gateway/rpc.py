"""A pool of long-lived nameko RPC proxies, created at start-up, each used by one request at a time.

The request id and the calling actor travel as nameko context data (AMQP headers `nameko.*`), so
every service worker, every event it causes and every log line can name them.
"""
from __future__ import annotations

import logging
import queue
import threading
from contextlib import contextmanager
from typing import Iterator

from nameko.exceptions import RpcTimeout
from nameko.standalone.rpc import ClusterRpcProxy

import kernel.messaging  # noqa: F401  (registers the kernel's errors for deserialisation)

log = logging.getLogger(__name__)


class RpcPool:
    def __init__(self, amqp_uri: str, size: int, timeout: float):
        self.config = {"AMQP_URI": amqp_uri}
        self.timeout = timeout
        self.size = size
        self._free: queue.LifoQueue = queue.LifoQueue()
        self._lock = threading.Lock()
        self._all: list[ClusterRpcProxy] = []

    def start(self) -> None:
        for _ in range(self.size):
            self._free.put(self._new())

    def _new(self):
        proxy = ClusterRpcProxy(self.config, timeout=self.timeout)
        cluster = proxy.start()
        with self._lock:
            self._all.append(proxy)
        return proxy, cluster

    def _discard(self, proxy) -> None:
        with self._lock:
            if proxy in self._all:
                self._all.remove(proxy)
        try:
            proxy.stop()
        except Exception:
            log.debug("stopping a broken RPC proxy failed", exc_info=True)

    def stop(self) -> None:
        with self._lock:
            proxies, self._all = list(self._all), []
        for p in proxies:
            try:
                p.stop()
            except Exception:
                pass

    @contextmanager
    def client(self, request_id: str, actor_json: str | None = None) -> Iterator:
        try:
            proxy, cluster = self._free.get(timeout=self.timeout)
        except queue.Empty:
            raise RpcTimeout("no RPC connection free") from None
        data = proxy._worker_ctx.data
        data.clear()
        data["request_id"] = request_id
        if actor_json:
            data["actor"] = actor_json
        healthy = True
        try:
            yield cluster
        except (RpcTimeout, OSError, ConnectionError):
            healthy = False  # a late reply or a broken connection must not reach the next request
            raise
        finally:
            data.clear()
            if healthy:
                self._free.put((proxy, cluster))
            else:
                self._discard(proxy)
                try:
                    self._free.put(self._new())
                except Exception:
                    log.exception("could not replace an RPC proxy; the pool shrinks by one")
