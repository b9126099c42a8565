"""Raising a concern from any flow, and the DSL's restricted queue."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from flask import render_template_string
from flask_login import login_user
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rrp_pwa.conversations.chats import record_quick_chat
from rrp_pwa.extensions import db
from rrp_pwa.models import Staff
from rrp_pwa.models.audit import AuditEvent
from rrp_pwa.models.safeguarding import Concern
from rrp_pwa.safeguarding.concerns import raise_concern, send_once
from tests.conftest import make_group, make_pupil, make_school, make_staff

ROLES = [("admin",), ("teacher",), ("support",), ("pastoral",), ("dsl",)]
NOTE = "Said her uncle hits her when she is late home"


@pytest.fixture
def school(app):
    school = make_school()
    db.session.commit()
    return school


@pytest.mark.parametrize("roles", ROLES)
def test_anyone_on_staff_raises_a_concern_in_one_form(client, auth, school, roles):
    make_staff(school, ("dsl",), name="Dee Dsl")
    staff = auth.login(roles=roles)
    amira = make_pupil(school)
    db.session.commit()
    page = client.get(f"/concerns/new?pupil_id={amira.id}&context=chat&next=/chats/new").get_data(as_text=True)
    assert "can't be kept secret" in page and "Amira Khan" in page
    response = client.post(f"/concerns/new?pupil_id={amira.id}", data={
        "pupil_id": amira.id, "note": NOTE, "context": "chat", "next": "/chats/new"})
    assert response.status_code == 302 and response.headers["Location"] == "/chats/new"
    concern = db.session.query(Concern).one()
    assert (concern.pupil_id, concern.note, concern.raised_by_staff_id, concern.context_kind, concern.status) == (
        amira.id, NOTE, staff.id, "chat", "new")
    assert "gone to the Designated Safeguarding Lead" in client.get("/chats/new").get_data(as_text=True)


@pytest.mark.parametrize("data, message", [({"note": ""}, "Write what you saw or heard."),
                                           ({"note": "x" * 5001}, "5,000 characters"),
                                           ({"note": NOTE, "subject_name": "n" * 121}, "120 characters")])
def test_bad_concerns_are_refused_and_the_note_is_kept(client, auth, school, data, message):
    auth.login(roles=("support",))
    response = client.post("/concerns/new", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.query(Concern).count() == 0


def test_a_pupil_of_another_school_cannot_be_named(client, auth, school):
    auth.login(roles=("teacher",))
    stranger = make_pupil(make_school("Hill High"), "Zed", "Other")
    db.session.commit()
    assert "Zed Other" not in client.get(f"/concerns/new?pupil_id={stranger.id}").get_data(as_text=True)
    response = client.post(f"/concerns/new?pupil_id={stranger.id}", data={"pupil_id": stranger.id, "note": NOTE})
    assert response.status_code == 400 and db.session.query(Concern).count() == 0


def test_an_outside_next_address_goes_home_instead(client, auth, school):
    auth.login(roles=("teacher",))
    response = client.post("/concerns/new", data={"note": NOTE, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_unknown_context_is_filed_as_about_a_pupil(client, auth, school):
    auth.login(roles=("teacher",))
    client.post("/concerns/new", data={"note": NOTE, "context": "party", "context_id": "x"})
    concern = db.session.query(Concern).one()
    assert (concern.context_kind, concern.context_id) == ("pupil", None)


@pytest.mark.parametrize("roles, status", [(("dsl",), 200), (("admin",), 403), (("teacher",), 403),
                                           (("support",), 403), (("pastoral",), 403)])
def test_only_the_dsl_opens_the_queue_and_concerns(client, auth, school, roles, status):
    raiser = make_staff(school, ("support",), name="Mo Midday")
    concern = raise_concern(school.id, NOTE, "chat", pupil=make_pupil(school), raised_by_staff=raiser)
    db.session.add(concern)
    db.session.commit()
    auth.login(roles=roles)
    queue = client.get("/safeguarding/concerns")
    assert queue.status_code == status
    assert client.get(f"/safeguarding/concerns/{concern.id}").status_code == status
    assert client.post(f"/safeguarding/concerns/{concern.id}/seen").status_code in ((302,) if status == 200 else (403,))
    if status == 200:
        assert "Amira Khan" in queue.get_data(as_text=True) and "Mo Midday" in queue.get_data(as_text=True)
    else:
        assert NOTE not in queue.get_data(as_text=True)
        assert db.session.get(Concern, concern.id).status == "new"


def test_a_dsl_who_is_also_the_pastoral_lead_sees_concerns_first(client, auth, school):
    auth.login(staff=make_staff(school, ("dsl", "pastoral"), name="Dee Dsl"))
    home = client.get("/").get_data(as_text=True)
    tiles = re.findall(r'<span class="tile-title">([^<]+)</span>', home)
    assert tiles[0] == "Safeguarding concerns", tiles


def test_dsl_sees_new_first_and_marks_seen(client, auth, school):
    dsl = make_staff(school, ("dsl",), name="Dee Dsl")
    raiser = make_staff(school, ("teacher",), name="Tara Teacher")
    concern = raise_concern(school.id, NOTE, "conversation", pupil=make_pupil(school), raised_by_staff=raiser)
    db.session.add(concern)
    db.session.commit()
    auth.login(staff=dsl)
    home = client.get("/").get_data(as_text=True)
    assert home.index("Safeguarding concerns") < home.index("Pupils")
    queue = client.get("/safeguarding/concerns").get_data(as_text=True)
    assert "1 new concern." in queue and "New" in queue and "Tara Teacher" in queue
    assert "from a restorative conversation" in queue
    detail = client.get(f"/safeguarding/concerns/{concern.id}").get_data(as_text=True)
    assert NOTE in detail and "Mark seen" in detail and "<dt>Raised from</dt><dd>A restorative conversation</dd>" in detail
    assert "Whoever raised it then sees that you have seen it, and when - never what is recorded here." in detail
    assert client.post(f"/safeguarding/concerns/{concern.id}/seen").status_code == 302
    seen = db.session.get(Concern, concern.id)
    assert (seen.status, seen.seen_by_id) == ("seen", dsl.id)
    assert "No new concerns." in client.get("/safeguarding/concerns").get_data(as_text=True)


def test_another_schools_concern_is_not_found_for_the_dsl(client, auth, school):
    other = make_school("Hill High")
    concern = raise_concern(other.id, NOTE, "pupil", raised_by_staff=make_staff(other, ("teacher",)))
    db.session.add(concern)
    db.session.commit()
    auth.login(roles=("dsl",))
    assert client.get(f"/safeguarding/concerns/{concern.id}").status_code == 404
    assert client.post(f"/safeguarding/concerns/{concern.id}/seen").status_code == 404
    assert "No concerns have been raised." in client.get("/safeguarding/concerns").get_data(as_text=True)


def test_a_concern_raised_from_a_chat_is_never_in_the_chat_record(client, auth, school):
    assistant = make_staff(school, ("support",))
    teacher = make_staff(school, ("teacher",))
    amira = make_pupil(school)
    make_group(school, pupils=[amira], staff=[teacher])
    chat = record_quick_chat(school.id, assistant, [amira], "Upset", "Playground")
    db.session.commit()
    auth.login(staff=assistant)
    client.post(f"/concerns/new?pupil_id={amira.id}", data={"pupil_id": amira.id, "note": NOTE, "context": "chat",
                                                            "context_id": str(chat.id)})
    assert NOTE not in client.get(f"/chats/{chat.id}").get_data(as_text=True)
    auth.logout()
    auth.login(staff=teacher)
    for url in (f"/chats/{chat.id}", f"/pupils/{amira.id}", "/lunchtime"):
        page = client.get(url).get_data(as_text=True)
        assert NOTE not in page and "Safeguarding concern" not in page and "new concern" not in page


def test_concern_with_csrf_on_is_refused_without_the_token(app, client, auth, school):
    auth.login(roles=("teacher",))
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/concerns/new", data={"note": NOTE}).status_code == 400
    assert db.session.query(Concern).count() == 0


@pytest.mark.parametrize("roles, shown", [(("dsl",), True), (("admin",), False), (("teacher",), False),
                                          (("support",), False), (("pastoral",), False)])
def test_new_concern_indication_is_for_the_dsl_only(app, school, roles, shown):
    db.session.add(raise_concern(school.id, NOTE, "chat", raised_by_staff=make_staff(school, ("support",))))
    viewer = make_staff(school, roles)
    db.session.commit()
    with app.test_request_context():
        login_user(viewer)
        html = render_template_string('<ul class="nav">{% include "safeguarding/_indicator.html" %}</ul>')
    assert ("1 new concern" in html) is shown
    assert ("<li>" in html) is shown


def test_who_opened_a_concern_is_kept_and_shown_to_the_dsl(client, auth, school):
    """An admin who gives themselves the dsl role, reads a disclosure and takes the role off again
    leaves a trace: the role change on their staff page, the opening on the concern."""
    admin = make_staff(school, ("admin",), name="Ada Admin")
    dsl = make_staff(school, ("dsl",), name="Dee Dsl")
    concern = raise_concern(school.id, NOTE, "chat", pupil=make_pupil(school), raised_by_staff=dsl)
    db.session.add(concern)
    db.session.commit()
    auth.login(staff=admin)
    form = {"name": admin.name, "email": admin.email}
    client.post(f"/admin/staff/{admin.id}", data={**form, "roles": ["admin", "dsl"]})
    assert client.get(f"/safeguarding/concerns/{concern.id}").status_code == 200
    client.post(f"/admin/staff/{admin.id}", data={**form, "roles": ["admin"], "removal_confirmed": "1"})
    staff_page = client.get(f"/admin/staff/{admin.id}").get_data(as_text=True)
    assert "Roles changed by Ada Admin (was Admin; now Admin, Designated Safeguarding Lead)" in staff_page
    assert "Roles changed by Ada Admin (was Admin, Designated Safeguarding Lead; now Admin)" in staff_page
    client.post("/admin/staff/new", data={"name": "Nia New", "email": "nia@example.org", "roles": ["dsl"],
                                          "password": "a long first password"})
    nia = db.session.scalar(select(Staff).where(Staff.email == "nia@example.org"))
    nia_page = client.get(f"/admin/staff/{nia.id}").get_data(as_text=True)
    assert "Added by Ada Admin (roles: Designated Safeguarding Lead)" in nia_page and "Roles changed" not in nia_page  # QA: not "none -> dsl"
    auth.logout()
    auth.login(staff=dsl)
    page = client.get(f"/safeguarding/concerns/{concern.id}").get_data(as_text=True)
    trail = page.split("Who has opened or changed this")[1]
    assert trail.index("Opened by Dee Dsl") < trail.index("Opened by Ada Admin")  # newest first
    assert NOTE not in trail


def concern_about(school, pupil=None):
    raiser = make_staff(school, ("teacher",), name="Tara Teacher")
    concern = raise_concern(school.id, NOTE, "chat", pupil=pupil or make_pupil(school), raised_by_staff=raiser)
    db.session.add(concern)
    db.session.commit()
    return concern


def test_the_dsl_records_what_was_done_then_closes_the_concern(client, auth, school):
    dsl = make_staff(school, ("dsl",), name="Dee Dsl")
    amira = make_pupil(school, "Amira", "Khan")
    concern, later = concern_about(school, amira), concern_about(school)
    auth.login(staff=dsl)
    page = client.get(f"/safeguarding/concerns/{concern.id}").get_data(as_text=True)
    assert "What was done" in page and "Nothing recorded yet." in page
    done = client.post(f"/safeguarding/concerns/{concern.id}/actions", data={"note": "Spoke to Amira; called home."})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Recorded on the concern." in page and "Spoke to Amira; called home." in page and "Dee Dsl" in page
    assert db.session.get(Concern, concern.id).status == "seen"  # acting on it marks it seen
    closed = client.post(f"/safeguarding/concerns/{concern.id}/actions",
                         data={"note": "Referred to children's social care; they lead now.", "close": "y"})
    assert closed.status_code == 302
    page = client.get(closed.headers["Location"]).get_data(as_text=True)
    assert "Concern closed." in page and "closed the concern" in page and "This closes the concern" not in page
    trail = page.split("Who has opened or changed this")[1]
    assert "Recorded what was done" in trail and "Closed" in trail  # in the audit trail too
    queue = client.get("/safeguarding/concerns").get_data(as_text=True)
    assert queue.index(f"/safeguarding/concerns/{later.id}") < queue.index(f"/safeguarding/concerns/{concern.id}")
    assert "Closed" in queue
    # a later note is still taken; the concern stays closed
    assert client.post(f"/safeguarding/concerns/{concern.id}/actions", data={"note": "Letter filed."}).status_code == 302
    assert db.session.get(Concern, concern.id).status == "closed"


def test_the_status_names_the_dsl_who_closed_it_not_the_one_who_saw_it(client, auth, school):
    """A school with two DSLs: one marks a concern seen, the other closes it. The concern says who
    closed it (and, after a reopening, who closed it last), never the first DSL's name against it."""
    first, second = make_staff(school, ("dsl",), name="Dee First"), make_staff(school, ("dsl",), name="Sam Second")
    concern = concern_about(school)
    auth.login(staff=first)
    client.post(f"/safeguarding/concerns/{concern.id}/seen")
    status = re.compile(r"<dt>Status</dt><dd>(.*?)</dd>", re.S)

    def shown() -> str:
        page = client.get(f"/safeguarding/concerns/{concern.id}").get_data(as_text=True)
        return re.sub(r"<[^>]+>", "", status.search(page).group(1))

    assert shown().startswith("Seen by Dee First, ")
    auth.logout()
    auth.login(staff=second)
    client.post(f"/safeguarding/concerns/{concern.id}/actions", data={"note": "Referred on.", "close": "y"})
    assert shown().startswith("Closed by Sam Second, ") and "Dee First" not in shown()
    auth.logout()
    auth.login(staff=first)
    client.post(f"/safeguarding/concerns/{concern.id}/reopen", data={"asked": "yes"})
    assert shown().startswith("Seen by Dee First")
    client.post(f"/safeguarding/concerns/{concern.id}/actions", data={"note": "Closed again.", "close": "y"})
    assert shown().startswith("Closed by Dee First, ")


