"""Serve the web app: `python -m web` on WEB_HOST:WEB_PORT (127.0.0.1:8080), talking to the gateway
at GATEWAY_URL (http://127.0.0.1:$GATEWAY_PORT)."""
import os

import uvicorn


def main() -> None:
    uvicorn.run(
        "web.app:create_app", factory=True, host=os.environ.get("WEB_HOST", "127.0.0.1"),
        port=int(os.environ.get("WEB_PORT", "8080")), workers=int(os.environ.get("WEB_WORKERS", "1")),
        access_log=False)


if __name__ == "__main__":
    main()
