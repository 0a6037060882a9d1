"""Vows over HTTP on the running system: the vows-system expert registers a kanoon's card reader,
records receipts (a duplicate reference is recorded once), reverses one by a posting that names
it, reconciles a day's statement, and the month's figures and the ledger's balances agree; a
kanoon's head sees its own money without donors' names, another kanoon's head sees nothing; bad
amounts change nothing."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from kernel import jalali
from tests.system.helpers import account, eventually, form_kanoon, member, staff, until_status

TODAY = jalali.today()
WHEN = datetime.now(timezone.utc) - timedelta(minutes=3)   # receipts are recorded after they happen




@pytest.fixture(scope="module")
def money(system, admin):
    tag = uuid.uuid4().hex[:4]
    city = f"IR-14-F{tag.upper()}"
    assert admin.post("/api/units", json={"id": city, "name": "شهر", "kind": "city", "parent_id": "IR-14"}).status_code == 201
    sec, _ = staff(admin, system.base, f"sec.fin.{tag}", "city_secretary", city, city=city)
    heads, kanoons = {}, {}
    for name in ("a", "b"):
        head, deputy = member(admin, city=city), member(admin, city=city)
        heads[name] = account(admin, system.base, head, f"head.fin{name}.{tag}")
        kanoons[name] = form_kanoon(heads[name], head, deputy, sec, f"کانون {name}", unit=city)
    vows, _ = staff(admin, system.base, f"vows.{tag}", "vows_expert", "IR-14", city=city)
    finance, _ = staff(admin, system.base, f"fin.{tag}", "finance_expert", "IR-14", city=city)
    return {"tag": tag, "city": city, **kanoons, "head_a": heads["a"], "head_b": heads["b"], "vows": vows,
            "finance": finance, "terminal": f"POS-{tag.upper()}"}


def test_receipts_post_to_the_ledger_once_and_add_up(money):
    t = money["terminal"]
    body = {"terminal_id": t, "kind": "pos", "label": "کارتخوان مسجد", "owner_id": money["a"]}
    assert money["head_a"].post("/api/finance/terminals", json=body).status_code == 403
    r = until_status(lambda: money["vows"].post("/api/finance/terminals", json=body), 201)
    assert r is not None and r.json()["province_id"] == "IR-14"
    assert money["vows"].post("/api/finance/terminals", json=body).status_code == 409

    at = jalali.format_datetime(WHEN)
    receipts = [("5001", 1_200_000, "vow", "اطعام"), ("5002", "۳۰۰٬۰۰۰", "vow", "عمومی"),
                ("5003", 2_000_000, "gift", "عمومی")]
    ids = []
    for rrn, amount, channel, intent in receipts:
        r = money["vows"].post("/api/finance/receipts", json={"terminal_id": t, "rrn": rrn, "at": at, "amount": amount,
                                                              "channel": channel, "intent": intent,
                                                              "donor": "خانم کریمی"})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    again = money["vows"].post("/api/finance/receipts", json={"terminal_id": t, "rrn": "5001", "at": at,
                                                              "amount": 1_200_000})
    assert again.status_code == 409 and again.json()["field"] == "rrn"
    # A receipt recorded in error is reversed, never deleted.
    assert money["vows"].post(f"/api/finance/receipts/{ids[2]}/reversal", json={"reason": "تراکنش آزمایشی"}).status_code == 403
    r = money["finance"].post(f"/api/finance/receipts/{ids[2]}/reversal", json={"reason": "تراکنش آزمایشی"})
    assert r.status_code == 200 and r.json()["reversed"] is True
    detail = money["finance"].get(f"/api/finance/receipts/{ids[2]}").json()
    assert detail["posting"]["reversed_by"] and detail["donor"] == "خانم کریمی"

    month = str(jalali.period_of(WHEN))

    def settled():
        f = money["finance"].get(f"/api/finance/units/{money['city']}/figures", params={"period": month}).json()
        return f if f["count"] == 2 else None
    figures = eventually(settled)
    assert figures, money["finance"].get(f"/api/finance/units/{money['city']}/figures", params={"period": month}).json()
    assert figures["amount"] == 1_500_000 and figures["by_channel"] == {"vow": {"amount": 1_500_000, "count": 2}}
    assert figures["by_intent"]["اطعام"] == {"amount": 1_200_000, "count": 1}
    year = money["finance"].get("/api/finance/units/IR-14/figures", params={"period": str(jalali.period_of(WHEN, "year"))}).json()
    assert year["amount"] >= 1_500_000

    def balanced():
        b = money["head_a"].get(f"/api/finance/units/{money['a']}/balances").json()["accounts"]
        return b if b.get(f"terminal:{t}") == 1_500_000 else None
    accounts = eventually(balanced)
    assert accounts and accounts[f"income:vow:{money['a']}"] == -1_500_000 and accounts[f"income:gift:{money['a']}"] == 0
    # The kanoon's head sees its own receipts without donors; another head sees nothing of them.
    own = money["head_a"].get(f"/api/finance/units/{money['a']}/receipts", params={"period": month}).json()
    assert own["total"] == 3 and all(r["donor"] is None for r in own["items"])
    assert money["head_b"].get(f"/api/finance/units/{money['a']}/receipts", params={"period": month}).status_code == 403
    assert money["head_b"].get(f"/api/finance/receipts/{ids[0]}").status_code == 403

    # The day's statement: the bank settled 1,500,000 in 2 transactions — it matches.
    day = jalali.format_date(WHEN)
    r = money["vows"].post("/api/finance/statements", json={"terminal_id": t, "day": day, "total": 1_500_000, "count": 2})
    assert r.status_code == 200 and r.json()["matches"] is True, r.text
    r = money["vows"].post("/api/finance/statements", json={"terminal_id": t, "day": day, "total": "۱٬۸۰۰٬۰۰۰", "count": 3})
    assert r.json()["matches"] is False and r.json()["difference"] == 300_000


def test_bad_amounts_and_unknown_terminals_change_nothing(system, money):
    db = system.db("finance")
    before = (db.receipts.count_documents({}), db.postings.count_documents({}))
    at = jalali.format_date(TODAY - timedelta(days=1)) + " 10:00"
    base = {"terminal_id": money["terminal"], "rrn": "9001", "at": at, "amount": 1000}
    cases = [({**base, "amount": 1.5}, 422, "amount"), ({**base, "amount": "۱۲٫۵"}, 422, "amount"),
             ({**base, "amount": -100}, 422, "amount"), ({**base, "amount": 0}, 422, "amount"),
             ({**base, "amount": 1000.0}, 422, "amount"), ({**base, "terminal_id": "POS-NOWHERE"}, 404, "terminal_id"),
             ({**base, "at": "1404/13/40 10:00"}, 422, "at"), ({**base, "channel": "bribe"}, 422, "channel"),
             ({**base, "at": jalali.format_date(TODAY + timedelta(days=2)) + " 10:00"}, 422, "at")]
    for payload, status, field in cases:
        r = money["vows"].post("/api/finance/receipts", json=payload)
        assert r.status_code == status and r.json()["field"] == field, (payload, r.text)
    assert (db.receipts.count_documents({}), db.postings.count_documents({})) == before


def wait_done(api, batch_id, timeout=60):
    def done():
        b = api.get(f"/api/finance/receipt-batches/{batch_id}").json()
        return b if b["status"] == "done" else None
    return eventually(done, timeout)


def test_a_file_of_receipts_is_recorded_row_by_row_once(money):
    t = money["terminal"]
    when = jalali.format_datetime(WHEN - timedelta(hours=2))
    csv_text = "\n".join([
        "شماره ترمینال,شماره مرجع,تاریخ و ساعت,مبلغ,نیت,نوع,نام نیکوکار",
        f"{t},۷۰۰۱,{when},۱۰۰۰۰۰,اطعام,نذر,آقای احمدی",
        f"{t},7002,{when},\"250,000\",عمومی,هدیه,",
        f"{t},7001,{when},100000,اطعام,نذر,",          # the same receipt again in the file
        f"{t},5001,{when},1200000,اطعام,نذر,",         # recorded before (the single receipts' test)
        f"{t},7003,{when},12.5,عمومی,نذر,",            # a fraction
        f"POS-NOWHERE,7004,{when},5000,عمومی,نذر,",     # no such terminal
    ]).encode("utf-8")
    files = {"file": ("receipts.csv", csv_text, "text/csv")}
    assert money["head_a"].post("/api/finance/receipt-batches", files=files).status_code == 403
    r = money["vows"].post("/api/finance/receipt-batches", files=files)
    assert r.status_code == 202, r.text
    assert r.headers["Location"].endswith(r.json()["id"]) and r.json()["format"] == "csv"
    b = wait_done(money["vows"], r.json()["id"])
    assert b, money["vows"].get(r.headers["Location"]).json()
    assert (b["rows"], b["accepted"], b["duplicates"], b["refused"], b["amount"]) == (6, 2, 2, 2, 350_000)
    refused = money["vows"].get(r.headers["Location"], params={"status": "refused"}).json()["outcomes"]
    assert [(o["row"], o["field"]) for o in refused] == [(5, "amount"), (6, "terminal_id")]
    assert money["head_b"].get(r.headers["Location"]).status_code == 403
    # The same file again: every row is known now; nothing is recorded twice.
    again = money["vows"].post("/api/finance/receipt-batches", files=files)
    b2 = wait_done(money["vows"], again.json()["id"])
    assert (b2["accepted"], b2["duplicates"], b2["refused"]) == (0, 4, 2)


def test_an_excel_file_is_read_by_its_content_and_a_forged_one_refused(system, money):
    import io

    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["terminal_id", "rrn", "at", "amount", "intent"])
    when = jalali.format_datetime(WHEN - timedelta(hours=3))
    for n in range(1, 4):
        sheet.append([money["terminal"], f"X{n:04d}", when, 10_000 * n, "کمک به ایتام"])
    data = io.BytesIO()
    book.save(data)
    # Named .csv, read as the workbook it is.
    r = money["vows"].post("/api/finance/receipt-batches", files={"file": ("export.csv", data.getvalue())})
    assert r.status_code == 202 and r.json()["format"] == "xlsx", r.text
    b = wait_done(money["vows"], r.json()["id"])
    assert b and (b["accepted"], b["amount"]) == (3, 60_000)
    db = system.db("finance")
    before = db.batches.count_documents({})
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    r = money["vows"].post("/api/finance/receipt-batches", files={"file": ("receipts.xlsx", png)})
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = money["vows"].post("/api/finance/receipt-batches", files={"file": ("empty.csv", b"terminal_id,rrn,at,amount\n")})
    assert r.status_code == 422 and r.json()["field"] == "file"
    assert db.batches.count_documents({}) == before


def test_an_upload_retried_with_its_key_is_one_batch(system, money):
    when = jalali.format_datetime(WHEN - timedelta(hours=4))
    body = f"terminal_id,rrn,at,amount\n{money['terminal']},K0001,{when},7000\n".encode()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = money["vows"].post("/api/finance/receipt-batches", files={"file": ("a.csv", body)}, headers=key)
    second = money["vows"].post("/api/finance/receipt-batches", files={"file": ("a.csv", body)}, headers=key)
    assert first.status_code == second.status_code == 202 and first.json()["id"] == second.json()["id"]
    other = money["vows"].post("/api/finance/receipt-batches", files={"file": ("a.csv", body + body[-30:])}, headers=key)
    assert other.status_code == 422   # the same key with another file
    assert system.db("finance").batches.count_documents({"_id": first.json()["id"]}) == 1
    assert wait_done(money["vows"], first.json()["id"])["accepted"] == 1


def test_an_asset_changes_custodian_when_both_acknowledge(system, admin, money):
    tag = money["tag"]
    keeper, _ = staff(admin, system.base, f"secretariat.{tag}", "secretariat_head", "IR-14", city=money["city"])
    old_pid, new_pid = member(admin, city=money["city"]), member(admin, city=money["city"])
    old = account(admin, system.base, old_pid, f"custodian.old.{tag}")
    new = account(admin, system.base, new_pid, f"custodian.new.{tag}")
    body = {"code": f"PC-{tag}", "description": "رایانه رومیزی دبیرخانه", "unit_id": "IR-14",
            "custodian_id": old_pid, "value": "۴۵۰٬۰۰۰٬۰۰۰", "acquired_on": "1403/05/10"}
    assert money["vows"].post("/api/finance/assets", json=body).status_code == 403
    r = until_status(lambda: keeper.post("/api/finance/assets", json=body), 201)
    assert r is not None and r.json()["value"] == 450_000_000
    aid = r.json()["id"]
    assert keeper.post("/api/finance/assets", json=body).status_code == 409
    r = old.post(f"/api/finance/assets/{aid}/handover", json={"to_custodian_id": new_pid})
    assert r.status_code == 200 and r.json()["handover"]["to_custodian_id"] == new_pid
    assert money["head_a"].post(f"/api/finance/assets/{aid}/handover/acknowledgement").status_code == 403
    r = new.post(f"/api/finance/assets/{aid}/handover/acknowledgement")
    assert r.status_code == 200 and r.json()["custodian_id"] == old_pid   # not yet: the giver has not
    r = old.post(f"/api/finance/assets/{aid}/handover/acknowledgement")
    assert r.json()["custodian_id"] == new_pid and r.json()["handover"] is None
    history = new.get(f"/api/finance/assets/{aid}").json()["history"]
    assert [h["what"] for h in history] == ["registered", "handover_requested", "handed_over"]
    assert "/" in history[0]["at"]                      # Jalali, as a person reads it
    mine = new.get("/api/finance/units/IR-14/assets", params={"custodian_id": new_pid}).json()
    assert [a["id"] for a in mine["items"]] == [aid]
    assert old.get("/api/finance/units/IR-14/assets").status_code == 403


def test_a_project_is_raised_by_the_receipts_earmarked_to_it(money):
    r = money["head_b"].post("/api/finance/projects", json={"kanoon_id": money["a"], "title": "تعمیر سقف مسجد",
                                                            "description": "پیش از زمستان", "target": 1_000_000})
    assert r.status_code == 403
    r = until_status(lambda: money["head_a"].post("/api/finance/projects", json={
        "kanoon_id": money["a"], "title": "تعمیر سقف مسجد", "description": "پیش از زمستان", "target": "۱٬۰۰۰٬۰۰۰"}), 201)
    assert r is not None and r.json()["status"] == "open" and r.json()["raised"] == 0
    pid = r.json()["id"]
    at = jalali.format_datetime(WHEN - timedelta(hours=5))
    base = {"terminal_id": money["terminal"], "at": at, "project_id": pid}
    for rrn, amount in (("P001", 600_000), ("P002", 500_000)):
        assert money["vows"].post("/api/finance/receipts", json={**base, "rrn": rrn, "amount": amount}).status_code == 201
    r = money["vows"].post("/api/finance/receipts", json={**base, "rrn": "P003", "amount": 1, "project_id": "pr_missing"})
    assert r.status_code == 404 and r.json()["field"] == "project_id"

    def reached():
        p = money["head_a"].get(f"/api/finance/projects/{pid}").json()
        return p if p["status"] == "reached" else None
    p = eventually(reached)
    assert p and p["raised"] == 1_100_000
    r = money["head_a"].post(f"/api/finance/projects/{pid}/closing", json={"note": "سقف تعمیر شد"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = money["vows"].post("/api/finance/receipts", json={**base, "rrn": "P004", "amount": 5})
    assert r.status_code == 409 and r.json()["field"] == "project_id"
    assert pid in [x["id"] for x in money["head_a"].get(f"/api/finance/units/{money['a']}/projects").json()]


def test_an_expense_is_recorded_only_with_its_documents(system, money):
    pdf = b"%PDF-1.7\n% invoice of the kanoon's program\n" + bytes(range(200))
    r = money["head_b"].post("/api/finance/documents", files={"file": ("factor.pdf", pdf)}, data={"owner_id": money["a"]})
    assert r.status_code == 403
    r = until_status(lambda: money["head_a"].post("/api/finance/documents", files={"file": ("factor.pdf", pdf)},
                                                  data={"owner_id": money["a"]}), 201)
    assert r is not None and r.json()["content_type"] == "application/pdf", r
    doc = r.json()
    fake = b"MZ\x90\x00 not a pdf at all"
    r = money["head_a"].post("/api/finance/documents", files={"file": ("invoice.pdf", fake)}, data={"owner_id": money["a"]})
    assert r.status_code == 422 and r.json()["field"] == "file"
    body = {"owner_id": money["a"], "category": "پذیرایی", "description": "پذیرایی چهارشنبه امام رضایی",
            "amount": "۳٬۵۰۰٬۰۰۰", "spent_on": jalali.format_date(TODAY - timedelta(days=1))}
    r = money["head_a"].post("/api/finance/expenses", json=body)
    assert r.status_code == 422 and r.json()["field"] == "document_ids"
    r = money["head_a"].post("/api/finance/expenses", json={**body, "document_ids": [doc["id"]]})
    assert r.status_code == 201 and r.json()["amount"] == 3_500_000, r.text
    eid = r.json()["id"]
    r = money["head_a"].post("/api/finance/expenses", json={**body, "document_ids": [doc["id"]]})
    assert r.status_code == 409 and r.json()["field"] == "document_ids"
    got = money["finance"].get(f"/api/finance/expenses/{eid}").json()
    assert [d["id"] for d in got["documents"]] == [doc["id"]]
    r = money["finance"].get(f"/api/finance/documents/{doc['id']}/content")
    assert r.status_code == 200 and r.content == pdf and r.headers["content-type"] == "application/pdf"
    assert r.headers["x-content-sha256"] == doc["sha256"]
    assert money["head_b"].get(f"/api/finance/documents/{doc['id']}/content").status_code == 403
    listed = money["head_a"].get(f"/api/finance/units/{money['a']}/expenses").json()
    assert [e["id"] for e in listed["items"]] == [eid]


def test_a_financial_document_goes_to_the_center_and_back(system, admin, money):
    keeper, _ = staff(admin, system.base, f"secretariat.fd.{money['tag']}", "secretariat_head", "IR-14", city=money["city"])
    pdf = b"%PDF-1.7\n% travel invoice\n" + bytes(range(64))
    doc = until_status(lambda: money["head_a"].post("/api/finance/documents", files={"file": ("t.pdf", pdf)},
                                                    data={"owner_id": money["a"]}), 201).json()
    exp = money["head_a"].post("/api/finance/expenses", json={
        "owner_id": money["a"], "category": "ایاب و ذهاب", "description": "اردوی جهادی", "amount": 2_000_000,
        "spent_on": jalali.format_date(TODAY - timedelta(days=2)), "document_ids": [doc["id"]]}).json()
    r = money["head_a"].post("/api/finance/vouchers", json={"owner_id": money["a"], "expense_ids": [exp["id"]]})
    assert r.status_code == 201 and r.json()["total"] == 2_000_000, r.text
    vid = r.json()["id"]
    assert money["head_a"].post("/api/finance/vouchers", json={"owner_id": money["a"], "expense_ids": [exp["id"]]}).status_code == 409
    attested = {"signed_by_officials": True, "within_budget_heading": True, "invoices_legible": True}
    assert money["head_a"].post(f"/api/finance/vouchers/{vid}/check", json=attested).status_code == 403
    r = money["finance"].post(f"/api/finance/vouchers/{vid}/check", json={**attested, "invoices_legible": False})
    assert r.status_code == 422 and r.json()["field"] == "checks"
    assert money["finance"].post(f"/api/finance/vouchers/{vid}/check", json=attested).json()["status"] == "checked"
    assert keeper.post(f"/api/finance/vouchers/{vid}/sending").json()["status"] == "sent"
    r = money["finance"].post(f"/api/finance/vouchers/{vid}/return", json={"reason": "امضای مسئول کانون ندارد"})
    assert r.json()["status"] == "returned" and r.json()["return_reason"].startswith("امضای")
    money["finance"].post(f"/api/finance/vouchers/{vid}/check", json=attested)
    keeper.post(f"/api/finance/vouchers/{vid}/sending")
    r = money["finance"].post(f"/api/finance/vouchers/{vid}/reimbursement")
    assert r.status_code == 200 and r.json()["status"] == "reimbursed" and r.json()["posting_id"]
    steps = [s["step"] for s in r.json()["steps"]]
    assert steps == ["drafted", "checked", "sent", "returned", "checked", "sent", "reimbursed"]
    listed = money["head_a"].get(f"/api/finance/units/{money['a']}/vouchers", params={"status": "reimbursed"}).json()
    assert [v["id"] for v in listed] == [vid]
    assert money["head_a"].get(f"/api/finance/units/{money['a']}/vouchers", params={"overdue": True}).json() == []


def upload(api, owner, name="f.pdf", content=None):
    content = content or b"%PDF-1.7 " + uuid.uuid4().bytes
    r = until_status(lambda: api.post("/api/finance/documents", files={"file": (name, content)},
                                      data={"owner_id": owner}), 201)
    assert r is not None
    return r.json()["id"]


def test_money_from_a_body_is_certified_only_when_documented_and_its_discharge_obtained(system, admin, money):
    tag, a = money["tag"], money["a"]
    keeper, _ = staff(admin, system.base, f"secretariat.st.{tag}", "secretariat_head", "IR-14", city=money["city"])
    body = {"body": "اداره کل بهزیستی استان", "body_kind": "province_body", "owner_id": a, "amount": "۵٬۰۰۰٬۰۰۰",
            "received_on": jalali.format_date(TODAY - timedelta(days=5)), "purpose": "بسته‌های معیشتی",
            "reference": f"L-{tag}"}
    assert money["head_a"].post("/api/finance/fundings", json=body).status_code == 403
    r = until_status(lambda: money["finance"].post("/api/finance/fundings", json=body), 201)
    assert r is not None and r.json()["missing"] == 5_000_000
    fid = r.json()["id"]
    spend = {"owner_id": a, "category": "خرید اقلام", "description": "خرید برنج و روغن", "amount": 3_000_000,
             "spent_on": jalali.format_date(TODAY - timedelta(days=1)), "document_ids": [upload(money["head_a"], a)],
             "funding_id": fid}
    r = money["head_a"].post("/api/finance/expenses", json=spend)
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    db = system.db("finance")
    before = (db.expenses.count_documents({}), db.postings.count_documents({}))
    over = {**spend, "amount": 2_500_000, "document_ids": [upload(money["head_a"], a)]}
    r = money["head_a"].post("/api/finance/expenses", json=over)
    assert r.status_code == 409 and r.json()["field"] == "amount" and "2000000" in r.json()["message"]
    assert (db.expenses.count_documents({}), db.postings.count_documents({})) == before
    assert db.document_files.find_one({"_id": over["document_ids"][0]})["expense_id"] is None
    # The certificate is refused while anything is missing, and says how much.
    r = money["finance"].post(f"/api/finance/fundings/{fid}/certificate")
    assert r.status_code == 409 and "2000000 of 5000000" in r.json()["message"]
    st = money["head_a"].get(f"/api/finance/fundings/{fid}/settlement").json()
    assert (st["received"], st["documented"], st["missing"], st["complete"]) == (5_000_000, 3_000_000, 2_000_000, False)
    assert [e["id"] for e in st["expenses"]] == [eid] and st["expenses"][0]["documents"][0]["sha256"]
    assert money["head_b"].get(f"/api/finance/fundings/{fid}/settlement").status_code == 403
    # Spent from a body's money: not sent to the Center for reimbursement.
    r = money["head_a"].post("/api/finance/vouchers", json={"owner_id": a, "expense_ids": [eid]})
    assert r.status_code == 409 and r.json()["field"] == "expense_ids"
    r = money["finance"].post(f"/api/finance/fundings/{fid}/return", json={"amount": 2_000_000,
                                                                           "note": "واریز به حساب بهزیستی"})
    assert r.status_code == 200 and r.json()["missing"] == 0
    r = money["finance"].post(f"/api/finance/fundings/{fid}/certificate")
    assert r.status_code == 200 and r.json()["certificate"]["documented"] == 3_000_000

    def fund_closed():
        b = db.balances.find_one({"_id": f"fund:{fid}"})
        return b is not None and b["balance"] == 0
    assert eventually(fund_closed)          # the ledger agrees: nothing is held for the body any more
    # The discharge, obtained from the body: requested, followed, received with its letter.
    r = keeper.post(f"/api/finance/fundings/{fid}/discharge/request", json={"note": "نامه درخواست مفاصا ارسال شد"})
    assert r.status_code == 200 and r.json()["discharge"]["status"] == "requested"
    assert money["head_a"].post(f"/api/finance/fundings/{fid}/discharge/follow-ups", json={"note": "پیگیری"}).status_code == 403
    r = keeper.post(f"/api/finance/fundings/{fid}/discharge/follow-ups", json={"note": "پیگیری تلفنی"})
    assert r.status_code == 200 and len(r.json()["discharge"]["follow_ups"]) == 2
    outstanding = keeper.get(f"/api/finance/units/{a}/fundings", params={"outstanding": "true"}).json()
    assert fid in [f["id"] for f in outstanding] and outstanding[0]["days_waiting"] == 0
    letter = upload(keeper, a, "مفاصاحساب.pdf")
    r = keeper.post(f"/api/finance/fundings/{fid}/discharge/receipt", json={"document_id": letter})
    assert r.status_code == 200 and r.json()["discharge"]["document_id"] == letter
    assert fid not in [f["id"] for f in keeper.get(f"/api/finance/units/{a}/fundings",
                                                    params={"outstanding": "true"}).json()]
    # The letter documents the discharge and nothing else.
    again = {**spend, "funding_id": None, "document_ids": [letter]}
    assert money["head_a"].post("/api/finance/expenses", json=again).status_code == 409


def test_an_executive_projects_money_is_tracked_from_the_reports_events(money):
    a, b, head = money["a"], money["b"], money["head_a"]
    need = until_status(lambda: head.post("/api/needs", json={"kanoon_id": a, "title": "تعمیر سقف منزل سالمند"}), 201)
    assert need is not None, "the reports service knows the kanoon"
    r = until_status(lambda: head.post("/api/projects", json={
        "kanoon_id": a, "title": "طرح تعمیر منازل", "description": "با کانون همسایه",
        "need_ids": [need.json()["id"]], "invited_kanoon_ids": [b]}), 201)
    assert r is not None, r
    pid = r.json()["id"]
    seen = until_status(lambda: head.get(f"/api/finance/executive-projects/{pid}"), 200)
    assert seen is not None and seen.json()["title"] == "طرح تعمیر منازل" and seen.json()["funded"] == 0
    assert money["head_b"].get(f"/api/finance/executive-projects/{pid}").status_code == 403
    r = money["finance"].post("/api/finance/fundings", json={
        "body": "خیریه امام رضا", "body_kind": "charity", "owner_id": a, "amount": 8_000_000,
        "received_on": jalali.format_date(TODAY), "purpose": "مصالح", "executive_project_id": pid})
    assert r.status_code == 201, r.text
    r = head.post("/api/finance/expenses", json={
        "owner_id": a, "category": "مصالح", "description": "سیمان و گچ", "amount": 1_500_000,
        "spent_on": jalali.format_date(TODAY), "document_ids": [upload(head, a)], "funding_id": r.json()["id"]})
    assert r.status_code == 201 and r.json()["executive_project_id"] == pid
    p = head.get(f"/api/finance/executive-projects/{pid}").json()
    assert (p["funded"], p["spent"], p["balance"]) == (8_000_000, 1_500_000, 6_500_000)
    assert pid in [x["id"] for x in head.get(f"/api/finance/units/{a}/executive-projects").json()]


def test_a_period_report_lists_its_documents_and_the_provinces_statement_is_issued_once(system, admin, money):
    a, tag = money["a"], money["tag"]
    this_month = jalali.period_of(TODAY)
    last_day = this_month.first_day - timedelta(days=1)
    last_month = jalali.period_of(last_day)
    doc = upload(money["head_a"], a, "فاکتور ماه قبل.pdf")
    r = money["head_a"].post("/api/finance/expenses", json={
        "owner_id": a, "category": "ایاب و ذهاب", "description": "کرایه", "amount": 700_000,
        "spent_on": jalali.format_date(last_day), "document_ids": [doc]})
    assert r.status_code == 201, r.text
    report = money["head_a"].get(f"/api/finance/units/{a}/report", params={"period": str(last_month)}).json()
    assert report["expenses_total"] >= 700_000 and doc in [d["id"] for d in report["documents"]]
    listed = next(d for d in report["documents"] if d["id"] == doc)
    assert listed["spent_on"] == jalali.format_date(last_day) and listed["amount"] == 700_000
    csv_ = money["head_a"].get(f"/api/finance/units/{a}/report", params={"period": str(last_month), "format": "csv"})
    assert csv_.status_code == 200 and csv_.headers["content-type"].startswith("text/csv")
    text = csv_.content.decode("utf-8-sig")
    assert "تاریخ هزینه" in text and listed["sha256"] in text and jalali.format_date(last_day) in text
    assert money["head_b"].get(f"/api/finance/units/{a}/report", params={"period": str(last_month)}).status_code == 403

    body = {"province_id": "IR-14", "period": str(last_month)}
    assert money["vows"].post("/api/finance/statements/consolidated", json=body).status_code == 403
    r = money["finance"].post("/api/finance/statements/consolidated", json={**body, "period": str(this_month)})
    assert r.status_code == 422 and r.json()["field"] == "period"     # not ended yet
    r = money["finance"].post("/api/finance/statements/consolidated", json=body)
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["period"] == str(last_month) and c["spent"] >= 700_000 and c["by_category"]["ایاب و ذهاب"] >= 700_000
    assert money["finance"].post("/api/finance/statements/consolidated", json=body).status_code == 409
    keeper, _ = staff(admin, system.base, f"secretariat.cs.{tag}", "secretariat_head", "IR-14", city=money["city"])
    sid = c["id"]
    r = until_status(lambda: keeper.post(f"/api/finance/statements/consolidated/{sid}/sending",
                                         json={"recipient": "center", "reference": "9921"}), 200)
    assert r is not None and "center" in r.json()["sent"]
    assert keeper.post(f"/api/finance/statements/consolidated/{sid}/sending", json={"recipient": "center"}).status_code == 409
    assert sid in [x["id"] for x in money["finance"].get("/api/finance/units/IR-14/statements").json()]
    assert money["head_a"].get(f"/api/finance/statements/consolidated/{sid}").status_code == 403
