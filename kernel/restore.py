"""`<service>.store.restored.v1`: a service's database was restored from a backup (`ops/backup.py`).

The restore command writes it into the restored database as a pending outbox row, in one transaction
with the `restores` row it records, so the service's own relay publishes it when the service starts
again. It tells subscribers (other Astan systems, an operator watching the bus) that what the service
said between `restored_to` and `restored_at` is no longer in its database (docs/backup.md).

Every service has one (the type names its publisher). The six are registered here at import, and
the catalogue (`kernel.snapshots`) reads this module with the services' own.
"""
from __future__ import annotations

from datetime import datetime

from .events import EventData, event_type

# The services of ops/topology.py (a unit test holds the two lists equal; the kernel imports no ops).
SERVICES = ("registry", "reports", "finance", "oversight", "festival", "secretariat")


class StoreRestored(EventData):
    """The service's database was restored from a backup taken at `restored_to`; what the service
    recorded after that instant is no longer in it (see docs/backup.md)."""
    restore_id: str
    restored_to: datetime     # the backup's point in time
    restored_at: datetime     # when the restore was done


def _register(service: str) -> type[StoreRestored]:
    cls = type(f"{service.capitalize()}StoreRestored", (StoreRestored,), {"__doc__": StoreRestored.__doc__,
                                                                          "__module__": __name__})
    return event_type(f"{service}.store.restored.v1", "restore/{restore_id}")(cls)


RESTORED: dict[str, type[StoreRestored]] = {s: _register(s) for s in SERVICES}


def restored_event(service: str, restore_id: str, restored_to: datetime, restored_at: datetime) -> StoreRestored:
    if service not in RESTORED:
        raise KeyError(f"no service {service}")
    return RESTORED[service](restore_id=restore_id, restored_to=restored_to, restored_at=restored_at)
