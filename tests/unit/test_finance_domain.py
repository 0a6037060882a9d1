"""The finance service's rules with no I/O: whole rials, the ledger's invariant (every posting and
every reversal sums to zero, balances follow), receipts and their reversal, quiet terminals,
reconciliation, period figures, and reading a file's rows."""
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.clock import FixedClock
from kernel.errors import Conflict, Invalid
from kernel.jalali import parse_period
from services.finance.domain import figures
from services.finance.domain.batches import header_map, read_row
from services.finance.domain.ledger import balances, check_balanced
from services.finance.domain.money import rials
from services.finance.domain.receipts import Channel, Receipt
from services.finance.domain.reconciliation import Statement, reconcile
from services.finance.domain.terminals import Terminal, TerminalKind

C = FixedClock(datetime(2025, 11, 11, 12, 0, tzinfo=timezone.utc))   # 1404/08/20 15:30 in Tehran
PATH = ["IR", "IR-R5", "IR-09", "IR-09-MSH", "kn_a"]


def terminal(tid="POS-1", owner="kn_a", path=PATH):
    t, _ = Terminal.register(terminal_id=tid, kind=TerminalKind.pos, label="کارتخوان", province_id="IR-09",
                             owner_id=owner, owner_path=path, clock=FixedClock(C.now() - timedelta(days=30)))
    return t


def receipt(t=None, rrn="1001", amount=1_200_000, at=None, **kw):
    return Receipt.record(terminal=t or terminal(), rrn=rrn, at=at or C.now() - timedelta(hours=1), amount=amount,
                          channel=kw.pop("channel", Channel.vow), intent=kw.pop("intent", "اطعام"),
                          donor=kw.pop("donor", None), by="vx", clock=C, **kw)


# ---------------------------------------------------------------- money

@pytest.mark.parametrize("given_,expected", [
    (1200000, 1200000), ("1200000", 1200000), ("۱٬۲۰۰٬۰۰۰", 1200000), ("1,200,000", 1200000),
    ("١٢٠٠٠٠٠", 1200000), (" 5 000 ", 5000),
])
def test_amounts_are_whole_rials_in_any_digits(given_, expected):
    assert rials(given_) == expected


@pytest.mark.parametrize("bad", [1.5, 1200000.0, "12.5", "۱۲٫۵", "-5", 0, -1, True, "abc", "", None, 10 ** 16])
def test_fractions_floats_signs_and_nonsense_are_refused(bad):
    with pytest.raises(Invalid) as exc:
        rials(bad)
    assert exc.value.field == "amount"


# ---------------------------------------------------------------- the ledger

def test_a_posting_balances_and_names_its_accounts():
    check_balanced([("a:1", 5), ("b:1", -5)])
    for lines in ([("a:1", 5)], [("a:1", 5), ("b:1", -4)], [("a:1", 0), ("b:1", 0)], [("a:1", 5.0), ("b:1", -5.0)],
                  [("nocolon", 5), ("b:1", -5)]):
        with pytest.raises(Invalid):
            check_balanced(lines)


amounts = st.integers(min_value=1, max_value=10 ** 12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["POS-1", "POS-2", "SW-1"]), st.sampled_from(list(Channel)), amounts,
                          st.booleans()), min_size=1, max_size=40))
def test_every_operation_keeps_the_ledger_at_zero_and_reversals_undo_exactly(ops):
    """Whatever receipts are recorded and reversed, every posting sums to zero, the whole ledger
    sums to zero, and the balances equal the receipts kept (the reversed ones leave no trace)."""
    postings = []
    kept: dict[str, int] = {}
    terms = {tid: terminal(tid) for tid in ("POS-1", "POS-2", "SW-1")}
    for n, (tid, channel, amount, undo) in enumerate(ops):
        r, p, events = receipt(terms[tid], rrn=str(n), amount=amount, channel=channel)
        assert sum(x.amount for x in p.lines) == 0
        assert events[-1].lines == [[x.account, x.amount] for x in p.lines]
        postings.append(p)
        if undo:
            u, _ = r.reverse(p, "ثبت اشتباه", "fx", C)
            assert sum(x.amount for x in u.lines) == 0 and u.reverses == p.id and p.reversed_by == u.id
            postings.append(u)
        else:
            kept[f"terminal:{tid}"] = kept.get(f"terminal:{tid}", 0) + amount
            kept[f"income:{channel}:kn_a"] = kept.get(f"income:{channel}:kn_a", 0) - amount
    assert sum(x.amount for p in postings for x in p.lines) == 0
    assert balances(postings) == {k: v for k, v in kept.items() if v}


