"""The local store: mongoeco's MongoDB wire-protocol server over SQLite, data on disk.

    python -m devenv.store_server --port 27017 --path var/data/khadem.sqlite
"""
from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path


async def serve(port: int, path: str | None, host: str) -> None:
    from mongoeco.engines.memory import MemoryEngine
    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

    from dataclasses import replace

    class Engine(SQLiteEngine):
        # No change streams are used. With change delivery on, every commit takes a lease to dispatch
        # its changes, and under concurrent transactions the lease is found held and the server's
        # event loop waits for it to expire (30 s) while every client stalls (docs/decisions.md).
        capabilities = replace(SQLiteEngine.capabilities, change_delivery="none")

    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = Engine(path) if path else MemoryEngine()
    server = AsyncMongoEcoProxyServer(engine=engine, host=host, port=port)
    await server.start()
    print(f"store: listening on {host}:{server.address.port} ({path or 'memory'})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()
    print("store: stopped", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=27017)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--path", default=None, help="SQLite file; in memory when omitted")
    args = ap.parse_args()
    asyncio.run(serve(args.port, args.path, args.host))


if __name__ == "__main__":
    main()
