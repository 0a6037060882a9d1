"""Aggregates as counters: each event adds (or takes away) numbers in one bucket per unit on its
kanoon's path and per Jalali month. A period (season, half-year, year) is the sum of its months'
buckets, so a province-year figure reads twelve small documents, never the reports themselves.
Increments commute: events applied in any order give the same counters."""
from __future__ import annotations

from collections.abc import Iterable

from kernel.buckets import bucket_id, bucket_ids  # noqa: F401 (one bucket per unit and month)
from kernel.jalali import Period


def _report_amounts(d: dict, sign: int) -> dict[str, float]:
    t, h, b = d["service_type"], d["hours"], d["beneficiaries"]
    out = {"approved.hours": sign * h, "approved.beneficiaries": sign * b,
           f"types.{t}.reports": sign, f"types.{t}.hours": sign * h, f"types.{t}.beneficiaries": sign * b}
    if d.get("reporter_kind") in ("khademyar", "yavar"):
        k = d["reporter_kind"]   # §4.7: khademyars' and yavars' activity, each
        out.update({f"by_kind.{k}.reports": sign, f"by_kind.{k}.hours": sign * h,
                    f"by_kind.{k}.beneficiaries": sign * b})
    if d.get("campaign_id"):
        c = d["campaign_id"]
        out.update({f"campaigns.{c}.reports": sign, f"campaigns.{c}.hours": sign * h,
                    f"campaigns.{c}.beneficiaries": sign * b})
    return out


def deltas(event_type: str, data: dict) -> dict[str, float]:
    """The counter increments one event makes in each bucket of its path and month."""
    kind = event_type.rsplit(".", 1)[0]  # without the version
    if kind == "reports.report.submitted":
        if data.get("previous") == "returned":
            return {"status.returned": -1, "status.submitted": 1}
        return {"status.submitted": 1}
    if kind == "reports.report.approved":
        return {"status.submitted": -1, "status.approved": 1, **_report_amounts(data, +1)}
    if kind == "reports.report.rejected":
        return {"status.submitted": -1, "status.rejected": 1}
    if kind == "reports.report.returned":
        return {"status.approved": -1, "status.returned": 1, **_report_amounts(data, -1)}
    if kind == "reports.report.flagged":
        return {f"flags.{data['flag']}": 1}
    if kind == "reports.program.held":
        return {"programs.held": 1, "programs.attendance": data["attendance"],
                "programs.participatory": 1 if data.get("partner_kanoon_ids") else 0}
    if kind == "reports.monthly_report.submitted":
        if data.get("resubmission"):
            return {}
        return {"monthly.submitted": 1, "monthly.on_time": 1 if data["on_time"] else 0}
    if kind == "reports.monthly_report.accepted":
        return {"monthly.accepted": 1, "clients": data["clients"],
                "public_requests.received": data["public_requests"],
                "public_requests.answered": data["public_requests_answered"]}
    return {}


def path_of(data: dict) -> list[str]:
    return data.get("kanoon_path") or []


def _add(into: dict, doc: dict) -> None:
    for k, v in doc.items():
        if k in ("_id", "unit_id", "month"):
            continue
        if isinstance(v, dict):
            _add(into.setdefault(k, {}), v)
        elif isinstance(v, (int, float)):
            into[k] = into.get(k, 0) + v


def _clean(tree: dict) -> dict:
    out = {}
    for k, v in tree.items():
        if isinstance(v, dict):
            v = _clean(v)
            if v:
                out[k] = v
        elif isinstance(v, float):
            out[k] = round(v, 2) if abs(v) > 1e-9 else 0
        else:
            out[k] = v
    return out


def campaign_totals(campaign_id: str, docs: Iterable[dict]) -> dict:
    """One campaign's reports, hours and beneficiaries in the given buckets."""
    totals = {"reports": 0, "hours": 0.0, "beneficiaries": 0}
    for doc in docs:
        for k, v in doc.get("campaigns", {}).get(campaign_id, {}).items():
            totals[k] = totals.get(k, 0) + v
    totals["hours"] = round(totals["hours"], 2)
    return totals


def summarize(unit_id: str, period: Period, docs: Iterable[dict]) -> dict:
    total: dict = {}
    for doc in docs:
        _add(total, doc)
    total = _clean(total)
    status = total.get("status", {})
    approved = total.get("approved", {})
    requests = total.get("public_requests", {})
    received, answered = requests.get("received", 0), requests.get("answered", 0)
    return {
        "unit_id": unit_id,
        "period": str(period),
        "reports": {s: status.get(s, 0) for s in ("submitted", "approved", "rejected", "returned")},
        "hours": approved.get("hours", 0),
        "beneficiaries": approved.get("beneficiaries", 0),
        "by_service_type": total.get("types", {}),
        "by_member_kind": {k: {m: total.get("by_kind", {}).get(k, {}).get(m, 0)
                               for m in ("reports", "hours", "beneficiaries")} for k in ("khademyar", "yavar")},
        "campaigns": total.get("campaigns", {}),
        "programs": {k: total.get("programs", {}).get(k, 0) for k in ("held", "attendance", "participatory")},
        "monthly_reports": {k: total.get("monthly", {}).get(k, 0) for k in ("submitted", "on_time", "accepted")},
        "clients": total.get("clients", 0),
        "public_requests": {"received": received, "answered": answered,
                            "response_rate": round(answered / received, 4) if received else None},
        "quality_flags": total.get("flags", {}),
    }
