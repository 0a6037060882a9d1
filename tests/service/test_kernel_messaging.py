"""The kernel's promises on a real broker and store: a failing handler is retried with back-off and
then parked (not dropped); a parked message can be replayed; a redelivered event changes nothing; a
message of any kind that cannot be decoded, or is no event, on any of the service's queues, or whose
headers are malformed, is parked once rather than lost or looped; an event its source's broker user
did not publish is parked, never applied; a parking lot that fails is backed off from; requests past
their deadline are dropped; a command with an idempotency key happens once; the store's heartbeat is
a write.

The probe runs as the production names a service's broker user (`<prefix>probe`) and its events come
from its source's (`<prefix>probesrc`), so the publisher check is the production one."""
import hashlib
import pickle
import threading
import time
import uuid

import pytest
from kombu import Connection
from nameko.exceptions import RpcTimeout
from nameko.standalone.events import get_event_exchange

from kernel.errors import Conflict, Invalid
from kernel.settings import load_settings
from kernel.store import Store
from tests.conftest import PROBE_QUEUES, caller, fresh_queues, service_env, start_service, unique

PROBE_ADMIN = "probe-admin"
QUEUE = "evt-probesrc-probesrc.thing.happened.v1--probe.on_thing"


@pytest.fixture(scope="module")
def probe(amqp_uri, mongo_uri, tmp_path_factory, rpc, broker_users):
    fresh_queues(amqp_uri, *PROBE_QUEUES)
    prefix = unique("probe_")
    env = service_env(broker_users.uri("probe"), mongo_uri, prefix, HANDLER_RETRY_DELAYS="0.2,0.4",
                      PROBE_ADMIN_USER=PROBE_ADMIN)
    svc = start_service("tests.service.probe_service:ProbeService", env, tmp_path_factory.mktemp("logs") / "probe.log", rpc,
                        "probe.ping")
    svc.store = Store.connect(mongo_uri, load_settings().model_copy(
        update={"mongo_db_prefix": prefix}).database_name("probe"))
    svc.source = broker_users.uri("probesrc")      # the publisher of the events it consumes
    svc.user = broker_users.user("probe")
    yield svc
    svc.stop()


@pytest.fixture(scope="module")
def operator(amqp_uri, probe):
    with caller(amqp_uri, PROBE_ADMIN) as proxy:
        yield proxy


def publish(uri, event_id, fail=False, headers=None, event_type="probesrc.thing.happened.v1", counter=None,
            user_id=True, routing_key="probesrc.thing.happened.v1"):
    """An event as its publisher sends it: `user_id` the connection's user (True), none (None), or a given one."""
    data = {"fail": fail, **({"counter": counter} if counter else {})}
    body = {"specversion": "1.0", "id": event_id, "source": "/khadem/probesrc", "type": event_type,
            "time": "2024-10-06T10:00:00Z", "data": data}
    exchange = get_event_exchange("probesrc", {})
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        who = {"user_id": conn.userid if user_id is True else user_id} if user_id else {}
        conn.Producer().publish(body, exchange=exchange, routing_key=routing_key,
                                serializer="json", declare=[exchange], headers=headers or {}, **who)


def publish_raw(uri, body: bytes, content_type: str, marker: str):
    exchange = get_event_exchange("probesrc", {})
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(body, exchange=exchange, routing_key="probesrc.thing.happened.v1",
                                content_type=content_type, content_encoding="binary",
                                headers={"marker": marker}, declare=[exchange], user_id=conn.userid)