def test_an_empty_action_is_refused_beside_the_field_and_nothing_is_saved(client, auth, school):
    concern = concern_about(school)
    auth.login(roles=("dsl",))
    refused = client.post(f"/safeguarding/concerns/{concern.id}/actions", data={"note": "  ", "close": "y"})
    assert refused.status_code == 400 and "Write why the concern is being closed" in refused.get_data(as_text=True)
    assert db.session.get(Concern, concern.id).status == "new" and not db.session.get(Concern, concern.id).actions


@pytest.mark.parametrize("roles", [("admin",), ("pastoral",), ("teacher",), ("support",)])
def test_only_the_dsl_records_actions(client, auth, school, roles):
    concern = concern_about(school)
    auth.login(roles=roles)
    assert client.post(f"/safeguarding/concerns/{concern.id}/actions", data={"note": "x"}).status_code == 403
    assert not db.session.get(Concern, concern.id).actions


def test_actions_on_another_schools_concern_or_without_csrf_are_refused(app, client, auth, school):
    theirs = concern_about(make_school("Hill High"))
    auth.login(roles=("dsl",))
    assert client.post(f"/safeguarding/concerns/{theirs.id}/actions", data={"note": "x"}).status_code == 404
    mine = concern_about(school)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/safeguarding/concerns/{mine.id}/actions", data={"note": "x"}).status_code == 400
    assert not db.session.get(Concern, mine.id).actions


