"""What every service does with a command before its rules run: validate it into its model (the
first problem becomes an Invalid naming its field), check paging arguments, and shape views."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Invalid


def parse(model: type[BaseModel], payload: Any) -> Any:
    try:
        return model.model_validate(payload if payload is not None else {})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        msg = err["msg"].removeprefix("Value error, ")
        raise Invalid(msg, field) from None


def view(obj: BaseModel | dict, exclude: set[str] | None = None) -> dict:
    return obj.model_dump(mode="json", exclude=exclude) if isinstance(obj, BaseModel) else obj


MAX_LIMIT = 500
MAX_SKIP = 100_000  # deeper pages are searched for, not paged to


def page_args(limit: int, skip: int) -> tuple[int, int]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be 1 to {MAX_LIMIT}", "limit")
    if isinstance(skip, bool) or not isinstance(skip, int) or not 0 <= skip <= MAX_SKIP:
        raise Invalid(f"skip must be 0 to {MAX_SKIP:,}", "skip")
    return limit, skip
