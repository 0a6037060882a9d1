"""The gateway: REST in front of the services (FastAPI, `def` routes on a thread pool, RPC through a
pool of long-lived proxies). Built by `create_app()`; nothing connects at import time."""
from __future__ import annotations

import logging
import time
import uuid
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import OAuth2PasswordRequestForm
from nameko.exceptions import RemoteError, RpcTimeout
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel

from kernel.access import Actor
from kernel.errors import DomainError
from kernel.settings import load_settings

from .deps import CallerDep, issue_token
from .routes import ops, registry, reports
from .rpc import RpcPool

log = logging.getLogger("gateway")

SERVICES = ("registry", "reports")


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


def create_app(settings=None, start_pool: bool = True) -> FastAPI:
    settings = settings or load_settings()
    metrics = CollectorRegistry()
    requests_total = Counter("khadem_http_requests_total", "HTTP requests", ["method", "route", "status"],
                             registry=metrics)
    latency = Histogram("khadem_http_request_seconds", "HTTP request latency", ["route"], registry=metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        pool = RpcPool(settings.amqp_uri, settings.rpc_pool_size, settings.rpc_timeout_seconds)
        if start_pool:
            pool.start()
        app.state.rpc = pool
        yield
        pool.stop()

    app = FastAPI(
        title="Khadem",
        version="1.0",
        description=("REST API of the Razavi service kanoons platform. Sign in with POST /token "
                     "(OAuth2 password flow) and send `Authorization: Bearer <token>`. Dates are Jalali "
                     "(`1403/07/15`; Gregorian `2024-10-06` is accepted on input). Every response carries "
                     "`X-Request-ID`."),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.actor_cache = {}

    @app.middleware("http")
    async def request_context(request: Request, call_next):
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = rid[:64]
        start = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        latency.labels(path).observe(time.perf_counter() - start)
        requests_total.labels(request.method, path, str(response.status_code)).inc()
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    @app.exception_handler(DomainError)
    def domain_error(request: Request, exc: DomainError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    def validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        return JSONResponse({"error": "invalid", "field": ".".join(loc) or None,
                             "message": str(first.get("msg", "")).removeprefix("Value error, "),
                             "details": [{"field": ".".join(str(p) for p in e.get("loc", ())),
                                          "message": e.get("msg")} for e in errors]},
                            status_code=422)

    @app.exception_handler(RpcTimeout)
    def rpc_timeout(request: Request, exc: RpcTimeout):
        return JSONResponse({"error": "unavailable", "message": "a service did not answer in time",
                             "request_id": request.state.request_id}, status_code=503)

    @app.exception_handler(RemoteError)
    def remote_error(request: Request, exc: RemoteError):
        log.error("request %s: service error %s", request.state.request_id, exc)
        return JSONResponse({"error": "internal", "message": "a service failed; quote the request id",
                             "request_id": request.state.request_id}, status_code=500)

    @app.post("/token", response_model=Token, tags=["sign-in"])
    def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]):
        """Sign in with username and password; returns a bearer token."""
        with request.app.state.rpc.client(request.state.request_id) as rpc:
            actor = Actor.model_validate(rpc.registry.authenticate(form.username, form.password))
        tok, ttl = issue_token(settings, actor)
        return Token(access_token=tok, expires_in=ttl)

    @app.get("/me", tags=["sign-in"])
    def me(caller: CallerDep):
        """Who you are: your person, roles and the units they cover."""
        return caller.actor.model_dump(mode="json")

    @app.get("/health/live", tags=["operations"])
    def live():
        """The gateway process answers (the container's liveness check; /health is readiness)."""
        return {"status": "ok"}

    @app.get("/health", tags=["operations"])
    def health(request: Request):
        """The bus, the store and each service; 503 when any is down."""
        out = {"status": "ok", "bus": "ok", "services": {}}
        try:
            with request.app.state.rpc.client(request.state.request_id) as rpc:
                for name in SERVICES:
                    try:
                        ping = rpc[name].ping()
                        out["services"][name] = {"status": "ok", "store": "ok" if ping.get("store") else "down"}
                        out["store"] = out["services"][name]["store"]
                    except RpcTimeout:
                        out["services"][name] = {"status": "down"}
                        raise
        except RpcTimeout:
            out["status"] = "degraded"
        except Exception as exc:
            out.update(status="degraded", bus=f"down: {type(exc).__name__}")
        if any(s.get("status") != "ok" or s.get("store") != "ok" for s in out["services"].values()):
            out["status"] = "degraded"
        return JSONResponse(out, status_code=200 if out["status"] == "ok" else 503)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def prometheus():
        return Response(generate_latest(metrics), media_type=CONTENT_TYPE_LATEST)

    app.include_router(registry.router)
    app.include_router(reports.router)
    app.include_router(ops.router)
    return app