def test_a_reversal_is_not_reversed_and_a_posting_is_reversed_once():
    r, p, _ = receipt()
    u, events = r.reverse(p, "تراکنش آزمایشی", "fx", C)
    assert [e.event_type for e in events] == ["finance.receipt.reversed.v1", "finance.posting.recorded.v1"]
    with pytest.raises(Conflict):
        r.reverse(p, "دوباره", "fx", C)
    with pytest.raises(Conflict):
        p.reversal(ref="x", by="fx", clock=C)
    with pytest.raises(Conflict):
        u.reversal(ref="x", by="fx", clock=C)
    r2, p2, _ = receipt(rrn="1002")
    with pytest.raises(Invalid):
        r2.reverse(p2, " ", "fx", C)


# ---------------------------------------------------------------- receipts

def test_a_receipt_credits_its_kanoon_or_its_project_and_carries_no_donor_on_the_bus():
    r, p, events = receipt(donor="حاج آقا رضایی")
    assert r.id == "POS-1:1001" and r.month == "1404-08"
    assert [(x.account, x.amount) for x in p.lines] == [("terminal:POS-1", 1_200_000), ("income:vow:kn_a", -1_200_000)]
    assert all("رضایی" not in str(e.model_dump()) for e in events)
    _, p, _ = receipt(rrn="1003", project_id="pr_9")
    assert p.lines[1].account == "project:pr_9"
    with pytest.raises(Invalid) as exc:
        receipt(rrn="1004", at=C.now() + timedelta(minutes=5))
    assert exc.value.field == "at"
    retired = terminal()
    retired.retired = True
    with pytest.raises(Conflict):
        receipt(retired)


def test_a_silent_terminal_is_flagged_once_and_a_receipt_clears_it():
    t = terminal()   # registered 30 days ago, nothing received
    [event] = t.check(None, C.now(), days=7)
    assert event.event_type == "finance.terminal.went_quiet.v1" and t.quiet_since == C.now()
    assert t.check(None, C.now() + timedelta(days=1), days=7) == []   # flagged once
    assert t.check(C.now() - timedelta(days=2), C.now(), days=7) == [] and t.quiet_since is None
    assert t.check(C.now() - timedelta(days=6), C.now(), days=7) == []
    assert len(t.check(C.now() - timedelta(days=8), C.now(), days=7)) == 1


def test_a_statement_is_reconciled_against_the_days_receipts():
    st_ = Statement(id="POS-1:2025-11-11", terminal_id="POS-1", day=date(2025, 11, 11), total=3_000_000, count=2,
                    province_id="IR-09")
    ok = reconcile(st_, [(1_000_000, False), (2_000_000, False), (500_000, True)])
    assert ok.matches and ok.difference == 0 and ok.recorded_count == 2
    missing = reconcile(st_, [(1_000_000, False)])
    assert not missing.matches and missing.difference == 2_000_000
    extra = reconcile(st_.model_copy(update={"total": 0, "count": 0}), [(1_000_000, False)])
    assert extra.difference == -1_000_000


def test_figures_count_receipts_by_channel_intent_and_terminal_and_reversals_take_them_back():
    r1, _, e1 = receipt(amount=1000, intent="اطعام")
    r2, p2, e2 = receipt(rrn="2", amount=500, channel=Channel.gift, intent="عمومی")
    _, e3 = r2.reverse(p2, "اشتباه", "fx", C)
    doc: dict = {}
    for e in e1 + e2 + e3:
        for k, v in figures.deltas(e.event_type, e.model_dump()).items():
            node = doc
            *parents, leaf = k.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = node.get(leaf, 0) + v
    out = figures.summarize("kn_a", parse_period("1404-08"), [doc])
    assert (out["amount"], out["count"]) == (1000, 1)
    assert out["by_channel"] == {"vow": {"amount": 1000, "count": 1}}
    assert out["by_intent"] == {"اطعام": {"amount": 1000, "count": 1}}
    assert out["by_terminal"] == {"POS-1": {"amount": 1000, "count": 1}}


