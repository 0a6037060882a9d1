"""Backing up and restoring one service's database on the suite's store (ops/backup.py), and the
registry's restatement applied by a consumer (kernel.registry_view): a dump, then more writes, then a
restore gives back exactly the dumped documents and indexes; counters never go back, and move on by
the gap when the live database is gone; a running instance makes the restore refuse; the restored
database holds a pending `<service>.store.restored.v1`; a dump taken while another thread writes
is one point in time. No service process: the commands and the functions they call, directly."""
import io
import json
import random
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from bson import Binary, Decimal128
from pymongo import ASCENDING, MongoClient

from kernel.registry_view import RESTATEMENTS as CONSUMER_RESTATEMENTS, apply_registry_event
from kernel.store import Store
from ops import backup
from tests.conftest import QUIET, ROOT, unique


def _now():
    return datetime.now(timezone.utc)


@pytest.fixture()
def client(mongo_uri):
    c = MongoClient(mongo_uri, tz_aware=True)
    made = []
    c.made, c.uri = made, mongo_uri
    yield c
    for name in made:
        c.drop_database(name)
    c.close()


def new_db(client, service="registry"):
    name = unique("bk") + service
    client.made.append(name)
    return client[name]


def everything(db) -> dict:
    """Every collection's documents (by id) and index specs, but the heartbeats."""
    out = {}
    for name in sorted(db.list_collection_names()):
        if name.startswith("system.") or name == "heartbeats":
            continue
        idx = sorted((i["name"], tuple(dict(i["key"]).items()), bool(i.get("unique")),
                      json.dumps(i.get("partialFilterExpression"), sort_keys=True, default=str))
                     for i in db[name].list_indexes())
        out[name] = ({d["_id"]: d for d in db[name].find({})}, idx)
    return out


def populate(db):
    """A registry-like database: domain documents of many BSON types, unique partial indexes, a
    collection with a dot in its name, counters, an outbox and an old heartbeat."""
    now = _now().replace(microsecond=0)
    db.people.create_index([("national_id", ASCENDING)], unique=True, name="unique_national_id",
                           partialFilterExpression={"national_id": {"$type": "string"}})
    db.people.create_index([("kanoon_id", ASCENDING), ("last_name", -1)])
    db.people.insert_many([{"_id": f"p{i}", "national_id": f"{i:010d}", "kanoon_id": "k1" if i % 2 else None,
                            "last_name": "محمدی", "registered_at": now - timedelta(days=i),
                            "amount": Decimal128(Decimal("12.50")), "photo": Binary(bytes([i, 0, 255])),
                            "tags": ["a", {"b": i}]} for i in range(30)])
    db["files.chunks"].insert_one({"_id": "c1", "n": 0, "data": Binary(b"\x00" * 300)})
    db.counters.insert_many([{"_id": "service_code:IR-09", "seq": 3}, {"_id": "letters", "seq": 40, "year": 1404}])
    db.outbox.insert_many([
        {"_id": "e-sent", "type": "registry.unit.created.v1", "subject": "unit/IR", "status": "sent",
         "created_at": now - timedelta(minutes=1), "seq": 0, "envelope": {"id": "e-sent"}},
        {"_id": "e-pending", "type": "registry.member.joined.v1", "subject": "kanoon/k1", "status": "pending",
         "created_at": now, "seq": 0, "envelope": {"id": "e-pending"}}])
    db.heartbeats.insert_one({"_id": "registry@old:1", "at": now - timedelta(hours=1)})


