"""A crash between a command's commit and the relay's publish loses nothing: the state change and
its events were committed together, and a relay started later publishes what is pending, including
rows leased by a relay that died mid-publish; a row whose lease is still running is left alone."""
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from kombu import Connection

from kernel.errors import Invalid

from kernel.settings import load_settings
from kernel.store import Store
from services.registry.domain.units import Unit, UnitKind
from services.registry.repository import Repository
from kernel.relay import OutboxRelay, ReplayRunner, create_replay_job
from tests.conftest import caller, service_env, start_service, unique
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
        time.sleep(0.5)
        ids = [e["id"] for e in tap() if e["id"] in (id1, id2, id3)]
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
    """A replay is a job: it answers at once with an id, publishes the events of the prefix once each,
    oldest first, with their original ids, to every subscriber or to one consumer's queue."""
    prefix, store = registry_store(mongo_uri, "replay_")
    with registry_running(amqp_uri, mongo_uri, prefix, rpc, tmp_path) as tap:
        root = rpc.registry.bootstrap_admin("root", "service-tests-password-1", "مدیر", "سامانه")
        units = [r["_id"] for r in store.db.outbox.find({"type": "registry.unit.created.v1"},
                                                          sort=[("created_at", 1), ("_id", 1)])]
        assert len(units) > 30  # the unit tree the registry loads when it starts
        wait_for(lambda: store.db.outbox.count_documents({"status": "pending"}) == 0)
        late = EventTap(amqp_uri, "registry")  # a consumer deployed later: its own queue, empty so far
        try:
            with caller(amqp_uri, root["id"], root["person_id"]) as admin:
                with pytest.raises(Invalid) as exc:
                    admin.registry.outbox_replay("reports.")  # not this service's events
                assert exc.value.field == "types"
                job = admin.registry.outbox_replay("registry.unit.", late.queue.name)
                assert job["status"] == "running" and job["total"] == len(units)
                done = wait_for(lambda: (j := admin.registry.outbox_replay_status(job["id"]))["status"] == "done" and j)
                assert done["replayed"] == len(units)
            got = late(until=lambda g: len(g) >= len(units), timeout=15)
            assert [e["id"] for e in got] == units, "each once, oldest first, with its original id"
            assert all(e["type"] == "registry.unit.created.v1" for e in got)
        finally:
            late.close()
        # Only that queue received them; the other subscriber saw each unit event once, when it was made.
        seen = [e["id"] for e in tap() if e["type"] == "registry.unit.created.v1"]
        assert len(seen) == len(set(seen))


class StopAfter:
    """A stop signal that is raised after `n` looks: a relay process dying between two batches."""

    def __init__(self, n: int):
        self.n = n

    def is_set(self) -> bool:
        self.n -= 1
        return self.n < 0


def test_a_replay_resumes_where_it_stopped_and_publishes_each_event_once(amqp_uri, mongo_uri, tmp_path):
    prefix, store = registry_store(mongo_uri, "resume_")
    country, _ = create_unit(store, "IR", UnitKind.country, None)
    ids = [create_unit(store, f"IR-R{i}", UnitKind.region, country)[1] for i in range(1, 26)]
    store.db.outbox.update_many({}, {"$set": {"status": "sent"}})
    late = EventTap(amqp_uri, "registry")
    try:
        job = create_replay_job(store, "registry", "registry.unit.", late.queue.name, "op", amqp_uri)
        first = ReplayRunner(OutboxRelay(store, "registry", amqp_uri), batch=10)
        assert first.run_once(StopAfter(2)) == 20  # two batches, then the process "dies"
        assert store.db.replay_jobs.find_one({"_id": job["id"]})["replayed"] == 20
        second = ReplayRunner(OutboxRelay(store, "registry", amqp_uri), batch=10)
        assert second.run_once() == 6
        got = late(until=lambda g: len(g) >= 26, timeout=15)
        time.sleep(0.5)
        got = late()
        assert len(got) == 26 and [e["id"] for e in got][1:] == ids, "each once, in order, across the restart"
        row = store.db.replay_jobs.find_one({"_id": job["id"]})
        assert row["status"] == "done" and row["replayed"] == 26
    finally:
        late.close()


