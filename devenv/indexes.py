"""Every service's collections and indexes, built one after another before any service starts
(`make run` does it): on the local store, creating a collection while other clients commit
transactions can deadlock the whole server (SecantusDB: a commit that prunes holds the transactions'
lock and waits for a transaction that waits for the catalog a `createIndexes` is writing), which a
CI run met when a service started beside five running ones. With everything created first, a
service's own index building at start finds it all in place and writes nothing.

    python -m devenv.indexes          # MONGO_URI, MONGO_DB_PREFIX
"""
from __future__ import annotations

import importlib
import sys
import time

from kernel.settings import load_settings
from kernel.store import Store
from ops import topology


def build(settings=None) -> list[str]:
    settings = settings or load_settings()
    done = []
    for name, _, _ in topology.SERVICES:
        store = Store.connect(settings.mongo_uri, settings.database_name(name))
        store.ensure_kernel_indexes()
        importlib.import_module(f"services.{name}.repository").ensure_indexes(store.db)
        done.append(name)
    return done


def main() -> int:
    started = time.monotonic()
    names = build()
    print(f"indexes: {', '.join(names)} ready in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