# ---------------------------------------------------------------- rows of a file

def test_a_files_header_is_read_in_english_or_persian_and_rows_name_their_faults():
    cols = header_map(["شماره ترمینال", "شماره مرجع", "تاریخ و ساعت", "مبلغ", "نیت", "نوع"])
    row = read_row(1, ["POS-1", "۱۲۳۴۵", "۱۴۰۴/۰۸/۲۰ ۱۴:۳۰", "۱٬۲۰۰٬۰۰۰", "اطعام", "نذر"], cols)
    assert (row.terminal_id, row.rrn, row.amount, row.channel) == ("POS-1", "12345", 1_200_000, Channel.vow)
    assert row.at == datetime(2025, 11, 11, 11, 0, tzinfo=timezone.utc)
    with pytest.raises(Invalid) as exc:
        header_map(["terminal", "amount"])
    assert exc.value.field == "file" and "rrn" in exc.value.message
    cols = header_map(["terminal_id", "rrn", "at", "amount", "channel"])
    for cells, field in ((["POS-1", "1", "1404/08/20 14:30", "12.5"], "amount"),
                         (["POS-1", "1", "1404/13/20 14:30", "100"], "at"),
                         (["POS-1", "", "1404/08/20 14:30", "100"], "rrn"),
                         (["POS-1", "1", "1404/08/20 14:30", "100", "bribe"], "channel")):
        with pytest.raises(Invalid) as exc:
            read_row(2, cells, cols)
        assert exc.value.field == field


def test_a_chunks_event_carries_the_same_figures_and_lines_as_its_receipts_one_by_one():
    from services.finance.domain.batches import chunk_event
    t1, t2 = terminal("POS-1"), terminal("POS-2", owner="kn_b", path=PATH[:-1] + ["kn_b"])
    recorded, singles = [], []
    for n, (t, amount, channel) in enumerate([(t1, 1000, Channel.vow), (t1, 2500, Channel.gift),
                                              (t2, 700, Channel.vow)]):
        r, p, events = receipt(t, rrn=f"C{n}", amount=amount, channel=channel)
        recorded.append((r, p))
        singles += events
    event = chunk_event("bt_1", 0, recorded)
    assert event.count == 3 and event.amount == 4200 and sum(a for _, a in event.lines) == 0
    one_by_one: dict = {}
    for e in singles:
        for path, month, inc in figures.grouped(e.event_type, e.model_dump()):
            for k, v in inc.items():
                one_by_one[(tuple(path), month, k)] = one_by_one.get((tuple(path), month, k), 0) + v
    together = {(tuple(path), month, k): v for path, month, inc in figures.grouped(event.event_type, event.model_dump())
                for k, v in inc.items()}
    assert together == one_by_one
    lines = {}
    for e in singles:
        for a, n in figures.posting_lines(e.event_type, e.model_dump()):
            lines[a] = lines.get(a, 0) + n
    assert dict(map(tuple, figures.posting_lines(event.event_type, event.model_dump()))) == lines


def test_an_assets_custody_passes_only_when_both_sides_acknowledge_and_its_history_tells():
    from kernel.errors import Forbidden
    from services.finance.domain.assets import Asset
    a, [registered] = Asset.register(code="PC-1", description="رایانه", province_id="IR-09", unit_id="IR-09",
                                     unit_path=["IR", "IR-R5", "IR-09"], custodian_id="p_old", value=45_000_000,
                                     acquired_on=date(2024, 1, 1), by="sec", clock=C)
    assert a.id == "IR-09:PC-1" and registered.event_type == "finance.asset.registered.v1"
    with pytest.raises(Invalid):
        Asset.register(code="PC-2", description="x", province_id="IR-07", unit_id="IR-09", unit_path=a.unit_path,
                       custodian_id="p", value=1, acquired_on=date(2024, 1, 1), by="sec", clock=C)
    with pytest.raises(Invalid):
        a.request_handover("p_old", "sec", C)
    a.request_handover("p_new", "sec", C)
    with pytest.raises(Conflict):
        a.request_handover("p_other", "sec", C)
    with pytest.raises(Forbidden):
        a.acknowledge("p_stranger", C)
    assert a.acknowledge("p_new", C) == [] and a.custodian_id == "p_old"
    with pytest.raises(Conflict):
        a.acknowledge("p_new", C)
    [handed] = a.acknowledge("p_old", C)
    assert a.custodian_id == "p_new" and a.handover is None and handed.to_custodian_id == "p_new"
    assert [h.what for h in a.history] == ["registered", "handover_requested", "handed_over"]
    a.request_handover("p_third", "p_new", C)
    a.cancel_handover("p_new", C)
    assert a.custodian_id == "p_new" and a.history[-1].what == "handover_cancelled"


