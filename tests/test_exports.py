"""Exports: a pupil's whole record as CSV and JSON, a school-wide CSV for dates, never a concern."""
import csv
import io
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from rrp_pwa.agreements.rules import make_agreement
from rrp_pwa.checkins.rules import record_checkin
from rrp_pwa.conversations.chats import record_quick_chat
from rrp_pwa.extensions import db
from rrp_pwa.safeguarding.concerns import raise_concern
from tests.conftest import make_pupil, make_school, make_staff


@pytest.fixture
def records(app):
    """Amira has a chat, a check-in, an agreement and a concern; Ben has a check-in of his own."""
    school = make_school()
    support = make_staff(school, ("support",), name="Mo Midday")
    dsl = make_staff(school, ("dsl",))
    amira = make_pupil(school, "Amira", "Khan", external_id="stu-1")
    ben = make_pupil(school, "Ben", "Osei")
    record_quick_chat(school.id, support, [amira], "Unkind words", "Playground", agreed="Said sorry",
                      note="=HYPERLINK(\"x\")")
    record_checkin(school.id, "faces", 4, "staff", pupil=amira, word="better")
    record_checkin(school.id, "faces", 5, "staff", pupil=ben)
    db.session.add(make_agreement(school.id, "chat", None, "Play fairly at football", pupils=[amira],
                                  created_by=support))
    db.session.add(raise_concern(school.id, "DISCLOSURE TEXT", "pupil", pupil=amira, raised_by_staff=dsl))
    db.session.commit()
    return school, amira, ben


@pytest.mark.parametrize("roles, status", [(("admin",), 200), (("pastoral",), 200), (("dsl",), 200),
                                           (("teacher",), 403), (("support",), 403)])
def test_who_may_export_a_pupil_record(client, auth, records, roles, status):
    school, amira, _ = records
    auth.login(roles=roles, school=school)
    for suffix in ("", ".csv", ".json"):
        assert client.get(f"/pupils/{amira.id}/export{suffix}").status_code == status


def test_pupil_json_export_has_every_record_but_no_concern(client, auth, records):
    school, amira, _ = records
    auth.login(roles=("dsl",), school=school)
    response = client.get(f"/pupils/{amira.id}/export.json")
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.json
    assert body["pupil"]["mis_id"] == "stu-1"
    assert sorted(r["type"] for r in body["records"]) == ["agreement", "check_in", "quick_chat"]
    assert "DISCLOSURE" not in json.dumps(body)


