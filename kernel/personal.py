"""Personal data at rest and its audit trail (DOMAIN §3, §5, §6: beneficiaries, complainants, donors).

**Sealed fields.** The most sensitive fields of such records (national ID, mobile, address and notes
of a beneficiary; a complainant's name and phone; a donor's name) are stored sealed: Fernet
(AES-128-CBC with HMAC-SHA256, from `cryptography`) under the key in the settings (`DATA_KEYS`), so
that a copy of the database alone does not reveal them. A sealed value is the text
`sealed:v1:<token>`; a value without the prefix (written before sealing began) is read as it is and
sealed by the service's start-up migration (`seal_existing`).

A field that is searched by equality (a beneficiary's national ID or mobile) also gets a **blind
index**: an HMAC-SHA256 of the normalised value under a key derived from the data key, stored beside
it (`<field>_bi`), so that a search finds the record without the store ever holding the value.

`DATA_KEYS` is a comma-separated list of Fernet keys (`python -m kernel.personal new-key` makes one):
the first seals, all of them open (so a new key is put first and the old one kept until everything
was re-sealed). The blind index is keyed from the *last* key of the list, which therefore stays
while blind-indexed records exist. Outside production a fixed development key is used when none is
set; in production a missing key, or the development one, is refused at start-up (kernel.settings).

**Audit trail.** Every read or change of such a record by a person is an event
(`<service>.personal_data.accessed.v1`, committed with the read or the change, so a read that cannot
be recorded is not answered) naming who, which records, what they did and the record's place in the
tree — never the personal data itself. The oversight service keeps them (`audit_trail`), for the
oversight head of the province and the Center.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import sys
from functools import lru_cache
from typing import Iterable, Literal

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from .events import EventData

PREFIX = "sealed:v1:"
# Development and tests only: refused in production (kernel.settings).
DEV_DATA_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"khadem development data key").digest()).decode()


class Sealer:
    def __init__(self, keys: Iterable[str]):
        keys = [k.strip() for k in keys if k and k.strip()]
        if not keys:
            raise ValueError("DATA_KEYS names no key")
        try:
            fernets = [Fernet(k.encode()) for k in keys]
        except (ValueError, TypeError):
            raise ValueError("every key in DATA_KEYS is a Fernet key: 32 bytes in url-safe base64 "
                             "(python -m kernel.personal new-key)") from None
        self._fernet = MultiFernet(fernets)
        self._index_key = hmac.new(base64.urlsafe_b64decode(keys[-1].encode()), b"khadem blind index v1",
                                   hashlib.sha256).digest()

    def seal(self, value: str | None) -> str | None:
        if value is None or value == "" or is_sealed(value):
            return value
        return PREFIX + self._fernet.encrypt(str(value).encode("utf-8")).decode("ascii")

    def open(self, value):
        if not is_sealed(value):
            return value
        try:
            return self._fernet.decrypt(value[len(PREFIX):].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ValueError("a sealed field does not open with any key in DATA_KEYS") from None

    def blind(self, value: str | None) -> str | None:
        """The blind index of a normalised value (None stays None)."""
        if value is None or value == "":
            return None
        return hmac.new(self._index_key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()

    # -- documents: fields named by dotted paths ("complainant.name")
    def seal_doc(self, doc: dict, fields: Iterable[str], blind: Iterable[str] = ()) -> dict:
        for path in blind:
            _set(doc, path + "_bi", self.blind(_get(doc, path)))
        for path in fields:
            if _has(doc, path):
                _set(doc, path, self.seal(_get(doc, path)))
        return doc

    def open_doc(self, doc: dict | None, fields: Iterable[str], blind: Iterable[str] = ()) -> dict | None:
        if doc is None:
            return None
        doc = dict(doc)
        for path in blind:
            _pop(doc, path + "_bi")
        for path in fields:
            if _has(doc, path):
                _set(doc, path, self.open(_get(doc, path)))
        return doc


def is_sealed(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def _parent(doc: dict, path: str, create: bool = False):
    *heads, last = path.split(".")
    for h in heads:
        nxt = doc.get(h)
        if not isinstance(nxt, dict):
            if not create:
                return None, last
            nxt = doc[h] = {}
        doc = nxt
    return doc, last


def _has(doc: dict, path: str) -> bool:
    parent, last = _parent(doc, path)
    return parent is not None and last in parent


def _get(doc: dict, path: str):
    parent, last = _parent(doc, path)
    return None if parent is None else parent.get(last)


def _set(doc: dict, path: str, value) -> None:
    parent, last = _parent(doc, path, create=True)
    if isinstance(parent, dict) and parent is not None:
        parent[last] = value


def _pop(doc: dict, path: str) -> None:
    parent, last = _parent(doc, path)
    if parent is not None:
        parent.pop(last, None)


def sealer_from(settings) -> Sealer:
    return Sealer((settings.data_keys or DEV_DATA_KEY).split(","))


@lru_cache(maxsize=1)
def sealer() -> Sealer:
    """The process's sealer, from its settings (read once, at first use)."""
    from .settings import cached_settings
    return sealer_from(cached_settings())


def seal_existing(collection, fields: Iterable[str], blind: Iterable[str] = (), batch: int = 500) -> int:
    """Seals the fields of records written before sealing began (idempotent; run at start-up);
    returns how many records it sealed."""
    fields, blind = list(fields), list(blind)
    s = sealer()
    clear = {"$or": [{f: {"$type": "string", "$not": {"$regex": "^" + PREFIX}}} for f in fields]}
    done = 0
    while True:
        rows = list(collection.find(clear, limit=batch))
        if not rows:
            return done
        for doc in rows:
            sealed = s.seal_doc({k: v for k, v in doc.items() if k != "_id"}, fields, blind)
            collection.update_one({"_id": doc["_id"]}, {"$set": _flatten(sealed, fields, blind)})
            done += 1


def _flatten(doc: dict, fields: list[str], blind: list[str]) -> dict:
    out = {f: _get(doc, f) for f in fields if _has(doc, f)}
    out.update({b + "_bi": _get(doc, b + "_bi") for b in blind})
    return out


# ---------------------------------------------------------------- the audit trail

RecordKind = Literal["beneficiary", "complainant", "donor"]
Action = Literal["read", "list", "search", "create", "change"]
MAX_IDS = 100


class PersonalDataAccessed(EventData):
    """Base of each service's `<service>.personal_data.accessed.v1`: who (user and person; none for
    the public's own complaint), did what, to which records (at most MAX_IDS ids; `count` is how
    many), where in the tree the records are. Never the data itself."""
    record_kind: RecordKind
    action: Action
    record_ids: list[str]
    count: int
    path: list[str]
    by_user_id: str | None
    by_person_id: str | None


def accessed(cls: type[PersonalDataAccessed], ctx, kind: str, action: str, ids: list[str],
             path: list[str], *, person_id: str | None = None) -> PersonalDataAccessed:
    """The audit event of one access, by the request's caller (`ctx`: kernel.service.RequestContext;
    None for work not done on a request, such as a file's import, whose `person_id` is given)."""
    return cls(record_kind=kind, action=action, record_ids=list(ids)[:MAX_IDS], count=len(ids), path=list(path),
               by_user_id=ctx.user_id if ctx else None, by_person_id=ctx.person_id if ctx else person_id)


def main(argv: list[str]) -> int:
    if argv[1:] == ["new-key"]:
        print(Fernet.generate_key().decode())
        return 0
    print("usage: python -m kernel.personal new-key", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
