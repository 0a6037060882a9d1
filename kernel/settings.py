"""Settings from the environment, built by a function so that nothing is read at import time."""
from __future__ import annotations

from functools import lru_cache

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    environment: str = "development"  # development | test | production
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    mongo_uri: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    # Each service owns one database; its name defaults to "khadem_<service>".
    mongo_db_prefix: str = "khadem_"

    # Outbox relay: how often unsent events are looked for when nothing kicks the relay.
    outbox_poll_seconds: float = 1.0
    outbox_lease_seconds: float = 30.0
    # A relay is stalled (its service's `ping`, and so the gateway's /health, says "degraded") when
    # the oldest event still pending was committed longer ago than this: nothing has published it.
    relay_stall_seconds: float = 60.0
    # A managed loop (a folder, a relay, a job runner, the housekeeping, a periodic duty: kernel.loops)
    # is failing persistently, and /health "degraded", once its passes have failed in a row for this long.
    loop_failing_seconds: float = 30.0
    # Event handlers: delays between attempts (seconds); after the last one the message is parked.
    handler_retry_delays: str = "1,5,30"
    # A handler that meets a busy store (a write conflict) retries in process for this long, then
    # defers the message by HANDLER_BUSY_DELAY seconds, again and again for up to
    # HANDLER_BUSY_SECONDS (which must outlast the store's 60 s transaction lifetime), then parks it.
    handler_store_seconds: float = 2.0
    # Batching handlers (kernel.messaging.BatchEventHandler): at most this many events to a batch (one
    # transaction), gathered for at most this long after the first, at most this many batches of a
    # handler at once (concurrent transactions slow the store); the broker may send this many
    # unacknowledged messages per queue.
    handler_batch_size: int = 100
    handler_batch_linger_ms: float = 5.0
    handler_batch_concurrency: int = 2
    handler_batch_prefetch: int = 300
    handler_busy_delay: float = 5.0
    handler_busy_seconds: float = 180.0
    # Event ids a handler applied are remembered this long (kernel.store.Store.purge_inbox).
    inbox_retention_days: float = 30.0
    # A job (an import) is leased to one instance for this long, renewed while it is alive.
    job_lease_seconds: float = 60.0
    # Sent events are kept in the outbox this long (for replays), then pruned; 0 keeps them all.
    outbox_retention_days: float = 30.0
    # A service process serves its Prometheus metrics on this port (GET /metrics); 0: not served.
    metrics_port: int = 0
    # json (one object a line, with the request id and the event id: kernel.logs) or plain.
    log_format: str = "json"
    # Idempotency keys of commands are kept at least this long.
    idempotency_retention_hours: float = 48.0
    # Each process writes a heartbeat document in a transaction this often (and its HEALTH_FILE).
    heartbeat_seconds: float = 5.0

    # Written after every heartbeat transaction the process committed; a container's health check
    # reads its age (`python -m kernel.healthcheck`). Empty: not written.
    health_file: str = ""

    jwt_secret: str = DEV_JWT_SECRET
    # Fernet keys sealing personal data at rest, comma-separated: the first seals, all open
    # (kernel.personal; `python -m kernel.personal new-key`). Empty: a development key, refused in
    # production.
    data_keys: str = ""
    jwt_minutes: int = 60
    # Who is calling, signed (kernel.caller): the gateway signs each request's caller with its
    # Ed25519 key (CALLER_SIGNING_KEY, the gateway's alone; CALLER_SIGNER names the signer), and every
    # service verifies it with the public keys `signer:<key>,…` (CALLER_VERIFY_KEYS). Empty: the
    # development pair, refused in production. `python -m kernel.caller new-key` makes a pair.
    caller_signing_key: str = ""
    caller_signer: str = "gateway"
    caller_verify_keys: str = ""
    # The gateway's RPC timeout; a request carries its deadline (now + this), a service drops one it
    # picks up past its deadline and stops retrying the store RPC_DEADLINE_MARGIN seconds before it,
    # so that its "nothing was done" (503) arrives before the gateway gives up (504).
    rpc_timeout_seconds: float = 10.0
    rpc_deadline_margin: float = 1.0
    rpc_pool_size: int = 8
    # How long the gateway may remember who a caller is (roles, units) at most; it forgets everyone at
    # once on any registry event, after its own commands to the registry, at a change of date, and
    # whenever it does not hear the registry's events (gateway.identity). 0 asks on every request.
    actor_cache_seconds: float = 300.0
    # The public routes (no account: complaints and their tracking), per client address and gateway
    # process: at most this many in a sliding 10 minutes; more get 429 with Retry-After.
    public_complaints_per_10min: int = 5
    public_lookups_per_10min: int = 30
    # Failed sign-ins, per username and per client address and gateway process, in a sliding 15
    # minutes: past them, sign-in answers 429 with Retry-After (even with the right password).
    signin_failures_per_user: int = 5
    signin_failures_per_address: int = 30
    # Shared by the gateway and the web app: a request carrying it in X-Khadem-Proxy is the web app's,
    # whose X-Forwarded-For the gateway believes, so that the public routes count the person's address
    # behind the web app and not the web app's. Empty: X-Forwarded-For is never believed.
    proxy_secret: str = ""
    # How often the secretariat looks for letters and memoranda whose reminder or notice is due.
    deadline_check_seconds: float = 300.0
    gateway_port: int = 8000
    # Where the web app finds the gateway (default http://127.0.0.1:$GATEWAY_PORT).
    gateway_url: str = ""

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, v: str) -> str:
        v = v.strip().lower()
        if v not in {"development", "test", "production"}:
            raise ValueError("environment must be development, test or production")
        return v

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> "Settings":
        if self.environment == "production" and (
            self.jwt_secret == DEV_JWT_SECRET or len(self.jwt_secret) < 32
        ):
            raise ValueError("JWT_SECRET must be set to a random value of 32+ characters in production")
        from .personal import DEV_DATA_KEY, sealer_from
        if self.environment == "production" and (
            not self.data_keys.strip() or DEV_DATA_KEY in self.data_keys.split(",")
        ):
            raise ValueError("DATA_KEYS must hold the key that seals personal data in production "
                             "(python -m kernel.personal new-key)")
        sealer_from(self)   # a malformed key is refused here, at start-up, not at the first record
        return self

    @property
    def retry_delays(self) -> list[float]:
        return [float(x) for x in self.handler_retry_delays.split(",") if x.strip()]

    def database_name(self, service: str) -> str:
        return f"{self.mongo_db_prefix}{service}"


class ToolSettings(Settings):
    """The settings of a tool that uses no secret (declaring the broker's topology, applying its
    users, building indexes): production's secrets are not asked of it."""

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> "ToolSettings":
        return self


def load_settings(require_secrets: bool = True) -> Settings:
    return Settings() if require_secrets else ToolSettings()


@lru_cache(maxsize=1)
def cached_settings() -> Settings:
    """For long-lived processes that read settings once at start-up (not at import)."""
    return Settings()