def test_a_project_is_raised_by_its_receipts_and_refuses_others_and_closes_once():
    from services.finance.domain.projects import Project
    with pytest.raises(Conflict):
        Project.define(title="x", description="y", kanoon_id="kn_a", kanoon_path=PATH, kanoon_active=False,
                       province_id="IR-09", target=1000, by="h", clock=C)
    p, [defined] = Project.define(title="تعمیر سقف", description="شبستان", kanoon_id="kn_a", kanoon_path=PATH,
                                  kanoon_active=True, province_id="IR-09", target=1_000_000, by="h", clock=C)
    assert defined.event_type == "finance.project.defined.v1" and p.status(0) == "open"
    p.check_open_for(PATH)                                     # the kanoon's own terminal
    p.check_open_for(["IR", "IR-R5", "IR-09"])                 # the province's own account
    with pytest.raises(Invalid):
        p.check_open_for(PATH[:-1] + ["kn_b"])                 # another kanoon's terminal
    _, posting, _ = receipt(rrn="P1", amount=1_200_000, project_id=p.id)
    raised = -balances([posting]).get(p.account, 0)
    assert raised == 1_200_000 and p.status(raised) == "reached"
    with pytest.raises(Invalid):
        p.close(" ", "h", C, raised)
    [closed] = p.close("هدف محقق شد", "h", C, raised)
    assert p.status(raised) == "closed" and closed.raised == 1_200_000
    with pytest.raises(Conflict):
        p.check_open_for(PATH)
    with pytest.raises(Conflict):
        p.close("دوباره", "h", C, raised)


def test_a_document_is_known_by_its_content_and_an_expense_needs_its_documents():
    from services.finance.domain.documents import content_type_of, describe
    from services.finance.domain.expenses import Expense
    assert content_type_of(b"%PDF-1.7 ...") == "application/pdf"
    assert content_type_of(b"\xff\xd8\xff\xe0 jpeg") == "image/jpeg"
    assert content_type_of(b"\x89PNG\r\n\x1a\n...") == "image/png"
    for bad in (b"", b"MZ\x90\x00 an executable named invoice.pdf", b"plain text"):
        with pytest.raises(Invalid) as exc:
            content_type_of(bad)
        assert exc.value.field == "file"
    pdf = describe("doc_1", "فاکتور.pdf", b"%PDF-1.7 invoice", "kn_a", PATH, "h")
    assert len(pdf.sha256) == 64 and pdf.size == 16

    def record(docs, owner="kn_a", spent=date(2025, 11, 10)):
        return Expense.record(owner_id=owner, owner_path=PATH, province_id="IR-09", category="پذیرایی",
                              description="برنامه", amount=3_500_000, spent_on=spent, documents=docs, by="h", clock=C)
    with pytest.raises(Invalid) as exc:
        record([])
    assert exc.value.field == "document_ids"
    other = describe("doc_2", "x.pdf", b"%PDF-1.7 other", "kn_b", PATH, "h")
    with pytest.raises(Invalid):
        record([other])
    with pytest.raises(Invalid):
        record([pdf], spent=date(2025, 12, 1))
    e, posting, events = record([pdf])
    assert pdf.expense_id == e.id and sum(x.amount for x in posting.lines) == 0
    assert [(x.account, x.amount) for x in posting.lines] == [("expense:پذیرایی:kn_a", 3_500_000), ("due:kn_a", -3_500_000)]
    assert events[0].event_type == "finance.expense.recorded.v1" and events[0].documents == 1
    with pytest.raises(Conflict):
        record([pdf])    # a document documents one expense


