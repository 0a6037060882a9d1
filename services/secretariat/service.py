"""The secretariat service (DOMAIN §8): nameko entrypoints that validate, check access, call the
domain and store the result with its events in one transaction. It learns units, kanoons,
memberships and roles from the registry's events, and approved activity reports (with their media,
for the news) from the reports service's; a timer raises letters' reminders and overdue notices and
memoranda's renewal notices."""
from __future__ import annotations

import logging

from kernel import jalali, uploads
from kernel.clock import SYSTEM as clock
from kernel.commands import page_args, parse, view
from kernel.errors import Conflict, Forbidden, Invalid, NotFound
from kernel.messaging import batch_event_handler, reliable_event_handler
from kernel.registry_view import apply_registry_event
from kernel.service import ContextProvider, DomainService, StoreProvider, rpc
from kernel.settings import cached_settings
from kernel.store import Store, Transaction

from . import schemas as s
from .domain import rules
from .domain.desk import Message, Ticket
from .domain.hq import AssemblySession, HqReport
from .domain.letters import Attachment, Letter
from .domain.meetings import hold, whose_turn
from .domain.mous import Mou
from .domain.news import NewsItem, pick_media
from .events import TicketOpened
from .repository import Repository, apply_report_event, ensure_indexes

log = logging.getLogger(__name__)


def check_deadlines(store: Store) -> int:
    """Letters' reminders and overdue notices, memoranda's renewal notices: each raised once, with
    its event, when its day has come (every few minutes; every instance runs it, the saves are versioned)."""
    today = clock.today()
    repo = Repository(store.db)
    raised = sum(_raise_due(store, today, "letter", x.id, Repository.letter, Repository.save_letter)
                 for x in repo.letters_to_check() if x.due(today))
    raised += sum(_raise_due(store, today, "mou", x.id, Repository.mou, Repository.save_mou)
                  for x in repo.mous_to_check() if x.due(today))
    if raised:
        log.info("%d letters or memoranda came due", raised)
    return raised


def _raise_due(store: Store, today, kind: str, item_id: str, load, save) -> int:
    """Raise what came due on one letter or memorandum in its own transaction (read again there)."""
    def work(tx: Transaction):
        repo = Repository(tx.db)
        current = load(repo, item_id)
        events = current.due(today)
        if events:
            save(repo, current)
            tx.emit(*events)
    try:
        store.transaction(work, correlation_id=f"{kind}-due-{item_id}")
        return 1
    except Conflict:
        return 0   # changed meanwhile: the next pass sees it


class SecretariatProjections:
    """The secretariat's event handlers, in a container of their own: the registry's read model and
    the approved activity reports news may tell of."""

    name = "secretariat_projections"
    owner = "secretariat"

    store = StoreProvider(relay=False)

    @property
    def budget(self) -> float:
        return cached_settings().handler_store_seconds

    @reliable_event_handler("registry", "registry.#")
    def on_registry_event(self, envelope: dict) -> None:
        self.store.apply("registry", envelope, lambda tx: apply_registry_event(tx.db, envelope), self.budget)

    @batch_event_handler("reports", "reports.report.approved.#")
    def on_report_approved(self, envelopes: list[dict]) -> None:
        """Approvals come in bursts: batched, one transaction per batch."""
        self.store.apply_batch("reports", envelopes, apply_report_event, self.budget)

    @reliable_event_handler("reports", "reports.report.returned.#")
    def on_report_returned(self, envelope: dict) -> None:
        self.store.apply("reports", envelope, lambda tx: apply_report_event(tx.db, envelope), self.budget)


def _status(value, allowed: tuple[str, ...], field: str = "status"):
    if value is not None and value not in allowed:
        raise Invalid(f"{field} is one of: {', '.join(allowed)}", field)
    return value


