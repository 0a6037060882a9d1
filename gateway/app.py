"""The gateway: REST in front of the services (FastAPI, `def` routes on a thread pool, RPC through a
pool of long-lived proxies). Built by `create_app()`; nothing connects at import time."""
from __future__ import annotations

import json
import logging
import os
import time
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import OAuth2PasswordRequestForm
from nameko.exceptions import IncorrectSignature, MalformedRequest, MethodNotFound, RemoteError
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from kernel import logs, loops
from kernel.access import Actor
from kernel.caller import Signer
from kernel.errors import DomainError, TooManyRequests, Unavailable
from kernel.metrics import LoopCollector
from kernel.settings import load_settings

from . import export, responses
from .deps import CallerDep, client_address, issue_token
from .edge import DigitsMiddleware, RequestContextMiddleware, SpreadsheetMiddleware
from .identity import Identities
from .routes import festival, finance, ops, oversight, registry, reports, secretariat
from .rpc import RpcPool

log = logging.getLogger("gateway")

SERVICES = ("registry", "reports", "finance", "oversight", "festival", "secretariat")


def loop_problems(states: dict) -> list[str]:
    """The managed loops (kernel.loops, by name: their `view()`) failing persistently, and why."""
    return [f"{name} failing for {_since(v.get('failing_since'))} ({v.get('consecutive_failures')} passes in a "
            f"row): {v.get('last_error')}" for name, v in sorted(states.items()) if v.get("failing")]


def _since(iso: str | None) -> str:
    try:
        return f"{(datetime.now(timezone.utc) - datetime.fromisoformat(iso)).total_seconds():.0f}s"
    except (TypeError, ValueError):
        return "a while"


def service_problems(ping: dict) -> list[str]:
    """Why a service that answered its `ping` (kernel.service) is degraded: its store takes no write,
    one of its loops fails persistently, or its relay is stalled. Empty: it is well."""
    out = []
    if not ping.get("store"):
        out.append(f"its store takes no write ({ping.get('store_error') or 'no answer'})")
    out += [f"loop {p}" for p in loop_problems(ping.get("loops") or {})]
    relay = ping.get("relay") or {}
    if relay.get("stalled"):
        out.append(f"relay stalled: an event has been pending for {relay.get('oldest_pending_seconds', 0):.0f}s "
                   f"(RELAY_STALL_SECONDS {relay.get('stall_seconds', 0):g})")
    return out


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