def test_a_financial_document_is_checked_sent_and_reimbursed_or_returned():
    from services.finance.domain.documents import describe
    from services.finance.domain.expenses import Expense
    from services.finance.domain.vouchers import Voucher

    def expense(n, amount):
        doc = describe(f"doc_{n}", "f.pdf", b"%PDF-1.7 x", "kn_a", PATH, "h")
        e, _, _ = Expense.record(owner_id="kn_a", owner_path=PATH, province_id="IR-09", category="سفر",
                                 description="x", amount=amount, spent_on=date(2025, 11, 1), documents=[doc], by="h",
                                 clock=C)
        return e
    e1, e2 = expense(1, 1_000_000), expense(2, 250_000)
    with pytest.raises(Conflict):
        Voucher.gather(owner_id="kn_a", owner_path=PATH, province_id="IR-09", expenses=[e1], taken={e1.id}, by="h", clock=C)
    v, _ = Voucher.gather(owner_id="kn_a", owner_path=PATH, province_id="IR-09", expenses=[e1, e2], taken=set(), by="h",
                          clock=C)
    assert v.total == 1_250_000 and v.status == "draft"
    with pytest.raises(Conflict):
        v.send("s", C)                                           # not checked yet
    with pytest.raises(Invalid, match="invoices_legible"):
        v.check({"signed_by_officials": True, "within_budget_heading": True}, [e1, e2], "f", C)
    with pytest.raises(Invalid, match="total_matches"):
        v.check(dict.fromkeys(("signed_by_officials", "within_budget_heading", "invoices_legible"), True), [e1], "f", C)
    attested = dict.fromkeys(("signed_by_officials", "within_budget_heading", "invoices_legible"), True)
    v.check(attested, [e1, e2], "f", C)
    v.send("s", C)
    assert not v.overdue(C.now() + timedelta(days=30), 30) and v.overdue(C.now() + timedelta(days=31), 30)
    v.give_back("فاکتور ناخوانا", "f", C)
    assert v.status == "returned" and v.sent_at is None
    v.check(attested, [e1, e2], "f", C)
    v.send("s", C)
    posting, events = v.reimburse("f", C)
    assert v.status == "reimbursed" and sum(x.amount for x in posting.lines) == 0
    assert [(x.account, x.amount) for x in posting.lines] == [("due:kn_a", 1_250_000), ("center:IR-09", -1_250_000)]
    assert [s.step for s in v.steps] == ["drafted", "checked", "sent", "returned", "checked", "sent", "reimbursed"]
    with pytest.raises(Conflict):
        v.give_back("دیر", "f", C)


# ---------------------------------------------------------------- money from bodies, settlement (§5.4, §5.6)

def funding(amount=10_000_000, owner="kn_a", path=PATH, project=None, body="اداره کل اوقاف"):
    from services.finance.domain.fundings import BodyKind, Funding
    return Funding.receive(body=body, body_kind=BodyKind.province_body, owner_id=owner, owner_path=path,
                           province_id="IR-09", amount=amount, received_on=date(2025, 11, 1), purpose="بسته معیشتی",
                           reference="7781", executive_project=project, by="fx", clock=C)


def spend(f, amount, n, owner="kn_a", project=None):
    from services.finance.domain.documents import describe
    from services.finance.domain.expenses import Expense
    doc = describe(f"doc_s{n}", "f.pdf", b"%PDF-1.7 x", owner, PATH, "h")
    return Expense.record(owner_id=owner, owner_path=PATH, province_id="IR-09", category="خرید", description="x",
                          amount=amount, spent_on=date(2025, 11, 2), documents=[doc], by="h", clock=C, funding=f,
                          executive_project=project)


