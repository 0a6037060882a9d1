"""The signed caller (kernel.caller): what a service believes of who is calling, and what it refuses."""
from __future__ import annotations

import base64
import json
import time

import pytest

from kernel.caller import (DEV_SIGNING_KEY, GATEWAY, Signer, Verifier, new_key, parse_verify_keys, private_key,
                           public_text)
from kernel.errors import Unauthenticated
from kernel.settings import Settings

GATEWAY_KEY, GATEWAY_PUBLIC = new_key()
CONTEXT = {"request_id": "r1", "user_id": "u_1", "person_id": "p_1", "deadline": time.time() + 10,
           "idempotency_key": "k1", "request_fingerprint": "f1", "client_address": "10.0.0.1"}


def gateway() -> Signer:
    return Signer(GATEWAY, private_key(GATEWAY_KEY))


def verifier(**more: str) -> Verifier:
    keys = f"{GATEWAY}:{GATEWAY_PUBLIC}" + "".join(f",{k}:{v}" for k, v in more.items())
    return Verifier(parse_verify_keys(keys))


def test_a_token_signed_by_the_gateway_gives_the_callers_context():
    token = gateway().token("registry", "create_unit", CONTEXT)
    claims = verifier().verify(token, "registry", "create_unit")
    assert claims.signer == GATEWAY and claims.service is None
    assert claims.context == CONTEXT


def test_nothing_unsigned_is_believed():
    with pytest.raises(Unauthenticated, match="no signed caller"):
        verifier().verify(None, "registry", "create_unit")
    with pytest.raises(Unauthenticated, match="malformed"):
        verifier().verify("user_id=u_admin", "registry", "create_unit")


def _tamper(token: str, **changes) -> str:
    version, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["ctx"].update(changes)
    new = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{version}.{new}.{signature}"


def test_a_changed_person_breaks_the_signature():
    token = gateway().token("registry", "create_unit", CONTEXT)
    with pytest.raises(Unauthenticated, match="tampered"):
        verifier().verify(_tamper(token, user_id="u_admin", person_id="p_admin"), "registry", "create_unit")


def test_a_key_no_service_knows_is_refused():
    forger = Signer(GATEWAY, private_key(new_key()[0]))   # calls itself the gateway, with its own key
    with pytest.raises(Unauthenticated, match="tampered"):
        verifier().verify(forger.token("registry", "create_unit", CONTEXT), "registry", "create_unit")
    stranger = Signer("festival", private_key(new_key()[0]))
    with pytest.raises(Unauthenticated, match="no one this service knows"):
        verifier().verify(stranger.token("registry", "ping", {}), "registry", "ping")


def test_a_token_serves_one_service_and_method_only():
    """A service that receives a caller's token (festival, for a festival request) cannot use it to act
    as that person elsewhere."""
    token = gateway().token("festival", "submit_work", CONTEXT)
    with pytest.raises(Unauthenticated, match="another request"):
        verifier().verify(token, "registry", "create_unit")
    with pytest.raises(Unauthenticated, match="another request"):
        verifier().verify(token, "festival", "score_work")


def test_a_token_expires_at_its_deadline():
    now = time.time()
    token = gateway().token("registry", "ping", {**CONTEXT, "deadline": now + 5}, now=now)
    assert verifier().verify(token, "registry", "ping", now=now + 4).context["user_id"] == "u_1"
    with pytest.raises(Unauthenticated, match="expired"):
        verifier().verify(token, "registry", "ping", now=now + 6)
    # No deadline (or one already past, which the service then drops): a minute at most.
    token = gateway().token("registry", "ping", {"request_id": "r"}, now=now)
    with pytest.raises(Unauthenticated, match="expired"):
        verifier().verify(token, "registry", "ping", now=now + 61)
    # Signed in the future beyond the clock skew: refused.
    token = gateway().token("registry", "ping", {"request_id": "r"}, now=now + 3600)
    with pytest.raises(Unauthenticated, match="lifetime"):
        verifier().verify(token, "registry", "ping", now=now)


def test_only_the_gateway_names_a_person():
    key, public = new_key()
    service = Signer("reports", private_key(key))
    with pytest.raises(ValueError):
        service.token("registry", "ping", {"user_id": "u_1"})
    claims = verifier(reports=public).verify(service.token("registry", "ping", {"request_id": "r9"}),
                                             "registry", "ping")
    assert claims.service == "reports" and claims.context == {"request_id": "r9"}


def test_production_refuses_missing_and_development_keys():
    base = dict(environment="production", jwt_secret="j" * 40, data_keys="")
    dev_public = f"{GATEWAY}:{public_text(private_key(DEV_SIGNING_KEY))}"
    for bad in ("", DEV_SIGNING_KEY):
        with pytest.raises(ValueError, match="CALLER_SIGNING_KEY"):
            Signer.from_settings(Settings.model_construct(**base, caller_signing_key=bad, caller_signer=GATEWAY))
    for bad in ("", dev_public):
        with pytest.raises(ValueError, match="CALLER_VERIFY_KEYS"):
            Verifier.from_settings(Settings.model_construct(**base, caller_verify_keys=bad))
    with pytest.raises(ValueError):
        parse_verify_keys("change-me-gateway-public-key")
    good = Verifier.from_settings(Settings.model_construct(**base, caller_verify_keys=f"{GATEWAY}:{GATEWAY_PUBLIC}"))
    assert good.verify(gateway().token("a", "b", {}), "a", "b").signer == GATEWAY
    # Development: the development pair on both sides, with nothing set.
    dev = dict(environment="development", caller_signing_key="", caller_signer=GATEWAY, caller_verify_keys="")
    token = Signer.from_settings(Settings.model_construct(**dev)).token("a", "b", {"user_id": "u"})
    assert Verifier.from_settings(Settings.model_construct(**dev)).verify(token, "a", "b").context == {"user_id": "u"}
