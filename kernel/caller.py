"""Who is calling, signed: the only caller's context a service believes.

Anyone holding broker credentials can put an RPC request on the bus with any headers, so a service
does not believe the headers. The gateway — and only it — signs the caller's context it verified
from the bearer token (user, person, request id, deadline, idempotency key and the request's
fingerprint, the client's address) with an Ed25519 key that only it holds (`CALLER_SIGNING_KEY`);
every service holds the public keys (`CALLER_VERIFY_KEYS`) and refuses, before any rule runs, a
request whose token is missing, tampered with, expired, or addressed to another service or method
(`kernel.service.DeadlineRpc`). Another service holding a token it received (a caller's request to
it) cannot use it elsewhere: a token names the one `<service>.<method>` it is for, and lives until
the request's deadline.

A service calling another signs with its own key, as its own signer (`CALLER_SIGNER=<service>`);
such a token carries no person (only the gateway's may name one): the callee sees the calling
service in `RequestContext.caller_service`. No service calls another today; operators' tools sign
as the gateway with its key (`make admin`).

Token: `v1.<payload>.<signature>`, both base64url; the payload is JSON
`{"iss": signer, "aud": "<service>.<method>", "iat": t, "exp": t, "ctx": {...}}`.

Development: with no keys set, a development key pair known to everyone (`DEV_SIGNING_KEY`), refused
in production like the development JWT secret. `python -m kernel.caller new-key` prints a new pair.
"""
from __future__ import annotations

import base64
import hashlib
import json
import sys
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .errors import Unauthenticated

HEADER = "caller"          # the context key (AMQP header `nameko.caller`) that carries the token
GATEWAY = "gateway"        # the only signer whose tokens may name a person
# What the token carries of the context (everything a service reads of who is calling).
FIELDS = ("request_id", "user_id", "person_id", "deadline", "idempotency_key", "request_fingerprint",
          "client_address")
MAX_LIFETIME = 900.0       # seconds from signing to expiry at most
CLOCK_SKEW = 30.0          # seconds a signer's clock may run ahead of ours

# The development key: derived from a public phrase, so every development process agrees on it and
# production refuses it.
DEV_SIGNING_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"khadem development caller key").digest()).decode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def private_key(text: str) -> Ed25519PrivateKey:
    raw = _unb64(text.strip())
    if len(raw) != 32:
        raise ValueError("a caller signing key is 32 bytes, base64url")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_text(key: Ed25519PrivateKey) -> str:
    return _b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def new_key() -> tuple[str, str]:
    """A new (private, public) pair, base64url."""
    key = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return _b64(raw), public_text(key)


def parse_verify_keys(text: str) -> dict[str, Ed25519PublicKey]:
    """`gateway:<public>,registry:<public>` → {signer: key}."""
    out = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.strip().partition(":")
        if not sep or not name or not value:
            raise ValueError("CALLER_VERIFY_KEYS is `signer:<public key>` pairs, comma-separated")
        raw = _unb64(value)
        if len(raw) != 32:
            raise ValueError(f"the public key of {name} in CALLER_VERIFY_KEYS is not 32 bytes, base64url")
        out[name] = Ed25519PublicKey.from_public_bytes(raw)
    return out


# ---------------------------------------------------------------- signing

class Signer:
    def __init__(self, name: str, key: Ed25519PrivateKey):
        self.name = name
        self._key = key

    @classmethod
    def from_settings(cls, settings) -> "Signer":
        text = settings.caller_signing_key.strip()
        if not text:
            if settings.environment == "production":
                raise ValueError("CALLER_SIGNING_KEY must be set in production (python -m kernel.caller new-key)")
            text = DEV_SIGNING_KEY
        elif settings.environment == "production" and text == DEV_SIGNING_KEY:
            raise ValueError("CALLER_SIGNING_KEY is the development key; production needs its own")
        return cls(settings.caller_signer or GATEWAY, private_key(text))

    def token(self, service: str, method: str, context: dict, now: float | None = None) -> str:
        now = time.time() if now is None else now
        ctx = {k: context[k] for k in FIELDS if context.get(k) is not None}
        if self.name != GATEWAY and (ctx.get("user_id") or ctx.get("person_id")):
            raise ValueError("only the gateway signs a person's context")
        deadline = ctx.get("deadline")
        exp = float(deadline) if isinstance(deadline, (int, float)) and deadline > now else now + 60.0
        payload = {"iss": self.name, "aud": f"{service}.{method}", "iat": round(now, 3),
                   "exp": round(min(exp, now + MAX_LIFETIME), 3), "ctx": ctx}
        body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
        return f"v1.{body}.{_b64(self._key.sign(body.encode()))}"

    def sign(self, service: str, method: str, context: dict) -> dict:
        """The context data to send: only the token (a service reads nothing else of who calls)."""
        return {HEADER: self.token(service, method, context)}


# ---------------------------------------------------------------- verifying

@dataclass(frozen=True)
class Claims:
    signer: str
    context: dict
    expires: float = 0.0

    @property
    def service(self) -> str | None:
        """The calling service, when a service (not the gateway) signed."""
        return None if self.signer == GATEWAY else self.signer


