"""A service process's Prometheus metrics, served on METRICS_PORT (`GET /metrics`; 0: not served):

- `khadem_rpc_seconds{service,method,outcome}` — every RPC: count and latency; outcome `ok`,
  `refused` (a domain error: the caller's fault or a rule) or `failed` (a fault of ours);
- `khadem_handler_seconds{service,handler,outcome}` — every event handler run (a batching handler's
  batch counts once): `ok` or `failed` (then retried, deferred or parked);
- `khadem_messages_parked_total{service,handler}` — messages parked after their last attempt;
- `khadem_periodic_runs_total{service,duty,outcome}` — periodic duties this instance ran (every
  instance counts its own; across instances a duty runs once per period);
- gauges the housekeeping loop reads from the store every HEARTBEAT_SECONDS:
  `khadem_outbox_pending`, `khadem_outbox_oldest_pending_seconds` (how long the oldest unsent event
  has waited: a relay that cannot publish shows here first), `khadem_parked_messages`,
  `khadem_inbox_rows`;
- every managed loop's state (kernel.loops), read at each scrape (`LoopCollector`):
  `khadem_loop_failures_total{service,loop}` (passes that raised), `khadem_loop_consecutive_failures`,
  `khadem_loop_failing` (1 while failing persistently: what `/health` calls degraded) and
  `khadem_loop_last_success_timestamp_seconds` (0: never yet). The gateway serves the same for its own
  loops (its identity listener) on its `/metrics`.

One registry per process (a service's RPC container and its handlers' container share it); the
instruments are made at import, the HTTP server only when a service starts.
"""
from __future__ import annotations

import logging
import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from . import loops

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

RPC = Histogram("khadem_rpc_seconds", "RPCs served: count and latency", ["service", "method", "outcome"],
                buckets=BUCKETS, registry=REGISTRY)
HANDLER = Histogram("khadem_handler_seconds", "Event handler runs: count and latency",
                    ["service", "handler", "outcome"], buckets=BUCKETS, registry=REGISTRY)
PARKED_TOTAL = Counter("khadem_messages_parked", "Messages parked after their last attempt",
                       ["service", "handler"], registry=REGISTRY)
PERIODIC = Counter("khadem_periodic_runs", "Periodic duties run by this instance", ["service", "duty", "outcome"],
                   registry=REGISTRY)
PERIODIC_SECONDS = Histogram("khadem_periodic_seconds", "Periodic duties' run time", ["service", "duty"],
                             buckets=BUCKETS, registry=REGISTRY)
OUTBOX_PENDING = Gauge("khadem_outbox_pending", "Events committed and not yet published", ["service"],
                       registry=REGISTRY)
OUTBOX_AGE = Gauge("khadem_outbox_oldest_pending_seconds", "Age of the oldest unpublished event", ["service"],
                   registry=REGISTRY)
PARKED = Gauge("khadem_parked_messages", "Messages parked, waiting for an operator", ["service"], registry=REGISTRY)
INBOX = Gauge("khadem_inbox_rows", "Event ids remembered as applied", ["service"], registry=REGISTRY)



class LoopCollector(Collector):
    """The managed loops' states of this process (of `services`, when given), as they are now."""

    def __init__(self, services: tuple[str, ...] | None = None):
        self.services = services

    def collect(self):
        labels = ["service", "loop"]
        failures = CounterMetricFamily("khadem_loop_failures", "Passes of a managed loop that raised", labels=labels)
        row = GaugeMetricFamily("khadem_loop_consecutive_failures", "Passes of a managed loop failed in a row",
                                labels=labels)
        failing = GaugeMetricFamily("khadem_loop_failing", "1 while a managed loop fails persistently",
                                    labels=labels)
        success = GaugeMetricFamily("khadem_loop_last_success_timestamp_seconds",
                                    "When a managed loop's last pass succeeded (0: never)", labels=labels)
        for s in loops.states():
            if self.services is not None and s.service not in self.services:
                continue
            key = [s.service, s.loop]
            failures.add_metric(key, s.failures_total)
            row.add_metric(key, s.consecutive_failures)
            failing.add_metric(key, 1 if s.failing() else 0)
            success.add_metric(key, s.last_success_at.timestamp() if s.last_success_at else 0)
        return [failures, row, failing, success]


REGISTRY.register(LoopCollector())

_served: int | None = None
_lock = threading.Lock()


def serve(port: int) -> None:
    """Serve /metrics on `port`, once per process."""
    global _served
    with _lock:
        if _served is not None or not port:
            return
        start_http_server(port, registry=REGISTRY)
        _served = port
        log.info("metrics on :%d/metrics", port)


def entrypoint_done(service: str, kind: str, name: str, seconds: float, outcome: str) -> None:
    (RPC if kind == "rpc" else HANDLER).labels(service, name, outcome).observe(seconds)


def periodic_run(service: str, duty: str, seconds: float, failed: bool) -> None:
    PERIODIC.labels(service, duty, "failed" if failed else "ok").inc()
    PERIODIC_SECONDS.labels(service, duty).observe(seconds)


def parked(service: str, handler: str) -> None:
    PARKED_TOTAL.labels(service, handler).inc()


def store_gauges(service: str, pending: int, oldest_age: float, parked_now: int, inbox: int) -> None:
    OUTBOX_PENDING.labels(service).set(pending)
    OUTBOX_AGE.labels(service).set(oldest_age)
    PARKED.labels(service).set(parked_now)
    INBOX.labels(service).set(inbox)