def wait_until(fn, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    return fn()


def test_redelivered_event_is_applied_once(probe, rpc, amqp_uri):
    before = rpc.probe.counts("none")["applied"]
    eid = uuid.uuid4().hex
    publish(probe.source, eid)
    publish(probe.source, eid)  # the same event again, as a redelivery would bring it
    assert wait_until(lambda: rpc.probe.counts(eid)["attempts"] == 2)
    time.sleep(0.3)
    assert rpc.probe.counts(eid)["applied"] == before + 1


def publish_batch(uri, events: list[dict]):
    """Events of the batching handler, published back to back on one connection."""
    exchange = get_event_exchange("probesrc", {})
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        for e in events:
            body = {"specversion": "1.0", "id": e["id"], "source": "/khadem/probesrc", "type": "probesrc.batch.v1",
                    "time": "2024-10-06T10:00:00Z", "data": e.get("data", {})}
            producer.publish(body, exchange=exchange, routing_key="probesrc.batch.v1", serializer="json",
                             declare=[exchange], user_id=conn.userid)


def test_a_batching_handler_applies_a_burst_in_batches_each_event_once(probe, rpc, amqp_uri):
    counter = f"batch-{uuid.uuid4().hex[:6]}"
    events = [{"id": uuid.uuid4().hex, "data": {"counter": counter}} for _ in range(60)]
    publish_batch(probe.source, events + events[:5])   # five of them again, as redeliveries would bring them
    assert wait_until(lambda: rpc.probe.counts("-", counter)["applied"] >= 60)
    time.sleep(0.5)
    assert rpc.probe.counts("-", counter)["applied"] == 60
    sizes = rpc.probe.batch_sizes()
    assert sum(sizes) == 65 and max(sizes) > 1, sizes   # gathered, not one transaction per event


def test_a_failing_batch_goes_again_event_by_event_and_only_the_bad_one_is_parked(probe, rpc, operator, amqp_uri):
    counter = f"batch-{uuid.uuid4().hex[:6]}"
    events = [{"id": uuid.uuid4().hex, "data": {"counter": counter}} for _ in range(20)]
    bad = uuid.uuid4().hex
    events.insert(7, {"id": bad, "data": {"counter": counter, "fail": True}})
    publish_batch(probe.source, events)
    assert wait_until(lambda: rpc.probe.counts("-", counter)["applied"] >= 20)
    parked = wait_until(lambda: [p for p in operator.probe.parked_list() if p["event_id"] == bad])
    assert parked and parked[0]["handler"] == "probe.on_batch"
    assert parked[0]["attempts"] == 3   # its own attempt and the two retries (HANDLER_RETRY_DELAYS)
    time.sleep(0.5)
    assert rpc.probe.counts("-", counter)["applied"] == 20
    assert not [p for p in operator.probe.parked_list() if p["event_id"] in {e["id"] for e in events} - {bad}]


def test_failing_handler_is_retried_then_parked_and_can_be_replayed(probe, rpc, operator, amqp_uri):
    eid = uuid.uuid4().hex
    publish(probe.source, eid, fail=True)
    parked = wait_until(lambda: [p for p in operator.probe.parked_list() if p["event_id"] == eid])
    assert parked, "the failing message was not parked"
    assert rpc.probe.counts(eid)["attempts"] == 3  # the first try and two retries (0.2 s, 0.4 s)
    row = parked[0]
    assert row["attempts"] == 3 and "asked to fail" in row["error"] and row["handler"] == "probe.on_thing"
    assert operator.probe.outbox_status()["parked"] >= 1
    operator.probe.parked_replay(row["id"])
    assert wait_until(lambda: rpc.probe.counts(eid)["attempts"] >= 4)
    assert all(p["id"] != row["id"] for p in operator.probe.parked_list())


@pytest.mark.parametrize("body,content_type", [
    (b'{"id": "not json', "application/json"),
    (pickle.dumps({"id": "x", "type": "probesrc.thing.happened.v1"}), "application/x-python-serialize"),
    ("سلام".encode(), "text/plain"),
], ids=["bad-json", "pickle", "text"])
def test_a_message_that_cannot_be_decoded_is_parked_with_its_raw_body(probe, rpc, operator, amqp_uri,
                                                                       body, content_type):
    marker = uuid.uuid4().hex
    publish_raw(probe.source, body, content_type, marker)

    def parked():
        return [p for p in operator.probe.parked_list()
                if any(h["name"] == "marker" and h["value"] == marker for h in p["headers"])]
    rows = wait_until(parked)
    assert rows, "the undecodable message was not parked"
    row = rows[0]
    assert row["content_type"] == content_type and row["body"] is None and row["raw_body"]
    assert "could not be decoded" in row["error"] and row["queue"] == QUEUE
    # The handler goes on with the messages behind it.
    eid = uuid.uuid4().hex
    publish(probe.source, eid)
    assert wait_until(lambda: rpc.probe.counts(eid)["attempts"] == 1)


@pytest.mark.parametrize("value", ["abc", [1, 2], -5, 10 ** 9], ids=["text", "list", "negative", "huge"])
def test_a_malformed_attempt_counter_parks_the_message_instead_of_looping(probe, rpc, operator, amqp_uri, value):
    eid = uuid.uuid4().hex
    publish(probe.source, eid, fail=True, headers={"x-khadem-attempts": value})
    parked = wait_until(lambda: [p for p in operator.probe.parked_list() if p["event_id"] == eid])
    assert parked, "the message was not parked"
    time.sleep(1.0)
    assert rpc.probe.counts(eid)["attempts"] == 1, "parked after its one attempt, not retried"


def test_when_parking_fails_the_worker_backs_off_instead_of_looping(probe, rpc, operator, amqp_uri):
    """A parked row that may exist once (a unique index) makes the next parking of that kind fail."""
    kind = f"probesrc.poison{uuid.uuid4().hex[:6]}.v1"
    probe.store.db.parked_messages.create_index("event_type", unique=True, name=f"once_{kind}",
                                                 partialFilterExpression={"event_type": kind})
    probe.store.db.parked_messages.insert_one({"_id": "blocker-" + kind, "event_type": kind, "status": "blocker"})
    eid = uuid.uuid4().hex
    publish(probe.source, eid, fail=True, event_type=kind)
    assert wait_until(lambda: rpc.probe.counts(eid)["attempts"] == 3)  # the try and two retries
    time.sleep(8)
    assert rpc.probe.counts(eid)["attempts"] == 3, "no hot loop while parking fails"
    probe.store.db.parked_messages.delete_one({"_id": "blocker-" + kind})
    parked = wait_until(lambda: [p for p in operator.probe.parked_list() if p["event_id"] == eid], timeout=40)
    assert parked, "parked once parking works again"
    assert rpc.probe.counts(eid)["attempts"] <= 4


def test_a_request_past_its_deadline_is_dropped_unrun(probe, rpc, amqp_uri):
    with caller(amqp_uri, PROBE_ADMIN, timeout=2, deadline=time.time() - 1) as late:
        with pytest.raises(RpcTimeout):
            late.probe.increment("late")
    time.sleep(0.5)
    assert rpc.probe.counts("none", "late")["applied"] == 0
    with caller(amqp_uri, PROBE_ADMIN, deadline=time.time() + 10) as timely:
        timely.probe.increment("late")
    assert rpc.probe.counts("none", "late")["applied"] == 1


def test_a_command_with_an_idempotency_key_happens_once(probe, rpc, amqp_uri):
    key, counter = uuid.uuid4().hex, uuid.uuid4().hex
    results = []

    def send():
        with caller(amqp_uri, PROBE_ADMIN, idempotency_key=key, request_fingerprint="f1") as c:
            results.append(c.probe.increment(counter))
    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and len(set(results)) == 1, "every retry answers the first outcome"
    assert rpc.probe.counts("none", counter)["applied"] == 1
    with caller(amqp_uri, PROBE_ADMIN, idempotency_key=key, request_fingerprint="f2") as c:
        with pytest.raises(Invalid) as exc:
            c.probe.increment(counter)
    assert exc.value.field == "Idempotency-Key"
    # Another caller's same key is another command.
    with caller(amqp_uri, "someone-else", idempotency_key=key, request_fingerprint="f1") as c:
        c.probe.increment(counter)
    assert rpc.probe.counts("none", counter)["applied"] == 2


def test_ping_proves_the_store_takes_a_write(probe, rpc):
    first = rpc.probe.ping()
    assert first["store"] is True and first["store_write_ms"] > 0
    at1 = probe.store.db.heartbeats.find_one({"_id": "ping:probe"})["at"]
    time.sleep(0.05)
    rpc.probe.ping()
    assert probe.store.db.heartbeats.find_one({"_id": "ping:probe"})["at"] > at1


def test_operator_calls_need_an_administrator(probe, amqp_uri):
    from kernel.errors import Forbidden, Unauthenticated
    with caller(amqp_uri) as anonymous:
        with pytest.raises(Unauthenticated):
            anonymous.probe.parked_list()
    with caller(amqp_uri, "not-the-admin", actor='{"user_id": "x", "grants": [{"role": "admin"}]}') as forged:
        with pytest.raises(Forbidden):
            forged.probe.outbox_status()


def test_a_caller_must_be_signed_for_this_very_request(probe, amqp_uri):
    """The headers that used to say who calls (`nameko.user_id`) are believed no more: without the
    gateway's signature for this service and method, nothing runs — not even the counter's write."""
    from nameko.standalone.rpc import ClusterRpcProxy
    from kernel.caller import Signer, new_key, private_key
    from kernel.errors import Unauthenticated
    counter = f"signed-{uuid.uuid4().hex[:6]}"
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10,
                         context_data={"user_id": PROBE_ADMIN, "person_id": "p"}) as unsigned:
        with pytest.raises(Unauthenticated, match="no signed caller"):
            unsigned.probe.outbox_status()
        with pytest.raises(Unauthenticated):
            unsigned.probe.increment(counter)
    forger = Signer("gateway", private_key(new_key()[0]))   # the gateway's name, another key
    with caller(amqp_uri, PROBE_ADMIN, signer=forger) as forged:
        with pytest.raises(Unauthenticated, match="tampered"):
            forged.probe.increment(counter)
    # A real token, for another method, in the header of this one: refused.
    with caller(amqp_uri, PROBE_ADMIN) as real, ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as replayer:
        token = real.signer.sign("probe", "ping", real.context())
        replayer._worker_ctx.data.update(token)
        with pytest.raises(Unauthenticated, match="another request"):
            replayer.probe.increment(counter)
    assert probe.store.db.applied.find_one({"_id": counter}) is None
    with caller(amqp_uri, PROBE_ADMIN) as signed:   # and the real thing works
        assert signed.probe.outbox_status()["pending"] >= 0
        signed.probe.increment(counter)
    assert probe.store.db.applied.find_one({"_id": counter})["n"] == 1


