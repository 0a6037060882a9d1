"""Bad input on every route: malformed and boundary values get a 4xx with a message (and the field,
where one is at fault), and nothing in the store changes. A new route without cases here fails."""
import hashlib
import json
import time
import uuid

from kernel import jalali

import httpx
import pytest

from tests.system.helpers import account, form_kanoon, member, person_body, staff

# (method, path template) of every route that takes input; templates use the fixture's names.
CASES: list[tuple[str, str, dict | str | None, int, str | None]] = []


def case(method, path, body, status, field=None):
    CASES.append((method, path, body, status, field))


person = {k: v for k, v in person_body(kind="yavar").items() if k != "national_id"}
nid = "0499370899"  # valid checksum; never registered by the tests
applicant = {**{k: v for k, v in person.items() if k != "kind"}, "national_id": nid}

# units
case("POST", "/api/units", {"id": "IR-09-ZZ", "kind": "city", "parent_id": "IR-09"}, 422, "name")
case("POST", "/api/units", {"id": "IR-09-ZZ", "name": "x", "kind": "galaxy", "parent_id": "IR-09"}, 422, "kind")
case("POST", "/api/units", {"id": "IR-09-ZZ", "name": "x", "kind": "city", "parent_id": "NOWHERE"}, 404, "unit_id")
case("POST", "/api/units", {"id": "IR-09", "name": "x", "kind": "city", "parent_id": "IR-09"}, 409, "id")
case("POST", "/api/units", {"id": "bad id!", "name": "x", "kind": "city", "parent_id": "IR-09"}, 422, "id")
case("POST", "/api/units", "not json", 422, None)
case("POST", "/api/units", [1, 2], 422, None)
# people
case("POST", "/api/members", {**person, "national_id": "1234567890"}, 422, "national_id")
case("POST", "/api/members", {**person, "national_id": "۱۱۱۱۱۱۱۱۱۱"}, 422, "national_id")
case("POST", "/api/members", {**person, "national_id": nid, "birth_date": "1403/13/01"}, 422, "birth_date")
case("POST", "/api/members", {**person, "national_id": nid, "birth_date": "1403/07/31"}, 422, "birth_date")
case("POST", "/api/members", {**person, "national_id": nid, "mobile": "0915123456"}, 422, "mobile")
case("POST", "/api/members", {**person, "national_id": nid, "first_name": "x" * 201}, 422, "first_name")
case("POST", "/api/members", {**person, "national_id": nid, "first_name": "   "}, 422, "first_name")
case("POST", "/api/members", {**person, "national_id": nid, "education": "wizard"}, 422, "education")
case("POST", "/api/members", {**person, "national_id": nid, "salary": 1}, 422, "salary")
case("POST", "/api/members", {**person, "national_id": nid, "service_code": "09-1"}, 422, None)
case("POST", "/api/members", {**person, "national_id": nid, "city_id": "IR-09"}, 422, "city_id")
case("POST", "/api/members", {**person, "national_id": "{dup_nid}"}, 409, "national_id")
# kanoons
case("POST", "/api/kanoons", {"name": "ک", "kind": "castle", "unit_id": "IR-09-MSH", "head_id": "{head}",
                              "deputy_id": "{deputy}"}, 422, "kind")
case("POST", "/api/kanoons", {"name": "ک", "kind": "neighborhood", "unit_id": "IR-09-MSH", "head_id": "{head}",
                              "deputy_id": "{head}"}, 422, "deputy_id")
case("POST", "/api/kanoons", {"name": "ک", "kind": "neighborhood", "unit_id": "NOWHERE", "head_id": "{head}",
                              "deputy_id": "{deputy}"}, 404, "unit_id")
case("POST", "/api/kanoons", {"name": "ک", "kind": "neighborhood", "unit_id": "IR-09-MSH", "head_id": "{yavar}",
                              "deputy_id": "{free}"}, 422, "head_id")
case("PATCH", "/api/kanoons/{active}", {}, 422, None)
case("PATCH", "/api/kanoons/{active}", {"latitude": 91}, 422, "latitude")
case("PATCH", "/api/kanoons/kn_missing", {"name": "x"}, 404, "kanoon_id")
case("PUT", "/api/kanoons/{draft}/place", {"kind": "palace", "name": "x", "address": "y"}, 422, "kind")
case("PUT", "/api/kanoons/{active}/place", {"kind": "mosque", "name": "x", "address": "y"}, 409, "status")
case("PUT", "/api/kanoons/{draft}/council", {"members": []}, 422, "members")
case("PUT", "/api/kanoons/{draft}/council", {"members": [{"full_name": "a", "title": "b"}] * 4}, 422, "members")
case("PUT", "/api/kanoons/{draft}/council", {"members": [{"full_name": "a", "title": "b"}] * 11}, 422, "members")
case("POST", "/api/kanoons/{draft}/forms", {"neighborhood": "x", "households_estimate": -1,
                                            "founding_members": 2, "programs_planned": "p"}, 422, "households_estimate")
case("POST", "/api/kanoons/{draft}/forms", {"neighborhood": "x", "households_estimate": 1,
                                            "founding_members": 1, "programs_planned": "p"}, 422, "founding_members")
case("POST", "/api/kanoons/{draft}/forms", {"neighborhood": "x", "households_estimate": 1,
                                            "founding_members": 2, "programs_planned": "p"}, 409, None)
case("POST", "/api/kanoons/{draft}/approval", {"computer_skills": True, "social_standing": True,
                                               "commitment_to_programs": True, "three_days_a_week": True}, 409, "status")
