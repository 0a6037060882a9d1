"""Every service's collections and indexes, built before any service starts (`make run` does it): on
the local store, creating a collection while other clients commit transactions can deadlock the whole
server (SecantusDB: a commit that prunes holds the transactions' lock and waits for a transaction
that waits for the catalog a `createIndexes` is writing), which a CI run met when a service started
beside five running ones. With everything created first, a service's own index building at start
finds it all in place and writes nothing. Each service's store is built by a thread of its own (they
are separate servers).

    python -m devenv.indexes --topology var/topology.json   # each service's own store (make run)
    python -m devenv.indexes                                # MONGO_URI, MONGO_DB_PREFIX: one store
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import threading
import time

from kernel.settings import load_settings
from kernel.store import Store
from ops import topology


def build_one(name: str, uri: str, database: str) -> None:
    store = Store.connect(uri, database)
    try:
        store.ensure_kernel_indexes()
        importlib.import_module(f"services.{name}.repository").ensure_indexes(store.db)
    finally:
        store.client.close()


def each_in_a_thread(work, items) -> list[str]:
    """`work(item)` for every item at once, each in a thread of its own (separate servers); the
    failures, as `item: error`."""
    errors: list[str] = []

    def one(item) -> None:
        try:
            work(item)
        except Exception as exc:
            errors.append(f"{item}: {exc}")
    threads = [threading.Thread(target=one, args=(i,)) for i in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def build(stores: dict[str, tuple[str, str]]) -> list[str]:
    """`stores`: service → (its store's address, its database)."""
    errors = each_in_a_thread(lambda name: build_one(name, *stores[name]), list(stores))
    if errors:
        raise SystemExit("indexes: " + "; ".join(errors))
    return list(stores)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="indexes")
    ap.add_argument("--topology", help="the runner's topology.json: each service's own store")
    args = ap.parse_args(argv)
    started = time.monotonic()
    if args.topology:
        with open(args.topology) as f:
            services = json.load(f)["services"]
        stores = {n: (v["uri"], v["database"]) for n, v in services.items()}
    else:
        settings = load_settings(require_secrets=False)
        stores = {n: (settings.mongo_uri, settings.database_name(n)) for n in topology.NAMES}
    names = build(stores)
    print(f"indexes: {', '.join(names)} ready in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