@pytest.mark.parametrize("body,props", [
    ({"id": "forged"}, {}),                                # no args, no reply address
    ({"args": [], "kwargs": {}}, {}),                      # well formed, nowhere to answer
    (b"\x80not json", {"content_type": "application/json"}),
], ids=["malformed", "no-reply-to", "undecodable"])
def test_no_message_on_an_rpc_queue_brings_the_service_down(probe, rpc, amqp_uri, body, props):
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        kwargs = {"serializer": "json"} if isinstance(body, dict) else {"content_encoding": "binary", **props}
        conn.Producer().publish(body, exchange="", routing_key="rpc-probe", **kwargs)
    time.sleep(0.5)
    assert probe.proc.poll() is None, "the service died"
    assert rpc.probe.ping()["store"] is True


# ---------------------------------------------------------------- every message reaches a verdict

BATCH_QUEUE = "evt-probesrc-probesrc.batch.v1--probe.on_batch"
HUGE = 17 * 1024 * 1024     # more than a store document may hold
# kind → (body, content type, content encoding, reason on an event queue, reason on the RPC queue)
KINDS = {
    "bytes": (b"\x00\x01\x02 raw bytes", "application/octet-stream", "binary", "undecodable", "undecodable"),
    # text/plain in UTF-8: the AMQP client hands it over as a `str` (what made parking raise TypeError)
    "str": ("متن ساده، نه رویداد".encode(), "text/plain", "utf-8", "undecodable", "undecodable"),
    "empty": (b"", "application/json", "utf-8", "not-an-event", "rpc"),
    "invalid-utf8": (b"\x80\x81 {\"id\": \xfe}", "application/json", "utf-8", "undecodable", "undecodable"),
    "bad-json-str": ('{"id": "یک", '.encode(), "application/json", "utf-8", "undecodable", "undecodable"),
    "huge": (b"x" * HUGE, "application/json", "utf-8", "undecodable", "undecodable"),
    "json-string": (b'"an event? no"', "application/json", "utf-8", "not-an-event", "rpc"),
    "json-list": (b"[1, 2, 3]", "application/json", "utf-8", "not-an-event", "rpc"),
    "json-number": (b"42", "application/json", "utf-8", "not-an-event", "rpc"),
    "json-null": (b"null", "application/json", "utf-8", "not-an-event", "rpc"),
    "no-id": (b'{"type": "probesrc.thing.happened.v1", "data": {}}', "application/json", "utf-8",
              "not-an-event", "rpc"),
    "pickle": (pickle.dumps({"id": "x", "type": "probesrc.thing.happened.v1"}), "application/x-python-serialize",
               "binary", "undecodable", "undecodable"),
}