case("POST", "/api/kanoons/{active}/approval", {"computer_skills": True}, 422, "social_standing")
case("POST", "/api/kanoons/{draft}/rejection", {"reason": "ab"}, 422, "reason")
case("POST", "/api/kanoons/{active}/orientations", {"audience": "all", "held_on": "1403/01/01", "attendees": 1}, 422, "audience")
case("POST", "/api/kanoons/{active}/orientations", {"audience": "members", "held_on": "1403/01/01", "attendees": 0}, 422, "attendees")
case("POST", "/api/kanoons/{active}/orientations", {"audience": "members", "held_on": "1403-07-31", "attendees": 5}, 422, "held_on")
case("PUT", "/api/membership-policies", {"province_id": "IR-09", "kanoon_type": "neighborhood", "floor": 50, "ceiling": 20}, 422, "ceiling")
case("PUT", "/api/membership-policies", {"province_id": "IR-09", "kanoon_type": "neighborhood", "floor": 1, "ceiling": 20}, 422, "floor")
case("PUT", "/api/membership-policies", {"province_id": "IR-09", "kanoon_type": "tiny", "floor": 10, "ceiling": 20}, 422, "kanoon_type")
case("PUT", "/api/membership-policies", {"province_id": "IR-09-MSH", "kanoon_type": "neighborhood", "floor": 10, "ceiling": 20}, 422, "province_id")
# membership and transfers
case("POST", "/api/memberships", {"person_id": "{yavar_in}", "kanoon_id": "{active}"}, 409, "person_id")
case("POST", "/api/memberships", {"person_id": "{yavar}", "kanoon_id": "{draft}"}, 409, "kanoon_id")
case("POST", "/api/memberships", {"person_id": "p_missing", "kanoon_id": "{active}"}, 404, "person_id")
case("POST", "/api/memberships", {"person_id": "{yavar}"}, 422, "kanoon_id")
case("POST", "/api/memberships/leave", {"person_id": "{yavar}"}, 409, "person_id")
case("POST", "/api/memberships/leave", {"person_id": "p_missing"}, 404, "person_id")
case("POST", "/api/transfers", {"person_id": "{yavar_in}", "to_kanoon_id": "{active}"}, 422, "to_kanoon_id")
case("POST", "/api/transfers", {"person_id": "{yavar_in}", "to_kanoon_id": "kn_missing"}, 404, "kanoon_id")
case("POST", "/api/transfers", {"person_id": "{yavar}", "to_kanoon_id": "{active}"}, 409, "person_id")
case("POST", "/api/transfers/{transfer}/decisions", {"side": "both", "approve": True}, 422, "side")
case("POST", "/api/transfers/{transfer}/decisions", {"side": "origin"}, 422, "approve")
case("POST", "/api/transfers/tr_missing/decisions", {"side": "origin", "approve": True}, 404, "transfer_id")
case("POST", "/api/transfers/tr_missing/cancellation", None, 404, "transfer_id")
case("POST", "/api/kanoons/{active}/handover", {"position": "king", "person_id": "{yavar_in}"}, 422, "position")
case("POST", "/api/kanoons/{active}/handover", {"position": "head", "person_id": "{yavar_in}"}, 422, "person_id")
case("POST", "/api/kanoons/{active}/handover", {"position": "deputy", "person_id": "{yavar}"}, 409, "person_id")
case("POST", "/api/kanoons/kn_missing/handover", {"position": "head", "person_id": "{yavar}"}, 404, "kanoon_id")
case("PUT", "/api/provinces/IR-09/settings", {"transfer_expiry_days": 0, "move_window_days": 10}, 422, "transfer_expiry_days")
case("PUT", "/api/provinces/IR-09/settings", {"transfer_expiry_days": 30, "move_window_days": -1}, 422, "move_window_days")
case("PUT", "/api/provinces/IR-09/settings", {"transfer_expiry_days": 30, "move_window_days": 9, "monthly_deadline_day": 30}, 422, "monthly_deadline_day")
case("PUT", "/api/provinces/IR-09-MSH/settings", {"transfer_expiry_days": 30, "move_window_days": 10}, 422, "province_id")
case("GET", "/api/provinces/IR-09-MSH/settings", None, 422, "province_id")
case("GET", "/api/provinces/NOWHERE/settings", None, 404, "unit_id")
# selection
case("POST", "/api/applications", {"track": "monk", "applicant": applicant}, 422, "track")
case("POST", "/api/applications", {"track": "yavar", "applicant": {**applicant, "city_id": "IR-09"}}, 422, "applicant.city_id")
case("POST", "/api/applications", {"track": "yavar", "applicant": {**applicant, "mobile": "12"}}, 422, "applicant.mobile")
case("POST", "/api/applications/{application}/steps", {"step": ""}, 422, "step")
case("POST", "/api/applications/{application}/steps", {"step": "vetted"}, 422, "step")
case("POST", "/api/applications/ap_missing/steps", {"step": "interviewed"}, 404, "application_id")
case("POST", "/api/applications/{application}/decision", {"outcome": "maybe"}, 422, "outcome")
case("POST", "/api/applications/{application}/decision", {"outcome": "yavar"}, 409, "outcome")
# roles and accounts
case("POST", "/api/roles", {"person_id": "{yavar}", "role": "emperor", "scope_id": "IR-09"}, 422, "role")
case("POST", "/api/roles", {"person_id": "{yavar}", "role": "county_liaison", "scope_id": "IR-09"}, 422, "scope_id")
case("POST", "/api/roles", {"person_id": "{yavar}", "role": "specialized_secretary", "scope_id": "IR-09"}, 422, "field")
case("POST", "/api/roles", {"person_id": "{yavar}", "role": "city_secretary", "scope_id": "NOWHERE"}, 404, "scope_id")
case("POST", "/api/roles", {"person_id": "p_missing", "role": "city_secretary", "scope_id": "IR-09-MSH"}, 404, "person_id")
case("POST", "/api/roles", {"person_id": "{yavar}", "role": "city_secretary", "scope_id": "IR-09-MSH",
                            "valid_from": "1404/01/10", "valid_to": "1404/01/01"}, 422, "valid_to")
