"""The pastoral lead's and the DSL's week in real Chromium, on a phone and a tablet: a concern seen by one
DSL and closed by another says who closed it; an agreement whose pupils have all left says so and is
recorded as followed up; a review saved after a colleague's keeps what was written; the pupil record and
the overview read as the school's clock and chips."""
import re
from datetime import date, datetime, timedelta, timezone

from playwright.sync_api import expect

from rrp_pwa.agreements.rules import make_agreement
from rrp_pwa.conversations.chats import record_quick_chat
from rrp_pwa.conversations.restorative import start_conversation
from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.safeguarding.concerns import raise_concern
from tests.conftest import make_pupil, make_school, make_staff
from tests.e2e.conftest import PHONE, TABLET, assert_accessible
from tests.e2e.test_chat_flow import sign_in


def test_a_concern_closed_by_the_second_dsl_names_them(live_server, data_app, new_device, axe):
    school = make_school()
    first, second = make_staff(school, ("dsl",), name="Dee First"), make_staff(school, ("dsl", "admin"), name="Sam Second")
    concern = raise_concern(school.id, "Amira said her brother locks her out", "chat", pupil=make_pupil(school),
                            raised_by_staff=make_staff(school, ("teacher",), name="Tara Teacher"))
    db.session.add(concern)
    db.session.commit()

    phone = new_device(viewport=PHONE).new_page()
    sign_in(phone, live_server.url, first)
    phone.get_by_role("link", name=re.compile("^Safeguarding concerns")).click()
    phone.get_by_role("link", name="Amira Khan").click()
    phone.get_by_role("button", name="Mark seen").click()
    expect(phone.get_by_text("Marked seen: the concern about Amira Khan.")).to_be_visible()
    assert_accessible(axe, phone)

    tablet = new_device(viewport=TABLET).new_page()
    sign_in(tablet, live_server.url, second)
    tablet.goto(f"{live_server.url}/safeguarding/concerns/{concern.id}")
    status = tablet.get_by_role("definition").filter(has_text=re.compile("^(Seen|Closed) by"))
    expect(status).to_have_text(re.compile(r"^Seen by Dee First, "))
    tablet.get_by_label("What was done or decided?").fill("Referred to children's social care.")
    tablet.get_by_label("This closes the concern (the note says the outcome)").check()
    tablet.get_by_role("button", name="Record it").click()
    expect(tablet.get_by_text("Concern closed.")).to_be_visible()
    expect(status).to_have_text(re.compile(r"^Closed by Sam Second, \d+ \w+ \d{4}, \d\d:\d\d$"))
    assert_accessible(axe, tablet)


def test_an_agreement_whose_pupils_have_left_and_a_review_after_a_colleagues(live_server, data_app, new_device, axe):
    school = make_school()
    lead = make_staff(school, ("pastoral",), name="Pat Lead")
    amira, ben, cara, dan = (make_pupil(school), make_pupil(school, "Ben", "Jones"),
                             make_pupil(school, "Cara", "Lee"), make_pupil(school, "Dan", "Moss"))
    talks = [start_conversation(school.id, lead, "conversation", [(a, "harmed"), (b, "caused_harm")])
             for a, b in ((amira, ben), (cara, dan))]
    db.session.flush()
    gone, open_one = (make_agreement(school.id, "conversation", talk.id, what, pupils=[pupil], created_by=lead,
                                     review_on=date.today() - timedelta(days=1), today=date.today() - timedelta(days=15))
                      for talk, what, pupil in ((talks[0], "Ben will give Amira space", ben),
                                                (talks[1], "Dan will say sorry to Cara", dan)))
    db.session.add_all([gone, open_one])
    db.session.commit()
    gone_id, open_id = gone.id, open_one.id

    tablet = new_device(viewport=TABLET).new_page()
    sign_in(tablet, live_server.url, lead)
    tablet.goto(f"{live_server.url}/agreements/{gone_id}")
    tablet.get_by_role("radio", name="Not kept").check()
    tablet.get_by_role("button", name="Save review").click()
    expect(tablet.get_by_role("link", name="Start a restorative conversation")).to_be_visible()
    amira.archived = ben.archived = True  # both leave the school
    db.session.commit()
    tablet.get_by_role("link", name="Reviews due").click()
    follow_ups = tablet.get_by_role("list", name="Not kept: follow-up needed")
    expect(follow_ups).to_contain_text("Ben Jones (has left)")
    assert_accessible(axe, tablet)
    follow_ups.get_by_role("link", name="Ben will give Amira space").click()
    expect(tablet.get_by_text("everyone it was about has left the school")).to_be_visible()
    expect(tablet.get_by_role("link", name="Start a restorative conversation")).to_have_count(0)
    expect(tablet.get_by_role("link", name="Restorative conversation", exact=True)).to_have_attribute(
        "href", f"/conversations/{talks[0].id}")  # made in: what led to it, one tap away
    assert_accessible(axe, tablet)
    tablet.once("dialog", lambda dialog: dialog.accept())  # asked first: it leaves the follow-up list for good
    tablet.get_by_role("button", name="It has been followed up").click()
    expect(tablet.get_by_text("Recorded: the agreement has been followed up.")).to_be_visible()

    # Two tabs on the phone: the first records "kept"; the second, written meanwhile, keeps its words.
    phone = new_device(viewport=PHONE)
    first, second = phone.new_page(), phone.new_page()
    sign_in(first, live_server.url, lead)
    for tab in (first, second):
        tab.goto(f"{live_server.url}/agreements/{open_id}")
    first.get_by_role("radio", name="Kept", exact=True).check()
    first.get_by_role("button", name="Save review").click()
    expect(first.get_by_text("Review saved: kept.")).to_be_visible()
    note = "Pushed Cara in the lunch queue again on Tuesday"
    second.get_by_role("radio", name="Not kept").check()
    second.get_by_label("Note (optional)").fill(note)
    second.get_by_role("button", name="Save review").click()
    expect(second.get_by_text(re.compile("Someone has reviewed this agreement since you opened it"))).to_be_visible()
    expect(second.get_by_label("Note (optional)")).to_have_value(note)
    expect(second.get_by_role("radio", name="Not kept")).to_be_checked()
    assert_accessible(axe, second)
    second.get_by_role("button", name="Save review").click()
    expect(second.get_by_text("Review saved: not kept.")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Agreement, open_id).status == "not_kept"
    assert [r.note for r in db.session.get(Agreement, open_id).reviews] == [None, note]


def test_the_record_and_the_overview_read_as_the_school_sees_them(live_server, data_app, page, axe):
    school = make_school()
    lead = make_staff(school, ("pastoral",), name="Pat Lead")
    amira = make_pupil(school)
    record_quick_chat(school.id, lead, [amira], "Physical", "Dining hall",
                      happened_at=datetime(2026, 6, 15, 11, 20, tzinfo=timezone.utc))  # 12:20 in London (BST)
    record_quick_chat(school.id, lead, [amira], "Unkind words", "Field")
    db.session.commit()

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, lead)
    page.get_by_role("link", name=re.compile("^School overview")).click()
    expect(page.get_by_role("heading", level=3, name="What happened")).to_be_visible()
    expect(page.get_by_role("heading", level=3, name="Where")).to_be_visible()
    assert_accessible(axe, page)
    page.goto(f"{live_server.url}/pupils/{amira.id}")
    entry = page.get_by_role("listitem").filter(has_text="Quick chat: Physical, Dining hall")
    expect(entry.locator("time")).to_have_text("15 Jun 2026, 12:20")
    assert_accessible(axe, page)
