"""What every route gets: the RPC pool, the calling actor (from the bearer token) and a `call`
that runs one RPC with the request id and actor, mapping service errors to HTTP."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer

from kernel.access import Actor
from kernel.errors import Forbidden, Unauthenticated

from .jalali_out import to_jalali

oauth2 = OAuth2PasswordBearer(tokenUrl="/token", auto_error=False)


def issue_token(settings, actor: Actor) -> tuple[str, int]:
    exp = datetime.now(timezone.utc) + timedelta(minutes=settings.jwt_minutes)
    token = jwt.encode({"sub": actor.user_id, "pid": actor.person_id, "exp": exp,
                        "iat": datetime.now(timezone.utc)}, settings.jwt_secret, algorithm="HS256")
    return token, settings.jwt_minutes * 60


class Caller:
    """One request's door to the services."""

    def __init__(self, request: Request, actor: Actor | None):
        self.request = request
        self.actor = actor
        self.pool = request.app.state.rpc
        self.request_id = request.state.request_id

    def __call__(self, service: str, method: str, *args, jalali: bool = True) -> Any:
        actor_json = self.actor.model_dump_json() if self.actor else None
        with self.pool.client(self.request_id, actor_json) as rpc:
            result = getattr(rpc[service], method)(*args)
        return to_jalali(result) if jalali else result


def _actor_from_token(request: Request, token: str | None) -> Actor | None:
    if not token:
        return None
    settings = request.app.state.settings
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired; sign in again") from None
    except jwt.PyJWTError:
        raise Unauthenticated("the token is not valid") from None
    cache: dict = request.app.state.actor_cache
    hit = cache.get(claims["sub"])
    if hit and hit[0] > time.monotonic():
        return hit[1]
    with request.app.state.rpc.client(request.state.request_id) as rpc:
        actor = Actor.model_validate(rpc.registry.actor_of(claims["sub"]))
    if settings.actor_cache_seconds > 0:
        cache[claims["sub"]] = (time.monotonic() + settings.actor_cache_seconds, actor)
    return actor


def signed_in(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> Caller:
    actor = _actor_from_token(request, token)
    if actor is None:
        raise HTTPException(401, {"error": "unauthenticated", "message": "sign in first (POST /token)"},
                            headers={"WWW-Authenticate": "Bearer"})
    return Caller(request, actor)


def admin_only(caller: Annotated[Caller, Depends(signed_in)]) -> Caller:
    if not caller.actor.is_admin:
        raise Forbidden("only an administrator may do this")
    return caller


CallerDep = Annotated[Caller, Depends(signed_in)]
AdminDep = Annotated[Caller, Depends(admin_only)]


def actor_json(actor: Actor) -> str:
    return json.dumps(actor.model_dump(mode="json"))