case("DELETE", "/api/roles/ra_missing", None, 404, "assignment_id")
case("POST", "/api/accounts", {"person_id": "{yavar}", "username": "ok.name", "password": "short"}, 422, "password")
case("POST", "/api/accounts", {"person_id": "{yavar}", "username": "Bad Name", "password": "long-enough-1"}, 422, "username")
case("POST", "/api/accounts", {"person_id": "{head}", "username": "another.name", "password": "long-enough-1"}, 409, "person_id")
case("POST", "/api/accounts", {"person_id": "p_missing", "username": "x.name", "password": "long-enough-1"}, 404, "person_id")
# reads with bad arguments
case("GET", "/api/units/NOWHERE", None, 404, "unit_id")
case("GET", "/api/units/IR-09-MSH/kanoons?limit=0", None, 422, "limit")
case("GET", "/api/units/IR-09-MSH/kanoons?limit=501", None, 422, "limit")
case("GET", "/api/units/IR-09-MSH/kanoons?skip=-1", None, 422, "skip")
case("GET", "/api/units/IR-09-MSH/kanoons?status=bogus", None, 422, "status")
case("GET", "/api/units/IR-09-MSH/unplaced-members?limit=abc", None, 422, "limit")
case("GET", "/api/units/NOWHERE/composition", None, 404, None)
case("GET", "/api/units/NOWHERE/coverage", None, 404, "unit_id")
case("GET", "/api/units/IR/coverage", None, 422, "unit_id")
case("GET", "/api/units/IR-09-MSH/people?q=ا", None, 422, "q")
case("GET", "/api/units/IR-09-MSH/people", None, 422, "q")
case("GET", "/api/units/IR-09-MSH/people?q=" + "ب" * 101, None, 422, "q")
case("GET", "/api/units/IR-09-MSH/people?q=علی&status=bogus", None, 422, "status")
case("GET", "/api/units/NOWHERE/people?q=علی", None, 404, "unit_id")
case("GET", "/api/units/IR-09-MSH/applications?status=bogus", None, 422, "status")
case("GET", "/api/units/NOWHERE/roles", None, 404, "unit_id")
case("GET", "/api/people/p_missing", None, 404, "person_id")
case("GET", "/api/kanoons/kn_missing", None, 404, "kanoon_id")
case("GET", "/api/kanoons/kn_missing/members", None, 404, "kanoon_id")
case("GET", "/api/kanoons/{active}/transfers?status=bogus", None, 422, "status")
case("GET", "/api/transfers/tr_missing", None, 404, "transfer_id")
case("GET", "/api/membership-policies/IR-09/bogus", None, 422, "kanoon_type")
case("GET", "/api/units?parent_id=NOWHERE", None, 404, "unit_id")
case("GET", "/api/ops/nowhere/parked", None, 404, "service")
# finance
case("POST", "/api/finance/terminals", {"terminal_id": "bad id!", "kind": "pos", "label": "x", "owner_id": "{active}"}, 422, "terminal_id")
case("POST", "/api/finance/terminals", {"terminal_id": "POS-X1", "kind": "abacus", "label": "x", "owner_id": "{active}"}, 422, "kind")
case("POST", "/api/finance/terminals", {"terminal_id": "POS-X1", "kind": "pos", "label": "x", "owner_id": "IR-09-MSH"}, 422, "owner_id")
case("POST", "/api/finance/terminals", {"terminal_id": "POS-X1", "kind": "pos", "label": "x", "owner_id": "kn_missing"}, 404, "unit_id")
case("GET", "/api/finance/units/NOWHERE/terminals", None, 404, "unit_id")
case("POST", "/api/finance/receipts", {"terminal_id": "POS-NONE", "rrn": "1", "at": "1404/01/01 10:00", "amount": 1.5}, 422, "amount")
case("POST", "/api/finance/receipts", {"terminal_id": "POS-NONE", "rrn": "1", "at": "1404/01/01 10:00", "amount": 10}, 404, "terminal_id")
case("POST", "/api/finance/receipts", {"terminal_id": "POS-NONE", "rrn": "1", "at": "tomorrow", "amount": 10}, 422, "at")
case("GET", "/api/finance/receipts/POS-NONE:1", None, 404, "receipt_id")
case("POST", "/api/finance/receipts/POS-NONE:1/reversal", {"reason": "اشتباه"}, 404, "receipt_id")
case("POST", "/api/finance/receipts/POS-NONE:1/reversal", {"reason": ""}, 422, "reason")
case("GET", "/api/finance/units/IR-09/receipts?period=1404-13", None, 422, "period")
case("POST", "/api/finance/statements", {"terminal_id": "POS-NONE", "day": "1404/01/01", "total": -1, "count": 0}, 422, "total")
case("POST", "/api/finance/statements", {"terminal_id": "POS-NONE", "day": "1404/01/01", "total": 0, "count": 0}, 404, "terminal_id")
case("GET", "/api/finance/units/IR-09/figures?period=1404-Q5", None, 422, "period")
case("GET", "/api/finance/units/NOWHERE/balances", None, 404, "unit_id")
case("POST", "/api/finance/receipt-batches", {}, 422, "file")
case("POST", "/api/imports", {}, 422, "file")
case("POST", "/api/accounts/me/password", {"new_password": "a-new-password-1"}, 422, "current_password")
case("POST", "/api/accounts/me/password", {"current_password": "wrong-one", "new_password": "a-new-password-1"}, 422, "current_password")
case("POST", "/api/accounts/u_missing/password-reset", {"new_password": "short"}, 404, "user_id")
case("POST", "/api/accounts/u_missing/password-reset", {}, 422, "new_password")
case("POST", "/api/accounts/u_missing/deactivation", None, 404, "user_id")
case("GET", "/api/imports?limit=0", None, 422, "limit")
case("GET", "/api/imports/im_missing", None, 404, "job_id")
case("GET", "/api/imports/im_missing?status=lost", None, 422, "status")
case("POST", "/api/finance/assets", {"code": "PC-1", "description": "x", "unit_id": "IR-09", "custodian_id": "p_x", "value": 0.5, "acquired_on": "1403/01/01"}, 422, "value")
case("POST", "/api/finance/assets", {"code": "PC-1", "description": "x", "unit_id": "IR-09-MSH", "custodian_id": "p_x", "value": 5, "acquired_on": "1403/01/01"}, 422, "unit_id")
case("GET", "/api/finance/assets/IR-09:missing", None, 404, "asset_id")
case("POST", "/api/finance/documents", {}, 422, "file")
case("GET", "/api/finance/documents/doc_missing", None, 404, "document_id")
case("GET", "/api/finance/documents/doc_missing/content", None, 404, "document_id")
case("POST", "/api/finance/expenses", {"owner_id": "{active}", "category": "x", "description": "y", "amount": 10, "spent_on": "1403/01/01"}, 422, "document_ids")
case("POST", "/api/finance/expenses", {"owner_id": "{active}", "category": "x", "description": "y", "amount": -10, "spent_on": "1403/01/01", "document_ids": ["doc_x"]}, 422, "amount")
case("POST", "/api/finance/expenses", {"owner_id": "{active}", "category": "x", "description": "y", "amount": 10, "spent_on": "1403/01/01", "document_ids": ["doc_missing"]}, 404, "document_ids")
case("GET", "/api/finance/expenses/ex_missing", None, 404, "expense_id")
case("POST", "/api/finance/vouchers", {"owner_id": "{active}", "expense_ids": []}, 422, "expense_ids")
case("POST", "/api/finance/vouchers", {"owner_id": "{active}", "expense_ids": ["ex_missing"]}, 404, "expense_ids")
case("POST", "/api/finance/vouchers/fd_missing/check", {"signed_by_officials": True}, 404, "voucher_id")
case("POST", "/api/finance/vouchers/fd_missing/check", {"signed_by_officials": "perhaps"}, 422, "signed_by_officials")
case("POST", "/api/finance/vouchers/fd_missing/sending", None, 404, "voucher_id")
case("POST", "/api/finance/vouchers/fd_missing/reimbursement", None, 404, "voucher_id")
case("POST", "/api/finance/vouchers/fd_missing/return", {"reason": ""}, 422, "reason")
case("GET", "/api/finance/units/IR-09/vouchers?status=lost", None, 422, "status")
case("GET", "/api/finance/units/NOWHERE/expenses", None, 404, "unit_id")
case("POST", "/api/finance/projects", {"kanoon_id": "{active}", "title": "x", "description": "y", "target": 1.5}, 422, "target")
case("POST", "/api/finance/projects", {"kanoon_id": "IR-09", "title": "x", "description": "y", "target": 10}, 422, "kanoon_id")
case("GET", "/api/finance/projects/pr_missing", None, 404, "project_id")
case("GET", "/api/finance/units/NOWHERE/projects", None, 404, "unit_id")
case("POST", "/api/finance/projects/pr_missing/closing", {"note": "بسته شد"}, 404, "project_id")
case("POST", "/api/finance/projects/pr_missing/closing", {"note": ""}, 422, "note")
case("GET", "/api/finance/units/NOWHERE/assets", None, 404, "unit_id")
case("POST", "/api/finance/assets/IR-09:missing/handover", {"to_custodian_id": "p_x"}, 404, "asset_id")
case("POST", "/api/finance/assets/IR-09:missing/handover", {}, 422, "to_custodian_id")
case("POST", "/api/finance/assets/IR-09:missing/handover/acknowledgement", None, 404, "asset_id")
case("POST", "/api/finance/assets/IR-09:missing/handover/cancellation", None, 404, "asset_id")
case("GET", "/api/finance/receipt-batches/bt_missing", None, 404, "batch_id")
case("GET", "/api/finance/receipt-batches/bt_missing?status=lost", None, 422, "status")
case("POST", "/api/finance/fundings", {"body": "اوقاف", "body_kind": "province_body", "owner_id": "IR-09", "amount": 2.5, "received_on": "1403/01/01", "purpose": "x"}, 422, "amount")
case("POST", "/api/finance/fundings", {"body": "اوقاف", "body_kind": "mystery", "owner_id": "IR-09", "amount": 5, "received_on": "1403/01/01", "purpose": "x"}, 422, "body_kind")
case("POST", "/api/finance/fundings", {"body": "اوقاف", "body_kind": "astan", "owner_id": "IR-09-MSH", "amount": 5, "received_on": "1403/01/01", "purpose": "x"}, 422, "owner_id")
case("POST", "/api/finance/fundings", {"body": "اوقاف", "body_kind": "astan", "owner_id": "IR-09", "amount": 5, "received_on": "1403/01/01", "purpose": "x", "executive_project_id": "pj_missing"}, 404, "executive_project_id")
case("GET", "/api/finance/fundings/fu_missing", None, 404, "funding_id")
case("GET", "/api/finance/units/NOWHERE/fundings", None, 404, "unit_id")
case("POST", "/api/finance/fundings/fu_missing/return", {"amount": 5, "note": "واریز"}, 404, "funding_id")
case("POST", "/api/finance/fundings/fu_missing/return", {"amount": "5.5", "note": "واریز"}, 422, "amount")
case("GET", "/api/finance/fundings/fu_missing/settlement", None, 404, "funding_id")
case("POST", "/api/finance/fundings/fu_missing/certificate", None, 404, "funding_id")
case("POST", "/api/finance/fundings/fu_missing/discharge/request", {"note": ""}, 422, "note")
case("POST", "/api/finance/fundings/fu_missing/discharge/request", {"note": "نامه ارسال شد"}, 404, "funding_id")
case("POST", "/api/finance/fundings/fu_missing/discharge/follow-ups", {"note": "تماس"}, 404, "funding_id")
case("POST", "/api/finance/fundings/fu_missing/discharge/receipt", {}, 422, "document_id")
case("GET", "/api/finance/executive-projects/pj_missing", None, 404, "executive_project_id")
case("GET", "/api/finance/units/NOWHERE/executive-projects", None, 404, "unit_id")
case("GET", "/api/finance/units/IR-09/report?period=1404-00", None, 422, "period")
case("GET", "/api/finance/units/IR-09/report?period=1404-01&format=pdf", None, 422, "format")
case("POST", "/api/finance/statements/consolidated", {"province_id": "IR-09", "period": "last month"}, 422, "period")
case("POST", "/api/finance/statements/consolidated", {"province_id": "IR-09-MSH", "period": "1403"}, 422, "province_id")
case("GET", "/api/finance/statements/consolidated/cs:IR-09:1300", None, 404, "statement_id")
case("GET", "/api/finance/units/NOWHERE/statements", None, 404, "unit_id")
case("POST", "/api/finance/statements/consolidated/cs:IR-09:1300/sending", {"recipient": "everyone"}, 422, "recipient")
case("POST", "/api/finance/statements/consolidated/cs:IR-09:1300/sending", {"recipient": "center"}, 404, "statement_id")
# oversight
case("POST", "/api/public/complaints", {"subject_kind": "kanoon", "subject_id": "{active}", "text": "کوتاه"}, 422, "text")
case("POST", "/api/public/complaints", {"subject_kind": "kanoon", "subject_id": "kn_missing", "text": "شکایتی با متن به اندازه کافی بلند"}, 404, "subject_id")
case("GET", "/api/public/complaints/AAAA-BBBB-CCCC", None, 404, "code")
case("POST", "/api/complaints", {"subject_kind": "castle", "subject_id": "{active}", "text": "شکایتی با متن به اندازه کافی بلند"}, 422, "subject_kind")
case("POST", "/api/complaints", {"subject_kind": "member", "subject_id": "p_missing", "text": "شکایتی با متن به اندازه کافی بلند"}, 404, "subject_id")
case("GET", "/api/complaints/cp_missing", None, 404, "complaint_id")
case("GET", "/api/units/NOWHERE/complaints", None, 404, "unit_id")
case("GET", "/api/units/NOWHERE/personal-data-audit", None, 404, "unit_id")
case("GET", "/api/units/IR-09/personal-data-audit?record_kind=pets", None, 422, "record_kind")
case("GET", "/api/units/IR-09/personal-data-audit?limit=0", None, 422, "limit")
case("GET", "/api/units/IR-09/complaints?status=lost", None, 422, "status")
case("POST", "/api/complaints/cp_missing/triage", {"category": "x", "severity": "apocalyptic"}, 422, "severity")
case("POST", "/api/complaints/cp_missing/triage", {"category": "x", "severity": "low"}, 404, "complaint_id")
case("POST", "/api/complaints/cp_missing/assignment", {}, 422, "investigator_id")
case("POST", "/api/complaints/cp_missing/notes", {"text": ""}, 422, "text")
case("POST", "/api/complaints/cp_missing/resolution", {"outcome": "وارد بود"}, 404, "complaint_id")
case("POST", "/api/complaints/cp_missing/closing", None, 404, "complaint_id")
case("POST", "/api/violations", {"person_id": "p_missing", "source": "complaint", "description": "شرح کافی یک تخلف در اینجا"}, 404, "person_id")
case("POST", "/api/violations", {"person_id": "p_missing", "source": "rumour", "description": "شرح کافی یک تخلف در اینجا"}, 422, "source")
case("GET", "/api/violations/vl_missing", None, 404, "violation_id")
case("GET", "/api/units/NOWHERE/violations", None, 404, "unit_id")
case("POST", "/api/violations/vl_missing/decision", {"decision": ""}, 422, "decision")
case("POST", "/api/violations/vl_missing/escalation", None, 404, "violation_id")
case("POST", "/api/violations/vl_missing/ruling", {"kind": "exile", "months": 3, "reason": "محرز"}, 422, "kind")
case("POST", "/api/violations/vl_missing/ruling", {"kind": "suspended", "months": 500, "reason": "محرز"}, 422, "months")
case("POST", "/api/violations/vl_missing/ruling/lifting", {"reason": "جبران"}, 404, "violation_id")
case("POST", "/api/checklists", {"key": "periodic", "province_id": "IR-09", "title": "t", "items": []}, 422, "items")
case("POST", "/api/checklists", {"key": "periodic", "province_id": "IR-09", "title": "t", "items": [{"key": "a1", "text": "x", "weight": 11}]}, 422, "items.0.weight")
case("POST", "/api/checklists", {"key": "periodic", "province_id": "IR-09-MSH", "title": "t", "items": [{"key": "a1", "text": "x", "weight": 1}]}, 422, "province_id")
case("GET", "/api/units/NOWHERE/checklists", None, 404, "unit_id")
case("POST", "/api/inspections/season", {"province_id": "IR-09", "season": "1404-Q5", "checklist_id": "x:v1"}, 422, "season")
case("POST", "/api/inspections/season", {"province_id": "IR-09", "season": "1404-Q1", "checklist_id": "missing:v1"}, 404, "checklist_id")
case("POST", "/api/inspections", {"kind": "picnic", "target_id": "{active}", "checklist_id": "x:v1"}, 422, "kind")
case("POST", "/api/inspections", {"kind": "deputy_visit", "target_id": "{active}", "checklist_id": "x:v1"}, 422, "target_id")
case("POST", "/api/inspections", {"kind": "surprise", "target_id": "{active}", "checklist_id": "missing:v1"}, 404, "checklist_id")
case("POST", "/api/inspections/in_missing/answers", {"answers": {}, "minutes": "کافی و بلند برای صورتجلسه", "visited_on": "1404/01/01"}, 422, "answers")
case("POST", "/api/inspections/in_missing/answers", {"answers": {"a": True}, "minutes": "کافی و بلند برای صورتجلسه", "visited_on": "1404/01/01"}, 404, "inspection_id")
case("POST", "/api/inspections/in_missing/sending", None, 404, "inspection_id")
case("GET", "/api/inspections/in_missing", None, 404, "inspection_id")
case("GET", "/api/units/IR-09/inspections?period=1404-07", None, 422, "period")
case("POST", "/api/inspections/in_missing/attachments", {}, 422, "file")
case("GET", "/api/inspections/in_missing/attachments/at_missing", None, 404, "inspection_id")
case("GET", "/api/units/IR-09/findings?status=lost", None, 422, "status")
case("GET", "/api/units/NOWHERE/findings", None, 404, "unit_id")
case("POST", "/api/findings/fn_missing/review", {"note": "بررسی شد"}, 404, "finding_id")
case("POST", "/api/findings/fn_missing/review", {"note": ""}, 422, "note")
case("POST", "/api/risks", {"province_id": "IR-09", "process": "x", "owner_role": "y", "level": "extreme", "controls": ["z"]}, 422, "level")
case("POST", "/api/risks", {"province_id": "IR-09", "process": "x", "owner_role": "y", "level": "low", "controls": []}, 422, "controls")
case("PUT", "/api/risks/rk_missing", {"level": "low", "controls": ["z"]}, 404, "risk_id")
case("GET", "/api/units/IR-09-MSH/risks", None, 422, "province_id")
case("POST", "/api/orientation-sessions", {"unit_id": "IR-09-MSH", "held_on": "1500/01/01", "topic": "x", "attendees": ["p_1"]}, 422, "held_on")
case("POST", "/api/orientation-sessions", {"unit_id": "NOWHERE", "held_on": "1403/01/01", "topic": "x", "attendees": ["p_1"]}, 404, "unit_id")
case("PUT", "/api/opinions", {"target_id": "{active}", "period": "1404", "rating": 101, "text": "دلایل کافی برای نظر"}, 422, "rating")
case("PUT", "/api/opinions", {"target_id": "NOWHERE", "period": "1404", "rating": 50, "text": "دلایل کافی برای نظر"}, 404, "unit_id")
case("GET", "/api/units/IR-09/opinions?period=14044", None, 422, "period")
case("GET", "/api/units/IR-09/oversight-report?period=abcd", None, 422, "period")
# festival: the festival, training, evaluation
ed = {"province_id": "IR-09", "year": 1405, "title": "جشنواره", "axes": [{"key": "experience", "title": "تجربه"}],
      "criteria": [{"key": "impact", "title": "اثر"}], "opens_on": "1405/07/01", "closes_on": "1405/08/01"}