def parked_rows(store, markers: set[str], whole: bool = False) -> dict[str, list[dict]]:
    """marker → the parked rows that carry it (without their bytes unless `whole`)."""
    found: dict[str, list[dict]] = {}
    rows = store.db.parked_messages.find({"headers.name": "marker"}, None if whole else {"raw_body": 0, "body": 0})
    for row in rows:
        for h in row["headers"]:
            if h["name"] == "marker" and h["value"] in markers:
                found.setdefault(h["value"], []).append(row)
    return found


def test_every_kind_of_message_on_every_queue_of_the_service_is_parked_once_with_its_raw_bytes(probe, rpc,
                                                                                                operator,
                                                                                                broker_users):
    """Each kind of body to each of the probe's queues: the two handlers' (through their source's
    replay exchange, by queue name, as its publisher) and its RPC queue (through `nameko-rpc`, with
    no reply address). Each is parked exactly once, the first time, with the bytes that came (a huge
    one: its first megabyte, its size and sha256), and the consumers go on."""
    from kombu import Exchange

    from kernel.messaging import PARKED_BODY_LIMIT, replay_exchange
    queues = {QUEUE: (replay_exchange("probesrc"), QUEUE), BATCH_QUEUE: (replay_exchange("probesrc"), BATCH_QUEUE),
              "rpc-probe": (Exchange("nameko-rpc", type="topic", durable=True), "probe.ping")}
    sent: dict[str, tuple[str, str]] = {}    # marker → (kind, queue)
    with Connection(probe.source, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        for kind, (body, content_type, encoding, _, _) in KINDS.items():
            for queue, (exchange, key) in queues.items():
                marker = f"{kind}:{queue}:{uuid.uuid4().hex[:8]}"
                producer.publish(body, exchange=exchange, routing_key=key, content_type=content_type,
                                 content_encoding=encoding, headers={"marker": marker}, delivery_mode=2,
                                 mandatory=True, user_id=conn.userid)
                sent[marker] = (kind, queue)
    wait_until(lambda: len(parked_rows(probe.store, set(sent))) == len(sent), timeout=60)
    found = parked_rows(probe.store, set(sent))
    assert set(found) == set(sent), sorted(sent[m] for m in set(sent) - set(found))
    time.sleep(2.0)                                  # nothing parked twice, nothing looping back
    found = parked_rows(probe.store, set(sent), whole=True)
    for marker, (kind, queue) in sent.items():
        body, content_type, _, event_reason, rpc_reason = KINDS[kind]
        rows = found[marker]
        assert len(rows) == 1, (kind, queue, len(rows))
        row = rows[0]
        assert row["queue"] == queue and row["status"] == "parked" and row["attempts"] == 0, (kind, queue)
        assert row["reason"] == (rpc_reason if queue == "rpc-probe" else event_reason), (kind, queue, row["error"])
        assert row["handler"] == {"rpc-probe": "probe.rpc", QUEUE: "probe.on_thing",
                                  BATCH_QUEUE: "probe.on_batch"}[queue]
        assert row["body"] is None and row["content_type"] == content_type, (kind, queue)
        assert row["body_size"] == len(body) and row["body_sha256"] == hashlib.sha256(body).hexdigest()
        assert row["truncated"] == (kind == "huge")
        assert bytes(row["raw_body"]) == body[:PARKED_BODY_LIMIT], (kind, queue)
        assert row["user_id"] == broker_users.user("probesrc") and row["event_time"] is None
    # The handlers and the RPC entrypoints still answer.
    eid = uuid.uuid4().hex
    publish(probe.source, eid)
    assert wait_until(lambda: rpc.probe.counts(eid)["attempts"] == 1)
    # A truncated message cannot be replayed: the operator is told why.
    huge = next(r for m, r in found.items() if sent[m] == ("huge", QUEUE))[0]
    with pytest.raises(Conflict) as refused:
        operator.probe.parked_replay(huge["_id"])
    assert "cannot be replayed" in str(refused.value) and huge["body_sha256"] in str(refused.value)
    # The operator's list shows a preview of a raw body, not its megabyte.
    listed = next(r for r in operator.probe.parked_list(500) if r["id"] == huge["_id"])
    assert len(listed["raw_body"]) <= 4096 and listed["body_size"] == HUGE


def test_a_parked_request_of_the_rpc_queue_is_replayed_through_the_services_own_delay_queue(probe, operator):
    """Back on its queue through `probe.delay.<ms>` (the service writes on nothing but its own
    exchanges), published as the service's own user; still unreadable, it is parked again."""
    marker = uuid.uuid4().hex
    with Connection(probe.source, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(b"\x00 unreadable", exchange="nameko-rpc", routing_key="probe.ping",
                                content_type="application/x-unknown", content_encoding="binary",
                                headers={"marker": marker})
    first = wait_until(lambda: parked_rows(probe.store, {marker}).get(marker))
    assert first and first[0]["queue"] == "rpc-probe"
    assert operator.probe.parked_replay(first[0]["_id"])["status"] == "replayed"
    wait_until(lambda: len(parked_rows(probe.store, {marker}).get(marker, [])) == 2)
    rows = parked_rows(probe.store, {marker})[marker]
    assert len(rows) == 2
    again = next(r for r in rows if r["_id"] != first[0]["_id"])
    assert again["queue"] == "rpc-probe" and again["user_id"] == probe.user and again["reason"] == "undecodable"
    assert probe.store.db.parked_messages.find_one({"_id": first[0]["_id"]})["status"] == "replayed"


# ---------------------------------------------------------------- events carry their publisher

def test_an_event_its_sources_broker_user_did_not_publish_is_parked_never_applied(probe, rpc, operator, amqp_uri,
                                                                                  broker_users):
    """The probe (`<prefix>probe`) takes `probesrc`'s events only from `<prefix>probesrc`: the same
    event from another service's user, from the broker's administrator, or with no `user_id` at all
    is parked unapplied (its handler never runs), and its replay from the parking lot is refused."""
    counter = f"forged-{uuid.uuid4().hex[:6]}"
    forgers = {"another service": (broker_users.uri("festival"), True),
               "the administrator": (amqp_uri, True),
               "no user_id": (probe.source, None)}
    forged = {}
    for who, (uri, user_id) in forgers.items():
        eid = uuid.uuid4().hex
        publish(uri, eid, counter=counter, user_id=user_id)
        forged[eid] = who
        batch_eid = uuid.uuid4().hex
        publish(uri, batch_eid, counter=counter, user_id=user_id, event_type="probesrc.batch.v1",
                routing_key="probesrc.batch.v1")
        forged[batch_eid] = who
    wait_until(lambda: probe.store.db.parked_messages.count_documents({"event_id": {"$in": list(forged)}}) == len(forged))
    rows = list(probe.store.db.parked_messages.find({"event_id": {"$in": list(forged)}}))
    assert {r["event_id"] for r in rows} == set(forged)
    for row in rows:
        assert row["reason"] == "publisher" and row["attempts"] == 0, row
        assert f"'{broker_users.user('probesrc')}'" in row["error"], row["error"]
        assert row["handler"] in ("probe.on_thing", "probe.on_batch") and row["event_time"] is None
    assert {r["handler"] for r in rows} == {"probe.on_thing", "probe.on_batch"}
    for eid in forged:
        assert rpc.probe.counts(eid, counter) == {"attempts": 0, "applied": 0}, forged[eid]
    with pytest.raises(Conflict) as refused:
        operator.probe.parked_replay(rows[0]["_id"])
    assert "forged" in str(refused.value)
    # From its source's user, the same kind of event is applied.
    genuine = uuid.uuid4().hex
    publish(probe.source, genuine, counter=counter)
    assert wait_until(lambda: rpc.probe.counts(genuine, counter) == {"attempts": 1, "applied": 1})
