"""The registry as a real nameko process on the real broker and store: RPC answers, events leave
through the outbox with their envelope, errors arrive as themselves."""
import pytest

from kernel.errors import Conflict, Forbidden, Invalid
from tests.conftest import caller, service_env, start_service, unique


@pytest.fixture(scope="module")
def registry(amqp_uri, mongo_uri, tmp_path_factory, rpc):
    """The registry, which loads the unit tree when it starts, and its first administrator."""
    env = service_env(amqp_uri, mongo_uri, unique("reg_"))
    svc = start_service("services.registry.service:RegistryService", env, tmp_path_factory.mktemp("logs") / "registry.log", rpc,
                        "registry.ping")
    try:
        admin = rpc.registry.bootstrap_admin("root", "service-tests-password-1", "مدیر", "سامانه")
        yield {"svc": svc, "admin": admin}
    finally:
        svc.stop()   # also when the set-up fails: a registry left running would answer the next suite's calls


def as_admin(amqp_uri, registry):
    return caller(amqp_uri, registry["admin"]["id"], registry["admin"]["person_id"])


def test_register_member_publishes_its_event_through_the_outbox(registry, amqp_uri, rpc, events):
    with as_admin(amqp_uri, registry) as r:
        person = r.registry.register_member({
            "kind": "yavar", "national_id": "0499370899", "first_name": "علي", "last_name": "رضايي",
            "gender": "male", "birth_date": "1370/01/15", "education": "diploma", "city_id": "IR-09-MSH",
            "mobile": "09151234567"})
    assert person["first_name"] == "علی" and person["birth_date"] == "1991-04-04"
    def mine(e):
        return e["type"] == "registry.person.registered.v1" and e["data"]["person_id"] == person["id"]
    ev = next(e for e in events(until=lambda g: any(mine(e) for e in g)) if mine(e))
    assert ev["data"]["person_id"] == person["id"] and ev["correlationid"] == "req-test"
    assert ev["specversion"] == "1.0" and ev["subject"] == f"person/{person['id']}"
    assert "national_id" not in ev["data"] and "mobile" not in ev["data"]
    with as_admin(amqp_uri, registry) as r:
        status = r.registry.outbox_status()
    assert status["pending"] == 0 and status["sent"] >= 1


def test_errors_cross_rpc_as_themselves_and_change_nothing(registry, amqp_uri):
    with as_admin(amqp_uri, registry) as r:
        someone = r.registry.register_member({
            "kind": "yavar", "national_id": "0067749828", "first_name": "a", "last_name": "b",
            "gender": "male", "birth_date": "1370/01/15", "education": "diploma", "city_id": "IR-09-MSH",
            "mobile": "09151234567"})
        user = r.registry.create_account({"person_id": someone["id"], "username": "someone",
                                          "password": "password-123"})
    with caller(amqp_uri, user["id"], someone["id"]) as r:
        with pytest.raises(Forbidden):
            r.registry.register_member({
                "kind": "yavar", "national_id": "0016089316", "first_name": "a", "last_name": "b",
                "gender": "male", "birth_date": "1370/01/15", "education": "diploma", "city_id": "IR-09-MSH",
                "mobile": "09151234567"})
    with as_admin(amqp_uri, registry) as r:
        with pytest.raises(Invalid) as exc:
            r.registry.register_member({"kind": "yavar", "national_id": "123"})
        assert exc.value.field == "national_id"
        with pytest.raises(Conflict):  # the same national ID twice
            for _ in range(2):
                r.registry.register_member({
                    "kind": "yavar", "national_id": "0016089316", "first_name": "a", "last_name": "b",
                    "gender": "female", "birth_date": "1370/01/15", "education": "diploma",
                    "city_id": "IR-09-MSH", "mobile": "09151234567"})
        assert r.registry.unplaced_members("IR-09-MSH")["total"] == 3