class Verifier:
    def __init__(self, keys: dict[str, Ed25519PublicKey]):
        self.keys = keys

    @classmethod
    def from_settings(cls, settings) -> "Verifier":
        text = settings.caller_verify_keys.strip()
        dev = f"{GATEWAY}:{public_text(private_key(DEV_SIGNING_KEY))}"
        if not text:
            if settings.environment == "production":
                raise ValueError("CALLER_VERIFY_KEYS must be set in production (the gateway's public key)")
            text = dev
        keys = parse_verify_keys(text)
        if settings.environment == "production" and GATEWAY in keys and \
                keys[GATEWAY].public_bytes(Encoding.Raw, PublicFormat.Raw) == parse_verify_keys(dev)[GATEWAY].public_bytes(
                    Encoding.Raw, PublicFormat.Raw):
            raise ValueError("CALLER_VERIFY_KEYS holds the development key; production needs the gateway's own")
        return cls(keys)

    def verify(self, token, service: str, method: str, now: float | None = None, expiry: bool = True) -> Claims:
        """The claims of a token for `service.method`; Unauthenticated (before any rule) if it is
        missing, malformed, signed by no known key, tampered with, expired or meant for another.
        `expiry=False` leaves the expiry to the caller (`Claims.expires`): an RPC entrypoint drops a
        request that comes too late, as one past its deadline, without answering it."""
        now = time.time() if now is None else now
        if not isinstance(token, str) or not token:
            raise Unauthenticated("this request carries no signed caller; only the gateway may call this service")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "v1":
            raise Unauthenticated("the caller's token is malformed")
        try:
            payload = json.loads(_unb64(parts[1]))
            signature = _unb64(parts[2])
        except (ValueError, UnicodeDecodeError):
            raise Unauthenticated("the caller's token is malformed") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("ctx"), dict):
            raise Unauthenticated("the caller's token is malformed")
        signer = payload.get("iss")
        key = self.keys.get(signer) if isinstance(signer, str) else None
        if key is None:
            raise Unauthenticated("the caller's token is signed by no one this service knows")
        try:
            key.verify(signature, parts[1].encode())
        except InvalidSignature:
            raise Unauthenticated("the caller's token was tampered with") from None
        if payload.get("aud") != f"{service}.{method}":
            raise Unauthenticated("the caller's token is for another request")
        iat, exp = payload.get("iat"), payload.get("exp")
        if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)) or isinstance(iat, bool) \
                or iat > now + CLOCK_SKEW or exp - iat > MAX_LIFETIME:
            raise Unauthenticated("the caller's token has no valid lifetime")
        if expiry and now > exp:
            raise Unauthenticated("the caller's token has expired")
        ctx = {k: v for k, v in payload["ctx"].items() if k in FIELDS}
        if signer != GATEWAY and (ctx.get("user_id") or ctx.get("person_id")):
            raise Unauthenticated("only the gateway may name the person calling")
        return Claims(signer, ctx, float(exp))


# ---------------------------------------------------------------- a signing client

class _Method:
    def __init__(self, client: "SignedClient", service: str, method: str):
        self._client, self._service, self._method = client, service, method

    def _target(self):
        data = self._client.data
        data.clear()
        data.update(self._client.unsigned)
        data.update(self._client.signer.sign(self._service, self._method, self._client.context()))
        return getattr(self._client.cluster[self._service], self._method)

    def __call__(self, *args, **kwargs):
        return self._target()(*args, **kwargs)

    def call_async(self, *args, **kwargs):
        return self._target().call_async(*args, **kwargs)


class _Service:
    def __init__(self, client: "SignedClient", service: str):
        self._client, self._service = client, service

    def __getattr__(self, method: str) -> _Method:
        if method.startswith("_"):
            raise AttributeError(method)
        return _Method(self._client, self._service, method)


class SignedClient:
    """A nameko cluster proxy whose every call carries a token signed for it: how the operators'
    tools (as the gateway, with its key) and a service calling another (with its own) call.
    `context` is the caller's context (FIELDS; the deadline is now + `timeout` unless given); any
    other key goes beside the token, unsigned, as a plain header (which a service ignores: how the
    tests show that a forged header changes nothing)."""

    def __init__(self, amqp_uri: str, signer: Signer, timeout: float = 30, **context):
        from nameko.standalone.rpc import ClusterRpcProxy
        self.signer = signer
        self.timeout = timeout
        self._context = {k: v for k, v in context.items() if v is not None and k in FIELDS}
        self.unsigned = {k: v for k, v in context.items() if v is not None and k not in FIELDS}
        self._proxy = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout)
        self.cluster = None
        self.data: dict = {}

    def context(self) -> dict:
        ctx = dict(self._context)
        ctx.setdefault("deadline", time.time() + self.timeout)
        return ctx

    def start(self) -> "SignedClient":
        self.cluster = self._proxy.start()
        self.data = self._proxy._worker_ctx.data
        return self

    def stop(self) -> None:
        self._proxy.stop()

    def __enter__(self) -> "SignedClient":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __getattr__(self, service: str) -> _Service:
        if service.startswith("_"):
            raise AttributeError(service)
        return _Service(self, service)

    def __getitem__(self, service: str) -> _Service:
        return _Service(self, service)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["new-key"]:
        print("usage: python -m kernel.caller new-key   (prints CALLER_SIGNING_KEY and its CALLER_VERIFY_KEYS)")
        return 2
    private, public = new_key()
    print(f"CALLER_SIGNING_KEY={private}")
    print(f"CALLER_VERIFY_KEYS={GATEWAY}:{public}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