def wait_for(fn, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


class FailingFor(OutboxRelay):
    """The relay, with the broker refusing the events of the given ids."""

    def __init__(self, *args, refuse=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.refuse = set(refuse)

    def publish(self, envelope):
        if envelope["id"] in self.refuse:
            raise ConnectionError("refused for the test")
        super().publish(envelope)


def test_a_row_that_keeps_failing_holds_back_only_its_own_subject(amqp_uri, mongo_uri):
    prefix, store = registry_store(mongo_uri, "relay_")
    country, a1 = create_unit(store, "IR", UnitKind.country, None)           # subject unit/IR
    _, b1 = create_unit(store, "IR-R1", UnitKind.region, country)            # subject unit/IR-R1
    # A second event of unit/IR, committed after a1.
    def rename(tx):
        from services.registry.events import UnitCreated
        tx.emit(UnitCreated(unit_id="IR", name="ایران", kind="country", parent_id=None, path=["IR"]))
    _, (a2,), _ = store.transaction(rename)
    a2 = a2.id
    _, c1 = create_unit(store, "IR-R2", UnitKind.region, country)            # subject unit/IR-R2
    tap = EventTap(amqp_uri, "registry")
    try:
        relay = FailingFor(store, "registry", amqp_uri, refuse={a1})
        assert relay.flush() == 2
        got = [e["id"] for e in tap(until=lambda g: len(g) >= 2, timeout=10)]
        assert got == [b1, c1], "the other subjects pass the failing row; a2 waits behind a1"
        row = store.db.outbox.find_one({"_id": a1})
        assert row["status"] == "pending" and row["attempts"] == 1 and "refused" in row["last_error"]
        assert row["lease_until"] > datetime.now(timezone.utc), "backed off, not retried at once"
        assert relay.flush() == 0, "still backing off"

        relay.refuse.clear()
        store.db.outbox.update_one({"_id": a1}, {"$set": {"lease_until": None}})  # the back-off is over
        assert relay.flush() == 2
        got = [e["id"] for e in tap(until=lambda g: len(g) >= 4, timeout=10)]
        assert got[2:] == [a1, a2], "a subject's events in commit order"
    finally:
        tap.close()


def test_the_inbox_forgets_old_ids_and_never_applies_an_old_event_twice(mongo_uri):
    """Retention: ids applied longer ago than the retention are purged, and the horizon they leave
    makes a replay of those old events a no-op; a parked message keeps the horizon below it."""
    prefix, store = registry_store(mongo_uri, "inbox_")
    store.inbox_retention = timedelta(seconds=1)
    now = datetime.now(timezone.utc)

    def event(seconds_ago):
        return {"id": uuid.uuid4().hex, "time": (now - timedelta(seconds=seconds_ago)).isoformat()}

    def apply(envelope):
        return store.apply("counter", envelope, lambda tx: tx.db.applied.update_one(
            {"_id": "n"}, {"$inc": {"n": 1}}, upsert=True))

    def count():
        return (store.db.applied.find_one({"_id": "n"}) or {}).get("n", 0)

    old, parked_event, newer = event(10), event(20), event(3)
    assert apply(old) and not apply(old) and count() == 1
    store.db.parked_messages.insert_one({"_id": "pm1", "status": "parked", "event_id": parked_event["id"],
                                         "event_time": now - timedelta(seconds=20)})
    time.sleep(1.2)
    assert store.purge_inbox("counter") == 0, "nothing newer than the parked message is forgotten"
    assert apply(parked_event) and count() == 2, "the parked message, replayed, is applied"
    store.db.parked_messages.update_one({"_id": "pm1"}, {"$set": {"status": "replayed"}})
    time.sleep(1.2)
    assert store.purge_inbox("counter") == 2
    assert store.db.inbox.count_documents({"consumer": "counter"}) == 0
    assert not apply(old) and not apply(parked_event), "a replay of forgotten events is skipped"
    assert count() == 2
    assert apply(newer) and count() == 3, "an event never seen is applied"


def test_relays_side_by_side_keep_each_subjects_order_and_publish_each_event_once(amqp_uri, mongo_uri):
    prefix, store = registry_store(mongo_uri, "pair_")
    from services.registry.events import UnitCreated
    order: dict[str, list[str]] = {}
    for round_ in range(20):
        def work(tx, round_=round_):
            for unit in range(10):
                tx.emit(UnitCreated(unit_id=f"U{unit}", name=f"{round_}", kind="city", parent_id=None, path=["U"]))
        _, events, _ = store.transaction(work)
        for e in events:
            order.setdefault(e.subject, []).append(e.id)
    tap = EventTap(amqp_uri, "registry")
    try:
        relays = [OutboxRelay(store, "registry", amqp_uri) for _ in range(2)]
        sent = {0: 0, 1: 0}
        start = threading.Barrier(2)

        def run(i):
            # Round by round (a busy machine may otherwise run one thread to the end before the other
            # starts): each relay flushes at most 15 per round, side by side with the other.
            for _ in range(40):
                start.wait()
                sent[i] += relays[i].flush(limit=15, batch=15)
        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sent[0] and sent[1] and sent[0] + sent[1] == 200, sent
        got = tap(until=lambda g: len(g) >= 200, timeout=20)
        time.sleep(0.5)
        got = tap()
        assert sorted(e["id"] for e in got) == sorted(i for ids in order.values() for i in ids), "each once"
        for subject, ids in order.items():
            assert [e["id"] for e in got if e["subject"] == subject] == ids, subject
        assert store.db.outbox.count_documents({"status": "pending"}) == 0
    finally:
        tap.close()


def test_sent_events_are_pruned_after_the_retention_and_a_replay_needing_them_says_so(amqp_uri, mongo_uri):
    """OUTBOX_RETENTION_DAYS: sent rows older than it go (pending ones never); a replay that would need
    them is refused naming the date events are kept from, a later `since` or `partial` replays what
    is kept, and only that."""
    _, store = registry_store(mongo_uri, "prune_")
    country, _ = create_unit(store, "IR", UnitKind.country, None)
    ids = [create_unit(store, f"IR-R{i}", UnitKind.region, country)[1] for i in range(1, 7)]
    old, recent = ids[:3], ids[3:]
    long_ago = datetime.now(timezone.utc) - timedelta(days=40)
    store.db.outbox.update_many({"_id": {"$in": old}}, {"$set": {"status": "sent", "created_at": long_ago}})
    store.db.outbox.update_many({"_id": {"$in": recent[:2]}}, {"$set": {"status": "sent"}})
    store.db.outbox.update_one({"_id": recent[2]}, {"$set": {"created_at": long_ago}})   # old, but never sent
    assert store.outbox_horizon() is None
    assert store.prune_outbox(timedelta(days=30)) == 3
    left = {r["_id"] for r in store.db.outbox.find({})}
    assert left == {*recent, store.db.outbox.find_one({"type": "registry.unit.created.v1",
                                                       "subject": "unit/IR"})["_id"]} - set(old) and recent[2] in left
    horizon = store.outbox_horizon()
    assert horizon is not None and abs((horizon - long_ago).total_seconds()) < 1
    with pytest.raises(Invalid) as refused:
        create_replay_job(store, "registry", "registry.unit.", None, "op", amqp_uri, retention_days=30)
    assert refused.value.field == "since" and horizon.isoformat() in refused.value.message
    with pytest.raises(Invalid):
        create_replay_job(store, "registry", "registry.", None, "op", amqp_uri,
                          since=(long_ago - timedelta(days=1)).isoformat(), retention_days=30)
    later = create_replay_job(store, "registry", "registry.unit.", None, "op", amqp_uri,
                              since=(horizon + timedelta(seconds=1)).isoformat(), retention_days=30)
    assert later["total"] == 2          # the two recent sent rows, not the pending one
    partial = create_replay_job(store, "registry", "registry.unit.", None, "op", amqp_uri, partial=True,
                                retention_days=30)
    assert partial["kept_since"] == horizon.isoformat()
    with pytest.raises(Invalid) as bad:
        create_replay_job(store, "registry", "registry.unit.", None, "op", amqp_uri, since="yesterday-ish")
    assert bad.value.field == "since"


# ---------------------------------------------------------------- replays on their own connection

class DiesAfter(ReplayRunner):
    """A replay runner whose process dies after `n` publications (the next one raises)."""

    def __init__(self, *args, n: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.left = n

    def _publish(self, job, envelope):
        if self.left == 0:
            raise ConnectionError("the process died")
        self.left -= 1
        super()._publish(job, envelope)


def test_a_replay_saves_its_cursor_with_each_confirm_and_never_sends_a_confirmed_event_again(amqp_uri, mongo_uri):
    """A job that dies in the middle of a batch resumes after the last event the broker confirmed,
    not at the start of that batch; and its rows are read in the relay's order, (created_at, seq):
    the rows of one transaction, all of one instant, keep their order."""
    _, store = registry_store(mongo_uri, "cursor_")
    from services.registry.events import UnitCreated

    def work(tx):
        for n in range(12):   # one transaction: the order within it is `seq`, not the ids' order
            tx.emit(UnitCreated(unit_id=f"S{n % 3}", name=f"{n}", kind="city", parent_id=None, path=["S"]))
    _, events, _ = store.transaction(work)
    store.db.outbox.update_many({"_id": {"$in": [e.id for e in events]}},
                                {"$set": {"status": "sent", "created_at": datetime(2026, 1, 1, tzinfo=timezone.utc)}})
    in_order = [e.id for e in events]
    late = EventTap(amqp_uri, "registry")
    try:
        job = create_replay_job(store, "registry", "registry.unit.", late.queue.name, "op", amqp_uri)
        assert DiesAfter(OutboxRelay(store, "registry", amqp_uri), batch=5, n=7).run_once() == 7
        row = store.db.replay_jobs.find_one({"_id": job["id"]})
        assert row["replayed"] == 7 and row["status"] == "running" and "died" in row["error"]
        assert ReplayRunner(OutboxRelay(store, "registry", amqp_uri), batch=5).run_once() == 5
        got = late(until=lambda g: len(g) >= 12, timeout=15)
        time.sleep(0.5)
        got = late()
        assert [e["id"] for e in got] == in_order, "each once, in commit order, across the failure"
        assert all(headers["x-khadem-replay"] == job["id"] for _, headers, _ in late.messages)
        assert store.db.replay_jobs.find_one({"_id": job["id"]})["status"] == "done"
    finally:
        late.close()


def test_a_replay_to_a_queue_that_does_not_take_this_services_replays_fails_saying_so(amqp_uri, mongo_uri):
    """A queue not bound to `<service>.replay` would silently lose a targeted replay (the broker drops
    what no queue takes): the replay is published mandatory, and the job fails, naming the queue."""
    from kombu import Queue
    _, store = registry_store(mongo_uri, "unbound_")
    create_unit(store, "IR", UnitKind.country, None)
    store.db.outbox.update_many({}, {"$set": {"status": "sent"}})
    name = f"test-unbound-{uuid.uuid4().hex[:6]}"
    with Connection(amqp_uri) as conn:
        Queue(name, auto_delete=True, durable=False)(conn.default_channel).declare()
        job = create_replay_job(store, "registry", "registry.unit.", name, "op", amqp_uri)
        assert ReplayRunner(OutboxRelay(store, "registry", amqp_uri)).run_once() == 0
        row = store.db.replay_jobs.find_one({"_id": job["id"]})
        assert row["status"] == "failed" and name in row["error"] and "registry.replay" in row["error"]
        assert Queue(name, no_declare=True)(conn.default_channel).get(no_ack=True) is None


def test_a_replay_under_load_sends_each_event_once_per_replay_in_order_per_subject_and_the_relay_drains(
        amqp_uri, mongo_uri, rpc, tmp_path):
    """The registry service relays new events while two replay jobs run — one to every subscriber,
    one to one queue — and commands keep committing events. Each replay sends every event sent before
    it began (and none committed after it), each once, a subject's in commit order; the relay
    publishes every new event once, in order per subject, and ends with nothing pending. (The replays
    once published through the relay's own connection from another green thread: events sent 2–4
    times, inversions, a wedged relay.)"""
    from services.registry.events import UnitCreated
    prefix, store = registry_store(mongo_uri, "load_")
    subjects = [f"L{n}" for n in range(8)]

    def commit(round_: int) -> None:
        def work(tx):
            for unit in subjects:
                tx.emit(UnitCreated(unit_id=unit, name=f"{round_}", kind="city", parent_id=None, path=["L"]))
        store.transaction(work)

    def order(ids: set) -> list[dict]:
        """The outbox's rows of `ids`, in the relay's order."""
        rows = list(store.db.outbox.find({"_id": {"$in": list(ids)}}, {"subject": 1, "created_at": 1, "seq": 1}))
        return sorted(rows, key=lambda r: (r["created_at"], r["seq"], r["_id"]))

    with registry_running(amqp_uri, mongo_uri, prefix, rpc, tmp_path) as tap:
        for round_ in range(40):
            commit(round_)
        wait_for(lambda: store.db.outbox.count_documents({"status": "pending"}) == 0, timeout=60)
        late = EventTap(amqp_uri, "registry")
        stop = threading.Event()
        committed = []

        def keep_committing():
            round_ = 1000
            while not stop.is_set():
                commit(round_)
                committed.append(round_)
                round_ += 1
                time.sleep(0.03)
        load = threading.Thread(target=keep_committing)
        try:
            before = {r["_id"] for r in store.db.outbox.find({"status": "sent", "type": {"$regex": "^registry\\.unit\\."}},
                                                             {"_id": 1})}
            load.start()
            everyone = create_replay_job(store, "registry", "registry.unit.", None, "op", amqp_uri)
            one_queue = create_replay_job(store, "registry", "registry.unit.", late.queue.name, "op", amqp_uri)
            for job in (everyone, one_queue):
                wait_for(lambda: store.db.replay_jobs.find_one({"_id": job["id"]})["status"] != "running", timeout=180)
            stop.set()
            load.join()
            assert len(committed) >= 5, "events kept being committed while the replays ran"
            wait_for(lambda: store.db.outbox.count_documents({"status": "pending"}) == 0, timeout=60)
            time.sleep(1.0)
            tap(timeout=2)
            late(timeout=2)
            all_ids = {r["_id"] for r in store.db.outbox.find({"type": {"$regex": "^registry\\.unit\\."}}, {"_id": 1})}
            for job, heard in ((everyone, tap), (one_queue, late)):
                row = store.db.replay_jobs.find_one({"_id": job["id"]})
                assert row["status"] == "done", row
                replayed = [e["id"] for e, headers, _ in heard.messages if headers.get("x-khadem-replay") == job["id"]]
                assert len(replayed) == len(set(replayed)), f"{len(replayed) - len(set(replayed))} sent twice"
                assert before <= set(replayed) <= all_ids, len(before - set(replayed))
                assert not set(replayed) & {r["_id"] for r in store.db.outbox.find(
                    {"created_at": {"$gt": row["created_at"]}}, {"_id": 1})}, "nothing committed after it began"
                assert row["replayed"] == len(replayed)
                for subject in {r["subject"] for r in order(set(replayed))}:
                    expected = [r["_id"] for r in order(set(replayed)) if r["subject"] == subject]
                    assert [i for i in replayed if i in set(expected)] == expected, subject
            # The relay's own publications, beside the replays: every event once, in order per subject.
            live = [e["id"] for e, headers, _ in tap.messages if "x-khadem-replay" not in headers
                    and e["type"].startswith("registry.unit.")]
            new = all_ids - before
            assert new <= set(live) and len(live) == len(set(live))
            for subject in {f"unit/{s}" for s in subjects}:
                expected = [r["_id"] for r in order(new) if r["subject"] == subject]
                assert [i for i in live if i in set(expected)] == expected, subject
            assert store.db.outbox.count_documents({"status": "pending"}) == 0
            # Every event carries its publisher, the user the service signs in as.
            user = Connection(amqp_uri).userid
            assert {u for _, _, u in tap.messages} == {user}
        finally:
            stop.set()
            if load.is_alive():
                load.join()
            late.close()