def test_the_dsl_reopens_a_closed_concern_and_its_history_shows_it(client, auth, school):
    dsl = make_staff(school, ("dsl",), name="Dee Dsl")
    concern = concern_about(school)
    auth.login(staff=dsl)
    client.post(f"/safeguarding/concerns/{concern.id}/actions", data={"note": "Monitored; no further worry.", "close": "y"})
    page = client.get(f"/safeguarding/concerns/{concern.id}").get_data(as_text=True)
    assert "Reopen this concern?" in page and ">Reopen</button>" in page
    reopened = client.post(f"/safeguarding/concerns/{concern.id}/reopen", data={"asked": "yes"})  # said yes
    assert reopened.status_code == 302
    page = client.get(reopened.headers["Location"]).get_data(as_text=True)
    assert "Concern reopened." in page and db.session.get(Concern, concern.id).status == "seen"
    assert ">Reopen</button>" not in page and "This closes the concern" in page  # it can be closed again
    history = page.split('id="actions-heading"')[1].split("Who has opened or changed this")[0]
    assert history.index("closed the concern") < history.index("Reopened the concern") and "Dee Dsl" in history
    assert "Reopened by Dee Dsl" in page.split("Who has opened or changed this")[1]  # audited
    client.post(f"/safeguarding/concerns/{concern.id}/actions", data={"note": "Amira told her teacher more today."})
    client.post(f"/safeguarding/concerns/{concern.id}/actions", data={"note": "Referred to social care.", "close": "y"})
    page = client.get(f"/safeguarding/concerns/{concern.id}").get_data(as_text=True)
    history = page.split('id="actions-heading"')[1].split("Who has opened or changed this")[0]
    assert (history.index("Monitored") < history.index("Reopened the concern") < history.index("Amira told her teacher")
            < history.index("Referred to social care."))
    assert db.session.get(Concern, concern.id).status == "closed"
    queue = client.get("/safeguarding/concerns").get_data(as_text=True)
    assert "Closed" in queue


def test_an_open_concern_cannot_be_reopened(client, auth, school):
    concern = concern_about(school)
    auth.login(roles=("dsl",))
    page = client.get(f"/safeguarding/concerns/{concern.id}").get_data(as_text=True)
    assert ">Reopen</button>" not in page
    refused = client.post(f"/safeguarding/concerns/{concern.id}/reopen", follow_redirects=True)
    assert "This concern is not closed." in refused.get_data(as_text=True)
    assert db.session.get(Concern, concern.id).status == "new"
    assert "Reopened" not in refused.get_data(as_text=True)


@pytest.mark.parametrize("roles", [("admin",), ("pastoral",), ("teacher",), ("support",)])
def test_only_the_dsl_reopens_a_concern(client, auth, school, roles):
    concern = concern_about(school)
    concern.status = "closed"
    db.session.commit()
    auth.login(roles=roles)
    assert client.post(f"/safeguarding/concerns/{concern.id}/reopen").status_code == 403
    assert db.session.get(Concern, concern.id).status == "closed"


def test_reopening_another_schools_concern_or_without_csrf_is_refused(app, client, auth, school):
    theirs = concern_about(make_school("Hill High"))
    theirs.status = "closed"
    mine = concern_about(school)
    mine.status = "closed"
    db.session.commit()
    auth.login(roles=("dsl",))
    assert client.post(f"/safeguarding/concerns/{theirs.id}/reopen").status_code == 404
    app.config["WTF_CSRF_ENABLED"] = True
    client.post(f"/safeguarding/concerns/{mine.id}/reopen", data={"asked": "yes"})
    assert db.session.get(Concern, mine.id).status == "closed" and db.session.get(Concern, theirs.id).status == "closed"