def test_a_restore_gives_back_exactly_the_dumped_documents_and_indexes_and_counters_never_go_back(client, tmp_path):
    db = new_db(client)
    populate(db)
    dumped = everything(db)
    folder = backup.dump(client, db.name, "registry", tmp_path / "backups")
    m = backup.read_manifest(folder)
    assert m["point_in_time"] and m["consistency"] == "transaction" and m["service"] == "registry"
    assert m["collections"]["people"]["count"] == 30 and m["collections"]["files.chunks"]["count"] == 1
    assert {i["name"] for i in m["collections"]["people"]["indexes"]} == {"unique_national_id", "kanoon_id_1_last_name_-1"}
    assert abs((m["taken_at"] - _now()).total_seconds()) < 60
    assert [d["_id"] for d in backup.documents(folder, "people")] == sorted(f"p{i}" for i in range(30))

    # Write more: new, changed and deleted documents, an index gone, a collection added, the counter
    # advanced (service codes issued after the dump), a new counter, an event published.
    db.people.insert_one({"_id": "p-late", "national_id": "9999999999"})
    db.people.update_one({"_id": "p1"}, {"$set": {"kanoon_id": "k9"}})
    db.people.delete_one({"_id": "p2"})
    db.people.drop_index("kanoon_id_1_last_name_-1")
    db.transfers.insert_one({"_id": "t1"})
    db.counters.update_one({"_id": "service_code:IR-09"}, {"$set": {"seq": 11}})
    db.counters.insert_one({"_id": "service_code:IR-11", "seq": 2})
    db.outbox.insert_one({"_id": "e-late", "type": "registry.person.registered.v1", "status": "sent",
                          "created_at": _now(), "seq": 0, "envelope": {"id": "e-late"}})
    db.heartbeats.insert_one({"_id": "registry@later:2", "at": _now() - timedelta(minutes=5)})

    done = backup.restore(client, db.name, "registry", folder, handlers=[])
    after = everything(db)
    assert set(after) == set(dumped) | {"restores"}, "the collection made after the dump is gone"
    for name in set(dumped) - {"counters", "outbox"}:
        assert after[name] == dumped[name], name
    # Counters: the larger of live and backed up, each; none skipped.
    counters = {d["_id"]: d["seq"] for d in db.counters.find({})}
    assert counters == {"service_code:IR-09": 11, "service_code:IR-11": 2, "letters": 40}
    assert not done.numbers_skipped and done.lost_events == {"registry.person.registered.v1": 1}
    # The outbox is the backup's, and one pending row more: the restore, for the relay to publish.
    rows = {r["_id"]: r for r in db.outbox.find({})}
    assert {k: v for k, v in rows.items() if k in dumped["outbox"][0]} == dumped["outbox"][0]
    [new] = [r for k, r in rows.items() if k not in dumped["outbox"][0]]
    assert new["type"] == "registry.store.restored.v1" and new["status"] == "pending"
    assert new["envelope"]["data"]["restore_id"] == done.restore_id and new["subject"] == f"restore/{done.restore_id}"
    assert datetime.fromisoformat(new["envelope"]["data"]["restored_to"].replace("Z", "+00:00")) == m["taken_at"]
    [row] = db.restores.find({})
    assert row["_id"] == done.restore_id and row["restored_to"] == m["taken_at"] and row["restated_at"] is None
    assert row["status"] == "done" and {c["_id"]: c["seq"] for c in row["live_counters"]} == {
        "service_code:IR-09": 11, "service_code:IR-11": 2, "letters": 40}
    # The live heartbeats stay (who is alive is not the backup's business).
    assert {h["_id"] for h in db.heartbeats.find({})} == {"registry@old:1", "registry@later:2"}
    out = io.StringIO()
    backup.report(done, "registry", out)
    assert "registry restates its view" in out.getvalue() and "registry.person.registered.v1" in out.getvalue()


def test_a_running_instance_makes_the_restore_refuse_unless_forced(client, tmp_path):
    db = new_db(client, "secretariat")
    db.letters.insert_one({"_id": "l1", "number": 1})
    folder = backup.dump(client, db.name, "secretariat", tmp_path)
    db.letters.insert_one({"_id": "l2", "number": 2})
    db.heartbeats.insert_many([{"_id": "secretariat@host-a:41", "at": _now() - timedelta(seconds=2)},
                               {"_id": "ping:secretariat", "at": _now()}])
    # As an operator runs it.
    cmd = [sys.executable, "-m", "ops.backup", "restore", "--service", "secretariat", "--uri", client.uri,
           "--database", db.name, "--from", str(folder)]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": QUIET})
    assert run.returncode == 2, run.stderr
    assert "stop every instance of secretariat first (heard from secretariat@host-a:41" in run.stderr
    assert db.letters.count_documents({}) == 2, "nothing was touched"
    with pytest.raises(backup.Refused):
        backup.restore(client, db.name, "secretariat", folder, handlers=[])
    backup.restore(client, db.name, "secretariat", folder, force=True, handlers=[])
    assert [d["_id"] for d in db.letters.find({})] == ["l1"]


