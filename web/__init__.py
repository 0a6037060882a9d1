"""The Persian web app: pages over the gateway's REST API (web/app.py)."""
