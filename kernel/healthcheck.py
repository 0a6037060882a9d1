"""Container health check of a service process: `python -m kernel.healthcheck [--max-age 30]`.

Healthy when the heartbeat file (HEALTH_FILE) was written in the last `--max-age` seconds. The
service writes it after every heartbeat transaction it committed (every HEARTBEAT_SECONDS), so a hung
process, a store that takes no writes or a lost store connection all turn the container unhealthy. It checks this container's own
process; an RPC ping could be answered by another replica.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from .settings import load_settings


def age_of(path: str) -> float | None:
    try:
        return time.time() - os.path.getmtime(path)
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="healthcheck")
    ap.add_argument("--max-age", type=float, default=30.0)
    args = ap.parse_args(argv)
    path = load_settings().health_file
    if not path:
        print("unhealthy: HEALTH_FILE is not set", file=sys.stderr)
        return 1
    age = age_of(path)
    if age is None or age > args.max_age:
        print(f"unhealthy: heartbeat {path} is {'missing' if age is None else f'{age:.0f}s old'}",
              file=sys.stderr)
        return 1
    print(f"healthy: heartbeat {age:.1f}s old")
    return 0


if __name__ == "__main__":
    sys.exit(main())