case("POST", "/api/festival/editions", ed, 422, "axes")   # no collective axis
case("POST", "/api/festival/editions", {**ed, "axes": [{"key": "c", "title": "جمعی", "collective": True}]}, 422, "axes.0.key")
case("POST", "/api/festival/editions", {**ed, "axes": [{"key": "col", "title": "جمعی", "collective": True}],
                                        "closes_on": "1405/06/01"}, 422, "closes_on")
case("POST", "/api/festival/editions", {**ed, "province_id": "NOWHERE"}, 404, "unit_id")
case("POST", "/api/festival/editions", {**ed, "judges_per_submission": 2}, 422, "judges_per_submission")
case("GET", "/api/festival/editions?year=12", None, 422, "year")
case("GET", "/api/festival/editions/fe_missing", None, 404, "edition_id")
case("POST", "/api/festival/editions/fe_missing/dates", {"kind": "party", "on": "1405/09/01"}, 422, "kind")
case("POST", "/api/festival/editions/fe_missing/dates", {"kind": "opening", "on": "1405/09/01"}, 404, "edition_id")
case("POST", "/api/festival/editions/fe_missing/submissions", {"axis": "experience", "description": "x"}, 422, "title")
case("POST", "/api/festival/editions/fe_missing/submissions", {"axis": "experience", "title": "x", "description": "y"}, 404, "edition_id")
case("GET", "/api/festival/editions/fe_missing/submissions", None, 404, "edition_id")
case("POST", "/api/festival/editions/fe_missing/judge-draw?round=moon", None, 422, "round")
case("POST", "/api/festival/editions/fe_missing/judge-draw", None, 404, "edition_id")
case("GET", "/api/festival/editions/fe_missing/participation", None, 404, "edition_id")
case("GET", "/api/festival/submissions/fs_missing", None, 404, "submission_id")
case("POST", "/api/festival/submissions/fs_missing/attachments", {}, 422, "file")
case("GET", "/api/festival/submissions/fs_missing/attachments/fa_missing", None, 404, "submission_id")
case("POST", "/api/festival/submissions/fs_missing/judges", {"judge_ids": []}, 422, "judge_ids")
case("POST", "/api/festival/submissions/fs_missing/judges", {"judge_ids": ["p_1"], "round": "street"}, 422, "round")
case("POST", "/api/festival/submissions/fs_missing/judges", {"judge_ids": ["p_1"]}, 404, "submission_id")
case("PUT", "/api/festival/submissions/fs_missing/score", {"marks": {}}, 422, "marks")
case("PUT", "/api/festival/submissions/fs_missing/score", {"marks": {"impact": 50}}, 404, "submission_id")
case("POST", "/api/festival/submissions/fs_missing/second-look", {"note": ""}, 422, "note")
case("POST", "/api/festival/submissions/fs_missing/decision", {"award": "gold"}, 422, "award")
case("POST", "/api/festival/submissions/fs_missing/decision", {"award": "first"}, 404, "submission_id")
case("GET", "/api/festival/judging", None, None, None)
case("POST", "/api/training/needs", {"province_id": "IR-09", "tier": "wizard", "topic": "x", "priority": 1}, 422, "tier")
case("POST", "/api/training/needs", {"province_id": "IR-09", "tier": "staff", "topic": "x", "priority": 9}, 422, "priority")
case("POST", "/api/training/needs", {"province_id": "IR-09-MSH", "tier": "staff", "topic": "x", "priority": 1}, 422, "province_id")
case("GET", "/api/training/needs?province_id=IR-09-MSH", None, 422, "province_id")
co = {"province_id": "IR-09", "title": "دوره", "tier": "khademyar", "mode": "online", "trainer_id": "p_missing",
      "sessions": [{"on": "1405/07/10", "topic": "یک"}], "exams": [{"key": "final", "title": "پایانی", "on": "1405/07/20"}],
      "pass_mark": 60, "content_reviewed_on": "1405/06/01"}
