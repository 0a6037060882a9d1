"""News and media of activities (DOMAIN §8): the PR head writes an item from approved activity
reports of the province, picking their media (photos, clips, news links) — only media those
reports carry — and publishes it."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from kernel.errors import Conflict, Invalid

from .. import events as ev


class Media(BaseModel):
    kind: str                # photo | clip | news
    url: str
    report_id: str


class NewsItem(BaseModel):
    id: str
    province_id: str
    province_path: list[str]
    title: str
    body: str
    report_ids: list[str]
    media: list[Media]
    status: str = "draft"    # draft | published
    written_by: str
    written_at: datetime
    published_at: datetime | None = None
    version: int = 0

    def publish(self, at: datetime) -> list:
        if self.status == "published":
            raise Conflict("the item is published already", "status")
        self.status, self.published_at = "published", at
        return [ev.NewsPublished(news_id=self.id, province_id=self.province_id, title=self.title,
                                 report_ids=self.report_ids, media=len(self.media))]


def pick_media(reports: dict[str, dict], report_ids: list[str], urls: list[str] | None, province_id: str) -> list[Media]:
    """The media chosen from the reports (`reports`: approved reports known, by id, with their path
    and media); all of their media when `urls` is None."""
    if not report_ids:
        raise Invalid("an item tells of at least one approved activity report", "report_ids")
    available: dict[str, Media] = {}
    for rid in report_ids:
        r = reports.get(rid)
        if r is None:
            raise Invalid(f"{rid} is not an approved activity report", "report_ids")
        if province_id not in r["path"]:
            raise Invalid(f"{rid} is another province's", "report_ids")
        for m in r.get("media", []):
            available.setdefault(m["url"], Media(kind=m["kind"], url=m["url"], report_id=rid))
    if urls is None:
        return list(available.values())
    missing = [u for u in urls if u not in available]
    if missing:
        raise Invalid(f"not a medium of the chosen reports: {missing[0]}", "media")
    return [available[u] for u in dict.fromkeys(urls)]