def create_app(settings=None, start_pool: bool = True) -> FastAPI:
    settings = settings or load_settings()
    metrics = CollectorRegistry()
    requests_total = Counter("khadem_http_requests_total", "HTTP requests", ["method", "route", "status"],
                             registry=metrics)
    rpc_calls = Counter("khadem_rpc_calls", "RPCs the gateway sent", ["service", "method"], registry=metrics)
    latency = Histogram("khadem_http_request_seconds", "HTTP request latency", ["route"], registry=metrics)
    metrics.register(LoopCollector(("gateway",)))   # its own managed loops' states (kernel.loops)

    signer = Signer.from_settings(settings)   # the gateway's key: refused at once if missing in production

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not logging.getLogger().handlers:   # a server's own process (a test's has its own set-up)
            logs.configure(os.environ.get("LOG_LEVEL", "INFO"), settings.log_format)
        pool = RpcPool(settings.amqp_uri, settings.rpc_pool_size, settings.rpc_timeout_seconds,
                       on_call=lambda service, method: rpc_calls.labels(service, method).inc(), signer=signer)
        identities = Identities(settings.amqp_uri, settings.actor_cache_seconds,
                                failing_after=settings.loop_failing_seconds)
        if start_pool:
            pool.start()
            identities.start()
        app.state.rpc = pool
        app.state.identities = identities
        yield
        identities.stop()
        pool.stop()

    app = FastAPI(
        title="Khadem",
        version="1.0",
        description=("REST API of the Razavi service kanoons platform. Sign in with POST /token "
                     "(OAuth2 password flow) and send `Authorization: Bearer <token>`. Dates are Jalali "
                     "(`1403/07/15`; Gregorian `2024-10-06` is accepted on input). Every response carries "
                     "`X-Request-ID`. Any GET answering a list or a table is also a spreadsheet: add "
                     "`export=xlsx` (right-to-left, Persian headers) or `export=csv` (UTF-8 with BOM)."),
        lifespan=lifespan,
    )
    app.state.settings = settings

    async def spreadsheet(request: Request, call_next):
        """`?export=xlsx|csv` on a GET of the API: the route's own answer as a sheet (gateway.export)."""
        fmt = request.query_params.get("export")
        if fmt not in ("xlsx", "csv"):
            return error(request, 422, {"error": "invalid", "field": "export", "message": "export is xlsx or csv"})
        response = await call_next(request)
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("application/json"):
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])
        rows = export.rows_of(json.loads(body or b"null"))
        if rows is None:
            return error(request, 422, {"error": "invalid", "field": "export",
                                        "message": "this answer is not a list or a table"})
        name = request.url.path.strip("/").replace("/", "-")[4:] or "khadem"
        headers = {"X-Request-ID": response.headers.get("X-Request-ID", ""),
                   "Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
        if fmt == "csv":
            return Response(export.to_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
        data = await run_in_threadpool(export.to_xlsx, rows, name)
        return Response(data, headers=headers,
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    def error(request: Request, status: int, body: dict, headers: dict | None = None) -> JSONResponse:
        rid = getattr(request.state, "request_id", None)
        headers = dict(headers or {})
        if rid:
            headers["X-Request-ID"] = rid
        return JSONResponse({**body, "request_id": rid}, status_code=status, headers=headers)

    @app.exception_handler(DomainError)
    def domain_error(request: Request, exc: DomainError):
        headers = {}
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, (Unavailable, TooManyRequests)):
            headers["Retry-After"] = str(exc.retry_after)
        return error(request, exc.status, exc.to_dict(), headers)

    @app.exception_handler(RequestValidationError)
    def validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        return error(request, 422, {"error": "invalid", "field": ".".join(loc) or None,
                                    "message": str(first.get("msg", "")).removeprefix("Value error, "),
                                    "details": [{"field": ".".join(str(p) for p in e.get("loc", ())),
                                                 "message": e.get("msg")} for e in errors]})

    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException):
        body = exc.detail if isinstance(exc.detail, dict) else {"error": "http_error", "message": str(exc.detail)}
        return error(request, exc.status_code, body, exc.headers)

    @app.exception_handler(RemoteError)
    @app.exception_handler(MethodNotFound)
    @app.exception_handler(IncorrectSignature)
    @app.exception_handler(MalformedRequest)
    def remote_error(request: Request, exc: Exception):
        log.error("request %s: service error %s", request.state.request_id, exc)
        return error(request, 500, {"error": "internal", "message": "a service failed; quote the request id"})

    @app.exception_handler(Exception)
    def any_error(request: Request, exc: Exception):
        log.exception("request %s failed", getattr(request.state, "request_id", "?"))
        return error(request, 500, {"error": "internal", "message": "the gateway failed; quote the request id"})

    @app.post("/token", response_model=Token, tags=["sign-in"])
    def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]):
        """Sign in with username and password; returns a bearer token. After too many failed attempts
        for a username or from an address, 429 with Retry-After (SIGNIN_FAILURES_PER_USER,
        SIGNIN_FAILURES_PER_ADDRESS in 15 minutes; counted by the registry, so every gateway counts
        the same)."""
        pool = request.app.state.rpc
        context = {"request_id": request.state.request_id, "deadline": time.time() + pool.timeout,
                   "client_address": client_address(request)}
        actor = Actor.model_validate(pool.call(context, "registry", "authenticate", form.username, form.password))
        tok, ttl = issue_token(settings, actor)
        return Token(access_token=tok, expires_in=ttl)

    @app.get("/me", tags=["sign-in"], response_model=Actor)
    def me(caller: CallerDep):
        """Who you are: your person, roles and the units they cover (asked of the registry now, never
        remembered: another gateway may have just changed them)."""
        return caller.fresh_actor().model_dump(mode="json")

    @app.get("/health/live", tags=["operations"], response_model=responses.Live)
    async def live():
        """The gateway process answers (the container's liveness check; /health is readiness)."""
        return {"status": "ok"}

    @app.get("/health/ready", tags=["operations"], response_model=responses.Live,
             responses={503: {"model": responses.Live, "description": "no connection to the bus"}})
    def ready(request: Request):
        """This gateway can take requests: it holds connections to the bus (a load balancer's readiness
        check). Not whether every service answers — a service down must not take every gateway out
        of service with it; that is /health."""
        live = request.app.state.rpc.live
        return JSONResponse({"status": "ok" if live else "down"}, status_code=200 if live else 503)

    @app.get("/health", tags=["operations"], response_model=responses.Health,
             responses={503: {"model": responses.Health, "description": "something is down or failing"}})
    def health(request: Request):
        """The bus, each service, and its store taking a write (a heartbeat transaction); 503
        "degraded" when any of them is not answering, or a service's managed loop (a folder, its
        relay, a job runner, its housekeeping or a periodic duty) has been failing persistently
        (LOOP_FAILING_SECONDS), or its relay is stalled (an event pending longer than
        RELAY_STALL_SECONDS), or this gateway's own listener of the registry's events is failing.
        `reasons` names the service and why."""
        pool = request.app.state.rpc
        out = {"status": "ok", "bus": "ok", "connections": pool.live, "services": {}, "reasons": []}
        if pool.live == 0:
            out["bus"] = f"down: {pool.last_error or 'no connection'}"
            out["reasons"].append(f"bus: {out['bus']}")
        for name in SERVICES if pool.live else ():
            context = {"request_id": request.state.request_id, "deadline": time.time() + 5}
            try:
                ping = pool.call(context, name, "ping")
            except Exception as exc:
                out["services"][name] = {"status": f"down: {type(exc).__name__}"}
                out["reasons"].append(f"{name}: not answering ({type(exc).__name__})")
                continue
            problems = service_problems(ping)
            entry = out["services"][name] = {"status": "degraded" if problems else "ok",
                                             "store": "ok" if ping.get("store") else "down"}
            if not ping.get("store"):
                entry["store_error"] = ping.get("store_error")
            else:
                entry["store_write_ms"] = ping.get("store_write_ms")
            if "oldest_pending_seconds" in (ping.get("relay") or {}):
                entry["relay_oldest_pending_seconds"] = ping["relay"]["oldest_pending_seconds"]
            if problems:
                entry["reasons"] = problems
                out["reasons"] += [f"{name}: {p}" for p in problems]
        out["reasons"] += [f"gateway: {p}" for p in loop_problems(
            {s.loop: s.view() for s in loops.states("gateway")})]
        if out["reasons"] or out["bus"] != "ok" or len(out["services"]) < len(SERVICES):
            out["status"] = "degraded"
        return JSONResponse(out, status_code=200 if out["status"] == "ok" else 503)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def prometheus():
        return Response(generate_latest(metrics), media_type=CONTENT_TYPE_LATEST)

    # Outermost last: digits, then the request id and the metrics, then the spreadsheet (only for a
    # GET of the API asking for one). Plain ASGI (gateway.edge): a BaseHTTPMiddleware costs every
    # request a task and a stream (docs/performance.md).
    app.add_middleware(SpreadsheetMiddleware, convert=spreadsheet)
    app.add_middleware(RequestContextMiddleware, latency=latency, requests_total=requests_total)
    app.add_middleware(DigitsMiddleware)
    app.include_router(registry.router)
    app.include_router(reports.router)
    app.include_router(finance.router)
    app.include_router(oversight.router)
    app.include_router(festival.router)
    app.include_router(secretariat.router)
    app.include_router(ops.router)
    return app