case("POST", "/api/training/courses", {**co, "pass_mark": 101}, 422, "pass_mark")
case("POST", "/api/training/courses", {**co, "sessions": []}, 422, "sessions")
case("POST", "/api/training/courses", {**co, "mode": "carrier-pigeon"}, 422, "mode")
case("POST", "/api/training/courses", co, 422, "trainer_id")
case("GET", "/api/training/courses?province_id=NOWHERE", None, 404, "unit_id")
case("GET", "/api/training/courses?province_id=IR-09&tier=wizard", None, 422, "tier")
case("GET", "/api/training/courses/co_missing", None, 404, "course_id")
case("POST", "/api/training/courses/co_missing/review", {"reviewed_on": "1405/13/01"}, 422, "reviewed_on")
case("POST", "/api/training/courses/co_missing/review", {"reviewed_on": "1405/01/01"}, 404, "course_id")
case("POST", "/api/training/courses/co_missing/enrollment", None, 404, "course_id")
case("POST", "/api/training/courses/co_missing/attendance", {"session": 0}, 422, "session")
case("POST", "/api/training/courses/co_missing/attendance", {"session": 1}, 404, "course_id")
case("POST", "/api/training/courses/co_missing/attendance/confirmation", {"person_id": "p_x"}, 422, "session")
case("POST", "/api/training/courses/co_missing/attendance/confirmation", {"person_id": "p_x", "session": 1}, 404, "course_id")
case("POST", "/api/training/courses/co_missing/exam-scores", {"person_id": "p_x", "exam": "final", "score": 101}, 422, "score")
case("POST", "/api/training/courses/co_missing/exam-scores", {"person_id": "p_x", "exam": "final", "score": 70}, 404, "course_id")
case("GET", "/api/training/courses/co_missing/enrollments", None, 404, "course_id")
case("GET", "/api/training/mine", None, None, None)
case("PUT", "/api/evaluation/weights", {"scope_id": "IR-09", "year": 1405, "weights": {"charm": 1}}, 422, "weights")
case("PUT", "/api/evaluation/weights", {"scope_id": "IR-09", "year": 1405, "weights": {"reports": 11}}, 422, "weights.reports")
case("PUT", "/api/evaluation/weights", {"scope_id": "IR-09-MSH", "year": 1405, "weights": {"reports": 1}}, 422, "scope_id")
case("PUT", "/api/evaluation/weights", {"scope_id": "IR-09", "year": 2025, "weights": {"reports": 1}}, 422, "year")
case("GET", "/api/evaluation/units/{active}/ranking?year=1405", None, 422, "unit_id")
case("GET", "/api/evaluation/units/IR-09/ranking", None, 422, "year")
case("GET", "/api/evaluation/units/NOWHERE/ranking?year=1405", None, 404, "unit_id")
case("GET", "/api/evaluation/kanoons/IR-09/score?year=1405", None, 422, "kanoon_id")
case("GET", "/api/evaluation/kanoons/{active}/score?year=1405&limit=0", None, 422, "limit")
case("GET", "/api/evaluation/members/{yavar}/score?year=99", None, 422, "year")
case("GET", "/api/evaluation/provinces/IR-09-MSH/roles?year=1405", None, 422, "province_id")
case("POST", "/api/evaluation/rankings/publication", {"province_id": "IR-09-MSH", "year": 1405}, 422, "province_id")
case("POST", "/api/evaluation/rankings/publication", {"province_id": "IR-09"}, 422, "year")
case("GET", "/api/evaluation/kanoons/{active}/best-candidates?period=abcd&member_kind=khademyar", None, 422, "period")
case("GET", "/api/evaluation/kanoons/{active}/best-candidates?period=1405&member_kind=alien", None, 422, "member_kind")
case("POST", "/api/evaluation/kanoons/{active}/best", {"period": "1405", "member_kind": "alien", "person_id": "p_x"}, 422, "member_kind")
case("POST", "/api/evaluation/kanoons/IR-09/best", {"period": "1405", "member_kind": "yavar", "person_id": "p_x"}, 422, "kanoon_id")
case("GET", "/api/evaluation/kanoons/kn_missing/best", None, 404, "unit_id")
case("POST", "/api/evaluation/honours", {"person_id": "p_x", "kanoon_id": "kn_missing", "year": 1405, "note": "x"}, 404, "kanoon_id")
case("POST", "/api/evaluation/honours", {"person_id": "p_x", "kanoon_id": "{active}", "year": 1405}, 422, "note")
case("GET", "/api/evaluation/units/NOWHERE/honours?year=1405", None, 404, "unit_id")
case("GET", "/api/evaluation/ledger-check?year=1", None, 422, "year")
oc = {"scope_id": "IR-09", "kind": "karamat_decade", "title": "دهه کرامت", "starts_on": "1405/02/08", "ends_on": "1405/02/17"}
case("POST", "/api/occasions", {**oc, "ends_on": "1405/02/10"}, 422, "ends_on")
case("POST", "/api/occasions", {**oc, "kind": "birthday"}, 422, "kind")
case("POST", "/api/occasions", {**oc, "kind": "national_day"}, 422, "profession")
case("POST", "/api/occasions", {**oc, "scope_id": "IR-09-MSH"}, 422, "scope_id")
case("GET", "/api/units/NOWHERE/occasions?year=1405", None, 404, "unit_id")
case("GET", "/api/units/IR-09/occasions", None, 422, "year")
pr = {"kind": "annual", "owner_id": "IR-09", "period": "1405", "title": "برنامه",
      "items": [{"title": "x"}], "indices": [{"key": "programs", "title": "برنامه جمعی", "target": 12}]}
