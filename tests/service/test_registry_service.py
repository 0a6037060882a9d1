"""The registry as a real nameko process on the real broker and store: RPC answers, events leave
through the outbox with their envelope, errors arrive as themselves."""
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from kernel.access import Actor, Grant
from kernel.errors import Conflict, Forbidden, Invalid
from tests.conftest import service_env, start_service, unique

UNITS = [
    {"id": "IR", "name": "ایران", "kind": "country", "parent_id": None},
    {"id": "IR-R5", "name": "منطقه پنج", "kind": "region", "parent_id": "IR"},
    {"id": "IR-09", "name": "خراسان رضوی", "kind": "province", "parent_id": "IR-R5"},
    {"id": "IR-09-MSH", "name": "مشهد", "kind": "city", "parent_id": "IR-09"},
]


@pytest.fixture(scope="module")
def registry(amqp_uri, mongo_uri, tmp_path_factory, rpc):
    env = service_env(amqp_uri, mongo_uri, unique("reg_"))
    svc = start_service("services.registry.service:RegistryService", env, tmp_path_factory.mktemp("logs") / "registry.log", rpc,
                        "registry.ping")
    rpc.registry.load_units(UNITS)
    yield svc
    svc.stop()


def as_actor(amqp_uri, actor: Actor):
    return ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30,
                           context_data={"actor": actor.model_dump_json(), "request_id": "req-test"})


ADMIN = Actor(user_id="u", person_id="p_admin", grants=[Grant(role="admin", scope_id="IR", scope_kind="country")])


def test_register_member_publishes_its_event_through_the_outbox(registry, amqp_uri, rpc, events):
    with as_actor(amqp_uri, ADMIN) as r:
        person = r.registry.register_member({
            "kind": "yavar", "national_id": "0499370899", "first_name": "علي", "last_name": "رضايي",
            "gender": "male", "birth_date": "1370/01/15", "education": "diploma", "city_id": "IR-09-MSH",
            "mobile": "09151234567"})
    assert person["first_name"] == "علی" and person["birth_date"] == "1991-04-04"
    got = events(until=lambda g: any(e["type"] == "registry.person.registered.v1" for e in g))
    ev = next(e for e in got if e["type"] == "registry.person.registered.v1")
    assert ev["data"]["person_id"] == person["id"] and ev["correlationid"] == "req-test"
    assert ev["specversion"] == "1.0" and ev["subject"] == f"person/{person['id']}"
    assert "national_id" not in ev["data"] and "mobile" not in ev["data"]
    status = rpc.registry.outbox_status()
    assert status["pending"] == 0 and status["sent"] >= 1


def test_errors_cross_rpc_as_themselves_and_change_nothing(registry, amqp_uri):
    nobody = Actor(user_id="u2", person_id="p2", grants=[])
    with as_actor(amqp_uri, nobody) as r:
        with pytest.raises(Forbidden):
            r.registry.register_member({
                "kind": "yavar", "national_id": "0016089316", "first_name": "a", "last_name": "b",
                "gender": "male", "birth_date": "1370/01/15", "education": "diploma", "city_id": "IR-09-MSH",
                "mobile": "09151234567"})
    with as_actor(amqp_uri, ADMIN) as r:
        with pytest.raises(Invalid) as exc:
            r.registry.register_member({"kind": "yavar", "national_id": "123"})
        assert exc.value.field == "national_id"
        with pytest.raises(Conflict):  # the same national ID twice
            for _ in range(2):
                r.registry.register_member({
                    "kind": "yavar", "national_id": "0016089316", "first_name": "a", "last_name": "b",
                    "gender": "female", "birth_date": "1370/01/15", "education": "diploma",
                    "city_id": "IR-09-MSH", "mobile": "09151234567"})
        assert r.registry.unplaced_members("IR-09-MSH")["total"] == 2
