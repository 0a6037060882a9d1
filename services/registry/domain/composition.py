"""Composition figures (§2.9): how a unit's members divide by education, age band, gender and
occupation. Counts only; no person is named."""
from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Iterable

from kernel.jalali import age_on

AGE_BANDS = ((0, 17, "under_18"), (18, 29, "18_29"), (30, 39, "30_39"), (40, 49, "40_49"),
             (50, 59, "50_59"), (60, 200, "60_plus"))


def age_band(birth: date | None, on: date) -> str:
    if birth is None:
        return "unknown"
    age = age_on(birth, on)
    for low, high, name in AGE_BANDS:
        if low <= age <= high:
            return name
    return "unknown"


def composition(members: Iterable[dict], on: date) -> dict:
    """`members` are dicts with kind, education, gender, occupation and birth_date."""
    total = 0
    by = {k: Counter() for k in ("kind", "education", "gender", "occupation", "age_band")}
    for m in members:
        total += 1
        by["kind"][m.get("kind") or "unknown"] += 1
        by["education"][m.get("education") or "unknown"] += 1
        by["gender"][m.get("gender") or "unknown"] += 1
        by["occupation"][(m.get("occupation") or "unknown").strip() or "unknown"] += 1
        by["age_band"][age_band(m.get("birth_date"), on)] += 1
    return {"total": total, **{k: dict(sorted(v.items())) for k, v in by.items()}}