case("POST", "/api/plans", {**pr, "indices": []}, 422, "indices")
case("POST", "/api/plans", {**pr, "period": "1405-07"}, 422, "period")
case("POST", "/api/plans", {**pr, "kind": "kanoon_annual"}, 422, "owner_id")
case("POST", "/api/plans", {**pr, "owner_id": "{active}"}, 422, "owner_id")
case("POST", "/api/plans", {**pr, "items": [{"title": "x", "occasion_id": "oc_missing"}]}, 404, "occasion_id")
case("POST", "/api/plans", {**pr, "items": [{"title": "x", "month": "1404-07"}]}, 422, "items.0.month")
case("POST", "/api/plans", {**pr, "indices": [{"key": "programs", "title": "x", "target": 0}]}, 422, "indices.0.target")
case("GET", "/api/plans/pr_missing", None, 404, "program_id")
case("PUT", "/api/plans/pr_missing", {"title": "x", "items": [], "indices": []}, 422, "items")
case("PUT", "/api/plans/pr_missing", {"title": "x", "items": [{"title": "y"}],
                                         "indices": [{"key": "ab", "title": "z", "target": 1}]}, 404, "program_id")
case("POST", "/api/plans/pr_missing/submission", None, 404, "program_id")
case("POST", "/api/plans/pr_missing/decision", {"reason": "x"}, 422, "approve")
case("POST", "/api/plans/pr_missing/decision", {"approve": True}, 404, "program_id")
case("POST", "/api/plans/pr_missing/evaluation", {"achieved": {}}, 422, "achieved")
case("POST", "/api/plans/pr_missing/evaluation", {"achieved": {"programs": 3}}, 404, "program_id")

# secretariat
letter = {"province_id": "IR-11", "direction": "incoming", "subject": "درخواست", "parties": ["ستاد مرکزی"],
          "dated": "1404/01/10"}
case("POST", "/api/letters", {**letter, "direction": "sideways"}, 422, "direction")
case("POST", "/api/letters", {**letter, "parties": []}, 422, "parties")
case("POST", "/api/letters", {**letter, "dated": "1404/13/01"}, 422, "dated")
case("POST", "/api/letters", {**letter, "dated": "1499/01/01"}, 422, "dated")
case("POST", "/api/letters", {**letter, "deadline": "1403/01/01"}, 422, "deadline")
case("POST", "/api/letters", {**letter, "remind_days": 3}, 422, "remind_days")
case("POST", "/api/letters", {**letter, "province_id": "IR-11-ZZZ"}, 404, "unit_id")
case("POST", "/api/letters", {**letter, "direction": "outgoing", "reply_to": "lt_missing"}, 404, "letter_id")
case("GET", "/api/letters/lt_missing", None, 404, "letter_id")
case("GET", "/api/units/IR-11/letters?direction=up", None, 422, "direction")
case("GET", "/api/units/IR-11/letters?limit=0", None, 422, "limit")
case("POST", "/api/letters/lt_missing/closing", {"note": "x" * 5000}, 422, "note")
case("POST", "/api/letters/lt_missing/closing", {}, 404, "letter_id")
case("POST", "/api/letters/lt_missing/attachments", {}, 422, "file")
case("GET", "/api/letters/lt_missing/attachments/lf_missing", None, 404, "letter_id")
mou = {"province_id": "IR-11", "title": "تفاهم‌نامه", "parties": ["دانشگاه"], "subject": "همکاری",
       "signed_on": "1404/01/01", "starts_on": "1404/01/01", "ends_on": "1405/01/01"}
case("POST", "/api/mous", {**mou, "ends_on": "1403/01/01"}, 422, "ends_on")
case("POST", "/api/mous", {**mou, "signed_on": "1499/01/01"}, 422, "signed_on")
case("POST", "/api/mous", {**mou, "notice_days": 0}, 422, "notice_days")
case("POST", "/api/mous", {k: v for k, v in mou.items() if k != "subject"}, 422, "subject")
case("POST", "/api/mous/mou_missing/renewal", {"ends_on": "x"}, 422, "ends_on")
case("POST", "/api/mous/mou_missing/renewal", {"ends_on": "1406/01/01"}, 404, "mou_id")
case("GET", "/api/units/IR-11-ZZZ/mous", None, 404, "unit_id")
case("POST", "/api/council/chair", {"province_id": "IR-11", "person_id": "p_1", "elected_on": "1499/01/01"}, 422, "elected_on")
case("POST", "/api/council/chair", {"province_id": "IR-11", "elected_on": "1404/01/01"}, 422, "person_id")
case("POST", "/api/council/nominees", {"province_id": "IR-11", "nominees": ["p_1", "p_2"], "sent_on": "1404/01/01"}, 422, "nominees")
case("POST", "/api/council/nominees", {"province_id": "IR-11", "nominees": ["p_1", "p_1", "p_2"], "sent_on": "1404/01/01"}, 422, "nominees")
case("GET", "/api/units/IR-11-ZZZ/council", None, 404, "unit_id")
case("POST", "/api/assembly-sessions", {"province_id": "IR-11", "held_on": "1404/03/01", "attendees": 0}, 422, "attendees")
case("POST", "/api/assembly-sessions", {"province_id": "IR-11", "held_on": "1499/03/01", "attendees": 10}, 422, "held_on")
case("POST", "/api/assembly-sessions", {"province_id": "IR-11", "held_on": "1404/03/01", "attendees": 10,
                                        "report_id": "hr_missing"}, 404, "report_id")
case("GET", "/api/units/IR-11-ZZZ/assembly-sessions", None, 404, "unit_id")
case("POST", "/api/hq-reports", {"province_id": "IR-11", "to": "friends", "period": "1404", "title": "x", "body": "y"}, 422, "to")
case("POST", "/api/hq-reports", {"province_id": "IR-11", "to": "center", "period": "14-04", "title": "x", "body": "y"}, 422, "period")
case("POST", "/api/hq-reports/hr_missing/sending", {"sent_on": "1404/01/01"}, 404, "report_id")
case("POST", "/api/hq-reports/hr_missing/sending", {}, 422, "sent_on")
case("GET", "/api/units/IR-11-ZZZ/hq-reports", None, 404, "unit_id")
meeting = {"unit_id": "{city}", "held_on": "1404/01/10", "host_kanoon_id": "{active}",
           "minutes": "بررسی برنامه‌های ماه آینده"}