def test_with_the_live_database_gone_every_counter_moves_on_by_the_gap_and_says_so(client, tmp_path):
    db = new_db(client, "secretariat")
    db.counters.insert_many([{"_id": "letter:1404", "seq": 17}, {"_id": "ticket", "seq": 3}])
    folder = backup.dump(client, db.name, "secretariat", tmp_path)
    client.drop_database(db.name)       # the disk is lost
    done = backup.restore(client, db.name, "secretariat", folder, sequence_gap=1000, handlers=[])
    assert done.numbers_skipped
    assert {d["_id"]: d["seq"] for d in db.counters.find({})} == {"letter:1404": 1017, "ticket": 1003}
    out = io.StringIO()
    backup.report(done, "secretariat", out)
    assert "NUMBERS SKIPPED" in out.getvalue() and "letter:1404: {'seq': 1017}" in out.getvalue()
    assert db.outbox.count_documents({"type": "secretariat.store.restored.v1", "status": "pending"}) == 1


def test_a_restore_that_failed_midway_run_again_still_keeps_the_live_counters(client, tmp_path, monkeypatch):
    db = new_db(client, "registry")
    db.counters.insert_one({"_id": "service_code:IR-09", "seq": 5})
    folder = backup.dump(client, db.name, "registry", tmp_path)
    db.counters.update_one({"_id": "service_code:IR-09"}, {"$set": {"seq": 9}})   # codes 6…9 issued

    merged = backup.merged_counters

    def dies_when_setting_counters(live, backed, gap):   # (the earlier calls, which save them, pass no gap)
        if gap:
            raise OSError("the operator's connection dropped")
        return merged(live, backed, gap)
    with monkeypatch.context() as patch:   # the collections are replaced, then the restore dies
        patch.setattr(backup, "merged_counters", dies_when_setting_counters)
        with pytest.raises(OSError):
            backup.restore(client, db.name, "registry", folder, handlers=[])
    assert db.counters.find_one({"_id": "service_code:IR-09"})["seq"] == 5, "the backup's, lower"
    done = backup.restore(client, db.name, "registry", folder, handlers=[])
    assert db.counters.find_one({"_id": "service_code:IR-09"})["seq"] == 9 and not done.numbers_skipped
    assert [r["status"] for r in db.restores.find({}, sort=[("started_at", 1)])] == ["started", "done"]
    assert backup.last_restore(client, db.name, "registry", handlers=[]).restore_id == done.restore_id


def test_a_dump_taken_while_another_thread_writes_is_one_point_in_time(client, tmp_path):
    """Two collections written together in one transaction, again and again: no dump holds one
    without the other (read one after the other without a snapshot, they differ: checked too)."""
    db = new_db(client, "finance")
    filler = "x" * 2000
    db.receipts.insert_many([{"_id": f"r{i}", "filler": filler} for i in range(300)])
    db.postings.insert_many([{"_id": f"r{i}", "filler": filler} for i in range(300)])
    stop, written = threading.Event(), [0]

    def writer():
        i = 0
        while not stop.is_set():
            with client.start_session() as s:
                s.start_transaction()
                db.receipts.insert_one({"_id": f"w{i}", "filler": filler}, session=s)
                db.postings.insert_one({"_id": f"w{i}", "filler": filler}, session=s)
                s.commit_transaction()
            i += 1
            written[0] = i
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        seen = []
        for n in range(4):
            folder = backup.dump(client, db.name, "finance", tmp_path / f"d{n}")
            a = {d["_id"] for d in backup.documents(folder, "postings")}
            b = {d["_id"] for d in backup.documents(folder, "receipts")}
            assert a == b, f"dump {n}: {len(a ^ b)} documents in one collection without their pair"
            seen.append(len(a))
        # Without a snapshot, the same reads disagree while the writer runs (the test can fail).
        torn = 0
        for _ in range(10):
            a = {d["_id"] for d in db.postings.find({}, {"_id": 1})}
            time.sleep(0.02)
            b = {d["_id"] for d in db.receipts.find({}, {"_id": 1})}
            torn += a != b
    finally:
        stop.set()
        t.join()
    assert written[0] > 0 and len(set(seen)) > 1, "the writer wrote between the dumps"
    assert torn > 0


