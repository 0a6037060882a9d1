"""The broker's topology, declared before any service starts: every event handler's durable queue,
bound to the exchange it consumes, with its delay queues.

Why first: RabbitMQ discards an event that no queue is bound to, and a service declares its queues
only when it starts. A consumer that starts after its publisher (the registry loads the unit tree
and publishes it as soon as it starts) would otherwise never see what came before. Declaring is
idempotent; the services declare the same queues again when they start.

    python -m ops.topology                 # AMQP_URI, as a user allowed to declare them
"""
from __future__ import annotations

import importlib
import inspect
import sys

from kombu import Connection, Queue

# (name, nameko service classes run in its process, config): what `make run` and compose run.
SERVICES = [
    ("registry", ["services.registry.service:RegistryService", "services.registry.service:RegistryProjections"],
     "services/registry/config.yaml"),
    ("reports", ["services.reports.service:ReportsService", "services.reports.service:ReportsProjections"],
     "services/reports/config.yaml"),
    ("finance", ["services.finance.service:FinanceService", "services.finance.service:FinanceProjections"],
     "services/finance/config.yaml"),
    ("oversight", ["services.oversight.service:OversightService", "services.oversight.service:OversightProjections"],
     "services/oversight/config.yaml"),
    ("festival", ["services.festival.service:FestivalService", "services.festival.service:FestivalProjections"],
     "services/festival/config.yaml"),
    ("secretariat", ["services.secretariat.service:SecretariatService",
                     "services.secretariat.service:SecretariatProjections"], "services/secretariat/config.yaml"),
]


def _load(path: str) -> type:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def queues(settings=None) -> list[Queue]:
    from kernel.messaging import ReliableEventHandler, handler_queues
    from kernel.settings import load_settings
    settings = settings or load_settings()
    out: list[Queue] = []
    for _, classes, _ in SERVICES:
        for path in classes:
            cls = _load(path)
            owner = getattr(cls, "owner", None) or cls.name
            for method, member in inspect.getmembers(cls, inspect.isfunction):
                for ep in getattr(member, "nameko_entrypoints", ()):
                    if isinstance(ep, ReliableEventHandler):
                        main, retries, busy = handler_queues(ep.source_service, ep.event_type, owner, method,
                                                             settings.retry_delays, settings.handler_busy_delay)
                        out += [main, *retries, busy]
    return out


def declare(amqp_uri: str) -> int:
    found = queues()
    with Connection(amqp_uri, connect_timeout=10) as conn:
        channel = conn.channel()
        for q in found:
            q(channel).declare()
    return len(found)


def main() -> int:
    from kernel.settings import load_settings
    print(f"topology: {declare(load_settings().amqp_uri)} queues declared")
    return 0


if __name__ == "__main__":
    sys.exit(main())
