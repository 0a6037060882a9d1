"""REST routes of the finance service (DOMAIN §5). Amounts are whole rials (integers; a fraction,
a decimal point or a float is refused). Bodies are validated with the service's own command
models; the service checks the caller's roles against its read model of the registry."""
from __future__ import annotations

import base64
import csv
import io
from datetime import date
from typing import Annotated, Literal

from fastapi import Form, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from kernel import jalali
from kernel.errors import Invalid

from services.finance import schemas as s

from .. import responses as out
from ..deps import CallerDep, Limit, Skip

router = out.Router(prefix="/api/finance", tags=["finance"])
R = "finance"
MAX_UPLOAD = 25 * 1024 * 1024
MAX_DOCUMENT = 10 * 1024 * 1024
PeriodQ = Annotated[str, Query(pattern=r"^1[34][0-9]{2}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$",
                               description="Jalali month 1404-07, season 1404-Q3, half-year 1404-H1 or year 1404")]


def body(model):
    return model.model_dump(mode="json")


# -- terminals (§5.1)

@router.post("/terminals", status_code=201, response_model=out.Terminal)
def register_terminal(call: CallerDep, cmd: s.RegisterTerminal):
    """A card reader or the receipt software, under the terminal id it prints, for a kanoon or the
    province's own account (the vows-system expert)."""
    return call(R, "register_terminal", body(cmd))


@router.get("/units/{unit_id}/terminals", response_model=list[out.Terminal])
def terminals(call: CallerDep, unit_id: str, quiet: bool = False):
    """The terminals of a unit or kanoon; `quiet=true`: only those flagged as sending nothing."""
    return call(R, "terminals", unit_id, quiet)


# -- receipts (§5.1)

@router.post("/receipts", status_code=201, response_model=out.Receipt)
def record_receipt(call: CallerDep, cmd: s.RecordReceipt):
    """One receipt from a terminal. The terminal and reference number identify it: the same receipt
    twice is refused (409) and recorded once."""
    return call(R, "record_receipt", body(cmd))


@router.get("/receipts/{receipt_id}", response_model=out.ReceiptWithPosting)
def get_receipt(call: CallerDep, receipt_id: str):
    return call(R, "get_receipt", receipt_id)


@router.post("/receipts/{receipt_id}/reversal", response_model=out.Receipt)
def reverse_receipt(call: CallerDep, receipt_id: str, cmd: s.ReverseReceipt):
    """A receipt recorded in error is reversed by a posting that names it; nothing is deleted."""
    return call(R, "reverse_receipt", receipt_id, body(cmd))


@router.get("/units/{unit_id}/receipts", response_model=out.ReceiptPage)
def receipts(call: CallerDep, unit_id: str, period: PeriodQ, limit: Limit = 100, skip: Skip = 0):
    """Receipts of a unit or kanoon in a Jalali period, newest first (donors' names for the finance
    staff only)."""
    return call(R, "receipts", unit_id, period, limit, skip)