case("POST", "/api/heads-meetings", {**meeting, "unit_id": "IR-11"}, 422, "unit_id")
case("POST", "/api/heads-meetings", {**meeting, "host_kanoon_id": "kn_missing"}, 422, "host_kanoon_id")
case("POST", "/api/heads-meetings", {**meeting, "next_host_id": "{active}"}, 422, "next_host_id")
case("POST", "/api/heads-meetings", {**meeting, "attended": ["kn_missing"]}, 422, "attended")
case("POST", "/api/heads-meetings", {**meeting, "minutes": "کوتاه"}, 422, "minutes")
case("POST", "/api/heads-meetings", {**meeting, "held_on": "1499/01/01"}, 422, "held_on")
case("GET", "/api/units/IR-11/heads-meetings", None, 422, "unit_id")
case("POST", "/api/news", {"province_id": "IR-11", "title": "خبر", "body": "متن", "report_ids": []}, 422, "report_ids")
case("POST", "/api/news", {"province_id": "IR-11", "title": "خبر", "body": "متن", "report_ids": ["ar_missing"]}, 422, "report_ids")
case("POST", "/api/news/nw_missing/publication", None, 404, "news_id")
case("GET", "/api/units/IR-11/news?limit=0", None, 422, "limit")
case("GET", "/api/units/IR-11/media?limit=0", None, 422, "limit")
case("POST", "/api/tickets", {"category": "weather", "subject": "x", "text": "y"}, 422, "category")
case("POST", "/api/tickets", {"category": "account", "subject": "x"}, 422, "text")
case("POST", "/api/tickets", {"category": "account", "subject": "x", "text": "y", "contact": "علی ۰۹۱۵"}, 422, "province_id")
case("GET", "/api/tickets/mine", None, None)
case("GET", "/api/tickets/tk_missing", None, 404, "ticket_id")
case("GET", "/api/units/IR-11/tickets?status=lost", None, 422, "status")
case("POST", "/api/tickets/tk_missing/messages", {"text": ""}, 422, "text")
case("POST", "/api/tickets/tk_missing/messages", {"text": "پاسخ"}, 404, "ticket_id")
case("POST", "/api/tickets/tk_missing/closing", None, 404, "ticket_id")
case("GET", "/api/units/IR-09/plans?year=1405&status=lost", None, 422, "status")
case("GET", "/api/units/NOWHERE/plans?year=1405", None, 404, "unit_id")
case("POST", "/api/campaigns", {"title": "پویش", "scope_id": "IR-09", "starts_on": "1405/02/08", "ends_on": "1405/02/17",
                                "service_types": ["food_packages"], "occasion_id": "oc_missing"}, 404, "occasion_id")
case("GET", "/api/ops/registry/outbox?x=1", None, None, None)  # listed for coverage; a read
case("POST", "/api/ops/registry/parked/pm_missing/replay", None, 404, "parked_id")
case("GET", "/api/ops/registry/parked", None, None, None)
case("POST", "/api/ops/registry/outbox/replay", {}, 422, "types")
case("POST", "/api/ops/registry/outbox/replay", {"types": "reports."}, 422, "types")
case("POST", "/api/ops/registry/outbox/replay", {"types": "registry.", "extra": 1}, 422, "extra")
case("POST", "/api/ops/nowhere/outbox/replay", {"types": "registry."}, 404, "service")
case("POST", "/api/ops/registry/outbox/replay", {"types": "registry.", "queue": "no.such.queue"}, 404, "queue")
case("GET", "/api/ops/registry/outbox/replay/no-such-job", None, 404, "job_id")
case("POST", "/api/ops/registry/outbox/replay", {"types": "registry.", "since": "not a time"}, 422, "since")
case("POST", "/api/ops/registry/outbox/replay", {"types": "registry.", "partial": "maybe"}, 422, "partial")
case("POST", "/api/ops/finance/restate", None, 422, "service")
case("POST", "/api/ops/nowhere/restate", None, 404, "service")
case("GET", "/api/ops/registry/parked?limit=100000", None, 422, "limit")


# reports (§3, §4): the world's kanoon "active" has the member "yavar_in"; "report" is its submitted report
day = "1404/08/01"
rep = {"kanoon_id": "{active}", "service_type": "food_packages", "day": day, "hours": 2, "place": "مسجد",
       "beneficiaries": 3, "description": "شرح"}
case("POST", "/api/service-types", {"id": "Bad Id", "name": "x", "scope_id": "IR-11"}, 422, "id")
case("POST", "/api/service-types", {"id": "food_packages", "name": "x", "scope_id": "IR"}, 409, "id")
case("POST", "/api/service-types", {"id": "new_type", "name": "x", "scope_id": "NOWHERE"}, 404, "unit_id")
case("GET", "/api/service-types", None, 422, "for")
case("POST", "/api/activity-reports", {**rep, "hours": 0}, 422, "hours")
case("POST", "/api/activity-reports", {**rep, "service_type": "no_such"}, 403, None)  # not a member
case("POST", "/api/activity-reports", {**rep, "kanoon_id": "kn_missing"}, 404, "kanoon_id")
case("GET", "/api/activity-reports/mine?limit=0", None, 422, "limit")
case("GET", "/api/activity-reports/ar_missing", None, 404, "report_id")
case("POST", "/api/activity-reports/ar_missing/review", {"approve": True}, 404, "report_id")
case("POST", "/api/activity-reports/{report}/review", {"approve": False}, 422, None)
case("POST", "/api/activity-reports/{report}/return", {"comment": "جبران"}, 409, "status")
case("POST", "/api/activity-reports/{report}/return", {"comment": ""}, 422, "comment")
case("POST", "/api/activity-reports/{report}/resubmission", {"hours": 30}, 422, "hours")
# Only its reporter may resubmit a report, and learns its state (409) only then: others get 403 first.
case("POST", "/api/activity-reports/{report}/resubmission", {"hours": 3}, 403, None)
case("POST", "/api/activity-reports/{report}/flags", {"flag": "great"}, 422, "flag")
case("GET", "/api/kanoons/{active}/activity-reports?month=1404-13", None, 422, "month")
case("POST", "/api/reservations", {"kanoon_id": "{active}", "service_type": "food_packages", "day": "1500/01/01",
                                   "from_hour": 18, "to_hour": 16}, 422, "to_hour")
case("POST", "/api/reservations/rs_missing/decision", {"confirm": True}, 404, "reservation_id")
case("POST", "/api/reservations/rs_missing/cancellation", None, 404, "reservation_id")
case("POST", "/api/campaigns/cp_missing/approval", None, 404, "campaign_id")
case("POST", "/api/service-types/no_such_type/instructions", {"province_id": "IR-09", "text": "متن دستورالعمل اجرایی"}, 404, "service_type")
case("POST", "/api/service-types/food_packages/instructions", {"province_id": "IR-09-MSH", "text": "متن دستورالعمل اجرایی"}, 422, "province_id")
case("POST", "/api/service-types/food_packages/instructions", {"province_id": "IR-09"}, 422, "text")
case("GET", "/api/kanoons/kn_missing/instructions", None, 404, "kanoon_id")
case("GET", "/api/kanoons/{active}/reservations?status=maybe", None, 422, "status")
case("POST", "/api/campaigns", {"title": "پویش", "scope_id": "IR-11", "starts_on": "1404/10/10",
                                "ends_on": "1404/10/01", "service_types": ["food_packages"]}, 422, "ends_on")
case("POST", "/api/campaigns", {"title": "پویش", "scope_id": "IR-11", "starts_on": "1404/10/01",
                                "ends_on": "1404/10/10", "service_types": []}, 422, "service_types")
case("POST", "/api/campaigns", {"title": "پویش", "scope_id": "IR-11", "starts_on": "1404/10/01",
                                "ends_on": "1404/10/10", "service_types": ["no_such"]}, 404, "service_types")
case("GET", "/api/units/NOWHERE/campaigns", None, 404, "unit_id")
case("GET", "/api/campaigns/cp_missing/report?unit_id=IR", None, 404, "campaign_id")
case("POST", "/api/programs", {"kanoon_id": "{active}", "title": "x", "held_on": "1500/01/01", "attendance": 5}, 422, "held_on")
case("POST", "/api/programs", {"kanoon_id": "{active}", "title": "x", "held_on": day, "attendance": 0}, 422, "attendance")
case("POST", "/api/programs", {"kanoon_id": "{draft}", "title": "x", "held_on": day, "attendance": 5}, 409, "kanoon_id")
case("GET", "/api/units/IR-11/program-compliance?month=1404", None, 422, "month")
case("POST", "/api/monthly-reports", {"kanoon_id": "{active}", "month": "1404-07", "clients": 1,
                                      "public_requests": 1, "public_requests_answered": 2}, 422, None)
case("POST", "/api/monthly-reports", {"kanoon_id": "{active}", "month": "1404-7", "clients": 1,
                                      "public_requests": 1, "public_requests_answered": 1}, 422, "month")
