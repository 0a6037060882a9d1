"""Period figures of money received (DOMAIN §5.1 reports): counters per unit on the receipt's path
and per Jalali month, by channel, intent and terminal; a season, half-year or year sums its months
(as the reports service's aggregates do). A reversal takes its receipt's numbers away again."""
from __future__ import annotations

from collections.abc import Iterable

from kernel.jalali import Period


def grouped(event_type: str, data: dict) -> list[tuple[list[str], str, dict[str, int]]]:
    """The increments an event makes, as (path, month, increments), summed per path and month (a
    chunk of imported receipts makes one entry per kanoon and month, not one per receipt)."""
    if event_type.rsplit(".", 1)[0] == "finance.receipts.imported":
        return [(f["path"], f["month"], f["inc"]) for f in data["figures"]]
    inc = deltas(event_type, data)
    return [(data["owner_path"], data["month"], inc)] if inc else []


def posting_lines(event_type: str, data: dict) -> list[list]:
    """The ledger lines an event records (a posting, or a chunk of imported receipts' postings)."""
    kind = event_type.rsplit(".", 1)[0]
    if kind == "finance.posting.recorded":
        return data["lines"]
    if kind == "finance.receipts.imported":
        return data["lines"]
    return []


def deltas(event_type: str, data: dict) -> dict[str, int]:
    kind = event_type.rsplit(".", 1)[0]
    if kind == "finance.receipt.recorded":
        sign = 1
    elif kind == "finance.receipt.reversed":
        sign = -1
    else:
        return {}
    a, c, i, t = data["amount"], data["channel"], data["intent"], data["terminal_id"]
    out = {"total.amount": sign * a, "total.count": sign,
           f"channels.{c}.amount": sign * a, f"channels.{c}.count": sign,
           f"intents.{_key(i)}.amount": sign * a, f"intents.{_key(i)}.count": sign,
           f"terminals.{_key(t)}.amount": sign * a, f"terminals.{_key(t)}.count": sign}
    if data.get("project_id"):
        out[f"projects.{_key(data['project_id'])}.amount"] = sign * a
    return out


def _key(text: str) -> str:
    """A name usable as a document key (no dots, no leading $)."""
    return text.replace(".", "\uff0e").replace("$", "\uff04")


def summarize(unit_id: str, period: Period, docs: Iterable[dict]) -> dict:
    total: dict = {}
    for doc in docs:
        _add(total, doc)
    t = total.get("total", {})
    return {"unit_id": unit_id, "period": str(period), "amount": t.get("amount", 0), "count": t.get("count", 0),
            "by_channel": _nonzero(total.get("channels", {})), "by_intent": _nonzero(total.get("intents", {})),
            "by_terminal": _nonzero(total.get("terminals", {})), "by_project": _nonzero(total.get("projects", {}))}


def _add(into: dict, doc: dict) -> None:
    for k, v in doc.items():
        if k in ("_id", "unit_id", "month"):
            continue
        if isinstance(v, dict):
            _add(into.setdefault(k, {}), v)
        elif isinstance(v, (int, float)):
            into[k] = into.get(k, 0) + int(v)


def _nonzero(tree: dict) -> dict:
    return {k.replace("\uff0e", ".").replace("\uff04", "$"): v for k, v in tree.items()
            if isinstance(v, dict) and any(v.values())}
