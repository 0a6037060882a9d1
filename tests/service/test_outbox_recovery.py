"""A crash between a command's commit and the relay's publish loses nothing: the state change and
its events were committed together, and a relay started later publishes what is pending, including
rows leased by a relay that died mid-publish; a row whose lease is still running is left alone."""
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest

from kernel.errors import Invalid

from kernel.settings import load_settings
from kernel.store import Store
from services.registry.domain.model import Unit, UnitKind
from services.registry.repository import Repository
from tests.conftest import service_env, start_service, unique
from tests.service.conftest import EventTap


def registry_store(mongo_uri: str, name: str) -> tuple[str, Store]:
    """A registry database of its own, reached directly as the service would."""
    prefix = unique(name)
    store = Store.connect(mongo_uri, load_settings().model_copy(
        update={"mongo_db_prefix": prefix}).database_name("registry"))
    store.ensure_kernel_indexes()
    return prefix, store


def create_unit(store: Store, unit_id: str, kind: UnitKind, parent):
    """What a registry command does: the unit and its event, committed together."""
    def work(tx):
        unit, events = Unit.create(unit_id, unit_id, kind, parent)
        Repository(tx.db).add_unit(unit)
        tx.emit(*events)
        return unit
    unit, envelopes, _ = store.transaction(work, correlation_id=f"req-{unit_id}")
    return unit, envelopes[0].id


@contextmanager
def registry_running(amqp_uri, mongo_uri, prefix, rpc, tmp_path):
    """The registry service on that database, and a tap on its events."""
    tap = EventTap(amqp_uri, "registry")
    try:
        env = service_env(amqp_uri, mongo_uri, prefix)
        svc = start_service("services.registry.service:RegistryService", env, tmp_path / "registry.log",
                            rpc, "registry.ping")
        try:
            yield tap
        finally:
            svc.stop()
    finally:
        tap.close()


def test_events_committed_before_a_crash_are_published_when_a_relay_runs_again(
        amqp_uri, mongo_uri, rpc, tmp_path):
    prefix, store = registry_store(mongo_uri, "crash_")

    # What a registry command does, then the process dies before its relay runs.
    country, id1 = create_unit(store, "IR", UnitKind.country, None)
    region, id2 = create_unit(store, "IR-R1", UnitKind.region, country)
    _, id3 = create_unit(store, "IR-01", UnitKind.province, region)
    now = datetime.now(timezone.utc)
    # id2 was claimed by a relay that died mid-publish (lease over); id3 by one still at work.
    store.db.outbox.update_one({"_id": id2}, {"$set": {"lease_until": now - timedelta(seconds=1),
                                                       "lease_owner": "dead", "attempts": 1}})
    store.db.outbox.update_one({"_id": id3}, {"$set": {"lease_until": now + timedelta(minutes=10),
                                                       "lease_owner": "busy", "attempts": 1}})
    assert store.db.outbox.count_documents({"status": "pending"}) == 3

    with registry_running(amqp_uri, mongo_uri, prefix, rpc, tmp_path) as tap:
        got = tap(until=lambda g: {id1, id2} <= {e["id"] for e in g}, timeout=15)
        ids = [e["id"] for e in got]
        assert sorted(ids) == sorted([id1, id2]), "each pending event once; the leased one waits"
        first = next(e for e in got if e["id"] == id1)
        assert first["type"] == "registry.unit.created.v1" and first["correlationid"] == "req-IR"
        rows = {r["_id"]: r for r in store.db.outbox.find({})}
        assert rows[id1]["status"] == rows[id2]["status"] == "sent"
        assert rows[id2]["attempts"] == 2
        assert rows[id3]["status"] == "pending" and rows[id3]["lease_owner"] == "busy"
        # The state committed with them is there.
        assert rpc.registry.get_unit("IR-R1")["path"] == ["IR", "IR-R1"]


def test_an_operator_replays_sent_events_so_that_a_later_consumer_catches_up(amqp_uri, mongo_uri, rpc, tmp_path):
    prefix, store = registry_store(mongo_uri, "replay_")
    with registry_running(amqp_uri, mongo_uri, prefix, rpc, tmp_path) as tap:
        _, event_id = create_unit(store, "IR", UnitKind.country, None)
        first = tap(until=lambda g: len(g) >= 1, timeout=15)
        assert [e["id"] for e in first] == [event_id]
        assert store.db.outbox.find_one({"_id": event_id})["status"] == "sent"

        with pytest.raises(Invalid) as exc:
            rpc.registry.outbox_replay("reports.")  # not this service's events
        assert exc.value.field == "types"
        assert rpc.registry.outbox_replay("registry.kanoon.")["requeued"] == 0
        assert rpc.registry.outbox_replay("registry.unit.")["requeued"] == 1
        again = tap(until=lambda g: len(g) >= 2, timeout=15)
        assert [e["id"] for e in again] == [event_id] * 2, "the same event, the same id"
        assert store.db.outbox.find_one({"_id": event_id})["status"] == "sent"