def test_a_dump_that_cannot_be_one_point_in_time_is_refused_unless_accepted(client, tmp_path):
    db = new_db(client, "reports")
    db.reports.insert_many([{"_id": i} for i in range(50)])
    try:   # a transaction given no time at all; the local store then has no snapshot session either
        folder = backup.dump(client, db.name, "reports", tmp_path / "a", snapshot_seconds=0)
    except backup.Refused as exc:
        assert "no point-in-time copy" in str(exc) and "--not-point-in-time" in str(exc)
        assert not list((tmp_path / "a").iterdir()), "no half-written backup is left"
    else:   # MongoDB: the snapshot session serves
        assert backup.read_manifest(folder)["consistency"] == "snapshot-session"
        return
    folder = backup.dump(client, db.name, "reports", tmp_path / "b", point_in_time=False, snapshot_seconds=0)
    m = backup.read_manifest(folder)
    assert not m["point_in_time"] and m["consistency"] == "none" and m["collections"]["reports"]["count"] == 50
    out = io.StringIO()
    backup.show(folder, out)
    assert "NOT one point in time" in out.getvalue() and "reports" in out.getvalue()


# ---------------------------------------------------------------- the registry's restatement, end to end

def registry_state(db):
    """A registry's own documents, as its repository keeps them."""
    t = datetime(2025, 3, 1, tzinfo=timezone.utc)
    db.units.insert_many([{"_id": "IR", "name": "ایران", "kind": "country", "path": ["IR"], "parent_id": None},
                          {"_id": "IR-09", "name": "خراسان", "kind": "province", "path": ["IR", "IR-09"],
                           "parent_id": "IR"}])
    db.kanoons.insert_many([
        {"_id": "k1", "name": "کانون یک", "kind": "neighborhood", "field": None, "unit_path": ["IR", "IR-09"],
         "status": "active", "head_id": "p1", "deputy_id": "p2", "founding_date": t},
        {"_id": "k2", "name": "کانون دو", "kind": "neighborhood", "field": None, "unit_path": ["IR", "IR-09"],
         "status": "submitted", "head_id": "p3", "deputy_id": "p4", "founding_date": None}])
    db.people.insert_many([{"_id": "p1", "kind": "khademyar", "kanoon_id": "k1", "left_kanoon_id": None},
                           {"_id": "p2", "kind": "yavar", "kanoon_id": None, "left_kanoon_id": "k1"},
                           {"_id": "p3", "kind": "khademyar", "kanoon_id": None, "left_kanoon_id": None}]
                          + [{"_id": f"m{i}", "kind": "yavar", "kanoon_id": "k1"} for i in range(5)])
    db.roles.insert_many([
        {"_id": "ra1", "person_id": "p1", "role": "kanoon_head", "scope_id": "k1", "scope_kind": "kanoon",
         "field": None, "valid_from": t, "valid_to": None, "revoked_at": None},
        {"_id": "ra2", "person_id": "p3", "role": "city_secretary", "scope_id": "IR-09", "scope_kind": "city",
         "field": None, "valid_from": t, "valid_to": None, "revoked_at": t + timedelta(days=2)}])
    db.province_settings.insert_one({"_id": "IR-09", "province_id": "IR-09", "move_window_days": 45,
                                     "transfer_expiry_days": 30, "report_window_days": 60})


