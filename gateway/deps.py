"""What every route gets: the calling actor (from the bearer token; who its user is comes from the
registry, remembered until the registry says anything may have changed: gateway.identity) and a
`call` that runs one RPC carrying who is calling, the request id, the deadline and, for a
state-changing request, its idempotency key; service errors map to HTTP in `app.py`."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import OAuth2PasswordBearer

from kernel.access import Actor
from kernel.commands import MAX_LIMIT, MAX_SKIP
from kernel.errors import Forbidden, Invalid, Unauthenticated
from kernel.service import fingerprint

oauth2 = OAuth2PasswordBearer(tokenUrl="/token", auto_error=False)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def issue_token(settings, actor: Actor) -> tuple[str, int]:
    exp = datetime.now(timezone.utc) + timedelta(minutes=settings.jwt_minutes)
    # `jti` names the token; a deactivated account's tokens stop working because the registry is
    # asked who the caller is on every request (deps.signed_in), not because of the token itself.
    token = jwt.encode({"sub": actor.user_id, "pid": actor.person_id, "exp": exp, "jti": uuid.uuid4().hex,
                        "iat": datetime.now(timezone.utc)}, settings.jwt_secret, algorithm="HS256")
    return token, settings.jwt_minutes * 60


def _canonical(body: bytes) -> bytes:
    try:
        return json.dumps(json.loads(body), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        return body


def _is_form(content_type: str) -> bool:
    return content_type.lower().startswith(("multipart/form-data", "application/x-www-form-urlencoded"))


async def command_terms(request: Request) -> tuple[str, str] | None:
    """For a state-changing request: its idempotency key (the client's `Idempotency-Key`, or one made
    here so that a redelivered request is still done once) and the fingerprint of the request."""
    if request.method in SAFE_METHODS:
        return None
    given = request.headers.get("idempotency-key")
    if given is not None and not IDEMPOTENCY_KEY.match(given):
        raise Invalid("an Idempotency-Key is 1 to 255 visible ASCII characters", "Idempotency-Key")
    key = f"client:{given}" if given is not None else f"auto:{uuid.uuid4().hex}"
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if _is_form(request.headers.get("content-type", "")):
        # An upload: its form was read already (the boundary is drawn anew by each send, so the
        # fingerprint is of the fields and the files' contents, not of the raw body).
        digest = hashlib.sha256()
        for name, value in sorted((await request.form()).multi_items(), key=lambda kv: kv[0]):
            digest.update(name.encode() + b"\0")
            if hasattr(value, "read"):
                digest.update((await value.read()) + b"\0")
                await value.seek(0)
            else:
                digest.update(str(value).encode() + b"\0")
        return key, fingerprint(request.method, target, digest.hexdigest().encode())
    return key, fingerprint(request.method, target, _canonical(await request.body()))


class Caller:
    """One request's door to the services."""

    def __init__(self, request: Request, actor: Actor | None, terms: tuple[str, str] | None = None,
                 token: str | None = None):
        self.request = request
        self.actor = actor
        self.token = token
        self.pool = request.app.state.rpc
        self.request_id = request.state.request_id
        self.terms = terms

    def context(self) -> dict:
        ctx: dict[str, Any] = {"request_id": self.request_id,
                               "deadline": time.time() + self.pool.timeout}
        if self.actor is not None:
            ctx.update(user_id=self.actor.user_id, person_id=self.actor.person_id)
        else:   # a public route: its limits are counted per address by the service
            ctx["client_address"] = client_address(self.request)
        if self.terms is not None:
            ctx.update(idempotency_key=self.terms[0], request_fingerprint=self.terms[1])
        return ctx

    def fresh_actor(self) -> Actor:
        """Who the caller is now, asked of the registry (what this process remembers may lag another
        gateway's change by the time the registry's event takes to arrive)."""
        self.actor = _actor_from_token(self.request, self.token, remembered=False)
        return self.actor

    def __call__(self, service: str, method: str, *args) -> Any:
        """One RPC; its answer leaves through the route's response model (dates become Jalali there).
        After a command to the registry, this process forgets who everyone is (gateway.identity): the
        caller sees its own change at once, before the registry's event arrives."""
        try:
            return self.pool.call(self.context(), service, method, *args)
        finally:
            if service == "registry" and self.terms is not None:
                self.request.app.state.identities.forget_all()


def _actor_from_token(request: Request, token: str | None, remembered: bool = True) -> Actor | None:
    if not token:
        return None
    settings = request.app.state.settings
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired; sign in again") from None
    except jwt.PyJWTError:
        raise Unauthenticated("the token is not valid") from None
    identities = request.app.state.identities
    actor = identities.get(claims["sub"]) if remembered else None
    if actor is not None:
        return actor
    ticket = identities.ticket()
    context = {"request_id": request.state.request_id, "user_id": claims["sub"], "person_id": claims.get("pid"),
               "deadline": time.time() + request.app.state.rpc.timeout}
    actor = Actor.model_validate(request.app.state.rpc.call(context, "registry", "actor_of", claims["sub"]))
    identities.put(claims["sub"], actor, ticket)
    return actor


def signed_in(request: Request, token: Annotated[str | None, Depends(oauth2)],
              terms: Annotated[tuple[str, str] | None, Depends(command_terms)]) -> Caller:
    actor = _actor_from_token(request, token)
    if actor is None:
        raise HTTPException(401, {"error": "unauthenticated", "message": "sign in first (POST /token)"},
                            headers={"WWW-Authenticate": "Bearer"})
    return Caller(request, actor, terms, token)


def public(request: Request, terms: Annotated[tuple[str, str] | None, Depends(command_terms)]) -> Caller:
    """A route without an account: no actor is sent (the service grants nothing to such a call)."""
    return Caller(request, None, terms)


def client_address(request: Request) -> str:
    """The client's address: the peer's, or — when the request comes from the web app (it carries the
    shared PROXY_SECRET in X-Khadem-Proxy) — the last address in X-Forwarded-For (the one the web app
    saw; anything before it the person could have written themselves)."""
    peer = request.client.host if request.client else "unknown"
    secret = request.app.state.settings.proxy_secret
    forwarded = request.headers.get("x-forwarded-for")
    if not (secret and forwarded and hmac.compare_digest(request.headers.get("x-khadem-proxy", ""), secret)):
        return peer
    return forwarded.split(",")[-1].strip() or peer


def admin_only(caller: Annotated[Caller, Depends(signed_in)]) -> Caller:
    """An administrator's route. A refusal is never made on remembered roles: the registry is asked
    again first (the role may have been granted a moment ago through another gateway)."""
    if not caller.actor.is_admin and not caller.fresh_actor().is_admin:
        raise Forbidden("only an administrator may do this")
    return caller


CallerDep = Annotated[Caller, Depends(signed_in)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many")]
Skip = Annotated[int, Query(ge=0, le=MAX_SKIP, description="after skipping this many")]
AdminDep = Annotated[Caller, Depends(admin_only)]
PublicDep = Annotated[Caller, Depends(public)]
