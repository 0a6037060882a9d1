"""Coverage (DOMAIN §2.4): per county, which neighborhoods have an active kanoon and which
specialized fields have one. The HQ aims at every neighborhood of a county, and at a specialized
kanoon of each field in every county; the fields it measures against are those the province has a
specialized kanoon of anywhere (docs/decisions.md)."""
from __future__ import annotations

from .kanoons import Kanoon, KanoonKind, KanoonStatus
from .units import Unit


def county_coverage(city: Unit, neighborhoods: list[Unit], kanoons: list[Kanoon], province_fields: set[str]) -> dict:
    active = [k for k in kanoons if k.status == KanoonStatus.active]
    served = {k.unit_id for k in active if k.kind == KanoonKind.neighborhood}
    covered = [n for n in neighborhoods if n.id in served]
    uncovered = [n for n in neighborhoods if n.id not in served]
    fields = sorted({k.field for k in active if k.kind == KanoonKind.specialized and k.field})
    return {
        "unit_id": city.id,
        "name": city.name,
        "neighborhoods": {
            "total": len(neighborhoods), "covered": len(covered),
            "rate": round(len(covered) / len(neighborhoods), 4) if neighborhoods else None,
            "uncovered": [{"id": n.id, "name": n.name} for n in uncovered],
        },
        "neighborhood_kanoons": sum(1 for k in active if k.kind == KanoonKind.neighborhood),
        "specialized_fields": {"present": fields, "missing": sorted(province_fields - set(fields))},
    }
