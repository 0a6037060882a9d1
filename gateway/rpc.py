"""A pool of long-lived nameko RPC proxies, each used by one request at a time, that survives its broker.

- A proxy that fails in any way other than a service's own answer (a timeout, a dropped connection,
  the `RuntimeError` of a disconnected nameko proxy, …) is discarded; a background thread refills
  the pool, backing off while the broker is away, so the pool never shrinks for good.
- Requests carry who is calling (user and person id), the request id, the deadline and the
  idempotency key in a token signed with the gateway's own key for that one service and method
  (`kernel.caller`, AMQP header `nameko.caller`) — a service believes nothing else; the message
  itself expires in the broker at the deadline, and a service drops one it picks up later.
- What the caller is told: `NotSent` (503, nothing reached a service: no connection, or no instance
  of the service is running) or `OutcomeUnknown` (504: the request may have been carried out;
  retry with the same Idempotency-Key). A service's own answer (a domain error, or a RemoteError
  for a fault of ours) passes through.
"""
from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from nameko.exceptions import (IncorrectSignature, MalformedRequest, MethodNotFound, RemoteError, RpcTimeout,
                               UnknownService)
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterProxy, ClusterRpcProxy, StandaloneProxyBase

import kernel.messaging  # noqa: F401  (registers the kernel's errors for deserialisation)
from kernel.caller import Signer
from kernel.errors import DomainError, OutcomeUnknown, Unavailable

log = logging.getLogger(__name__)

# A service's own answer: the request arrived and was refused as it stands; the proxy is fine.
ANSWERS = (DomainError, RemoteError, MethodNotFound, IncorrectSignature, MalformedRequest)


class NotSent(Unavailable):
    """Nothing reached a service (503): safe to retry as it is."""


class _Cluster(ClusterProxy):
    def __init__(self, worker_ctx, reply_listener, **options):
        super().__init__(worker_ctx, reply_listener)
        self._options = options

    def __getattr__(self, name):
        if name not in self._proxies:
            self._proxies[name] = ServiceProxy(self._worker_ctx, name, self._reply_listener, **self._options)
        return self._proxies[name]


class Proxy(ClusterRpcProxy):
    """nameko's standalone cluster proxy whose requests expire in the broker after `timeout`."""

    def __init__(self, config: dict, timeout: float):
        StandaloneProxyBase.__init__(self, config, timeout=timeout)
        self._proxy = _Cluster(self._worker_ctx, self._reply_listener, expiration=timeout)


def _refused(exc: BaseException) -> bool:
    """The connection could not be made at all (so nothing was sent)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (ConnectionRefusedError, socket.gaierror)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class RpcPool:
    def __init__(self, amqp_uri: str, size: int, timeout: float, on_call=None, signer: Signer | None = None):
        self.on_call = on_call   # on_call(service, method): counts what is sent (the gateway's metrics)
        if signer is None:
            from kernel.settings import load_settings
            signer = Signer.from_settings(load_settings())
        self.signer = signer
        self.config = {"AMQP_URI": amqp_uri}
        self.timeout = timeout
        self.size = size
        self._free: queue.LifoQueue = queue.LifoQueue()
        self._lock = threading.Lock()
        self._all: list[Proxy] = []
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._refill: threading.Thread | None = None
        self.last_error: str | None = None

    # -- life cycle

    def start(self, wait: float = 10.0) -> None:
        self._refill = threading.Thread(target=self._refill_loop, name="rpc-pool-refill", daemon=True)
        self._refill.start()
        deadline = time.monotonic() + wait
        while self.live < self.size and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        self._stopping.set()
        self._wanted.set()
        with self._lock:
            proxies, self._all = list(self._all), []
        for p in proxies:
            try:
                p.stop()
            except Exception:
                pass

    @property
    def live(self) -> int:
        with self._lock:
            return len(self._all)

    def _refill_loop(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            if self.live >= self.size:
                self._wanted.wait(5.0)
                self._wanted.clear()
                continue
            try:
                proxy = Proxy(self.config, timeout=self.timeout)
                cluster = proxy.start()
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("cannot open an RPC connection (%s); again in %.1fs", self.last_error, backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            backoff = 0.2
            self.last_error = None
            with self._lock:
                self._all.append(proxy)
            self._free.put((proxy, cluster))

    def _discard(self, proxy) -> None:
        with self._lock:
            if proxy in self._all:
                self._all.remove(proxy)
        try:
            proxy.stop()
        except Exception:
            log.debug("stopping a broken RPC proxy failed", exc_info=True)
        self._wanted.set()

    # -- use

    def _checkout(self):
        waited = 0.0
        while True:
            wait = 0.05 if self.live == 0 else self.timeout
            try:
                return self._free.get(timeout=wait)
            except queue.Empty:
                waited += wait
                if self.live > 0 and waited >= self.timeout:
                    raise NotSent("every connection to the services is busy; try again") from None
                if self.live == 0 and waited >= 2.0:
                    raise NotSent("the message bus is not reachable; nothing was sent, try again shortly") from None

    @contextmanager
    def client(self, context: dict) -> Iterator:
        """A started cluster proxy whose requests carry `context` (the signed token); see `call`."""
        proxy, cluster = self._checkout()
        data = proxy._worker_ctx.data
        data.clear()
        data.update({k: v for k, v in context.items() if v is not None})
        healthy = True
        try:
            yield cluster
        except ANSWERS as exc:
            healthy = not getattr(exc, "proxy_broken", False)
            raise
        except BaseException:
            healthy = False  # a late reply or a broken connection must not reach the next request
            raise
        finally:
            data.clear()
            if healthy:
                self._free.put((proxy, cluster))
            else:
                self._discard(proxy)

    def call(self, context: dict, service: str, method: str, *args):
        """One RPC; the errors say whether anything may have been done (see the module's doc)."""
        if self.on_call is not None:
            self.on_call(service, method)
        with self.client(self.signer.sign(service, method, context)) as cluster:
            target = getattr(cluster[service], method)
            try:
                reply = target.call_async(*args)
            except UnknownService:
                raise NotSent(f"the {service} service is not running; nothing was sent") from None
            except Exception as exc:
                if _refused(exc):
                    raise _broken(NotSent("the message bus is not reachable; nothing was sent")) from exc
                raise _broken(OutcomeUnknown("the request may or may not have reached the service; retry "
                                             "with the same Idempotency-Key")) from exc
            try:
                return reply.result()
            except ANSWERS:
                raise
            except RpcTimeout:
                raise _broken(OutcomeUnknown(
                    f"the {service} service did not answer in {self.timeout:.0f}s; the request may still be "
                    "carried out: retry with the same Idempotency-Key")) from None
            except Exception as exc:
                raise _broken(OutcomeUnknown("the connection to the services was lost while waiting for the "
                                             "answer; retry with the same Idempotency-Key")) from exc


def _broken(exc: DomainError) -> DomainError:
    """Marks an error after which the proxy that raised it must not be used again."""
    exc.proxy_broken = True
    return exc
