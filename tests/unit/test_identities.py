"""The gateway's memory of who callers are (gateway.identity), without a broker: what it serves,
and everything that makes it forget."""
from datetime import date

import pytest

from gateway import identity
from gateway.identity import Identities
from kernel.access import Actor


def actor(uid="u1", admin=False) -> Actor:
    grants = [{"role": "admin", "scope_id": "IR", "scope_kind": "country", "field": None}] if admin else []
    return Actor(user_id=uid, person_id=f"p-{uid}", username=uid, grants=grants, kanoon_id=None)


@pytest.fixture
def ids():
    i = Identities("amqp://unused", ttl=300)
    i._set_listening(True)   # as the event thread does once it hears the registry's events
    return i


def test_an_actor_fetched_while_nothing_changed_is_served_from_memory(ids):
    t = ids.ticket()
    ids.put("u1", actor(), t)
    assert ids.get("u1") == actor()
    assert ids.get("u2") is None


class Message:
    """A message on the listener's queue, as published by `user_id`."""

    def __init__(self, user_id=None):
        self.properties = {"user_id": user_id} if user_id is not None else {}


def test_any_registry_event_or_own_command_forgets_everyone(ids):
    ids.put("u1", actor(), ids.ticket())
    ids.put("u2", actor("u2"), ids.ticket())
    ids._on_message(Message("guest"))   # a registry event, whatever it is (every process as `guest` here)
    assert ids.get("u1") is None and ids.get("u2") is None
    ids.put("u1", actor(), ids.ticket())
    ids.forget_all()            # after a command this process forwarded to the registry
    assert ids.get("u1") is None


def test_a_fetch_under_way_while_something_changed_is_not_kept(ids):
    t = ids.ticket()            # the fetch starts and reads the registry ...
    ids.forget_all()            # ... a role is revoked meanwhile ...
    ids.put("u1", actor(admin=True), t)   # ... and the fetch's (old) answer arrives
    assert ids.get("u1") is None


def test_nothing_is_remembered_or_served_while_the_events_are_not_heard(ids):
    ids.put("u1", actor(), ids.ticket())
    ids._set_listening(False)   # the connection to the broker is lost
    assert ids.get("u1") is None
    ids.put("u1", actor(), ids.ticket())
    ids._set_listening(True)    # heard again: what came before is not trusted
    assert ids.get("u1") is None


def test_an_entry_ends_with_its_time_and_with_the_date(ids, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(identity.time, "monotonic", lambda: clock[0])
    ids.put("u1", actor(), ids.ticket())
    clock[0] += 299
    assert ids.get("u1") is not None
    clock[0] += 2
    assert ids.get("u1") is None
    ids.put("u1", actor(), ids.ticket())
    monkeypatch.setattr(identity.jalali, "today", lambda: date(2099, 1, 1))   # a role may start or end today
    assert ids.get("u1") is None


def test_a_ttl_of_zero_turns_the_memory_off():
    ids = Identities("amqp://unused", ttl=0)
    ids._set_listening(True)
    ids.put("u1", actor(), ids.ticket())
    assert not ids.enabled and ids.get("u1") is None


def test_only_what_the_registrys_user_published_makes_it_forget():
    """The gateway signs in as `<prefix>gateway`; only `<prefix>registry`'s messages count."""
    ids = Identities("amqp://khadem_gateway:pw@broker:5672/", ttl=300)
    ids._set_listening(True)
    ids.put("u1", actor(), ids.ticket())
    for forged in (Message("khadem_festival"), Message("guest"), Message()):
        ids._on_message(forged)
    assert ids.get("u1") == actor() and ids.ignored == 3
    ids._on_message(Message("khadem_registry"))
    assert ids.get("u1") is None