def test_money_from_a_body_is_held_in_its_fund_until_documented_or_returned():
    f, posting, events = funding()
    assert [(x.account, x.amount) for x in posting.lines] == [(f"fund:{f.id}", 10_000_000),
                                                              (f"body:IR-09:{f.body_key}", -10_000_000)]
    assert events[0].event_type == "finance.funding.received.v1" and f.missing == 10_000_000
    e, ep, _ = spend(f, 7_000_000, 1)
    assert e.funding_id == f.id and [(x.account, x.amount) for x in ep.lines] == [
        ("expense:خرید:kn_a", 7_000_000), (f"fund:{f.id}", -7_000_000)]
    with pytest.raises(Conflict, match="3000000 rials left"):
        spend(f, 3_000_001, 2)                         # more than is left
    assert f.spent == 7_000_000 and f.expense_ids == [e.id]
    with pytest.raises(Invalid):
        spend(f, 1_000, 3, owner="kn_b")               # another kanoon's funding
    s = f.settlement()
    assert (s["received"], s["documented"], s["returned"], s["missing"], s["complete"]) == (
        10_000_000, 7_000_000, 0, 3_000_000, False)
    with pytest.raises(Conflict, match="3000000 of 10000000 rials"):
        f.certify("fx", C)                             # the certificate says what is missing
    with pytest.raises(Conflict):
        f.give_back(3_000_001, "واریز", "fx", C)
    rp, _ = f.give_back(3_000_000, "واریز به حساب اداره کل", "fx", C)
    assert [(x.account, x.amount) for x in rp.lines] == [(f.body_account, 3_000_000), (f.account, -3_000_000)]
    assert balances([posting, ep, rp]).get(f.account, 0) == f.missing == 0   # the fund's balance is what is missing
    events = f.certify("fx", C)
    assert f.certificate.documented == 7_000_000 and f.certificate.returned == 3_000_000
    assert events[0].event_type == "finance.settlement.certified.v1"
    with pytest.raises(Conflict):
        spend(f, 1, 4)                                 # nothing is charged to a settled funding
    with pytest.raises(Conflict):
        f.certify("fx", C)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=10 ** 10), st.lists(st.tuples(st.booleans(), st.integers(1, 10 ** 9)),
                                                                max_size=25))
def test_a_funds_balance_is_always_what_is_missing_and_never_below_zero(amount, ops):
    """Whatever is spent and returned (the refused attempts changing nothing), every posting sums
    to zero, the fund's ledger balance equals the settlement's missing amount and never goes below
    zero, and the certificate is possible exactly when it is zero."""
    f, p, _ = funding(amount)
    postings = [p]
    for n, (is_return, x) in enumerate(ops):
        before = f.missing
        try:
            if is_return:
                postings.append(f.give_back(x, "واریز", "fx", C)[0])
            else:
                postings.append(spend(f, x, n)[1])
        except Conflict:
            assert x > before and f.missing == before
        assert sum(line.amount for q in postings for line in q.lines) == 0
        assert balances(postings).get(f.account, 0) == f.missing >= 0
    if f.missing:
        with pytest.raises(Conflict):
            f.certify("fx", C)
    else:
        f.certify("fx", C)


def test_a_discharge_is_requested_after_the_certificate_followed_and_received_with_its_letter():
    from services.finance.domain.documents import describe
    f, _, _ = funding(5_000_000)
    with pytest.raises(Conflict, match="5000000 rials are still missing"):
        f.request_discharge("نامه", "sh", C)
    spend(f, 5_000_000, 1)
    f.certify("fx", C)
    f.request_discharge("نامه ۱۲۳۴ ارسال شد", "sh", C)
    with pytest.raises(Conflict):
        f.request_discharge("دوباره", "sh", C)
    later = FixedClock(C.now() + timedelta(days=12))
    f.follow_up_discharge("تماس تلفنی با اداره کل", "sh", later)
    assert f.days_waiting(later.today()) == 12 and len(f.discharge.follow_ups) == 2
    # Requested at 20:45 UTC, already tomorrow in Tehran: asked 30 minutes later, no day has passed.
    evening = FixedClock(datetime(2026, 12, 7, 20, 45, tzinfo=timezone.utc))
    g, _, _ = funding(1_000_000)
    spend(g, 1_000_000, 1)
    g.certify("fx", evening)
    g.request_discharge("نامه", "sh", evening)
    assert g.days_waiting(FixedClock(evening.now() + timedelta(minutes=30)).today()) == 0
    used = describe("doc_u", "x.pdf", b"%PDF-1.7", "kn_a", PATH, "h")
    used.expense_id = "ex_1"
    with pytest.raises(Conflict):
        f.receive_discharge(used, "sh", later)         # a document attached to an expense is not the letter
    letter = describe("doc_l", "مفاصا.pdf", b"%PDF-1.7 letter", "kn_a", PATH, "h")
    events = f.receive_discharge(letter, "sh", later)
    assert f.discharge.status == "received" and letter.discharge_of == f.id and f.days_waiting(later.today()) is None
    assert events[0].status == "received" and events[0].follow_ups == 2
    with pytest.raises(Conflict):
        f.follow_up_discharge("بعد از دریافت", "sh", later)