def test_pupil_csv_export_one_row_per_record_with_their_role(client, auth, records):
    school, amira, _ = records
    auth.login(roles=("pastoral",), school=school)
    response = client.get(f"/pupils/{amira.id}/export.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(r["type"] for r in rows) == ["agreement", "check_in", "quick_chat"]
    chat = next(r for r in rows if r["type"] == "quick_chat")
    assert chat["pupil_role"] == "involved" and chat["location"] == "Playground"
    assert chat["pupils"] == "Amira Khan (stu-1, involved)" and chat["staff"].startswith("Mo Midday")
    assert chat["narrative"].startswith("'") is False and "HYPERLINK" in chat["narrative"]
    assert "DISCLOSURE" not in response.get_data(as_text=True)


def test_a_narrative_starting_like_a_formula_is_defused(client, auth, app):
    school = make_school()
    pupil = make_pupil(school)
    record_checkin(school.id, "faces", 4, "staff", pupil=pupil, word="=1+1")
    db.session.commit()
    auth.login(roles=("admin",), school=school)
    rows = list(csv.DictReader(io.StringIO(client.get(f"/pupils/{pupil.id}/export.csv").get_data(as_text=True)
                                           .lstrip("\ufeff"))))
    assert rows[0]["narrative"] == "'=1+1"


def test_another_schools_pupil_is_not_found(client, auth, records):
    _, amira, _ = records
    auth.login(roles=("admin",), school=make_school("Hill Academy"))
    assert client.get(f"/pupils/{amira.id}/export.json").status_code == 404


@pytest.mark.parametrize("roles, status", [(("admin",), 200), (("pastoral",), 200), (("dsl",), 403),
                                           (("teacher",), 403), (("support",), 403)])
def test_who_may_export_the_school(client, auth, records, roles, status):
    auth.login(roles=roles, school=records[0])
    assert client.get("/admin/sync/export").status_code == status


def test_school_csv_for_a_date_range(client, auth, records):
    school, _, _ = records
    auth.login(roles=("pastoral",), school=school)
    today = datetime.now(timezone.utc).date()
    response = client.get(f"/admin/sync/export?start={today - timedelta(days=1)}&end={today}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(r["type"] for r in rows) == ["agreement", "check_in", "check_in", "quick_chat"]
    assert "DISCLOSURE" not in response.get_data(as_text=True)
    earlier = client.get(f"/admin/sync/export?start={today - timedelta(days=9)}&end={today - timedelta(days=2)}")
    assert earlier.get_data(as_text=True).lstrip("\ufeff").count("\r\n") == 1  # the header only


def test_a_word_typed_at_the_check_in_station_is_in_no_export(client, auth, app):
    """QA: a pupil typed "my dog died" at the check-in station, told only adults at school see it, and it was the
    narrative of the school's export and of the pupil's (both go to the MIS). The check-in and its answer go;
    the pupil's word does not."""
    school = make_school()
    pupil = make_pupil(school)
    record_checkin(school.id, "faces", 1, "station", pupil=pupil, word="my dog died")
    db.session.commit()
    auth.login(roles=("admin",), school=school)
    today = datetime.now(timezone.utc).date()
    for address in (f"/admin/sync/export?start={today - timedelta(days=1)}&end={today}",
                    f"/pupils/{pupil.id}/export.csv", f"/pupils/{pupil.id}/export.json"):
        text = client.get(address).get_data(as_text=True)
        assert "check_in" in text and "Awful" in text, address
        assert "my dog died" not in text, address


def test_school_export_refuses_a_backwards_range_beside_the_field(client, auth, records):
    auth.login(roles=("admin",), school=records[0])
    response = client.get(f"/admin/sync/export?start={date(2026, 5, 2)}&end={date(2026, 5, 1)}")
    assert response.status_code == 400 and "can&#39;t be before" in response.get_data(as_text=True)


@pytest.mark.parametrize("roles, shown", [(("admin",), True), (("pastoral",), True), (("teacher",), False)])
def test_pupil_page_offers_the_export_to_whole_school_roles(client, auth, app, roles, shown):
    from tests.conftest import make_group
    school = make_school()
    pupil = make_pupil(school)
    staff = make_staff(school, roles)
    make_group(school, pupils=[pupil], staff=[staff])
    db.session.commit()
    auth.login(staff=staff)
    page = client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert ("Export this record" in page) is shown


def test_every_text_cell_of_a_csv_is_defused_not_only_the_narrative(client, auth, app):
    """Names come from the MIS and places are typed by pupil mediators: none may run as a formula."""
    school = make_school()
    pupil = make_pupil(school, "=HYPERLINK(\"http://x.example\")", "Khan")
    record_checkin(school.id, "faces", 4, "staff", pupil=pupil)
    db.session.commit()
    auth.login(roles=("admin",), school=school)
    rows = list(csv.DictReader(io.StringIO(client.get(f"/pupils/{pupil.id}/export.csv").get_data(as_text=True)
                                           .lstrip("\ufeff"))))
    assert rows and all(not value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())
    assert rows[0]["pupils"].startswith("'=HYPERLINK")


def test_exporting_a_pupils_record_is_kept_in_the_audit_trail(client, auth, app):
    from rrp_pwa.models.audit import AuditEvent

    school = make_school()
    pupil = make_pupil(school)
    db.session.commit()
    lead = auth.login(roles=("pastoral",), school=school)
    assert client.get(f"/pupils/{pupil.id}/export.csv").status_code == 200
    assert client.get(f"/pupils/{pupil.id}/export.json").status_code == 200
    kept = db.session.scalars(db.select(AuditEvent)).all()
    assert [(e.staff_id, e.action, e.subject_kind, e.subject_id) for e in kept] == [
        (lead.id, "exported", "pupil", pupil.id)] * 2


def test_exporting_the_whole_schools_records_is_kept_in_the_audit_trail(client, auth, app):
    """QA: exporting one pupil's record was kept in the audit trail, but exporting every pupil's records
    between two dates (Export records) left no trace of who took them."""
    from rrp_pwa.models.audit import AuditEvent

    school = make_school()
    make_pupil(school)
    db.session.commit()
    lead = auth.login(roles=("pastoral",), school=school)
    assert client.get("/admin/sync/export?start=2026-11-29&end=2026-11-01").status_code == 400  # refused: not kept
    assert client.get("/admin/sync/export?start=2026-11-01&end=2026-11-29").status_code == 200
    kept = db.session.scalars(db.select(AuditEvent)).all()
    assert [(e.staff_id, e.action, e.subject_kind, e.subject_id, e.detail) for e in kept] == [
        (lead.id, "exported", "school", school.id, "every record from 2026-11-01 to 2026-11-29")]


def test_the_school_export_goes_by_the_schools_days(client, auth, app):
    """A check-in at 00:30 on 2 July in British Summer Time (23:30 UTC on 1 July) is on 2 July."""
    school = make_school()
    checkin = record_checkin(school.id, "faces", 4, "staff", pupil=make_pupil(school, "Amira", "Khan"))
    checkin.created_at = datetime(2026, 7, 1, 23, 30, tzinfo=timezone.utc)
    db.session.commit()
    auth.login(roles=("admin",), school=school)

    def rows(day: str) -> list[dict]:
        text = client.get(f"/admin/sync/export?start={day}&end={day}").get_data(as_text=True).lstrip("\ufeff")
        return list(csv.DictReader(io.StringIO(text)))
    assert [r["type"] for r in rows("2026-07-02")] == ["check_in"]
    assert rows("2026-07-01") == []