class SecretariatService(DomainService):
    name = "secretariat"
    repository = Repository

    store = StoreProvider(indexes=ensure_indexes,
                          periodic={"deadlines": (lambda st: st.deadline_check_seconds, check_deadlines)})
    ctx = ContextProvider()

    def _actor(self, repo: Repository):
        return repo.actor(self.ctx.user_id, self.ctx.person_id, clock.today())

    def _province(self, repo: Repository, province_id: str, field: str = "province_id") -> list[str]:
        path, kind = repo.unit_path(province_id)
        if kind != "province":
            raise Invalid("not a province", field)
        return path

    # ------------------------------------------------------------ letters

    @rpc
    def register_letter(self, payload: dict) -> dict:
        cmd = parse(s.RegisterLetter, payload)

        def work(repo: Repository, tx):
            path = self._province(repo, cmd.province_id)
            actor = rules.keep_letters(self._actor(repo), path)
            reply_to = repo.letter(cmd.reply_to) if cmd.reply_to else None
            year = jalali.jalali_year_month(clock.today())[0]
            letter, events = Letter.register(
                province_id=cmd.province_id, province_path=path, direction=cmd.direction,
                seq=repo.next_seq(cmd.province_id, year, cmd.direction), subject=cmd.subject, parties=cmd.parties,
                dated=cmd.dated, deadline=cmd.deadline, remind_days=cmd.remind_days, their_number=cmd.their_number,
                reply_to=reply_to, assigned_to=cmd.assigned_to, by=actor.person_id, clock=clock)
            repo.add_letter(letter)
            if reply_to is not None:
                repo.save_letter(reply_to)
            tx.emit(*events)
            return self._letter_view(letter)
        return self._write(work)

    def _letter_view(self, letter: Letter) -> dict:
        out = view(letter)
        out["overdue"] = letter.overdue(clock.today())
        return out

    @rpc
    def get_letter(self, letter_id: str) -> dict:
        repo = self._read()
        letter = repo.letter(letter_id)
        rules.read_letters(self._actor(repo), letter.province_path)
        return self._letter_view(letter)

    @rpc
    def letters(self, province_id: str, direction: str | None = None, status: str | None = None,
                waiting: bool = False, limit: int = 100, skip: int = 0) -> dict:
        """The province's letters, latest first; `waiting`: incoming letters with a deadline still open."""
        limit, skip = page_args(limit, skip)
        _status(direction, ("incoming", "outgoing"), "direction")
        _status(status, ("open", "answered", "closed"))
        repo = self._read()
        path = self._province(repo, province_id)
        rules.read_letters(self._actor(repo), path)
        items, total = repo.letters(province_id, direction, status, bool(waiting), limit, skip)
        return {"total": total, "items": [self._letter_view(x) for x in items]}

    @rpc
    def close_letter(self, letter_id: str, payload: dict) -> dict:
        cmd = parse(s.CloseLetter, payload)

        def work(repo: Repository, tx):
            letter = repo.letter(letter_id)
            actor = rules.keep_letters(self._actor(repo), letter.province_path)
            tx.emit(*letter.close(cmd.note, actor.person_id, clock))
            repo.save_letter(letter)
            return self._letter_view(letter)
        return self._write(work)

    @rpc
    def attach_to_letter(self, letter_id: str, payload: dict) -> dict:
        cmd = parse(s.AttachFile, payload)
        content = uploads.decode(cmd.content)
        kind = uploads.content_type_of(content)
        repo = self._read()
        letter = repo.letter(letter_id)
        actor = rules.keep_letters(self._actor(repo), letter.province_path)
        file_id = uploads.keyed_id("lf", self.ctx.idempotency, clock)
        repo.store_file(file_id, cmd.name, content, kind)   # the bytes first: a record never lacks its file

        def work(repo: Repository, tx):
            letter = repo.letter(letter_id)
            if not any(a.id == file_id for a in letter.attachments):
                letter.attachments.append(Attachment.of(file_id, cmd.name, content, kind, actor.person_id, clock.now()))
                repo.save_letter(letter)
            return self._letter_view(letter)
        return self._write(work)

    @rpc
    def letter_file(self, letter_id: str, attachment_id: str) -> dict:
        repo = self._read()
        letter = repo.letter(letter_id)
        rules.read_letters(self._actor(repo), letter.province_path)
        a = next((a for a in letter.attachments if a.id == attachment_id), None)
        if a is None:
            raise NotFound(f"no attachment {attachment_id} on this letter", "attachment_id")
        import base64   # noqa: PLC0415
        return {"name": a.name, "content_type": a.content_type,
                "content": base64.b64encode(repo.file_content(a.id)).decode()}

    # ------------------------------------------------------------ memoranda

    @rpc
    def register_mou(self, payload: dict) -> dict:
        cmd = parse(s.RegisterMou, payload)

        def work(repo: Repository, tx):
            path = self._province(repo, cmd.province_id)
            actor = rules.keep_letters(self._actor(repo), path)
            m, events = Mou.register(province_id=cmd.province_id, province_path=path, title=cmd.title,
                                     parties=cmd.parties, subject=cmd.subject, signed_on=cmd.signed_on,
                                     starts_on=cmd.starts_on, ends_on=cmd.ends_on, notice_days=cmd.notice_days,
                                     by=actor.person_id, clock=clock)
            repo.add_mou(m)
            tx.emit(*events)
            return self._mou_view(m)
        return self._write(work)

    def _mou_view(self, m: Mou) -> dict:
        out = view(m)
        today = clock.today()
        out["in_force"] = m.in_force(today)
        out["renewal_due"] = m.ends_on >= today and (m.ends_on - today).days <= m.notice_days
        return out

    @rpc
    def renew_mou(self, mou_id: str, payload: dict) -> dict:
        cmd = parse(s.RenewMou, payload)

        def work(repo: Repository, tx):
            m = repo.mou(mou_id)
            actor = rules.keep_letters(self._actor(repo), m.province_path)
            tx.emit(*m.renew(cmd.ends_on, actor.person_id, clock))
            repo.save_mou(m)
            return self._mou_view(m)
        return self._write(work)

    @rpc
    def mous(self, province_id: str) -> list[dict]:
        repo = self._read()
        rules.read_letters(self._actor(repo), self._province(repo, province_id))
        return [self._mou_view(m) for m in repo.mous(province_id)]

    # ------------------------------------------------------------ the council, the assembly, reports

    @rpc
    def elect_chair(self, payload: dict) -> dict:
        cmd = parse(s.ElectChair, payload)

        def work(repo: Repository, tx):
            path = self._province(repo, cmd.province_id)
            rules.keep_council(self._actor(repo), path)
            year = jalali.jalali_year_month(cmd.elected_on)[0]
            c = repo.council(cmd.province_id, path, year)
            tx.emit(*c.elect_chair(cmd.person_id, cmd.elected_on, clock.today()))
            repo.save_council(c)
            return view(c)
        return self._write(work)

    @rpc
    def send_nominees(self, payload: dict) -> dict:
        cmd = parse(s.SendNominees, payload)

        def work(repo: Repository, tx):
            path = self._province(repo, cmd.province_id)
            rules.keep_council(self._actor(repo), path)
            year = jalali.jalali_year_month(cmd.sent_on)[0]
            c = repo.council(cmd.province_id, path, year)
            tx.emit(*c.send_nominees(list(cmd.nominees), cmd.sent_on, clock.today()))
            repo.save_council(c)
            return view(c)
        return self._write(work)

    @rpc
    def council(self, province_id: str) -> list[dict]:
        repo = self._read()
        rules.read_letters(self._actor(repo), self._province(repo, province_id))
        return [view(c) for c in repo.councils(province_id)]

    @rpc
    def record_assembly(self, payload: dict) -> dict:
        cmd = parse(s.RecordAssembly, payload)

        def work(repo: Repository, tx):
            path = self._province(repo, cmd.province_id)
            actor = rules.keep_letters(self._actor(repo), path)
            if cmd.report_id:
                r = repo.hq_report(cmd.report_id)
                if r.province_id != cmd.province_id or r.to != "assembly":
                    raise Invalid("the report presented is this province's report to the assembly", "report_id")
            session, events = AssemblySession.record(
                province_id=cmd.province_id, province_path=path, held_on=cmd.held_on, attendees=cmd.attendees,
                resolutions=list(cmd.resolutions), report_id=cmd.report_id, by=actor.person_id,
                year=jalali.jalali_year_month(cmd.held_on)[0], today=clock.today())
            repo.add_assembly(session)
            tx.emit(*events)
            return view(session)
        return self._write(work)

    @rpc
    def assemblies(self, province_id: str) -> list[dict]:
        repo = self._read()
        rules.read_letters(self._actor(repo), self._province(repo, province_id))
        return [view(a) for a in repo.assemblies(province_id)]

    @rpc
    def write_hq_report(self, payload: dict) -> dict:
        cmd = parse(s.WriteHqReport, payload)

        def work(repo: Repository, tx):
            path = self._province(repo, cmd.province_id)
            actor = rules.keep_letters(self._actor(repo), path)
            r = HqReport(id=clock.new_id("hr"), province_id=cmd.province_id, province_path=path, to=cmd.to,
                         period=str(jalali.parse_period(cmd.period)), title=cmd.title, body=cmd.body,
                         written_by=actor.person_id, written_at=clock.now())
            repo.add_hq_report(r)
            return view(r)
        return self._write(work)

    @rpc
    def send_hq_report(self, report_id: str, payload: dict) -> dict:
        cmd = parse(s.SendHqReport, payload)

        def work(repo: Repository, tx):
            r = repo.hq_report(report_id)
            rules.keep_letters(self._actor(repo), r.province_path)
            tx.emit(*r.send(cmd.sent_on, clock.today()))
            repo.save_hq_report(r)
            return view(r)
        return self._write(work)

    @rpc
    def hq_reports(self, province_id: str) -> list[dict]:
        repo = self._read()
        rules.read_letters(self._actor(repo), self._province(repo, province_id))
        return [view(r) for r in repo.hq_reports(province_id)]

    # ------------------------------------------------------------ the heads' monthly meeting

    @rpc
    def record_meeting(self, payload: dict) -> dict:
        cmd = parse(s.RecordMeeting, payload)

        def work(repo: Repository, tx):
            path, kind = repo.unit_path(cmd.unit_id)
            if kind != "city":
                raise Invalid("the heads' meeting is a city's", "unit_id")
            actor = rules.keep_meetings(self._actor(repo), path)
            past = [m.host_kanoon_id for m in repo.meetings(cmd.unit_id)]
            m, events = hold(unit_id=cmd.unit_id, unit_path=path, held_on=cmd.held_on, host=cmd.host_kanoon_id,
                             kanoons=repo.neighborhood_kanoons(cmd.unit_id, cmd.held_on), past_hosts=past,
                             minutes=cmd.minutes, attended=list(cmd.attended), next_host=cmd.next_host_id,
                             by=actor.person_id, at=clock.now(), today=clock.today())
            repo.add_meeting(m)
            tx.emit(*events)
            return view(m)
        return self._write(work)

    @rpc
    def meetings(self, unit_id: str) -> dict:
        """A city's meetings, latest first, and the kanoons whose turn to host has come (those that
        have not hosted since the last one that did; every one when none has)."""
        repo = self._read()
        path, kind = repo.unit_path(unit_id)
        if kind != "city":
            raise Invalid("the heads' meeting is a city's", "unit_id")
        actor = rules.signed_in(self._actor(repo))
        heads_here = any(unit_id in (repo.db.kanoons.find_one({"_id": g.scope_id}, {"unit_path": 1}) or {}).get("unit_path", [])
                         for g in actor.grants_of("kanoon_head", "kanoon_deputy"))
        if not heads_here and not actor.covers(path, rules.MEETINGS | rules.READERS):
            raise Forbidden("the city's heads' meetings are seen by its kanoons' heads and its staff")
        items = repo.meetings(unit_id)
        kanoons = repo.neighborhood_kanoons(unit_id, clock.today())
        turn = whose_turn(kanoons, [m.host_kanoon_id for m in items])
        return {"unit_id": unit_id, "kanoons": len(kanoons), "turn": turn, "items": [view(m) for m in items]}

    # ------------------------------------------------------------ news

    @rpc
    def write_news(self, payload: dict) -> dict:
        cmd = parse(s.WriteNews, payload)

        def work(repo: Repository, tx):
            path = self._province(repo, cmd.province_id)
            actor = rules.write_news(self._actor(repo), path)
            media = pick_media(repo.approved_reports(list(cmd.report_ids)), list(cmd.report_ids),
                               list(cmd.media) if cmd.media is not None else None, cmd.province_id)
            n = NewsItem(id=clock.new_id("nw"), province_id=cmd.province_id, province_path=path, title=cmd.title,
                         body=cmd.body, report_ids=list(dict.fromkeys(cmd.report_ids)), media=media,
                         written_by=actor.person_id, written_at=clock.now())
            repo.add_news(n)
            return view(n)
        return self._write(work)

    @rpc
    def publish_news(self, news_id: str) -> dict:
        def work(repo: Repository, tx):
            n = repo.news_item(news_id)
            rules.write_news(self._actor(repo), n.province_path)
            tx.emit(*n.publish(clock.now()))
            repo.save_news(n)
            return view(n)
        return self._write(work)

    @rpc
    def news(self, province_id: str, limit: int = 20, skip: int = 0) -> list[dict]:
        """Published items for anyone signed in; drafts too for the PR head."""
        limit, skip = page_args(limit, skip)
        repo = self._read()
        path = self._province(repo, province_id)
        actor = rules.signed_in(self._actor(repo))
        drafts = actor.covers(path, rules.NEWS)
        return [view(n) for n in repo.news(province_id, not drafts, limit, skip)]

    @rpc
    def media_to_pick(self, province_id: str, limit: int = 50) -> list[dict]:
        """The province's latest approved reports that carry media, for the PR head to pick from."""
        limit, _ = page_args(limit, 0)
        repo = self._read()
        path = self._province(repo, province_id)
        rules.write_news(self._actor(repo), path)
        return [{"report_id": d["_id"], "kanoon_id": d["kanoon_id"], "month": d["month"],
                 "service_type": d["service_type"], "media": d["media"]} for d in repo.recent_media(province_id, limit)]

    # ------------------------------------------------------------ the service desk

    @rpc
    def open_ticket(self, payload: dict) -> dict:
        cmd = parse(s.OpenTicket, payload)

        def work(repo: Repository, tx):
            actor = rules.signed_in(self._actor(repo))
            now = clock.now()
            if cmd.contact:   # the desk records an applicant's call
                if not cmd.province_id:
                    raise Invalid("the desk names the province of the call", "province_id")
                path = self._province(repo, cmd.province_id)
                rules.answer_tickets(actor, path)
                province, person = cmd.province_id, None
            else:
                where = repo.member_province(actor.person_id)
                if where is None:
                    if not cmd.province_id:
                        raise Invalid("name your province", "province_id")
                    where = (cmd.province_id, self._province(repo, cmd.province_id))
                province, path = where
                person = actor.person_id
            t = Ticket(id=clock.new_id("tk"), province_id=province, province_path=path, person_id=person,
                       contact=cmd.contact, category=cmd.category, subject=cmd.subject,
                       messages=[Message(by=actor.person_id, staff=bool(cmd.contact), text=cmd.text, at=now)],
                       opened_at=now)
            repo.add_ticket(t)
            tx.emit(TicketOpened(ticket_id=t.id, province_id=province, person_id=person, category=cmd.category))
            return view(t)
        return self._write(work)

    def _ticket_for(self, repo: Repository, ticket_id: str) -> tuple[Ticket, object, bool]:
        """The ticket, the caller, and whether the caller is the desk (else its own person)."""
        t = repo.ticket(ticket_id)
        actor = rules.signed_in(self._actor(repo))
        if actor.covers(t.province_path, rules.DESK):
            return t, actor, True
        if t.person_id == actor.person_id:
            return t, actor, False
        raise Forbidden("a ticket is seen by its person and the service desk")

    @rpc
    def get_ticket(self, ticket_id: str) -> dict:
        t, _, _ = self._ticket_for(self._read(), ticket_id)
        return view(t)

    @rpc
    def my_tickets(self) -> list[dict]:
        repo = self._read()
        actor = rules.signed_in(self._actor(repo))
        return [view(t) for t in repo.tickets_of(actor.person_id)]

    @rpc
    def tickets(self, province_id: str, status: str | None = None, limit: int = 100, skip: int = 0) -> dict:
        limit, skip = page_args(limit, skip)
        _status(status, ("open", "answered", "closed"))
        repo = self._read()
        rules.answer_tickets(self._actor(repo), self._province(repo, province_id))
        items, total = repo.tickets(province_id, status, limit, skip)
        return {"total": total, "items": [view(t) for t in items]}

    @rpc
    def ticket_message(self, ticket_id: str, payload: dict) -> dict:
        """The desk's answer, or the person's follow-up (which reopens an answered or closed ticket)."""
        cmd = parse(s.TicketMessage, payload)

        def work(repo: Repository, tx):
            t, actor, desk = self._ticket_for(repo, ticket_id)
            if desk and t.person_id != actor.person_id:
                events = t.answer(cmd.text, actor.person_id, clock.now())
            else:
                events = t.follow_up(cmd.text, actor.person_id, clock.now())
            repo.save_ticket(t)
            tx.emit(*events)
            return view(t)
        return self._write(work)

    @rpc
    def close_ticket(self, ticket_id: str) -> dict:
        def work(repo: Repository, tx):
            t, actor, _ = self._ticket_for(repo, ticket_id)
            tx.emit(*t.close(actor.person_id, clock.now()))
            repo.save_ticket(t)
            return view(t)
        return self._write(work)
