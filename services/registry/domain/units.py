"""Geography (DOMAIN §2.1): country → region → province → city (county) → neighborhood."""
from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from kernel.errors import Invalid
from .. import events as ev


class UnitKind(StrEnum):
    country = "country"
    region = "region"
    province = "province"
    city = "city"
    neighborhood = "neighborhood"


CHILD_KIND = {
    UnitKind.country: {UnitKind.region, UnitKind.province},
    UnitKind.region: {UnitKind.province},
    UnitKind.province: {UnitKind.city},
    UnitKind.city: {UnitKind.neighborhood},
    UnitKind.neighborhood: set(),
}


class Unit(BaseModel):
    id: str
    name: str
    kind: UnitKind
    parent_id: str | None = None
    path: list[str]  # ancestors and itself, root first
    capital: bool = False  # a province's capital city (§2.2: its neighborhoods are the deputy's)

    @classmethod
    def create(cls, unit_id: str, name: str, kind: UnitKind, parent: "Unit | None", capital: bool = False
               ) -> tuple["Unit", list]:
        if parent is None and kind != UnitKind.country:
            raise Invalid("only the country has no parent", "parent_id")
        if parent is not None and kind not in CHILD_KIND[parent.kind]:
            raise Invalid(f"a {kind} cannot be placed under a {parent.kind}", "kind")
        if capital and kind != UnitKind.city:
            raise Invalid("only a city is a province's capital", "capital")
        path = (parent.path if parent else []) + [unit_id]
        unit = cls(id=unit_id, name=name, kind=kind, parent_id=parent.id if parent else None, path=path,
                   capital=capital)
        return unit, [ev.UnitCreated(unit_id=unit_id, name=name, kind=kind, parent_id=unit.parent_id, path=path)]

    def ancestor_of_kind(self, kinds: dict[str, str], kind: UnitKind) -> str | None:
        """The id on this unit's path whose kind is `kind` (`kinds` maps path ids to kinds)."""
        for uid in self.path:
            if kinds.get(uid) == kind:
                return uid
        return None
