"""Who may publish an event, and what a consumer accepts as one, without a broker: the publisher a
process expects for a source (derived from its own broker user), the refusal of any other, and the
verdict on bodies that decode to something other than an event."""
import pytest

from kernel.events import expected_publisher, publisher_refusal
from kernel.messaging import event_refusal, raw_body_of


@pytest.mark.parametrize("own,owner,source,expected", [
    ("khadem_registry", "registry", "oversight", "khadem_oversight"),     # the production names
    ("khadem_reports", "reports", "reports", "khadem_reports"),           # a service's own events
    ("t1a2x3f4_probe", "probe", "probesrc", "t1a2x3f4_probesrc"),         # another prefix
    ("registry", "registry", "festival", "festival"),                      # no prefix at all
    ("khadem_gateway", "gateway", "registry", "khadem_registry"),         # the gateway's listener
    ("guest", "registry", "oversight", "guest"),                           # every process shares one user
    ("guest", "gateway", "registry", "guest"),
])
def test_the_expected_publisher_is_the_sources_user_under_the_processs_own_prefix(own, owner, source, expected):
    assert expected_publisher(own, owner, source) == expected


def test_a_ruling_is_accepted_only_from_oversight_and_a_membership_only_from_the_registry():
    # The registry's handler of oversight's rulings.
    assert publisher_refusal("khadem_oversight", "khadem_registry", "registry", "oversight") is None
    forged = publisher_refusal("khadem_festival", "khadem_registry", "registry", "oversight")
    assert forged and "'khadem_festival'" in forged and "'khadem_oversight'" in forged
    # The reports service's handler of the registry's memberships.
    assert publisher_refusal("khadem_registry", "khadem_reports", "reports", "registry") is None
    assert publisher_refusal("khadem_oversight", "khadem_reports", "reports", "registry")


@pytest.mark.parametrize("user_id", [None, "", 42, b"khadem_oversight"])
def test_an_event_without_a_publisher_is_refused(user_id):
    refusal = publisher_refusal(user_id, "khadem_registry", "registry", "oversight")
    assert refusal is not None and "khadem_oversight" in refusal


def test_the_consumers_own_user_is_accepted_it_alone_puts_messages_back():
    """Retries and deferrals through the service's own delay queues, and an operator's replay of a
    parked message, are published by the consumer's process itself."""
    assert publisher_refusal("khadem_registry", "khadem_registry", "registry", "oversight") is None


def test_with_one_shared_user_that_user_is_the_publisher_and_nobody_else():
    assert publisher_refusal("guest", "guest", "registry", "oversight") is None
    assert publisher_refusal("intruder", "guest", "registry", "oversight")
    assert publisher_refusal(None, "guest", "registry", "oversight")


@pytest.mark.parametrize("body,says", [
    ("hello", "string"), ([1, 2], "array"), (7, "number"), (1.5, "number"), (None, "null"), (True, "boolean"),
    (b"", "raw body"), ("", "string"),
    ({}, "no id and no type"), ({"id": "e1"}, "no type"), ({"type": "probesrc.x.v1"}, "no id"),
    ({"id": 5, "type": "probesrc.x.v1"}, "no id"), ({"id": "e1", "type": ["probesrc"]}, "no type"),
    ({"id": "e1", "type": "registry.user.created.v1"}, "not an event of probesrc"),
])
def test_what_decodes_but_is_no_event_of_the_source_is_refused(body, says):
    refusal = event_refusal(body, "probesrc")
    assert refusal is not None and says in refusal


def test_an_event_of_the_source_passes():
    assert event_refusal({"id": "e1", "type": "probesrc.thing.happened.v1", "data": {}}, "probesrc") is None


class _Message:
    def __init__(self, body, content_encoding):
        self.body = body
        self.content_encoding = content_encoding


@pytest.mark.parametrize("body,encoding,raw", [
    (b"\xff\xfe not utf-8", "utf-8", b"\xff\xfe not utf-8"),       # left as bytes by the client
    ("سلام", "utf-8", "سلام".encode()),                             # decoded by the client: encoded back
    ("caf\xe9", "latin-1", b"caf\xe9"),
    ("x", "no-such-codec", b"x"),
    (None, None, b""),
    (bytearray(b"ab"), "binary", b"ab"),
    (memoryview(b"ab"), None, b"ab"),
])
def test_the_raw_bytes_of_a_body_of_any_type_and_encoding(body, encoding, raw):
    assert raw_body_of(_Message(body, encoding)) == raw