def test_a_restatement_makes_a_consumers_view_the_registrys_and_keeps_what_changed_after_it(client):
    from services.registry.service import publish_restatement
    registry = Store(client, new_db(client, "registry").name)
    consumer = Store(client, new_db(client, "reports").name)
    registry_state(registry.raw)
    old, future = datetime(2025, 1, 1, tzinfo=timezone.utc), _now() + timedelta(hours=1)
    c = consumer.raw
    # What the consumer believes: things the registry no longer has (units, a member, a kanoon, a
    # grant), a membership and a grant that changed since, a document from before documents carried
    # a time, and one changed after the restatement's instant (kept).
    c.units.insert_many([{"_id": "IR-LOST", "path": ["IR", "IR-LOST"], "kind": "city", "name": "x", "at": old},
                         {"_id": "IR", "path": ["IR"], "kind": "country", "name": "old name"}])
    c.members.insert_many([{"_id": "p-lost", "kanoon_id": "k1", "since": old, "kind": "yavar"},
                           {"_id": "p1", "kanoon_id": None, "since": old, "kind": "khademyar"},
                           {"_id": "p-new", "kanoon_id": "k1", "since": future, "kind": "yavar"}])
    c.kanoons.insert_many([{"_id": "k-lost", "status": "active", "at": old},
                           {"_id": "k2", "status": "active", "head_id": "zz", "at": future}])
    c.grants.insert_many([{"_id": "ra2", "person_id": "p3", "role": "city_secretary", "scope_id": "IR-09",
                           "revoked": False, "at": old},
                          {"_id": "ra-lost", "person_id": "p-lost", "role": "admin", "scope_id": "IR", "revoked": False,
                           "at": old}])

    out = publish_restatement(registry, "test", settle=0, part_size=3)
    rows = registry.db.outbox.find({"type": "registry.view.restated.v1"}, sort=[("created_at", 1), ("seq", 1)])
    assert out["parts"] == len(rows) == 5 and out["records"] == {"units": 2, "kanoons": 2, "memberships": 7,
                                                                   "grants": 2, "province_settings": 1}
    assert {r["subject"] for r in rows} == {f"restatement/{out['restatement_id']}"}
    assert [r["envelope"]["data"]["part"] for r in rows] == list(range(1, 6))
    envelopes = [r["envelope"] for r in rows]

    # Delivered out of order, one part twice: the sweep waits for the last part seen.
    order = envelopes[:]
    random.Random(7).shuffle(order)
    order.insert(3, order[0])
    for n, e in enumerate(order):
        consumer.apply("registry", e, lambda tx, e=e: apply_registry_event(tx.db, e))
        if n < len(order) - 1:
            assert c.members.find_one({"_id": "p-lost"}) is not None, "nothing is swept before the last part"
    counted = c[CONSUMER_RESTATEMENTS].find_one({"_id": out["restatement_id"]})
    assert sorted(counted["seen"]) == list(range(1, 6)) and counted["swept_at"] is not None

    as_of = out["as_of"].replace(microsecond=out["as_of"].microsecond // 1000 * 1000)
    assert {u["_id"]: u["name"] for u in c.units.find({})} == {"IR": "ایران", "IR-09": "خراسان"}
    members = {m["_id"]: m["kanoon_id"] for m in c.members.find({})}
    assert members == {"p1": "k1", "p2": None, "p-new": "k1", **{f"m{i}": "k1" for i in range(5)}}
    assert c.members.find_one({"_id": "p1"})["since"] == as_of
    kanoons = {k["_id"]: k for k in c.kanoons.find({})}
    assert set(kanoons) == {"k1", "k2"} and kanoons["k1"]["status"] == "active"
    assert kanoons["k2"]["head_id"] == "zz", "changed after as_of: kept"
    grants = {g["_id"]: g for g in c.grants.find({})}
    assert set(grants) == {"ra1", "ra2"} and grants["ra2"]["revoked"] is True and grants["ra1"]["revoked"] is False
    assert c.province_settings.find_one({"_id": "IR-09"})["move_window_days"] == 45

    # Afterwards: a live event older than the restatement changes nothing (it holds its effect); a newer one does.
    def event(type_, data, at):
        return {"id": f"ev-{random.random()}", "type": type_, "time": at.isoformat(), "data": data}
    grant = {"assignment_id": "ra2", "person_id": "p3", "role": "city_secretary", "scope_id": "IR-09",
             "scope_kind": "city", "scope_path": ["IR", "IR-09"], "field": None, "valid_from": "2025-03-01",
             "valid_to": None}
    late = event("registry.member.left.v1", {"person_id": "p1", "kanoon_id": "k1"}, as_of - timedelta(seconds=1))
    consumer.apply("registry", late, lambda tx: apply_registry_event(tx.db, late))
    assert c.members.find_one({"_id": "p1"})["kanoon_id"] == "k1"
    late = event("registry.kanoon.leadership_handed_over.v1", {"kanoon_id": "k1", "position": "head",
                                                               "to_person_id": "p9"}, as_of - timedelta(seconds=1))
    consumer.apply("registry", late, lambda tx: apply_registry_event(tx.db, late))
    assert c.kanoons.find_one({"_id": "k1"})["head_id"] == "p1"
    newer = event("registry.role.revoked.v1", {k: grant[k] for k in ("assignment_id", "person_id", "role", "scope_id")},
                  as_of + timedelta(seconds=1))
    consumer.apply("registry", newer, lambda tx: apply_registry_event(tx.db, newer))
    assert c.grants.find_one({"_id": "ra2"})["at"] > as_of
    newer = event("registry.member.left.v1", {"person_id": "p1", "kanoon_id": "k1"}, as_of + timedelta(seconds=1))
    consumer.apply("registry", newer, lambda tx: apply_registry_event(tx.db, newer))
    assert c.members.find_one({"_id": "p1"})["kanoon_id"] is None
    # A message from the history the registry no longer has, still in flight after the sweep, brings
    # back nothing; one made after the restatement creates its record.
    lost = [event("registry.member.joined.v1", {"person_id": "p-lost", "kanoon_id": "k1", "member_kind": "yavar"},
                  as_of - timedelta(minutes=1)),
            event("registry.role.assigned.v1", {**grant, "assignment_id": "ra-lost"}, as_of - timedelta(minutes=1)),
            event("registry.unit.created.v1", {"unit_id": "IR-LOST", "name": "x", "kind": "city",
                                               "path": ["IR", "IR-LOST"]}, as_of - timedelta(minutes=1)),
            event("registry.member.left.v1", {"person_id": "p-lost2", "kanoon_id": "k1"}, as_of - timedelta(minutes=1))]
    for e in lost:
        consumer.apply("registry", e, lambda tx, e=e: apply_registry_event(tx.db, e))
    assert c.members.count_documents({"_id": {"$in": ["p-lost", "p-lost2"]}}) == 0
    assert c.grants.find_one({"_id": "ra-lost"}) is None and c.units.find_one({"_id": "IR-LOST"}) is None
    made = event("registry.member.joined.v1", {"person_id": "p-later", "kanoon_id": "k1", "member_kind": "yavar"},
                 as_of + timedelta(seconds=2))
    consumer.apply("registry", made, lambda tx: apply_registry_event(tx.db, made))
    assert c.members.find_one({"_id": "p-later"})["kanoon_id"] == "k1"


def test_the_registry_restates_a_restore_once_by_its_periodic_duty(client):
    from services.registry.service import RESTATEMENTS, RESTORES, restate_when_due
    registry = Store(client, new_db(client, "registry").name)
    registry_state(registry.raw)
    registry.raw[RESTORES].insert_many([
        {"_id": "rs1", "status": "done", "restored_to": _now() - timedelta(hours=1), "restated_at": None},
        {"_id": "rs0", "status": "started", "live_counters": []}])    # one that failed midway: no restatement
    started = restate_when_due(registry, settle=0)
    assert started == "restore-rs1"
    deadline = time.monotonic() + 30
    while registry.raw[RESTORES].find_one({"_id": "rs1"})["restated_at"] is None and time.monotonic() < deadline:
        time.sleep(0.1)
    job = registry.raw[RESTATEMENTS].find_one({"_id": "restore-rs1"})
    assert job["status"] == "published" and job["parts"] == 1 and job["reason"] == "restore rs1"
    restore = registry.raw[RESTORES].find_one({"_id": "rs1"})
    assert restore["restatement_id"] == job["restatement_id"]
    assert registry.db.outbox.count_documents({"type": "registry.view.restated.v1",
                                               "envelope.data.restatement_id": job["restatement_id"]}) == 1
    assert restate_when_due(registry, settle=0) is None, "nothing left to restate"