def test_an_expense_spent_from_a_funding_is_not_reimbursed_by_the_center():
    from services.finance.domain.vouchers import Voucher
    f, _, _ = funding()
    e, _, _ = spend(f, 1_000_000, 1)
    with pytest.raises(Conflict, match="not reimbursed by the Center"):
        Voucher.gather(owner_id="kn_a", owner_path=PATH, province_id="IR-09", expenses=[e], taken=set(), by="h",
                       clock=C)


def test_an_executive_projects_money_comes_from_fundings_given_for_it():
    from services.finance.domain.fundings import ExecutiveProjectView
    pj = ExecutiveProjectView(id="pj_1", kanoon_id="kn_a", kanoon_path=PATH, title="سقف")
    other = ExecutiveProjectView(id="pj_2", kanoon_id="kn_b", kanoon_path=PATH[:-1] + ["kn_b"])
    with pytest.raises(Invalid):
        funding(project=other)                         # another kanoon's project
    f, _, events = funding(project=pj)
    assert f.executive_project_id == "pj_1" and events[0].executive_project_id == "pj_1"
    e, _, events = spend(f, 2_000_000, 1)              # spent from it: the project's spending
    assert e.executive_project_id == "pj_1" and events[0].executive_project_id == "pj_1"
    with pytest.raises(Invalid):
        spend(f, 1_000, 2, project=ExecutiveProjectView(id="pj_3", kanoon_id="kn_a", kanoon_path=PATH))


def test_a_consolidated_statement_sums_the_period_and_is_sent_once_to_each_recipient():
    from services.finance.domain.consolidated import Consolidated, Recipient
    period = parse_period("1404-07")                  # ended before C (1404/08/20)
    f1, _, _ = funding(10_000_000)
    spend(f1, 4_000_000, 1)
    f2, _, _ = funding(2_000_000, body="اداره  کل اوقاف")   # the same body, spelled with two spaces
    spend(f2, 2_000_000, 2)
    f2.certify("fx", C)
    f3, _, _ = funding(1_000_000, body="شهرداری مشهد")
    e_due, _, _ = expense_due()
    receipts = {"amount": 9_000_000, "count": 3, "by_channel": {"vow": {"amount": 8_000_000, "count": 2},
                                                                "gift": {"amount": 1_000_000, "count": 1}}}
    c, events = Consolidated.issue(province_id="IR-09", province_path=PATH[:3], period=period, receipts=receipts,
                                   fundings=[f1, f2, f3], expenses=[e_due], reimbursed=500_000,
                                   outstanding=[f1, f2, f3], by="fx", clock=C)
    assert c.id == "cs:IR-09:1404-07" and c.received == 9_000_000 and c.by_channel == {"vow": 8_000_000,
                                                                                      "gift": 1_000_000}
    assert c.funded == 13_000_000 and [(b.body, b.received, b.missing) for b in c.by_body] == [
        ("اداره کل اوقاف", 12_000_000, 6_000_000), ("شهرداری مشهد", 1_000_000, 1_000_000)]
    assert (c.spent, c.spent_to_reimburse, c.spent_from_fundings) == (800_000, 800_000, 0)
    assert (c.settlements_open, c.missing, c.discharges_pending) == (2, 7_000_000, 1)
    assert events[0].event_type == "finance.consolidated.issued.v1"
    c.send(Recipient.center, "9921", "sh", C)
    with pytest.raises(Conflict):
        c.send(Recipient.center, None, "sh", C)
    c.send(Recipient.astan_bodies, None, "sh", C)
    assert sorted(c.sent) == ["astan_bodies", "center"]
    with pytest.raises(Invalid, match="once the period has ended"):
        Consolidated.issue(province_id="IR-09", province_path=PATH[:3], period=parse_period("1404-08"),
                           receipts={}, fundings=[], expenses=[], reimbursed=0, outstanding=[], by="fx", clock=C)


def expense_due():
    from services.finance.domain.documents import describe
    from services.finance.domain.expenses import Expense
    doc = describe("doc_d", "f.pdf", b"%PDF-1.7 x", "kn_a", PATH, "h")
    return Expense.record(owner_id="kn_a", owner_path=PATH, province_id="IR-09", category="سفر", description="x",
                          amount=800_000, spent_on=date(2025, 10, 1), documents=[doc], by="h", clock=C)
