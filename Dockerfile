# syntax=docker/dockerfile:1
# One image for every Khadem process; compose picks the command. Two final targets:
#   service  — a nameko service (health: its heartbeat file, see kernel/healthcheck.py)
#   gateway  — the FastAPI gateway (health: GET /health/live)
#   web      — the Persian web app, a client of the gateway (health: GET /health)
ARG PYTHON_VERSION=3.11

# ---- build: a virtualenv with the pinned requirements, built where compilers may live ----------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

# ---- runtime: the venv and the code, nothing else; runs as an unprivileged user -----------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 khadem \
 && useradd --system --uid 10001 --gid khadem --home-dir /app --no-create-home khadem
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=root:root kernel/ kernel/
COPY --chown=root:root services/ services/
COPY --chown=root:root gateway/ gateway/
COPY --chown=root:root web/ web/
COPY --chown=root:root ops/ ops/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONWARNINGS=ignore::DeprecationWarning,ignore::UserWarning \
    ENVIRONMENT=production
USER khadem

FROM runtime AS service
ENV HEALTH_FILE=/tmp/khadem.alive
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-m", "kernel.healthcheck", "--max-age", "30"]
# The command names the service, e.g.:
#   nameko run --config services/registry/config.yaml services.registry.service:RegistryService
CMD ["python", "-c", "print('give the service command, see docker-compose.yml'); raise SystemExit(2)"]

FROM runtime AS gateway
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4).status != 200)"]
CMD ["uvicorn", "gateway.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", "--no-access-log"]

FROM runtime AS web
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4).status != 200)"]
CMD ["uvicorn", "web.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8080", "--no-access-log"]