case("GET", "/api/kanoons/{active}/monthly-reports/1404-07", None, 404, "month")
case("POST", "/api/kanoons/{active}/monthly-reports/1404-07/review", {"accept": False}, 422, None)
case("POST", "/api/kanoons/{active}/monthly-reports/1404-07/review", {"accept": True}, 404, "month")
case("GET", "/api/units/IR-11/monthly-completeness?month=xx", None, 422, "month")
case("GET", "/api/units/IR-11/aggregates?period=1404-Q5", None, 422, "period")
case("POST", "/api/beneficiaries", {"kanoon_id": "{active}", "full_name": "x", "national_id": "1234567890"}, 422, "national_id")
case("POST", "/api/beneficiaries", {"kanoon_id": "{active}", "full_name": "x", "household_size": 0}, 422, "household_size")
case("GET", "/api/kanoons/kn_missing/beneficiaries", None, 404, "kanoon_id")
case("GET", "/api/kanoons/{active}/beneficiaries?q=" + "ب" * 101, None, 422, "q")
case("GET", "/api/beneficiaries/bn_missing", None, 404, "beneficiary_id")
case("POST", "/api/needs", {"kanoon_id": "{active}", "title": "x", "urgency": "panic"}, 422, "urgency")
case("POST", "/api/needs", {"kanoon_id": "{active}", "title": "x", "beneficiary_id": "bn_missing"}, 404, "beneficiary_id")
case("GET", "/api/kanoons/{active}/needs?status=lost", None, 422, "status")
case("POST", "/api/needs/nd_missing/matches", {"kanoon_id": "{active}"}, 404, "need_id")
case("POST", "/api/needs/nd_missing/matches", {"kanoon_id": "{active}", "member_id": "p_x"}, 422, None)
case("POST", "/api/needs/nd_missing/resolution", {"status": "open"}, 422, "status")
case("POST", "/api/projects", {"kanoon_id": "{active}", "title": "x", "description": "y", "need_ids": ["a", "a"],
                               "invited_kanoon_ids": ["{draft}"]}, 422, "need_ids")
case("POST", "/api/projects", {"kanoon_id": "{active}", "title": "x", "description": "y", "need_ids": ["nd_missing"],
                               "invited_kanoon_ids": ["{draft}"]}, 404, "need_ids")
case("GET", "/api/projects/pj_missing", None, 404, "project_id")
case("POST", "/api/projects/pj_missing/answers", {"kanoon_id": "{active}", "join": True}, 404, "project_id")


# Written by the services on their own, whatever the requests: the store heartbeat.
# What moves by itself, and the counters of attempts that limits keep by design (a failed sign-in, a
# public lookup of a wrong code must count, or guessing would be free): none of them is a record.
MOVING = {"heartbeats", "periodic_runs", "throttles"}


def digest(db) -> str:
    h = hashlib.sha256()
    for name in sorted(set(db.raw.list_collection_names()) - MOVING):
        for doc in sorted(db[name].find({}), key=lambda d: str(d["_id"])):
            h.update(name.encode())
            h.update(json.dumps(doc, sort_keys=True, default=str).encode())
    return h.hexdigest()


def settled(dbs, timeout=30):
    """Every outbox sent and every event consumed, so that nothing moves while we compare."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(db.outbox.count_documents({"status": "pending"}) for db in dbs):
            time.sleep(1.0)  # let consumers apply what was just published
            if not any(db.outbox.count_documents({"status": "pending"}) for db in dbs):
                return
        time.sleep(0.2)


@pytest.fixture(scope="module")
def world(system, admin):
    """In a city of its own: a draft kanoon, an active one with a yavar and a pending transfer out of
    it, a pending application."""
    tag = uuid.uuid4().hex[:6]
    city = f"IR-11-B{tag[:3].upper()}"
    assert admin.post("/api/units", json={"id": city, "name": "شهر", "kind": "city", "parent_id": "IR-11"}).status_code == 201
    assert admin.put("/api/membership-policies", json={"province_id": "IR-11", "kanoon_type": "neighborhood",
                                                       "floor": 2, "ceiling": 100}).status_code == 200
    sec = staff(admin, system.base, f"sec.bad.{tag}", "city_secretary", city, city=city)[0]
    head, deputy = member(admin, city=city), member(admin, city=city)
    head_api = account(admin, system.base, head, f"head.bad.{tag}")
    active = form_kanoon(head_api, head, deputy, sec, "کانون ورودی نادرست", unit=city)
    h2, d2 = member(admin, city=city), member(admin, city=city)
    draft = admin.post("/api/kanoons", json={"name": "پیش‌نویس", "kind": "neighborhood", "unit_id": city,
                                             "head_id": h2, "deputy_id": d2}).json()["id"]
    h3, d3 = member(admin, city=city), member(admin, city=city)
    other = form_kanoon(admin, h3, d3, sec, "کانون مقصد", unit=city)
    yavar, yavar_in = member(admin, kind="yavar", city=city), member(admin, kind="yavar", city=city)
    free = member(admin, city=city)
    assert admin.post("/api/memberships", json={"person_id": yavar_in, "kanoon_id": active}).status_code == 200
    r = admin.post("/api/transfers", json={"person_id": yavar_in, "to_kanoon_id": other})
    assert r.status_code == 201, r.text
    transfer = r.json()["id"]
    appl = {**applicant, "national_id": "0016089316", "city_id": city}
    application = admin.post("/api/applications", json={"track": "yavar", "applicant": appl}).json()["id"]
    dup_nid = admin.get(f"/api/people/{yavar}").json().get("national_id")
    me = account(admin, system.base, yavar_in, f"member.bad.{tag}")
    rep_day = jalali.format_date(jalali.today())
    report = None
    deadline = time.monotonic() + 20
    while report is None and time.monotonic() < deadline:  # the membership reaches the reports service
        r = me.post("/api/activity-reports", json={**fill(rep, {"active": active}), "day": rep_day})
        report = r.json()["id"] if r.status_code == 201 else time.sleep(0.3)
    assert report, r.text
    return {"city": city, "draft": draft, "active": active, "head": head, "deputy": h2, "yavar": yavar,
            "yavar_in": yavar_in, "transfer": transfer, "application": application, "free": free,
            "dup_nid": dup_nid, "report": report}


def fill(value, names):
    if isinstance(value, str):
        for k, v in names.items():
            value = value.replace("{" + k + "}", str(v))
        return value
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    return value


def test_every_route_with_input_has_bad_input_cases(system):
    spec = httpx.get(f"{system.base}/openapi.json").json()
    routes = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops
              if p.startswith("/api/")}
    covered = set()
    for method, path, *_ in CASES:
        bare = path.split("?")[0]
        for m, p in routes:
            if m == method and _matches(p, bare):
                covered.add((m, p))
    assert routes - covered == set(), "add bad-input cases for these routes"


def _matches(template: str, path: str) -> bool:
    t, p = template.strip("/").split("/"), path.strip("/").split("/")
    return len(t) == len(p) and all(a == b or a.startswith("{") for a, b in zip(t, p))


def test_bad_input_is_refused_with_a_message_and_changes_nothing(system, admin, world):
    dbs = [system.db(name) for name in ("registry", "reports", "finance", "oversight", "festival", "secretariat")]
    settled(dbs)
    before = [digest(db) for db in dbs]
    failures = []
    for method, path, payload, status, field in CASES:
        url = fill(path, world)
        kwargs = {}
        if isinstance(payload, str):
            kwargs = {"content": payload, "headers": {"Content-Type": "application/json"}}
        elif payload is not None:
            kwargs = {"json": fill(payload, world)}
        r = admin.request(method, url, **kwargs)
        if status is None:
            if r.status_code >= 500:
                failures.append((method, url, r.status_code, r.text))
            continue
        body = r.json()
        ok = (r.status_code == status and body.get("message")
              and (field is None or body.get("field") == field))
        if not ok:
            failures.append((method, url, payload, r.status_code, body))
    assert failures == [], "\n".join(map(str, failures))
    time.sleep(0.5)
    assert [digest(db) for db in dbs] == before, "a refused request changed the store"


def test_unsigned_and_forged_callers_are_refused(system):
    assert httpx.get(f"{system.base}/api/units").status_code == 401
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    r = httpx.get(f"{system.base}/api/units", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json()["message"]
    r = httpx.post(f"{system.base}/token", data={"username": "admin", "password": "wrong-password"})
    assert r.status_code == 401
    r = httpx.post(f"{system.base}/token", data={"username": "admin"})
    assert r.status_code == 422 and r.json()["field"] == "password"
