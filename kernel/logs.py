"""Log lines an operator can follow across processes: one JSON object a line (LOG_FORMAT=json, the
default) carrying the request id that caused the work and, in an event handler, the event's id.

A worker's ids are set when it starts (`kernel.service.StoreProvider.worker_setup`, the gateway's
request middleware) in context variables, which each worker's greenlet and each request's task has
its own of; every line logged meanwhile carries them. The request id is the client's `X-Request-ID`
(or one the gateway made), sent with every RPC and, as the events' `correlationid`, with every event
the request caused: `grep` one id through every service's log and the whole story appears.

    LOGGING:                      # a service's config.yaml
      formatters:
        json: {(): kernel.logs.JsonFormatter}
"""
from __future__ import annotations

import contextvars
import json
import logging
import os
from datetime import datetime, timezone

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("khadem_request_id", default=None)
event_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("khadem_event_id", default=None)


def bind(request: str | None = None, event: str | None = None) -> tuple:
    """Set the ids of the work now starting; returns what `unbind` needs."""
    return request_id.set(request), event_id.set(event)


def unbind(tokens: tuple) -> None:
    for var, token in zip((request_id, event_id), tokens):
        try:
            var.reset(token)
        except ValueError:   # set in another context: nothing to undo here
            pass


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "process", "logger", "message", "request_id", "event_id", "error"}`."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.process_name = os.environ.get("KHADEM_INSTANCE") or os.environ.get("HOSTNAME") or ""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "process": self.process_name, "logger": record.name,
                "message": record.getMessage()}
        rid, eid = request_id.get(), event_id.get()
        if rid:
            line["request_id"] = rid
        if eid:
            line["event_id"] = eid
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str = "INFO", fmt: str | None = None) -> None:
    """Logging of a process that has no nameko config (the gateway, the web app): JSON lines unless
    LOG_FORMAT=plain."""
    fmt = (fmt or os.environ.get("LOG_FORMAT") or "json").lower()
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):   # uvicorn's own lines through the same handler
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