@pytest.mark.parametrize("dsl_roles, active", [(None, True), (("dsl",), False), (("pastoral", "admin"), True)])
def test_with_no_dsl_to_read_it_the_raiser_is_told_to_tell_the_dsl_in_person(client, auth, school, dsl_roles, active):
    if dsl_roles:
        make_staff(school, dsl_roles, name="Dee Dsl").active = active
    make_staff(make_school("Hill High"), ("dsl",))  # another school's DSL reads none of ours
    auth.login(roles=("support",))
    amira = make_pupil(school)
    db.session.commit()
    response = client.post(f"/concerns/new?pupil_id={amira.id}", data={
        "pupil_id": amira.id, "note": NOTE, "context": "chat", "next": "/chats/new"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "nobody has been told" in page and "tell your Designated Safeguarding Lead in person now" in page
    assert "has gone to the Designated Safeguarding Lead" not in page
    assert db.session.query(Concern).one().note == NOTE  # kept for when a DSL is named


def test_with_several_pupils_nobody_is_chosen_until_the_person_chooses(client, auth, school):
    make_staff(school, ("dsl",))
    auth.login(roles=("support",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()
    url = f"/concerns/new?pupil_id={amira.id}&pupil_id={ben.id}"
    page = client.get(url + "&context=chat").get_data(as_text=True)
    assert re.search(r'<option selected value="-1">Choose who it is about</option>', page)
    assert not re.search(rf'<option selected value="{amira.id}">', page)
    refused = client.post(url, data={"pupil_id": "-1", "note": NOTE, "context": "chat"})
    assert refused.status_code == 400 and "Choose who the concern is about" in refused.get_data(as_text=True)
    assert NOTE in refused.get_data(as_text=True) and db.session.query(Concern).count() == 0
    assert client.post(url, data={"pupil_id": ben.id, "note": NOTE, "context": "chat"}).status_code == 302
    assert db.session.query(Concern).one().pupil_id == ben.id
    one = client.get(f"/concerns/new?pupil_id={amira.id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{amira.id}">Amira Khan</option>', one) and "Choose who it is about" not in one


def test_every_closed_concern_stays_within_the_dsls_reach(client, auth, school):
    raiser = make_staff(school, ("teacher",))
    amira = make_pupil(school)
    oldest = None
    for n in range(205):
        concern = raise_concern(school.id, f"Note {n}", "chat", pupil=amira, raised_by_staff=raiser)
        concern.status = "closed"
        db.session.add(concern)
        oldest = oldest or concern
    still_open = raise_concern(school.id, NOTE, "chat", pupil=amira, raised_by_staff=raiser)
    db.session.add(still_open)
    db.session.commit()
    auth.login(roles=("dsl",))
    first = client.get("/safeguarding/concerns").get_data(as_text=True)
    assert f'href="/safeguarding/concerns/{still_open.id}"' in first
    assert first.count('class="badge">Closed<') == 50 and "Newer closed concerns" not in first
    page, pages = first, 1
    while f'href="/safeguarding/concerns/{oldest.id}"' not in page:
        assert "Older closed concerns" in page and pages < 6
        pages += 1
        page = client.get(f"/safeguarding/concerns?closed_page={pages}").get_data(as_text=True)
    assert pages == 5 and "Older closed concerns" not in page and "Newer closed concerns" in page
    assert page.count('class="badge">Closed<') == 5 and f'href="/safeguarding/concerns/{still_open.id}"' in page


def raised_page(client) -> str:
    response = client.get("/concerns/raised")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def tiles_on_home(client) -> list[str]:
    return re.findall(r'<span class="tile-title">([^<]+)</span>', client.get("/").get_data(as_text=True))


@pytest.mark.parametrize("roles", ROLES)
def test_whoever_raised_a_concern_sees_it_from_home_and_not_before(client, auth, school, roles):
    make_staff(school, ("dsl",), name="Dee Dsl")
    auth.login(roles=roles)
    amira = make_pupil(school)
    db.session.commit()
    assert "Concerns you raised" not in tiles_on_home(client)
    assert "You haven't raised any concerns." in raised_page(client)  # an empty list, not an error
    sent = client.post(f"/concerns/new?pupil_id={amira.id}", data={"pupil_id": amira.id, "note": NOTE},
                       follow_redirects=True).get_data(as_text=True)
    assert "Concerns you raised, on your home screen, shows when they have seen it." in sent
    assert "Concerns you raised" in tiles_on_home(client)
    page = raised_page(client)
    assert "Amira Khan" in page and "Not yet seen by the DSL." in page
    assert "If it is urgent, or still not seen later today, tell the DSL in person." in page
    assert NOTE not in page


def test_the_raiser_sees_seen_by_whom_and_when_on_the_schools_clock_then_closed_and_nothing_else(client, auth, school):
    dsl = make_staff(school, ("dsl",), name="Dee Dsl")
    raiser = make_staff(school, ("support",), name="Mo Midday")
    concern = raise_concern(school.id, NOTE, "chat", pupil=make_pupil(school), raised_by_staff=raiser)
    concern.created_at = datetime(2026, 7, 1, 8, 40, tzinfo=timezone.utc)
    db.session.add(concern)
    db.session.commit()
    auth.login(staff=dsl)
    client.post(f"/safeguarding/concerns/{concern.id}/seen")
    db.session.get(Concern, concern.id).seen_at = datetime(2026, 7, 1, 9, 5, tzinfo=timezone.utc)
    db.session.commit()
    auth.logout()
    auth.login(staff=raiser)
    page = raised_page(client)
    assert "Raised <time datetime=\"2026-07-01T08:40:00" in page and "1 Jul 2026, 09:40" in page
    assert re.search(r"Seen by Dee Dsl at <time [^>]+>10:05 on 1 Jul 2026</time>", page)  # BST, not UTC
    assert "Not yet seen" not in page
    auth.logout()
    auth.login(staff=dsl)
    client.post(f"/safeguarding/concerns/{concern.id}/actions",
                data={"note": "Referred to children's social care.", "close": "y"})
    auth.logout()
    auth.login(staff=raiser)
    page = raised_page(client)
    assert "Closed by the DSL" in page and "Seen by" not in page
    assert NOTE not in page and "social care" not in page and "Referred" not in page


def test_another_staff_members_and_another_schools_concerns_are_never_shown(client, auth, school):
    make_staff(school, ("dsl",))
    raiser = make_staff(school, ("teacher",), name="Tara Teacher")
    colleague = make_staff(school, ("teacher",), name="Colin Colleague")
    other = make_school("Hill High")
    db.session.add_all([
        raise_concern(school.id, NOTE, "chat", pupil=make_pupil(school, "Ben", "Jones"), raised_by_staff=colleague),
        raise_concern(other.id, NOTE, "chat", pupil=make_pupil(other, "Zed", "Other"),
                      raised_by_staff=make_staff(other, ("teacher",))),
        raise_concern(school.id, "A worry a mediator had", "mediation", raised_by_pupil=make_pupil(school, "Ava", "Brown")),
    ])
    db.session.commit()
    # even a row of another school naming this person as its raiser (it cannot happen through the app)
    db.session.add(raise_concern(other.id, NOTE, "chat", pupil=make_pupil(other, "Yan", "Else"), raised_by_staff=raiser))
    db.session.commit()
    auth.login(staff=raiser)
    page = raised_page(client)
    assert "You haven't raised any concerns." in page
    for name in ("Ben Jones", "Zed Other", "Ava Brown", "Yan Else"):
        assert name not in page
    assert "Concerns you raised" not in tiles_on_home(client)
    auth.logout()
    auth.login(staff=colleague)
    page = raised_page(client)
    assert "Ben Jones" in page and page.count('class="row raised-concern"') == 1


def test_what_the_raiser_named_is_escaped(client, auth, school):
    make_staff(school, ("dsl",))
    auth.login(roles=("support",))
    client.post("/concerns/new", data={"note": NOTE, "subject_name": '<img src=x onerror="alert(1)">'})
    page = raised_page(client)
    assert "<img src=x" not in page and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


@pytest.mark.parametrize("dsl_roles, active", [(None, True), (("dsl",), False)])
def test_with_no_dsl_the_raiser_is_told_nobody_has_been_told(client, auth, school, dsl_roles, active):
    if dsl_roles:
        make_staff(school, dsl_roles, name="Dee Dsl").active = active
    make_staff(make_school("Hill High"), ("dsl",))
    auth.login(roles=("support",))
    client.post("/concerns/new", data={"note": NOTE, "subject_name": "A child from the park"})
    page = raised_page(client)
    assert "Nobody has been told" in page and "Tell a senior member of staff in person now." in page
    assert "Not yet seen by the DSL" not in page


def test_reading_your_own_list_marks_nothing_seen_and_is_not_audited(client, auth, school):
    make_staff(school, ("dsl",))
    raiser = auth.login(roles=("teacher",))
    concern = raise_concern(school.id, NOTE, "chat", pupil=make_pupil(school), raised_by_staff=raiser)
    db.session.add(concern)
    db.session.commit()
    raised_page(client)
    db.session.expire_all()
    found = db.session.get(Concern, concern.id)
    assert (found.status, found.seen_by_id, found.seen_at) == ("new", None, None)
    assert db.session.query(AuditEvent).count() == 0


def test_the_raisers_list_is_kept_out_of_every_cache_like_the_dsls_queue(client, auth, school):
    auth.login(roles=("dsl",))
    mine, queue = client.get("/concerns/raised"), client.get("/safeguarding/concerns")
    assert mine.headers["Cache-Control"] == queue.headers["Cache-Control"] == "no-store"
    assert mine.headers["Vary"] == queue.headers["Vary"]
    shell = client.get("/sw.js").get_data(as_text=True).split("const SHELL = ")[1].split(";")[0]
    assert "/concerns" not in shell


def test_the_raisers_list_comes_a_page_at_a_time(client, auth, school):
    raiser = auth.login(roles=("support",))
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    for n in range(51):
        concern = raise_concern(school.id, NOTE, "chat", subject_name=f"Child {n}", raised_by_staff=raiser)
        concern.created_at = start + timedelta(minutes=n)
        db.session.add(concern)
    db.session.commit()
    first = raised_page(client)
    assert first.count('class="row raised-concern"') == 50 and "Child 50" in first and "Child 0<" not in first
    assert "Older concerns" in first and "Newer concerns" not in first
    second = client.get("/concerns/raised?page=2").get_data(as_text=True)
    assert second.count('class="row raised-concern"') == 1 and "Child 0<" in second
    assert "Newer concerns" in second and "Older concerns" not in second


# The concern panel: the form opened in place on the page of the record being written (htmx)

PANEL = {"HX-Request": "true"}


def panel_form(client, url: str) -> str:
    response = client.get(url, headers=PANEL)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    return response.get_data(as_text=True)


@pytest.mark.parametrize("roles", ROLES)
def test_the_panel_raises_the_concern_in_place_and_flashes_nothing_for_the_record(client, auth, school, roles):
    """The form comes alone, its fields named apart from the record's own (a chat's note is "note"); sent, the
    answer says so in the panel - no redirect away from the record, no flash waiting on its next page."""
    make_staff(school, ("dsl",), name="Dee Dsl")
    staff = auth.login(roles=roles)
    amira = make_pupil(school)
    db.session.commit()
    url = f"/concerns/new?pupil_id={amira.id}&context=chat&next=/chats/new"
    form = panel_form(client, url)
    assert "<html" not in form and "<h1" not in form and f'hx-post="/concerns/new?pupil_id={amira.id}"' in form
    assert 'hx-target="#concern-panel"' in form and 'name="concern-note"' in form and 'id="note"' not in form
    assert re.search(rf'<option selected value="{amira.id}">Amira Khan</option>', form)
    response = client.post(f"/concerns/new?pupil_id={amira.id}", headers=PANEL, data={
        "concern-pupil_id": amira.id, "concern-note": NOTE, "concern-context": "chat", "concern-next": "/chats/new"})
    sent = response.get_data(as_text=True)
    assert response.status_code == 200 and "Location" not in response.headers
    assert 'role="status"' in sent and "Sent to the DSL." in sent and "gone to the Designated Safeguarding Lead" in sent
    assert NOTE not in sent
    concern = db.session.query(Concern).one()
    assert (concern.pupil_id, concern.note, concern.raised_by_staff_id, concern.context_kind, concern.status) == (
        amira.id, NOTE, staff.id, "chat", "new")
    assert "gone to the Designated Safeguarding Lead" not in client.get("/chats/new").get_data(as_text=True)


def test_a_refused_concern_comes_back_in_the_panel_with_what_was_written(client, auth, school):
    auth.login(roles=("support",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()
    url = f"/concerns/new?pupil_id={amira.id}&pupil_id={ben.id}"
    assert re.search(r'<option selected value="-1">Choose who it is about</option>', panel_form(client, url))
    refused = client.post(url, headers=PANEL, data={"concern-pupil_id": "-1", "concern-note": NOTE})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "<html" not in page and "Choose who the concern is about" in page
    assert NOTE in page and 'aria-invalid="true"' in page and db.session.query(Concern).count() == 0
    empty = client.post(url, headers=PANEL, data={"concern-pupil_id": ben.id, "concern-note": " "})
    assert empty.status_code == 400 and "Write what you saw or heard" in empty.get_data(as_text=True)
    assert client.post(url, headers=PANEL, data={"concern-pupil_id": ben.id, "concern-note": NOTE}).status_code == 200
    assert db.session.query(Concern).one().pupil_id == ben.id


def test_the_panel_names_no_pupil_of_another_school(client, auth, school):
    auth.login(roles=("teacher",))
    stranger = make_pupil(make_school("Hill High"), "Zed", "Other")
    db.session.commit()
    assert "Zed Other" not in panel_form(client, f"/concerns/new?pupil_id={stranger.id}")
    refused = client.post(f"/concerns/new?pupil_id={stranger.id}", headers=PANEL,
                          data={"concern-pupil_id": stranger.id, "concern-note": NOTE})
    assert refused.status_code == 400 and db.session.query(Concern).count() == 0


def test_find_offers_a_pupil_who_joined_the_school_after_the_panel_opened(client, auth, school):
    """The panel was opened on Amira's chat; Zara joins the school (a roster import) meanwhile. Find, with the
    first letters of her name, shows the form again as written with Zara chosen, and sends nothing; sent, the
    concern is about her and goes to the DSL's queue only."""
    make_staff(school, ("dsl",), name="Dee Dsl")
    auth.login(roles=("support",))
    amira = make_pupil(school)
    db.session.commit()
    url = f"/concerns/new?pupil_id={amira.id}&context=chat"
    assert "Zara" not in panel_form(client, url)
    zara = make_pupil(school, "Zara", "Begum")
    db.session.commit()
    found = client.post(url, headers=PANEL, data={"concern-pupil_id": amira.id, "concern-find": "zar",
                                                  "concern-find_pupil": "1", "concern-note": NOTE})
    form = found.get_data(as_text=True)
    assert found.status_code == 200 and db.session.query(Concern).count() == 0
    assert re.search(rf'<option selected value="{zara.id}">Zara Begum</option>', form)
    assert re.search(rf'<option value="{amira.id}">Amira Khan</option>', form) and NOTE in form
    assert re.search(r'<select[^>]*data-concern-focus', form)
    sent = client.post(url, headers=PANEL, data={"concern-pupil_id": zara.id, "concern-find": "zar",
                                                 "concern-note": NOTE, "concern-context": "chat"})
    assert sent.status_code == 200 and "Sent to the DSL." in sent.get_data(as_text=True)
    concern = db.session.query(Concern).one()
    assert (concern.pupil_id, concern.note, concern.context_kind) == (zara.id, NOTE, "chat")


def test_the_panel_follows_the_records_pupils_without_sending_and_keeps_only_a_choice_made(client, auth, school):
    """Ben is added to Amira's chat with the panel open: asked again for both (follow), the form is shown as
    written with both to choose from and sends nothing. Its first guess (Amira, the only pupil when it opened) is
    not sent back, so nobody is chosen for the person; a choice sent back stays chosen, and stays offered once
    its pupil is taken off the chat. A leaver or a pupil of another school is never offered by it."""
    make_staff(school, ("dsl",), name="Dee Dsl")
    auth.login(roles=("support",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    leaver = make_pupil(school, "Zoe", "Left", archived=True)
    db.session.commit()
    both = f"/concerns/new?pupil_id={amira.id}&pupil_id={ben.id}"
    followed = client.post(both, headers=PANEL, data={"concern-follow": "1", "concern-note": NOTE})
    form = followed.get_data(as_text=True)
    assert followed.status_code == 200 and db.session.query(Concern).count() == 0 and NOTE in form
    assert re.search(r'<option selected value="-1">Choose who it is about</option>', form)
    assert f'<option value="{ben.id}">Ben Jones</option>' in form and "data-who-chosen" not in form
    assert f'action="{both.replace("&", "&amp;")}"' in form

    only_ben = f"/concerns/new?pupil_id={ben.id}"
    chosen = client.post(only_ben, headers=PANEL, data={"concern-follow": "1", "concern-note": NOTE,
                                                        "concern-pupil_id": amira.id,
                                                        "concern-who_chosen": "1"}).get_data(as_text=True)
    assert re.search(rf'<select[^>]*data-who-chosen[^>]*>\s*<option value="{ben.id}">Ben Jones</option>\s*'
                     rf'<option selected value="{amira.id}">Amira Khan</option>', chosen)
    refused = client.post(only_ben, headers=PANEL, data={"concern-follow": "1", "concern-note": NOTE,
                                                         "concern-pupil_id": leaver.id}).get_data(as_text=True)
    assert "Zoe Left" not in refused
    assert db.session.query(Concern).count() == 0



def test_a_send_refused_before_anyone_was_chosen_does_not_make_the_first_guess_a_choice(client, auth, school):
    """The panel opens on Amira's chat (so about Amira, its first guess); Send is tapped with no note and refused.
    Amira is then taken off the chat and Ben picked: the panel follows, and the concern is about Ben - not Amira,
    whom nobody chose (found in review: the refused Send's answer marked the guess as chosen)."""
    auth.login(roles=("support",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()
    refused = client.post(f"/concerns/new?pupil_id={amira.id}", headers=PANEL,
                          data={"concern-pupil_id": amira.id, "concern-note": ""})
    assert refused.status_code == 400 and "data-who-chosen" not in refused.get_data(as_text=True)
    # the panel's script sends the choice only when it is marked chosen: here it is not
    followed = client.post(f"/concerns/new?pupil_id={ben.id}", headers=PANEL,
                           data={"concern-follow": "1", "concern-note": NOTE}).get_data(as_text=True)
    assert f'<option selected value="{ben.id}">Ben Jones</option>' in followed and "Amira" not in followed

def test_find_asks_which_of_several_and_says_when_nobody_is_found(client, auth, school):
    auth.login(roles=("teacher",))
    make_pupil(school, "Ben", "Jones"), make_pupil(school, "Bella", "Shah")
    db.session.commit()
    several = client.post("/concerns/new", data={"find": "be", "find_pupil": "1", "note": NOTE}).get_data(as_text=True)
    assert re.search(r'<option selected value="-1">Choose who it is about</option>', several)
    assert "Ben Jones" in several and "Bella Shah" in several and NOTE in several
    nobody = client.post("/concerns/new", data={"find": "qu", "find_pupil": "1", "note": NOTE})
    assert nobody.status_code == 200 and "name starts with “qu”" in nobody.get_data(as_text=True)
    assert db.session.query(Concern).count() == 0


def test_find_and_the_choice_reach_only_the_current_pupils_of_the_school(client, auth, school):
    """A pupil of another school, or one who has left, is never found, and cannot be chosen by id."""
    auth.login(roles=("support",))
    stranger = make_pupil(make_school("Hill High"), "Zed", "Other")
    leaver = make_pupil(school, "Zoe", "Left", archived=True)
    db.session.commit()
    found = client.post("/concerns/new", headers=PANEL, data={"concern-find": "z", "concern-find_pupil": "1",
                                                              "concern-note": NOTE}).get_data(as_text=True)
    assert "Zed Other" not in found and "Zoe Left" not in found and "No pupil" in found
    for pupil in (stranger, leaver):
        refused = client.post("/concerns/new", headers=PANEL, data={"concern-pupil_id": pupil.id, "concern-note": NOTE})
        assert refused.status_code == 400 and pupil.given_name not in refused.get_data(as_text=True)
    assert db.session.query(Concern).count() == 0


def test_with_no_dsl_the_panel_says_nobody_has_been_told(client, auth, school):
    auth.login(roles=("support",))
    db.session.commit()
    sent = client.post("/concerns/new", headers=PANEL, data={"concern-note": NOTE}).get_data(as_text=True)
    assert "nobody has been told" in sent and "tell your Designated Safeguarding Lead in person now" in sent
    assert "Sent to the DSL." not in sent and db.session.query(Concern).one().note == NOTE


def test_the_panel_sends_only_with_the_pages_csrf_token(app, client, auth, school):
    auth.login(roles=("support",))
    amira = make_pupil(school)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    home = client.get("/").get_data(as_text=True)
    header_token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', home).group(1)
    form = panel_form(client, f"/concerns/new?pupil_id={amira.id}")
    field_token = re.search(r'name="concern-csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    data = {"concern-pupil_id": amira.id, "concern-note": NOTE}
    refused = client.post(f"/concerns/new?pupil_id={amira.id}", headers=PANEL, data=data)
    assert refused.status_code == 400 and 'class="error-panel"' in refused.get_data(as_text=True)
    assert db.session.query(Concern).count() == 0
    sent = client.post(f"/concerns/new?pupil_id={amira.id}", headers={**PANEL, "X-CSRFToken": header_token},
                       data={**data, "concern-csrf_token": field_token})
    assert sent.status_code == 200 and db.session.query(Concern).one().note == NOTE


def test_the_record_pages_open_the_panel_and_keep_the_plain_link(client, auth, school):
    """Raise a concern on Log a chat: htmx fetches the form into the panel below it; the same address opens
    the concern page without scripts. Only ids are in it."""
    auth.login(roles=("support",))
    amira = make_pupil(school)
    db.session.commit()
    page = client.get(f"/chats/new?pupil_id={amira.id}").get_data(as_text=True)
    link = re.search(r'<a class="button danger" hx-get="([^"]+)" hx-target="#concern-panel"[^>]*href="([^"]+)">', page)
    assert link and link.group(1) == link.group(2) and f"pupil_id={amira.id}" in link.group(1)
    assert 'id="concern-panel"' in page and "note" not in link.group(1)
    assert "<h1>Raise a concern</h1>" in client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)


# One concern for one form, however often it is sent

def form_id(html: str, panel: bool) -> str:
    """The id the concern form was drawn with (its hidden client_uuid)."""
    name = "concern-client_uuid" if panel else "client_uuid"
    found = re.search(rf'<input id="{name}" name="{name}" type="hidden" value="([0-9a-f-]{{36}})">', html)
    assert found, html
    return found.group(1)


@pytest.mark.parametrize("panel", [True, False], ids=["panel", "page"])
def test_a_concern_sent_again_with_its_form_id_is_one_concern_and_answered_as_sent(client, auth, school, panel):
    """The first answer lost on slow Wi-Fi (the server had stored it), Send to the DSL is tapped again: the
    answer is the same as the first send's, and the DSL's queue has the concern once."""
    make_staff(school, ("dsl",), name="Dee Dsl")
    auth.login(roles=("support",))
    amira = make_pupil(school)
    db.session.commit()
    url = f"/concerns/new?pupil_id={amira.id}&context=chat&next=/chats/new"
    prefix, headers = ("concern-", PANEL) if panel else ("", {})
    uuid = form_id(client.get(url, headers=headers).get_data(as_text=True), panel)
    data = {f"{prefix}pupil_id": amira.id, f"{prefix}note": NOTE, f"{prefix}context": "chat",
            f"{prefix}next": "/chats/new", f"{prefix}client_uuid": uuid}
    answers = [client.post(f"/concerns/new?pupil_id={amira.id}", headers=headers, data=data) for _ in range(2)]
    if panel:
        assert [a.status_code for a in answers] == [200, 200]
        assert answers[1].get_data(as_text=True) == answers[0].get_data(as_text=True)
        assert "Sent to the DSL." in answers[1].get_data(as_text=True)
    else:
        assert [(a.status_code, a.headers["Location"]) for a in answers] == [(302, "/chats/new")] * 2
        flashed = client.get("/chats/new").get_data(as_text=True)
        assert flashed.count("Your concern has gone to the Designated Safeguarding Lead.") == 2
    concern = db.session.scalars(select(Concern)).one()
    assert (concern.note, concern.pupil_id, concern.client_uuid) == (NOTE, amira.id, uuid)
    dsl = make_staff(school, ("dsl",), name="Dee Two")
    db.session.commit()
    auth.logout()
    auth.login(dsl)
    assert client.get("/safeguarding/concerns").get_data(as_text=True).count("Amira Khan") == 1


def test_each_form_drawn_has_its_own_id_and_two_forms_are_two_concerns(client, auth, school):
    auth.login(roles=("teacher",))
    ids = {form_id(client.get("/concerns/new").get_data(as_text=True), False),
           form_id(panel_form(client, "/concerns/new"), True)}
    assert len(ids) == 2
    for uuid in ids:
        assert client.post("/concerns/new", data={"note": NOTE, "client_uuid": uuid}).status_code == 302
    assert {c.client_uuid for c in db.session.scalars(select(Concern))} == ids


@pytest.mark.parametrize("panel", [True, False], ids=["panel", "page"])
def test_a_refused_form_keeps_its_id_so_the_corrected_send_is_still_one_concern(client, auth, school, panel):
    auth.login(roles=("support",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()
    url = f"/concerns/new?pupil_id={amira.id}&pupil_id={ben.id}"
    prefix, headers = ("concern-", PANEL) if panel else ("", {})
    uuid = form_id(client.get(url, headers=headers).get_data(as_text=True), panel)
    refused = client.post(url, headers=headers, data={f"{prefix}pupil_id": "-1", f"{prefix}note": NOTE,
                                                      f"{prefix}client_uuid": uuid})
    assert refused.status_code == 400 and "Choose who the concern is about" in refused.get_data(as_text=True)
    assert form_id(refused.get_data(as_text=True), panel) == uuid
    corrected = {f"{prefix}pupil_id": ben.id, f"{prefix}note": NOTE, f"{prefix}client_uuid": uuid}
    sent = [client.post(url, headers=headers, data=corrected).status_code for _ in range(2)]
    assert sent == ([200, 200] if panel else [302, 302])
    assert [(c.pupil_id, c.client_uuid) for c in db.session.scalars(select(Concern))] == [(ben.id, uuid)]


def test_the_same_form_brought_back_and_changed_is_a_second_concern(client, auth, school):
    """The browser's Back button can bring a sent form back, id and all; what is written in it then is
    another concern, and is never dropped as a resend of the first - and, sent twice itself (no answer
    on slow Wi-Fi), it is still one second concern."""
    auth.login(roles=("teacher",))
    uuid = form_id(client.get("/concerns/new").get_data(as_text=True), False)
    client.post("/concerns/new", data={"note": NOTE, "client_uuid": uuid})
    client.post("/concerns/new", data={"note": "Came in with a bruise on her arm", "client_uuid": uuid})
    client.post("/concerns/new", data={"note": "Came in with a bruise on her arm", "client_uuid": uuid})
    concerns = sorted((c.note, c.client_uuid) for c in db.session.scalars(select(Concern)))
    assert [note for note, _ in concerns] == ["Came in with a bruise on her arm", NOTE]
    assert concerns[1][1] == uuid and concerns[0][1] not in (None, uuid)  # an id of its own


def test_another_persons_or_schools_form_id_files_a_concern_of_its_own_and_shows_nothing_of_theirs(
        client, auth, school):
    make_staff(school, ("dsl",), name="Dee Dsl")
    first = auth.login(roles=("teacher",))
    uuid = form_id(client.get("/concerns/new").get_data(as_text=True), False)
    client.post("/concerns/new", data={"note": NOTE, "subject_name": "Amira", "client_uuid": uuid})
    colleague = make_staff(school, ("support",), name="Mo Midday")
    hill = make_staff(make_school("Hill High"), ("teacher",), name="Hal Hill")
    db.session.commit()
    for other in (colleague, hill):
        auth.logout()
        auth.login(other)
        panel = client.post("/concerns/new", headers=PANEL, data={
            "concern-note": NOTE, "concern-subject_name": "Amira", "concern-client_uuid": uuid})
        assert panel.status_code == 200 and NOTE not in panel.get_data(as_text=True)
        assert "Amira" not in client.get("/concerns/raised").get_data(as_text=True).replace("Amira", "", 1)
    concerns = {c.raised_by_staff_id: c for c in db.session.scalars(select(Concern))}
    assert set(concerns) == {first.id, colleague.id, hill.id}
    assert concerns[first.id].client_uuid == uuid and concerns[colleague.id].client_uuid not in (None, uuid)
    assert (concerns[hill.id].school_id, concerns[hill.id].client_uuid) == (hill.school_id, uuid)


def test_an_id_that_is_not_a_form_id_is_not_kept(client, auth, school):
    auth.login(roles=("teacher",))
    assert client.post("/concerns/new", data={"note": NOTE, "client_uuid": "x" * 400}).status_code == 302
    assert db.session.scalars(select(Concern)).one().client_uuid is None


def test_two_sends_at_the_same_moment_store_one_concern(app, school):
    """A double tap: both sends find nothing filed from the form and both insert. The other send commits
    (on a connection of its own) between this one's look and its insert; the school's unique form id
    refuses this one, which is rolled back and answered with the other's concern - no IntegrityError."""
    staff = make_staff(school, ("teacher",))
    db.session.commit()
    uuid = "4f1c2a9e-8d7b-4c3a-9e6f-0a1b2c3d4e5f"

    def sent(note=NOTE):
        return raise_concern(school.id, note, "chat", raised_by_staff=staff, client_uuid=uuid)

    def lands_first(other_send):
        def store(_session, _flush, _objects):
            with Session(db.engine) as other:
                other.add(other_send)
                other.commit()
        event.listen(db.session(), "before_flush", store, once=True)

    lands_first(sent())
    mine = sent()
    stored = send_once(mine)
    assert stored is not mine and stored.client_uuid == uuid
    assert [(c.note, c.client_uuid) for c in db.session.scalars(select(Concern))] == [(NOTE, uuid)]
    assert send_once(sent()).id == stored.id

    other_uuid = "0b9e8f7a-6c5d-4e3f-8a1b-2c3d4e5f6a7b"
    # at the same moment, another concern under the form's id (not this send again): both are kept
    lands_first(raise_concern(school.id, "Said she has not eaten since Friday", "chat", raised_by_staff=staff,
                              client_uuid=other_uuid))
    mine = raise_concern(school.id, NOTE, "chat", raised_by_staff=staff, client_uuid=other_uuid)
    kept = send_once(mine)
    assert kept is mine and kept.client_uuid not in (None, uuid, other_uuid)  # an id of its own
    assert {(c.note, c.client_uuid) for c in db.session.scalars(select(Concern))} == {
        (NOTE, kept.client_uuid), (NOTE, uuid), ("Said she has not eaten since Friday", other_uuid)}


def test_a_send_refused_by_the_database_for_another_reason_is_not_swallowed_nor_tried_again(app, school):
    """Only a second send of the same form is answered with the first: any other refusal (here a concern
    with no note, which raise_concern never makes) is raised once, not retried for ever."""
    staff = make_staff(school, ("teacher",))
    db.session.commit()
    broken = raise_concern(school.id, NOTE, "chat", raised_by_staff=staff,
                           client_uuid="7d2e4c1a-3b5f-4a6e-8c9d-1e2f3a4b5c6d")
    broken.note = None
    with pytest.raises(IntegrityError):
        send_once(broken)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0


def openings(concern) -> list[str]:
    """The names against each "Opened" row of the concern's trail, as the DSL reads it."""
    db.session.expire_all()
    return [e.staff.name for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.subject_kind == "concern", AuditEvent.subject_id == concern.id, AuditEvent.action == "viewed"))]


def test_the_page_shown_after_the_dsls_own_action_is_not_another_opening(client, auth, school):
    """Mark seen, a note that closes it, Reopen: the trail has one "Opened" and each action once, not an
    "Opened" for every page the actions redirect to. Coming back to it, or anyone else opening it, still counts."""
    dsl, other = make_staff(school, ("dsl",), name="Dee Dsl"), make_staff(school, ("dsl",), name="Sam Second")
    concern, elsewhere = concern_about(school), concern_about(school)
    auth.login(staff=dsl)
    client.get(f"/safeguarding/concerns/{concern.id}")
    client.post(f"/safeguarding/concerns/{concern.id}/seen", follow_redirects=True)
    client.post(f"/safeguarding/concerns/{concern.id}/actions", data={"note": "Called home.", "close": "y"},
                follow_redirects=True)
    page = client.post(f"/safeguarding/concerns/{concern.id}/reopen", data={"asked": "yes"},
                       follow_redirects=True).get_data(as_text=True)
    assert openings(concern) == ["Dee Dsl"]
    trail = page.split("Who has opened or changed this")[1]
    for label in ("Reopened by Dee Dsl", "Closed by Dee Dsl", "Marked seen by Dee Dsl", "Opened by Dee Dsl"):
        assert trail.count(label) == 1, label
    client.get(f"/safeguarding/concerns/{concern.id}")  # coming back to it is an opening
    assert openings(concern) == ["Dee Dsl", "Dee Dsl"]
    client.post(f"/safeguarding/concerns/{concern.id}/actions", data={"note": "Letter sent."})
    client.get(f"/safeguarding/concerns/{elsewhere.id}")  # the redirect not followed: another concern opened
    assert openings(elsewhere) == ["Dee Dsl"]
    client.get(f"/safeguarding/concerns/{concern.id}")
    assert openings(concern) == ["Dee Dsl"] * 3
    auth.logout()
    auth.login(staff=other)
    client.get(f"/safeguarding/concerns/{concern.id}")
    assert openings(concern) == ["Dee Dsl"] * 3 + ["Sam Second"]


def test_the_page_opened_well_after_an_action_is_an_opening(client, auth, school, monkeypatch):
    import time as clock

    concern = concern_about(school)
    auth.login(roles=("dsl",))
    client.post(f"/safeguarding/concerns/{concern.id}/actions", data={"note": "Called home."})
    later = clock.time() + 120
    monkeypatch.setattr(clock, "time", lambda: later)
    client.get(f"/safeguarding/concerns/{concern.id}")
    assert len(openings(concern)) == 1


def test_mark_seen_stays_on_the_concern_where_what_was_done_is_recorded(client, auth, school):
    concern = concern_about(school, make_pupil(school, "Arjun", "Okafor"))
    auth.login(roles=("dsl",))
    response = client.post(f"/safeguarding/concerns/{concern.id}/seen")
    assert response.status_code == 302 and response.headers["Location"] == f"/safeguarding/concerns/{concern.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Marked seen: the concern about Arjun Okafor." in page and "What was done or decided?" in page
    assert ">Mark seen</button>" not in page and "Seen by " in page


def raised_from_shown(client, concern) -> str:
    page = client.get(f"/safeguarding/concerns/{concern.id}").get_data(as_text=True)
    return re.search(r"<dt>Raised from</dt><dd>(.*?)</dd>", page, re.S).group(1)


def test_the_concern_names_and_links_the_record_it_was_raised_from_and_the_pupil(client, auth, school):
    from rrp_pwa.circles.activities import close_circle
    from rrp_pwa.circles.joining import open_circle

    dsl = make_staff(school, ("dsl",), name="Dee Dsl")
    assistant = make_staff(school, ("support",), name="Mo Midday")
    arjun = make_pupil(school, "Arjun", "Okafor")
    chat = record_quick_chat(school.id, assistant, [arjun], "Upset", "Playground")
    keeper = make_staff(school, ("teacher",), name="Kit Keeper")
    group = make_group(school, "Year 5 Cedar", pupils=[arjun], staff=[keeper])
    db.session.commit()
    circle = open_circle(keeper, "checkin", group)
    db.session.commit()
    from_chat = raise_concern(school.id, NOTE, "chat", chat.id, pupil=arjun, raised_by_staff=assistant)
    from_circle = raise_concern(school.id, NOTE, "circle", circle.id, pupil=arjun, raised_by_staff=keeper)
    from_record = raise_concern(school.id, NOTE, "pupil", pupil=arjun, raised_by_staff=assistant)
    not_named = raise_concern(school.id, NOTE, "chat", subject_name="A visitor's child", raised_by_staff=assistant)
    db.session.add_all([from_chat, from_circle, from_record, not_named])
    db.session.commit()
    auth.login(staff=dsl)
    page = client.get(f"/safeguarding/concerns/{from_chat.id}").get_data(as_text=True)
    assert f'<h1>Concern about <a href="/pupils/{arjun.id}">Arjun Okafor</a></h1>' in page
    shown = raised_from_shown(client, from_chat)
    assert shown.startswith(f'<a href="/chats/{chat.id}">A quick chat</a>, logged by Mo Midday, <time')
    assert client.get(f"/chats/{chat.id}").status_code == 200
    still_open = raised_from_shown(client, from_circle)
    assert still_open.startswith("A circle, with Year 5 Cedar, kept by Kit Keeper (still open), <time")
    assert "<a " not in still_open, "no link while only its keeper can open it"
    close_circle(db.session.get(type(circle), circle.id))
    db.session.commit()
    assert raised_from_shown(client, from_circle).startswith(
        f'<a href="/circles/{circle.id}/summary">A circle</a>, with Year 5 Cedar, kept by Kit Keeper, <time')
    assert client.get(f"/circles/{circle.id}/summary").status_code == 200
    assert raised_from_shown(client, from_record) == f'<a href="/pupils/{arjun.id}">The pupil&#39;s record</a>'
    assert raised_from_shown(client, not_named) == "A quick chat"
    assert "<h1>Concern about A visitor&#39;s child</h1>" in client.get(
        f"/safeguarding/concerns/{not_named.id}").get_data(as_text=True)


def test_a_concern_names_as_its_source_only_a_record_its_raiser_may_read(client, auth, school):
    """The form carries the record's id: a midday assistant's concern naming another adult's chat (an old link,
    a changed address) is kept without it, so the DSL's page never names a record it did not come from."""
    make_staff(school, ("dsl",), name="Dee Dsl")
    mo = make_staff(school, ("support",), name="Mo Midday")
    other = make_staff(school, ("support",), name="Ola Other")
    arjun = make_pupil(school, "Arjun", "Okafor")
    mine = record_quick_chat(school.id, mo, [arjun], "Upset", "Playground")
    theirs = record_quick_chat(school.id, other, [arjun], "Upset", "Playground")
    db.session.commit()
    auth.login(staff=mo)
    for chat in (mine, theirs):
        client.post(f"/concerns/new?pupil_id={arjun.id}&context=chat&context_id={chat.id}",
                    data={"pupil_id": arjun.id, "note": f"{NOTE} {chat.id}", "context": "chat",
                          "context_id": chat.id})
    for odd in ("\u00b2", "9" * 23):  # a digit that int() refuses, an id past any column: no record, never a 500
        sent = client.post(f"/concerns/new?pupil_id={arjun.id}",
                           data={"pupil_id": arjun.id, "note": f"{NOTE} {odd}", "context": "chat", "context_id": odd})
        assert sent.status_code == 302
    kept = {c.note: c.context_id for c in db.session.scalars(select(Concern))}
    assert kept == {f"{NOTE} {mine.id}": mine.id, f"{NOTE} {theirs.id}": None, f"{NOTE} \u00b2": None,
                    f"{NOTE} {'9' * 23}": None}

@pytest.mark.parametrize("roles, linked", [(("dsl",), False), (("dsl", "pastoral"), True)])
def test_a_mediation_is_linked_only_for_a_dsl_who_may_open_its_record(client, auth, school, roles, linked):
    from rrp_pwa.mediation.flow import start_mediation

    mediator = make_pupil(school, "Mia", "Mediator", peer_mediator=True)
    mediation = start_mediation(school.id, [mediator], place="the library")
    db.session.add(mediation)
    db.session.commit()
    concern = raise_concern(school.id, NOTE, "mediation", mediation.id, raised_by_pupil=mediator)
    db.session.add(concern)
    db.session.commit()
    auth.login(roles=roles)
    shown = raised_from_shown(client, concern)
    assert ("/mediation/records/" in shown) is linked and "A peer mediation" in shown and "in the library" in shown
    if linked:
        assert client.get(f"/mediation/records/{mediation.id}").status_code == 200


def test_every_concern_in_the_queue_has_a_status(client, auth, school):
    new, seen, closed, reopened = (concern_about(school) for _ in range(4))
    auth.login(roles=("dsl",))
    client.post(f"/safeguarding/concerns/{seen.id}/seen")
    for done in (closed, reopened):
        client.post(f"/safeguarding/concerns/{done.id}/actions", data={"note": "Done.", "close": "y"})
    client.post(f"/safeguarding/concerns/{reopened.id}/reopen", data={"asked": "yes"})
    queue = client.get("/safeguarding/concerns").get_data(as_text=True)
    rows = re.findall(r'<li class="row concern-row[^"]*">.*?href="/safeguarding/concerns/(\d+)".*?</li>', queue, re.S)
    badges = dict(zip(rows, re.findall(r'<li class="row concern-row.*?<span class="badge[^"]*">([^<]+)</span>', queue,
                                       re.S)))
    assert badges == {str(new.id): "New", str(seen.id): "Being followed up", str(reopened.id): "Being followed up",
                      str(closed.id): "Closed"}