@router.post("/receipt-batches", status_code=202, response_model=out.ReceiptBatch)
async def import_receipts(call: CallerDep, file: UploadFile, response: Response):
    """A file of receipts (CSV or Excel .xlsx, as the receipt software or the bank exports it; the
    format is read from the content, not the name). Every row is checked at once; the receipts are
    then recorded in the background: follow the batch at its `Location`. Columns: terminal_id, rrn,
    at (1404/08/20 14:30), amount (whole rials), and optionally intent, channel, donor, project_id
    (Persian names such as ترمینال، شماره مرجع، تاریخ و ساعت، مبلغ، نیت are read too)."""
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise Invalid(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB; split it", "file")
    payload = {"file_name": file.filename or "receipts", "content": base64.b64encode(content).decode()}
    result = await run_in_threadpool(call, R, "import_receipts", payload)
    response.headers["Location"] = f"/api/finance/receipt-batches/{result['id']}"
    return result


@router.get("/receipt-batches/{batch_id}", response_model=out.ReceiptBatch)
def batch(call: CallerDep, batch_id: str, status: Literal["accepted", "duplicate", "refused"] | None = None,
          limit: Limit = 100, skip: Skip = 0):
    """A file's import: status (pending, running, done), progress, counts, and its rows' outcomes."""
    return call(R, "batch", batch_id, status, limit, skip)


# -- documents and expenses (§5.3)

@router.post("/documents", status_code=201, response_model=out.DocumentFile)
async def upload_document(call: CallerDep, file: UploadFile, owner_id: Annotated[str, Form(min_length=1, max_length=64)]):
    """An invoice or a receipt (PDF, JPEG or PNG, at most 10 MB; the type is read from the content)
    for a kanoon or the province; an expense then names it."""
    content = await file.read(MAX_DOCUMENT + 1)
    if len(content) > MAX_DOCUMENT:
        raise Invalid(f"a document is at most {MAX_DOCUMENT // (1024 * 1024)} MB", "file")
    payload = {"owner_id": owner_id, "name": file.filename or "document",
               "content": base64.b64encode(content).decode()}
    return await run_in_threadpool(call, R, "upload_document", payload)


@router.get("/documents/{document_id}", response_model=out.DocumentFile)
def get_document(call: CallerDep, document_id: str):
    return call(R, "get_document", document_id)


@router.get("/documents/{document_id}/content", response_class=Response,
            responses={200: {"content": {t: {"schema": {"type": "string", "format": "binary"}}
                                         for t in ("application/pdf", "image/jpeg", "image/png")}}})
def document_content(call: CallerDep, document_id: str):
    """The file itself, as it was uploaded (its sha256 is in the document's record)."""
    d = call(R, "get_document", document_id, True)
    return Response(base64.b64decode(d["content"]), media_type=d["content_type"],
                    headers={"X-Content-SHA256": d["sha256"], "Content-Disposition": "attachment"})


@router.post("/expenses", status_code=201, response_model=out.Expense)
def record_expense(call: CallerDep, cmd: s.RecordExpense):
    """Spending with its documents: refused without at least one uploaded document of the same
    kanoon or province, not attached to another expense."""
    return call(R, "record_expense", body(cmd))


@router.get("/expenses/{expense_id}", response_model=out.ExpenseWithDocuments)
def get_expense(call: CallerDep, expense_id: str):
    return call(R, "get_expense", expense_id)


@router.get("/units/{unit_id}/expenses", response_model=out.ExpensePage)
def expenses(call: CallerDep, unit_id: str, limit: Limit = 100, skip: Skip = 0):
    return call(R, "expenses", unit_id, limit, skip)


# -- financial documents (§5.4)

@router.post("/vouchers", status_code=201, response_model=out.Voucher)
def gather_voucher(call: CallerDep, cmd: s.GatherVoucher):
    """A financial document gathering a kanoon's or the province's expenses (each in one document)."""
    return call(R, "gather_voucher", body(cmd))


@router.post("/vouchers/{voucher_id}/check", response_model=out.Voucher)
def check_voucher(call: CallerDep, voucher_id: str, cmd: s.CheckVoucher):
    """Checked against the rules: every expense documented and the total right (by the service),
    and what the finance expert attests."""
    return call(R, "check_voucher", voucher_id, body(cmd))


@router.post("/vouchers/{voucher_id}/sending", response_model=out.Voucher)
def send_voucher(call: CallerDep, voucher_id: str):
    """Sent to the Center (a checked document)."""
    return call(R, "send_voucher", voucher_id)


@router.post("/vouchers/{voucher_id}/reimbursement", response_model=out.Voucher)
def reimburse_voucher(call: CallerDep, voucher_id: str):
    """The Center paid it back: posted to the ledger."""
    return call(R, "reimburse_voucher", voucher_id)


@router.post("/vouchers/{voucher_id}/return", response_model=out.Voucher)
def return_voucher(call: CallerDep, voucher_id: str, cmd: s.ReturnVoucher):
    """Returned with the reason; it is checked again once corrected."""
    return call(R, "return_voucher", voucher_id, body(cmd))


@router.get("/units/{unit_id}/vouchers", response_model=list[out.Voucher])
def vouchers(call: CallerDep, unit_id: str, status: str | None = None, overdue: bool = False):
    """Financial documents of a unit; `overdue=true`: sent and not settled in the province's days."""
    return call(R, "vouchers", unit_id, status, overdue)


# -- projects (§5.2)

@router.post("/projects", status_code=201, response_model=out.Project)
def define_project(call: CallerDep, cmd: s.DefineProject):
    """A kanoon's fundraising project with its target; receipts earmarked to it (`project_id`) raise it."""
    return call(R, "define_project", body(cmd))


@router.get("/projects/{project_id}", response_model=out.Project)
def get_project(call: CallerDep, project_id: str):
    """The project with what it raised (from the ledger) and its status: open, reached or closed."""
    return call(R, "get_project", project_id)


@router.get("/units/{unit_id}/projects", response_model=list[out.Project])
def projects(call: CallerDep, unit_id: str):
    return call(R, "projects", unit_id)


@router.post("/projects/{project_id}/closing", response_model=out.Project)
def close_project(call: CallerDep, project_id: str, cmd: s.CloseProject):
    return call(R, "close_project", project_id, body(cmd))


# -- asset custody (§5.5)

@router.post("/assets", status_code=201, response_model=out.Asset)
def register_asset(call: CallerDep, cmd: s.RegisterAsset):
    """An asset of the Foundation in the province, in a person's custody (the secretariat head)."""
    return call(R, "register_asset", body(cmd))


@router.get("/assets/{asset_id}", response_model=out.Asset)
def get_asset(call: CallerDep, asset_id: str):
    """The asset and its history (the keepers of the register, its custodian and its receiver)."""
    return call(R, "get_asset", asset_id)


@router.get("/units/{unit_id}/assets", response_model=out.AssetPage)
def assets(call: CallerDep, unit_id: str, custodian_id: str | None = None, limit: Limit = 100, skip: Skip = 0):
    return call(R, "assets", unit_id, custodian_id, limit, skip)


@router.post("/assets/{asset_id}/handover", response_model=out.Asset)
def request_asset_handover(call: CallerDep, asset_id: str, cmd: s.RequestAssetHandover):
    """The custody is to pass to another person; it passes when both acknowledge."""
    return call(R, "request_asset_handover", asset_id, body(cmd))


@router.post("/assets/{asset_id}/handover/acknowledgement", response_model=out.Asset)
def acknowledge_asset_handover(call: CallerDep, asset_id: str):
    """The present custodian acknowledges handing it over, or the new one receiving it."""
    return call(R, "acknowledge_asset_handover", asset_id)


@router.post("/assets/{asset_id}/handover/cancellation", response_model=out.Asset)
def cancel_asset_handover(call: CallerDep, asset_id: str):
    return call(R, "cancel_asset_handover", asset_id)


# -- reconciliation (§5.1)

@router.post("/statements", response_model=out.Reconciliation)
def import_statement(call: CallerDep, cmd: s.ImportStatement):
    """A terminal's settlement statement for a day, reconciled at once against its receipts."""
    return call(R, "import_statement", body(cmd))


# -- figures and balances

@router.get("/units/{unit_id}/figures", response_model=out.FinanceFigures)
def figures(call: CallerDep, unit_id: str, period: PeriodQ):
    """Money received in a unit or kanoon in a Jalali month, season, half-year or year, by channel,
    intent, terminal and project."""
    return call(R, "figures", unit_id, period)


@router.get("/units/{unit_id}/balances", response_model=out.Balances)
def balances(call: CallerDep, unit_id: str):
    return call(R, "balances", unit_id)


@router.get("/units/{unit_id}/report", response_model=out.PeriodReport,
            responses={200: {"content": {"text/csv": {}}}})
def period_report(call: CallerDep, unit_id: str, period: PeriodQ, format: Literal["json", "csv"] = "json"):
    """A unit's or kanoon's money in a Jalali period: received (by channel, intent, terminal), money
    from bodies, expenses, and the list of their documents. `format=csv`: the documents' list as a
    spreadsheet (UTF-8 with BOM, Jalali dates)."""
    report = call(R, "period_report", unit_id, period)
    if format == "json":
        return report
    return Response(content=documents_csv(report), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="finance-{unit_id}-{report["period"]}.csv"'})


def documents_csv(report: dict) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["تاریخ هزینه", "شناسه هزینه", "مبلغ هزینه (ریال)", "شناسه سند", "نام فایل", "نوع", "اندازه (بایت)",
                "sha256"])
    for d in report["documents"]:
        w.writerow([jalali.format_date(date.fromisoformat(str(d["spent_on"])[:10])), d["expense_id"], d["amount"],
                    d["id"], d["name"], d["content_type"], d["size"], d["sha256"]])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# -- money from bodies, settlement and discharges (§5.4, §5.6)

@router.post("/fundings", status_code=201, response_model=out.Funding)
def receive_funding(call: CallerDep, cmd: s.ReceiveFunding):
    """Money a body gave a kanoon or the province (the finance expert); held in its own fund until
    expenses document it (`funding_id` on the expense) or the rest is returned."""
    return call(R, "receive_funding", body(cmd))


@router.get("/fundings/{funding_id}", response_model=out.Funding)
def get_funding(call: CallerDep, funding_id: str):
    return call(R, "get_funding", funding_id)


@router.get("/units/{unit_id}/fundings", response_model=list[out.Funding])
def fundings(call: CallerDep, unit_id: str, outstanding: bool = False):
    """`outstanding=true`: those whose settlement is not certified or whose discharge is not received."""
    return call(R, "fundings", unit_id, outstanding)


@router.post("/fundings/{funding_id}/return", response_model=out.Funding)
def return_funding(call: CallerDep, funding_id: str, cmd: s.ReturnFunding):
    """The unspent rest paid back to the body."""
    return call(R, "return_funding", funding_id, body(cmd))


@router.get("/fundings/{funding_id}/settlement", response_model=out.Settlement)
def settlement(call: CallerDep, funding_id: str):
    """Received against documented spending and returns: what is missing, the expenses and their
    documents, the certificate once issued."""
    return call(R, "settlement", funding_id)


@router.post("/fundings/{funding_id}/certificate", response_model=out.Funding)
def certify_funding(call: CallerDep, funding_id: str):
    """The settlement certificate (مفاصاحساب): 409 with the missing amount until fully documented."""
    return call(R, "certify_funding", funding_id)


@router.post("/fundings/{funding_id}/discharge/request", response_model=out.Funding)
def request_discharge(call: CallerDep, funding_id: str, cmd: s.DischargeNote):
    """The HQ asks the body for its discharge (after the certificate)."""
    return call(R, "request_discharge", funding_id, body(cmd))


@router.post("/fundings/{funding_id}/discharge/follow-ups", response_model=out.Funding)
def follow_up_discharge(call: CallerDep, funding_id: str, cmd: s.DischargeNote):
    return call(R, "follow_up_discharge", funding_id, body(cmd))


@router.post("/fundings/{funding_id}/discharge/receipt", response_model=out.Funding)
def receive_discharge(call: CallerDep, funding_id: str, cmd: s.ReceiveDischarge):
    """The body's discharge letter, uploaded first as a document."""
    return call(R, "receive_discharge", funding_id, body(cmd))


# -- executive projects' money (§3, §5.2)

@router.get("/executive-projects/{project_id}", response_model=out.ExecutiveProjectMoney)
def executive_project(call: CallerDep, project_id: str):
    """An executive project of the reports service: what bodies funded and what was spent on it."""
    return call(R, "executive_project", project_id)


@router.get("/units/{unit_id}/executive-projects", response_model=list[out.ExecutiveProjectMoney])
def executive_projects(call: CallerDep, unit_id: str):
    return call(R, "executive_projects", unit_id)


# -- consolidated statements (§5.6)

@router.post("/statements/consolidated", status_code=201, response_model=out.Consolidated)
def issue_statement(call: CallerDep, cmd: s.IssueStatement):
    """The province's consolidated statement of an ended Jalali period, issued once."""
    return call(R, "issue_statement", body(cmd))


@router.get("/statements/consolidated/{statement_id}", response_model=out.Consolidated)
def get_statement(call: CallerDep, statement_id: str):
    return call(R, "get_statement", statement_id)


@router.get("/units/{province_id}/statements", response_model=list[out.Consolidated])
def statements(call: CallerDep, province_id: str):
    return call(R, "statements", province_id)


@router.post("/statements/consolidated/{statement_id}/sending", response_model=out.Consolidated)
def send_statement(call: CallerDep, statement_id: str, cmd: s.SendStatement):
    """Sent to the Astan bodies, the province bodies or the Center (each once, dated)."""
    return call(R, "send_statement", statement_id, body(cmd))
